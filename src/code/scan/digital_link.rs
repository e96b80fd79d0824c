//! The fast path for GS1 Digital Link URIs (see the [module docs](super)).
//!
//! [`fast_key`] reads a link in place: the parts of the URI, the `/AI/value` pairs and the query attributes
//! are byte ranges of the input; only a percent-encoded or zero-suppressed value is copied, into a buffer on the
//! stack. The key is built from those borrowed values by the rule [`TraceKey::from_gs1`] uses, so the one
//! allocation is the key's own bytes.
//!
//! It accepts exactly what `parse(input)?.trace_key()` accepts under the default [`ParseOptions`], or less:
//! every rule of [`parse_digital_link`](crate::code::gs1::digital_link::parse_digital_link) is made here in the
//! same terms (character classes, host, the rightmost primary key, the `dlpkey` qualifier order, data
//! attributes, repeated AIs, percent-decoding, zero-suppressed GTINs, every value against the AI dictionary and
//! its linters, the pairing rules), mostly by calling the very functions the full parser calls. Where a rule
//! would need its slow, exact form (the pairing rules' pattern matching after the precompiled check flags a
//! possible conflict, more pairs or attributes than fit the fixed arrays), the path gives up and the full parser
//! decides, reporting the error with its position.
//!
//! Input normalisation is the identity here: the path requires a lower-case `http://` or `https://` prefix and
//! a URI character for every byte, and normalisation changes only whitespace, control bytes, non-ASCII text,
//! a BOM or an AIM symbology identifier at the ends (none of which is a URI character), and inputs longer than
//! [`MAX_INPUT`].

use crate::code::gs1::ai::{AiDef, pattern_matches};
use crate::code::gs1::digital_link::{BAD_HOST, SPECIAL, URI, class, exact_ai, percent_decode};
use crate::code::gs1::lint::{LintContext, validate_value};
use crate::code::input::MAX_INPUT;
use crate::code::{ParseOptions, TraceKey};

mod value;

/// Path pairs the path takes: a key and at most three qualifiers (the longest `dlpkey` alternative, 22/10/21,
/// has three), so a longer run of pairs is an error the full parser reports.
const PATH_PAIRS: usize = 4;
/// Query attributes the path takes (more go to the full parser; the element limit is far above).
const ATTRS: usize = 8;
/// Elements at most: the path pairs and the attributes.
const ELEMS: usize = PATH_PAIRS + ATTRS;
/// The full parser decodes a value into 96 bytes and refuses a longer one.
const DECODE_MAX: usize = 96;
/// Room for copied values (decoded or zero-padded); a link needing more goes to the full parser.
const SCRATCH: usize = 256;

/// One `AI/value` pair: its definition and the raw value's byte range in the input.
#[derive(Clone, Copy)]
struct Pair {
    def: &'static AiDef,
    vstart: usize,
    vend: usize,
    /// A query attribute (`+` is a space there).
    query: bool,
}

/// Where a value's bytes are: in the input as given, or copied into the scratch buffer.
#[derive(Clone, Copy, Default)]
struct Value {
    scratch: bool,
    start: usize,
    end: usize,
}

/// The key of `input` when it is a Digital Link URI this path fully validates; `None` otherwise (the full
/// parser then decides).
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    if input.len() > MAX_INPUT {
        return None;
    }
    let host_start = if input.starts_with(b"https://") {
        8
    } else if input.starts_with(b"http://") {
        7
    } else {
        return None;
    };
    let layout = layout(input, host_start)?;

    // The pairs from the end of the path: the first whose AI is a primary key starts the GS1 part (everything
    // before it is the stem), as in the full parser's `scan_path`.
    let mut pairs = [None::<Pair>; PATH_PAIRS];
    let mut n = 0;
    let mut end = layout.path_end;
    loop {
        let sv = rfind_slash(input, layout.host_end, end)?;
        let sa = rfind_slash(input, layout.host_end, sv)?;
        let seg = input.get(sa + 1..sv)?;
        // Convenience alphas (`/gtin/…`) are off by default: a segment must be AI digits.
        if !seg.first()?.is_ascii_digit() {
            return None;
        }
        let def = exact_ai(seg)?;
        *pairs.get_mut(n)? = Some(Pair { def, vstart: sv + 1, vend: end, query: false });
        n += 1;
        if def.is_dl_primary_key() {
            break;
        }
        end = sa;
    }
    // Path order: the key first, then the qualifiers.
    let path = pairs.get_mut(..n)?;
    path.reverse();
    let (key, quals) = match &*path {
        [Some(key), quals @ ..] => (*key, quals),
        _ => return None,
    };
    let alts = key.def.dlpkey.unwrap_or(&[]);
    // The qualifiers follow the key's `dlpkey` order within one alternative (the full parser's
    // `check_qualifiers`); a repeated or foreign qualifier fits none.
    if !quals.is_empty() && !alts.iter().any(|alt| in_order(alt, quals)) {
        return None;
    }

    let mut elems = [None::<Pair>; ELEMS];
    for (slot, p) in elems.iter_mut().zip(path.iter()) {
        *slot = *p;
    }
    let mut count = n;
    // Query parameters: a numeric name with `=` is a data attribute; anything else (`linkType`, `lang`, an empty
    // parameter, a name without `=`) carries no identity and cannot fail.
    let mut p = layout.query_start;
    while p < layout.query_end {
        let end = find_in(input, p, layout.query_end, b'&');
        let eq = find_in(input, p, end, b'=');
        let name = input.get(p..eq)?;
        if eq < end && !name.is_empty() && name.iter().all(u8::is_ascii_digit) {
            let def = exact_ai(name)?;
            // Not a data attribute (8200, a qualifier such as 21), or repeated: the full parser's errors.
            if !def.dl_attr || elems.iter().flatten().any(|e| std::ptr::eq(e.def, def)) {
                return None;
            }
            // A qualifier of the key that the path could have held belongs in the path.
            let has = |alt: &[&str], ai: &str| alt.iter().any(|a| ai_eq(a, ai));
            if alts.iter().any(|a| has(a, def.ai) && quals.iter().flatten().all(|q| has(a, q.def.ai))) {
                return None;
            }
            *elems.get_mut(count)? = Some(Pair { def, vstart: eq + 1, vend: end, query: true });
            count += 1;
        }
        p = end + 1;
    }
    let elems = elems.get(..count)?;

    // Values: copied only when percent-encoded or zero-suppressed, then checked against the dictionary.
    let mut scratch = [0u8; SCRATCH];
    let mut used = 0;
    let mut values = [Value::default(); ELEMS];
    for (e, v) in elems.iter().flatten().zip(values.iter_mut()) {
        *v = locate(input, e, layout.escaped, &mut scratch, &mut used)?;
    }
    // One UTF-8 check each for the input (URI characters are ASCII) and the copies; values are slices of them.
    let text = std::str::from_utf8(input).ok()?;
    let copies = std::str::from_utf8(scratch.get(..used)?).ok()?;
    let mut year = None;
    let mut texts: [(&'static str, &str); ELEMS] = [("", ""); ELEMS];
    for ((e, v), t) in elems.iter().flatten().zip(values.iter()).zip(texts.iter_mut()) {
        let value = if v.scratch { copies.get(v.start..v.end)? } else { text.get(v.start..v.end)? };
        // The common values pass a few compares; the rest, and any doubt, the dictionary's own validator.
        if !value::surely_valid(e.def, value.as_bytes()) {
            let current_year = *year.get_or_insert_with(|| ParseOptions::new().effective_year());
            validate_value(e.def, value.as_bytes(), &LintContext { current_year }).ok()?;
        }
        *t = (e.def.ai, value);
    }
    if !pairings_hold(elems) {
        return None;
    }
    let texts = texts.get(..count)?;
    TraceKey::from_elements(|| texts.iter().copied()).ok()
}

/// Where the parts of the URI end (as the full parser's `check_authority` finds them).
struct Layout {
    /// The `/` that starts the path.
    host_end: usize,
    /// The first `?` before any `#`, or the end of the query.
    path_end: usize,
    query_start: usize,
    /// A `#` (the fragment is ignored) or the end of the input.
    query_end: usize,
    /// A `%` or `+` occurs before `query_end`: values may need decoding.
    escaped: bool,
}

/// Checks the host and every byte of the rest (each must be a URI character, the host's a host character), and
/// finds the parts. `None` for any byte the full parser refuses, and for an empty host or path.
fn layout(input: &[u8], host_start: usize) -> Option<Layout> {
    let rest = input.get(host_start..)?;
    let host_len = rest.iter().position(|&c| c == b'/')?;
    let host = rest.get(..host_len)?;
    if host.is_empty() || !host.iter().all(|&c| class(c) & (URI | BAD_HOST) == URI) {
        return None;
    }
    let host_end = host_start + host_len;
    let mut path_end = None;
    let mut query_end = input.len();
    let mut escaped = false;
    let tail = input.get(host_end..)?;
    for (i, &c) in tail.iter().enumerate() {
        let k = class(c);
        // Ordinary URI characters: one table lookup.
        if k & (URI | SPECIAL) == URI {
            continue;
        }
        if k & URI == 0 {
            return None;
        }
        match c {
            b'?' if path_end.is_none() => path_end = Some(host_end + i),
            b'%' | b'+' => escaped = true,
            b'#' => {
                query_end = host_end + i;
                // The fragment is ignored, but its characters must still be URI characters.
                if !tail.get(i..)?.iter().all(|&c| class(c) & URI != 0) {
                    return None;
                }
                break;
            }
            _ => {}
        }
    }
    let path_end = path_end.unwrap_or(query_end);
    Some(Layout { host_end, path_end, query_start: (path_end + 1).min(query_end), query_end, escaped })
}

/// Do `quals` (in path order) follow `alt`'s order, each after the one before?
fn in_order(alt: &[&str], quals: &[Option<Pair>]) -> bool {
    let mut it = alt.iter();
    quals.iter().all(|q| q.is_some_and(|q| it.by_ref().any(|a| ai_eq(a, q.def.ai))))
}

/// Equality of AI digit strings, inlined: AIs are 2-4 bytes, where a `memcmp` call costs more than the compare.
#[inline]
fn ai_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// The value of pair `e`: its input bytes, or a copy in `scratch` when percent-decoding or zero-padding changes
/// them (as the full parser's `add_item` does; `escaped`: the link holds a `%` or `+` at all). `None` when
/// decoding fails (`%00`) or the copy does not fit.
fn locate(input: &[u8], e: &Pair, escaped: bool, scratch: &mut [u8; SCRATCH], used: &mut usize) -> Option<Value> {
    let raw = input.get(e.vstart..e.vend)?;
    let mut v = Value { scratch: false, start: e.vstart, end: e.vend };
    if escaped && raw.iter().any(|&c| c == b'%' || (e.query && c == b'+')) {
        let out = scratch.get_mut(*used..(*used + DECODE_MAX).min(SCRATCH))?;
        let (len, _) = percent_decode(raw, e.query, out).ok()?;
        v = Value { scratch: true, start: *used, end: *used + len };
        *used += len;
    }
    // A zero-suppressed GTIN-8/12/13 in (01) is padded to 14 digits (the full parser warns, and accepts).
    let len = v.end - v.start;
    if e.def.ai == "01" && matches!(len, 8 | 12 | 13) {
        let digits = if v.scratch { scratch.get(v.start..v.end)? } else { raw };
        if digits.iter().all(u8::is_ascii_digit) {
            let mut padded = [b'0'; 14];
            padded.get_mut(14 - len..)?.copy_from_slice(digits);
            scratch.get_mut(*used..*used + 14)?.copy_from_slice(&padded);
            v = Value { scratch: true, start: *used, end: *used + 14 };
            *used += 14;
        }
    }
    Some(v)
}

/// The pairing rules (`req=` / `ex=`) as `lint::check_pairings` decides them: `req` by the dictionary's
/// precompiled bits (exact), `ex` by its hashed hint and, where the hint flags a possible conflict, by the
/// patterns themselves (an AI such as 3103 excludes its own family, `310n`, so its hint always fires).
fn pairings_hold(elems: &[Option<Pair>]) -> bool {
    let defs = || elems.iter().flatten().map(|e| e.def);
    let (req_present, ex_present) =
        defs().fold((0u128, 0u64), |(r, x), d| (r | d.pairing.req_matches, x | d.pairing.ex_hint));
    defs().all(|d| {
        let req = d.pairing.req.iter().all(|rule| rule.iter().any(|&m| m & !req_present == 0));
        let ex = d.pairing.ex_mask & ex_present == 0
            || d.ex.iter().all(|pat| !defs().any(|o| o.ai != d.ai && pattern_matches(pat, o.ai)));
        req && ex
    })
}

/// Position of the last `/` in `b[from..to]`.
fn rfind_slash(b: &[u8], from: usize, to: usize) -> Option<usize> {
    b.get(from..to)?.iter().rposition(|&c| c == b'/').map(|i| from + i)
}

/// Position of the first `c` in `b[from..to]`, or `to`.
fn find_in(b: &[u8], from: usize, to: usize, c: u8) -> usize {
    b.get(from..to).and_then(|r| r.iter().position(|&x| x == c)).map_or(to, |i| from + i)
}

#[cfg(test)]
mod tests;
