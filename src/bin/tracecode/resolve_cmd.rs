//! `tracecode resolve`: identity, state and chain of each input, as JSON lines (the stable contract) or as a
//! table for people.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{Value, json};
use tracecode::Error;
use tracecode::event::epcis_json::{self, ExportOptions};
use tracecode::event::{Id, MAX_URI};
use tracecode::store::{Reader, Resolution};

use crate::args::{EXIT_ERROR, EXIT_NOT_FOUND, ReadDb, count};
use crate::human::{event_line, id_text, state_line};
use crate::{error_json, hex};

/// `tracecode resolve`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    #[command(flatten)]
    db: ReadDb,
    /// Output: json (one object per input, the stable contract) or table (for people).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Only the identity and state, no chain.
    #[arg(long)]
    state_only: bool,
    /// With --format table: how many of the latest events to show.
    #[arg(long, value_name = "N", default_value = "5", value_parser = count::<usize>)]
    last: usize,
    /// Codes in any spelling (GS1 element string, Digital Link, EPC URN, national codes) or URIs (also one
    /// `import --lenient` stored as an opaque URI, by its exact text).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
}

/// How `resolve` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One JSON object per input.
    Json,
    /// Identity, state and the latest events, aligned for reading.
    Table,
}

/// The help text after the options (the output contract and exit status).
const AFTER_HELP: &str = concat!(
    "Prints one JSON line per INPUT, in order:\n",
    "  {\"input\", \"found\": true, \"identity\": {\"key\", \"kind\", \"key_hex\"}, \"state\", \"head\",\n",
    "   \"chain\": [{\"seq\", \"event_id\", \"link\", \"event\"}]}   (--state-only: no head, no chain)\n",
    "  {\"input\", \"found\": false}\n",
    "  {\"input\", \"ok\": false, \"error\": {\"kind\", \"offset\", \"len\", \"message\"}}\n",
    "--format table prints the same for people (not a stable format).\n\n",
    "An INPUT that is no code but a URI resolves as the URI (one `import --lenient` stored as an opaque URI\n",
    "by its exact text).\n\n",
    "EXIT STATUS: 0 every INPUT found, 1 some well-formed code or URI the store never recorded, 2 some INPUT\n",
    "unparseable, a store error or a usage error (errors win over not found)."
);

/// The JSON answer of `resolve`: identity, state, chain. Serialised straight to text, not through a `Value`:
/// an event's numbers (quantities, sensor values) keep every digit as written only that way. Members in name
/// order, as a `Value` map writes them.
#[derive(serde::Serialize)]
pub(crate) struct ResolutionJson<'a> {
    chain: Vec<ChainEntryJson>,
    found: bool,
    head: Option<String>,
    identity: Value,
    input: &'a str,
    state: Value,
}

/// One chain entry of [`ResolutionJson`]: the event, or why it could not be decoded.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum ChainEntryJson {
    Event { event: epcis_json::Json, event_id: String, link: String, seq: u64 },
    Error { error: String },
}

/// The JSON answer of `resolve` for a found input.
pub(crate) fn resolution_json<'a>(input: &'a str, r: &Resolution) -> ResolutionJson<'a> {
    let opts = ExportOptions::default();
    ResolutionJson {
        chain: r
            .chain
            .iter()
            .map(|c| match c {
                Ok(c) => ChainEntryJson::Event {
                    event: epcis_json::event_to_json(&c.event, &opts),
                    event_id: c.id.to_string(),
                    link: c.link.to_string(),
                    seq: c.seq,
                },
                Err(e) => ChainEntryJson::Error { error: e.to_string() },
            })
            .collect(),
        found: true,
        head: r.head().map(|l| l.to_string()),
        identity: identity_json(&r.id),
        input,
        state: crate::trace_json::state_json(&r.state),
    }
}

/// The chain-less answer of `resolve --state-only`.
fn state_json(input: &str, r: &Resolution) -> Value {
    json!({
        "input": input,
        "found": true,
        "identity": identity_json(&r.id),
        "state": crate::trace_json::state_json(&r.state),
    })
}

fn identity_json(id: &Id) -> Value {
    match id {
        Id::Key(k) => json!({"key": k.to_string(), "kind": k.kind().as_str(), "key_hex": hex(k.as_bytes())}),
        Id::Uri(u) => json!({"key": u.as_ref(), "kind": "uri"}),
    }
}

/// The table rendering of one found input.
fn table(input: &str, r: &Resolution, state_only: bool, last: usize) -> String {
    let kind = match &r.id {
        Id::Key(k) => k.kind().as_str(),
        Id::Uri(_) => "uri",
    };
    let mut s = String::new();
    let _ = writeln!(s, "input  {input}");
    let _ = writeln!(s, "key    {}  ({kind})", id_text(&r.id));
    let state = state_line(&r.state);
    let _ = writeln!(s, "state  {}", if state.is_empty() { "-" } else { &state });
    if state_only {
        return s;
    }
    let head = r.head().map(|l| l.to_string()).unwrap_or_default();
    let _ = writeln!(s, "chain  {} events, head {head}", r.chain.len());
    let skip = r.chain.len().saturating_sub(last);
    if skip > 0 {
        let _ = writeln!(s, "       … {skip} earlier");
    }
    for c in r.chain.iter().skip(skip) {
        match c {
            Ok(c) => {
                let _ = writeln!(s, "  #{:<8} {}", c.seq, event_line(&c.event));
            }
            Err(e) => {
                let _ = writeln!(s, "  (damaged: {e})");
            }
        }
    }
    s
}

/// Resolves one INPUT: a code in any spelling; failing that, an identifier the store holds as a URI (a URI that
/// is not a GS1 key, or a malformed GS1 one `import --lenient` kept as written, found by its exact text). Input
/// that is neither keeps the code parser's error.
fn resolve(reader: &mut Reader<'_>, input: &str) -> Result<Option<Arc<Resolution>>, Error> {
    let code_err = match reader.resolve(input) {
        Err(e) => e,
        found => return found,
    };
    let text = input.trim();
    match Id::parse(text) {
        Ok(id) => reader.resolve_id(&id),
        // A malformed GS1 identifier: found only if it was stored as written, else the code parser's error.
        Err(_)
            if text.contains(':')
                && text.len() <= MAX_URI
                && !text.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) =>
        {
            Ok(Some(reader.resolve_id(&Id::Uri(text.into()))?.ok_or(code_err)?))
        }
        Err(_) => Err(code_err),
    }
}

/// Runs `tracecode resolve`.
pub(crate) fn run(a: &Args) -> ExitCode {
    let store = match crate::store_cmd::open(&a.db.db, crate::store_cmd::existing().read_only(true), EXIT_ERROR) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (mut not_found, mut errors) = (false, false);
    let mut reader = store.reader();
    let mut out = io::stdout().lock();
    let tabled = a.format == Format::Table;
    for (i, input) in a.inputs.iter().enumerate() {
        let text = match resolve(&mut reader, input) {
            Ok(Some(r)) if tabled => table(input, &r, a.state_only, a.last),
            Ok(Some(r)) if a.state_only => state_json(input, &r).to_string(),
            Ok(Some(r)) => serde_json::to_string(&resolution_json(input, &r)).unwrap_or_default(),
            Ok(None) => {
                not_found = true;
                if tabled {
                    format!("input  {input}\nnot found\n")
                } else {
                    json!({"input": input, "found": false}).to_string()
                }
            }
            Err(e) => {
                errors = true;
                if tabled {
                    format!("input  {input}\nerror  {}: {}\n", e.kind().as_str(), e.message())
                } else {
                    error_json(input, &e).to_string()
                }
            }
        };
        let sep = if tabled && i > 0 { "\n" } else { "" };
        let written = if tabled { write!(out, "{sep}{text}") } else { writeln!(out, "{text}") };
        if written.is_err() {
            break; // the reader went away (a closed pipe): stop quietly
        }
    }
    if errors {
        ExitCode::from(EXIT_ERROR)
    } else if not_found {
        ExitCode::from(EXIT_NOT_FOUND)
    } else {
        ExitCode::SUCCESS
    }
}
