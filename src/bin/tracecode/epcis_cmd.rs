//! `tracecode epcis`: check, hash and round-trip EPCIS documents, JSON-LD or XML (streaming: any size).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use serde_json::{Value, json};
use tracecode::Error;
use tracecode::code::gs1::gcp::FixedGcpLength;
use tracecode::event::epcis_json::{self, DocumentWriter, ExportOptions, ImportError, Mode};
use tracecode::event::epcis_xml::{XmlVersion, XmlWriter};
use tracecode::event::{digest, frame};

use crate::args::in_range;

const HELP: &str = "\
tracecode epcis — EPCIS documents: 2.0 JSON-LD (EPCISDocument, EPCISQueryDocument, a bare event, or an array)
or 1.2/2.0 XML (EPCISDocument, EPCISQueryDocument, a bare event), detected by content

  tracecode epcis convert --to json|xml|xml-1.2 FILE
                                   the document in another binding on stdout (1.2 refuses, on stderr,
                                   what it cannot carry: an AssociationEvent, sensor data, certificationInfo,
                                   persistentDisposition)
  tracecode epcis check FILE       one JSON line per event:
                                     {\"index\", \"ok\": true, \"event_hash\"}
                                     {\"index\", \"ok\": false, \"pointer\", \"message\"}
                                   a document-level fault prints {\"index\": null, \"ok\": false, ...}
  tracecode epcis hash FILE        the canonical GS1 event hash (ni:///sha-256;…?ver=CBV2.0) of each event, one
                                   per line, in document order (bad events are reported on stderr)
  tracecode epcis roundtrip [--urn --gcp-len L] FILE
                                   import, encode each event to a binary frame, decode, and print the exported
                                   EPCISDocument (GS1 ids as Digital Links, or EPC URNs with --urn; --gcp-len
                                   gives the GS1 Company Prefix length, without it ids stay Digital Links)

FILE may be - for stdin. Members may come in any order (an epcisBody before @context is held until the end).
EXIT STATUS: 0 every event is valid, 1 some event or the document is not, 2 usage error or unreadable FILE.
";

/// `tracecode epcis`.
#[derive(clap::Args, Debug)]
#[command(after_help = HELP, subcommand_required = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// One JSON line per event: valid (with its event hash) or why not.
    #[command(after_help = HELP)]
    Check(FileArg),
    /// The canonical GS1 event hash of each event, one per line.
    #[command(after_help = HELP)]
    Hash(FileArg),
    /// Import, encode to binary frames, decode, and print the exported EPCISDocument.
    #[command(after_help = HELP)]
    Roundtrip {
        #[command(flatten)]
        ids: IdArgs,
        #[command(flatten)]
        file: FileArg,
    },
    /// Convert a document to another binding: EPCIS 2.0 JSON-LD, 2.0 XML or 1.2 XML (streaming).
    #[command(after_help = HELP)]
    Convert {
        /// The output binding.
        #[arg(long, value_enum)]
        to: Binding,
        #[command(flatten)]
        ids: IdArgs,
        #[command(flatten)]
        file: FileArg,
    },
}

/// The output binding of `convert`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Binding {
    /// EPCIS 2.0 JSON-LD.
    Json,
    /// EPCIS 2.0 XML.
    Xml,
    /// EPCIS 1.2 XML (2.0-only content is reported, not dropped).
    #[value(name = "xml-1.2")]
    Xml12,
}

/// How `roundtrip` and `convert` write GS1 ids.
#[derive(clap::Args, Debug)]
struct IdArgs {
    /// Export GS1 ids as EPC URNs (needs --gcp-len to know the company prefix length).
    #[arg(long)]
    urn: bool,
    /// The GS1 Company Prefix length (4 to 12) for --urn.
    #[arg(long, value_name = "L", requires = "urn", value_parser = |s: &str| in_range::<u8>(s, 4, 12))]
    gcp_len: Option<u8>,
}

impl IdArgs {
    /// Runs `f` with the export options these arguments select.
    fn with_export<T>(&self, f: impl FnOnce(&ExportOptions<'_>) -> T) -> T {
        let gcp = self.gcp_len.map(FixedGcpLength);
        let export = match (&gcp, self.urn) {
            (Some(g), true) => ExportOptions::epc_urn(g),
            // --urn without a length: GS1 ids keep their Digital Link (the prefix length is unknown).
            (None, true) => ExportOptions::epc_urn(&tracecode::code::gs1::gcp::NoGcpTable),
            _ => ExportOptions::digital_link(),
        };
        f(&export)
    }
}

/// The one FILE of every `epcis` command.
#[derive(clap::Args, Debug)]
struct FileArg {
    /// An EPCIS document, JSON-LD or XML (- for stdin).
    #[arg(value_name = "FILE")]
    file: String,
}

/// Runs `tracecode epcis …`.
pub(crate) fn run(a: &Args) -> ExitCode {
    match &a.cmd {
        Sub::Check(f) => with_input(&f.file, check),
        Sub::Hash(f) => with_input(&f.file, hash),
        Sub::Roundtrip { ids, file } => ids.with_export(|x| with_input(&file.file, |r| roundtrip(r, x))),
        Sub::Convert { to, ids, file } => ids.with_export(|x| match to {
            Binding::Json => with_input(&file.file, |r| roundtrip(r, x)),
            Binding::Xml => with_input(&file.file, |r| to_xml(r, x, XmlVersion::V2_0)),
            Binding::Xml12 => with_input(&file.file, |r| to_xml(r, x, XmlVersion::V1_2)),
        }),
    }
}

/// `convert --to xml|xml-1.2`: every valid event into the XML document on stdout; invalid events (and events
/// 1.2 cannot carry) are reported on stderr and make the exit status 1.
fn to_xml(reader: Box<dyn Read>, export: &ExportOptions<'_>, version: XmlVersion) -> ExitCode {
    let stdout = io::stdout();
    let mut writer = match XmlWriter::new(BufWriter::new(stdout.lock()), version, export) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("tracecode epcis: {}", e.message());
            return ExitCode::from(1);
        }
    };
    let mut all_ok = true;
    let r = epcis_json::import(reader, Mode::AcceptValid, |index, res| {
        let written = res.map_err(Error::from).and_then(|e| writer.write_event(&e));
        if let Err(e) = written {
            if e.kind() == tracecode::ErrorKind::Io {
                return Err(e);
            }
            all_ok = false;
            eprintln!("event {index}: {}", e.message());
        }
        Ok(())
    });
    if let Err(e) = &r {
        report_import_error(e);
        return ExitCode::from(1);
    }
    if let Err(e) = writer.finish() {
        eprintln!("tracecode epcis: {}", e.message());
        return ExitCode::from(1);
    }
    status(all_ok)
}

/// Opens FILE (`-`: stdin) and runs `f`; an unreadable FILE exits 2.
fn with_input(path: &str, f: impl FnOnce(Box<dyn Read>) -> ExitCode) -> ExitCode {
    let reader: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        match File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("tracecode epcis: cannot open {path}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    f(reader)
}

/// A failed write of the output, as the error an import callback returns.
fn write_error(e: &io::Error) -> Error {
    io::Error::new(e.kind(), format!("cannot write output: {e}")).into()
}

/// Reports a failed import: the document-level fault, or the callback's error.
fn report_import_error(e: &ImportError) {
    if e.rejected_total() == 0 {
        eprintln!("tracecode epcis: {e}");
    }
}

fn status(ok: bool) -> ExitCode {
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn check(reader: Box<dyn Read>) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut all_ok = true;
    let r = epcis_json::import(reader, Mode::AcceptValid, |index, res| {
        let line = match res.map(|e| digest::gs1_event_hash(&e)) {
            Ok(Ok(h)) => json!({"index": index, "ok": true, "event_hash": h}),
            Ok(Err(e)) => {
                all_ok = false;
                json!({"index": index, "ok": false, "pointer": "", "message": format!("cannot hash: {}", e.message())})
            }
            Err(e) => {
                all_ok = false;
                json!({"index": index, "ok": false, "pointer": e.pointer(), "message": e.message()})
            }
        };
        writeln!(out, "{line}").map_err(|e| write_error(&e))
    });
    if let Err(e) = &r {
        all_ok = false;
        let line = json!({"index": Value::Null, "ok": false, "pointer": e.pointer(), "message": e.error().message()});
        let _ = writeln!(out, "{line}");
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    status(all_ok)
}

fn hash(reader: Box<dyn Read>) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut all_ok = true;
    let r = epcis_json::import(reader, Mode::AcceptValid, |index, res| {
        match res.map_err(Error::from).and_then(|e| digest::gs1_event_hash(&e)) {
            Ok(h) => writeln!(out, "{h}").map_err(|e| write_error(&e))?,
            Err(e) => {
                all_ok = false;
                eprintln!("event {index}: {}", e.message());
            }
        }
        Ok(())
    });
    if let Err(e) = &r {
        all_ok = false;
        report_import_error(e);
    }
    if out.flush().is_err() {
        return ExitCode::from(1);
    }
    status(all_ok)
}

fn roundtrip(reader: Box<dyn Read>, export: &ExportOptions<'_>) -> ExitCode {
    let stdout = io::stdout();
    let out = BufWriter::new(stdout.lock());
    let mut out = Some(out);
    let mut writer: Option<DocumentWriter<'_, BufWriter<io::StdoutLock<'_>>>> = None;
    let mut all_ok = true;
    let r = epcis_json::import(reader, Mode::AcceptValid, |index, res| {
        let event = match res.map_err(Error::from).and_then(|e| frame::decode(&frame::encode(&e)?)) {
            Ok(e) => e,
            Err(e) => {
                all_ok = false;
                eprintln!("event {index}: {}", e.message());
                return Ok(());
            }
        };
        if writer.is_none()
            && let Some(o) = out.take()
        {
            // The document head declares the first event's prefixes; later events add their own if needed.
            writer = Some(DocumentWriter::new(o, export, &event.namespaces)?);
        }
        match writer.as_mut() {
            Some(w) => w.write_event(&event),
            None => Ok(()),
        }
    });
    if let Err(e) = &r {
        report_import_error(e);
        return ExitCode::from(1);
    }
    let done = match (writer, out) {
        (Some(w), _) => w.finish().map(drop),
        (None, Some(o)) => DocumentWriter::new(o, export, &[]).and_then(DocumentWriter::finish).map(drop),
        (None, None) => Ok(()),
    };
    if let Err(e) = done {
        eprintln!("tracecode epcis: {}", e.message());
        return ExitCode::from(1);
    }
    status(all_ok)
}
