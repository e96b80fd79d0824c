//! `tracecode parse`: one JSON object per input (a code in any spelling), with the stable output contract of
//! `tracecode parse --help`.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::{Value, json};
use tracecode::code;

use crate::args::usage;
use crate::{code_json, error_json};

/// The output contract (printed by `--help`).
const CONTRACT: &str = "\
parse prints one JSON object per input:
  {\"input\", \"ok\": true, \"scheme\", \"kind\", \"canonical\", \"key_hex\", \"elements\": [{\"ai\", \"value\"}],
   \"fields\": [{\"name\", \"value\"}], \"check\", \"carrier\", \"warnings\": [{\"code\", \"message\"}]}
  {\"input\", \"ok\": false, \"error\": {\"kind\", \"offset\", \"len\", \"message\"}}
  (offset and len locate the fault in INPUT; both are null for an error that is not about it: storage, I/O)
  check is verified, not_verifiable_offline or none.
With --candidates the object has \"candidates\": [ {...success object..., \"score\", \"rule\"} ] instead.

EXIT STATUS: 0 all inputs parsed, 1 some did not, 2 usage error.";

/// `tracecode parse`.
#[derive(clap::Args, Debug)]
#[command(after_help = CONTRACT)]
pub(crate) struct Args {
    /// Every reading of an ambiguous input, scored, instead of the one best reading.
    #[arg(long)]
    candidates: bool,
    /// One input per line on stdin (the text \x1D stands for GS).
    #[arg(long, conflicts_with = "input")]
    lines: bool,
    /// Tolerable violations (upper-case URI scheme, a 13-digit GTIN in a Digital Link, a repeated identical AI)
    /// become warnings instead of errors.
    #[arg(long)]
    lenient: bool,
    /// The code, in any spelling (GS1 element string, bracketed text, Digital Link, EPC URN, national codes).
    #[arg(required_unless_present = "lines")]
    input: Option<String>,
}

/// Replaces the typed escape `\x1D` (any hex case) with the GS byte, as scanners' keyboard output is often
/// pasted into files that way.
fn unescape_gs(line: &str) -> String {
    line.replace("\\x1D", "\u{1d}").replace("\\x1d", "\u{1d}")
}

fn parse_one(input: &str, cands: bool, opts: &code::ParseOptions) -> (Value, bool) {
    if cands {
        let list = code::candidates_with(input, opts);
        let ok = !list.is_empty();
        let items: Vec<Value> = list
            .iter()
            .map(|c| {
                let mut v = code_json(input, &c.code);
                if let Value::Object(m) = &mut v {
                    m.insert("score".into(), json!(c.score));
                    m.insert("rule".into(), json!(c.rule));
                }
                v
            })
            .collect();
        let mut v = json!({"input": input, "ok": ok, "candidates": items});
        if !ok
            && let (Value::Object(m), Err(e)) = (&mut v, code::parse_with(input, opts))
            && let Some(err) = error_json(input, &e).get("error")
        {
            m.insert("error".into(), err.clone());
        }
        return (v, ok);
    }
    match code::parse_with(input, opts) {
        Ok(c) => (code_json(input, &c), true),
        Err(e) => (error_json(input, &e), false),
    }
}

/// Runs `tracecode parse`.
pub(crate) fn run(a: &Args) -> ExitCode {
    let opts = code::ParseOptions::new().lenient(a.lenient);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    if a.lines {
        let stdin = io::stdin();
        for line in stdin.lock().split(b'\n') {
            let Ok(raw) = line else { return usage("tracecode parse", "cannot read stdin") };
            let raw = raw.strip_suffix(b"\r").unwrap_or(&raw);
            let text = unescape_gs(&String::from_utf8_lossy(raw));
            let (v, ok) = parse_one(&text, a.candidates, &opts);
            all_ok &= ok;
            if writeln!(out, "{v}").is_err() {
                return ExitCode::from(1);
            }
        }
    } else {
        let Some(inp) = &a.input else { return usage("tracecode parse", "parse needs INPUT or --lines") };
        let text = unescape_gs(inp);
        let (v, ok) = parse_one(&text, a.candidates, &opts);
        all_ok = ok;
        if writeln!(out, "{v}").is_err() {
            return ExitCode::from(1);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
