//! `tracecode trace` and `tracecode recall`: genealogy queries over an open store (all logic in
//! `tracecode::trace`; this file only declares arguments and prints JSON).

use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::Value;
use tracecode::event::{Id, Timestamp};
use tracecode::store::Store;
use tracecode::trace::{self, Direction, RecallOptions, TraceOptions};

use crate::args::{self, EXIT_ERROR, EXIT_NOT_FOUND, Kinds, ReadDb, count};

/// Help text of both commands: output contract and exit status.
const TRACE_HELP: &str = "\
trace walks the genealogy from INPUT (any code spelling, EPC URN, Digital Link or URI) and prints one JSON object:
  {\"root\", \"direction\", \"as_of\", \"nodes\": [{\"key\", \"kind\", \"role\", \"depth\", \"state\"}],
   \"edges\": [{\"from\", \"to\", \"kind\", \"rel\", \"event_id\", \"time\", \"seq\"}], \"truncated\"}
  T is an RFC 3339 time (2026-03-01T08:00:00+08:00); K is aggregation, association, transformation, membership
  or hand_over. Forward traces carry each node's state unless --no-state.

recall prints the affected downstream set of INPUT with holders, locations and responsible parties; --commit
  records the recall (disposition recalled, persistent disposition recalled) as events in one atomic batch. The
  same --time makes a repeated commit idempotent (default: now).

EXIT STATUS: 0 ok; 1 not found (trace: the store never recorded INPUT, the trace is still printed); 2 bad INPUT
or a store error (printed as {\"input\", \"ok\": false, \"error\"}) or a usage error.";

/// Options shared by `trace` and `recall`: the walk's limits and filters.
#[derive(clap::Args, Debug)]
pub(crate) struct WalkArgs {
    #[command(flatten)]
    db: ReadDb,
    /// Follow edges at most N steps from INPUT.
    #[arg(long, value_name = "N", value_parser = count::<usize>)]
    depth: Option<usize>,
    /// Stop after N nodes (the trace says it was truncated).
    #[arg(long, value_name = "N", value_parser = count::<usize>)]
    max_nodes: Option<usize>,
    /// The genealogy and states as they were known at time T (RFC 3339).
    #[arg(long, value_name = "T", value_parser = args::time)]
    as_of: Option<Timestamp>,
    /// Only edges of events at or after T.
    #[arg(long, value_name = "T", value_parser = args::time)]
    from: Option<Timestamp>,
    /// Only edges of events before T.
    #[arg(long, value_name = "T", value_parser = args::time)]
    until: Option<Timestamp>,
    /// Only these edge kinds (comma-separated).
    #[arg(long, value_name = "K,K,...", value_parser = args::kinds)]
    kinds: Option<Kinds>,
    /// Carry each node's state (the default of forward traces).
    #[arg(long, conflicts_with = "no_state")]
    state: bool,
    /// Leave out node states.
    #[arg(long)]
    no_state: bool,
    /// The root: any code spelling, EPC URN, Digital Link or URI.
    #[arg(value_name = "INPUT")]
    input: String,
}

impl WalkArgs {
    fn options(&self) -> TraceOptions {
        let mut o = TraceOptions::new();
        o.max_depth = self.depth;
        o.max_nodes = self.max_nodes;
        o.as_of = self.as_of;
        o.from = self.from;
        o.until = self.until;
        if let Some(k) = &self.kinds {
            o.kinds.clone_from(&k.0);
        }
        if self.state {
            o.with_state = Some(true);
        } else if self.no_state {
            o.with_state = Some(false);
        }
        o
    }
}

/// `tracecode trace`.
#[derive(clap::Args, Debug)]
#[command(after_help = TRACE_HELP)]
#[command(group(clap::ArgGroup::new("direction").required(true).args(["back", "forward"])))]
pub(crate) struct TraceArgs {
    /// Walk back: what INPUT came from (contents, inputs, earlier holders).
    #[arg(long)]
    back: bool,
    /// Walk forward: what INPUT went into.
    #[arg(long)]
    forward: bool,
    #[command(flatten)]
    walk: WalkArgs,
}

/// `tracecode recall`.
#[derive(clap::Args, Debug)]
#[command(after_help = TRACE_HELP)]
pub(crate) struct RecallArgs {
    /// Record the recall as events (in one atomic batch).
    #[arg(long, conflicts_with = "read_only")]
    commit: bool,
    /// The recall's event time (default: now); the same time makes a repeated commit idempotent.
    #[arg(long, value_name = "T", value_parser = args::time)]
    time: Option<Timestamp>,
    /// The responsible party.
    #[arg(long, value_name = "ID", value_parser = args::id)]
    party: Option<Id>,
    /// Where the recall is recorded.
    #[arg(long, value_name = "ID", value_parser = args::id)]
    read_point: Option<Id>,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    walk: WalkArgs,
}

fn fail(input: &str, e: &tracecode::Error) -> ExitCode {
    print_json(&crate::error_json(input, e));
    ExitCode::from(EXIT_ERROR)
}

fn print_json(v: &Value) {
    let mut out = io::stdout().lock();
    // A closed stdout (piped into `head`) is not an error worth reporting.
    let _ = serde_json::to_writer(&mut out, v);
    let _ = writeln!(out);
}

/// Opens the store of a walk: read-only (it works beside a writing service) except for `recall --commit`;
/// failures exit 2.
fn open(w: &WalkArgs, write: bool) -> Result<Store, ExitCode> {
    let opts = crate::store_cmd::existing().read_only(!write);
    crate::store_cmd::open(&w.db.db, opts, EXIT_ERROR)
}

/// Runs `tracecode trace`.
pub(crate) fn run_trace(a: &TraceArgs) -> ExitCode {
    let dir = if a.back { Direction::Back } else { Direction::Forward };
    let input = a.walk.input.as_str();
    let root = match trace::parse_root(input) {
        Ok(r) => r,
        Err(e) => return fail(input, &e),
    };
    let store = match open(&a.walk, false) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let session = store.session();
    match trace::trace(&session, &root, dir, &a.walk.options()) {
        Ok(t) => {
            print_json(&crate::trace_json::trace_json(&t));
            // Not found: the store never recorded the root (no chain of its own, no edge to or from it).
            let unseen = t.edges.is_empty() && matches!(store.reader().resolve_id(&root), Ok(None));
            if unseen { ExitCode::from(EXIT_NOT_FOUND) } else { ExitCode::SUCCESS }
        }
        Err(e) => fail(input, &e),
    }
}

/// Runs `tracecode recall`.
pub(crate) fn run_recall(a: &RecallArgs) -> ExitCode {
    let input = a.walk.input.as_str();
    if let Err(e) = trace::parse_root(input) {
        return fail(input, &e);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .unwrap_or(0);
    let mut ro = RecallOptions::new(a.time.unwrap_or(Timestamp(now)));
    ro.commit = a.commit;
    ro.responsible.clone_from(&a.party);
    ro.read_point.clone_from(&a.read_point);
    ro.reason.clone_from(&a.reason);
    ro.trace = a.walk.options();
    let store = match open(&a.walk, a.commit) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let code = match trace::recall(&store.session(), input, &ro) {
        Ok(r) => {
            print_json(&crate::trace_json::recall_json(&r));
            ExitCode::SUCCESS
        }
        Err(e) => fail(input, &e),
    };
    // `--commit` wrote the recall's events: close reports what Drop would ignore (read-only, it writes nothing).
    match crate::store_cmd::close(store) {
        Ok(()) => code,
        Err(failed) => failed,
    }
}
