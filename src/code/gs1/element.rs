//! GS1 element strings: the transmitted form (FNC1 sent as GS, 0x1D) and the bracketed human-readable form.
//!
//! Both parsers produce one [`Gs1`] element list, validated against the AI table (lengths, character sets,
//! check digits, dates, pairing rules). Algorithm and tolerances: `reference/codes.md` §2.5 (GS1 General
//! Specifications §7.8; GS1 Barcode Syntax Engine behaviour for redundant and trailing separators).
//!
//! Printing is the inverse: [`Gs1::to_element_string`] and [`Gs1::to_bracketed`] keep the stored element order,
//! so `parse(print(x)) == x` for every list these parsers or [`Gs1::from_pairs`] build.
//!
//! # Example
//! ```
//! use tracecode::code::{ParseOptions, gs1::element::{parse_bracketed, parse_element_string}};
//!
//! let opts = ParseOptions::new().current_year(2026);
//! let (gs1, _) = parse_bracketed(b"(01)09506000134352(17)261231(10)ABC123(21)XYZ789", &opts)?;
//! // Only a variable-length value that is not last needs a GS (0x1D) after it.
//! let transmitted = gs1.to_element_string();
//! assert_eq!(transmitted, "01095060001343521726123110ABC123\u{1d}21XYZ789");
//! let (again, warnings) = parse_element_string(transmitted.as_bytes(), &opts)?;
//! assert_eq!((again, warnings.len()), (gs1, 0));
//!
//! // Errors carry the position of the fault: here the GTIN's check digit.
//! let err = parse_bracketed(b"(01)09506000134353", &opts).unwrap_err();
//! assert_eq!((err.kind(), err.offset()), (tracecode::ErrorKind::CheckDigit, Some(17)));
//! # Ok::<(), tracecode::Error>(())
//! ```

use super::ai::{self, AiDef};
use super::lint::{self, LintContext};
use super::{GS, Gs1, MAX_ELEMENTS};
use crate::code::{ParseOptions, Warning};
use crate::{Error, ErrorKind};

/// Checks one value against its definition (not empty, not too long — pointing at the first surplus
/// character, §2.5 — then the dictionary's components and linters). Offsets are relative to `value`.
pub(crate) fn check_value(def: &AiDef, value: &[u8], ctx: LintContext) -> Result<(), Error> {
    // `validate_value` makes the length checks first; repeating them here was work done twice per element.
    lint::validate_value(def, value, &ctx)
}

/// Converts a validated value to `&str`. Validated values are ASCII, so this only fails on a linter gap; the
/// error then points at the offending byte.
pub(crate) fn value_str(value: &[u8], base: usize) -> Result<&str, Error> {
    std::str::from_utf8(value)
        .map_err(|e| Error::new(ErrorKind::Charset, base.saturating_add(e.valid_up_to()), 1, "value is not valid text"))
}

/// Accumulates elements, enforcing the element-count limit and the repeated-AI rule.
pub(crate) struct Collector {
    /// The elements so far.
    pub(crate) gs1: Gs1,
    /// Warnings so far.
    pub(crate) warnings: Vec<Warning>,
    /// Digital Link forbids any repeated AI; element strings tolerate an identical repeat.
    repeat_is_error: bool,
    /// AIs seen so far, one bit per AI table entry: the repeated-AI check is one bit test instead of a scan.
    seen: [u64; SEEN_WORDS],
}

/// Bits for up to 1024 table entries (the dictionary has 541); entries beyond fall back to a scan.
const SEEN_WORDS: usize = 16;

/// The position of `def` in the AI table (defs are its entries; pointer arithmetic, no `unsafe`).
fn table_index(def: &AiDef) -> Option<usize> {
    let base = ai::all().as_ptr() as usize;
    let off = (std::ptr::from_ref(def) as usize).checked_sub(base)?;
    let i = off / std::mem::size_of::<AiDef>().max(1);
    (i < ai::all().len() && off % std::mem::size_of::<AiDef>().max(1) == 0).then_some(i)
}

impl Collector {
    /// A collector sized for `n` elements of `bytes` total value length.
    pub(crate) fn new(n: usize, bytes: usize, repeat_is_error: bool) -> Self {
        Self {
            // Bounded so that garbage input cannot make a large allocation before it is rejected.
            gs1: Gs1::with_capacity(n.min(MAX_ELEMENTS), bytes.min(MAX_ELEMENTS * 90)),
            warnings: Vec::new(),
            repeat_is_error,
            seen: [0; SEEN_WORDS],
        }
    }

    /// Appends a validated element. `src`/`len` locate the whole element (AI and value) in the input and are
    /// used for the element's source offset and for errors.
    pub(crate) fn push(&mut self, def: &'static AiDef, value: &str, src: usize, len: usize) -> Result<(), Error> {
        // Table entries are unique statics, so pointer equality is AI equality.
        let bit = table_index(def).and_then(|i| Some((self.seen.get_mut(i / 64)?, 1u64 << (i % 64))));
        let maybe_seen = match bit {
            Some((word, mask)) => {
                let was = *word & mask != 0;
                *word |= mask;
                was
            }
            None => true,
        };
        if maybe_seen && let Some(prev) = self.gs1.iter().find(|e| std::ptr::eq(e.def, def)) {
            if prev.value == value && !self.repeat_is_error {
                self.warnings.push(Warning::new(
                    "duplicate_ai",
                    format!("AI ({}) appears twice with the same value; one copy kept", def.ai),
                ));
                return Ok(());
            }
            let msg = if prev.value == value {
                format!("AI ({}) appears twice", def.ai)
            } else {
                format!("AI ({}) appears twice with different values: {} and {value}", def.ai, prev.value)
            };
            return Err(Error::new(ErrorKind::Duplicate, src, len, msg));
        }
        if self.gs1.len() >= MAX_ELEMENTS {
            return Err(Error::new(
                ErrorKind::Length,
                src,
                len,
                format!("too many elements: at most {MAX_ELEMENTS} per message"),
            ));
        }
        self.gs1.push_unchecked(def, value, src);
        Ok(())
    }

    /// Applies the pairing rules (when asked) and returns the result.
    pub(crate) fn finish(self, opts: &ParseOptions) -> Result<(Gs1, Vec<Warning>), Error> {
        if opts.check_pairings {
            lint::check_pairings(&self.gs1)?;
        }
        Ok((self.gs1, self.warnings))
    }
}

/// The position of the first GS in `input[from..]` (absolute), or `input.len()`.
fn next_gs(input: &[u8], from: usize) -> usize {
    input.get(from..).and_then(|r| r.iter().position(|&b| b == GS)).map_or(input.len(), |i| from + i)
}

/// The error for an AI that is not in the table at `p`.
fn unknown_ai_error(input: &[u8], p: usize) -> Error {
    let rest = input.get(p..).unwrap_or_default();
    let n = ai::ai_len_for_prefix(rest).unwrap_or(2).min(rest.len()).max(1);
    let digits = rest.get(..n).unwrap_or_default();
    if digits.iter().all(u8::is_ascii_digit) && digits.len() >= 2 {
        Error::new(
            ErrorKind::UnknownAi,
            p,
            n,
            format!("unknown Application Identifier ({})", String::from_utf8_lossy(digits)),
        )
    } else {
        Error::new(ErrorKind::UnknownAi, p, n, "expected an Application Identifier (digits) here")
    }
}

/// Steps over an AI the table does not define (permit-unknown mode): its length comes from the two-digit prefix
/// table, its value runs to the next GS. Returns the position after it.
fn skip_unknown_ai(input: &[u8], p: usize, opts: &ParseOptions, warnings: &mut Vec<Warning>) -> Result<usize, Error> {
    let rest = input.get(p..).unwrap_or_default();
    let Some(n) = ai::ai_len_for_prefix(rest)
        .filter(|&n| opts.permit_unknown_ais && rest.get(..n).is_some_and(|d| d.iter().all(u8::is_ascii_digit)))
    else {
        return Err(unknown_ai_error(input, p));
    };
    let vstart = p + n;
    let vend = next_gs(input, vstart);
    if vend == vstart {
        return Err(Error::new(ErrorKind::Length, vstart, 0, "unknown AI has an empty value"));
    }
    // Values never exceed 90 characters (AIs 91-99); bound unknown ones the same way.
    if vend - vstart > 90 {
        return Err(Error::new(ErrorKind::Length, vstart + 90, vend - vstart - 90, "unknown AI value is too long"));
    }
    warnings.push(Warning::new(
        "unknown_ai",
        format!(
            "unknown AI ({}) with value \"{}\" was skipped",
            String::from_utf8_lossy(rest.get(..n).unwrap_or_default()),
            String::from_utf8_lossy(input.get(vstart..vend).unwrap_or_default())
        ),
    ));
    Ok(if input.get(vend) == Some(&GS) { vend + 1 } else { vend })
}

/// Dropped-separator recovery: finds the single split point `k` in `vstart..vend` where the head is a valid value
/// of `def` and the tail starts with a known AI whose first value is valid. Ambiguous or no split: `None`.
fn recover_split(def: &AiDef, input: &[u8], vstart: usize, vend: usize, ctx: LintContext) -> Option<usize> {
    let last = vend.saturating_sub(3).min(vstart + usize::from(def.max_len));
    let mut found = None;
    for k in vstart + 1..=last {
        let head = input.get(vstart..k)?;
        let Some(tail_def) = input.get(k..vend).and_then(ai::lookup_prefix) else { continue };
        let tstart = k + tail_def.ai.len();
        let tend = if tail_def.predefined { tstart + usize::from(tail_def.max_len) } else { vend };
        let Some(tail) = input.get(tstart..tend).filter(|t| tend <= vend && !t.is_empty()) else { continue };
        if check_value(def, head, ctx).is_ok() && check_value(tail_def, tail, ctx).is_ok() {
            if found.is_some() {
                return None;
            }
            found = Some(k);
        }
    }
    found
}

/// Parses a GS1 element string in transmitted form: AIs and values with FNC1 separators sent as GS (0x1D).
///
/// The caller has already stripped the AIM symbology identifier and replaced keyboard-wedge GS substitutes.
/// Tolerated (as the GS1 Barcode Syntax Engine does): a leading GS (FNC1 in first position transmitted), a
/// redundant GS after a pre-defined-length element, a trailing GS. A repeated AI with the same value is kept
/// once with a `duplicate_ai` warning. With [`ParseOptions::permit_unknown_ais`], unknown AIs are skipped with
/// an `unknown_ai` warning (they have no table entry to store); with [`ParseOptions::recover_dropped_gs`], a
/// separator dropped between two variable-length values is restored when exactly one split validates
/// (`recovered_separator` warning).
///
/// # Errors
/// Error positions are byte offsets in `input`: [`ErrorKind::UnknownAi`] at an AI the table does not define;
/// [`ErrorKind::Length`] for a short pre-defined value (at the GS or end that cut it, length 0), a value over its
/// maximum (at the first surplus character), an empty value, or more than [`MAX_ELEMENTS`] elements;
/// [`ErrorKind::Syntax`] for two GS in a row; [`ErrorKind::Duplicate`] for a repeated AI with a different value;
/// the linters' kinds (check digit, charset, date, ...) at the faulty characters; [`ErrorKind::Pairing`] when a
/// `req=`/`ex=` rule fails.
///
/// ```
/// use tracecode::code::{ParseOptions, gs1::element::parse_element_string};
/// let opts = ParseOptions::new().current_year(2026);
/// let (gs1, warnings) = parse_element_string(b"010950600013435217261231\x1d10ABC123\x1d21XYZ789", &opts)?;
/// assert_eq!(gs1.get("17"), Some("261231"));
/// assert_eq!(gs1.get("21"), Some("XYZ789"));
/// assert!(warnings.is_empty());
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_element_string(input: &[u8], opts: &ParseOptions) -> Result<(Gs1, Vec<Warning>), Error> {
    if input.is_empty() {
        return Err(Error::new(ErrorKind::Empty, 0, 0, "empty element string"));
    }
    let ctx = LintContext { current_year: opts.effective_year() };
    let mut out = Collector::new(input.len() / 6 + 1, input.len(), false);
    // One UTF-8 check for the whole input; values are then sliced from it (they are ASCII once validated).
    let text = std::str::from_utf8(input).ok();
    let len = input.len();
    // FNC1 in first position sometimes arrives as a GS.
    let mut p = usize::from(input.first() == Some(&GS));
    if p == len {
        return Err(Error::new(ErrorKind::Empty, 0, 1, "element string holds only a separator"));
    }
    while p < len {
        let rest = input.get(p..).unwrap_or_default();
        if rest.first() == Some(&GS) {
            return Err(Error::new(ErrorKind::Syntax, p, 1, "two separators (GS) in a row"));
        }
        let Some(def) = ai::lookup_prefix(rest) else {
            p = skip_unknown_ai(input, p, opts, &mut out.warnings)?;
            continue;
        };
        let vstart = p + def.ai.len();
        let end = if def.predefined {
            let want = usize::from(def.max_len);
            let end = vstart + want;
            // Fast path: no character set admits GS, so a full-length window that validates holds no separator
            // and needs no separate scan for one. Otherwise the scan decides which error comes first.
            let window = input.get(vstart..end);
            let checked = window.map(|w| check_value(def, w, ctx));
            if !matches!(checked, Some(Ok(()))) {
                let avail = input.get(vstart..).unwrap_or_default();
                let cut = avail.iter().take(want).position(|&b| b == GS).unwrap_or(avail.len().min(want));
                if cut < want {
                    return Err(Error::new(
                        ErrorKind::Length,
                        vstart + cut,
                        0,
                        format!("AI ({}) needs {want} characters, found {cut}", def.ai),
                    ));
                }
                if let Some(Err(e)) = checked {
                    return Err(e.shifted(vstart));
                }
            }
            end
        } else {
            let vend = next_gs(input, vstart);
            match check_value(def, input.get(vstart..vend).unwrap_or_default(), ctx) {
                Ok(()) => vend,
                Err(e) => {
                    let split =
                        if opts.recover_dropped_gs { recover_split(def, input, vstart, vend, ctx) } else { None };
                    let Some(k) = split else { return Err(e.shifted(vstart)) };
                    out.warnings.push(Warning::new(
                        "recovered_separator",
                        format!("a separator missing after AI ({}) was assumed at byte {k}", def.ai),
                    ));
                    k
                }
            }
        };
        let value = match text.and_then(|t| t.get(vstart..end)) {
            Some(v) => v,
            None => value_str(input.get(vstart..end).unwrap_or_default(), vstart)?,
        };
        out.push(def, value, p, end - p)?;
        p = end;
        if input.get(p) == Some(&GS) {
            p += 1;
        }
    }
    out.finish(opts)
}

/// Parses the bracketed human-readable form, `(01)09506000134352(10)ABC123`.
///
/// A literal `(` inside a value is written `\(`. Every AI must be in the table; values are validated exactly as
/// in [`parse_element_string`], and pairing rules apply.
///
/// # Errors
/// As [`parse_element_string`], with positions in `input`; [`ErrorKind::Syntax`] for text outside `(AI)value`
/// groups or an unclosed `(`.
///
/// ```
/// use tracecode::code::{ParseOptions, gs1::element::parse_bracketed};
/// let (gs1, _) = parse_bracketed(b"(01)09506000134352(10)AB\\(1", &ParseOptions::new())?;
/// assert_eq!(gs1.get("10"), Some("AB(1"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_bracketed(input: &[u8], opts: &ParseOptions) -> Result<(Gs1, Vec<Warning>), Error> {
    if input.is_empty() {
        return Err(Error::new(ErrorKind::Empty, 0, 0, "empty bracketed element string"));
    }
    let ctx = LintContext { current_year: opts.effective_year() };
    let mut out = Collector::new(input.len() / 8 + 1, input.len(), false);
    let len = input.len();
    let mut p = 0;
    while p < len {
        if input.get(p) != Some(&b'(') {
            return Err(Error::new(ErrorKind::Syntax, p, 1, "expected \"(\" starting an Application Identifier"));
        }
        let ai_start = p + 1;
        // AIs have at most 4 digits; look a little further for a better message.
        let close = input.get(ai_start..).and_then(|r| r.iter().take(6).position(|&b| b == b')'));
        let Some(ai_len) = close else {
            return Err(Error::new(ErrorKind::Syntax, p, 1, "\"(\" without a closing \")\""));
        };
        let ai_digits = input.get(ai_start..ai_start + ai_len).unwrap_or_default();
        if ai_digits.is_empty() {
            return Err(Error::new(ErrorKind::Syntax, p, 2, "empty Application Identifier \"()\""));
        }
        let def = ai::lookup_prefix(ai_digits).filter(|d| d.ai.len() == ai_digits.len()).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownAi,
                ai_start,
                ai_len,
                format!("unknown Application Identifier ({})", String::from_utf8_lossy(ai_digits)),
            )
        })?;
        let vstart = ai_start + ai_len + 1;
        // The value runs to the next unescaped "(".
        let mut vend = vstart;
        let mut escapes = 0usize;
        while let Some(&b) = input.get(vend) {
            if b == b'(' {
                break;
            }
            if b == b'\\' && input.get(vend + 1) == Some(&b'(') {
                escapes += 1;
                vend += 2;
            } else {
                vend += 1;
            }
        }
        let raw = input.get(vstart..vend).unwrap_or_default();
        let mut buf = [0u8; 96];
        let value: &[u8] = if escapes == 0 {
            raw
        } else {
            let n = unescape_bracketed(raw, &mut buf);
            let max = usize::from(def.max_len);
            if n > max {
                return Err(Error::new(
                    ErrorKind::Length,
                    vstart + raw_offset(raw, max),
                    vend - vstart - raw_offset(raw, max),
                    format!("AI ({}) value is too long: at most {max} characters", def.ai),
                ));
            }
            buf.get(..n).unwrap_or_default()
        };
        check_value(def, value, ctx).map_err(|e| {
            let Some((o, l)) = e.position() else { return e.at(vstart, vend - vstart) };
            let start = raw_offset(raw, o);
            let stop = raw_offset(raw, o.saturating_add(l));
            e.at(vstart + start, stop.saturating_sub(start))
        })?;
        out.push(def, value_str(value, vstart)?, p, vend - p)?;
        p = vend;
    }
    out.finish(opts)
}

/// Removes `\` before `(` from `raw` into `buf` (stopping when full); returns the decoded length.
fn unescape_bracketed(raw: &[u8], buf: &mut [u8]) -> usize {
    let mut n = 0;
    let mut it = raw.iter().peekable();
    while let Some(&b) = it.next() {
        let b = if b == b'\\' && it.peek() == Some(&&b'(') { it.next().map_or(b, |&c| c) } else { b };
        let Some(slot) = buf.get_mut(n) else { return n };
        *slot = b;
        n += 1;
    }
    n
}

/// The offset in an escaped bracketed value `raw` of the decoded offset `decoded` (each `\(` is one character).
fn raw_offset(raw: &[u8], decoded: usize) -> usize {
    let mut r = 0;
    let mut d = 0;
    while d < decoded && r < raw.len() {
        r += if raw.get(r) == Some(&b'\\') && raw.get(r + 1) == Some(&b'(') { 2 } else { 1 };
        d += 1;
    }
    r
}

impl Gs1 {
    /// Builds a validated element list from `(AI, value)` pairs, in the given order (used by issuing and EPC).
    ///
    /// A pair repeating an earlier AI with the same value is dropped; pairing rules apply when
    /// [`ParseOptions::check_pairings`] is on.
    ///
    /// # Errors
    /// [`ErrorKind::UnknownAi`] for an AI not in the table; the validation kinds of [`parse_element_string`]
    /// with offsets relative to the offending value; [`ErrorKind::Duplicate`] for an AI repeated with another
    /// value; [`ErrorKind::Length`] for more than [`MAX_ELEMENTS`] pairs; [`ErrorKind::Pairing`].
    ///
    /// ```
    /// use tracecode::code::{ParseOptions, gs1::Gs1};
    /// let gs1 = Gs1::from_pairs(&[("01", "09506000134352"), ("21", "XYZ789")], &ParseOptions::new())?;
    /// assert_eq!(gs1.to_bracketed(), "(01)09506000134352(21)XYZ789");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_pairs(pairs: &[(&str, &str)], opts: &ParseOptions) -> Result<Self, Error> {
        let ctx = LintContext { current_year: opts.effective_year() };
        let bytes = pairs.iter().map(|(_, v)| v.len()).fold(0usize, usize::saturating_add);
        let mut out = Collector::new(pairs.len(), bytes, false);
        for &(ai, value) in pairs {
            let def = ai::lookup(ai)
                .ok_or_else(|| Error::msg(ErrorKind::UnknownAi, format!("unknown Application Identifier ({ai})")))?;
            check_value(def, value.as_bytes(), ctx)?;
            out.push(def, value, 0, 0)?;
        }
        Ok(out.finish(opts)?.0)
    }

    /// The transmitted element string (FNC1 as GS, no AIM identifier, no leading FNC1).
    ///
    /// Elements stay in stored order, so printing then parsing gives an equal list. A GS follows every
    /// variable-length element except the last; pre-defined-length elements (§2.4) need none. Callers that want
    /// the conventional "pre-defined first" layout build the list in that order.
    ///
    /// ```
    /// use tracecode::code::{ParseOptions, gs1::Gs1};
    /// let gs1 = Gs1::from_pairs(&[("01", "09506000134352"), ("10", "ABC123"), ("21", "XYZ789")], &ParseOptions::new())?;
    /// assert_eq!(gs1.to_element_string(), "010950600013435210ABC123\u{1d}21XYZ789");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn to_element_string(&self) -> String {
        let n = self.len();
        let mut s = String::with_capacity(self.iter().map(|e| e.def.ai.len() + e.value.len() + 1).sum());
        for (i, e) in self.iter().enumerate() {
            s.push_str(e.def.ai);
            s.push_str(e.value);
            if !e.def.predefined && i + 1 < n {
                s.push(char::from(GS));
            }
        }
        s
    }

    /// The bracketed human-readable form, `(01)09506000134352(10)ABC123`, with `(` in values escaped as `\(`.
    ///
    /// ```
    /// use tracecode::code::{ParseOptions, gs1::Gs1};
    /// let gs1 = Gs1::from_pairs(&[("01", "09506000134352"), ("10", "A(1")], &ParseOptions::new())?;
    /// assert_eq!(gs1.to_bracketed(), r"(01)09506000134352(10)A\(1");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn to_bracketed(&self) -> String {
        let mut s = String::with_capacity(self.iter().map(|e| e.def.ai.len() + e.value.len() + 4).sum());
        for e in self.iter() {
            s.push('(');
            s.push_str(e.def.ai);
            s.push(')');
            for c in e.value.chars() {
                if c == '(' {
                    s.push('\\');
                }
                s.push(c);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::check::gs1_check_digit;
    use proptest::prelude::*;

    fn opts() -> ParseOptions {
        ParseOptions::new().current_year(2026)
    }

    fn pairs(g: &Gs1) -> Vec<(&'static str, String)> {
        g.iter().map(|e| (e.def.ai, e.value.to_owned())).collect()
    }

    fn err(input: &[u8], o: &ParseOptions) -> Error {
        parse_element_string(input, o).unwrap_err()
    }

    fn pos(e: &Error) -> (ErrorKind, usize, usize) {
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    // codes.md §2.1: the bracketed, raw and AIM-prefixed forms give the same elements (the DL form is checked in
    // digital_link.rs).
    #[test]
    fn worked_example_forms_agree() {
        let expected = vec![
            ("01", "09506000134352".to_owned()),
            ("17", "261231".to_owned()),
            ("3103", "000195".to_owned()),
            ("10", "ABC123".to_owned()),
            ("21", "XYZ789".to_owned()),
        ];
        let (b, w) = parse_bracketed(b"(01)09506000134352(17)261231(3103)000195(10)ABC123(21)XYZ789", &opts()).unwrap();
        assert_eq!(pairs(&b), expected);
        assert!(w.is_empty());
        let raw = b"010950600013435217261231310300019510ABC123\x1d21XYZ789";
        let (r, _) = parse_element_string(raw, &opts()).unwrap();
        assert_eq!(r, b);
        let aim = b"]d2010950600013435217261231310300019510ABC123\x1d21XYZ789";
        let (a, _) = parse_element_string(aim.strip_prefix(b"]d2").unwrap(), &opts()).unwrap();
        assert_eq!(a, b);
        assert_eq!(r.to_element_string().as_bytes(), raw);
        assert_eq!(b.to_bracketed(), "(01)09506000134352(17)261231(3103)000195(10)ABC123(21)XYZ789");
        // Source offsets point at each AI.
        assert_eq!((0..5).map(|i| r.source_offset(i)).collect::<Vec<_>>(), vec![0, 16, 24, 34, 43]);
    }

    #[test]
    fn benchmark_input_parses() {
        let (g, w) = parse_element_string(b"010950600013435217261231\x1d10ABC123\x1d21XYZ789", &opts()).unwrap();
        assert_eq!(g.len(), 4);
        assert_eq!(g.get("10"), Some("ABC123"));
        // The redundant GS after the pre-defined (17) is tolerated silently.
        assert!(w.is_empty());
    }

    #[test]
    fn separators_tolerated_and_rejected() {
        let o = opts();
        let base = parse_element_string(b"0109506000134352\x1d21XYZ789", &o).unwrap().0;
        // Leading GS (FNC1 in first position) and trailing GS.
        assert_eq!(parse_element_string(b"\x1d0109506000134352\x1d21XYZ789\x1d", &o).unwrap().0, base);
        // Double GS.
        assert_eq!(pos(&err(b"0109506000134352\x1d\x1d21XYZ789", &o)), (ErrorKind::Syntax, 17, 1));
        assert_eq!(pos(&err(b"\x1d\x1d0109506000134352", &o)), (ErrorKind::Syntax, 1, 1));
        assert_eq!(err(b"\x1d", &o).kind(), ErrorKind::Empty);
        assert_eq!(err(b"", &o).kind(), ErrorKind::Empty);
    }

    // codes.md §2.5: errors with exact positions.
    #[test]
    fn check_digit_error_position() {
        let e = err(b"0109506000134353\x1d21XYZ789", &opts());
        assert_eq!(pos(&e), (ErrorKind::CheckDigit, 15, 1));
        let e = parse_bracketed(b"(01)09506000134353", &opts()).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::CheckDigit, 17, 1));
    }

    #[test]
    fn unknown_ai_position() {
        let e = err(b"010950600013435223612\x1d21XYZ789", &opts());
        assert_eq!(pos(&e), (ErrorKind::UnknownAi, 16, 3));
        assert!(e.message().contains("236"), "{}", e.message());
        let e = err(b"0109506000134352ABC", &opts());
        assert_eq!((e.kind(), e.offset()), (ErrorKind::UnknownAi, Some(16)));
        // A prefix with no AIs at all.
        assert_eq!(err(b"0412345", &opts()).kind(), ErrorKind::UnknownAi);
        let e = parse_bracketed(b"(01)09506000134352(236)12", &opts()).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::UnknownAi, 19, 3));
    }

    #[test]
    fn unknown_ai_permitted_is_skipped_with_warning() {
        let o = opts().permit_unknown_ais(true);
        let (g, w) = parse_element_string(b"010950600013435223612\x1d21XYZ789", &o).unwrap();
        assert_eq!(pairs(&g), vec![("01", "09506000134352".to_owned()), ("21", "XYZ789".to_owned())]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "unknown_ai");
        assert!(w[0].message.contains("236") && w[0].message.contains("12"));
        // Still an error when the prefix table gives no length.
        assert_eq!(err(b"0109506000134352041", &o).kind(), ErrorKind::UnknownAi);
    }

    #[test]
    fn value_length_errors() {
        let o = opts();
        // (10) allows 20 characters: the 21st is the first surplus one.
        let e = err(b"0109506000134352\x1d10ABCDEFGHIJKLMNOPQRSTU", &o);
        assert_eq!(pos(&e), (ErrorKind::Length, 17 + 2 + 20, 1));
        // A pre-defined value cut short by a GS or by the end: "missing here".
        assert_eq!(pos(&err(b"0109506\x1d21X", &o)), (ErrorKind::Length, 7, 0));
        assert_eq!(pos(&err(b"01095060", &o)), (ErrorKind::Length, 8, 0));
        // Empty variable value.
        assert_eq!(pos(&err(b"0109506000134352\x1d10\x1d21X", &o)), (ErrorKind::Length, 19, 0));
        assert_eq!(pos(&err(b"0109506000134352\x1d10", &o)), (ErrorKind::Length, 19, 0));
        let e = parse_bracketed(b"(01)09506000134352(10)ABCDEFGHIJKLMNOPQRSTU", &o).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::Length, 22 + 20, 1));
        let e = parse_bracketed(b"(01)09506000134352(10)(21)X", &o).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::Length, 22, 0));
    }

    #[test]
    fn too_many_elements() {
        // 65 distinct pre-defined measure AIs (pairing off: only the count matters here).
        let o = opts().check_pairings(false);
        let ais: Vec<&str> = ai::all()
            .iter()
            .filter(|d| d.predefined && d.ai.len() == 4 && d.ai.starts_with('3'))
            .map(|d| d.ai)
            .collect();
        assert!(ais.len() > MAX_ELEMENTS, "{}", ais.len());
        let mut s = Vec::new();
        for ai in ais.iter().take(MAX_ELEMENTS) {
            s.extend_from_slice(ai.as_bytes());
            s.extend_from_slice(b"000100");
        }
        assert_eq!(parse_element_string(&s, &o).unwrap().0.len(), MAX_ELEMENTS);
        let at = s.len();
        s.extend_from_slice(ais[MAX_ELEMENTS].as_bytes());
        s.extend_from_slice(b"000100");
        assert_eq!(pos(&err(&s, &o)), (ErrorKind::Length, at, 10));
    }

    #[test]
    fn repeated_ai() {
        let o = opts();
        let (g, w) = parse_element_string(b"0109506000134352\x1d10ABC\x1d10ABC", &o).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(w.iter().map(|w| w.code).collect::<Vec<_>>(), vec!["duplicate_ai"]);
        assert_eq!(pos(&err(b"0109506000134352\x1d10ABC\x1d10ABD", &o)), (ErrorKind::Duplicate, 23, 5));
    }

    // codes.md §2.6 pairing rules.
    #[test]
    fn pairing_failures() {
        let o = opts();
        // (21) needs (01), (03) or (8006).
        assert_eq!(parse_bracketed(b"(21)XYZ789", &o).unwrap_err().kind(), ErrorKind::Pairing);
        // (10) needs a trade item key.
        assert_eq!(err(b"10ABC", &o).kind(), ErrorKind::Pairing);
        // (21) excludes (235).
        let e = parse_bracketed(b"(01)09506000134352(21)A(235)B", &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Pairing);
        assert!([Some(18), Some(23)].contains(&e.offset()), "{e:?}");
        // (01) excludes (37).
        assert_eq!(parse_bracketed(b"(01)09506000134352(37)10", &o).unwrap_err().kind(), ErrorKind::Pairing);
        // Off: the partial data of one carrier is accepted.
        assert!(parse_bracketed(b"(21)XYZ789", &o.check_pairings(false)).is_ok());
        assert_eq!(Gs1::from_pairs(&[("10", "A")], &o).unwrap_err().kind(), ErrorKind::Pairing);
    }

    #[test]
    fn dropped_separator_recovery() {
        let input = b"010950600013435210ABCDEFGHIJKLMNOP21XYZ789";
        let e = err(input, &opts());
        assert_eq!(pos(&e), (ErrorKind::Length, 38, 4));
        let (g, w) = parse_element_string(input, &opts().recover_dropped_gs(true)).unwrap();
        assert_eq!(g.get("10"), Some("ABCDEFGHIJKLMNOP"));
        assert_eq!(g.get("21"), Some("XYZ789"));
        assert_eq!(w.iter().map(|w| w.code).collect::<Vec<_>>(), vec!["recovered_separator"]);
        // Nothing to split on: the original error stands.
        let e = err(b"0109506000134352\x1d10ABCDEFGHIJKLMNOPQRSTUVW", &opts().recover_dropped_gs(true));
        assert_eq!(e.kind(), ErrorKind::Length);
    }

    #[test]
    fn bracketed_escapes() {
        let o = opts();
        let (g, _) = parse_bracketed(br"(01)09506000134352(10)A\(B)C", &o).unwrap();
        assert_eq!(g.get("10"), Some("A(B)C"));
        assert_eq!(g.to_bracketed(), r"(01)09506000134352(10)A\(B)C");
        // Error positions map back through the escapes: '#' is decoded offset 2, raw offset 3.
        let e = parse_bracketed(br"(01)09506000134352(10)\(A#", &o).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::Charset, 25, 1));
        // 21 decoded characters: the 21st starts at raw offset 40.
        let long = format!("(01)09506000134352(10){}", r"\(".repeat(21));
        let e = parse_bracketed(long.as_bytes(), &o).unwrap_err();
        assert_eq!(pos(&e), (ErrorKind::Length, 22 + 40, 2));
        assert_eq!(pos(&parse_bracketed(b"01)0950", &o).unwrap_err()), (ErrorKind::Syntax, 0, 1));
        assert_eq!(pos(&parse_bracketed(b"(01", &o).unwrap_err()), (ErrorKind::Syntax, 0, 1));
        assert_eq!(parse_bracketed(b"()1", &o).unwrap_err().kind(), ErrorKind::Syntax);
    }

    #[test]
    fn from_pairs_validates() {
        let o = opts();
        assert_eq!(Gs1::from_pairs(&[("04", "1")], &o).unwrap_err().kind(), ErrorKind::UnknownAi);
        let e = Gs1::from_pairs(&[("01", "09506000134353")], &o).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::CheckDigit, Some(13)));
        let e = Gs1::from_pairs(&[("01", "09506000134352"), ("10", "A"), ("10", "B")], &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Duplicate);
        let g = Gs1::from_pairs(&[("01", "09506000134352"), ("10", "A"), ("10", "A")], &o).unwrap();
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn element_string_separator_placement() {
        let o = opts();
        let g = Gs1::from_pairs(&[("10", "L1"), ("01", "09506000134352"), ("21", "S"), ("17", "261231")], &o).unwrap();
        assert_eq!(g.to_element_string(), "10L1\u{1d}010950600013435221S\u{1d}17261231");
        assert_eq!(parse_element_string(g.to_element_string().as_bytes(), &o).unwrap().0, g);
    }

    fn gtin() -> impl Strategy<Value = String> {
        "[0-9]{13}".prop_map(|body| {
            let c = gs1_check_digit(body.as_bytes()).unwrap();
            format!("{body}{}", char::from(c))
        })
    }

    const CSET82: &str = "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{1,20}";

    fn date() -> impl Strategy<Value = String> {
        (0u8..100, 1u8..13, 0u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
    }

    /// A valid element list: GTIN + optional lot, serial and expiry, in a random order.
    pub(crate) fn valid_pairs() -> impl Strategy<Value = Vec<(&'static str, String)>> {
        (gtin(), proptest::option::of(CSET82), proptest::option::of(CSET82), proptest::option::of(date()))
            .prop_map(|(g, lot, ser, exp)| {
                let mut v = vec![("01", g)];
                v.extend(lot.map(|l| ("10", l)));
                v.extend(ser.map(|s| ("21", s)));
                v.extend(exp.map(|d| ("17", d)));
                v
            })
            .prop_shuffle()
    }

    proptest! {
        #[test]
        fn round_trip_element_string(v in valid_pairs()) {
            let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (*a, b.as_str())).collect();
            let g = Gs1::from_pairs(&refs, &opts()).unwrap();
            let s = g.to_element_string();
            let (back, w) = parse_element_string(s.as_bytes(), &opts()).unwrap();
            prop_assert_eq!(&back, &g);
            prop_assert!(w.is_empty());
        }

        #[test]
        fn round_trip_bracketed(v in valid_pairs()) {
            let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (*a, b.as_str())).collect();
            let g = Gs1::from_pairs(&refs, &opts()).unwrap();
            let (back, _) = parse_bracketed(g.to_bracketed().as_bytes(), &opts()).unwrap();
            prop_assert_eq!(back, g);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_element_string(&bytes, &opts());
            let _ = parse_element_string(&bytes, &opts().permit_unknown_ais(true).recover_dropped_gs(true));
            let _ = parse_bracketed(&bytes, &opts());
        }

        #[test]
        fn ai_like_bytes_never_panic(s in "[0-9()\\\\\x1dA-Z]{0,120}") {
            let _ = parse_element_string(s.as_bytes(), &opts().permit_unknown_ais(true).recover_dropped_gs(true));
            let _ = parse_bracketed(s.as_bytes(), &opts());
        }
    }
}
