//! `tracecode trace` and `tracecode recall`: genealogy queries over an open store (all logic in
//! `tracecode::trace`; this file only parses arguments and prints JSON).

use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::Value;
use tracecode::event::{Id, Timestamp};
use tracecode::store::{EdgeKind, TraceStore};
use tracecode::trace::{self, Direction, RecallOptions, TraceOptions};

/// Help text of both commands.
pub const TRACE_HELP: &str = "\
tracecode trace (--back|--forward) [--depth N] [--max-nodes N] [--as-of T] [--from T] [--until T]
                [--kinds K,K,...] [--state|--no-state] INPUT
  Walks the genealogy from INPUT (any code spelling, EPC URN, Digital Link or URI) and prints one JSON object:
  {\"root\", \"direction\", \"as_of\", \"nodes\": [{\"key\", \"kind\", \"role\", \"depth\", \"state\"}],
   \"edges\": [{\"from\", \"to\", \"kind\", \"rel\", \"event_id\", \"time\", \"seq\"}], \"truncated\"}
  T is an RFC 3339 time (2026-03-01T08:00:00+08:00); K is aggregation, association, transformation, membership
  or hand_over. Forward traces carry each node's state unless --no-state.

tracecode recall [--commit] [--time T] [--as-of T] [--party ID] [--read-point ID] [--reason TEXT] INPUT
  The affected downstream set of INPUT with holders, locations and responsible parties; --commit records the
  recall (disposition recalled, persistent disposition recalled) as events in one atomic batch. The same
  --time makes a repeated commit idempotent (default: now).

EXIT STATUS: 0 ok, 1 bad INPUT or a store error (printed as {\"input\", \"ok\": false, \"error\"}), 2 usage error.
";

fn usage(msg: &str) -> ExitCode {
    eprintln!("tracecode: {msg}\n\n{TRACE_HELP}");
    ExitCode::from(2)
}

fn fail(input: &str, e: &tracecode::Error) -> ExitCode {
    print_json(&crate::error_json(input, e));
    ExitCode::from(1)
}

fn print_json(v: &Value) {
    let mut out = io::stdout().lock();
    // A closed stdout (piped into `head`) is not an error worth reporting.
    let _ = serde_json::to_writer(&mut out, v);
    let _ = writeln!(out);
}

fn time_arg(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s).map(|(t, _)| t).map_err(|e| format!("bad time {s:?}: {}", e.message()))
}

fn count_arg(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("not a count: {s:?}"))
}

fn kinds_arg(s: &str) -> Result<Vec<EdgeKind>, String> {
    s.split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            trace::ALL_KINDS.iter().copied().find(|x| x.as_str() == k).ok_or_else(|| format!("unknown edge kind {k:?}"))
        })
        .collect()
}

/// A command's own options: gets the flag and the remaining arguments (to take a value from), says whether it
/// knew the flag.
type ExtraFlags<'a, 'f> = dyn FnMut(&str, &mut dyn Iterator<Item = &'a String>) -> Result<bool, String> + 'f;

/// Options shared by both commands; returns the INPUT.
fn parse_common<'a>(
    args: &'a [String],
    opts: &mut TraceOptions,
    extra: &mut ExtraFlags<'a, '_>,
) -> Result<&'a str, String> {
    let mut input: Option<&str> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().map(String::as_str).ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--depth" => opts.max_depth = Some(count_arg(value("--depth")?)?),
            "--max-nodes" => opts.max_nodes = Some(count_arg(value("--max-nodes")?)?),
            "--as-of" => opts.as_of = Some(time_arg(value("--as-of")?)?),
            "--from" => opts.from = Some(time_arg(value("--from")?)?),
            "--until" => opts.until = Some(time_arg(value("--until")?)?),
            "--kinds" => opts.kinds = kinds_arg(value("--kinds")?)?,
            "--state" => opts.with_state = Some(true),
            "--no-state" => opts.with_state = Some(false),
            s if s.starts_with("--") => {
                if !extra(s, &mut it)? {
                    return Err(format!("unknown option {s}"));
                }
            }
            s => {
                if input.replace(s).is_some() {
                    return Err("expected exactly one INPUT".into());
                }
            }
        }
    }
    input.ok_or_else(|| "expected an INPUT".into())
}

/// Runs `tracecode trace …` against `store`.
pub fn run_trace(store: &dyn TraceStore, args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{TRACE_HELP}");
        return ExitCode::SUCCESS;
    }
    let mut opts = TraceOptions::new();
    let mut dir: Option<Direction> = None;
    let parsed = parse_common(args, &mut opts, &mut |flag, _| {
        let d = match flag {
            "--back" => Direction::Back,
            "--forward" => Direction::Forward,
            _ => return Ok(false),
        };
        if dir.replace(d).is_some_and(|old| old != d) {
            return Err("--back and --forward exclude each other".into());
        }
        Ok(true)
    });
    let input = match parsed {
        Ok(i) => i,
        Err(m) => return usage(&m),
    };
    let Some(dir) = dir else { return usage("expected --back or --forward") };
    let root = match trace::parse_root(input) {
        Ok(r) => r,
        Err(e) => return fail(input, &e),
    };
    match trace::trace(store, &root, dir, &opts) {
        Ok(t) => {
            print_json(&crate::trace_json::trace_json(&t));
            ExitCode::SUCCESS
        }
        Err(e) => fail(input, &e),
    }
}

/// Runs `tracecode recall …` against `store`.
pub fn run_recall(store: &dyn TraceStore, args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{TRACE_HELP}");
        return ExitCode::SUCCESS;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .unwrap_or(0);
    let mut ro = RecallOptions::new(Timestamp(now));
    let mut topts = TraceOptions::new();
    let parsed = parse_common(args, &mut topts, &mut |flag, it| {
        let mut value = |name: &str| it.next().map(String::as_str).ok_or_else(|| format!("{name} needs a value"));
        let id = |s: &str| Id::parse(s).map_err(|e| format!("bad identifier {s:?}: {}", e.message()));
        match flag {
            "--commit" => ro.commit = true,
            "--time" => ro.time = time_arg(value("--time")?)?,
            "--party" => ro.responsible = Some(id(value("--party")?)?),
            "--read-point" => ro.read_point = Some(id(value("--read-point")?)?),
            "--reason" => ro.reason = Some(value("--reason")?.to_owned()),
            _ => return Ok(false),
        }
        Ok(true)
    });
    let input = match parsed {
        Ok(i) => i,
        Err(m) => return usage(&m),
    };
    ro.trace = topts;
    match trace::recall(store, input, &ro) {
        Ok(r) => {
            print_json(&crate::trace_json::recall_json(&r));
            ExitCode::SUCCESS
        }
        Err(e) => fail(input, &e),
    }
}
