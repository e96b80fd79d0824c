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
use crate::code::gs1::digital_link::{exact_ai, percent_decode};
use crate::code::gs1::lint::{LintContext, validate_value};
use crate::code::input::MAX_INPUT;
use crate::code::{ParseOptions, TraceKey};

use super::hot::Hot;
use super::hot_elements::Found;
use super::value;

/// Path pairs the path takes: a key and at most three qualifiers (the longest `dlpkey` alternative, 22/10/21,
/// has three), so a longer run of pairs is an error the full parser reports.
const PATH_PAIRS: usize = 4;
/// Query attributes the path takes (more go to the full parser; the element limit is far above).
const ATTRS: usize = 6;
/// Elements at most: the path pairs and the attributes.
const ELEMS: usize = PATH_PAIRS + ATTRS;
/// The full parser decodes a value into 96 bytes and refuses a longer one.
const DECODE_MAX: usize = 96;
/// Room for copied values (decoded or zero-padded); a link needing more goes to the full parser.
const SCRATCH: usize = 256;

/// Byte kinds of the forward pass, one table load per byte.
mod kind {
    /// A URI character (RFC 3986 unreserved or reserved, or `%`): the full parser's `URI` class.
    pub(super) const URI: u8 = 1;
    /// A URI character that ends a part or may need decoding: `? # % +`.
    pub(super) const LOOK: u8 = 2;
    /// A URI character allowed in a host name: the full parser's `URI` class without its `BAD_HOST`, and not the
    /// `/` that ends the host.
    pub(super) const HOST: u8 = 4;

    /// The kinds of every byte; `kinds_match_the_full_parser` checks them against the full parser's classes.
    pub(super) static TABLE: [u8; 256] = {
        const fn mark(mut t: [u8; 256], mut set: &[u8], bits: u8) -> [u8; 256] {
            while let [c, rest @ ..] = set {
                #[allow(clippy::indexing_slicing, reason = "const evaluation: a u8 index is always in range")]
                {
                    t[*c as usize] |= bits;
                }
                set = rest;
            }
            t
        }
        let t = mark([0; 256], b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", URI | HOST);
        let t = mark(t, b":[]", URI | HOST);
        // `/` ends the host.
        let t = mark(t, b"/_~@!$&'()*,;=", URI);
        mark(t, b"?#%+", URI | LOOK)
    };

    /// The kind bits of `b`.
    #[inline]
    pub(super) fn of(b: u8) -> u8 {
        TABLE.get(usize::from(b)).copied().unwrap_or(0)
    }
}

/// One element: its definition and its raw value's byte range in the input.
#[derive(Clone, Copy)]
struct Pair {
    def: &'static AiDef,
    vstart: usize,
    vend: usize,
    /// A query attribute (`+` is a space there).
    query: bool,
}

/// Where a value's bytes are.
#[derive(Clone, Copy)]
enum Source {
    /// The input's bytes at the element's range.
    Input,
    /// A decoded or padded copy, at this range of the scratch buffer.
    Scratch(usize, usize),
}

/// Where the parts of the URI end (as the full parser's `check_authority` finds them).
struct Layout {
    /// The `/` that starts the path.
    host_end: usize,
    /// The first `?` before any `#`, or the end of the query.
    path_end: usize,
    /// A `#` (the fragment is ignored) or the end of the input.
    query_end: usize,
    /// A `%` or `+` occurs before `query_end`: values may need decoding.
    escaped: bool,
}

/// The key of `input` when it is a Digital Link URI this path fully validates; `None` otherwise (the full
/// parser then decides).
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    if input.len() > MAX_INPUT {
        return None;
    }
    let host_start = match input.get(..8)? {
        b"https://" => 8,
        [b'h', b't', b't', b'p', b':', b'/', b'/', _] => 7,
        _ => return None,
    };
    let layout = layout(input, host_start)?;

    // The pairs from the end of the path: the first whose AI is a primary key starts the GS1 part (everything
    // before it is the stem), as in the full parser's `scan_path`. Each byte is looked at once.
    let mut elems = [None::<Pair>; ELEMS];
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
        *elems.get_mut(n).filter(|_| n < PATH_PAIRS)? = Some(Pair { def, vstart: sv + 1, vend: end, query: false });
        n += 1;
        if def.is_dl_primary_key() {
            break;
        }
        end = sa;
    }
    // Path order: the key first, then the qualifiers.
    let path = elems.get_mut(..n)?;
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
    let count = attributes(input, &layout, key.def, &mut elems, n)?;
    let elems = elems.get(..count)?;

    // Values: copied only when percent-encoded or zero-suppressed, then checked against the dictionary.
    let mut scratch = [0u8; SCRATCH];
    let mut used = 0;
    let mut sources = [Source::Input; ELEMS];
    for (e, src) in elems.iter().flatten().zip(sources.iter_mut()) {
        *src = copy(input, e, layout.escaped, &mut scratch, &mut used)?;
    }
    // Values are byte slices of the input (every byte a URI character, so ASCII: `layout` checked) or of the
    // copies; the dictionary's validator refuses any byte outside the AI's character set.
    let copies = scratch.get(..used)?;
    let mut year = None;
    let mut texts: [(&'static str, &[u8]); ELEMS] = [("", &[]); ELEMS];
    // The hot AIs present, and whether any other is (see `Hot`; `attributes` refused repeats).
    let hot = Hot::get();
    let (mut found, mut cold) = (Found::default(), false);
    for ((e, src), t) in elems.iter().flatten().zip(sources).zip(texts.iter_mut()) {
        let value = match src {
            Source::Input => input.get(e.vstart..e.vend)?,
            Source::Scratch(start, end) => copies.get(start..end)?,
        };
        // The common values pass a few compares; the rest, and any doubt, the dictionary's own validator.
        let sure = if let Some(bit) = hot.bit(e.def) {
            found.note(bit, value);
            hot.surely_valid(bit, value)
        } else {
            cold = true;
            value::surely_valid(e.def, value)
        };
        if !sure {
            let current_year = *year.get_or_insert_with(|| ParseOptions::new().effective_year());
            validate_value(e.def, value, &LintContext { current_year }).ok()?;
        }
        *t = (e.def.ai, value);
    }
    if !cold {
        // Every AI hot: the set's pairing verdict and the key of its identification key and qualifier.
        return found.key(hot);
    }
    if !pairings_hold(elems) {
        return None;
    }
    let texts = texts.get(..count)?;
    TraceKey::from_elements(|| texts.iter().copied()).ok()
}

/// Checks the host and every byte after it (each must be a URI character, the host's a host character) and
/// finds the parts. `None` for any byte the full parser refuses, and for an empty host or path.
fn layout(input: &[u8], host_start: usize) -> Option<Layout> {
    let rest = input.get(host_start..)?;
    let host_len = rest.iter().position(|&c| kind::of(c) & kind::HOST == 0)?;
    let host_end = host_start + host_len;
    if host_len == 0 || rest.get(host_len) != Some(&b'/') {
        return None;
    }
    let mut layout = Layout { host_end, path_end: input.len(), query_end: input.len(), escaped: false };
    let mut query = None;
    // Eight bytes at a time: most chunks are ordinary URI characters and take no branch per byte.
    let tail = input.get(host_end..)?;
    let mut chunks = tail.chunks_exact(8);
    let mut at = host_end;
    for chunk in &mut chunks {
        let (all, any) = chunk.iter().fold((kind::URI, 0), |(all, any), &c| (all & kind::of(c), any | kind::of(c)));
        if (all == 0 || any & kind::LOOK != 0) && look(input, chunk, at, &mut layout, &mut query)? {
            return Some(layout);
        }
        at += 8;
    }
    look(input, chunks.remainder(), at, &mut layout, &mut query)?;
    Some(layout)
}

/// [`layout`] byte by byte over `bytes` (at `at` in `input`): `None` on a byte that is not a URI character;
/// `Some(true)` once a `#` ends the query (the fragment's characters are checked too, then ignored).
fn look(input: &[u8], bytes: &[u8], at: usize, layout: &mut Layout, query: &mut Option<usize>) -> Option<bool> {
    for (i, &c) in bytes.iter().enumerate() {
        let k = kind::of(c);
        if k & kind::URI == 0 {
            return None;
        }
        if k & kind::LOOK == 0 {
            continue;
        }
        match c {
            b'?' if query.is_none() => {
                *query = Some(at + i);
                layout.path_end = at + i;
            }
            b'#' => {
                layout.query_end = at + i;
                if query.is_none() {
                    layout.path_end = at + i;
                }
                let fragment = input.get(at + i..)?;
                return fragment.iter().all(|&c| kind::of(c) & kind::URI != 0).then_some(true);
            }
            b'%' | b'+' => layout.escaped = true,
            _ => {}
        }
    }
    Some(false)
}

/// The query's data attributes after the `n` path pairs in `elems` (the full parser's query loop and
/// `query_attribute`): a numeric name with `=` is an AI, which must be a data attribute, not repeated, and not a
/// qualifier of the key that the path could have held. Anything else (`linkType`, `lang`, an empty parameter, a
/// name without `=`) carries no identity and cannot fail. Returns the element count.
fn attributes(
    input: &[u8],
    layout: &Layout,
    key: &AiDef,
    elems: &mut [Option<Pair>; ELEMS],
    n: usize,
) -> Option<usize> {
    let alts = key.dlpkey.unwrap_or(&[]);
    let mut count = n;
    let mut p = (layout.path_end + 1).min(layout.query_end);
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
            let quals = elems.get(1..n)?;
            let has = |alt: &[&str], ai: &str| alt.iter().any(|a| ai_eq(a, ai));
            if alts.iter().any(|a| has(a, def.ai) && quals.iter().flatten().all(|q| has(a, q.def.ai))) {
                return None;
            }
            *elems.get_mut(count)? = Some(Pair { def, vstart: eq + 1, vend: end, query: true });
            count += 1;
        }
        p = end + 1;
    }
    Some(count)
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

/// Where `e`'s value is: a copy in `scratch` when percent-decoding or zero-padding changes it (as the full
/// parser's `add_item` does; `escaped`: the link holds a `%` or `+` at all), or the input's own bytes. `None`
/// when decoding fails (`%00`) or the copy does not fit.
fn copy(input: &[u8], e: &Pair, escaped: bool, scratch: &mut [u8; SCRATCH], used: &mut usize) -> Option<Source> {
    let raw = input.get(e.vstart..e.vend)?;
    let mut v = None;
    if escaped && raw.iter().any(|&c| c == b'%' || (e.query && c == b'+')) {
        let out = scratch.get_mut(*used..(*used + DECODE_MAX).min(SCRATCH))?;
        let (len, _) = percent_decode(raw, e.query, out).ok()?;
        v = Some((*used, *used + len));
        *used += len;
    }
    // A zero-suppressed GTIN-8/12/13 in (01) is padded to 14 digits (the full parser warns, and accepts).
    let len = v.map_or(raw.len(), |(s, e)| e - s);
    if matches!(len, 8 | 12 | 13) && ai_eq(e.def.ai, "01") {
        let digits = match v {
            Some((s, e)) => scratch.get(s..e)?,
            None => raw,
        };
        if digits.iter().all(u8::is_ascii_digit) {
            let mut padded = [b'0'; 14];
            padded.get_mut(14 - len..)?.copy_from_slice(digits);
            scratch.get_mut(*used..*used + 14)?.copy_from_slice(&padded);
            v = Some((*used, *used + 14));
            *used += 14;
        }
    }
    Some(v.map_or(Source::Input, |(start, end)| Source::Scratch(start, end)))
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
