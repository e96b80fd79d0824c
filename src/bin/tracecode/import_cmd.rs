//! `tracecode import`: EPCIS documents (2.0 JSON-LD, or 1.2/2.0 XML) into the store, with progress in bytes: streamed in atomic
//! batches (the default), or each file as one all-or-nothing write (`--atomic`).

use std::fs::File;
use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{Value, json};
use tracecode::event::Event;
use tracecode::event::epcis_json::{BadEvent, EventError, ImportError, Importer, Mode, Warning};
use tracecode::store::{IngestReport, Options, Store, TraceStore};
use tracecode::{Error, ErrorKind};

use crate::args::{EXIT_ERROR, WriteDb, count};
use crate::error_json;
use crate::progress::Progress;
use crate::store_cmd::{close, open};

/// Events per ingest batch when streaming (one atomic WriteBatch each).
const IMPORT_BATCH: usize = 4096;

/// `tracecode import`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints one summary line: {\"events\", \"accepted\", \"duplicates\", \"declared\", \"rejected\", \"warnings\",
\"seconds\", \"files\": {\"total\", \"imported\", \"failed\"}, \"failed_files\": [{\"file\", \"stored\", \"error\"}]}.
A file is imported when every event in it is stored (or already was). \"stored\" counts a failed file's events
that were committed (or found already stored) before it failed: its valid events without --atomic, 0 with it.
Each rejected event or failed FILE is also reported on stderr as one JSON line.

Identifiers are read strictly: a malformed GS1 identifier (an SSCC URN of 15 digits, a Digital Link with a wrong
check digit) rejects its event. With --lenient it is stored as written, as an opaque URI (resolve finds it by that
exact text; it is no GS1 key), and reported as a warning on stderr: {\"file\", \"warning\": \"opaque_id\",
\"index\", \"pointer\", \"value\", \"message\"}, the pointer leading from the document root
(/epcisBody/eventList/3/epcList/0). The first 10 warnings are printed (all with --verbose), and if there were
more, one {\"warnings\", \"printed\", \"hint\"} line; the summary's \"warnings\" counts them all. Warnings do not
fail a file.

Without --atomic, events are committed in batches of 4096 as the file is read, so memory is bounded by one batch
whatever the file's size, and a file that turns out to be truncated or malformed keeps its valid events before the
fault. With --atomic a file is one unit: nothing of it is stored unless the whole file parses and every event validates;
then all its events are committed in one write (crash-safe: all or none). The cost is memory: the file's events
and their write are held at once, about 6 KB per event (100_000 events take about 600 MB), so --atomic-max-events
bounds it; for larger files, import without --atomic.

EXIT STATUS: 0 every file imported, 1 some event was rejected or some FILE failed (unreadable, malformed,
truncated, too large for --atomic), 2 usage error or a store error (the store cannot be opened, written or
closed; files after a failed write are not attempted).")]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    db: WriteDb,
    /// Store each file all or nothing: nothing of a file whose JSON is malformed or truncated, or that holds an
    /// invalid event, is stored (holds the file's events in memory; see below).
    #[arg(long)]
    atomic: bool,
    /// With --atomic, the most events one file may hold (memory: about 6 KB each); a larger file fails whole.
    #[arg(long, value_name = "N", default_value = "100_000", value_parser = count::<usize>, requires = "atomic")]
    atomic_max_events: usize,
    /// Keep a malformed GS1 identifier (an SSCC URN of 15 digits, a Digital Link with a wrong check digit) as an
    /// opaque URI, with a warning, instead of rejecting its event.
    #[arg(long)]
    lenient: bool,
    /// Print every warning on stderr (default: the first 10; the summary counts them all).
    #[arg(long, short = 'v')]
    verbose: bool,
    /// EPCIS documents: 2.0 JSON-LD, or 1.2/2.0 XML, detected by content (- for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// Runs `tracecode import`.
pub(crate) fn import(a: &ImportArgs) -> ExitCode {
    let store = match open(&a.db.db, Options::default().create_if_missing(true), EXIT_ERROR) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let status = import_files(&store, a);
    // What was committed stays committed; a failed close (no last durability point) is still an error.
    match close(store) {
        Ok(()) => status,
        Err(code) => code,
    }
}

/// What the events of one file (or of all files) came to.
#[derive(Default)]
struct Counts {
    /// Events read.
    events: u64,
    accepted: u64,
    duplicates: u64,
    declared: u64,
    rejected: u64,
    /// Warnings of a lenient read, about events that were stored.
    warnings: u64,
    /// Master data elements read, stored for the first time, stored as a new version.
    vocab: [u64; 3],
}

impl Counts {
    fn add_report(&mut self, r: &IngestReport) {
        self.accepted += r.accepted as u64;
        self.duplicates += r.duplicates as u64;
        self.declared += r.declared as u64;
    }

    fn add(&mut self, o: &Self) {
        self.events += o.events;
        self.accepted += o.accepted;
        self.duplicates += o.duplicates;
        self.declared += o.declared;
        self.rejected += o.rejected;
        self.warnings += o.warnings;
        for (a, b) in self.vocab.iter_mut().zip(o.vocab) {
            *a += b;
        }
    }

    /// Stores a document's master data.
    fn add_master_data(&mut self, store: &Store, md: &[tracecode::masterdata::Vocabulary]) -> Result<(), Error> {
        if md.is_empty() {
            return Ok(());
        }
        let r = store.put_master_data(md)?;
        self.vocab[0] += r.elements as u64;
        self.vocab[1] += r.created as u64;
        self.vocab[2] += r.updated as u64;
        Ok(())
    }

    /// Events of the file that are in the store after this run.
    const fn stored(&self) -> u64 {
        self.accepted + self.duplicates + self.declared
    }
}

/// How one file ended.
enum Outcome {
    /// Every event stored.
    Imported,
    /// The file failed (for the summary's `failed_files`); the fault was reported on stderr.
    Failed(String),
    /// The store failed: reported, and no further file is attempted.
    StoreFailed(String),
}

/// Warnings printed so far, and how many may be (`None`: all, with --verbose).
struct Shown {
    printed: usize,
    limit: Option<usize>,
}

/// Warnings printed without --verbose.
const SHOWN_WARNINGS: usize = 10;

impl Shown {
    /// Prints a file's warnings on stderr, as many as the limit leaves, and counts them all.
    fn report(&mut self, f: &str, warnings: &[Warning], total: usize, c: &mut Counts) {
        c.warnings += total as u64;
        for w in warnings {
            if self.limit.is_some_and(|l| self.printed >= l) {
                break;
            }
            self.printed += 1;
            eprintln!(
                "{}",
                json!({"file": f, "warning": w.kind.as_str(), "index": w.index, "pointer": w.pointer,
                       "value": w.value, "message": w.message})
            );
        }
    }
}

/// One run of `import`: the store and how files are read.
struct Job<'a> {
    store: &'a Store,
    lenient: bool,
    max_events: usize,
    shown: Shown,
}

fn import_files(store: &Store, a: &ImportArgs) -> ExitCode {
    let limit = (!a.verbose).then_some(SHOWN_WARNINGS);
    let mut job =
        Job { store, lenient: a.lenient, max_events: a.atomic_max_events, shown: Shown { printed: 0, limit } };
    let mut total = Counts::default();
    let (mut imported, mut failed) = (0u64, Vec::<Value>::new());
    let mut status = ExitCode::SUCCESS;
    let start = Instant::now();
    let mut files = a.files.iter();
    for f in files.by_ref() {
        let mut c = Counts::default();
        let outcome = match source(f) {
            Ok((reader, size)) => {
                // Progress in bytes of the file: the event count is unknown until the end.
                let progress = Progress::bytes("importing", size);
                let reader = progress.reader(reader);
                let o = if a.atomic { job.atomic(f, reader, &mut c) } else { job.streaming(f, reader, &mut c) };
                progress.finish();
                o
            }
            Err(e) => {
                eprintln!("{}", json!({"file": f, "ok": false, "error": e.to_string()}));
                Outcome::Failed(format!("cannot read {f}: {e}"))
            }
        };
        total.add(&c);
        match outcome {
            Outcome::Imported => imported += 1,
            Outcome::Failed(error) => {
                failed.push(json!({"file": f, "stored": c.stored(), "error": error}));
                status = ExitCode::FAILURE;
            }
            Outcome::StoreFailed(error) => {
                failed.push(json!({"file": f, "stored": c.stored(), "error": error}));
                status = ExitCode::from(EXIT_ERROR);
                break;
            }
        }
    }
    // After a failed write the store refuses more (it is poisoned until reopened): the rest are not attempted.
    for f in files {
        failed.push(json!({"file": f, "stored": 0, "error": "not attempted: an earlier write to the store failed"}));
    }
    if total.warnings > job.shown.printed as u64 {
        let hint = "pass --verbose to print every warning";
        eprintln!("{}", json!({"warnings": total.warnings, "printed": job.shown.printed, "hint": hint}));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"events": total.events, "accepted": total.accepted, "duplicates": total.duplicates,
               "declared": total.declared, "rejected": total.rejected, "warnings": total.warnings,
               "master_data": {"elements": total.vocab[0], "created": total.vocab[1], "updated": total.vocab[2]},
               "seconds": (secs * 1000.0).round() / 1000.0,
               "files": {"total": a.files.len(), "imported": imported, "failed": failed.len()},
               "failed_files": failed})
    );
    status
}

/// Opens FILE (`-` for stdin) with its size when known.
fn source(f: &str) -> io::Result<(Box<dyn Read>, Option<u64>)> {
    if f == "-" {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let h = File::open(f)?;
    let size = h.metadata().ok().map(|m| m.len());
    Ok((Box::new(h), size))
}

/// Reports the rejected events of a file on stderr; returns the summary's reason, or `None` if there were none.
fn report_rejected(f: &str, rejected: &[BadEvent], total: usize) -> Option<String> {
    for b in rejected {
        eprintln!("{}", json!({"file": f, "index": b.index, "pointer": b.pointer, "message": b.message}));
    }
    (total > 0).then(|| format!("{total} events rejected"))
}

/// Reports a fatal fault of a file (malformed JSON, truncation, a bound, a document-level fault) on stderr.
fn report_fatal(f: &str, e: &ImportError) -> String {
    eprintln!("{}", json!({"file": f, "ok": false, "pointer": e.pointer(), "error": e.to_string()}));
    e.to_string()
}

/// Reports a failed ingest on stderr. A store that refuses writes after it (poisoned: a failed write, a full
/// disk) ends the run; an ingest that refused the batch's data (an event its frame cannot hold) fails the file.
fn report_ingest(store: &Store, f: &str, e: &Error) -> Outcome {
    eprintln!("{}", error_json(f, e));
    if store.is_poisoned() {
        Outcome::StoreFailed(format!("the store failed: {}", e.message()))
    } else {
        Outcome::Failed(format!("the store refused a batch: {}", e.message()))
    }
}

/// Commits `batch` (emptying it).
fn flush(store: &Store, batch: &mut Vec<Event>, c: &mut Counts) -> Result<(), Error> {
    if !batch.is_empty() {
        c.add_report(&store.ingest(std::mem::take(batch))?);
    }
    Ok(())
}

impl Job<'_> {
    /// The default: valid events committed in batches as they stream; bad ones reported and skipped. A fatal fault
    /// stops the file, keeping what was committed before it.
    fn streaming(&mut self, f: &str, reader: impl Read, c: &mut Counts) -> Outcome {
        let store = self.store;
        let mut batch: Vec<Event> = Vec::with_capacity(IMPORT_BATCH);
        // The ingest error, kept apart from the document's faults (the importer returns a callback's error as its own).
        let mut write_error: Option<Error> = None;
        let result = Importer::new(reader).mode(Mode::AcceptValid).lenient(self.lenient).run(|_, ev| {
            c.events += 1;
            if let Ok(e) = ev {
                batch.push(e);
                if batch.len() >= IMPORT_BATCH
                    && let Err(e) = flush(store, &mut batch, c)
                {
                    write_error = Some(e.clone());
                    return Err(e);
                }
            }
            Ok(())
        });
        // The valid events read before a fatal fault are committed too: streaming keeps a file's valid prefix.
        if write_error.is_none() {
            write_error = flush(store, &mut batch, c).err();
        }
        if let Some(e) = write_error {
            return report_ingest(store, f, &e);
        }
        match result {
            Ok(summary) => {
                c.rejected += summary.rejected_total as u64;
                if let Err(e) = c.add_master_data(store, &summary.master_data) {
                    return report_ingest(store, f, &e);
                }
                self.shown.report(f, &summary.warnings, summary.warnings_total, c);
                report_rejected(f, &summary.rejected, summary.rejected_total).map_or(Outcome::Imported, Outcome::Failed)
            }
            Err(e) => {
                // The events before the fault were committed: so are their warnings.
                self.shown.report(f, e.warnings(), e.warnings_total(), c);
                Outcome::Failed(report_fatal(f, &e))
            }
        }
    }

    /// `--atomic`: the file's events are collected while it is read and committed in one ingest (one RocksDB write
    /// batch) only when the whole file read without a fault and every event is valid.
    fn atomic(&mut self, f: &str, reader: impl Read, c: &mut Counts) -> Outcome {
        let (store, max) = (self.store, self.max_events);
        let mut events: Vec<Event> = Vec::new();
        let mut bad = false;
        let result = Importer::new(reader).mode(Mode::AllOrNothing).lenient(self.lenient).run(|_, ev| {
            c.events += 1;
            match ev {
                // Once an event is bad nothing of the file is stored: stop holding the rest.
                Err(_) => {
                    bad = true;
                    events = Vec::new();
                }
                Ok(_) if bad => {}
                Ok(_) if events.len() >= max => {
                    // The library's constructor for an error without a position (an EventError with no pointer).
                    let why = format!(
                        "more than {max} events: too many to hold for --atomic (raise --atomic-max-events, or import \
                         without --atomic)"
                    );
                    return Err(EventError::new(ErrorKind::Length, "", why).into());
                }
                Ok(e) => events.push(e),
            }
            Ok(())
        });
        let summary = match result {
            Ok(s) => s,
            Err(e) if e.rejected_total() > 0 => {
                c.rejected += e.rejected_total() as u64;
                let why = report_rejected(f, e.rejected(), e.rejected_total()).unwrap_or_default();
                return Outcome::Failed(format!("{why}; nothing of the file was stored (--atomic)"));
            }
            Err(e) => {
                let why = report_fatal(f, &e);
                return Outcome::Failed(format!("{why}; nothing of the file was stored (--atomic)"));
            }
        };
        match store.ingest(events).and_then(|r| c.add_master_data(store, &summary.master_data).map(|()| r)) {
            Ok(r) => {
                c.add_report(&r);
                self.shown.report(f, &summary.warnings, summary.warnings_total, c);
                Outcome::Imported
            }
            Err(e) => report_ingest(store, f, &e),
        }
    }
}
