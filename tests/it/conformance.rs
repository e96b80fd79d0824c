//! Conformance vectors: every `tests/data/conformance/*.tsv` row is run through [`parse`] and compared.
//!
//! Why one test over data files instead of one `#[test]` per vector: the vectors are data written from the
//! standards' worked examples (codes.md), reviewed as tables, and grown without touching Rust. All mismatches are
//! collected and compared with `expected-failures.txt`, so a run shows the whole picture, a new failure fails the
//! build, and a listed vector that starts passing fails it too (the list cannot go stale).
//!
//! Row format (tab-separated; lines starting with `#` are comments): `id  input  expect  detail  source`, where
//! `expect` is `key` (detail: canonical [`TraceKey`] text), `scheme` (detail: [`Scheme::as_str`]), `err`
//! (detail: `kind[@offset[+len]]`, kind from [`tracecode::ErrorKind::as_str`]), `ambiguous` ([`parse`] refuses
//! with [`ErrorKind::Ambiguous`]; detail: schemes, comma-separated, that must all be among the [`candidates`]) or
//! `candidates` (the same list check, whatever [`parse`] decides: for inputs that are ranked, not refused).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tracecode::ErrorKind;
use tracecode::code::{Scheme, TraceKey, candidates, parse};

/// What a row expects.
#[derive(Debug)]
enum Expect {
    Key(String),
    Scheme(String),
    Err { kind: String, offset: Option<usize>, len: Option<usize> },
    Ambiguous(Vec<String>),
    Candidates(Vec<String>),
}

/// One vector.
#[derive(Debug)]
struct Row {
    id: String,
    /// `file:line`, for messages.
    at: String,
    input: Vec<u8>,
    expect: Expect,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance")
}

/// Decodes the input escapes: `\xHH` (any byte; `\x1D` is GS), `\t`, `\r`, `\n`, `\0`, `\\`.
fn unescape(s: &str, at: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let esc = *b.get(i + 1).unwrap_or_else(|| panic!("{at}: dangling backslash in input"));
        match esc {
            b'x' => {
                let hex = s.get(i + 2..i + 4).unwrap_or_else(|| panic!("{at}: \\x needs two hex digits"));
                out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("{at}: bad escape \\x{hex}")));
                i += 4;
            }
            b't' | b'r' | b'n' | b'0' | b'\\' => {
                out.push(match esc {
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'n' => b'\n',
                    b'0' => 0,
                    _ => b'\\',
                });
                i += 2;
            }
            other => panic!("{at}: unknown escape \\{}", char::from(other)),
        }
    }
    out
}

fn parse_err_detail(d: &str, at: &str) -> Expect {
    let (kind, pos) = d.split_once('@').map_or((d, None), |(k, p)| (k, Some(p)));
    let (offset, len) = match pos {
        None => (None, None),
        Some(p) => {
            let (o, l) = p.split_once('+').map_or((p, None), |(o, l)| (o, Some(l)));
            let num = |t: &str| t.parse::<usize>().unwrap_or_else(|_| panic!("{at}: bad position {d:?}"));
            (Some(num(o)), l.map(num))
        }
    };
    Expect::Err { kind: kind.to_owned(), offset, len }
}

/// Reads every `*.tsv` of the conformance directory, in file-name order. Malformed rows panic at once: they are
/// mistakes in the data, not mismatches.
fn load_rows() -> Vec<Row> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data/conformance exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no conformance files found");
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("conformance file is UTF-8");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{name}:{}", n + 1);
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{at}: expected 5 tab-separated columns, found {}", cols.len());
            let (id, input, expect, detail, source) = (cols[0], cols[1], cols[2], cols[3], cols[4]);
            assert!(!id.is_empty() && !source.trim().is_empty(), "{at}: id and source are required");
            assert!(seen.insert(id.to_owned()), "{at}: duplicate id {id}");
            let expect = match expect {
                "key" => Expect::Key(detail.to_owned()),
                "scheme" => Expect::Scheme(detail.to_owned()),
                "err" => parse_err_detail(detail, &at),
                "ambiguous" => Expect::Ambiguous(scheme_list(detail)),
                "candidates" => Expect::Candidates(scheme_list(detail)),
                other => panic!("{at}: unknown expect {other:?}"),
            };
            rows.push(Row { id: id.to_owned(), input: unescape(input, &at), expect, at });
        }
    }
    rows
}

fn scheme_list(detail: &str) -> Vec<String> {
    detail.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn describe_err(e: &tracecode::Error) -> String {
    format!("err {}@{:?}+{:?} ({})", e.kind().as_str(), e.offset(), e.len(), e.message())
}

/// Runs one row; `Err(explanation)` on a mismatch.
fn check(row: &Row) -> Result<(), String> {
    let got = parse(&row.input);
    match &row.expect {
        Expect::Key(want) => {
            let code = got.map_err(|e| describe_err(&e))?;
            let key = code.trace_key().map_err(|e| format!("parsed as {} but no key: {}", code.scheme(), e))?;
            let text = key.to_string();
            if &text != want {
                return Err(format!("key {text} (scheme {})", code.scheme()));
            }
            check_round_trips(&key)
        }
        Expect::Scheme(want) => {
            let code = got.map_err(|e| describe_err(&e))?;
            if code.scheme().as_str() == want { Ok(()) } else { Err(format!("scheme {}", code.scheme())) }
        }
        Expect::Err { kind, offset, len } => match got {
            Ok(code) => Err(format!(
                "parsed as {}: {}",
                code.scheme(),
                code.trace_key().map_or_else(|e| format!("(no key: {e})"), |k| k.to_string())
            )),
            Err(e) => {
                let ok = e.kind().as_str() == kind
                    && offset.is_none_or(|o| Some(o) == e.offset())
                    && len.is_none_or(|l| Some(l) == e.len());
                if ok { Ok(()) } else { Err(describe_err(&e)) }
            }
        },
        Expect::Ambiguous(schemes) => {
            match got {
                Err(e) if e.kind() == ErrorKind::Ambiguous => {}
                Err(e) => return Err(describe_err(&e)),
                Ok(code) => return Err(format!("parsed as {}", code.scheme())),
            }
            check_candidates(&row.input, schemes)
        }
        Expect::Candidates(schemes) => check_candidates(&row.input, schemes),
    }
}

/// At least two candidates, and every scheme of `schemes` among them.
fn check_candidates(input: &[u8], schemes: &[String]) -> Result<(), String> {
    let cands = candidates(input);
    let names: Vec<&str> = cands.iter().map(|c| c.code.scheme().as_str()).collect();
    if cands.len() < 2 {
        return Err(format!("only {} candidate(s): {names:?}", cands.len()));
    }
    match schemes.iter().find(|s| !names.contains(&s.as_str())) {
        Some(missing) => Err(format!("candidate scheme {missing} missing from {names:?}")),
        None => Ok(()),
    }
}

/// Printing a key then parsing the text gives the key back, and so does the binary form.
fn check_round_trips(key: &TraceKey) -> Result<(), String> {
    match key.to_string().parse::<TraceKey>() {
        Ok(k) if &k == key => {}
        Ok(k) => return Err(format!("text round trip gave {k}")),
        Err(e) => return Err(format!("text round trip failed: {}", describe_err(&e))),
    }
    match TraceKey::from_bytes(key.as_bytes()) {
        Ok(k) if &k == key => Ok(()),
        Ok(k) => Err(format!("binary round trip gave {k}")),
        Err(e) => Err(format!("binary round trip failed: {}", describe_err(&e))),
    }
}

/// `expected-failures.txt`: one id per line, the reason after `#`; blank and `#` lines are comments.
fn load_expected_failures() -> BTreeMap<String, String> {
    let path = data_dir().join("expected-failures.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let (id, reason) = line.split_once('#').unwrap_or((line, ""));
        let id = id.trim();
        if id.is_empty() {
            continue;
        }
        assert!(!reason.trim().is_empty(), "expected-failures.txt:{}: {id} needs a reason after #", n + 1);
        assert!(out.insert(id.to_owned(), reason.trim().to_owned()).is_none(), "duplicate expected failure {id}");
    }
    out
}

#[test]
fn conformance_vectors() {
    let rows = load_rows();
    let expected = load_expected_failures();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut report = String::new();
    let (mut passed, mut xfail) = (0usize, 0usize);
    for row in &rows {
        match (check(row), expected.contains_key(&row.id)) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => {
                let _ = writeln!(report, "{} ({}): passes now; remove it from expected-failures.txt", row.id, row.at);
            }
            (Err(_), true) => xfail += 1,
            (Err(why), false) => {
                let _ = writeln!(
                    report,
                    "{} ({}): input {:?}: expected {:?}, got {why}",
                    row.id,
                    row.at,
                    String::from_utf8_lossy(&row.input),
                    row.expect
                );
            }
        }
    }
    for id in expected.keys().filter(|id| !ids.contains(id.as_str())) {
        let _ = writeln!(report, "{id}: listed in expected-failures.txt but no such vector");
    }
    println!("conformance: {passed} passed, {xfail} expected failures");
    assert!(report.is_empty(), "conformance mismatches:\n{report}");
    // Every scheme name a row mentions must be a real one (catches typos in the data).
    let known: Vec<&str> = KNOWN_SCHEMES.iter().map(|s| s.as_str()).collect();
    for row in &rows {
        let names: Vec<&str> = match &row.expect {
            Expect::Scheme(s) => vec![s.as_str()],
            Expect::Ambiguous(v) | Expect::Candidates(v) => v.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        for n in names {
            assert!(known.contains(&n), "{}: unknown scheme name {n}", row.at);
        }
    }
}

const KNOWN_SCHEMES: [Scheme; 17] = [
    Scheme::Gs1ElementString,
    Scheme::Gs1Bracketed,
    Scheme::Gs1Key,
    Scheme::DigitalLink,
    Scheme::EpcUri,
    Scheme::EpcBinary,
    Scheme::CnDrug20,
    Scheme::Ma,
    Scheme::Handle,
    Scheme::Ecode,
    Scheme::EquipmentCode,
    Scheme::EquipmentRegistration,
    Scheme::GasCylinder,
    Scheme::Detonator,
    Scheme::VetDrug,
    Scheme::Pesticide,
    Scheme::CreditCode,
];

#[test]
fn unescape_handles_every_escape() {
    assert_eq!(unescape(r"a\x1Db\t\r\n\0\\c\xEF", "t"), b"a\x1db\t\r\n\0\\c\xef");
    assert_eq!(unescape("（０）", "t"), "（０）".as_bytes());
}

#[test]
fn error_detail_forms() {
    let Expect::Err { kind, offset, len } = parse_err_detail("check_digit@17+1", "t") else { panic!() };
    assert_eq!((kind.as_str(), offset, len), ("check_digit", Some(17), Some(1)));
    let Expect::Err { kind, offset, len } = parse_err_detail("date@23", "t") else { panic!() };
    assert_eq!((kind.as_str(), offset, len), ("date", Some(23), None));
    let Expect::Err { kind, offset, len } = parse_err_detail("pairing", "t") else { panic!() };
    assert_eq!((kind.as_str(), offset, len), ("pairing", None, None));
}
