//! `tracecode import`: EPCIS JSON-LD documents into the store, in atomic batches, with progress in bytes.

use std::fs::File;
use std::io::{self, Read};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use tracecode::Error;
use tracecode::event::Event;
use tracecode::event::epcis_json::{self, Mode};
use tracecode::store::{Options, Store, TraceStore};

use crate::args::{EXIT_ERROR, WriteDb};
use crate::error_json;
use crate::progress::Progress;
use crate::store_cmd::{close, open};

/// Events per ingest batch when importing (one atomic WriteBatch each).
const IMPORT_BATCH: usize = 4096;

/// `tracecode import`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints one summary line: {\"events\", \"accepted\", \"duplicates\", \"declared\", \"rejected\", \"seconds\"};
each rejected event or unreadable FILE is reported on stderr as one JSON line.
EXIT STATUS: 0 every event stored, 1 some event was rejected or some FILE unreadable, 2 usage error or a store
error (the store cannot be opened, written or closed).")]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    db: WriteDb,
    /// EPCIS 2.0 JSON-LD documents (- for stdin).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// Runs `tracecode import`.
pub(crate) fn import(a: &ImportArgs) -> ExitCode {
    let store = match open(&a.db.db, Options::default().create_if_missing(true), EXIT_ERROR) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let status = import_files(&store, &a.files);
    // What was committed stays committed; a failed close (no last durability point) is still an error.
    match close(store) {
        Ok(()) => status,
        Err(code) => code,
    }
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
