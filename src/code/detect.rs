//! Detection: which scheme is this input?
//!
//! # Order and ranking
//! [`parse`] normalises the input ([`super::input`]) and then:
//! 1. An AIM symbology identifier decides alone: GS1 modes (`]C1 ]d2 ]Q3 ]e0 ]J1`) are element strings, `]E0`
//!    is 13 EAN/UPC digits, `]E4` 8 EAN-8 digits, `]I1` an ITF-14; with `|` the EAN/UPC primary and the
//!    composite component are merged. Plain symbologies (`]C0 ]d1 ]Q1` …) go on as text.
//! 2. Text is offered to every scheme whose cheap pre-filter (prefix, length, character set) matches, in this
//!    order: EPC URI (`urn:epc:`), Digital Link (`http(s)://` with a GS1 key path), a URL wrapping another code,
//!    bracketed element string (`(`), element string with separators, MA (`MA.`), Handle (`…/…`), EPC binary
//!    (hex with a known header), bare GS1 keys (8/12/13/14/18 digits with a valid check digit), element strings
//!    inferred from digits, then China's fixed-length codes, Ecode and gas-cylinder codes.
//! 3. Each successful interpretation gets a score from the evidence it has: 100 for what the input declares
//!    (AIM GS1 mode, brackets, `urn:epc:`), 95 for Digital Link, MA and explicit separators, 85–90 for a
//!    verified check digit, 60–70 for a structural match without a check, 30–50 for weak layouts.
//!    [`parse`] returns the best; if the two best have the **same score and different identities** it returns
//!    [`ErrorKind::Ambiguous`] naming both — it never silently picks one. [`candidates`] returns them all,
//!    ranked, for callers that have context (a box label, the scanning station's product range).
//! 4. When nothing succeeds, the error comes from the most plausible scheme that was tried (so a GS1 scan
//!    with a wrong check digit reports the check digit, not "unrecognised").
//!
//! Known ambiguities (codes.md §6–§8): 13 digits (EAN-13 vs an all-digit GA 441 detonator code: the verified
//! EAN check digit wins, 85 to 60); 18 characters (SSCC vs an all-digit credit code, both checked: ambiguous);
//! 20 digits (drug code vs equipment registration code: the drug code's leading `8` wins, 70 to 60).

use super::cn;
use super::gs1::{self, Gs1};
use super::input::{self, AimMode, Normalized};
use super::{Carrier, Code, CodeData, ParseOptions, Scheme, TraceKey, Warning};
use crate::{Error, ErrorKind};

/// A national-code parser, as the detector calls it.
type NationalParser = fn(&str, &cn::CnRules) -> Result<cn::Parsed, Error>;

/// One interpretation of an input, with the score that ranks it (0–100) and the rule that matched.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The parsed code.
    pub code: Code,
    /// Plausibility, 0–100 (see the module docs for the scale).
    pub score: u8,
    /// Which rule produced it, e.g. `"gtin13-check"`.
    pub rule: &'static str,
}

/// One scheme's attempt: the prior it would score, and its result.
struct Attempt {
    score: u8,
    rule: &'static str,
    result: Result<Code, Error>,
}

/// Parses any supported code with default options.
///
/// # Errors
/// The fault of the most plausible interpretation, positioned in `input`; [`ErrorKind::Ambiguous`] when two
/// interpretations are equally plausible; [`ErrorKind::Unrecognized`] when no scheme applies.
///
/// ```
/// use tracecode::code::{parse, Scheme, Carrier};
/// let code = parse("]d2010950600013435217261231\u{1d}10ABC123")?;
/// assert_eq!(code.scheme(), Scheme::Gs1ElementString);
/// assert_eq!(code.carrier(), Carrier::Gs1DataMatrix);
/// assert_eq!(code.gs1().unwrap().get("17"), Some("261231"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse(input: impl AsRef<[u8]>) -> Result<Code, Error> {
    parse_with(input, &ParseOptions::new())
}

/// Parses any supported code with the given options. See [`parse`].
///
/// # Errors
/// As [`parse`].
pub fn parse_with(input: impl AsRef<[u8]>, opts: &ParseOptions) -> Result<Code, Error> {
    let input = input.as_ref();
    let n = input::normalize(input)?;
    if let Some(r) = declared(&n, opts) {
        return r;
    }
    let attempts = text_attempts(&n, opts, 0);
    choose(attempts, input.len())
}

/// Every plausible interpretation of `input`, best first (empty when nothing parses).
///
/// ```
/// // 13 digits: an EAN-13 with a valid check digit, and structurally also a GA 441 detonator shell code.
/// let c = tracecode::code::candidates("5360215000017");
/// assert!(c.len() >= 2);
/// assert!(c[0].score > c[1].score);
/// ```
pub fn candidates(input: impl AsRef<[u8]>) -> Vec<Candidate> {
    candidates_with(input, &ParseOptions::new())
}

/// Every plausible interpretation of `input` under `opts`, best first.
pub fn candidates_with(input: impl AsRef<[u8]>, opts: &ParseOptions) -> Vec<Candidate> {
    let input = input.as_ref();
    let Ok(n) = input::normalize(input) else { return Vec::new() };
    let mut out: Vec<Candidate> = match declared(&n, opts) {
        Some(Ok(code)) => vec![Candidate { code, score: 100, rule: "aim" }],
        Some(Err(_)) => Vec::new(),
        None => text_attempts(&n, opts, 0)
            .into_iter()
            .filter_map(|a| a.result.ok().map(|code| Candidate { code, score: a.score, rule: a.rule }))
            .collect(),
    };
    out.sort_by_key(|c| std::cmp::Reverse(c.score));
    out
}

/// The key an identifier in an EPCIS event stands for (`event::Id::parse`), or `None` for a URI that is not a
/// code: an EPC URI in pure-identity or class form (`urn:epc:id:`, `urn:epc:class:`), a Digital Link whose path
/// carries a GS1 key, or national key text (`cn-drug20:…`, [`cn::is_key_text`]). Only these URI spellings: an
/// event identifier is never read as a bare code, an element string or an EPC tag URI.
///
/// # Errors
/// The code layer's error for an EPC URI or a Digital Link that is malformed (a bad check digit in a Digital Link
/// is an error, not an opaque URI), or whose GS1 data has no key. National key text that does not parse is not
/// an error: it is an opaque URI.
pub(crate) fn identifier_key(s: &str, opts: &ParseOptions) -> Result<Option<TraceKey>, Error> {
    let b = s.as_bytes();
    if has_prefix(b, "urn:epc:id:") || has_prefix(b, "urn:epc:class:") {
        let (data, _) = gs1::epc_uri::parse_epc_uri(s, opts)?;
        return match &data {
            CodeData::Gid(g) => Ok(Some(TraceKey::from_gid(*g))),
            CodeData::Gs1(g) => g.trace_key().map(Some),
            _ => Ok(None),
        };
    }
    if (has_prefix(b, "https://") || has_prefix(b, "http://")) && gs1::digital_link::dl_shaped(b, false) {
        let dl = gs1::digital_link::parse_digital_link(s, opts)?;
        return dl.gs1.trace_key().map(Some);
    }
    if cn::is_key_text(s) {
        return Ok(s.parse::<TraceKey>().ok());
    }
    Ok(None)
}

/// Does `b` start with the ASCII `prefix`, ignoring ASCII case?
fn has_prefix(b: &[u8], prefix: &str) -> bool {
    b.get(..prefix.len()).is_some_and(|x| x.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Picks the best attempt, refusing to choose between equals.
fn choose(mut attempts: Vec<Attempt>, input_len: usize) -> Result<Code, Error> {
    // Stable sort: among equal scores the documented trial order decides which error is reported.
    attempts.sort_by_key(|a| std::cmp::Reverse(a.score));
    let best_failure = attempts.iter().find(|a| a.result.is_err()).map_or(0, |a| a.score);
    let mut ok = attempts.iter().enumerate().filter_map(|(i, a)| a.result.as_ref().ok().map(|c| (i, a.score, c)));
    if let Some((best_i, best_score, best)) = ok.next() {
        // A weak structural match (an Ecode, say) must not hide the error of a far more plausible reading
        // (a GTIN with a mistyped check digit): the person at the scanner needs that error.
        if best_score < STRUCTURAL
            && best_failure >= best_score.saturating_add(WEAK_MARGIN)
            && let Some(i) = attempts.iter().position(|a| a.result.is_err())
        {
            return attempts.swap_remove(i).result;
        }
        if let Some((_, second_score, second)) = ok.next()
            && second_score == best_score
            && !same_identity(best, second)
        {
            return Err(Error::new(
                ErrorKind::Ambiguous,
                0,
                input_len,
                format!(
                    "this could be a {} or a {} code; scan the other symbol on the pack, or choose with candidates()",
                    best.scheme(),
                    second.scheme()
                ),
            ));
        }
        // A structural match won although a more plausible reading failed (a 13-digit EAN with a wrong check
        // digit that is also a valid detonator layout): keep the answer, but say so.
        let failed_note = attempts.iter().find(|a| a.score > best_score).and_then(|a| {
            a.result.as_ref().err().map(|e| format!("the likelier reading ({}) failed: {}", a.rule, e.message()))
        });
        let mut result = attempts.swap_remove(best_i).result;
        if let (Ok(code), Some(note)) = (&mut result, failed_note) {
            code.warnings.push(Warning::new("more_plausible_reading_failed", note));
        }
        return result;
    }
    match attempts.into_iter().next() {
        // Only a plausible reading's error is worth showing; a weak pre-filter match's error would mislead.
        Some(a) if a.score >= PLAUSIBLE => a.result,
        Some(a) => Err(Error::new(
            ErrorKind::Unrecognized,
            0,
            input_len,
            format!(
                "not a code tracecode knows (GS1, Digital Link, EPC, or a Chinese trace code); closest: {}",
                a.result.err().map_or_else(String::new, |e| e.message().to_owned())
            ),
        )),
        None => Err(Error::new(
            ErrorKind::Unrecognized,
            0,
            input_len,
            "not a code tracecode knows (GS1, Digital Link, EPC, or a Chinese trace code)",
        )),
    }
}

/// A failed reading this much more plausible than a weak success (below [`STRUCTURAL`]) is reported instead.
const WEAK_MARGIN: u8 = 30;
/// Successes at or above this score matched a specific structure (fields, dates, class codes) and stand even
/// when a more plausible reading failed; below it (Ecode, gas cylinder) they are guesses.
const STRUCTURAL: u8 = 50;
/// Failed readings below this score are reported as "unrecognised" rather than by their own error.
const PLAUSIBLE: u8 = 60;

fn same_identity(a: &Code, b: &Code) -> bool {
    matches!((a.trace_key(), b.trace_key()), (Ok(x), Ok(y)) if x == y)
}

/// Inputs whose AIM identifier declares the scheme.
fn declared(n: &Normalized<'_>, opts: &ParseOptions) -> Option<Result<Code, Error>> {
    match n.aim {
        AimMode::Gs1 => Some(gs1_declared(n, opts)),
        AimMode::Ean13 => Some(ean_declared(n, opts, 13)),
        AimMode::Ean8 => Some(ean_declared(n, opts, 8)),
        AimMode::Itf14 => Some(bare_key(n, 14, n.carrier)),
        AimMode::None | AimMode::Text => None,
    }
}

/// Element-string parse of `n` (after GS-substitute replacement), errors mapped to original positions.
fn element_string(n: &Normalized<'_>, opts: &ParseOptions) -> Result<(Gs1, Vec<Warning>), Error> {
    match n.with_gs() {
        None => gs1::element::parse_element_string(n.bytes(), opts).map_err(|e| n.map_err(e)),
        Some((buf, map)) => {
            let mut r =
                gs1::element::parse_element_string(&buf, opts).map_err(|e| input::map_err_with(&map, n.orig_len(), e));
            if let Ok((_, w)) = &mut r {
                w.push(Warning::new("gs_substitute", "a keyboard-wedge substitute was read as the FNC1 separator"));
            }
            r
        }
    }
}

fn gs1_code(scheme: Scheme, carrier: Carrier, g: Gs1, mut warnings: Vec<Warning>, n: &Normalized<'_>) -> Code {
    let mut code = Code::new(scheme, carrier, CodeData::Gs1(g));
    if !n.warnings.is_empty() {
        warnings.extend(n.warnings.iter().cloned());
    }
    code.warnings = warnings;
    code
}

fn gs1_declared(n: &Normalized<'_>, opts: &ParseOptions) -> Result<Code, Error> {
    if !n.has_wedge_bytes() {
        // Fast path: a clean scanner payload (no substitutes, no composite) goes straight to the parser.
        let (g, w) = gs1::element::parse_element_string(n.bytes(), opts).map_err(|e| n.map_err(e))?;
        return Ok(gs1_code(Scheme::Gs1ElementString, n.carrier, g, w, n));
    }
    if let Some((bar, comp)) = n.split_composite() {
        return composite(n, opts, bar, comp, None);
    }
    let (g, w) = element_string(n, opts)?;
    Ok(gs1_code(Scheme::Gs1ElementString, n.carrier, g, w, n))
}

/// EAN/UPC primary + `|` + composite component: one element list over both (pairing rules apply to the
/// combined data, GenSpecs §4.15).
fn composite(
    n: &Normalized<'_>,
    opts: &ParseOptions,
    bar: usize,
    comp: usize,
    primary_len: Option<usize>,
) -> Result<Code, Error> {
    let primary = n.slice(0, bar);
    let component = n.slice(comp, n.bytes().len());
    let no_pairs = opts.check_pairings(false);
    let (pg, mut w) = match primary_len {
        Some(len) => (bare_gtin(&primary, len)?, Vec::new()),
        None => element_string(&primary, &no_pairs)?,
    };
    let (cg, cw) = element_string(&component, &no_pairs)?;
    // The combined list obeys the element-string rules: an AI repeated across the two parts with the same value
    // is kept once, with different values it is an error, and the element limit holds for the whole (else the
    // list would print as an element string that does not parse back to it).
    w.extend(cw);
    let mut out = gs1::element::Collector::new(pg.len() + cg.len(), 64, false);
    out.warnings = w;
    for (list, base) in [(&pg, 0usize), (&cg, comp)] {
        for (i, e) in list.iter().enumerate() {
            let src = if primary_len.is_some() && base == 0 { 0 } else { list.source_offset(i) + base };
            out.push(e.def, e.value, src, e.def.ai.len() + e.value.len()).map_err(|e| n.map_err(e))?;
        }
    }
    let (g, w) = out.finish(opts).map_err(|e| n.map_err(e))?;
    Ok(gs1_code(Scheme::Gs1ElementString, n.carrier, g, w, n))
}

fn ean_declared(n: &Normalized<'_>, opts: &ParseOptions, len: usize) -> Result<Code, Error> {
    if let Some((bar, comp)) = n.split_composite() {
        return composite(n, opts, bar, comp, Some(len));
    }
    // `]E3`: EAN/UPC with a 2- or 5-digit add-on (issue number, price). The add-on is data, not identity.
    let b = n.bytes();
    if n.aim_id == Some(*b"]E3") && len == 13 && matches!(b.len(), 15 | 18) && b.iter().all(u8::is_ascii_digit) {
        let mut code = bare_key(&n.slice(0, 13), 13, n.carrier)?;
        let addon = String::from_utf8_lossy(b.get(13..).unwrap_or_default()).into_owned();
        code.warnings.push(Warning::new(
            "addon_ignored",
            format!("the add-on {addon} was read and is not part of the identity"),
        ));
        return Ok(code);
    }
    bare_key(n, len, n.carrier)
}

fn digits_error(n: &Normalized<'_>, want: &str) -> Option<Error> {
    n.bytes().iter().position(|b| !b.is_ascii_digit()).map(|p| {
        n.map_err(Error::new(
            ErrorKind::Charset,
            p,
            1,
            format!("{want} has only digits; found {:?}", char::from(n.bytes().get(p).copied().unwrap_or(b'?'))),
        ))
    })
}

/// A bare GTIN of `len` digits (8, 12, 13, 14) padded to 14, check digit verified.
fn bare_gtin(n: &Normalized<'_>, len: usize) -> Result<Gs1, Error> {
    let b = n.bytes();
    if let Some(e) = digits_error(n, "a GTIN") {
        return Err(e);
    }
    if b.len() != len {
        return Err(n.map_err(Error::new(
            ErrorKind::Length,
            0,
            b.len(),
            format!("expected {len} digits, found {}", b.len()),
        )));
    }
    check_digit(n, b)?;
    let mut gtin = [b'0'; 14];
    if let Some(dst) = gtin.get_mut(14 - len..) {
        dst.copy_from_slice(b);
    }
    let def = gs1::lookup("01").ok_or_else(|| Error::msg(ErrorKind::UnknownAi, "AI table lacks (01)"))?;
    let mut g = Gs1::with_capacity(1, 14);
    g.push_unchecked(def, std::str::from_utf8(&gtin).unwrap_or_default(), 0);
    Ok(g)
}

fn check_digit(n: &Normalized<'_>, digits: &[u8]) -> Result<(), Error> {
    let Some((&last, body)) = digits.split_last() else { return Ok(()) };
    let want = super::check::gs1_check_digit(body).unwrap_or(b'?');
    if want != last {
        return Err(n.map_err(Error::new(
            ErrorKind::CheckDigit,
            digits.len() - 1,
            1,
            format!("check digit should be {}, found {}", char::from(want), char::from(last)),
        )));
    }
    Ok(())
}

/// A bare key of `len` digits: GTIN-8/12/13/14, or 18 digits = SSCC.
fn bare_key(n: &Normalized<'_>, len: usize, carrier: Carrier) -> Result<Code, Error> {
    let g = if len == 18 {
        if let Some(e) = digits_error(n, "an SSCC") {
            return Err(e);
        }
        check_digit(n, n.bytes())?;
        let def = gs1::lookup("00").ok_or_else(|| Error::msg(ErrorKind::UnknownAi, "AI table lacks (00)"))?;
        let mut g = Gs1::with_capacity(1, 18);
        g.push_unchecked(def, std::str::from_utf8(n.bytes()).unwrap_or_default(), 0);
        g
    } else {
        bare_gtin(n, len)?
    };
    let mut code = Code::new(Scheme::Gs1Key, carrier, CodeData::Gs1(g));
    code.warnings.extend(n.warnings.iter().cloned());
    Ok(code)
}

/// A UPC-E (8 digits, number system 0 or 1) expanded to its GTIN (codes.md §1.3).
fn upce(n: &Normalized<'_>) -> Result<Code, Error> {
    let b = n.bytes();
    let gtin12 = gs1::upce_to_upca(b).ok_or_else(|| {
        n.map_err(Error::new(ErrorKind::Syntax, 0, b.len(), "not a UPC-E code (needs 8 digits, number system 0 or 1)"))
    })?;
    let body = gtin12.get(..11).unwrap_or_default();
    let want = super::check::gs1_check_digit(body).unwrap_or(b'?');
    if b.get(7) != Some(&want) {
        return Err(n.map_err(Error::new(
            ErrorKind::CheckDigit,
            7,
            1,
            format!("UPC-E check digit should be {}", char::from(want)),
        )));
    }
    let mut gtin = [b'0'; 14];
    if let Some(dst) = gtin.get_mut(2..) {
        dst.copy_from_slice(&gtin12);
    }
    let def = gs1::lookup("01").ok_or_else(|| Error::msg(ErrorKind::UnknownAi, "AI table lacks (01)"))?;
    let mut g = Gs1::with_capacity(1, 14);
    g.push_unchecked(def, std::str::from_utf8(&gtin).unwrap_or_default(), 0);
    let mut code = Code::new(Scheme::Gs1Key, n.carrier, CodeData::Gs1(g));
    code.warnings.push(Warning::new("upce_expanded", "read as UPC-E and expanded to its UPC-A GTIN"));
    Ok(code)
}

fn national(n: &Normalized<'_>, opts: &ParseOptions, f: NationalParser) -> Result<Code, Error> {
    let s = std::str::from_utf8(n.bytes())
        .map_err(|e| n.map_err(Error::new(ErrorKind::Charset, e.valid_up_to(), 1, "input is not valid UTF-8")))?;
    let (nc, mut w) = f(s, opts.cn_rules).map_err(|e| n.map_err(e))?;
    let mut code = Code::new(nc.scheme, n.carrier, CodeData::National(nc));
    w.extend(n.warnings.iter().cloned());
    code.warnings = w;
    Ok(code)
}

/// An RFID EPC bank read as hex.
fn epc_hex(n: &Normalized<'_>, s: Option<&str>) -> Result<Code, Error> {
    s.ok_or_else(|| Error::new(ErrorKind::Charset, 0, 0, "not ASCII"))
        .and_then(gs1::epc_binary::decode_epc_hex)
        .map_err(|e| n.map_err(e))
        .map(|(data, info)| {
            let mut c = Code::new(Scheme::EpcBinary, Carrier::Rfid, data);
            c.epc = Some(info);
            c
        })
}

/// Runs every scheme whose pre-filter matches `n`. `depth` bounds URL unwrapping to one level.
#[allow(clippy::too_many_lines, reason = "one flat, ordered list of schemes reads better than indirection")]
fn text_attempts(n: &Normalized<'_>, opts: &ParseOptions, depth: u8) -> Vec<Attempt> {
    let b = n.bytes();
    let mut out = Vec::new();
    let s = std::str::from_utf8(b).ok();

    if has_prefix(b, "urn:epc:") {
        let r = s
            .ok_or_else(|| Error::new(ErrorKind::Charset, 0, 0, "EPC URI is not ASCII"))
            .and_then(|s| gs1::epc_uri::parse_epc_uri(s, opts))
            .map_err(|e| n.map_err(e))
            .map(|(data, info)| {
                let mut c = Code::new(Scheme::EpcUri, n.carrier, data);
                c.epc = Some(info);
                c
            });
        out.push(Attempt { score: 100, rule: "epc-uri", result: r });
        return out;
    }
    if has_prefix(b, "http://") || has_prefix(b, "https://") {
        let shaped = s.is_some_and(|u| gs1::digital_link::dl_shaped(u.as_bytes(), true));
        let dl = s
            .ok_or_else(|| Error::new(ErrorKind::Charset, 0, 0, "URI is not valid UTF-8"))
            .and_then(|s| gs1::digital_link::parse_digital_link(s, opts))
            .map_err(|e| n.map_err(e))
            .map(|dl| {
                let mut w = dl.warnings;
                w.extend(n.warnings.iter().cloned());
                let mut c = Code::new(Scheme::DigitalLink, n.carrier, CodeData::Gs1(dl.gs1));
                c.warnings = w;
                c
            });
        // A URL without a Digital Link path is more likely a trace URL wrapping another code.
        let score = if shaped { 95 } else { 60 };
        out.push(Attempt { score, rule: "digital-link", result: dl });
        if depth == 0
            && !shaped
            && let Some((from, to)) = s.and_then(cn::unwrap_url)
        {
            let inner = n.slice(from, to);
            for mut a in text_attempts(&inner, opts, 1) {
                a.score = a.score.saturating_sub(5);
                if let Ok(c) = &mut a.result {
                    c.warnings.push(Warning::new("url_wrapped", "the code was read from inside a URL"));
                }
                out.push(a);
            }
        }
        return out;
    }
    if has_prefix(b, "hdl:") {
        out.push(Attempt { score: 90, rule: "handle", result: national(n, opts, cn::parse_handle) });
        return out;
    }
    if b.first() == Some(&b'(') {
        let r = gs1::element::parse_bracketed(b, opts)
            .map_err(|e| n.map_err(e))
            .map(|(g, w)| gs1_code(Scheme::Gs1Bracketed, n.carrier, g, w, n));
        out.push(Attempt { score: 100, rule: "gs1-bracketed", result: r });
        return out;
    }
    if b.len() > 3 && b.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"MA.")) {
        out.push(Attempt { score: 95, rule: "ma", result: national(n, opts, cn::parse_ma) });
        return out;
    }
    let has_sep = b.contains(&gs1::GS) || n.with_gs().is_some();
    let digits = b.iter().all(u8::is_ascii_digit);
    // A plain symbology (`]d1`, `]Q1`, `]C0`) carries text, never GS1 data, even when it looks like AIs (codes.md §7).
    let may_be_gs1 = n.aim == AimMode::None;
    if may_be_gs1 && has_sep && b.first().is_some_and(u8::is_ascii_digit) {
        let r = element_string(n, opts).map(|(g, w)| gs1_code(Scheme::Gs1ElementString, n.carrier, g, w, n));
        out.push(Attempt { score: 95, rule: "gs1-element-string", result: r });
    }
    if b.contains(&b'/') && !b.contains(&b' ') && cn::looks_like_handle(b) {
        let score = if b.starts_with(b"88.") { 85 } else { 65 };
        out.push(Attempt { score, rule: "handle", result: national(n, opts, cn::parse_handle) });
    }
    if b.len() >= 24 && b.len().is_multiple_of(2) && b.iter().all(u8::is_ascii_hexdigit) && !digits {
        out.push(Attempt { score: 75, rule: "epc-hex", result: epc_hex(n, s) });
    }
    // Element string without AIM id or separators: starts with a pre-defined-length key AI followed by enough
    // digits for its key (codes.md §7, "inferred"); the key's check digit decides inside the parser.
    if may_be_gs1
        && opts.infer_gs1
        && !has_sep
        && b.len() >= 16
        && matches!(b.get(..2), Some(b"00" | b"01" | b"02"))
        && b.get(..16).is_some_and(|p| p.iter().all(u8::is_ascii_digit))
    {
        let r = element_string(n, opts).map(|(g, mut w)| {
            w.push(Warning::new(
                "inferred_gs1",
                "read as a GS1 element string although the scanner sent no symbology identifier",
            ));
            gs1_code(Scheme::Gs1ElementString, n.carrier, g, w, n)
        });
        out.push(Attempt { score: 80, rule: "gs1-inferred", result: r });
    }
    if digits {
        match b.len() {
            8 => {
                // A GTIN-8 starting with 0 is an RCN-8 (company-internal, codes.md §1.1) while a UPC-E with
                // number system 0 is a retail GTIN: UPC-E is the likelier reading. With a leading 1 both are
                // plausible and, when both check digits pass, the caller must choose (Ambiguous).
                let gtin8 = if b.first() == Some(&b'0') { 75 } else { 85 };
                out.push(Attempt { score: gtin8, rule: "gtin8-check", result: bare_key(n, 8, n.carrier) });
                if matches!(b.first(), Some(b'0' | b'1')) {
                    out.push(Attempt { score: 85, rule: "upce-check", result: upce(n) });
                }
            }
            12..=14 => {
                out.push(Attempt { score: 85, rule: "gtin-check", result: bare_key(n, b.len(), n.carrier) });
            }
            18 => out.push(Attempt { score: 85, rule: "sscc-check", result: bare_key(n, 18, n.carrier) }),
            _ => {}
        }
        if b.len() == 24 && b.first().is_some_and(|&c| c == b'3') {
            // A 96-bit EPC in hex that happens to have no letters.
            out.push(Attempt { score: 60, rule: "epc-hex", result: epc_hex(n, s) });
        }
    }
    // Rules named after their scheme (the uscc rule after its check).
    let nat: [(bool, u8, &'static str, NationalParser); 10] = [
        (cn::looks_like_drug20(b), 70, Scheme::CnDrug20.as_str(), cn::parse_drug20),
        (
            cn::looks_like_equipment_registration(b),
            if b.len() == 20 { 60 } else { 45 },
            Scheme::EquipmentRegistration.as_str(),
            cn::parse_equipment_registration,
        ),
        (cn::looks_like_credit_code(b), 90, "cn-uscc-check", cn::parse_credit_code),
        (cn::looks_like_equipment_code(b), 50, Scheme::EquipmentCode.as_str(), cn::parse_equipment_code),
        (cn::looks_like_detonator(b), if digits { 60 } else { 70 }, Scheme::Detonator.as_str(), cn::parse_detonator),
        (cn::looks_like_vet_drug24(b), 70, Scheme::VetDrug.as_str(), cn::parse_vet_drug24),
        (cn::looks_like_pesticide32(b), 70, Scheme::Pesticide.as_str(), cn::parse_pesticide32),
        (cn::looks_like_ecode(b), 40, Scheme::Ecode.as_str(), cn::parse_ecode),
        (cn::looks_like_gas_cylinder(b), 30, Scheme::GasCylinder.as_str(), cn::parse_gas_cylinder),
        (false, 0, "", cn::parse_ma),
    ];
    for (hit, score, rule, f) in nat {
        if hit {
            // An all-digit credit code has the same evidence (a verified check) as an SSCC.
            let score = if rule == "cn-uscc-check" && digits { 85 } else { score };
            out.push(Attempt { score, rule, result: national(n, opts, f) });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::new().current_year(2026)
    }

    /// Detection treats as national key text exactly the schemes whose key text `TraceKey` reads.
    #[test]
    fn key_schemes_are_the_schemes_with_key_text() {
        use Scheme as S;
        let all = [
            S::Gs1ElementString,
            S::Gs1Bracketed,
            S::Gs1Key,
            S::DigitalLink,
            S::EpcUri,
            S::EpcBinary,
            S::CnDrug20,
            S::Ma,
            S::Handle,
            S::Ecode,
            S::EquipmentCode,
            S::EquipmentRegistration,
            S::GasCylinder,
            S::Detonator,
            S::VetDrug,
            S::Pesticide,
            S::CreditCode,
        ];
        for s in all {
            // No wildcard: a new scheme stops this compiling, a reminder to add it to `all`.
            match s {
                S::Gs1ElementString
                | S::Gs1Bracketed
                | S::Gs1Key
                | S::DigitalLink
                | S::EpcUri
                | S::EpcBinary
                | S::CnDrug20
                | S::Ma
                | S::Handle
                | S::Ecode
                | S::EquipmentCode
                | S::EquipmentRegistration
                | S::GasCylinder
                | S::Detonator
                | S::VetDrug
                | S::Pesticide
                | S::CreditCode => {}
            }
            let text = format!("{s}:?");
            let known = !text.parse::<TraceKey>().unwrap_err().message().contains("unknown key scheme");
            assert_eq!(cn::is_key_text(&text), known, "{s}");
        }
    }

    /// Found by the `auto_detect` fuzz target: an AI in both parts of a composite (`primary|component`) was kept
    /// twice, so the code printed as an element string that does not parse back (AI (90) twice with different
    /// values). The combined list now follows the element-string rule for repeated AIs.
    #[test]
    fn composite_repeated_ai_follows_the_element_string_rule() {
        let e = parse_with("]d2010950600013435290ABC|90XYZ", &opts()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Duplicate, "{e}");
        assert!(e.to_string().contains("AI (90) appears twice with different values"), "{e}");

        let c = parse_with("]d2010950600013435290ABC|90ABC", &opts()).unwrap();
        let CodeData::Gs1(g) = c.data() else { panic!("not GS1: {c:?}") };
        assert_eq!(g.to_bracketed(), "(01)09506000134352(90)ABC");
        assert!(c.warnings().iter().any(|w| w.code == "duplicate_ai"), "{c:?}");
        let (again, _) = gs1::element::parse_element_string(g.to_element_string().as_bytes(), &opts()).unwrap();
        assert_eq!(&again, g, "element string round trip");

        // The same across an EAN-13 primary and its component: (01) again with another GTIN is refused.
        let e = parse_with("]E04006381333931|]e00104012345000009", &opts()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Duplicate, "{e}");
        // The minimised fuzz input: (10) in the primary and again, after a `[GS]` wedge substitute, in the component.
        let e = parse_with("]d20109506000134352101(|931[GS]1001", &opts()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Duplicate, "{e}");
        crate::fuzzing::auto_detect(b"]d20109506000134352101(|931[GS]1001");
        crate::fuzzing::auto_detect(b"]d2010950600013435290ABC|90ABC");
        crate::fuzzing::auto_detect(b"]E04006381333931|]e00104006381333931");
    }
}
