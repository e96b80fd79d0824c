//! `tracecode feed` and `tracecode export`: the events after a log sequence number, as JSON lines or as one
//! EPCISDocument.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use tracecode::Error;
use tracecode::event::epcis_json::{self, DocumentWriter, ExportOptions};
use tracecode::event::epcis_xml::{XmlVersion, XmlWriter};
use tracecode::store::{Store, TraceStore, TraceStoreExt};

use crate::args::{ReadDb, count};
use crate::progress::Progress;
use crate::store_cmd::{fail, open_read};

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

/// Streams the feed after `since` (the library's paged iterator), calling `f` for each item, at most `limit`.
fn each_since(
    store: &Store,
    since: u64,
    limit: Option<usize>,
    mut f: impl FnMut(&tracecode::store::FeedItem) -> io::Result<()>,
) -> Result<u64, Error> {
    let mut n = 0u64;
    let page = limit.map_or(1024, |l| l.clamp(1, 1024));
    for item in store.feed(since).page_size(page).take(limit.unwrap_or(usize::MAX)) {
        f(&item?).map_err(|e| Error::from(io::Error::new(e.kind(), format!("cannot write: {e}"))))?;
        n += 1;
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
        // Written by hand so the members keep this order and the event's numbers their exact text.
        let event = epcis_json::event_to_json(&item.event, &opts);
        writeln!(out, "{{\"seq\":{},\"event_id\":\"{}\",\"event\":{event}}}", item.seq, item.id)
    });
    match r.and_then(|n| out.flush().map(|()| n).map_err(Error::from)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail("feed", &e),
    }
}

/// Arguments of `tracecode export`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    since: SinceArgs,
    /// The binding: EPCIS 2.0 JSON-LD, 2.0 XML, or 1.2 XML (an event 1.2 cannot carry stops the export, named).
    #[arg(long, value_enum, default_value = "json")]
    format: ExportFormat,
    /// Also write the store's master data (the latest version of every element) in the document's header.
    #[arg(long)]
    master_data: bool,
}

/// The binding `export` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ExportFormat {
    /// EPCIS 2.0 JSON-LD.
    Json,
    /// EPCIS 2.0 XML.
    Xml,
    /// EPCIS 1.2 XML.
    #[value(name = "xml-1.2")]
    Xml12,
}

/// An EPCIS document writer of either binding.
enum Writer<'o, W: Write> {
    Json(DocumentWriter<'o, W>),
    Xml(XmlWriter<'o, W>),
}

impl<W: Write> Writer<'_, W> {
    fn write_event(&mut self, e: &tracecode::event::Event) -> Result<(), Error> {
        match self {
            Self::Json(w) => w.write_event(e),
            Self::Xml(w) => w.write_event(e),
        }
    }

    fn finish(self) -> Result<W, Error> {
        match self {
            Self::Json(w) => w.finish(),
            Self::Xml(w) => w.finish(),
        }
    }
}

/// Runs `tracecode export`.
pub(crate) fn export(args: &ExportArgs) -> ExitCode {
    let a = &args.since;
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
        let md = if args.master_data {
            let everything = tracecode::masterdata::MasterDataQuery {
                include_attributes: true,
                include_children: true,
                ..tracecode::masterdata::MasterDataQuery::default()
            };
            store.master_data(&everything)?
        } else {
            Vec::new()
        };
        let mut w = match args.format {
            ExportFormat::Json => Writer::Json(DocumentWriter::with_master_data(out, &opts, &[], &md)?),
            ExportFormat::Xml => Writer::Xml(XmlWriter::with_master_data(out, XmlVersion::V2_0, &opts, &md)?),
            ExportFormat::Xml12 => Writer::Xml(XmlWriter::with_master_data(out, XmlVersion::V1_2, &opts, &md)?),
        };
        let mut err = None;
        each_since(store, since, limit, |item| {
            if let Err(e) = w.write_event(&item.event) {
                // Which event could not be written (an event 1.2 XML cannot carry): named, not dropped.
                eprintln!("tracecode export: event {}: {}", item.seq, e.message());
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
