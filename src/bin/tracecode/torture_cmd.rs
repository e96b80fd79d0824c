//! `tracecode torture crash`: the crash-test harness. A child process ingests deterministic batches into a store
//! with small memtables (so flushes and compactions run all the time) and prints an acknowledgement after each
//! ingest returns; the parent kills it with SIGKILL at a random moment (sometimes within milliseconds of its
//! start, while it is still recovering from the last kill), then opens the store and checks it:
//! - every acknowledged batch is there: the log's checkpoint at each acknowledged sequence is the one the child
//!   printed;
//! - no batch is there in part: the log ends on a batch boundary;
//! - the log is exactly the deterministic events in order: its checkpoint equals the in-memory model's, fed the
//!   same batches;
//! - `verify_all` is clean (every record, every family, counters).
//!
//! The next trial's child continues the same store, so crashes also land in recovery and in the ingest that
//! follows one. `--trials 100` by hand; the test suite runs a few.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tracecode::event::{Action, BizStep, Event, EventType, Id, Place, SourceDest, SourceDestType, Timestamp, TzOffset};
use tracecode::store::{Checkpoint, MemoryStore, Options, Store, TraceStore};

use crate::args::count;
use crate::bench_cmd::Dir;
use tracecode::synth::SplitMix64;

const HELP: &str = "\
tracecode torture — fault-injection harnesses

  tracecode torture crash [--trials N] [--seed S] [--db DIR] [--max-ms M]
      N times (default 10): start a child that ingests batches of 64 events into the store (small memtables,
      so flushes and compactions run), kill it with SIGKILL after a random 0..M ms (default 400), and check that
      every acknowledged batch is present, no batch is partial, the log equals the model's and verify_all is
      clean. Prints one JSON summary line; exit 0 when every trial held, 1 otherwise.
";

/// Events per batch: the log must always end on a multiple of it.
const BATCH: u64 = 64;

/// `tracecode torture`.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP, subcommand_required = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Kill -9 during ingest, then check nothing acknowledged is lost.
    #[command(after_help = HELP)]
    Crash {
        /// How many kills.
        #[arg(long, value_name = "N", default_value = "10", value_parser = count::<u64>)]
        trials: u64,
        /// Seed of the kill times.
        #[arg(long, value_name = "S", default_value = "1", value_parser = count::<u64>)]
        seed: u64,
        /// Keep the store in DIR (default: a temporary directory, removed at the end).
        #[arg(long, value_name = "DIR")]
        db: Option<String>,
        /// Kill after a random 0..M milliseconds.
        #[arg(long, value_name = "M", default_value = "400", value_parser = count::<u64>)]
        max_ms: u64,
    },
    /// The child the harness kills (internal).
    #[command(hide = true)]
    Child {
        /// The store directory.
        #[arg(long, value_name = "DIR")]
        db: String,
        /// Stop after N batches.
        #[arg(long, value_name = "N", value_parser = count::<u64>)]
        batches: Option<u64>,
    },
}

/// Runs `tracecode torture …`.
pub(crate) fn run(a: &Args) -> ExitCode {
    match &a.cmd {
        Sub::Crash { trials, seed, db, max_ms } => match crash(*trials, *seed, db.as_deref(), (*max_ms).max(1)) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(m) => {
                eprintln!("tracecode torture: {m}");
                ExitCode::from(2)
            }
        },
        Sub::Child { db, batches } => child(db, batches.unwrap_or(u64::MAX)),
    }
}

/// The store options of the child and the checker: small memtables force frequent flushes and compactions.
fn options() -> Options {
    let mut o = Options::default().block_cache_bytes(8 << 20).hot_tier_bytes(4 << 20);
    o.write_buffer_bytes = 256 << 10;
    o
}

/// The `n`-th event of the deterministic workload: items commissioned, packed into cases, cases shipped to a
/// party at a location, so every family (chains, edges, index, class) is written.
fn event(n: u64) -> Event {
    let t = Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap_or(0) * 1000);
    let item = |i: u64| id(format!("https://id.gs1.org/01/09506000134352/21/C{i}"));
    let case = |c: u64| id(format!("urn:epc:id:sscc:0614141.{c:010}"));
    match n % 4 {
        0 | 1 => {
            let mut e = Event::new(EventType::Object, t, TzOffset::UTC);
            e.action = Some(Action::Add);
            e.biz_step = Some(BizStep::Commissioning);
            e.epc_list = vec![item(n)];
            e
        }
        2 => {
            let mut e = Event::new(EventType::Aggregation, t, TzOffset::UTC);
            e.action = Some(Action::Add);
            e.biz_step = Some(BizStep::Packing);
            e.parent_id = Some(case(n / 4));
            e.child_epcs = vec![item(n - 1), item(n - 2)];
            e
        }
        _ => {
            let mut e = Event::new(EventType::Object, t, TzOffset::UTC);
            e.action = Some(Action::Observe);
            e.biz_step = Some(BizStep::Shipping);
            e.epc_list = vec![case(n / 4)];
            e.biz_location =
                Some(Place { id: id(format!("urn:epc:id:sgln:0614141.0000{}.0", n % 7)), extensions: vec![] });
            e.destinations = vec![SourceDest {
                kind: SourceDestType::OwningParty,
                id: id(format!("urn:epc:id:pgln:0614141.0000{}", n % 5)),
            }];
            e
        }
    }
}

/// An identifier of the workload: a code where the text is one, else the URI as it is.
fn id(text: String) -> Id {
    Id::parse(&text).unwrap_or_else(|_| Id::Uri(text.into_boxed_str()))
}

/// 32 bytes from 64 hex digits.
fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Batch `b`: events `b*BATCH .. (b+1)*BATCH`.
fn batch(b: u64) -> Vec<Event> {
    (b * BATCH..(b + 1) * BATCH).map(event).collect()
}

/// The child: continues the store from its last whole batch, printing `ack <last seq> <log hash hex>` after
/// every ingest that returned, until killed (or `--batches` are done).
fn child(db: &str, limit: u64) -> ExitCode {
    let store = match Store::open(db, options()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("child: open: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let Ok(cp) = store.checkpoint() else { return ExitCode::FAILURE };
    let first = cp.seq / BATCH;
    for b in (first..).take(usize::try_from(limit).unwrap_or(usize::MAX)) {
        match store.ingest(batch(b)) {
            Ok(_) => {}
            Err(e) => {
                eprintln!("child: ingest: {e}");
                return ExitCode::FAILURE;
            }
        }
        let Ok(cp) = store.checkpoint() else { return ExitCode::FAILURE };
        if writeln!(out, "ack {} {}", cp.seq, crate::hex(&cp.hash.0)).and_then(|()| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    // Not killed (`--batches` done): close reports what Drop would ignore.
    if let Err(e) = store.close() {
        eprintln!("child: close: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The parent: see the module docs.
fn crash(trials: u64, seed: u64, db: Option<&str>, max_ms: u64) -> Result<bool, String> {
    let dir = Dir::new(db, "torture");
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let mut rng = SplitMix64::new(seed);
    let model = MemoryStore::new();
    let mut model_batches = 0u64;
    let (mut acked, mut acks_total, mut failures) = (Vec::<(u64, String)>::new(), 0u64, Vec::new());
    let started = Instant::now();
    for trial in 0..trials {
        // Every fourth kill comes within 30 ms: while the child is still opening (recovering) the store.
        let ms = if trial % 4 == 3 { rng.next_u64() % 30 } else { rng.next_u64() % max_ms };
        let mut c = Command::new(&exe)
            .args(["torture", "child", "--db"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawning the child: {e}"))?;
        std::thread::sleep(Duration::from_millis(ms));
        let _ = c.kill();
        let out = c.wait_with_output().map_err(|e| format!("waiting for the child: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            let mut w = line.split(' ');
            if let (Some("ack"), Some(seq), Some(hash)) = (w.next(), w.next(), w.next())
                && let Ok(seq) = seq.parse::<u64>()
            {
                acked.push((seq, hash.to_owned()));
                acks_total += 1;
            }
        }
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("child:") {
            failures.push(format!("trial {trial}: the child failed: {}", err.trim()));
            break;
        }
        if let Err(m) = check(dir.path(), &acked, &model, &mut model_batches) {
            failures.push(format!("trial {trial} (killed after {ms} ms): {m}"));
            break;
        }
        eprintln!(
            "trial {trial}: killed after {ms} ms, {acks_total} batches acknowledged so far, log at {}",
            model_batches * BATCH
        );
    }
    let summary = json!({
        "trials": trials,
        "acknowledged_batches": acks_total,
        "events": model_batches * BATCH,
        "lost_acknowledged_batches": failures.iter().filter(|f| f.contains("acknowledged")).count(),
        "failures": failures,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(failures.is_empty())
}

/// Opens the store the child left and checks it (see the module docs); the model is extended to the store's
/// batch count.
fn check(dir: &std::path::Path, acked: &[(u64, String)], model: &MemoryStore, done: &mut u64) -> Result<(), String> {
    let store = Store::open(dir, options()).map_err(|e| format!("open after the kill: {e}"))?;
    let cp = store.checkpoint().map_err(|e| e.to_string())?;
    if cp.seq % BATCH != 0 {
        return Err(format!("a partial batch: the log ends at {}, not a multiple of {BATCH}", cp.seq));
    }
    // The latest acknowledgement covers every earlier one: its checkpoint hash chains over the whole log up to
    // it, so if it verifies, every batch acknowledged before it is there unchanged.
    if let Some((seq, hash)) = acked.iter().max_by_key(|(s, _)| *s) {
        if *seq > cp.seq {
            return Err(format!("an acknowledged batch is lost: seq {seq} acknowledged, the log ends at {}", cp.seq));
        }
        let Some(h) = unhex(hash) else { return Err(format!("a garbled acknowledgement {hash}")) };
        let want = Checkpoint { seq: *seq, hash: tracecode::event::digest::Link(h) };
        if !store.verify_checkpoint(&want).map_err(|e| e.to_string())? {
            return Err(format!("the acknowledged checkpoint at {seq} does not verify: history was rewritten"));
        }
    }
    while *done < cp.seq / BATCH {
        model.ingest(batch(*done)).map_err(|e| e.to_string())?;
        *done += 1;
    }
    if model.checkpoint().map_err(|e| e.to_string())? != cp {
        return Err(format!("the log is not the model's at {}", cp.seq));
    }
    let v = store.verify_all().map_err(|e| e.to_string())?;
    if let Some(bad) = v.first_bad {
        return Err(format!("verify_all: {bad}"));
    }
    store.close().map_err(|e| format!("close after the check: {e}"))
}
