//! `tracecode query`: an EPCIS SimpleEventQuery over a store, printed as an EPCISQueryDocument (JSON or XML)
//! or as event ids.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use tracecode::event::epcis_json::{DocumentWriter, ExportOptions};
use tracecode::event::epcis_xml::{XmlVersion, XmlWriter};
use tracecode::store::{EventQuery, QueryEvent, TraceStore};
use tracecode::{Error, ErrorKind};

use crate::args::{ReadDb, count};
use crate::store_cmd::{fail, open_read};

/// Arguments of `tracecode query`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
PARAMETERS are the EPCIS 2.0 SimpleEventQuery names: eventType, GE_eventTime, LT_eventTime, EQ_bizStep,
EQ_disposition, EQ_readPoint, WD_bizLocation, MATCH_epc, MATCH_anyEPC, MATCH_epcClass, GE_quantity_KGM,
EQ_ILMD_prefix:field, GE_value_CEL, EQ_source_owning_party, orderBy, orderDirection, eventCountLimit,
maxEventCount, ... Repeat a name or separate a list's values with commas:
  tracecode query --db DIR EQ_bizStep=shipping,receiving MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*
EXIT STATUS: 0 with or without results, 1 a store error (JSON on stderr), 2 a bad parameter (the EPCIS
exception name and the parameter on stderr) or a usage error.")]
pub(crate) struct Args {
    #[command(flatten)]
    db: ReadDb,
    /// Output: an EPCIS 2.0 JSON-LD or XML, or 1.2 XML, EPCISQueryDocument, or one event id per line.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Read the query from a file: the REST binding's JSON query, or an XML Poll (detected by content; - for
    /// standard input). PARAMETERS may not be given too.
    #[arg(long, value_name = "FILE", conflicts_with = "params")]
    json: Option<PathBuf>,
    /// One page of this many events instead of the whole answer; the next page's cursor goes to stderr.
    #[arg(long, value_name = "N", value_parser = count::<usize>)]
    page_size: Option<usize>,
    /// Start after this cursor (from a previous --page-size run).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Query parameters, NAME=VALUE.
    #[arg(value_name = "PARAMETERS")]
    params: Vec<String>,
}

/// The output `query` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// EPCIS 2.0 JSON-LD EPCISQueryDocument.
    Json,
    /// EPCIS 2.0 XML EPCISQueryDocument.
    Xml,
    /// EPCIS 1.2 XML EPCISQueryDocument.
    #[value(name = "xml-1.2")]
    Xml12,
    /// One event id (the content id, hex) per line.
    Ids,
}

/// A bad parameter: the EPCIS exception name, the message; exit status 2.
pub(crate) fn bad_query(e: &Error) -> ExitCode {
    let exception = e.kind().epcis_exception().unwrap_or("ValidationException");
    eprintln!(
        "{}",
        json!({"ok": false, "exception": exception, "error": {"kind": e.kind().as_str(), "offset": e.offset(), "message": e.message()}})
    );
    ExitCode::from(2)
}

/// Reads the query from the arguments.
fn read_query(a: &Args) -> Result<EventQuery, Error> {
    let mut q = if let Some(path) = &a.json {
        let bytes = if path.as_os_str() == "-" {
            let mut b = Vec::new();
            io::Read::read_to_end(&mut io::stdin().lock(), &mut b)?;
            b
        } else {
            std::fs::read(path)
                .map_err(|e| Error::from(io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))))?
        };
        let head = bytes.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
        if head == Some(&b'<') { EventQuery::from_poll_xml(&bytes)? } else { EventQuery::from_json(&bytes)? }
    } else {
        let pairs: Vec<(&str, &str)> = a.params.iter().map(|p| p.split_once('=').unwrap_or((p.as_str(), ""))).collect();
        EventQuery::from_pairs(&pairs)?
    };
    if let Some(c) = &a.after {
        q.after = Some(c.parse()?);
    }
    q.page_size = a.page_size.unwrap_or(1000);
    Ok(q)
}

/// Writes events as the chosen output.
enum Out<'o, W: Write> {
    Json(DocumentWriter<'o, W>),
    Xml(XmlWriter<'o, W>),
    Ids(W),
}

impl<W: Write> Out<'_, W> {
    fn write(&mut self, e: &QueryEvent) -> Result<(), Error> {
        match self {
            Self::Json(w) => w.write_event(&e.event),
            Self::Xml(w) => w.write_event(&e.event),
            Self::Ids(w) => writeln!(w, "{}", e.id).map_err(Error::from),
        }
    }

    fn finish(self) -> Result<(), Error> {
        let mut w = match self {
            Self::Json(w) => w.finish()?,
            Self::Xml(w) => w.finish()?,
            Self::Ids(w) => w,
        };
        w.flush().map_err(Error::from)
    }
}

/// Runs `tracecode query`.
pub(crate) fn run(a: &Args) -> ExitCode {
    let mut q = match read_query(a) {
        Ok(q) => q,
        Err(e) if e.kind() == ErrorKind::Io => return fail("query", &e),
        Err(e) => return bad_query(&e),
    };
    let store = match open_read(&a.db) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let opts = ExportOptions::default();
    let out = BufWriter::new(io::stdout().lock());
    const NAME: &str = "SimpleEventQuery";
    let result = (|| -> Result<Option<String>, Error> {
        // The first page before any output: a QueryTooLargeException prints no partial document.
        let mut page = store.event_query(&q)?;
        let mut w = match a.format {
            Format::Json => Out::Json(DocumentWriter::query_results(out, &opts, &[], NAME)?),
            Format::Xml => Out::Xml(XmlWriter::query_results(out, XmlVersion::V2_0, &opts, NAME)?),
            Format::Xml12 => Out::Xml(XmlWriter::query_results(out, XmlVersion::V1_2, &opts, NAME)?),
            Format::Ids => Out::Ids(out),
        };
        loop {
            for e in &page.events {
                w.write(e)?;
            }
            match page.next {
                Some(next) if a.page_size.is_none() => {
                    q.after = Some(next);
                    page = store.event_query(&q)?;
                }
                next => {
                    w.finish()?;
                    return Ok(next.map(|n| n.to_string()));
                }
            }
        }
    })();
    match result {
        Ok(next) => {
            if a.page_size.is_some() {
                eprintln!("{}", json!({ "next": next }));
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.kind().epcis_exception().is_some() => bad_query(&e),
        Err(e) => fail("query", &e),
    }
}
