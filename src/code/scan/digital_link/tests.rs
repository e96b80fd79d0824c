//! The Digital Link fast path against the full parser: same verdict, same key, same error (kind, offset,
//! length) on the conformance vectors, on every Digital Link the crate's own sources and tests spell out, on
//! generated links and on mutations of them; and the fast path must actually fire on the shapes it is for.

use std::path::Path;

use proptest::prelude::*;

use super::fast_key;
use crate::code::{TraceKey, parse, scan_key};

/// Compares `fast_key`, `scan_key` and `parse(..)?.trace_key()` on `input`; returns the fast path's answer.
fn agree(input: &[u8]) -> Result<Option<TraceKey>, String> {
    let shown = String::from_utf8_lossy(input);
    let full = parse(input).and_then(|c| c.trace_key());
    let fast = fast_key(input);
    // `scan_key` offers only Digital Link shapes to this path (the rest go to the trace-URL path).
    if fast.is_some() && !crate::code::gs1::digital_link::dl_shaped(input, true) {
        return Err(format!("{shown:?}: the fast path accepted a link that is not Digital Link shaped"));
    }
    if let Some(k) = &fast
        && full.as_ref().ok() != Some(k)
    {
        return Err(format!("{shown:?}: the fast path accepted with {k:?}, the full parser says {full:?}"));
    }
    match (scan_key(input), &full) {
        (Ok(a), Ok(b)) if a == *b => {}
        (Err(a), Err(b)) if (a.kind(), a.offset(), a.len()) == (b.kind(), b.offset(), b.len()) => {}
        (scan, _) => return Err(format!("{shown:?}: scan_key gives {scan:?}, the full parser {full:?}")),
    }
    Ok(fast)
}

fn assert_agree(input: &str) -> Option<TraceKey> {
    agree(input.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// The forms the fast path is for: each must be taken by it, with the full parser's key.
#[test]
fn fires_on_the_dominant_shapes() {
    let shapes = [
        "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789?17=261231",
        "https://id.gs1.org/01/09506000134352",
        "https://id.gs1.org/01/09506000134352/10/ABC123",
        "https://id.gs1.org/01/09506000134352/21/XYZ789",
        "https://id.gs1.org/01/09506000134352/22/2A/10/ABC123/21/XYZ789",
        "https://id.gs1.org/01/09506000134352/235/TPX1?10=L",
        "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789?17=261231&3103=000195&11=260101",
        "http://id.gs1.org/01/09506000134352/21/XYZ789",
        // Other domains, ports, addresses, upper-case hosts, custom path prefixes, a stem that looks like a key.
        "https://brand.example.com/01/09506000134352/10/AB%2F1?17=261231&lang=en",
        "https://example.com/shop/products/01/09506000134352/21/XYZ789?17=261231",
        "https://a:8080/x/y/01/09506000134352/21/S1",
        "https://192.0.2.1/01/09506000134352/21/S1",
        "https://[2001:db8::1]/01/09506000134352/21/S1",
        "https://ID.GS1.ORG/01/09506000134352/21/S1",
        "https://a/00/faux/01/09506000134352/21/S1",
        // Query strings: non-AI parameters, empty parameters, names without values, a fragment.
        "https://id.gs1.org/01/09506000134352/21/S1?linkType=gs1:pip&17=261231&lang=en&flag&&x=a+b%21#frag?17=1",
        "https://id.gs1.org/01/09506000134352/21/S1?17=261200",
        "https://id.gs1.org/01/09506000134352/21/S1?",
        "https://id.gs1.org/01/09506000134352/21/S1#",
        // Percent-encoding (either case), a `%` that is not an escape, `+` literal in the path.
        "https://id.gs1.org/01/09506000134352/10/A%2FB%2B1/21/%4a%4B",
        "https://id.gs1.org/01/09506000134352/10/A%2/21/A+B",
        "https://id.gs1.org/01/09506000134352/21/S1?90=A%2BB",
        "https://id.gs1.org/01/%30%39506000134352/21/S1",
        // Zero-suppressed GTINs.
        "https://id.gs1.org/01/9506000134352/21/S1",
        "https://id.gs1.org/01/036000291452",
        "https://id.gs1.org/01/40170725",
        // The other primary keys.
        "https://id.gs1.org/00/106141412345678908",
        "https://id.gs1.org/414/0614141123452/254/5678",
        "https://id.gs1.org/414/0614141123452/254/0",
        "https://id.gs1.org/417/0614141123452",
        "https://id.gs1.org/8003/006141411234525678",
        "https://id.gs1.org/8004/061414132a%2Fb",
        "https://id.gs1.org/8006/040123451234560102/21/981",
        "https://id.gs1.org/8010/06141415PQ7%2FZ43/8011/12345",
        "https://id.gs1.org/8018/061414112345678902",
        "https://id.gs1.org/253/4602443000331XYZ",
        "https://id.gs1.org/00/106141412345678908?01=09506000134352",
    ];
    for s in shapes {
        let fast = assert_agree(s);
        assert!(fast.is_some(), "the fast path did not take {s}");
    }
}

/// The fast path takes no input that the full parser refuses, and leaves unusual spellings to it.
#[test]
fn declines_what_it_must() {
    for s in [
        // Errors of every kind: check digit, order, attributes, characters, escapes, dates, pairings, lengths.
        "https://id.gs1.org/01/09506000134353",
        "https://a/01/09506000134352/21/S/10/L",
        "https://a/01/09506000134352?10=L",
        "https://a/01/09506000134352?21=S",
        "https://a/01/09506000134352?17=261231&17=261231",
        "https://a/01/09506000134352?8200=http%3A%2F%2Fx",
        "https://a/01/09506000134352?99999=1",
        "https://a/01/09506000134352?17=261331",
        "https://a/01/09506000134352?17=270229",
        "https://a/01/09506000134352?17=",
        "https://a/01/09506000134352?37=10",
        "https://a/01/09506000134352?90=A+B",
        "https://a/01/09506000134352/10/A%00",
        "https://a/01/09506000134352/10/%41%5C",
        "https://a/01/09506000134352/10/ABCDEFGHIJKLMNOPQRSTU",
        "https://a/01/09506000134352/",
        "https://a/01/0950600013 4352",
        "https://a$/01/09506000134352",
        "https:///01/09506000134352",
        "https://a",
        // Spellings the full parser accepts, with normalisation or options the path does not repeat.
        " https://a/01/09506000134352",
        "https://a/01/09506000134352\r\n",
        "https://a/gtin/09506000134352",
        "https://a/01/09506000134352/22/V/10/L/21/S/x/y",
    ] {
        assert!(assert_agree(s).is_none(), "the fast path took {s}");
    }
}

/// Every Digital Link primary key of the dictionary is one the detector recognises as a Digital Link path: a
/// link the fast path accepts is judged as a Digital Link alone, never also as a URL wrapping another code.
#[test]
fn every_primary_key_makes_a_digital_link_shape() {
    for def in crate::code::gs1::ai::all().iter().filter(|d| d.is_dl_primary_key()) {
        let url = format!("https://a/{}/1", def.ai);
        assert!(crate::code::gs1::digital_link::dl_shaped(url.as_bytes(), false), "{}", def.ai);
    }
}

/// The inputs of the conformance vectors (every file: a row of another scheme must simply not be taken).
#[test]
fn conformance_vectors_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let (mut links, mut taken) = (0, 0);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tsv") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some(input) = line.split('\t').nth(1).filter(|_| !line.starts_with('#')) else { continue };
            // Escaped bytes (`\x1D`, ...) only occur in other schemes' rows; those rows are read as written.
            let fast = agree(input.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            links += usize::from(input.starts_with("http"));
            taken += usize::from(fast.is_some());
        }
    }
    assert!(links >= 40 && taken >= 25, "{links} links, {taken} taken by the fast path");
}

/// Every Digital Link the crate's sources and tests spell out as a string literal (the full parser's own unit
/// tests, the detector's, the store's, the CLI's...).
#[test]
fn links_in_the_sources_agree() {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split('"').skip(1).step_by(2) {
                    if piece.starts_with("http") && !piece.contains(['\\', '{', '}']) {
                        out.push(piece.to_owned());
                    }
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut links = Vec::new();
    walk(&root.join("src"), &mut links);
    walk(&root.join("tests"), &mut links);
    links.sort();
    links.dedup();
    assert!(links.len() >= 80, "{} links found", links.len());
    let taken = links.iter().filter(|s| assert_agree(s).is_some()).count();
    assert!(taken >= 30, "{taken} of {} taken by the fast path", links.len());
}

// ---------------------------------------------------------------------------------------------------------------
// Generated links.

fn with_check(body: &str) -> String {
    let c = crate::code::check::gs1_check_digit(body.as_bytes()).unwrap();
    format!("{body}{}", char::from(c))
}

/// A numeric key with a valid check digit: `n` digits in all.
fn checked(n: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{}}}", n - 1)).unwrap().prop_map(|b| with_check(&b))
}

/// A CSET 82 value of 1..=max characters.
fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{{1,{max}}}")).unwrap()
}

/// Percent-encodes `v` for a path segment (`query`: a query value): the characters that must be escaped always,
/// others when `extra` says so (bit per character), with upper- or lower-case hex.
fn encode(v: &str, query: bool, extra: u64, lower: bool) -> String {
    let mut out = String::new();
    for (i, c) in v.chars().enumerate() {
        let must = matches!(c, '/' | '?' | '#' | '%' | '"' | '<' | '>') || (query && matches!(c, '&' | '+' | '='));
        if must || (extra >> (i % 64)) & 1 == 1 {
            let e = format!("%{:02X}", u32::from(c));
            out.push_str(&if lower { e.to_lowercase() } else { e });
        } else {
            out.push(c);
        }
    }
    out
}

const STEMS: &[&str] = &[
    "https://id.gs1.org",
    "http://id.gs1.org",
    "https://example.com",
    "https://EXAMPLE.COM",
    "https://a:8080/x/y",
    "https://brand.example.com/shop/products",
    "https://192.0.2.1",
    "https://[2001:db8::1]",
    "https://a/00/faux",
];

/// The GS1 part of a link: path pairs (key first), then query attributes; values unencoded.
type Parts = (Vec<(&'static str, String)>, Vec<(&'static str, String)>);

/// A date for AI 17 and friends (YYMMDD; DD = 00 allowed), mostly valid: 29 February in leap and common years,
/// day 31 of 30-day months and month 13 too.
fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u8..100, 1u8..13, 0u8..29),
        1 => (0u8..100, 0u8..14, 29u8..33),
    ]
    .prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

/// GTIN links: the key (sometimes zero-suppressed), qualifiers from one alternative, data attributes.
fn gtin_parts() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![checked(14), checked(13), checked(12), checked(8)],
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(28)),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of("[0-9]{6}"),
        proptest::option::of(cset82(30)),
    )
        .prop_map(|(gtin, cpv, lot, ser, tpx, exp, prod, weight, info)| {
            let mut path = vec![("01", gtin)];
            let mut attrs = Vec::new();
            if let Some(t) = tpx {
                path.push(("235", t));
                attrs.extend(lot.map(|l| ("10", l)));
            } else {
                path.extend(cpv.map(|v| ("22", v)));
                path.extend(lot.map(|l| ("10", l)));
                path.extend(ser.map(|s| ("21", s)));
            }
            attrs.extend(exp.map(|d| ("17", d)));
            attrs.extend(prod.map(|d| ("11", d)));
            attrs.extend(weight.map(|w| ("3103", w)));
            attrs.extend(info.map(|i| ("90", i)));
            (path, attrs)
        })
}

/// Links of the other primary keys.
fn other_parts() -> impl Strategy<Value = Parts> {
    prop_oneof![
        checked(18).prop_map(|s| (vec![("00", s)], vec![])),
        (checked(13), proptest::option::of(cset82(20))).prop_map(|(g, ext)| {
            let mut path = vec![("414", g)];
            path.extend(ext.map(|e| ("254", e)));
            (path, vec![])
        }),
        checked(13).prop_map(|g| (vec![("417", g)], vec![])),
        (checked(14), "[0-9]{4}", proptest::option::of(cset82(20))).prop_map(|(g, pc, ser)| {
            let mut path = vec![("8006", format!("{g}{pc}"))];
            path.extend(ser.map(|s| ("21", s)));
            (path, vec![])
        }),
        ("[0-9]{4,7}", cset82(20)).prop_map(|(gcp, r)| (vec![("8004", format!("{gcp}{r}"))], vec![])),
        ("[0-9]{4,7}[0-9A-Z#/-]{0,10}", proptest::option::of("[0-9]{1,12}")).prop_map(|(c, ser)| {
            let mut path = vec![("8010", c)];
            path.extend(ser.map(|s| ("8011", s)));
            (path, vec![])
        }),
        (checked(13), proptest::option::of(cset82(17)))
            .prop_map(|(g, ser)| { (vec![("253", format!("{g}{}", ser.unwrap_or_default()))], vec![]) }),
        (checked(13), proptest::option::of(cset82(16)))
            .prop_map(|(g, ser)| { (vec![("8003", format!("0{g}{}", ser.unwrap_or_default()))], vec![]) }),
    ]
}

/// Non-AI query parameters.
fn extras() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop::sample::select(vec!["linkType=gs1:pip", "lang=en", "flag", "", "x=a+b%21", "17", "q=%zz", "t=1=2"]),
        0..3,
    )
    .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

/// A link: stem, path, query (attributes and extras shuffled by `seed`), optional fragment.
fn link() -> impl Strategy<Value = String> {
    (
        prop::sample::select(STEMS),
        prop_oneof![3 => gtin_parts(), 1 => other_parts()],
        extras(),
        any::<u64>(),
        any::<bool>(),
        prop::sample::select(vec!["", "#", "#frag", "#/21/X?17=1"]),
    )
        .prop_map(|(stem, (path, attrs), extras, seed, lower, frag)| {
            let mut s = stem.to_owned();
            for (i, (ai, v)) in path.iter().enumerate() {
                s.push('/');
                s.push_str(ai);
                s.push('/');
                s.push_str(&encode(v, false, seed.rotate_left(u32::try_from(i).unwrap() * 7) & 0x1111, lower));
            }
            let mut params: Vec<String> = attrs
                .iter()
                .enumerate()
                .map(|(i, (ai, v))| {
                    format!(
                        "{ai}={}",
                        encode(v, true, seed.rotate_right(u32::try_from(i).unwrap() * 5) & 0x0101, lower)
                    )
                })
                .collect();
            params.extend(extras);
            // A deterministic shuffle: attribute order in the query is free.
            let len = params.len();
            for i in (1..len).rev() {
                params.swap(i, usize::try_from(seed.rotate_left(u32::try_from(i).unwrap()) % (i as u64 + 1)).unwrap());
            }
            if !params.is_empty() {
                s.push('?');
                s.push_str(&params.join("&"));
            }
            s.push_str(frag);
            s
        })
}

/// One edit of a link.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at (position modulo length) with this byte.
    Flip(usize, u8),
    /// Keep the first (position modulo length + 1) bytes.
    Truncate(usize),
    Delete(usize),
    Insert(usize, u8),
    /// Percent-encode the byte at the position (upper- or lower-case hex).
    Encode(usize, bool),
    /// Decode the first escape at or after the position.
    Decode(usize),
    /// Swap two query parameters.
    SwapParams(usize, usize),
    UpperHost,
    UpperAll,
    Append(&'static str),
    Prepend(&'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(b"/?#%&=+09aAzZ._~-: \x1d\x00\xc3\xff".to_vec());
    prop_oneof![
        (any::<usize>(), prop_oneof![special.clone(), any::<u8>()]).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), special).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<bool>()).prop_map(|(i, l)| Mutation::Encode(i, l)),
        any::<usize>().prop_map(Mutation::Decode),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::SwapParams(i, j)),
        Just(Mutation::UpperHost),
        Just(Mutation::UpperAll),
        prop::sample::select(vec!["/", "&", "?", "#", "%", "%2", "/21/X", "?17=261231", " ", "\n", "&17=261231"])
            .prop_map(Mutation::Append),
        prop::sample::select(vec![" ", "\u{feff}", "]Q1", "x"]).prop_map(Mutation::Prepend),
    ]
}

fn apply(s: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    let len = s.len();
    match *m {
        Mutation::Flip(i, b) if len > 0 => s[at(i, len)] = b,
        Mutation::Truncate(i) => s.truncate(at(i, len) + 1),
        Mutation::Delete(i) if len > 0 => {
            s.remove(at(i, len));
        }
        Mutation::Insert(i, b) => s.insert(at(i, len + 1), b),
        Mutation::Encode(i, lower) if len > 0 => {
            let i = at(i, len);
            let e = format!("%{:02X}", s[i]);
            let e = if lower { e.to_lowercase() } else { e };
            s.splice(i..=i, e.bytes());
        }
        Mutation::Decode(i) => {
            let from = at(i, len);
            if let Some(p) = s[from..].windows(3).position(|w| w[0] == b'%')
                && let (Some(h), Some(l)) = (crate::hex::digit(s[from + p + 1]), crate::hex::digit(s[from + p + 2]))
            {
                s.splice(from + p..from + p + 3, [h << 4 | l]);
            }
        }
        Mutation::SwapParams(i, j) => {
            let Some(q) = s.iter().position(|&c| c == b'?') else { return };
            let end = s.iter().position(|&c| c == b'#').unwrap_or(len).max(q + 1);
            let mut params: Vec<Vec<u8>> = s[q + 1..end].split(|&c| c == b'&').map(<[u8]>::to_vec).collect();
            let n = params.len();
            params.swap(i % n, j % n);
            s.splice(q + 1..end, params.join(&b'&'));
        }
        Mutation::UpperHost => {
            let start = s.windows(3).position(|w| w == b"://").map_or(0, |p| p + 3);
            let end = s[start..].iter().position(|&c| c == b'/').map_or(len, |p| start + p);
            s[start..end].make_ascii_uppercase();
        }
        Mutation::UpperAll => s.make_ascii_uppercase(),
        Mutation::Append(t) => s.extend_from_slice(t.as_bytes()),
        Mutation::Prepend(t) => {
            s.splice(0..0, t.bytes());
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A generated link: the fast path agrees with the full parser, and takes every one the full parser
    /// accepts (these shapes are what it is for).
    #[test]
    fn generated_links_agree_and_are_taken(s in link()) {
        let fast = agree(s.as_bytes()).map_err(TestCaseError::fail)?;
        let full_ok = parse(&s).and_then(|c| c.trace_key()).is_ok();
        prop_assert_eq!(fast.is_some(), full_ok, "{}", s);
    }

    /// Edited links: same verdict, key and error at every step.
    #[test]
    fn mutated_links_agree(s in link(), edits in proptest::collection::vec(mutation(), 1..5)) {
        let mut b = s.into_bytes();
        for m in &edits {
            apply(&mut b, m);
            agree(&b).map_err(TestCaseError::fail)?;
        }
    }

    /// Arbitrary URI-like text never panics and never disagrees.
    #[test]
    fn uri_like_text_agrees(s in "https?://[a-zA-Z0-9.:\\[\\]]{0,12}(/[0-9A-Za-z%+.&=?#-]{0,16}){0,6}") {
        agree(s.as_bytes()).map_err(TestCaseError::fail)?;
    }
}

/// The forward pass's byte kinds are the full parser's classes.
#[test]
fn kinds_match_the_full_parser() {
    use crate::code::gs1::digital_link::{BAD_HOST, URI, class};
    for b in 0..=255u8 {
        let k = super::kind::of(b);
        assert_eq!(k & super::kind::URI != 0, class(b) & URI != 0, "byte {b:#04x}");
        assert_eq!(k & super::kind::HOST != 0, class(b) & (URI | BAD_HOST) == URI && b != b'/', "byte {b:#04x}");
        assert_eq!(k & super::kind::LOOK != 0, b"?#%+".contains(&b), "byte {b:#04x}");
    }
}
