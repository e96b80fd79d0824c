//! Store commands: `import`, `resolve`, `verify`, `stats`, `feed`, `export` (and the store opening shared with
//! `trace`, `recall`, `demo` and `bench`).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{Value, json};
use tracecode::event::epcis_json::{self, DocumentWriter, ExportOptions, Mode};
use tracecode::event::{Event, Id};
use tracecode::store::{Options, Resolution, Store, TraceStore};
use tracecode::{Error, trace};

use crate::{error_json, hex};

/// Events per ingest batch when importing (one atomic WriteBatch each).
const IMPORT_BATCH: usize = 4096;

/// Splits `--db DIR` out of `args`; returns (dir, the other arguments).
pub(crate) fn take_db(args: &[String]) -> Result<(String, Vec<String>), String> {
    let mut db = None;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--db" {
            db = Some(it.next().ok_or("--db needs a directory")?.clone());
        } else if let Some(d) = a.strip_prefix("--db=") {
            db = Some(d.to_owned());
        } else {
            rest.push(a.clone());
        }
    }
    Ok((db.ok_or("--db DIR is required")?, rest))
}

/// Opens the store named by `--db`, reporting failures as JSON on stderr.
fn open_with(dir: &str, opts: Options) -> Result<Store, ExitCode> {
    Store::open(dir, opts).map_err(|e| fail(dir, &e))
}

fn fail(input: &str, e: &Error) -> ExitCode {
    eprintln!("{}", error_json(input, e));
    ExitCode::FAILURE
}

/// Runs one store command (`args[0]` is the command name).
pub fn run(cmd: &str, args: &[String]) -> ExitCode {
    let (dir, rest) = match take_db(args) {
        Ok(x) => x,
        Err(m) => return crate::usage(&format!("{cmd}: {m}")),
    };
    let read_only = rest.iter().any(|a| a == "--read-only");
    let accept_loss = rest.iter().any(|a| a == "--accept-loss");
    let rest: Vec<String> = rest.into_iter().filter(|a| a != "--read-only" && a != "--accept-loss").collect();
    if read_only && matches!(cmd, "import" | "recover")
        || read_only && cmd == "recall" && rest.iter().any(|a| a == "--commit")
    {
        return crate::usage(&format!("{cmd}: --read-only cannot write"));
    }
    if accept_loss && cmd != "recover" {
        return crate::usage("--accept-loss belongs to recover");
    }
    let opts = Options::default().create_if_missing(cmd == "import").read_only(read_only).accept_loss(accept_loss);
    let store = match open_with(&dir, opts) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match cmd {
        "import" => import(&store, &rest),
        "resolve" => resolve(&store, &rest),
        "verify" => verify(&store, &rest),
        "stats" => stats(&store),
        "feed" => feed(&store, &rest),
        "export" => export(&store, &rest),
        "trace" => crate::trace_cmd::run_trace(&store.session(), &rest),
        "recall" => crate::trace_cmd::run_recall(&store.session(), &rest),
        "recover" => recover(&store),
        _ => crate::usage("unknown store command"),
    }
}

/// A one-line progress display on stderr when it is a terminal.
pub(crate) struct Progress {
    label: &'static str,
    total: Option<u64>,
    start: Instant,
    last: Instant,
    tty: bool,
}

impl Progress {
    pub(crate) fn new(label: &'static str, total: Option<u64>) -> Self {
        let now = Instant::now();
        Self { label, total, start: now, last: now, tty: io::stderr().is_terminal() }
    }

    pub(crate) fn update(&mut self, done: u64) {
        if !self.tty || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = Instant::now();
        let rate = per_second(done, self.start.elapsed().as_secs_f64());
        match self.total {
            Some(t) if t > 0 => {
                let pct = (u128::from(done) * 100 / u128::from(t)).min(100);
                let filled = usize::try_from(pct / 4).unwrap_or(25);
                eprint!(
                    "\r{:>9} [{}{}] {pct:>3}% {done}/{t} ({rate}/s)   ",
                    self.label,
                    "#".repeat(filled),
                    ".".repeat(25 - filled.min(25))
                );
            }
            _ => eprint!("\r{:>9} {done} ({rate}/s)   ", self.label),
        }
    }

    pub(crate) fn finish(&self) {
        if self.tty {
            eprint!("\r{:100}\r", "");
        }
    }
}

/// `n` per second, human-scaled (`1.2 M`, `350 k`).
pub(crate) fn per_second(n: u64, secs: f64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let r = if secs > 0.0 { n as f64 / secs } else { 0.0 };
    if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} k", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}

fn import(store: &Store, files: &[String]) -> ExitCode {
    if files.is_empty() {
        return crate::usage("import: FILE... is required");
    }
    // Accepted, duplicate and declared (error declarations attached to stored events).
    let mut counts = [0u64; 3];
    let (mut rejected, mut seen) = (0u64, 0u64);
    let mut status = ExitCode::SUCCESS;
    let start = Instant::now();
    for f in files {
        let reader: Box<dyn Read> = if f == "-" {
            Box::new(io::stdin().lock())
        } else {
            match File::open(f) {
                Ok(h) => Box::new(h),
                Err(e) => {
                    eprintln!("{}", json!({"file": f, "ok": false, "error": e.to_string()}));
                    status = ExitCode::FAILURE;
                    continue;
                }
            }
        };
        let mut progress = Progress::new("importing", None);
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
            progress.update(seen);
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

/// The JSON answer of `resolve`: identity, state, chain.
pub(crate) fn resolution_json(input: &str, r: &Resolution) -> Value {
    let identity = match &r.id {
        Id::Key(k) => json!({"key": k.to_string(), "kind": k.kind().as_str(), "key_hex": hex(k.as_bytes())}),
        Id::Uri(u) => json!({"key": u.as_ref(), "kind": "uri"}),
    };
    let opts = ExportOptions::default();
    json!({
        "input": input,
        "found": true,
        "identity": identity,
        "state": crate::trace_json::state_json(&r.state),
        "head": r.head().map(|l| l.to_string()),
        "chain": r.chain.iter().map(|c| match c {
            Ok(c) => json!({
                "seq": c.seq,
                "event_id": c.id.to_string(),
                "link": c.link.to_string(),
                "event": epcis_json::event_to_json(&c.event, &opts),
            }),
            Err(e) => json!({"error": e.to_string()}),
        }).collect::<Vec<_>>(),
    })
}

fn resolve(store: &Store, inputs: &[String]) -> ExitCode {
    if inputs.is_empty() {
        return crate::usage("resolve: INPUT is required");
    }
    let mut status = ExitCode::SUCCESS;
    let mut reader = store.reader();
    let mut out = io::stdout().lock();
    for input in inputs {
        let line = match reader.resolve(input) {
            Ok(Some(r)) => resolution_json(input, &r),
            Ok(None) => {
                status = ExitCode::FAILURE;
                json!({"input": input, "found": false})
            }
            Err(e) => {
                status = ExitCode::FAILURE;
                error_json(input, &e)
            }
        };
        if writeln!(out, "{line}").is_err() {
            break; // the reader went away (a closed pipe): stop quietly
        }
    }
    status
}

fn verify(store: &Store, args: &[String]) -> ExitCode {
    let report = if let Some(input) = args.first() {
        match trace::parse_root(input).and_then(|id| store.verify(&id)) {
            Ok(r) => r,
            Err(e) => return fail(input, &e),
        }
    } else {
        match store.verify_all() {
            Ok(r) => r,
            Err(e) => return fail("verify", &e),
        }
    };
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

fn stats(store: &Store) -> ExitCode {
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

/// Parses `--since N` and `--limit N`.
fn since_limit(args: &[String]) -> Result<(u64, Option<usize>), String> {
    let (mut since, mut limit) = (0, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a number")).cloned();
        match a.as_str() {
            "--since" => since = val("--since")?.parse().map_err(|_| "--since needs a sequence number")?,
            "--limit" => limit = Some(val("--limit")?.parse().map_err(|_| "--limit needs a number")?),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    Ok((since, limit))
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

fn feed(store: &Store, args: &[String]) -> ExitCode {
    let (since, limit) = match since_limit(args) {
        Ok(x) => x,
        Err(m) => return crate::usage(&format!("feed: {m}")),
    };
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

fn export(store: &Store, args: &[String]) -> ExitCode {
    let (since, limit) = match since_limit(args) {
        Ok(x) => x,
        Err(m) => return crate::usage(&format!("export: {m}")),
    };
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
            Ok(())
        })
        .map_err(|e| err.take().unwrap_or(e))?;
        let mut out = w.finish()?;
        out.flush().map_err(Error::from)
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("export", &e),
    }
}

/// `recover`: the store opened (with `--accept-loss` if it lost acknowledged events); prints its checkpoint and
/// every loss it has recorded.
fn recover(store: &Store) -> ExitCode {
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
