//! The `tracecode` binary's output contract (see its `--help`): one JSON object per input, exit 0 when every
//! input parsed, 1 when some did not, 2 on a usage error. The argument layer's contract (help for every command,
//! one-line usage errors, `--db=DIR`, digit groups, completions) is in `cli_args`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tracecode::code::parse;

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracecode"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("tracecode binary runs");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

#[test]
fn parse_success_fields() {
    let input = "(01)09506000134352(17)261231(21)XYZ789";
    let out = run(&["parse", input], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v = json_lines(&out);
    assert_eq!(v.len(), 1);
    let v = &v[0];
    assert_eq!(v["input"], input);
    assert_eq!(v["ok"], true);
    assert_eq!(v["scheme"], "gs1-bracketed");
    assert_eq!(v["kind"], "instance");
    assert_eq!(v["canonical"], "01/09506000134352/21/XYZ789");
    assert_eq!(v["check"], "verified");
    assert_eq!(v["carrier"], "unknown");
    let key = parse(input).unwrap().trace_key().unwrap();
    assert_eq!(v["key_hex"], hex(key.as_bytes()));
    let els: Vec<(String, String)> = v["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["ai"].as_str().unwrap().to_owned(), e["value"].as_str().unwrap().to_owned()))
        .collect();
    let want = [("01", "09506000134352"), ("17", "261231"), ("21", "XYZ789")];
    assert_eq!(els, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert!(v["warnings"].is_array());
}

#[test]
fn parse_national_code_fields() {
    let out = run(&["parse", "81234567890123456789"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out)[0];
    assert_eq!(v["scheme"], "cn-drug20");
    assert_eq!(v["canonical"], "cn-drug20:81234567890123456789");
    // Snake case like every other enum value (issue 14; it was "notverifiableoffline").
    assert_eq!(v["check"], "not_verifiable_offline");
    assert!(v["fields"].as_array().unwrap().iter().any(|f| f["name"] == "product" && f["value"] == "8123456"));
}

#[test]
fn parse_failure_reports_kind_and_position() {
    let out = run(&["parse", "(01)09506000134353"], None);
    assert_eq!(out.status.code(), Some(1));
    let v = &json_lines(&out)[0];
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["kind"], "check_digit");
    assert_eq!(v["error"]["offset"], 17);
    assert_eq!(v["error"]["len"], 1);
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
}

#[test]
fn parse_lines_in_order_with_gs_escape() {
    let stdin = "]d2010950600013435217261231\\x1D21XYZ789\n(01)09506000134353\r\n81234567890123456789\n";
    let out = run(&["parse", "--lines"], Some(stdin));
    assert_eq!(out.status.code(), Some(1), "one bad line makes the exit status 1");
    let v = json_lines(&out);
    assert_eq!(v.len(), 3, "one JSON object per input line");
    assert_eq!(v[0]["ok"], true);
    assert_eq!(v[0]["canonical"], "01/09506000134352/21/XYZ789");
    assert_eq!(v[0]["scheme"], "gs1-element-string");
    assert_eq!(v[0]["carrier"], "gs1-datamatrix");
    assert_eq!(v[1]["ok"], false);
    assert_eq!(v[1]["input"], "(01)09506000134353", "CR of a CRLF line ending is not part of the input");
    assert_eq!(v[1]["error"]["kind"], "check_digit");
    assert_eq!(v[2]["canonical"], "cn-drug20:81234567890123456789");

    let ok = run(&["parse", "--lines"], Some("09506000134352\n(00)106141412345678908\n"));
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(json_lines(&ok).len(), 2);
}

#[test]
fn parse_candidates_lists_readings() {
    // codes.md §1.3: 02468143 is a valid GTIN-8 and a valid UPC-E.
    let out = run(&["parse", "--candidates", "02468143"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = &json_lines(&out)[0];
    assert_eq!(v["ok"], true);
    let cands = v["candidates"].as_array().unwrap();
    let canon: Vec<&str> = cands.iter().filter_map(|c| c["canonical"].as_str()).collect();
    assert!(canon.contains(&"01/00024680000013"), "{canon:?}");
    assert!(canon.contains(&"01/00000002468143"), "{canon:?}");
    for c in cands {
        assert!(c["score"].is_number(), "{c}");
        assert!(c["rule"].is_string(), "{c}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["parse"][..], &["frobnicate"], &["parse", "--bogus", "x"], &["parse", "a", "b"], &[]] {
        let out = run(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: usage errors print nothing on stdout");
    }
    let out = run(&["parse", "--lines", "x"], Some(""));
    assert_eq!(out.status.code(), Some(2));
}
