//! Store commands: `verify`, `stats`, `recover`, and the store opening shared with every command that opens one.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use tracecode::store::{Options, Store, TraceStore};
use tracecode::{Error, ErrorKind, trace};

use crate::args::{EXIT_ERROR, ReadDb, WriteDb};
use crate::error_json;
use crate::progress::Progress;

/// `tracecode verify`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints {\"ok\", \"log_entries\", \"events\", \"chains\", \"chain_entries\", \"edges\", \"checkpoint\", \"losses\",
\"first_bad\"}. EXIT STATUS: 0 intact, 1 damage found, a store that cannot be opened, or a bad INPUT (error JSON on
stderr), 2 usage error.")]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    db: ReadDb,
    /// Verify only this code's chain (any spelling); without it, everything.
    input: Option<String>,
}

/// `tracecode stats`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints {\"events\", \"nodes\", \"chain_entries\", \"edges\", \"disk_bytes\", \"checkpoint\": {\"seq\", \"hash\"}, \"path\"}.
EXIT STATUS: 0 ok, 1 a store error (JSON on stderr), 2 usage error.")]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    db: ReadDb,
}

/// `tracecode recover`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Without --accept-loss, a store whose recovery lost acknowledged events is reported (error JSON on stderr, exit
1); with it, the store continues from what was recovered and records the loss. Prints {\"checkpoint\", \"losses\"}.
EXIT STATUS: 0 ok, 1 loss found (without --accept-loss) or a store error, 2 usage error or the store could not be
closed cleanly.")]
pub(crate) struct RecoverArgs {
    #[command(flatten)]
    db: WriteDb,
    /// Continue from what was recovered and record the loss.
    #[arg(long)]
    accept_loss: bool,
}

/// Opens the store in `dir`, reporting a failure on stderr with exit status `code`: a path that holds no store
/// ([`ErrorKind::NotFound`]) as one line with a hint, any other failure as error JSON.
pub(crate) fn open(dir: &Path, opts: Options, code: u8) -> Result<Store, ExitCode> {
    Store::open(dir, opts).map_err(|e| {
        match not_found_line(dir, &e) {
            Some(line) => eprintln!("{line}"),
            None => eprintln!("{}", error_json(&dir.display().to_string(), &e)),
        }
        ExitCode::from(code)
    })
}

/// The one-line message for a `--db` path that holds no store, or `None` for any other failure. The store's
/// own message names the path but not what to do about it, which is what someone who mistyped `--db` needs.
pub(crate) fn not_found_line(dir: &Path, e: &Error) -> Option<String> {
    if e.kind() != ErrorKind::NotFound {
        return None;
    }
    let d = dir.display();
    Some(if dir.is_file() {
        format!("tracecode: {d} is a file, not a tracecode store directory (pass the store's directory to --db)")
    } else {
        format!("tracecode: no tracecode store at {d} (create one with `tracecode import --db {d} FILE...`)")
    })
}

/// Closes a store a command wrote to, reporting what dropping it would ignore (the last durability point and
/// the known-node filter not saved): the error JSON on stderr and exit status 2. Every command that opens a
/// store for writing ends with this, so a full disk at the end is an error, not a silent loss of the mark.
pub(crate) fn close(store: Store) -> Result<(), ExitCode> {
    let dir = store.path().display().to_string();
    store.close().map_err(|e| {
        eprintln!("{}", error_json(&dir, &e));
        ExitCode::from(EXIT_ERROR)
    })
}

/// Options of every command but `import`: the store must exist (only import creates one).
pub(crate) fn existing() -> Options {
    Options::default().create_if_missing(false)
}

/// Opens an existing store for reading: always read-only (no lock, nothing written), so reading commands work
/// while another process (a service) writes the store; failures exit 1.
pub(crate) fn open_read(db: &ReadDb) -> Result<Store, ExitCode> {
    open(&db.db, existing().read_only(true), 1)
}

pub(crate) fn fail(input: &str, e: &Error) -> ExitCode {
    eprintln!("{}", error_json(input, e));
    ExitCode::FAILURE
}

/// Runs `tracecode verify`.
pub(crate) fn verify(a: &VerifyArgs) -> ExitCode {
    // INPUT is checked before the store is opened.
    let root = match a.input.as_deref().map(|i| (i, trace::parse_root(i))) {
        Some((i, Err(e))) => return fail(i, &e),
        Some((i, Ok(id))) => Some((i, id)),
        None => None,
    };
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let spinner = Progress::spinner("verifying");
    let report = if let Some((input, id)) = &root {
        match store.verify(id) {
            Ok(r) => r,
            Err(e) => return fail(input, &e),
        }
    } else {
        match store.verify_all() {
            Ok(r) => r,
            Err(e) => return fail("verify", &e),
        }
    };
    spinner.finish();
    let cp = store.checkpoint().ok();
    println!(
        "{}",
        json!({
            "ok": report.is_ok(),
            "log_entries": report.log_entries,
            "events": report.events,
            "chains": report.chains,
            "chain_entries": report.chain_entries,
            "edges": report.edges,
            "checkpoint": cp.map(|c| json!({"seq": c.seq, "hash": c.hash.to_string()})),
            "losses": store.losses().map(|l| l.len()).ok(),
            "first_bad": report.first_bad.as_ref().map(|b| json!({
                "area": b.area, "node": b.node, "seq": b.seq, "message": b.message,
            })),
        })
    );
    if report.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Runs `tracecode stats`.
pub(crate) fn stats(a: &StatsArgs) -> ExitCode {
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match (store.stats(), store.checkpoint()) {
        (Ok(s), Ok(cp)) => {
            println!(
                "{}",
                json!({"events": s.events, "nodes": s.nodes, "chain_entries": s.chain_entries, "edges": s.edges,
                       "disk_bytes": s.disk_bytes, "checkpoint": {"seq": cp.seq, "hash": cp.hash.to_string()},
                       "path": store.path().display().to_string()})
            );
            ExitCode::SUCCESS
        }
        (Err(e), _) | (_, Err(e)) => fail("stats", &e),
    }
}

/// `recover`: the store opened (with `--accept-loss` if it lost acknowledged events); prints its checkpoint and
/// every loss it has recorded.
pub(crate) fn recover(a: &RecoverArgs) -> ExitCode {
    let store = match open(&a.db.db, existing().accept_loss(a.accept_loss), 1) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let cp = match store.checkpoint() {
        Ok(c) => c,
        Err(e) => return fail("recover", &e),
    };
    let losses = match store.losses() {
        Ok(l) => l,
        Err(e) => return fail("recover", &e),
    };
    let cp_json = |c: &tracecode::store::Checkpoint| json!({"seq": c.seq, "hash": c.hash.to_string()});
    let out = json!({
        "checkpoint": cp_json(&cp),
        "losses": losses.iter().map(|l| json!({
            "recovered": cp_json(&l.recovered),
            "acknowledged": l.acknowledged.as_ref().map(cp_json),
            "lost": (!l.lost().is_empty()).then(|| json!({"first": l.lost().start(), "last": l.lost().end()})),
            "rewritten": l.rewritten(),
            "accepted_at_ms": l.accepted_at_ms,
        })).collect::<Vec<_>>(),
    });
    println!("{out}");
    // Recover opens for writing (a recorded loss, a last durability point): close reports what Drop would not.
    match close(store) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
