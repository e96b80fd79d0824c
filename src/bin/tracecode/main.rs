//! The `tracecode` command-line tool: a thin shell over the library (all logic lives in the crate).
//!
//! Output contract (stable; other tools script against it): see `tracecode --help` and the README.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use serde_json::{Value, json};
use tracecode::code::{self, Code, CodeData};

mod bench_cmd;
mod demo;
mod epcis_cmd;
mod issue_cmd;
mod store_cmd;
mod store_demo;
mod torture_cmd;
mod trace_cmd;
mod trace_json;

const HELP: &str = "\
tracecode — product traceability codes

USAGE:
  tracecode parse [--candidates] [--lenient] INPUT
  tracecode parse --lines [--candidates] [--lenient]   (one input per line on stdin; the text \\x1D stands for GS)
  tracecode issue --help                               (generate codes; see its help)
  tracecode demo [--db DIR] [--items N] [--tour]      (the main job: a synthetic province on an embedded store;
                                                        --tour: parse and issue sample codes of every scheme)
  tracecode epcis check|hash|roundtrip FILE            (EPCIS 2.0 JSON-LD documents; see tracecode epcis --help)

The chain index (an embedded RocksDB store in DIR):
  tracecode import --db DIR FILE...                    import EPCIS JSON-LD (accepted / duplicate / declared / rejected)
  tracecode resolve --db DIR INPUT...                  {\"input\", \"found\", \"identity\", \"state\", \"head\", \"chain\"}
  tracecode verify --db DIR [INPUT]                    checksums, hash chains, log checkpoints (one code or all)
  tracecode stats --db DIR                             counts, disk size, latest checkpoint
  tracecode feed --db DIR [--since N] [--limit N]      change feed: one {\"seq\", \"event_id\", \"event\"} per line
  tracecode export --db DIR [--since N] [--limit N]    an EPCISDocument of the events after N
  tracecode trace --db DIR (--back|--forward) [--depth N] [--as-of T] INPUT
  tracecode recall --db DIR [--commit] INPUT           affected set, holders, responsible parties (see trace --help)
  tracecode recover --db DIR [--accept-loss]           open a store whose recovery lost acknowledged events: without
                                                       --accept-loss, report what is lost (exit 1); with it, continue
                                                       from what was recovered and record the loss
  Reading commands (resolve, verify, stats, feed, export, trace) take --read-only: nothing is written, so a store
  on a full disk or a read-only file system, or one another process writes, can still be read.
  tracecode bench lookup [--items N] [--threads T] [--json FILE]   lookup throughput vs same-run baselines
  tracecode bench trace [--nodes N] [--json FILE]      forward trace of a large genealogy
  tracecode torture crash [--trials N]                 kill -9 during ingest, then check nothing acknowledged is lost

parse prints one JSON object per input:
  {\"input\", \"ok\": true, \"scheme\", \"kind\", \"canonical\", \"key_hex\", \"elements\": [{\"ai\", \"value\"}],
   \"fields\": [{\"name\", \"value\"}], \"check\", \"carrier\", \"warnings\": [{\"code\", \"message\"}]}
  {\"input\", \"ok\": false, \"error\": {\"kind\", \"offset\", \"len\", \"message\"}}
  (offset and len locate the fault in INPUT; both are null for an error that is not about it: storage, I/O)
With --candidates the object has \"candidates\": [ {...success object..., \"score\", \"rule\"} ] instead.

EXIT STATUS: 0 all inputs parsed, 1 some did not, 2 usage error.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("parse") => cmd_parse(args.get(1..).unwrap_or_default()),
        Some("issue") => issue_cmd::run(args.get(1..).unwrap_or_default()),
        Some("demo") => demo::run(args.get(1..).unwrap_or_default()),
        Some("epcis") => epcis_cmd::run(args.get(1..).unwrap_or_default()),
        Some(c @ ("import" | "resolve" | "verify" | "stats" | "feed" | "export" | "trace" | "recall" | "recover")) => {
            store_cmd::run(c, args.get(1..).unwrap_or_default())
        }
        Some("bench") => bench_cmd::run(args.get(1..).unwrap_or_default()),
        Some("torture") => torture_cmd::run(args.get(1..).unwrap_or_default()),
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("tracecode {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => usage("expected a command (see --help)"),
    }
}

/// Prints a usage error and returns exit status 2.
pub(crate) fn usage(msg: &str) -> ExitCode {
    eprintln!("tracecode: {msg}\n\n{HELP}");
    ExitCode::from(2)
}

/// The JSON object for a successful parse (shared by `parse` and `demo`).
pub(crate) fn code_json(input: &str, code: &Code) -> Value {
    let key = code.trace_key();
    let mut obj = json!({
        "input": input,
        "ok": true,
        "scheme": code.scheme().as_str(),
        "carrier": code.carrier().as_str(),
        "check": format!("{:?}", code.check_status()).to_lowercase(),
        "warnings": code.warnings().iter().map(|w| json!({"code": w.code, "message": w.message})).collect::<Vec<_>>(),
    });
    if let Value::Object(m) = &mut obj {
        match &key {
            Ok(k) => {
                m.insert("kind".into(), json!(k.kind().as_str()));
                m.insert("canonical".into(), json!(k.to_string()));
                m.insert("key_hex".into(), json!(hex(k.as_bytes())));
            }
            Err(e) => {
                m.insert("kind".into(), Value::Null);
                m.insert("canonical".into(), Value::Null);
                m.insert("key_hex".into(), Value::Null);
                m.insert("key_error".into(), json!(e.message()));
            }
        }
        match code.data() {
            CodeData::Gs1(g) => {
                let els: Vec<Value> = g.iter().map(|e| json!({"ai": e.ai(), "value": e.value})).collect();
                m.insert("elements".into(), Value::Array(els));
            }
            CodeData::National(n) => {
                let fs: Vec<Value> = n.field_values().map(|(k, v)| json!({"name": k, "value": v})).collect();
                m.insert("fields".into(), Value::Array(fs));
            }
            CodeData::Gid(g) => {
                m.insert("gid".into(), json!({"manager": g.manager, "class": g.class, "serial": g.serial}));
            }
            _ => {}
        }
    }
    obj
}

/// The JSON object for a failed call on `input`: `offset` and `len` are `null` when the error has no position in
/// the input (a storage or I/O failure).
pub(crate) fn error_json(input: &str, e: &tracecode::Error) -> Value {
    json!({
        "input": input,
        "ok": false,
        "error": {"kind": e.kind().as_str(), "offset": e.offset(), "len": e.len(), "message": e.message()},
    })
}

pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::with_capacity(b.len() * 2), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
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

fn cmd_parse(args: &[String]) -> ExitCode {
    let mut cands = false;
    let mut lines = false;
    let mut lenient = false;
    let mut input: Option<&str> = None;
    for a in args {
        match a.as_str() {
            "--candidates" => cands = true,
            "--lines" => lines = true,
            "--lenient" => lenient = true,
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with("--") => return usage(&format!("unknown option {s}")),
            s => {
                if input.replace(s).is_some() {
                    return usage("parse takes one INPUT (use --lines for many)");
                }
            }
        }
    }
    let opts = code::ParseOptions::new().lenient(lenient);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut all_ok = true;
    if lines {
        if input.is_some() {
            return usage("--lines reads stdin; do not give INPUT");
        }
        let stdin = io::stdin();
        for line in stdin.lock().split(b'\n') {
            let Ok(raw) = line else { return usage("cannot read stdin") };
            let raw = raw.strip_suffix(b"\r").unwrap_or(&raw);
            let text = unescape_gs(&String::from_utf8_lossy(raw));
            let (v, ok) = parse_one(&text, cands, &opts);
            all_ok &= ok;
            if writeln!(out, "{v}").is_err() {
                return ExitCode::from(1);
            }
        }
    } else {
        let Some(inp) = input else { return usage("parse needs INPUT or --lines") };
        let text = unescape_gs(inp);
        let (v, ok) = parse_one(&text, cands, &opts);
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
