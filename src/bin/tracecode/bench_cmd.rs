//! `tracecode bench lookup` and `tracecode bench trace`: throughput harnesses that report every result as a ratio
//! to a baseline measured in the same run on the same data (these machines are shared and noisy).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracecode::code::TraceKey;
use tracecode::event::{Event, Id};
use tracecode::store::{Options, Store, TraceStore, keys};
use tracecode::synth::{self, SplitMix64, Synth, SynthConfig};
use tracecode::trace::{self, Direction, TraceOptions};

use crate::args::count;
use crate::progress::{Progress, per_second};

const HELP: &str = "\
tracecode bench — throughput harnesses (results as ratios to same-run baselines)

  tracecode bench lookup [--items N] [--threads T] [--ops N] [--hot-mb M] [--db DIR] [--json FILE]
      Generates the synthetic province (N items, default 1 000 000, ~8 events each), ingests it with the WAL on
      and compares that with RocksDB alone committing the same records (the first ~512 MiB of recorded write
      batches replayed into a fresh store: time in the write, and CPU per event with flushes and compactions),
      then measures on T threads (default 2): hot resolves (Zipf 0.99 keys, hot tier warm; in rounds taking
      turns with the hash map, medians reported), hot resolves from scan text (all the synthetic forms, then
      the Digital Links among them) as a ratio to hot resolves by key (target >= 0.8), with the same texts
      through the full parser (parse + trace_key: no fast path) beside them, uniform resolves
      over all items (more than the hot tier holds), the same with the hot tier bypassed (the cold path),
      unknown-code probes, resolve_many batches, and the
      baselines: an in-memory hash map of the same keys and a raw RocksDB reused-iterator prefix scan of the
      same chain bytes. --ops: operations per measurement (default 2 000 000); --hot-mb: hot tier size
      (default 2048: the ~356 000 chains the Zipf sequence touches need ~1.1 GiB, the 1 000 000 of the uniform
      row ~3.2 GB, so the hot set fits and the uniform working set still does not); --db DIR: keep the store there, and measure only the reads when DIR already holds a
      store from an earlier run with the same --items.
  tracecode bench query [--items N] [--runs R] [--db DIR] [--json FILE]
      Builds the synthetic province (N items, default 1 000 000; its shipping events carry a temperature
      report) and runs R queries (default 200) of each of 17 SimpleEventQuery shapes with values drawn from the
      data: first page of 100 events, p50 and p99 against the targets (2 ms, 20 ms), events examined per event
      returned, and the same queries answered by filtering the time index (the same-run full-scan baseline,
      at most 3 s a query: past that the ratio is a lower bound, marked >). --cache-mb: block cache (default
      4096). --db DIR: keep the store, and reuse it (only sampling the data again) when DIR holds one.
  tracecode bench trace [--nodes N] [--db DIR] [--json FILE]
      Builds a genealogy of about N nodes (default 1 000 000) and times a forward trace from its root on the
      store, and on an in-memory adjacency built from it.
";

/// `tracecode bench`.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP, subcommand_required = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Lookup throughput against same-run baselines (a hash map, raw RocksDB).
    #[command(after_help = HELP)]
    Lookup {
        /// Items of the synthetic province (at least 100).
        #[arg(long, value_name = "N", default_value = "1000000", value_parser = count::<u64>)]
        items: u64,
        /// Reader threads (1 to 64).
        #[arg(long, value_name = "T", default_value = "2", value_parser = count::<usize>)]
        threads: usize,
        /// Operations per measurement (at least 1000).
        #[arg(long, value_name = "N", default_value = "2000000", value_parser = count::<usize>)]
        ops: usize,
        /// Hot tier size in MiB.
        #[arg(long, value_name = "M", default_value = "2048", value_parser = count::<usize>)]
        hot_mb: usize,
        #[command(flatten)]
        out: Out,
    },
    /// EPCIS query latency by shape on the synthetic province, against the same run's full scans.
    #[command(after_help = HELP)]
    Query {
        /// Items of the synthetic province (at least 100).
        #[arg(long, value_name = "N", default_value = "1000000", value_parser = count::<u64>)]
        items: u64,
        /// Queries per shape (at least 10).
        #[arg(long, value_name = "N", default_value = "200", value_parser = count::<usize>)]
        runs: usize,
        /// RocksDB block cache in MiB.
        #[arg(long, value_name = "M", default_value = "4096", value_parser = count::<usize>)]
        cache_mb: usize,
        #[command(flatten)]
        out: Out,
    },
    /// Forward trace of a large genealogy, on the store and on an in-memory adjacency.
    #[command(after_help = HELP)]
    Trace {
        /// Nodes of the genealogy (about; at least 10).
        #[arg(long, value_name = "N", default_value = "1000000", value_parser = count::<u64>)]
        nodes: u64,
        #[command(flatten)]
        out: Out,
    },
}

/// Where a bench keeps its store and writes its report.
#[derive(clap::Args, Debug)]
struct Out {
    /// Keep the store in DIR (default: a temporary directory, removed at the end).
    #[arg(long, value_name = "DIR")]
    db: Option<String>,
    /// Also write the results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
}

/// Runs `tracecode bench …`.
pub(crate) fn run(a: &Args) -> ExitCode {
    let mut f =
        Flags { items: 1_000_000, nodes: 1_000_000, threads: 2, ops: 2_000_000, hot_mb: 2048, db: None, json: None };
    let r = match &a.cmd {
        Sub::Lookup { items, threads, ops, hot_mb, out } => {
            f.items = (*items).max(100);
            f.threads = (*threads).clamp(1, 64);
            f.ops = (*ops).max(1000);
            f.hot_mb = *hot_mb;
            f.db.clone_from(&out.db);
            f.json.clone_from(&out.json);
            lookup(&f)
        }
        Sub::Query { items, runs, cache_mb, out } => crate::bench_query::run(
            (*items).max(100),
            (*runs).max(10),
            *cache_mb,
            out.db.as_deref(),
            out.json.as_deref(),
        ),
        Sub::Trace { nodes, out } => {
            f.nodes = (*nodes).max(10);
            f.db.clone_from(&out.db);
            f.json.clone_from(&out.json);
            trace_bench(&f)
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(m) => {
            eprintln!("tracecode bench: {m}");
            ExitCode::from(2)
        }
    }
}

/// The settings of one bench run.
struct Flags {
    items: u64,
    nodes: u64,
    threads: usize,
    ops: usize,
    hot_mb: usize,
    db: Option<String>,
    json: Option<String>,
}

/// A store directory: `--db DIR`, or a fresh temporary one removed on drop.
pub(crate) struct Dir {
    path: std::path::PathBuf,
    temp: bool,
}

impl Dir {
    pub(crate) fn new(db: Option<&str>, what: &str) -> Self {
        #[allow(clippy::single_match_else, reason = "two real cases")]
        match db {
            Some(d) => Self { path: d.into(), temp: false },
            None => {
                let nanos =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
                let path = std::env::temp_dir().join(format!("tracecode-{what}-{}-{nanos}", std::process::id()));
                Self { path, temp: true }
            }
        }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if self.temp {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// `ops` indices in `0..n` drawn from Zipf(s): rank r has weight 1/(r+1)^s; ranks are mapped to items by a
/// random permutation so the hot items are spread over categories and key ranges.
fn zipf_sequence(n: u64, s: f64, ops: usize, rng: &mut SplitMix64) -> Vec<u64> {
    let count = usize::try_from(n).unwrap_or(usize::MAX);
    let mut cdf = Vec::with_capacity(count);
    let mut acc = 0.0;
    for r in 0..n {
        #[allow(clippy::cast_precision_loss, reason = "ranks up to 10 million are exact in f64")]
        let w = 1.0 / ((r + 1) as f64).powf(s);
        acc += w;
        cdf.push(acc);
    }
    let mut perm: Vec<u64> = (0..n).collect();
    for i in (1..perm.len()).rev() {
        let j = usize::try_from(rng.below(i as u64 + 1)).unwrap_or(0);
        perm.swap(i, j);
    }
    (0..ops)
        .map(|_| {
            let u = rng.unit() * acc;
            let r = cdf.partition_point(|&c| c < u).min(count - 1);
            perm.get(r).copied().unwrap_or(0)
        })
        .collect()
}

/// Runs `work(thread, slice)` on `threads` threads over equal slices of `items`; returns operations per second.
/// Rounds of the hot row's interleaved measurement.
const ROUNDS: usize = 5;

/// The median of `v` (sorted in place); 0 for none.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn measure<T: Sync>(threads: usize, items: &[T], work: impl Fn(&[T]) -> u64 + Sync) -> (f64, u64) {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    let _spinner = Progress::spinner("measuring");
    let start = Instant::now();
    let checks: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(|| work(c))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let rate = items.len() as f64 / secs.max(1e-9);
    (rate, checks)
}

/// Waits (at most 15 minutes) until RocksDB has no flush or compaction running or pending, so reads are measured
/// on a settled store rather than against background work; returns the seconds waited.
fn settle(store: &Store) -> Result<f64, String> {
    let _spinner = Progress::spinner("settling");
    let t = Instant::now();
    while store.background_busy().map_err(|e| e.to_string())? && t.elapsed() < Duration::from_secs(900) {
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// What [`load`] measured.
pub(crate) struct Loaded {
    /// Events accepted.
    pub events: u64,
    /// Seconds spent inside `ingest`.
    pub busy: f64,
    /// (events accepted, seconds inside `ingest`) of each batch, in order.
    pub batches: Vec<(u64, f64)>,
    /// CPU seconds the event generator's thread used (Linux only).
    pub generator_cpu: Option<f64>,
}

/// Generates the synthetic province in a producer thread and ingests it in batches of 4096.
pub(crate) fn load(store: &Store, synth: &Synth, label: &'static str) -> Result<Loaded, String> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(4);
    let estimate = synth.item_count() * 8;
    let progress = Progress::new(label, Some(estimate));
    let mut out = Loaded { events: 0, busy: 0.0, batches: Vec::new(), generator_cpu: None };
    std::thread::scope(|s| {
        let generator = s.spawn(move || {
            for batch in synth.batches(4096) {
                if tx.send(batch).is_err() {
                    break;
                }
            }
            thread_cpu()
        });
        for batch in rx {
            let t = Instant::now();
            let r = store.ingest(batch).map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            out.busy += secs;
            out.events += r.accepted as u64;
            out.batches.push((r.accepted as u64, secs));
            progress.update(out.events);
        }
        out.generator_cpu = generator.join().ok().flatten();
        Ok::<(), String>(())
    })?;
    progress.finish();
    Ok(out)
}

/// CPU seconds (user and system) in a `/proc/…/stat` file (in USER_HZ, which Linux fixes at 100 there).
fn stat_cpu(path: &std::path::Path) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// CPU seconds every thread of this process has used; `None` where there is no `/proc`.
fn process_cpu() -> Option<f64> {
    stat_cpu("/proc/self/stat".as_ref())
}

/// CPU seconds the calling thread has used.
fn thread_cpu() -> Option<f64> {
    stat_cpu("/proc/thread-self/stat".as_ref())
}

/// A process's CPU seconds by thread role: the calling thread (the one that ingests), RocksDB's flush and
/// compaction pools (threads named `rocksdb:high*` and `rocksdb:low*`), and the rest (other live threads, and
/// every thread that has exited, such as the preparation helpers of each batch).
#[derive(Clone, Copy)]
struct CpuSplit {
    caller: f64,
    flush: f64,
    compaction: f64,
    rest: f64,
}

impl CpuSplit {
    fn now() -> Option<Self> {
        let total = process_cpu()?;
        let caller = thread_cpu()?;
        let (mut flush, mut compaction) = (0.0, 0.0);
        for t in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            let cpu = stat_cpu(&t.path().join("stat")).unwrap_or(0.0);
            if name.starts_with("rocksdb:high") {
                flush += cpu;
            } else if name.starts_with("rocksdb:low") {
                compaction += cpu;
            }
        }
        Some(Self { caller, flush, compaction, rest: total - caller - flush - compaction })
    }

    /// Every thread's CPU seconds.
    fn total(self) -> f64 {
        self.caller + self.flush + self.compaction + self.rest
    }

    fn since(self, before: Self) -> Self {
        Self {
            caller: self.caller - before.caller,
            flush: self.flush - before.flush,
            compaction: self.compaction - before.compaction,
            rest: self.rest - before.rest,
        }
    }
}

/// What [`raw_write_baseline`] measured.
struct RawWrite {
    /// Events of the replayed batches.
    events: u64,
    /// Seconds our ingest spent on those batches.
    ours: f64,
    /// Seconds RocksDB spent writing them.
    replay: f64,
    /// CPU seconds of the replay, its flush and its compactions (all threads).
    cpu: Option<f64>,
}

/// The ingest baseline: RocksDB alone committing the write batches that ingest produced for the first events
/// of the load (recorded up to a byte budget), replayed into a fresh store with the same options, then flushed
/// and left to finish its compactions.
fn raw_write_baseline(opts: &Options, loaded: &Loaded, batches: &[Vec<u8>]) -> Result<RawWrite, String> {
    let scratch = Dir::new(None, "bench-raw");
    let raw = Store::open(scratch.path(), opts.clone()).map_err(|e| e.to_string())?;
    let cpu0 = process_cpu();
    // The scratch store holds the format record already; the recorded batches carry everything else.
    let replay = raw.write_raw_batches(batches).map_err(|e| e.to_string())?;
    raw.flush().map_err(|e| e.to_string())?;
    settle(&raw)?;
    let cpu = process_cpu().zip(cpu0).map(|(b, a)| b - a);
    drop(raw);
    let (events, ours) = loaded.batches.iter().take(batches.len()).fold((0, 0.0), |(n, s), &(e, t)| (n + e, s + t));
    Ok(RawWrite { events, ours, replay, cpu })
}

struct Row {
    name: &'static str,
    rate: f64,
    baseline: Option<(&'static str, f64)>,
    target: &'static str,
    met: Option<bool>,
    note: String,
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 { format!("{:.2} M/s", r / 1e6) } else { format!("{:.0} k/s", r / 1e3) }
}

fn print_table(rows: &[Row]) {
    println!("{:<34} {:>12} {:>34} {:>7}  {:<28} met", "measurement", "rate", "baseline (same run)", "ratio", "target");
    for r in rows {
        let (b, ratio) = match r.baseline {
            Some((n, b)) => (format!("{n} {}", fmt_rate(b)), format!("{:.2}", r.rate / b)),
            None => (String::new(), String::new()),
        };
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!("{:<34} {:>12} {:>34} {:>7}  {:<28} {met}", r.name, fmt_rate(r.rate), b, ratio, r.target);
        if !r.note.is_empty() {
            println!("{:<34} {}", "", r.note);
        }
    }
}

fn rows_json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({"name": r.name, "per_second": r.rate.round(),
                       "baseline": r.baseline.map(|(n, b)| json!({"name": n, "per_second": b.round()})),
                       "ratio": r.baseline.map(|(_, b)| r.rate / b), "target": r.target, "met": r.met,
                       "note": r.note})
            })
            .collect(),
    )
}

pub(crate) fn write_json(path: Option<&str>, v: &Value) -> Result<(), String> {
    if let Some(p) = path {
        std::fs::write(p, format!("{v:#}\n")).map_err(|e| format!("cannot write {p}: {e}"))?;
        println!("wrote {p}");
    }
    Ok(())
}

/// Ingests the data set (WAL on), then measures the raw-write baseline; adds the two ingest rows.
fn ingest_rows(store: &Store, synth: &Synth, opts: &Options, rows: &mut Vec<Row>) -> Result<(), String> {
    // Keep the write batches of the first ~512 MiB of ingest for the same-run raw-write baseline.
    store.record_batches(512 << 20);
    let split0 = CpuSplit::now();
    let loaded = load(store, synth, "ingest")?;
    let recorded = store.take_recorded_batches();
    let (events, busy) = (loaded.events, loaded.busy);
    store.flush().map_err(|e| e.to_string())?;
    let settle = settle(store)?;
    let split = CpuSplit::now().zip(split0).map(|(b, a)| b.since(a));
    let cpu = split.map(CpuSplit::total);
    let raw = raw_write_baseline(opts, &loaded, &recorded)?;
    drop(recorded);
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let ingest_rate = events as f64 / busy.max(1e-9);
    rows.push(Row {
        name: "ingest, WAL on (events)",
        rate: ingest_rate,
        baseline: None,
        target: ">= 200 k/s",
        met: Some(ingest_rate >= 200_000.0),
        note: format!(
            "{events} events in batches of 4096, time inside ingest() only; then {settle:.0} s for background \
             compaction to settle before the reads"
        ),
    });
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let (ours_rate, raw_rate) = (raw.events as f64 / raw.ours.max(1e-9), raw.events as f64 / raw.replay.max(1e-9));
    rows.push(Row {
        name: "ingest, first batches (events)",
        rate: ours_rate,
        baseline: Some(("RocksDB writing the same batches", raw_rate)),
        target: "",
        met: None,
        note: format!(
            "the first {} events; baseline: their recorded write batches replayed into a fresh store with the \
             same options (the engine alone, same records, same WAL)",
            raw.events
        ),
    });
    // The ceiling on this machine: events per CPU-second, every thread counted (preparation, WAL, memtables,
    // flushes, compactions), against RocksDB alone doing its part for the same records.
    if let (Some(ours), Some(theirs)) = (cpu, raw.cpu) {
        #[allow(clippy::cast_precision_loss, reason = "throughput display")]
        let (per_cpu, raw_per_cpu) = (events as f64 / ours.max(1e-9), raw.events as f64 / theirs.max(1e-9));
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        #[allow(clippy::cast_precision_loss, reason = "display")]
        let c = cores as f64;
        // Where it went, per thread role: the ingesting thread is the one that bounds a single writer.
        #[allow(clippy::cast_precision_loss, reason = "display")]
        let us = |secs: f64| secs * 1e6 / events.max(1) as f64;
        let split = split.map_or_else(String::new, |s| {
            let generator = loaded.generator_cpu.unwrap_or(0.0);
            format!(
                ". Split: the ingesting thread {:.1} us (validation and encoding of half a batch, the nodes' \
                 records, the write: WAL and memtable inserts), preparation helpers {:.1}, the event generator \
                 {:.1}, flushes {:.1}, compactions {:.1}",
                us(s.caller),
                us(s.rest - generator),
                us(generator),
                us(s.flush),
                us(s.compaction)
            )
        });
        rows.push(Row {
            name: "ingest, events per CPU-second",
            rate: per_cpu,
            baseline: Some(("RocksDB alone, first batches", raw_per_cpu)),
            target: "",
            met: None,
            note: format!(
                "{:.1} us of CPU an event, every thread counted (preparation, WAL, memtables, flushes, compactions, \
                 and the event generator); RocksDB alone writing, flushing and compacting the first batches' \
                 records into a fresh store: {:.1} us an event, a lower bound for its share of the whole load. On \
                 {cores} cores: at most {} for this ingest, {} for RocksDB alone with no preparation at all{split}",
                1e6 / per_cpu,
                1e6 / raw_per_cpu,
                fmt_rate(per_cpu * c),
                fmt_rate(raw_per_cpu * c)
            ),
        });
    }

    Ok(())
}

#[allow(clippy::too_many_lines, reason = "one measurement script, read top to bottom")]
fn lookup(f: &Flags) -> Result<(), String> {
    let dir = Dir::new(f.db.as_deref(), "bench");
    let opts = Options::default().hot_tier_bytes(f.hot_mb << 20).block_cache_bytes(2 << 30);
    let store = Store::open(dir.path(), opts.clone()).map_err(|e| e.to_string())?;
    let synth = Synth::new(SynthConfig { items: f.items, ..SynthConfig::default() });
    println!(
        "bench lookup: {} items, {} threads, {} ops per measurement, store {}",
        f.items,
        f.threads,
        f.ops,
        dir.path().display()
    );
    let mut rows = Vec::new();
    // A store that already holds events (`--db` of an earlier run with the same --items) is measured as it is:
    // the read rows only, without the minutes of ingest.
    let held = store.stats().map_err(|e| e.to_string())?.events;
    if held == 0 {
        ingest_rows(&store, &synth, &opts, &mut rows)?;
    } else {
        println!("the store already holds {held} events: ingest is not measured");
        settle(&store)?;
    }
    let n = synth.item_count();
    let keys: Vec<TraceKey> = (0..n).filter_map(|i| synth.item_key(i)).collect();
    let n_keys = keys.len() as u64;
    let Some(first) = keys.first() else { return Err("the data set has no items".into()) };
    let mut rng = SplitMix64::new(0x5EED);
    let zipf: Vec<u64> = zipf_sequence(n_keys, 0.99, f.ops, &mut rng);
    let uniform: Vec<u64> = (0..f.ops).map(|_| rng.below(n_keys)).collect();
    let key_at = |i: u64| keys.get(usize::try_from(i).unwrap_or(0)).unwrap_or(first);
    // Baseline 1: a bare in-memory hash map of the same node keys.
    let map: HashMap<Vec<u8>, u64> = keys.iter().enumerate().map(|(i, k)| (keys::key_node(k), i as u64)).collect();
    let zipf_nodes: Vec<Vec<u8>> = zipf.iter().map(|&i| keys::key_node(key_at(i))).collect();
    let map_lookups = |c: &[Vec<u8>]| {
        let mut hits = 0;
        for k in c {
            hits += u64::from(map.contains_key(k));
        }
        assert_eq!(hits, c.len() as u64, "baseline map lost a key");
        hits
    };

    // Hot resolves: warm the hot tier with one pass, then measure.
    let zipf_keys: Vec<&TraceKey> = zipf.iter().map(|&i| key_at(i)).collect();
    let resolve_all = |c: &[&TraceKey]| {
        let mut r = store.reader();
        let mut found = 0;
        for k in c {
            match r.resolve_key(k) {
                Ok(Some(res)) => {
                    assert!(!res.chain.is_empty());
                    found += 1;
                }
                other => panic!("resolve of a stored key failed: {other:?}"),
            }
        }
        found
    };
    measure(f.threads, &zipf_keys, resolve_all);
    let before = store.stats().map_err(|e| e.to_string())?;
    // The map and the hot tier take turns over the same fifths of the Zipf sequence, so both are measured under
    // the same load from whatever else shares the machine (one pass each, one after the other, put the map's
    // rate between 7.8 and 15.4 M/s on one machine); each reports its median round.
    let per = zipf_keys.len().div_ceil(ROUNDS).max(1);
    let (mut maps, mut hots) = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
    for (nodes, keys) in zipf_nodes.chunks(per).zip(zipf_keys.chunks(per)) {
        maps.push(measure(f.threads, nodes, map_lookups).0);
        hots.push(measure(f.threads, keys, resolve_all).0);
    }
    drop(zipf_nodes);
    drop(map);
    // Per-round ratios, before the medians sort the rates.
    let ratios: Vec<String> = hots.iter().zip(&maps).map(|(h, m)| format!("{:.2}", h / m)).collect();
    let (map_rate, hot_rate) = (median(&mut maps), median(&mut hots));
    rows.push(Row {
        name: "resolve, hot (Zipf 0.99, by key)",
        rate: hot_rate,
        baseline: Some(("hash map", map_rate)),
        target: ">= 2 M/s and >= 0.3 of map",
        met: Some(hot_rate >= 2e6 && hot_rate >= 0.3 * map_rate),
        note: format!(
            "hot tier {} entries, {} MiB charged; median of {ROUNDS} rounds taking turns with the map (ratios \
             per round {})",
            before.hot_entries,
            before.hot_bytes >> 20,
            ratios.join(" ")
        ),
    });
    drop(zipf_keys);
    scan_rows(&store, &synth, &zipf, f, hot_rate, &mut rows)?;

    // Baseline 2: raw RocksDB reused-iterator prefix scans of the same chains.
    let uniform_keys: Vec<&TraceKey> = uniform.iter().map(|&i| key_at(i)).collect();
    let (raw_rate, _) = measure(f.threads, &uniform_keys, |c| {
        let Ok(mut scan) = store.raw_chain_scanner() else { return 0 };
        let mut found = 0;
        for k in c {
            let (entries, bytes) = scan.scan(k);
            assert!(entries > 0 && bytes > 0, "raw scan found no chain");
            found += 1;
        }
        found
    });
    let before = store.stats().map_err(|e| e.to_string())?;
    let (uni_rate, _) = measure(f.threads, &uniform_keys, resolve_all);
    rows.push(Row {
        name: "resolve, uniform (by key)",
        rate: uni_rate,
        baseline: Some(("raw RocksDB scan", raw_rate)),
        target: ">= 0.85 of raw scan",
        met: Some(uni_rate >= 0.85 * raw_rate),
        note: format!("{n_keys} items; hot tier holds {} entries ({} MiB)", before.hot_entries, before.hot_bytes >> 20),
    });

    // The cold path alone: the same uniform keys with the hot tier neither read nor filled.
    let (cold_rate, _) = measure(f.threads, &uniform_keys, |c| {
        let mut r = store.reader();
        let mut found = 0;
        for k in c {
            match r.resolve_key_uncached(k) {
                Ok(Some(res)) => {
                    assert!(!res.chain.is_empty());
                    found += 1;
                }
                other => panic!("uncached resolve of a stored key failed: {other:?}"),
            }
        }
        found
    });
    rows.push(Row {
        name: "resolve, uniform, hot tier bypassed",
        rate: cold_rate,
        baseline: Some(("raw RocksDB scan", raw_rate)),
        target: "(the cold path alone)",
        met: None,
        note: String::new(),
    });

    // resolve_many over uniform scan texts, batches of 64.
    let uniform_scans: Vec<String> = uniform.iter().take(f.ops / 4).map(|&i| synth.scan_of(i)).collect();
    let (many_rate, _) = measure(f.threads, &uniform_scans, |c| {
        let mut found = 0;
        for batch in c.chunks(64) {
            let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
            found += store.resolve_many(&refs).iter().filter(|r| matches!(r, Ok(Some(_)))).count() as u64;
        }
        assert_eq!(found, c.len() as u64, "resolve_many missed stored items");
        found
    });
    rows.push(Row {
        name: "resolve_many (64, uniform, text)",
        rate: many_rate,
        baseline: Some(("raw RocksDB scan", raw_rate)),
        target: "(includes parsing)",
        met: None,
        note: String::new(),
    });
    drop(uniform_keys);

    // Unknown codes: well-formed codes never issued.
    let unknown: Vec<TraceKey> = (0..f.ops as u64)
        .filter_map(|i| tracecode::code::parse(synth.unknown_scan(i)).and_then(|c| c.trace_key()).ok())
        .collect();
    let unknown_refs: Vec<&TraceKey> = unknown.iter().collect();
    let (unknown_rate, _) = measure(f.threads, &unknown_refs, |c| {
        let mut r = store.reader();
        for k in c {
            assert!(matches!(r.resolve_key(k), Ok(None)), "an unknown code resolved");
        }
        c.len() as u64
    });
    rows.push(Row {
        name: "unknown-code probes (by key)",
        rate: unknown_rate,
        baseline: Some(("hash map", map_rate)),
        target: ">= 2 M/s",
        met: Some(unknown_rate >= 2e6),
        note: String::new(),
    });

    print_table(&rows);
    let s = store.stats().map_err(|e| e.to_string())?;
    println!(
        "store: {} events, {} nodes, {} chain entries, {} edges, {} MiB on disk",
        s.events,
        s.nodes,
        s.chain_entries,
        s.edges,
        s.disk_bytes >> 20
    );
    write_json(
        f.json.as_deref(),
        &json!({"bench": "lookup", "items": f.items, "threads": f.threads, "ops": f.ops, "events": s.events,
                "results": rows_json(&rows)}),
    )?;
    // A `--db` store is kept: close reports what Drop would ignore.
    store.close().map_err(|e| format!("closing the store: {e}"))
}

/// The scan-text rows: hot resolves from what a scanner sends (`resolve`: `scan_key`, then the key), each
/// reported as a ratio to the hot-by-key row above (target: at least 0.8). Each is measured in rounds taking
/// turns with hot resolves by key of the same items and with the same texts through the full parser (`parse`,
/// `trace_key`, then the key: the scan path without its fast paths, i.e. before them), every round over the
/// whole set, so the three see the same load; the notes give those same-items ratios (stricter: these keys are
/// read in sequence, the row above reads them scattered over the whole key list). The scans are the first
/// quarter of the Zipf sequence; the Digital Links among the scans of the whole sequence get rows of their own.
fn scan_rows(
    store: &Store,
    synth: &Synth,
    zipf: &[u64],
    f: &Flags,
    hot_rate: f64,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let scans: Vec<String> = zipf.iter().take(f.ops / 4).map(|&i| synth.scan_of(i)).collect();
    let links: Vec<String> = zipf.iter().map(|&i| synth.scan_of(i)).filter(|s| s.starts_with(DL_STEM)).collect();
    let forms = scan_forms(&scans);
    let links_share = format!("{} of the {} scans of the whole sequence", links.len(), zipf.len());
    let sets: [(&'static str, &'static str, &[String], &str); 2] = [
        ("resolve, hot (Zipf, scan text)", "resolve, hot (scan, full parser)", &scans, &forms),
        ("resolve, hot (Zipf, Digital Link)", "resolve, hot (DL, full parser)", &links, &links_share),
    ];
    for (name, full_name, texts, share) in sets {
        if texts.is_empty() {
            continue;
        }
        let keys = texts
            .iter()
            .map(|s| tracecode::code::parse(s).and_then(|c| c.trace_key()))
            .collect::<Result<Vec<TraceKey>, _>>()
            .map_err(|e| format!("a synthetic scan does not parse: {e}"))?;
        let by_key = |c: &[TraceKey]| {
            let mut r = store.reader();
            c.iter().map(|k| u64::from(matches!(r.resolve_key(k), Ok(Some(_))))).sum()
        };
        let by_text = |c: &[String]| {
            let mut r = store.reader();
            c.iter().map(|s| u64::from(matches!(r.resolve(s), Ok(Some(_))))).sum()
        };
        let by_full_parse = |c: &[String]| {
            let mut r = store.reader();
            c.iter()
                .map(|s| {
                    let k = tracecode::code::parse(s).and_then(|c| c.trace_key());
                    u64::from(matches!(k.map(|k| r.resolve_key(&k)), Ok(Ok(Some(_)))))
                })
                .sum()
        };
        let (mut keyed, mut scanned, mut parsed) = (Vec::new(), Vec::new(), Vec::new());
        let mut found = (0, 0);
        for (t, k) in std::iter::repeat_n((texts, &keys[..]), ROUNDS) {
            let (rate, n) = measure(f.threads, k, by_key);
            keyed.push(rate);
            found.0 += n;
            let (rate, n) = measure(f.threads, t, by_text);
            scanned.push(rate);
            found.1 += n;
            parsed.push(measure(f.threads, t, by_full_parse).0);
        }
        if found.0 != found.1 {
            return Err(format!("{name}: {} found by key, {} by scan text", found.0, found.1));
        }
        let ratios: Vec<String> = scanned.iter().zip(&keyed).map(|(s, k)| format!("{:.2}", s / k)).collect();
        let (keyed, scanned, parsed) = (median(&mut keyed), median(&mut scanned), median(&mut parsed));
        rows.push(Row {
            name,
            rate: scanned,
            baseline: Some(("hot by key (row above)", hot_rate)),
            target: ">= 0.8 of hot by key",
            met: Some(scanned >= 0.8 * hot_rate),
            note: format!(
                "{share}; the same items by key {} ({:.2} of it; per round {}), median of {ROUNDS} rounds",
                fmt_rate(keyed),
                scanned / keyed,
                ratios.join(" ")
            ),
        });
        rows.push(Row {
            name: full_name,
            rate: parsed,
            baseline: Some(("hot by key (row above)", hot_rate)),
            target: "(parse + trace_key: no fast path)",
            met: None,
            note: format!(
                "{:.2} of the same items by key; the scan path is {:.2}x this",
                parsed / keyed,
                scanned / parsed
            ),
        });
    }
    Ok(())
}

/// The synthetic Digital Links' stem.
const DL_STEM: &str = "https://id.gs1.org/";

/// Which forms the scans are, by share: the scan path has a fast path for some (element strings, Digital Link).
fn scan_forms(scans: &[String]) -> String {
    const FORMS: [(&str, &str); 7] = [
        ("]d2", "GS1 DataMatrix"),
        ("]C1", "GS1-128"),
        ("(", "bracketed GS1"),
        (DL_STEM, "Digital Link"),
        ("urn:epc:", "EPC URI"),
        ("http", "URL-wrapped national code"),
        ("", "national code"),
    ];
    let mut counts = [0usize; FORMS.len()];
    for s in scans {
        if let Some(i) = FORMS.iter().position(|(p, _)| s.starts_with(p))
            && let Some(c) = counts.get_mut(i)
        {
            *c += 1;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "percentages for display")]
    let parts: Vec<String> = FORMS
        .iter()
        .zip(counts)
        .filter(|&(_, c)| c > 0)
        .map(|((_, name), c)| format!("{:.0}% {name}", 100.0 * c as f64 / scans.len().max(1) as f64))
        .collect();
    format!("forms: {}", parts.join(", "))
}

#[allow(clippy::too_many_lines, clippy::cast_precision_loss, reason = "one measurement script; display arithmetic")]
fn trace_bench(f: &Flags) -> Result<(), String> {
    let dir = Dir::new(f.db.as_deref(), "bench-trace");
    let store = Store::open(dir.path(), Options::default()).map_err(|e| e.to_string())?;
    let start = tracecode::event::Timestamp(1_767_225_600_000_000_000);
    let (root, batches) = synth::genealogy(f.nodes, 10, 7, start);
    let t = Instant::now();
    let mut events = 0u64;
    let progress = Progress::new("ingest", None);
    for b in batches {
        events += store.ingest(b).map_err(|e| e.to_string())?.accepted as u64;
        progress.update(events);
    }
    progress.finish();
    let load_secs = t.elapsed().as_secs_f64();
    store.flush().map_err(|e| e.to_string())?;
    settle(&store)?;
    let root = Id::Key(root);
    let opts = TraceOptions::new().state(false);
    let session = store.session();
    let mut rows = Vec::new();
    // The streaming walk (what a large trace should use), counting what it reports; median of 3.
    let mut times = Vec::new();
    let mut nodes = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let mut edges = 0usize;
        let s = trace::walk(&session, &root, Direction::Forward, &opts, &mut |step| {
            if matches!(step, trace::Step::Edge(_)) {
                edges += 1;
            }
            ControlFlow::Continue(())
        })
        .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64());
        if s.edges != edges {
            return Err("walk summary disagrees with the steps it reported".into());
        }
        nodes = s.nodes;
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(1).copied().unwrap_or(0.0);
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let rate = nodes as f64 / median.max(1e-9);
    rows.push(Row {
        name: "forward walk, RocksDB store (nodes)",
        rate,
        baseline: None,
        target: "1 M nodes <= 1.0 s",
        met: Some(median <= 1.0 * (nodes as f64 / 1e6).max(1.0)),
        note: format!(
            "{nodes} nodes in {median:.3} s (median of 3, streamed; each level's edges read ahead on {} thread(s))",
            trace::WalkTuning::default().threads
        ),
    });
    let t = Instant::now();
    let collected = trace::trace(&session, &root, Direction::Forward, &opts).map_err(|e| e.to_string())?;
    let collect_secs = t.elapsed().as_secs_f64();
    if collected.nodes.len() != nodes {
        return Err(format!("collected trace has {} nodes, the walk {nodes}", collected.nodes.len()));
    }
    drop(collected);
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let collect_rate = nodes as f64 / collect_secs.max(1e-9);
    rows.push(Row {
        name: "forward trace collected (nodes)",
        rate: collect_rate,
        baseline: Some(("streamed walk", rate)),
        target: "(one Trace value in memory)",
        met: None,
        note: format!("{collect_secs:.3} s, one run"),
    });
    let t = Instant::now();
    let adj = trace::Adjacency::load(&session, std::slice::from_ref(&root)).map_err(|e| e.to_string())?;
    let build = t.elapsed().as_secs_f64();
    let start_node = adj.node(&root).ok_or("the adjacency lost its root")?;
    let mut times = Vec::new();
    let mut adj_nodes = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let s = adj
            .walk_compact(start_node, Direction::Forward, &opts, &mut |_| ControlFlow::Continue(()))
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64());
        adj_nodes = s.nodes;
    }
    times.sort_by(f64::total_cmp);
    let adj_median = times.get(1).copied().unwrap_or(0.0);
    if adj_nodes != nodes {
        return Err(format!("adjacency walk found {adj_nodes} nodes, the store walk {nodes}"));
    }
    #[allow(clippy::cast_precision_loss, reason = "throughput display")]
    let adj_rate = nodes as f64 / adj_median.max(1e-9);
    rows.push(Row {
        name: "forward walk, in-memory adjacency",
        rate: adj_rate,
        baseline: Some(("store walk", rate)),
        target: "1 M nodes <= 0.2 s",
        met: Some(adj_median <= 0.2 * (nodes as f64 / 1e6).max(1.0)),
        note: format!(
            "{nodes} nodes in {adj_median:.3} s (median of 3); adjacency of {} nodes built in {build:.2} s",
            adj.len()
        ),
    });
    print_table(&rows);
    println!("loaded {events} events in {load_secs:.1} s ({}/s events)", per_second(events, load_secs));
    write_json(
        f.json.as_deref(),
        &json!({"bench": "trace", "nodes": nodes, "seconds": median, "adjacency_seconds": adj_median,
                "results": rows_json(&rows)}),
    )?;
    drop((adj, session));
    store.close().map_err(|e| format!("closing the store: {e}"))
}
