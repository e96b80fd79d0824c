//! Store commands: `import`, `verify`, `stats`, `feed`, `export`, `recover` (and the store opening shared with
//! `resolve`, `trace` and `recall`).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use tracecode::event::Event;
use tracecode::event::epcis_json::{self, DocumentWriter, ExportOptions, Mode};
use tracecode::store::{Options, Store, TraceStore};
use tracecode::{Error, trace};

use crate::args::{ReadDb, WriteDb, count};
use crate::error_json;
use crate::progress::Progress;

/// Events per ingest batch when importing (one atomic WriteBatch each).
const IMPORT_BATCH: usize = 4096;

/// `tracecode import`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints one summary line: {\"events\", \"accepted\", \"duplicates\", \"declared\", \"rejected\", \"seconds\"};
each rejected event or unreadable FILE is reported on stderr as one JSON line.
EXIT STATUS: 0 every event stored, 1 some event was rejected or some FILE unreadable, 2 usage error.")]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    db: WriteDb,
    /// EPCIS 2.0 JSON-LD documents (- for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

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

/// `tracecode feed` and `tracecode export`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
feed prints one {\"seq\", \"event_id\", \"event\"} per line; export prints one EPCISDocument.
EXIT STATUS: 0 ok, 1 a store error (JSON on stderr), 2 usage error.")]
pub(crate) struct SinceArgs {
    #[command(flatten)]
    db: ReadDb,
    /// Start after this log sequence number (0: from the first event).
    #[arg(long, value_name = "N", default_value = "0", value_parser = count::<u64>)]
    since: u64,
    /// At most this many events.
    #[arg(long, value_name = "N", value_parser = count::<usize>)]
    limit: Option<usize>,
}

/// `tracecode recover`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Without --accept-loss, a store whose recovery lost acknowledged events is reported (error JSON on stderr, exit
1); with it, the store continues from what was recovered and records the loss. Prints {\"checkpoint\", \"losses\"}.
EXIT STATUS: 0 ok, 1 loss found (without --accept-loss) or a store error, 2 usage error.")]
pub(crate) struct RecoverArgs {
    #[command(flatten)]
    db: WriteDb,
    /// Continue from what was recovered and record the loss.
    #[arg(long)]
    accept_loss: bool,
}

/// Opens the store in `dir`, reporting a failure as JSON on stderr with exit status `code`.
pub(crate) fn open(dir: &Path, opts: Options, code: u8) -> Result<Store, ExitCode> {
    Store::open(dir, opts).map_err(|e| {
        eprintln!("{}", error_json(&dir.display().to_string(), &e));
        ExitCode::from(code)
    })
}

/// Options of every command but `import`: the store must exist (only import creates one).
pub(crate) fn existing() -> Options {
    Options::default().create_if_missing(false)
}

/// Opens an existing store for reading (`--read-only` honoured); failures exit 1.
fn open_read(db: &ReadDb) -> Result<Store, ExitCode> {
    open(&db.db, existing().read_only(db.read_only), 1)
}

fn fail(input: &str, e: &Error) -> ExitCode {
    eprintln!("{}", error_json(input, e));
    ExitCode::FAILURE
}

/// Runs `tracecode import`.
pub(crate) fn import(a: &ImportArgs) -> ExitCode {
    let store = match open(&a.db.db, Options::default().create_if_missing(true), 1) {
        Ok(s) => s,
        Err(code) => return code,
    };
    import_files(&store, &a.files)
}

fn import_files(store: &Store, files: &[String]) -> ExitCode {
    // Accepted, duplicate and declared (error declarations attached to stored events).
    let mut counts = [0u64; 3];
    let (mut rejected, mut seen) = (0u64, 0u64);
    let mut status = ExitCode::SUCCESS;
    let start = Instant::now();
    for f in files {
        let (reader, size): (Box<dyn Read>, Option<u64>) = if f == "-" {
            (Box::new(io::stdin().lock()), None)
        } else {
            match File::open(f) {
                Ok(h) => {
                    let size = h.metadata().ok().map(|m| m.len());
                    (Box::new(h), size)
                }
                Err(e) => {
                    eprintln!("{}", json!({"file": f, "ok": false, "error": e.to_string()}));
                    status = ExitCode::FAILURE;
                    continue;
                }
            }
        };
        // Progress in bytes of the file: the event count is unknown until the end.
        let progress = Progress::bytes("importing", size);
        let reader = progress.reader(reader);
        let mut batch: Vec<Event> = Vec::with_capacity(IMPORT_BATCH);
        let flush = |batch: &mut Vec<Event>, counts: &mut [u64; 3]| -> Result<(), Error> {
            if batch.is_empty() {
                return Ok(());
            }
            let r = store.ingest(std::mem::take(batch))?;
            for (c, n) in counts.iter_mut().zip([r.accepted, r.duplicates, r.declared]) {
                *c += n as u64;
            }
            Ok(())
        };
        let result = epcis_json::import(reader, Mode::AcceptValid, |_, ev| {
            seen += 1;
            if let Ok(e) = ev {
                batch.push(e);
                if batch.len() >= IMPORT_BATCH {
                    flush(&mut batch, &mut counts)?;
                }
            }
            Ok(())
        });
        let tail = flush(&mut batch, &mut counts);
        progress.finish();
        match (result, tail) {
            (Ok(summary), Ok(())) => {
                rejected += summary.rejected_total as u64;
                for b in &summary.rejected {
                    eprintln!("{}", json!({"file": f, "index": b.index, "pointer": b.pointer, "message": b.message}));
                }
                if summary.rejected_total > 0 {
                    status = ExitCode::FAILURE;
                }
            }
            (Err(e), _) => {
                eprintln!("{}", json!({"file": f, "ok": false, "pointer": e.pointer(), "error": e.to_string()}));
                status = ExitCode::FAILURE;
            }
            (Ok(_), Err(e)) => {
                eprintln!("{}", error_json(f, &e));
                status = ExitCode::FAILURE;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"events": seen, "accepted": counts[0], "duplicates": counts[1], "declared": counts[2],
               "rejected": rejected, "seconds": (secs * 1000.0).round() / 1000.0})
    );
    status
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

/// Streams the feed after `since` in pages, calling `f` for each item.
fn each_since(
    store: &Store,
    since: u64,
    limit: Option<usize>,
    mut f: impl FnMut(&tracecode::store::FeedItem) -> io::Result<()>,
) -> Result<u64, Error> {
    let mut cursor = since;
    let mut n = 0u64;
    loop {
        let want = limit.map_or(1024, |l| l.saturating_sub(usize::try_from(n).unwrap_or(usize::MAX)).min(1024));
        if want == 0 {
            break;
        }
        let page = store.events_since(cursor, want)?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        for item in &page {
            f(item).map_err(|e| Error::from(io::Error::new(e.kind(), format!("cannot write: {e}"))))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Runs `tracecode feed`.
pub(crate) fn feed(a: &SinceArgs) -> ExitCode {
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (store, since, limit) = (&store, a.since, a.limit);
    let opts = ExportOptions::default();
    let mut out = BufWriter::new(io::stdout().lock());
    let r = each_since(store, since, limit, |item| {
        let line = json!({"seq": item.seq, "event_id": item.id.to_string(),
                          "event": epcis_json::event_to_json(&item.event, &opts)});
        writeln!(out, "{line}")
    });
    match r.and_then(|n| out.flush().map(|()| n).map_err(Error::from)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail("feed", &e),
    }
}

/// Runs `tracecode export`.
pub(crate) fn export(a: &SinceArgs) -> ExitCode {
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (store, since, limit) = (&store, a.since, a.limit);
    // The events to write: up to the latest checkpoint, capped by --limit.
    let total = store.checkpoint().ok().map(|c| {
        let after = c.seq.saturating_sub(since);
        limit.map_or(after, |l| after.min(u64::try_from(l).unwrap_or(u64::MAX)))
    });
    let progress = Progress::new("exporting", total);
    let opts = ExportOptions::default();
    let out = BufWriter::new(io::stdout().lock());
    let result = (|| -> Result<(), Error> {
        let mut w = DocumentWriter::new(out, &opts, &[])?;
        let mut err = None;
        each_since(store, since, limit, |item| {
            if let Err(e) = w.write_event(&item.event) {
                err = Some(e);
                return Err(io::Error::other("export stopped"));
            }
            progress.inc(1);
            Ok(())
        })
        .map_err(|e| err.take().unwrap_or(e))?;
        let mut out = w.finish()?;
        out.flush().map_err(Error::from)
    })();
    progress.finish();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("export", &e),
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
    ExitCode::SUCCESS
}
