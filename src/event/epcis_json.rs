//! EPCIS 2.0 JSON-LD exchange: import `EPCISDocument`, `EPCISQueryDocument`, a bare event or a JSON array of
//! events; export events as an `EPCISDocument`.
//!
//! # Import
//! [`import()`] (or the [`Importer`] builder) reads from any [`Read`] in one pass with a bounded streaming JSON
//! reader of its own (not serde_json). `epcisBody.eventList` (or `epcisBody.queryResults.resultsBody.eventList`)
//! is visited one event at a time: each event is read into a small value tree, converted, handed to the caller's
//! callback and dropped, so memory is bounded by the largest single event, not by the document: a 1 GB document
//! imports in a few megabytes. `epcisHeader` (master data) and unknown members of `epcisBody` are read past
//! without being kept. [`event_from_slice`] reads one event from bytes the same way; [`event_from_json`] converts
//! an event a caller already holds as a `serde_json::Value`.
//!
//! ## Bounds
//! Every bound is checked while the bytes are consumed, before anything larger is built: a read stops at the
//! first byte past a bound with [`ErrorKind::Length`], the JSON pointer of the value and its byte offset, having
//! read at most one 64 KiB buffer more than the bound. Messages quote at most 60 characters of the input.
//!
//! | bound | value | applies to |
//! |---|---|---|
//! | [`MAX_STRING`] | 64 KiB | every JSON string value (decoded bytes), anywhere in the input |
//! | [`MAX_URI`] | 2048 | every member name; identifiers and URI-valued fields |
//! | [`MAX_NUMBER`] | 64 | the text of every JSON number (`Decimal::MAX_LEN`) |
//! | [`MAX_DEPTH`] | 64 | nesting of arrays and objects anywhere in the input |
//! | [`MAX_EVENT_VALUES`] | 262 144 | JSON values in one event (and in the top-level members outside `epcisBody`) |
//! | [`MAX_EVENT_BYTES`] | 16 MiB ([`Importer::max_event_bytes`]) | one event's JSON text; the top-level members outside `epcisBody` |
//! | [`MAX_EXTENSION_DEPTH`] | 32 | nesting inside one extension value (after reading) |
//!
//! An event therefore costs at most about `MAX_EVENT_BYTES` of text plus ~100 bytes a value in memory. A bound
//! exceeded while reading is fatal (the reader cannot skip what it refused to read); the events before it have
//! been handed on. [`event_from_json`] holds a caller's `Value` to the same string, name and number bounds, so
//! both paths accept the same events.
//!
//! ## Duplicate member names
//! RFC 8259 leaves duplicate names to the reader, and a general JSON reader keeps the last. Here a duplicate
//! anywhere inside an event (two `eventTime`s; two `quantity` in a quantity element; two keys in an extension
//! object) rejects that event with [`ErrorKind::Duplicate`] and the pointer of the second occurrence (its byte
//! offset in the message and in [`BadEvent::offset`]); it is reported before any fault in the event's values. A
//! duplicate in the document itself (a top-level member such as `type` or `@context`, anything nested in one, or
//! `eventList`, `queryResults`, `resultsBody` inside `epcisBody`) is a fatal document fault; members that are
//! read past without being kept (`epcisHeader`'s content, unknown members of `epcisBody`) are not compared. A
//! `serde_json::Value` cannot hold duplicates (its map keeps the last): read bytes with [`event_from_slice`] to
//! have them rejected.
//!
//! Decisions, and why:
//! - **Members come in any order; the memory bound depends on it.** Extension names are CURIEs whose prefixes
//!   the context declares, so events are converted only once the context is known. With `@context` before
//!   `epcisBody` (what producers usually write) the document is read in one pass and memory is bounded by the
//!   largest event ([`MAX_EVENT_BYTES`]) plus the top-level members. A body that comes first is read past once
//!   (its syntax checked), held, and read again when the top-level object ends: in memory up to
//!   [`SPOOL_MEMORY`] (16 MiB, [`Importer::spool_memory`]), beyond it in an anonymous temporary file, so memory
//!   stays bounded at the cost of a second read and temporary disk space the size of the body. A document
//!   without `@context` is rejected with pointer `/@context` (nothing is handed on). A bare event or an array of
//!   events may omit it (the default prefixes apply) and any event may carry its own `@context`, which overrides
//!   the document's for that event.
//! - **Remote contexts are not fetched** (tracecode works offline): a context URL is accepted and the standard
//!   EPCIS prefixes `cbv`, `epcis`, `gs1` (`https://gs1.org/voc/`) and `cbvmda` are always known; other prefixes
//!   must be declared inline (`{"ex": "https://ns.example.com/"}`).
//! - **Extensions must be namespaced**: an unknown event key that is neither a declared CURIE, a declared term nor
//!   an absolute IRI (`https://…`, `urn:…`) is an error with its pointer (EPCIS 2.0 §7 requires namespaced
//!   extensions; a bare key is almost always a typo or a forgotten prefix). Inside an extension value, nested keys
//!   are expanded when they are CURIEs and otherwise kept as written.
//! - **Strict identifiers, lenient on request**: a malformed GS1 identifier (an SSCC URN of 15 digits, a Digital
//!   Link with a wrong check digit) rejects its event by default. [`ReadOptions::lenient`] /
//!   [`Importer::lenient`] keep it verbatim as an opaque URI ([`Id::Uri`]) and report a [`Warning`] with its
//!   JSON pointer and strict reading's reason ([`ImportSummary::warnings`]); a well-formed identifier reads the
//!   same either way, and a value that is not a URI at all is still an error.
//! - **Strict vocabularies**: a bare `bizStep`/`disposition`/type term must be a CBV 2.0 term; any URI is
//!   accepted (vocabularies are open).
//! - **Type rules are [`Event::validate`]'s**, the same check ingest makes, so what is imported can be stored and
//!   what is stored exports to JSON that imports: it judges content, not presence, so an empty list is no list and
//!   an ObjectEvent with `"epcList": []` alone names no object and is refused (pointer `/epcList`), although the
//!   JSON Schema's `minItems: 0` lets it through.
//! - **One fault per event**: the first fault in document order, with a JSON pointer relative to the event
//!   (`/quantityList/0/quantity`); [`BadEvent`] carries the document-level pointer.
//! - **Modes**: [`Mode::AcceptValid`] hands on valid events and reports the bad ones; [`Mode::AllOrNothing`] also
//!   hands on every event as it streams (nothing else is possible without buffering the document) but the import
//!   then fails with an [`ImportError`] listing every bad event, so a caller that stages what it receives and
//!   commits only on `Ok` gets all-or-nothing capture.
//! - A fatal fault (malformed JSON, I/O, a bound, a document-level fault) stops the import; events before it may
//!   already have been handed on.
//!
//! # Export
//! [`event_to_json`] writes one event; [`DocumentWriter`] and [`export_document`] stream an `EPCISDocument`
//! whose `@context` is [`EPCIS_CONTEXT`] plus one object declaring every extension prefix the events use and
//! `tc` for tracecode's [`Who`](super::Who) fields. GS1 identifiers are written as Digital Links, or as EPC URNs
//! with [`ExportOptions::epc_urn`] (falling back to the Digital Link when the company-prefix length is unknown or
//! the key has no EPC form). `eventTime` is written in the event's own `eventTimeZoneOffset`, other times in UTC;
//! decimals as exact JSON numbers.
//!
//! Export builds a [`Json`] tree, not a `serde_json::Value`: its members stay in EPCIS order and its numbers keep
//! their exact decimal text (`12345678901234567890.123456789`), and [`DocumentWriter`] writes it as text itself.
//! So tracecode needs neither of serde_json's `preserve_order` and `arbitrary_precision` features, which Cargo
//! would turn on for every crate of the embedding application (changing its `Value` key order and breaking its
//! `#[serde(flatten)]`/`#[serde(untagged)]` types with `f64` fields); the workspace crate `embedder-check` proves
//! it. A [`Json`] is `Serialize` (numbers exact through serde_json's `RawValue`), prints as JSON text, indexes like
//! a `Value` and compares equal to one. [`event_from_json`] reads a [`Json`] or a `Value` ([`JsonTree`]); a
//! `Value`'s members come in serde_json's order (sorted unless the application enables `preserve_order`), which
//! orders the extensions read from it and decides which of several faults is reported first.
//!
//! `Event` itself has no serde implementation: this module is the way to EPCIS JSON.
//!
//! # Round trip
//! Import → export → import gives an equal [`Event`] (same fields, same values, so the same canonical event
//! hash). Not preserved byte for byte: identifier spelling (URN vs Digital Link are one [`Id`]), number lexical
//! form (`200.50` → `200.5`), time offsets other than `eventTimeZoneOffset`, CBV spelling (bare term vs URI).
//! [`Event::namespaces`](super::Event) is the sorted list of prefixes the event's extension names were written
//! with; an event built in code should list exactly those (sorted by prefix, no prefix mapping to the IRI of
//! another) to round-trip to an equal value.
//!
//! # Example
//! A partner's document in, one event out as JSON, the whole document back out and in again:
//! ```
//! use tracecode::event::epcis_json::{ExportOptions, Mode, event_to_json, export_document, import_all};
//!
//! let doc = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
//!   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T08:00:00+08:00",
//!   "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+08:00",
//!     "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping",
//!     "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
//!     "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200.125, "uom": "KGM"}]}]}}"#;
//! let (events, summary) = import_all(doc.as_bytes(), Mode::AllOrNothing)?;
//! assert_eq!((summary.events, events.len()), (1, 1));
//!
//! // Identifiers come out as GS1 Digital Link by default, members in EPCIS order, numbers as written.
//! let json = event_to_json(&events[0], &ExportOptions::default());
//! assert_eq!(json["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017");
//! assert!(json.to_string().contains(r#""quantity":200.125"#));
//!
//! let mut out = Vec::new();
//! export_document(&events, &ExportOptions::default(), &mut out)?;
//! assert_eq!(import_all(out.as_slice(), Mode::AllOrNothing)?.0, events);
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! [`Read`]: std::io::Read
//! [`ErrorKind::Length`]: crate::ErrorKind::Length
//! [`ErrorKind::Duplicate`]: crate::ErrorKind::Duplicate
//! [`Event`]: super::Event
//! [`Event::validate`]: super::Event::validate
//! [`Id`]: super::Id
//! [`Id::Uri`]: super::Id::Uri
//! [`MAX_URI`]: super::MAX_URI

mod context;
mod error;
mod from_json;
mod import;
mod json;
mod node;
mod reader;
mod spool;
#[cfg(test)]
mod testing;
mod to_json;
mod writer;

pub use context::Context;
pub use error::{BadEvent, EventError, ImportError, Warning, WarningKind};
pub use from_json::{ReadOptions, event_from_json, event_from_json_with, event_from_slice, event_from_slice_with};
/// Reads one event from a [`Json`] tree under `ctx` (the XML reader's path into the one converter); a lenient
/// read's warnings are not returned.
pub(crate) fn event_from_json_tree(
    v: &Json,
    ctx: &Context,
    opts: ReadOptions,
) -> Result<crate::event::Event, EventError> {
    from_json::event_from_node(v, ctx, opts).map(|(e, _)| e)
}

pub use import::{DocumentKind, ImportSummary, Importer, Mode, SPOOL_MEMORY, import, import_all};
pub use reader::Json;
#[cfg(any(test, feature = "testing"))]
pub(crate) use reader::read_slice;
pub use to_json::{ExportOptions, event_to_json};
pub use writer::{DocumentWriter, export_document};

use super::Decimal;

/// A JSON value tree [`event_from_json`] reads: a caller's `serde_json::Value` (whose member order is serde_json's:
/// sorted by name unless the application enables serde_json's `preserve_order`) or a [`Json`] (members in
/// document order, exact number text), such as [`event_to_json`] returns. Sealed: implemented for those two.
pub trait JsonTree: node::Node {}

impl JsonTree for serde_json::Value {}

impl JsonTree for Json {}

/// The standard EPCIS 2.0 JSON-LD context, written first in every exported `@context`.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// Default bound on the JSON text of one event (bytes), enforced as the bytes are read. Bounds the importer's
/// memory on hostile input; 16 MiB is sixteen times the largest frame payload
/// ([`MAX_PAYLOAD`](super::frame::MAX_PAYLOAD)), so no storable event comes near it.
pub const MAX_EVENT_BYTES: u64 = 16 << 20;

/// Deepest nesting of objects and arrays inside an extension value: the frame's bound
/// ([`frame::MAX_EXT_DEPTH`](super::frame::MAX_EXT_DEPTH)), so every event read can be stored.
pub const MAX_EXTENSION_DEPTH: usize = super::frame::MAX_EXT_DEPTH;

/// Longest JSON string value the reader accepts, in decoded bytes (member names: [`MAX_URI`]). The longest text a
/// frame can store ([`frame::MAX_TEXT`](super::frame::MAX_TEXT)): a longer string could never be kept, so it is
/// refused at the first byte past the bound instead of after the whole string has been read into memory.
///
/// [`MAX_URI`]: super::MAX_URI
pub const MAX_STRING: usize = super::frame::MAX_TEXT;

/// Longest JSON number text the reader accepts, in characters: [`Decimal::MAX_LEN`], the longest number an event
/// can hold. A longer number text could only be refused after reading, so the read stops there.
pub const MAX_NUMBER: usize = Decimal::MAX_LEN;

/// Most JSON values (objects, arrays, strings, numbers, literals, counted at every level) in one event, and in the
/// top-level members outside `epcisBody`. A value costs the reader's tree about 100 bytes however short its text
/// (`0,` is two bytes), so this caps an event's tree at ~25 MiB; 2^18 is five times the identifiers a storable event
/// can hold (a frame payload of 1 MiB at ≥ 20 bytes an identifier).
pub const MAX_EVENT_VALUES: usize = 1 << 18;

/// Deepest nesting of arrays and objects anywhere in an imported document. The reader recurses once per level, so
/// this bounds its stack. An event needs at most 8 levels around [`MAX_EXTENSION_DEPTH`] levels of extension
/// value; 64 leaves room for deeper `epcisHeader` master data (which is read past, not kept).
pub const MAX_DEPTH: usize = 64;

/// At most this many bad events are listed in an [`ImportSummary`] or [`ImportError`] (the callback sees all).
pub const MAX_REPORTED: usize = 10_000;

/// Prefix written for tracecode's [`Who`](super::Who) extension fields.
pub const WHO_PREFIX: &str = "tc";
