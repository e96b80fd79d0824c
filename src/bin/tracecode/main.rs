//! The `tracecode` command-line tool: a thin shell over the library (all logic lives in the crate).
//!
//! Output contract (stable; other tools script against it): see `tracecode --help`, each command's `--help`, and
//! the README. One argument layer (clap) parses every command before anything is opened; each command's
//! arguments live beside it in its own file.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use tracecode::code::{Code, CodeData};

mod args;
mod bench_cmd;
mod bench_query;
mod completions_cmd;
mod demo;
mod epcis_cmd;
mod feed_cmd;
mod human;
mod import_cmd;
mod issue_cmd;
mod masterdata_cmd;
mod parse_cmd;
mod progress;
mod query_cmd;
mod resolve_cmd;
mod store_cmd;
mod store_demo;
mod torture_cmd;
mod trace_cmd;
mod trace_json;

/// Shown under `tracecode --help`.
const AFTER_HELP: &str = "\
The chain index commands (import, resolve, verify, stats, feed, export, trace, recall, recover) work on an
embedded RocksDB store in --db DIR (also --db=DIR); only import creates one. Reading commands take --read-only.
Numbers accept digit groups: --items 1_000_000. Each command's --help gives its output contract.

EXIT STATUS: 0 ok / found; 1 not found (resolve, trace), some input failed (parse, import, epcis) or a
check failed (verify, recover); 2 usage error, bad input or an error. A usage error prints one line and a hint,
and so does a --db DIR that holds no store (\"no tracecode store at DIR\"); other store errors are JSON on stderr.
Commands that write the store close it explicitly and report a failed close (exit 2).";

/// tracecode — product traceability codes, EPCIS events and an embedded chain index.
#[derive(Parser, Debug)]
#[command(name = "tracecode", version, after_help = AFTER_HELP, subcommand_required = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Parse codes in any spelling: one JSON object per input.
    Parse(parse_cmd::Args),
    /// Generate codes (GTIN check digits, SGTIN, SSCC, 20-digit drug codes) with every rendering.
    Issue(issue_cmd::Args),
    /// The main job: a synthetic province on an embedded store (--tour: sample codes of every scheme).
    Demo(demo::Args),
    /// EPCIS 2.0 JSON-LD documents: check, hash, round-trip.
    Epcis(epcis_cmd::Args),
    /// Import EPCIS JSON-LD documents into the store (created if missing).
    Import(import_cmd::ImportArgs),
    /// Resolve codes: identity, state and the chain of events.
    Resolve(resolve_cmd::Args),
    /// Check checksums, hash chains and log checkpoints (one code or all).
    Verify(store_cmd::VerifyArgs),
    /// Counts, disk size and the latest checkpoint.
    Stats(store_cmd::StatsArgs),
    /// The change feed: one {"seq", "event_id", "event"} per line.
    Feed(feed_cmd::SinceArgs),
    /// An EPCISDocument of the events after a sequence number.
    Export(feed_cmd::ExportArgs),
    /// EPCIS SimpleEventQuery over the store: an EPCISQueryDocument, or event ids.
    Query(query_cmd::Args),
    /// Master data (SimpleMasterDataQuery), or one element's version history.
    Masterdata(masterdata_cmd::Args),
    /// Walk the genealogy back or forward from a code.
    Trace(trace_cmd::TraceArgs),
    /// The affected downstream set of a code, with holders and responsible parties; --commit records the recall.
    Recall(trace_cmd::RecallArgs),
    /// Open a store whose recovery lost acknowledged events (report, or continue with --accept-loss).
    Recover(store_cmd::RecoverArgs),
    /// Throughput harnesses, as ratios to same-run baselines.
    Bench(bench_cmd::Args),
    /// Fault-injection harnesses (kill -9 during ingest).
    Torture(torture_cmd::Args),
    /// Print a shell completion script.
    Completions(completions_cmd::Args),
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            return args::clap_error(&e, &<Cli as clap::CommandFactory>::command(), argv.get(1..).unwrap_or_default());
        }
    };
    match cli.cmd {
        Cmd::Parse(a) => parse_cmd::run(&a),
        Cmd::Issue(a) => issue_cmd::run(&a),
        Cmd::Demo(a) => demo::run(&a),
        Cmd::Epcis(a) => epcis_cmd::run(&a),
        Cmd::Import(a) => import_cmd::import(&a),
        Cmd::Resolve(a) => resolve_cmd::run(&a),
        Cmd::Verify(a) => store_cmd::verify(&a),
        Cmd::Stats(a) => store_cmd::stats(&a),
        Cmd::Feed(a) => feed_cmd::feed(&a),
        Cmd::Export(a) => feed_cmd::export(&a),
        Cmd::Query(a) => query_cmd::run(&a),
        Cmd::Masterdata(a) => masterdata_cmd::run(&a),
        Cmd::Trace(a) => trace_cmd::run_trace(&a),
        Cmd::Recall(a) => trace_cmd::run_recall(&a),
        Cmd::Recover(a) => store_cmd::recover(&a),
        Cmd::Bench(a) => bench_cmd::run(&a),
        Cmd::Torture(a) => torture_cmd::run(&a),
        Cmd::Completions(a) => completions_cmd::run(&a, <Cli as clap::CommandFactory>::command()),
    }
}

/// `Debug` names in snake_case (`NotVerifiableOffline` → `not_verifiable_offline`), like every other enum value
/// in the JSON output.
fn snake(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// The JSON object for a successful parse (shared by `parse` and `demo`).
pub(crate) fn code_json(input: &str, code: &Code) -> Value {
    let key = code.trace_key();
    let mut obj = json!({
        "input": input,
        "ok": true,
        "scheme": code.scheme().as_str(),
        "carrier": code.carrier().as_str(),
        "check": snake(&format!("{:?}", code.check_status())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_layer_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(snake("NotVerifiableOffline"), "not_verifiable_offline");
        assert_eq!(snake("Verified"), "verified");
        assert_eq!(snake("None"), "none");
    }
}
