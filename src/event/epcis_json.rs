//! EPCIS 2.0 JSON-LD exchange: import `EPCISDocument`, `EPCISQueryDocument`, a bare event or a JSON array of
//! events; export events as an `EPCISDocument`.
//!
//! # Import
//! [`import`] (or the [`Importer`] builder) reads from any [`Read`] in one pass with a bounded streaming JSON
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
//! - **`@context` must come before `epcisBody`.** Extension names are CURIEs whose prefixes the context declares;
//!   resolving them needs the context before the first event, and buffering a body to wait for a trailing
//!   context would break the memory bound. Every producer we know writes `@context` first. A document whose
//!   body comes first (or that has no `@context`) is rejected with pointer `/@context`. A bare event or an array
//!   of events may omit it (the default prefixes apply) and any event may carry its own `@context`, which
//!   overrides the document's for that event.
//! - **Remote contexts are not fetched** (tracecode works offline): a context URL is accepted and the standard
//!   EPCIS prefixes `cbv`, `epcis`, `gs1` (`https://gs1.org/voc/`) and `cbvmda` are always known; other prefixes
//!   must be declared inline (`{"ex": "https://ns.example.com/"}`).
//! - **Extensions must be namespaced**: an unknown event key that is neither a declared CURIE, a declared term nor
//!   an absolute IRI (`https://…`, `urn:…`) is an error with its pointer (EPCIS 2.0 §7 requires namespaced
//!   extensions; a bare key is almost always a typo or a forgotten prefix). Inside an extension value, nested keys
//!   are expanded when they are CURIEs and otherwise kept as written.
//! - **Strict vocabularies**: a bare `bizStep`/`disposition`/type term must be a CBV 2.0 term; any URI is
//!   accepted (vocabularies are open).
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
//! # Round trip
//! Import → export → import gives an equal [`Event`] (same fields, same values, so the same canonical event
//! hash). Not preserved byte for byte: identifier spelling (URN vs Digital Link are one [`Id`]), number lexical
//! form (`200.50` → `200.5`), time offsets other than `eventTimeZoneOffset`, CBV spelling (bare term vs URI).
//! [`Event::namespaces`](super::Event) is the sorted list of prefixes the event's extension names were written
//! with; an event built in code should list exactly those (sorted by prefix, no prefix mapping to the IRI of
//! another) to round-trip to an equal value.

mod reader;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::io::{self, Read, Write};

use serde_json::{Map, Number, Value};

use reader::{Duplicate, Fault, Names, Reader};
pub(crate) use reader::{Json, read_slice};

use super::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, ErrorDeclaration, ErrorReason, Event,
    EventType, ExtValue, Extension, Id, IdForm, MAX_URI, Namespace, PersistentDisposition, Place, Quantity,
    SensorElement, SensorMetadata, SensorReport, SourceDest, SourceDestType, Timestamp, TzOffset, WHO_NAMESPACE,
};
use crate::code::ParseOptions;
use crate::code::gs1::gcp::CompanyPrefixLengths;
use crate::{Error, ErrorKind};

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

/// Most prefixes one `@context` may declare.
const MAX_PREFIXES: usize = 256;

/// Prefix written for tracecode's [`Who`](super::Who) extension fields.
pub const WHO_PREFIX: &str = "tc";

/// Prefixes every EPCIS 2.0 processor knows (the standard context defines them, `@protected`).
const STANDARD_PREFIXES: [(&str, &str); 4] = [
    ("cbv", "https://ref.gs1.org/cbv/"),
    ("epcis", "https://ref.gs1.org/epcis/"),
    ("gs1", "https://gs1.org/voc/"),
    ("cbvmda", "urn:epcglobal:cbv:mda:"),
];

const GS1_VOC: &str = "https://gs1.org/voc/";

/// CBV 2.0 measurement types (events.md §3), expanded with `gs1:`.
const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Radioactivity",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

/// CBV 2.0 sensor components (`Comp-`, events.md §3).
const COMPONENTS: &[&str] = &[
    "x",
    "y",
    "z",
    "axial_distance",
    "azimuth",
    "height",
    "spherical_radius",
    "polar_angle",
    "elevation_angle",
    "easting",
    "northing",
    "latitude",
    "longitude",
    "altitude",
];

// ---------------------------------------------------------------------------------------------------------------
// Context

/// The JSON-LD prefixes in force for an event: the standard EPCIS prefixes plus those a `@context` declares.
///
/// ```
/// use tracecode::event::epcis_json::Context;
/// let ctx = Context::from_json(&serde_json::json!([
///     "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
///     {"ex": "https://ns.example.com/epcis/"}
/// ]))?;
/// assert_eq!(ctx.iri("ex"), Some("https://ns.example.com/epcis/"));
/// assert_eq!(ctx.iri("gs1"), Some("https://gs1.org/voc/"));
/// # Ok::<(), tracecode::event::epcis_json::EventError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    declared: Vec<Namespace>,
}

/// How a key or value resolves against a [`Context`].
enum Resolved<'c> {
    /// A CURIE with a declared (or standard) prefix: the expanded IRI and the namespace used.
    Curie(String, Namespace),
    /// A term declared in the context as a whole IRI.
    Term(&'c str),
    /// An absolute IRI (`scheme://…`, `urn:…`).
    Absolute,
    /// `prefix:rest` with an undeclared prefix.
    Undeclared(&'c str),
    /// No colon and no term definition.
    Plain,
}

impl Context {
    /// The standard prefixes only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a `@context` value: a URL (accepted, not fetched), an object of prefix definitions (`"ex": "IRI"` or
    /// `"ex": {"@id": "IRI"}`), or an array of those.
    ///
    /// # Errors
    /// An [`EventError`] with a pointer inside the context for a value of the wrong type, an IRI that is not one,
    /// a redefinition of a standard prefix, or more than 256 prefixes.
    pub fn from_json(v: &Value) -> Result<Self, EventError> {
        Self::from_node(v)
    }

    fn from_node<N: Node>(v: &N) -> Result<Self, EventError> {
        let mut c = Self::new();
        c.add_json(v, &Path::ROOT)?;
        Ok(c)
    }

    /// Declares `prefix` → `iri` (replacing an earlier declaration of the same prefix).
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for an empty prefix or one with `:` or whitespace, an IRI that is not absolute
    /// (`scheme://…`, or `urn:`, `tag:`, `did:`, `ni:`, `mailto:`, `data:`) or has whitespace; [`ErrorKind::Value`] for redefining a standard prefix (`cbv`, `epcis`, `gs1`, `cbvmda`) to
    /// another IRI; [`ErrorKind::Length`] past 256 prefixes or over-long text.
    pub fn declare(&mut self, prefix: &str, iri: &str) -> Result<(), Error> {
        if prefix.is_empty() || prefix.len() > 64 || prefix.contains(':') || prefix.bytes().any(bad_uri_byte) {
            return Err(Error::new(
                ErrorKind::Syntax,
                0,
                prefix.len(),
                format!("{} is not a prefix name", show(prefix)),
            ));
        }
        let hijack = ["http", "https"].iter().chain(&AUTHORITYLESS_SCHEMES).any(|x| prefix.eq_ignore_ascii_case(x));
        if hijack {
            return Err(Error::new(
                ErrorKind::Value,
                0,
                prefix.len(),
                format!("prefix {} would change the meaning of every IRI with that scheme", show(prefix)),
            ));
        }
        if iri.len() > MAX_URI {
            return Err(Error::new(ErrorKind::Length, 0, iri.len(), "namespace IRI is too long"));
        }
        if !uri_ok(iri) || !is_absolute(iri) {
            return Err(Error::new(
                ErrorKind::Syntax,
                0,
                iri.len(),
                format!("{} is not an absolute IRI (scheme://… or urn:…)", show(iri)),
            ));
        }
        if let Some((_, std)) = STANDARD_PREFIXES.iter().find(|(p, _)| *p == prefix) {
            if *std != iri {
                return Err(Error::new(
                    ErrorKind::Value,
                    0,
                    iri.len(),
                    format!("prefix {} is fixed by the EPCIS context to {std}", show(prefix)),
                ));
            }
            return Ok(());
        }
        if let Some(n) = self.declared.iter_mut().find(|n| &*n.prefix == prefix) {
            n.iri = iri.into();
            return Ok(());
        }
        if self.declared.len() >= MAX_PREFIXES {
            return Err(Error::new(ErrorKind::Length, 0, 0, "more than 256 prefixes in @context"));
        }
        self.declared.push(Namespace { prefix: prefix.into(), iri: iri.into() });
        Ok(())
    }

    /// The IRI a prefix stands for (declared first, then the standard prefixes).
    pub fn iri(&self, prefix: &str) -> Option<&str> {
        self.declared
            .iter()
            .find(|n| &*n.prefix == prefix)
            .map(|n| &*n.iri)
            .or_else(|| STANDARD_PREFIXES.iter().find(|(p, _)| *p == prefix).map(|(_, i)| *i))
    }

    /// The prefixes declared (not the standard ones), in declaration order.
    pub fn declared(&self) -> &[Namespace] {
        &self.declared
    }

    fn add_json<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<(), EventError> {
        match v.view() {
            // A remote context (the standard one, or one we do not fetch: tracecode works offline).
            View::String(_) => Ok(()),
            View::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    match it.view() {
                        View::String(_) => {}
                        View::Object(o) => self.add_object::<N>(o, &p.index(i))?,
                        _ => {
                            return Err(p.index(i).err(
                                ErrorKind::Syntax,
                                format!("@context entries must be URLs or objects, found {}", type_name(it)),
                            ));
                        }
                    }
                }
                Ok(())
            }
            View::Object(o) => self.add_object::<N>(o, p),
            _ => Err(p.err(
                ErrorKind::Syntax,
                format!("@context must be a URL, an object or an array, found {}", type_name(v)),
            )),
        }
    }

    fn add_object<N: Node>(&mut self, o: &N::Obj, p: &Path<'_>) -> Result<(), EventError> {
        for (k, v) in o.members() {
            // Keywords (@vocab, @version, @protected) and compact-IRI keys do not declare prefixes.
            if k.starts_with('@') || k.contains(':') {
                continue;
            }
            let iri = match v.view() {
                View::String(s) => s,
                View::Object(d) => match d.get("@id").map(Node::view) {
                    Some(View::String(s)) => s,
                    // A term definition without @id (type coercion only) declares nothing.
                    _ => continue,
                },
                View::Null => continue,
                _ => {
                    return Err(p.key(k).err(
                        ErrorKind::Syntax,
                        format!("a prefix definition must be an IRI string, found {}", type_name(v)),
                    ));
                }
            };
            // A definition may itself be a CURIE of an earlier prefix (JSON-LD expands it).
            let expanded = match self.resolve(iri) {
                Resolved::Curie(full, _) => Cow::Owned(full),
                _ => Cow::Borrowed(iri),
            };
            self.declare(k, &expanded).map_err(|e| p.key(k).err(e.kind(), e.message().to_owned()))?;
        }
        Ok(())
    }

    fn resolve<'s>(&'s self, s: &'s str) -> Resolved<'s> {
        let Some((pfx, rest)) = s.split_once(':') else {
            return match self.declared.iter().find(|n| &*n.prefix == s) {
                Some(n) => Resolved::Term(&n.iri),
                None => Resolved::Plain,
            };
        };
        if rest.starts_with("//") {
            return Resolved::Absolute;
        }
        if let Some(iri) = self.iri(pfx) {
            return Resolved::Curie(format!("{iri}{rest}"), Namespace { prefix: pfx.into(), iri: iri.into() });
        }
        if AUTHORITYLESS_SCHEMES.iter().any(|sch| pfx.eq_ignore_ascii_case(sch)) {
            return Resolved::Absolute;
        }
        Resolved::Undeclared(pfx)
    }

    /// A value that may be a CURIE: expanded if its prefix is known, else as written.
    fn expand_value<'s>(&self, s: &'s str) -> Cow<'s, str> {
        match self.resolve(s) {
            Resolved::Curie(full, _) => Cow::Owned(full),
            _ => Cow::Borrowed(s),
        }
    }
}

/// IRI schemes without an authority (`scheme:` not followed by `//`) that EPCIS data uses: read as absolute IRIs,
/// never as CURIEs of an undeclared prefix.
const AUTHORITYLESS_SCHEMES: [&str; 6] = ["urn", "ni", "tag", "did", "mailto", "data"];

/// An IRI the importer reads back as itself: `scheme://…` or an authority-less scheme (`urn:…`). Namespace IRIs
/// must be of this kind, so every expanded name re-imports unchanged.
fn is_absolute(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut chars = scheme.bytes();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && (rest.starts_with("//") || AUTHORITYLESS_SCHEMES.iter().any(|x| scheme.eq_ignore_ascii_case(x)))
}

/// A URI-like value short enough and without whitespace or control characters.
fn uri_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_URI && !s.bytes().any(bad_uri_byte)
}

fn bad_uri_byte(b: u8) -> bool {
    b.is_ascii_whitespace() || b.is_ascii_control()
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and JSON pointers

/// Why one event is invalid: the reason and a JSON pointer (RFC 6901) to the fault, relative to the event
/// (`/epcList/1`; empty for the event as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventError {
    kind: ErrorKind,
    pointer: String,
    message: String,
    offset: Option<u64>,
}

impl EventError {
    /// An error of `kind` at `pointer`.
    pub fn new(kind: ErrorKind, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, pointer: pointer.into(), message: message.into(), offset: None }
    }

    /// Byte offset of the fault in the JSON text, when it was found while reading bytes (malformed JSON, a bound, a
    /// duplicate member name); `None` for faults in values, which the pointer locates.
    pub const fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// The kind of fault.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// JSON pointer to the fault, relative to the event.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The reason, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// As a crate [`Error`] (position 0: the fault is located by the pointer, which leads the message).
    pub fn to_error(&self) -> Error {
        Error::new(self.kind, 0, 0, self.to_string())
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for EventError {}

impl From<EventError> for Error {
    fn from(e: EventError) -> Self {
        e.to_error()
    }
}

/// A rejected event in a document: its index in document order, a JSON pointer from the document root
/// (`/epcisBody/eventList/3/bizStep`) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadEvent {
    /// Index of the event in document order (0-based).
    pub index: usize,
    /// JSON pointer from the document root to the fault.
    pub pointer: String,
    /// The kind of fault.
    pub kind: ErrorKind,
    /// The reason.
    pub message: String,
    /// Byte offset of the fault in the input, when the reader found it (a duplicate member name).
    pub offset: Option<u64>,
}

impl fmt::Display for BadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {} at {}: {}", self.index, self.pointer, self.message)
    }
}

/// A failed import: a fatal fault (malformed JSON, I/O, document-level fault, size bound, callback error) or, in
/// [`Mode::AllOrNothing`], the list of every bad event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    error: Error,
    pointer: String,
    rejected: Vec<BadEvent>,
    rejected_total: usize,
}

impl ImportError {
    /// A fatal fault at byte `offset` of the input (the [`Error`]'s offset).
    fn fatal_at(
        kind: ErrorKind,
        offset: u64,
        pointer: impl Into<String>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            error: Error::new(kind, usize::try_from(offset).unwrap_or(usize::MAX), 0, message),
            pointer: pointer.into(),
            rejected: Vec::new(),
            rejected_total: 0,
        }
    }

    /// The error: its kind and message.
    pub const fn error(&self) -> &Error {
        &self.error
    }

    /// JSON pointer of a document-level fault (`/@context`), empty when not applicable.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The bad events (at most [`MAX_REPORTED`]); empty for a fatal fault.
    pub fn rejected(&self) -> &[BadEvent] {
        &self.rejected
    }

    /// How many events were bad in all.
    pub const fn rejected_total(&self) -> usize {
        self.rejected_total
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.pointer.is_empty() {
            write!(f, "{}: ", self.pointer)?;
        }
        f.write_str(self.error.message())?;
        for b in self.rejected.iter().take(20) {
            write!(f, "\n  {b}")?;
        }
        if self.rejected_total > 20 {
            write!(f, "\n  … and {} more", self.rejected_total - 20)?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        let kind = e.error.kind();
        Self::new(kind, 0, 0, e.to_string())
    }
}

/// A JSON pointer under construction: a stack-allocated chain of segments, rendered only on error.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, seg: Seg::Root };

    fn key(&'a self, k: &'a str) -> Self {
        Path { parent: Some(self), seg: Seg::Key(k) }
    }

    fn index(&'a self, i: usize) -> Self {
        Path { parent: Some(self), seg: Seg::Index(i) }
    }

    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut s = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => push_pointer_key(&mut s, k),
                Seg::Index(i) => {
                    let _ = write!(s, "/{i}");
                }
            }
        }
        s
    }

    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> EventError {
        EventError::new(kind, self.render(), message)
    }
}

/// Appends `/key` to a JSON pointer, escaped as RFC 6901 says (extension names are IRIs full of '/').
fn push_pointer_key(s: &mut String, k: &str) {
    s.push('/');
    for c in k.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
}

/// A value quoted for a message, cut to a readable length. Every message that echoes input goes through here (or
/// [`clip`], for a nested error's message).
fn show(s: &str) -> String {
    const MAX: usize = 60;
    if s.len() <= MAX {
        return format!("{s:?}");
    }
    format!("{:?}…", head(s, MAX))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn head(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// The message of an error from another parser (identifier, timestamp), which may quote the whole input: cut to
/// a readable length.
fn clip(message: &str) -> Cow<'_, str> {
    const MAX: usize = 120;
    if message.len() <= MAX { Cow::Borrowed(message) } else { Cow::Owned(format!("{}…", head(message, MAX))) }
}

fn type_name<N: Node>(v: &N) -> &'static str {
    match v.view() {
        View::Null => "null",
        View::Bool(_) => "a boolean",
        View::Number(_) => "a number",
        View::String(_) => "a string",
        View::Array(_) => "an array",
        View::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The JSON value trees the converter reads

/// A JSON value the converter reads: a `serde_json::Value` a caller built, or the importer's bounded [`Json`]
/// tree. One converter serves both, without copying one into the other.
trait Node: Sized + 'static {
    /// An object's members.
    type Obj: Obj<Self> + ?Sized;

    /// What the value is.
    fn view(&self) -> View<'_, Self>;
}

/// An object's members, in document order.
trait Obj<N: 'static> {
    /// The members, in order.
    fn members(&self) -> impl Iterator<Item = (&str, &N)>;

    /// The member named `key`.
    fn get(&self, key: &str) -> Option<&N>;
}

/// One level of a [`Node`].
enum View<'a, N: Node> {
    Null,
    Bool(bool),
    /// The number's text (exact).
    Number(Cow<'a, str>),
    String(&'a str),
    Array(&'a [N]),
    Object(&'a N::Obj),
}

impl Node for Value {
    type Obj = Map<String, Value>;

    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(Cow::Owned(n.to_string())),
            Value::String(s) => View::String(s),
            Value::Array(a) => View::Array(a),
            Value::Object(o) => View::Object(o),
        }
    }
}

impl Obj<Value> for Map<String, Value> {
    fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
}

impl Node for Json {
    type Obj = [(Box<str>, Json)];

    fn view(&self) -> View<'_, Self> {
        match self {
            Json::Null => View::Null,
            Json::Bool(b) => View::Bool(*b),
            Json::Number(n) => View::Number(Cow::Borrowed(n)),
            Json::String(s) => View::String(s),
            Json::Array(a) => View::Array(a),
            Json::Object(o) => View::Object(o.as_slice()),
        }
    }
}

impl Obj<Json> for [(Box<str>, Json)] {
    fn members(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.iter().map(|(k, v)| (&**k, v))
    }

    fn get(&self, key: &str) -> Option<&Json> {
        self.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON → Event

/// Reads one event from its JSON-LD object, resolving CURIEs with `ctx` (and the event's own `@context`, if any).
///
/// Checks value types and patterns (timestamps, offset, `uom`, numbers), vocabularies, which fields the event type
/// allows, the identifier-list rules of the JSON Schema, then [`Event::validate`].
///
/// # Errors
/// An [`EventError`] with the pointer (relative to the event) and reason of the first fault in document order.
///
/// ```
/// use tracecode::event::epcis_json::{Context, event_from_json};
/// let v = serde_json::json!({
///     "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
///     "eventTime": "2022-02-16T20:33:31.116-06:00", "eventTimeZoneOffset": "-06:00",
///     "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "not a uri"]
/// });
/// let err = event_from_json(&v, &Context::new()).unwrap_err();
/// assert_eq!(err.pointer(), "/epcList/1");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_from_json(v: &Value, ctx: &Context) -> Result<Event, EventError> {
    event_from_node(v, ctx)
}

/// Reads one event from its JSON text: the same bounds as [`import`] ([`MAX_EVENT_BYTES`], [`MAX_STRING`],
/// [`MAX_NUMBER`], [`MAX_EVENT_VALUES`], [`MAX_DEPTH`]) and the same checks as [`event_from_json`], and a duplicate
/// member name anywhere in the event is an error ([`event_from_json`] cannot see one: a `serde_json::Value` keeps
/// the last).
///
/// # Errors
/// An [`EventError`] with the pointer (relative to the event) and reason of the first fault: malformed JSON
/// ([`ErrorKind::Syntax`], with its [`offset`](EventError::offset)), a bound ([`ErrorKind::Length`]), a duplicate
/// name ([`ErrorKind::Duplicate`], pointing at the second occurrence), then the faults of [`event_from_json`].
///
/// ```
/// use tracecode::ErrorKind;
/// use tracecode::event::epcis_json::{Context, event_from_slice};
/// let text = br#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///     "eventTimeZoneOffset": "+00:00", "epcList": [], "eventTime": "2024-05-02T08:00:00Z"}"#;
/// let err = event_from_slice(text, &Context::new()).unwrap_err();
/// assert_eq!((err.kind(), err.pointer()), (ErrorKind::Duplicate, "/eventTime"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_from_slice(json: &[u8], ctx: &Context) -> Result<Event, EventError> {
    let (v, dup) = read_slice(json, MAX_EVENT_VALUES, MAX_EVENT_BYTES).map_err(|f| {
        let message = if f.window {
            format!("the event is larger than {MAX_EVENT_BYTES} bytes (at byte {})", f.offset)
        } else {
            f.message
        };
        EventError { kind: f.kind, pointer: f.pointer, message, offset: Some(f.offset) }
    })?;
    if let Some(d) = dup {
        return Err(duplicate_error(d));
    }
    event_from_node(&v, ctx)
}

/// The fault of an event holding a duplicate member name.
fn duplicate_error(d: Duplicate) -> EventError {
    let message = format!("member {} appears twice (the second at byte {})", d.name, d.offset);
    EventError { kind: ErrorKind::Duplicate, pointer: d.pointer, message, offset: Some(d.offset) }
}

fn event_from_node<N: Node>(v: &N, ctx: &Context) -> Result<Event, EventError> {
    let View::Object(o) = v.view() else {
        return Err(
            Path::ROOT.err(ErrorKind::Syntax, format!("an event must be a JSON object, found {}", type_name(v)))
        );
    };
    let local;
    let ctx = match o.get("@context") {
        Some(c) => {
            let mut x = ctx.clone();
            x.add_json(c, &Path::ROOT.key("@context"))?;
            local = x;
            &local
        }
        None => ctx,
    };
    Conv { ctx, used: Vec::new() }.event::<N>(o)
}

/// Field-presence flags the model cannot express (an empty `epcList` is present but empty).
#[derive(Default)]
struct Seen {
    time: bool,
    offset: bool,
    epc_list: bool,
}

struct Conv<'c> {
    ctx: &'c Context,
    used: Vec<Namespace>,
}

/// Which event types a standard field belongs to (events.md §2.3; `persistentDisposition` everywhere).
fn applies(kind: &EventType, field: &str) -> bool {
    use EventType as T;
    match field {
        "action" => !matches!(kind, T::Transformation),
        "epcList" | "quantityList" => matches!(kind, T::Object | T::Transaction | T::Extension(_)),
        "parentID" => matches!(kind, T::Aggregation | T::Transaction | T::Association | T::Extension(_)),
        "childEPCs" | "childQuantityList" => matches!(kind, T::Aggregation | T::Association | T::Extension(_)),
        "inputEPCList" | "inputQuantityList" | "outputEPCList" | "outputQuantityList" | "transformationID" => {
            matches!(kind, T::Transformation | T::Extension(_))
        }
        "ilmd" => matches!(kind, T::Object | T::Transformation | T::Extension(_)),
        _ => true,
    }
}

const STANDARD_FIELDS: &[&str] = &[
    "action",
    "epcList",
    "quantityList",
    "parentID",
    "childEPCs",
    "childQuantityList",
    "inputEPCList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
    "ilmd",
];

#[allow(
    clippy::unused_self,
    reason = "one converter per event: every reader is a method so any can reach the context and the namespace log"
)]
impl Conv<'_> {
    fn event<N: Node>(mut self, o: &N::Obj) -> Result<Event, EventError> {
        let root = Path::ROOT;
        let kind = match o.get("type") {
            Some(t) => self.event_type(t, &root.key("type"))?,
            None => return Err(root.key("type").err(ErrorKind::Syntax, "missing required field type")),
        };
        let mut e = Event::new(kind, Timestamp(0), TzOffset::UTC);
        let mut seen = Seen::default();
        let mut names = HashSet::new();
        for (k, v) in o.members() {
            let p = root.key(k);
            if STANDARD_FIELDS.contains(&k) && !applies(&e.kind, k) {
                return Err(p.err(ErrorKind::Syntax, format!("{k} is not a field of {}", e.kind.as_str())));
            }
            self.field(&mut e, &mut seen, &mut names, k, v, &p)?;
        }
        let missing = |f: &'static str| root.key(f).err(ErrorKind::Syntax, format!("missing required field {f}"));
        if !seen.time {
            return Err(missing("eventTime"));
        }
        if !seen.offset {
            return Err(missing("eventTimeZoneOffset"));
        }
        if e.action.is_none() && applies(&e.kind, "action") && !matches!(e.kind, EventType::Extension(_)) {
            return Err(missing("action"));
        }
        Self::presence_rules(&e, &seen)?;
        e.validate().map_err(|x| root.err(x.kind(), x.message().to_owned()))?;
        self.used.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        self.used.dedup_by(|a, b| a.prefix == b.prefix);
        e.namespaces = self.used;
        Ok(e)
    }

    /// JSON Schema "what" rules the model cannot check (events.md §2.4).
    fn presence_rules(e: &Event, seen: &Seen) -> Result<(), EventError> {
        let p = Path::ROOT.key("epcList");
        match e.kind {
            EventType::Object => {
                let sensors = !e.sensor_elements.is_empty() && e.read_point.is_some();
                if !seen.epc_list && e.quantity_list.is_empty() && !sensors {
                    return Err(p.err(
                        ErrorKind::Syntax,
                        "an ObjectEvent needs epcList, quantityList, or sensorElementList with readPoint",
                    ));
                }
            }
            EventType::Transaction
                if e.action != Some(Action::Delete) && !seen.epc_list && e.quantity_list.is_empty() =>
            {
                return Err(p.err(ErrorKind::Syntax, "a TransactionEvent needs epcList or quantityList"));
            }
            _ => {}
        }
        Ok(())
    }

    fn field<N: Node>(
        &mut self,
        e: &mut Event,
        seen: &mut Seen,
        names: &mut HashSet<Box<str>>,
        k: &str,
        v: &N,
        p: &Path<'_>,
    ) -> Result<(), EventError> {
        match k {
            "type" | "@context" => {}
            "eventTime" => {
                e.event_time = self.time(v, p)?;
                seen.time = true;
            }
            "eventTimeZoneOffset" => {
                e.event_time_zone_offset = self.offset(v, p)?;
                seen.offset = true;
            }
            "recordTime" => e.record_time = Some(self.time(v, p)?),
            "eventID" => e.event_id = Some(self.uri_text(v, p)?),
            "certificationInfo" => {
                e.certification_info = match v.view() {
                    View::Array(a) => {
                        a.iter().enumerate().map(|(i, x)| self.uri_text(x, &p.index(i))).collect::<Result<_, _>>()?
                    }
                    _ => vec![self.uri_text(v, p)?],
                }
            }
            "errorDeclaration" => e.error_declaration = Some(self.error_declaration(v, p)?),
            "action" => e.action = Some(self.action(v, p)?),
            "parentID" => e.parent_id = Some(self.id(v, p)?),
            "epcList" => {
                e.epc_list = self.ids(v, p)?;
                seen.epc_list = true;
            }
            "childEPCs" => e.child_epcs = self.ids(v, p)?,
            "inputEPCList" => e.input_epc_list = self.ids(v, p)?,
            "outputEPCList" => e.output_epc_list = self.ids(v, p)?,
            "quantityList" => e.quantity_list = self.quantities(v, p)?,
            "childQuantityList" => e.child_quantity_list = self.quantities(v, p)?,
            "inputQuantityList" => e.input_quantity_list = self.quantities(v, p)?,
            "outputQuantityList" => e.output_quantity_list = self.quantities(v, p)?,
            "transformationID" => e.transformation_id = Some(self.uri_text(v, p)?),
            "bizStep" => e.biz_step = Some(self.vocab(v, p, "bizStep", BizStep::parse)?),
            "disposition" => e.disposition = Some(self.vocab(v, p, "disposition", Disposition::parse)?),
            "persistentDisposition" => e.persistent_disposition = Some(self.persistent(v, p)?),
            "readPoint" => e.read_point = Some(self.place(v, p, "readPoint")?),
            "bizLocation" => e.biz_location = Some(self.place(v, p, "bizLocation")?),
            "bizTransactionList" => {
                e.biz_transactions = self.list(v, p, Self::biz_transaction)?;
            }
            "sourceList" => e.sources = self.list(v, p, |c, x, q| c.source_dest(x, q, "source"))?,
            "destinationList" => e.destinations = self.list(v, p, |c, x, q| c.source_dest(x, q, "destination"))?,
            "sensorElementList" => e.sensor_elements = self.list(v, p, Self::sensor_element)?,
            "ilmd" => {
                let o = Self::object(v, p)?;
                e.ilmd = self.extensions(o.members(), p, "ilmd")?;
            }
            _ => {
                let name = self.ext_name(k, p, "an event")?;
                if !names.insert(name.clone()) {
                    return Err(p.err(ErrorKind::Duplicate, format!("extension {} appears twice", show(&name))));
                }
                if let Some(local) = name.strip_prefix(WHO_NAMESPACE) {
                    match local {
                        "responsibleParty" => return self.who_party(e, v, p),
                        "operator" => {
                            e.who.operator = Some(self.uri_text(v, p)?);
                            return Ok(());
                        }
                        "device" => {
                            e.who.device = Some(self.uri_text(v, p)?);
                            return Ok(());
                        }
                        _ => {}
                    }
                }
                self.note_namespace(k);
                let value = self.ext_value(v, p, 0)?;
                e.extensions.push(Extension { name, value });
            }
        }
        Ok(())
    }

    fn who_party<N: Node>(&self, e: &mut Event, v: &N, p: &Path<'_>) -> Result<(), EventError> {
        e.who.party = Some(self.id(v, p)?);
        Ok(())
    }

    fn event_type<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<EventType, EventError> {
        let s = Self::string(v, p)?;
        Ok(match s {
            "ObjectEvent" => EventType::Object,
            "AggregationEvent" => EventType::Aggregation,
            "TransactionEvent" => EventType::Transaction,
            "TransformationEvent" => EventType::Transformation,
            "AssociationEvent" => EventType::Association,
            _ => match self.ctx.resolve(s) {
                Resolved::Curie(full, _) if uri_ok(&full) => EventType::Extension(full.into()),
                Resolved::Term(full) => EventType::Extension(full.into()),
                Resolved::Absolute if uri_ok(s) => EventType::Extension(s.into()),
                _ => {
                    return Err(p.err(
                        ErrorKind::Value,
                        format!(
                            "type {} is not an EPCIS event type (ObjectEvent, AggregationEvent, TransactionEvent, \
                             TransformationEvent, AssociationEvent, or an extension type URI)",
                            show(s)
                        ),
                    ));
                }
            },
        })
    }

    // --- primitive values ---------------------------------------------------------------------------------------

    fn string<'v, N: Node>(v: &'v N, p: &Path<'_>) -> Result<&'v str, EventError> {
        match v.view() {
            View::String(s) => Self::bounded_text(s, p),
            _ => Err(p.err(ErrorKind::Syntax, format!("expected a string, found {}", type_name(v)))),
        }
    }

    /// A string within [`MAX_STRING`] (the reader never builds a longer one; a caller's `Value` may hold one).
    fn bounded_text<'v>(s: &'v str, p: &Path<'_>) -> Result<&'v str, EventError> {
        if s.len() > MAX_STRING {
            return Err(p.err(ErrorKind::Length, format!("a string is longer than {MAX_STRING} bytes")));
        }
        Ok(s)
    }

    fn object<'v, N: Node>(v: &'v N, p: &Path<'_>) -> Result<&'v N::Obj, EventError> {
        match v.view() {
            View::Object(o) => Ok(o),
            _ => Err(p.err(ErrorKind::Syntax, format!("expected an object, found {}", type_name(v)))),
        }
    }

    fn array<'v, N: Node>(v: &'v N, p: &Path<'_>) -> Result<&'v [N], EventError> {
        match v.view() {
            View::Array(a) => Ok(a),
            _ => Err(p.err(ErrorKind::Syntax, format!("expected an array, found {}", type_name(v)))),
        }
    }

    fn list<T, N: Node>(
        &mut self,
        v: &N,
        p: &Path<'_>,
        mut f: impl FnMut(&mut Self, &N, &Path<'_>) -> Result<T, EventError>,
    ) -> Result<Vec<T>, EventError> {
        let a = Self::array(v, p)?;
        let mut out = Vec::with_capacity(a.len());
        for (i, x) in a.iter().enumerate() {
            out.push(f(self, x, &p.index(i))?);
        }
        Ok(out)
    }

    /// A URI-like text kept verbatim: non-empty, bounded, no whitespace.
    fn uri_text<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Box<str>, EventError> {
        let s = Self::string(v, p)?;
        if s.len() > MAX_URI {
            return Err(p.err(ErrorKind::Length, format!("value is longer than {MAX_URI} bytes")));
        }
        if s.is_empty() || s.bytes().any(bad_uri_byte) {
            return Err(p.err(ErrorKind::Syntax, format!("{} is not a URI (empty, or contains whitespace)", show(s))));
        }
        Ok(s.into())
    }

    fn time<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Timestamp, EventError> {
        let s = Self::string(v, p)?;
        Timestamp::parse(s).map(|(t, _)| t).map_err(|e| {
            p.err(
                ErrorKind::Date,
                format!(
                    "{} is not a date-time with offset like 2024-05-01T10:00:00+08:00: {} (at character {})",
                    show(s),
                    clip(e.message()),
                    e.offset()
                ),
            )
        })
    }

    fn offset<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<TzOffset, EventError> {
        let s = Self::string(v, p)?;
        let shaped = s.len() == 6 && matches!(s.as_bytes().first(), Some(b'+' | b'-'));
        match TzOffset::parse(s) {
            Ok(o) if shaped => Ok(o),
            _ => Err(p.err(
                ErrorKind::Date,
                format!("eventTimeZoneOffset must be +hh:mm or -hh:mm between -14:00 and +14:00, found {}", show(s)),
            )),
        }
    }

    fn decimal<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Decimal, EventError> {
        match v.view() {
            View::Number(n) => Self::number(&n, p),
            _ => Err(p.err(ErrorKind::Syntax, format!("expected a number, found {}", describe(v)))),
        }
    }

    fn number(text: &str, p: &Path<'_>) -> Result<Decimal, EventError> {
        let d = Decimal::parse(text)
            .map_err(|e| p.err(e.kind(), format!("number {} is out of range: {}", show(text), clip(e.message()))))?;
        // `1e-60` is short but its exact form is not: refuse what could not be read back after export.
        if d.as_str().len() > Decimal::MAX_LEN {
            return Err(p.err(
                ErrorKind::Length,
                format!("number {} has more than {} digits written out", show(text), Decimal::MAX_LEN),
            ));
        }
        Ok(d)
    }

    fn uom<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Box<str>, EventError> {
        let s = Self::string(v, p)?;
        let ok = (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(p.err(
                ErrorKind::Value,
                format!("uom must be a UN/ECE Rec 20 code of 2-3 upper-case letters or digits, found {}", show(s)),
            ));
        }
        Ok(s.into())
    }

    fn action<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Action, EventError> {
        match Self::string(v, p)? {
            "ADD" => Ok(Action::Add),
            "OBSERVE" => Ok(Action::Observe),
            "DELETE" => Ok(Action::Delete),
            s => Err(p.err(ErrorKind::Value, format!("action must be ADD, OBSERVE or DELETE, found {}", show(s)))),
        }
    }

    fn vocab<T, N: Node>(
        &self,
        v: &N,
        p: &Path<'_>,
        what: &str,
        parse: fn(&str) -> Result<T, Error>,
    ) -> Result<T, EventError> {
        let s = Self::string(v, p)?;
        if s.len() > MAX_URI {
            return Err(p.err(ErrorKind::Length, format!("{what} is longer than {MAX_URI} bytes")));
        }
        parse(&self.ctx.expand_value(s)).map_err(|_| {
            p.err(
                ErrorKind::Value,
                format!("{what} {} is not a CBV 2.0 term; use a standard term or a full URI for your own", show(s)),
            )
        })
    }

    fn id<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Id, EventError> {
        let s = Self::string(v, p)?;
        Id::parse(&self.ctx.expand_value(s))
            .map_err(|e| p.err(e.kind(), format!("{} is not a valid identifier: {}", show(s), clip(e.message()))))
    }

    fn ids<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Vec<Id>, EventError> {
        let a = Self::array(v, p)?;
        a.iter().enumerate().map(|(i, x)| self.id(x, &p.index(i))).collect()
    }

    // --- structured values --------------------------------------------------------------------------------------

    fn quantities<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Vec<Quantity>, EventError> {
        let a = Self::array(v, p)?;
        a.iter().enumerate().map(|(i, x)| self.quantity(x, &p.index(i))).collect()
    }

    fn quantity<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Quantity, EventError> {
        let o = Self::object(v, p)?;
        let mut class = None;
        let mut q = Quantity { class: Id::Uri("".into()), quantity: None, uom: None };
        for (k, x) in o.members() {
            let kp = p.key(k);
            match k {
                "epcClass" => class = Some(self.id(x, &kp)?),
                "quantity" => q.quantity = Some(self.decimal(x, &kp)?),
                "uom" => q.uom = Some(self.uom(x, &kp)?),
                _ => {
                    return Err(kp.err(
                        ErrorKind::Syntax,
                        format!("unknown field {} in a quantity element (allowed: epcClass, quantity, uom)", show(k)),
                    ));
                }
            }
        }
        q.class = class.ok_or_else(|| p.key("epcClass").err(ErrorKind::Syntax, "missing required field epcClass"))?;
        if q.uom.is_some() && q.quantity.is_none() {
            return Err(p.key("quantity").err(ErrorKind::Syntax, "uom needs a quantity"));
        }
        Ok(q)
    }

    fn place<N: Node>(&mut self, v: &N, p: &Path<'_>, what: &str) -> Result<Place, EventError> {
        let o = Self::object(v, p)?;
        let id = match o.get("id") {
            Some(x) => self.id(x, &p.key("id"))?,
            None => return Err(p.key("id").err(ErrorKind::Syntax, format!("{what} needs an id"))),
        };
        let extensions = self.extensions(o.members().filter(|(k, _)| *k != "id"), p, what)?;
        Ok(Place { id, extensions })
    }

    fn biz_transaction<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<BizTransaction, EventError> {
        let o = Self::object(v, p)?;
        let mut kind = None;
        let mut value = None;
        for (k, x) in o.members() {
            let kp = p.key(k);
            match k {
                "type" => kind = Some(self.vocab(x, &kp, "bizTransaction type", BizTransactionType::parse)?),
                "bizTransaction" => value = Some(self.id(x, &kp)?),
                _ => {
                    return Err(kp.err(
                        ErrorKind::Syntax,
                        format!("unknown field {} in a bizTransaction (allowed: type, bizTransaction)", show(k)),
                    ));
                }
            }
        }
        let value = value
            .ok_or_else(|| p.key("bizTransaction").err(ErrorKind::Syntax, "missing required field bizTransaction"))?;
        Ok(BizTransaction { kind, value })
    }

    fn source_dest<N: Node>(&mut self, v: &N, p: &Path<'_>, what: &'static str) -> Result<SourceDest, EventError> {
        let o = Self::object(v, p)?;
        let mut kind = None;
        let mut id = None;
        for (k, x) in o.members() {
            let kp = p.key(k);
            if k == "type" {
                kind = Some(self.vocab(x, &kp, &format!("{what} type"), SourceDestType::parse)?);
            } else if k == what {
                id = Some(self.id(x, &kp)?);
            } else {
                return Err(
                    kp.err(ErrorKind::Syntax, format!("unknown field {} in a {what} (allowed: type, {what})", show(k)))
                );
            }
        }
        let kind = kind.ok_or_else(|| p.key("type").err(ErrorKind::Syntax, "missing required field type"))?;
        let id = id.ok_or_else(|| p.key(what).err(ErrorKind::Syntax, format!("missing required field {what}")))?;
        Ok(SourceDest { kind, id })
    }

    fn persistent<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<PersistentDisposition, EventError> {
        let o = Self::object(v, p)?;
        let mut pd = PersistentDisposition::default();
        for (k, x) in o.members() {
            let kp = p.key(k);
            let list = match k {
                "set" => &mut pd.set,
                "unset" => &mut pd.unset,
                _ => {
                    return Err(kp.err(
                        ErrorKind::Syntax,
                        format!("unknown field {} in persistentDisposition (allowed: set, unset)", show(k)),
                    ));
                }
            };
            let a = Self::array(x, &kp)?;
            for (i, d) in a.iter().enumerate() {
                list.push(self.vocab(d, &kp.index(i), "disposition", Disposition::parse)?);
            }
        }
        Ok(pd)
    }

    fn error_declaration<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<ErrorDeclaration, EventError> {
        let o = Self::object(v, p)?;
        let time = match o.get("declarationTime") {
            Some(x) => self.time(x, &p.key("declarationTime"))?,
            None => {
                return Err(p.key("declarationTime").err(ErrorKind::Syntax, "missing required field declarationTime"));
            }
        };
        let mut d = ErrorDeclaration {
            declaration_time: time,
            reason: None,
            corrective_event_ids: Vec::new(),
            extensions: Vec::new(),
        };
        if let Some(x) = o.get("reason") {
            d.reason = Some(self.vocab(x, &p.key("reason"), "error reason", ErrorReason::parse)?);
        }
        if let Some(x) = o.get("correctiveEventIDs") {
            let kp = p.key("correctiveEventIDs");
            let a = Self::array(x, &kp)?;
            for (i, id) in a.iter().enumerate() {
                d.corrective_event_ids.push(self.uri_text(id, &kp.index(i))?);
            }
        }
        let rest = o.members().filter(|(k, _)| !matches!(*k, "declarationTime" | "reason" | "correctiveEventIDs"));
        d.extensions = self.extensions(rest, p, "errorDeclaration")?;
        Ok(d)
    }

    fn sensor_element<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<SensorElement, EventError> {
        let o = Self::object(v, p)?;
        let mut el = SensorElement::default();
        let mut reports = false;
        let mut rest = Vec::new();
        for (k, x) in o.members() {
            let kp = p.key(k);
            match k {
                "sensorMetadata" => el.metadata = Some(self.sensor_metadata(x, &kp)?),
                "sensorReport" => {
                    el.reports = self.list(x, &kp, Self::sensor_report)?;
                    reports = true;
                }
                _ => rest.push((k, x)),
            }
        }
        if !reports || el.reports.is_empty() {
            return Err(p
                .key("sensorReport")
                .err(ErrorKind::Syntax, "a sensorElement needs at least one sensorReport"));
        }
        el.extensions = self.extensions(rest.into_iter(), p, "sensorElement")?;
        Ok(el)
    }

    fn sensor_metadata<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<SensorMetadata, EventError> {
        let o = Self::object(v, p)?;
        let mut m = SensorMetadata::default();
        let mut rest = Vec::new();
        for (k, x) in o.members() {
            let kp = p.key(k);
            match k {
                "time" => m.time = Some(self.time(x, &kp)?),
                "startTime" => m.start_time = Some(self.time(x, &kp)?),
                "endTime" => m.end_time = Some(self.time(x, &kp)?),
                "deviceID" => m.device_id = Some(self.uri_text(x, &kp)?),
                "deviceMetadata" => m.device_metadata = Some(self.uri_text(x, &kp)?),
                "rawData" => m.raw_data = Some(self.uri_text(x, &kp)?),
                "dataProcessingMethod" => m.data_processing_method = Some(self.uri_text(x, &kp)?),
                "bizRules" => m.biz_rules = Some(self.uri_text(x, &kp)?),
                _ => rest.push((k, x)),
            }
        }
        m.extensions = self.extensions(rest.into_iter(), p, "sensorMetadata")?;
        Ok(m)
    }

    fn sensor_report<N: Node>(&mut self, v: &N, p: &Path<'_>) -> Result<SensorReport, EventError> {
        let o = Self::object(v, p)?;
        let mut r = SensorReport::default();
        let mut rest = Vec::new();
        for (k, x) in o.members() {
            let kp = p.key(k);
            let q = &kp;
            match k {
                "type" => r.kind = Some(self.measurement_type(x, q)?),
                "exception" => {
                    r.exception = Some(self.term_or_uri(x, q, "exception", &["ALARM_CONDITION", "ERROR_CONDITION"])?);
                }
                "component" => r.component = Some(self.term_or_uri(x, q, "component", COMPONENTS)?),
                "deviceID" => r.device_id = Some(self.uri_text(x, q)?),
                "deviceMetadata" => r.device_metadata = Some(self.uri_text(x, q)?),
                "rawData" => r.raw_data = Some(self.uri_text(x, q)?),
                "dataProcessingMethod" => r.data_processing_method = Some(self.uri_text(x, q)?),
                "bizRules" => r.biz_rules = Some(self.uri_text(x, q)?),
                "microorganism" => r.microorganism = Some(self.uri_text(x, q)?),
                "chemicalSubstance" => r.chemical_substance = Some(self.uri_text(x, q)?),
                "coordinateReferenceSystem" => r.coordinate_reference_system = Some(self.uri_text(x, q)?),
                "uriValue" => r.uri_value = Some(self.uri_text(x, q)?),
                "stringValue" => r.string_value = Some(Self::string(x, q)?.into()),
                "hexBinaryValue" => r.hex_binary_value = Some(self.hex(x, q)?),
                "booleanValue" => {
                    let View::Bool(b) = x.view() else {
                        return Err(q.err(ErrorKind::Syntax, format!("expected true or false, found {}", type_name(x))));
                    };
                    r.boolean_value = Some(b);
                }
                "time" => r.time = Some(self.time(x, q)?),
                "value" => r.value = Some(self.decimal(x, q)?),
                "minValue" => r.min_value = Some(self.decimal(x, q)?),
                "maxValue" => r.max_value = Some(self.decimal(x, q)?),
                "meanValue" => r.mean_value = Some(self.decimal(x, q)?),
                "sDev" => r.s_dev = Some(self.decimal(x, q)?),
                "percRank" => r.perc_rank = Some(self.decimal(x, q)?),
                "percValue" => r.perc_value = Some(self.decimal(x, q)?),
                "uom" => r.uom = Some(self.uom(x, q)?),
                _ => rest.push((k, x)),
            }
        }
        r.extensions = self.extensions(rest.into_iter(), p, "sensorReport")?;
        Ok(r)
    }

    fn measurement_type<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Box<str>, EventError> {
        let s = Self::string(v, p)?;
        if MEASUREMENT_TYPES.contains(&s) {
            return Ok(format!("{GS1_VOC}{s}").into());
        }
        match self.ctx.resolve(s) {
            Resolved::Curie(full, _) if uri_ok(&full) => Ok(full.into()),
            Resolved::Absolute if uri_ok(s) => Ok(s.into()),
            _ => Err(p.err(
                ErrorKind::Value,
                format!("sensor type {} is not a CBV measurement type (gs1:Temperature, …) or a URI", show(s)),
            )),
        }
    }

    fn term_or_uri<N: Node>(&self, v: &N, p: &Path<'_>, what: &str, terms: &[&str]) -> Result<Box<str>, EventError> {
        let s = self.uri_text(v, p)?;
        if terms.contains(&&*s) || s.contains(':') {
            return Ok(s);
        }
        Err(p.err(ErrorKind::Value, format!("{what} {} is not a CBV term or a URI", show(&s))))
    }

    fn hex<N: Node>(&self, v: &N, p: &Path<'_>) -> Result<Box<str>, EventError> {
        let s = Self::string(v, p)?;
        if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(
                p.err(ErrorKind::Charset, format!("hexBinaryValue {} is not an even number of hex digits", show(s)))
            );
        }
        Ok(s.into())
    }

    // --- extensions ---------------------------------------------------------------------------------------------

    /// The expanded name of a namespaced field (strict: CURIE with a known prefix, declared term, absolute IRI).
    fn ext_name(&self, k: &str, p: &Path<'_>, within: &str) -> Result<Box<str>, EventError> {
        Self::name_bound(k, p)?;
        match self.ctx.resolve(k) {
            Resolved::Curie(full, _) => Ok(full.into()),
            Resolved::Term(full) => Ok(full.into()),
            Resolved::Absolute => Ok(k.into()),
            Resolved::Undeclared(pfx) => {
                Err(p
                    .err(ErrorKind::Syntax, format!("prefix {} of {} is not declared in @context", show(pfx), show(k))))
            }
            Resolved::Plain => Err(p.err(
                ErrorKind::Syntax,
                format!(
                    "unknown field {} in {within}: extensions need a namespace prefix declared in @context (ex:…)",
                    show(k)
                ),
            )),
        }
    }

    /// A member name within [`MAX_URI`] (the reader never builds a longer one; a caller's `Value` may hold one).
    fn name_bound(k: &str, p: &Path<'_>) -> Result<(), EventError> {
        if k.len() > MAX_URI {
            return Err(p.err(ErrorKind::Length, format!("a member name is longer than {MAX_URI} bytes")));
        }
        Ok(())
    }

    /// Records the namespace a key was written with, if it is a CURIE.
    fn note_namespace(&mut self, k: &str) {
        if let Resolved::Curie(_, ns) = self.ctx.resolve(k)
            && !self.used.iter().any(|n| n.prefix == ns.prefix)
        {
            self.used.push(ns);
        }
    }

    fn extensions<'v, N: Node + 'v>(
        &mut self,
        items: impl Iterator<Item = (&'v str, &'v N)>,
        p: &Path<'_>,
        within: &str,
    ) -> Result<Vec<Extension>, EventError> {
        let mut out = Vec::new();
        let mut names = HashSet::new();
        for (k, v) in items {
            let kp = p.key(k);
            let name = self.ext_name(k, &kp, within)?;
            if !names.insert(name.clone()) {
                return Err(kp.err(ErrorKind::Duplicate, format!("extension {} appears twice", show(&name))));
            }
            self.note_namespace(k);
            let value = self.ext_value(v, &kp, 0)?;
            out.push(Extension { name, value });
        }
        Ok(out)
    }

    fn ext_value<N: Node>(&mut self, v: &N, p: &Path<'_>, depth: usize) -> Result<ExtValue, EventError> {
        if depth > MAX_EXTENSION_DEPTH {
            return Err(
                p.err(ErrorKind::Length, format!("extension is nested deeper than {MAX_EXTENSION_DEPTH} levels"))
            );
        }
        Ok(match v.view() {
            View::Null => ExtValue::Null,
            View::Bool(b) => ExtValue::Bool(b),
            View::Number(n) => ExtValue::Number(Self::number(&n, p)?),
            View::String(s) => ExtValue::String(Self::bounded_text(s, p)?.into()),
            View::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, x) in a.iter().enumerate() {
                    out.push(self.ext_value(x, &p.index(i), depth + 1)?);
                }
                ExtValue::Array(out)
            }
            View::Object(o) => {
                let mut out = Vec::new();
                let mut names = HashSet::new();
                for (k, x) in o.members() {
                    let kp = p.key(k);
                    Self::name_bound(k, &kp)?;
                    // Nested keys: expanded when they resolve, otherwise kept as written (JSON-LD keywords, plain
                    // keys of a JSON value).
                    let name: Box<str> = match self.ctx.resolve(k) {
                        Resolved::Curie(full, _) => full.into(),
                        Resolved::Term(full) => full.into(),
                        _ => k.into(),
                    };
                    if !names.insert(name.clone()) {
                        return Err(kp.err(ErrorKind::Duplicate, format!("extension {} appears twice", show(&name))));
                    }
                    self.note_namespace(k);
                    out.push(Extension { name, value: self.ext_value(x, &kp, depth + 1)? });
                }
                ExtValue::Object(out)
            }
        })
    }
}

/// A value described for a "found …" message: strings quoted, others by type.
fn describe<N: Node>(v: &N) -> String {
    match v.view() {
        View::String(s) => format!("the text {}", show(s)),
        _ => type_name(v).to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Event → JSON

/// How events are written.
#[derive(Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    gcp: Option<&'a dyn CompanyPrefixLengths>,
    creation_date: Option<Timestamp>,
}

impl fmt::Debug for ExportOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportOptions")
            .field("ids", &if self.gcp.is_some() { "epc-urn" } else { "digital-link" })
            .field("creation_date", &self.creation_date)
            .finish()
    }
}

impl<'a> ExportOptions<'a> {
    /// GS1 identifiers as Digital Links on `https://id.gs1.org` (the EPCIS 2.0 JSON default).
    pub const fn digital_link() -> Self {
        Self { gcp: None, creation_date: None }
    }

    /// GS1 identifiers as EPC URNs (`urn:epc:id:sgtin:…`), with company-prefix lengths from `gcp`; an identifier
    /// whose prefix length is unknown, or that has no EPC form (a GTIN without lot or serial), stays a Digital
    /// Link.
    ///
    /// ```
    /// use tracecode::code::gs1::gcp::FixedGcpLength;
    /// use tracecode::event::epcis_json::{ExportOptions, event_from_json, event_to_json, Context};
    /// let v = serde_json::json!({"type": "ObjectEvent", "action": "ADD",
    ///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
    ///     "epcList": ["https://id.gs1.org/01/10614141073464/21/2017"]});
    /// let e = event_from_json(&v, &Context::new())?;
    /// let gcp = FixedGcpLength(7);
    /// let out = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
    /// assert_eq!(out["epcList"][0], "urn:epc:id:sgtin:0614141.107346.2017");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub const fn epc_urn(gcp: &'a dyn CompanyPrefixLengths) -> Self {
        Self { gcp: Some(gcp), creation_date: None }
    }

    /// Sets the document's `creationDate` (default: the current time).
    #[must_use]
    pub const fn creation_date(mut self, t: Timestamp) -> Self {
        self.creation_date = Some(t);
        self
    }
}

/// Writes one event as an EPCIS 2.0 JSON-LD object. The object carries its own `@context` declaring the
/// extension prefixes it uses (and `tc` for [`Who`](super::Who)), so it can be read back on its own.
///
/// ```
/// use tracecode::event::epcis_json::{Context, ExportOptions, event_from_json, event_to_json};
/// let v = serde_json::json!({"type": "ObjectEvent", "action": "OBSERVE",
///     "eventTime": "2022-02-17T02:33:31.116Z", "eventTimeZoneOffset": "-06:00",
///     "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
///     "quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.107346.LOT1", "quantity": 200.50, "uom": "KGM"}]});
/// let e = event_from_json(&v, &Context::new())?;
/// let out = event_to_json(&e, &ExportOptions::default());
/// assert_eq!(out["eventTime"], "2022-02-16T20:33:31.116-06:00"); // in the event's own offset
/// assert_eq!(out["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017");
/// assert_eq!(out["quantityList"][0]["quantity"].to_string(), "200.5");
/// assert_eq!(event_from_json(&out, &Context::new())?, e);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_to_json(e: &Event, opts: &ExportOptions<'_>) -> Value {
    event_json(e, opts, &[])
}

fn is_standard(n: &Namespace) -> bool {
    STANDARD_PREFIXES.iter().any(|(p, i)| *p == &*n.prefix && *i == &*n.iri)
}

fn has_who(e: &Event) -> bool {
    e.who.party.is_some() || e.who.operator.is_some() || e.who.device.is_some()
}

/// The event-level `@context` entries needed on top of `header`, and whether `tc:` may name the Who fields.
fn local_context(e: &Event, header: &[Namespace]) -> (Vec<Namespace>, bool) {
    let in_header = |n: &Namespace| header.iter().any(|h| h.prefix == n.prefix && h.iri == n.iri);
    let mut local: Vec<Namespace> = e.namespaces.iter().filter(|n| !is_standard(n) && !in_header(n)).cloned().collect();
    let tc_taken = e.namespaces.iter().any(|n| &*n.prefix == WHO_PREFIX && &*n.iri != WHO_NAMESPACE);
    let who_curie = !tc_taken;
    if has_who(e) && who_curie {
        let tc = Namespace { prefix: WHO_PREFIX.into(), iri: WHO_NAMESPACE.into() };
        if !in_header(&tc) && !local.iter().any(|n| n.prefix == tc.prefix) {
            local.push(tc);
        }
    }
    (local, who_curie)
}

fn event_json(e: &Event, opts: &ExportOptions<'_>, header: &[Namespace]) -> Value {
    let mut m = Map::new();
    let (local, who_curie) = local_context(e, header);
    if !local.is_empty() {
        let ctx: Map<String, Value> =
            local.iter().map(|n| (n.prefix.to_string(), Value::String(n.iri.to_string()))).collect();
        m.insert("@context".into(), Value::Object(ctx));
    }
    let ns = &e.namespaces;
    let s = |x: &str| Value::String(x.to_owned());
    m.insert("type".into(), s(e.kind.as_str()));
    if let Some(id) = &e.event_id {
        m.insert("eventID".into(), s(id));
    }
    m.insert("eventTime".into(), s(&e.event_time.to_rfc3339_auto(e.event_time_zone_offset)));
    m.insert("eventTimeZoneOffset".into(), s(&e.event_time_zone_offset.to_string()));
    if let Some(t) = e.record_time {
        m.insert("recordTime".into(), time_json(t));
    }
    match e.certification_info.as_slice() {
        [] => {}
        [one] => {
            m.insert("certificationInfo".into(), s(one));
        }
        many => {
            m.insert("certificationInfo".into(), many.iter().map(|c| s(c)).collect());
        }
    }
    if let Some(d) = &e.error_declaration {
        m.insert("errorDeclaration".into(), error_declaration_json(d, ns));
    }
    what_json(&mut m, e, opts);
    why_json(&mut m, e, opts);
    if !e.ilmd.is_empty() {
        m.insert("ilmd".into(), Value::Object(extensions_json(&e.ilmd, ns)));
    }
    let who_name = |local: &str| {
        if who_curie { format!("{WHO_PREFIX}:{local}") } else { format!("{WHO_NAMESPACE}{local}") }
    };
    if let Some(p) = &e.who.party {
        m.insert(who_name("responsibleParty"), Value::String(id_text(p, opts)));
    }
    if let Some(o) = &e.who.operator {
        m.insert(who_name("operator"), s(o));
    }
    if let Some(d) = &e.who.device {
        m.insert(who_name("device"), s(d));
    }
    for x in &e.extensions {
        m.insert(compact(&x.name, ns), ext_json(&x.value, ns));
    }
    Value::Object(m)
}

/// The identifier lists, quantities, parent and action.
fn what_json(m: &mut Map<String, Value>, e: &Event, opts: &ExportOptions<'_>) {
    let ids = |l: &[Id]| Value::Array(l.iter().map(|i| Value::String(id_text(i, opts))).collect());
    let qs = |l: &[Quantity]| Value::Array(l.iter().map(|q| quantity_json(q, opts)).collect());
    if let Some(p) = &e.parent_id {
        m.insert("parentID".into(), Value::String(id_text(p, opts)));
    }
    // An ObjectEvent or TransactionEvent without other "what" still needs its (empty) epcList to be valid.
    let needs_epc_list = match e.kind {
        EventType::Object => e.quantity_list.is_empty() && (e.read_point.is_none() || e.sensor_elements.is_empty()),
        EventType::Transaction => e.quantity_list.is_empty() && e.action != Some(Action::Delete),
        _ => false,
    };
    if !e.epc_list.is_empty() || needs_epc_list {
        m.insert("epcList".into(), ids(&e.epc_list));
    }
    for (name, l) in [("childEPCs", &e.child_epcs), ("inputEPCList", &e.input_epc_list)] {
        if !l.is_empty() {
            m.insert(name.into(), ids(l));
        }
    }
    if !e.input_quantity_list.is_empty() {
        m.insert("inputQuantityList".into(), qs(&e.input_quantity_list));
    }
    if !e.output_epc_list.is_empty() {
        m.insert("outputEPCList".into(), ids(&e.output_epc_list));
    }
    for (name, l) in [
        ("outputQuantityList", &e.output_quantity_list),
        ("quantityList", &e.quantity_list),
        ("childQuantityList", &e.child_quantity_list),
    ] {
        if !l.is_empty() {
            m.insert(name.into(), qs(l));
        }
    }
    if let Some(t) = &e.transformation_id {
        m.insert("transformationID".into(), Value::String(t.to_string()));
    }
    if let Some(a) = e.action {
        m.insert("action".into(), Value::String(a.as_str().into()));
    }
}

/// bizStep to sensor data.
fn why_json(m: &mut Map<String, Value>, e: &Event, opts: &ExportOptions<'_>) {
    let ns = &e.namespaces;
    let s = |x: &str| Value::String(x.to_owned());
    if let Some(b) = &e.biz_step {
        m.insert("bizStep".into(), s(b.term()));
    }
    if let Some(d) = &e.disposition {
        m.insert("disposition".into(), s(d.term()));
    }
    if let Some(pd) = &e.persistent_disposition {
        let mut o = Map::new();
        if !pd.set.is_empty() {
            o.insert("set".into(), pd.set.iter().map(|d| s(d.term())).collect());
        }
        if !pd.unset.is_empty() {
            o.insert("unset".into(), pd.unset.iter().map(|d| s(d.term())).collect());
        }
        m.insert("persistentDisposition".into(), Value::Object(o));
    }
    for (name, place) in [("readPoint", &e.read_point), ("bizLocation", &e.biz_location)] {
        if let Some(pl) = place {
            let mut o = Map::new();
            o.insert("id".into(), Value::String(id_text(&pl.id, opts)));
            o.extend(extensions_json(&pl.extensions, ns));
            m.insert(name.into(), Value::Object(o));
        }
    }
    if !e.biz_transactions.is_empty() {
        let l = e.biz_transactions.iter().map(|b| {
            let mut o = Map::new();
            if let Some(k) = &b.kind {
                o.insert("type".into(), s(k.term()));
            }
            o.insert("bizTransaction".into(), Value::String(id_text(&b.value, opts)));
            Value::Object(o)
        });
        m.insert("bizTransactionList".into(), l.collect());
    }
    for (name, key, list) in [("sourceList", "source", &e.sources), ("destinationList", "destination", &e.destinations)]
    {
        if !list.is_empty() {
            let l = list.iter().map(|sd| {
                let mut o = Map::new();
                o.insert("type".into(), s(sd.kind.term()));
                o.insert(key.into(), Value::String(id_text(&sd.id, opts)));
                Value::Object(o)
            });
            m.insert(name.into(), l.collect());
        }
    }
    if !e.sensor_elements.is_empty() {
        m.insert("sensorElementList".into(), e.sensor_elements.iter().map(|el| sensor_element_json(el, ns)).collect());
    }
}

fn id_text(id: &Id, opts: &ExportOptions<'_>) -> String {
    if let (Some(gcp), Id::Key(k)) = (opts.gcp, id) {
        let text = k.to_string();
        if text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let dl = format!("https://id.gs1.org/{text}");
            if let Ok(d) = crate::code::gs1::digital_link::parse_digital_link(&dl, &ParseOptions::new())
                && let Ok(urn) = crate::code::gs1::epc_uri::to_epc_uri(&d.gs1, gcp)
            {
                return urn;
            }
            return dl;
        }
    }
    id.to_uri(IdForm::DigitalLink)
}

fn time_json(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339_auto(TzOffset::UTC))
}

fn decimal_json(d: &Decimal) -> Value {
    // arbitrary_precision: the number keeps its exact decimal text.
    serde_json::from_str::<Number>(d.as_str()).map_or_else(|_| Value::String(d.as_str().to_owned()), Value::Number)
}

fn quantity_json(q: &Quantity, opts: &ExportOptions<'_>) -> Value {
    let mut o = Map::new();
    o.insert("epcClass".into(), Value::String(id_text(&q.class, opts)));
    if let Some(n) = &q.quantity {
        o.insert("quantity".into(), decimal_json(n));
    }
    if let Some(u) = &q.uom {
        o.insert("uom".into(), Value::String(u.to_string()));
    }
    Value::Object(o)
}

fn error_declaration_json(d: &ErrorDeclaration, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    o.insert("declarationTime".into(), time_json(d.declaration_time));
    if let Some(r) = &d.reason {
        o.insert("reason".into(), Value::String(r.term().to_owned()));
    }
    if !d.corrective_event_ids.is_empty() {
        o.insert(
            "correctiveEventIDs".into(),
            d.corrective_event_ids.iter().map(|c| Value::String(c.to_string())).collect(),
        );
    }
    o.extend(extensions_json(&d.extensions, ns));
    Value::Object(o)
}

fn put_str(o: &mut Map<String, Value>, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        o.insert(k.into(), Value::String(v.to_owned()));
    }
}

fn put_time(o: &mut Map<String, Value>, k: &str, v: Option<Timestamp>) {
    if let Some(t) = v {
        o.insert(k.into(), time_json(t));
    }
}

fn put_dec(o: &mut Map<String, Value>, k: &str, v: Option<&Decimal>) {
    if let Some(d) = v {
        o.insert(k.into(), decimal_json(d));
    }
}

fn sensor_element_json(el: &SensorElement, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    if let Some(m) = &el.metadata {
        let mut mo = Map::new();
        put_time(&mut mo, "time", m.time);
        put_time(&mut mo, "startTime", m.start_time);
        put_time(&mut mo, "endTime", m.end_time);
        put_str(&mut mo, "deviceID", m.device_id.as_deref());
        put_str(&mut mo, "deviceMetadata", m.device_metadata.as_deref());
        put_str(&mut mo, "rawData", m.raw_data.as_deref());
        put_str(&mut mo, "dataProcessingMethod", m.data_processing_method.as_deref());
        put_str(&mut mo, "bizRules", m.biz_rules.as_deref());
        mo.extend(extensions_json(&m.extensions, ns));
        o.insert("sensorMetadata".into(), Value::Object(mo));
    }
    o.insert("sensorReport".into(), el.reports.iter().map(|r| sensor_report_json(r, ns)).collect());
    o.extend(extensions_json(&el.extensions, ns));
    Value::Object(o)
}

fn sensor_report_json(r: &SensorReport, ns: &[Namespace]) -> Value {
    let mut o = Map::new();
    if let Some(k) = &r.kind {
        let short =
            k.strip_prefix(GS1_VOC).filter(|t| !t.is_empty() && !t.starts_with("//")).map(|t| format!("gs1:{t}"));
        o.insert("type".into(), Value::String(short.unwrap_or_else(|| k.to_string())));
    }
    put_str(&mut o, "exception", r.exception.as_deref());
    put_str(&mut o, "deviceID", r.device_id.as_deref());
    put_str(&mut o, "deviceMetadata", r.device_metadata.as_deref());
    put_str(&mut o, "rawData", r.raw_data.as_deref());
    put_str(&mut o, "dataProcessingMethod", r.data_processing_method.as_deref());
    put_str(&mut o, "bizRules", r.biz_rules.as_deref());
    put_time(&mut o, "time", r.time);
    put_str(&mut o, "microorganism", r.microorganism.as_deref());
    put_str(&mut o, "chemicalSubstance", r.chemical_substance.as_deref());
    put_dec(&mut o, "value", r.value.as_ref());
    put_str(&mut o, "component", r.component.as_deref());
    put_str(&mut o, "stringValue", r.string_value.as_deref());
    if let Some(b) = r.boolean_value {
        o.insert("booleanValue".into(), Value::Bool(b));
    }
    put_str(&mut o, "hexBinaryValue", r.hex_binary_value.as_deref());
    put_str(&mut o, "uriValue", r.uri_value.as_deref());
    put_dec(&mut o, "minValue", r.min_value.as_ref());
    put_dec(&mut o, "maxValue", r.max_value.as_ref());
    put_dec(&mut o, "meanValue", r.mean_value.as_ref());
    put_dec(&mut o, "sDev", r.s_dev.as_ref());
    put_dec(&mut o, "percRank", r.perc_rank.as_ref());
    put_dec(&mut o, "percValue", r.perc_value.as_ref());
    put_str(&mut o, "uom", r.uom.as_deref());
    put_str(&mut o, "coordinateReferenceSystem", r.coordinate_reference_system.as_deref());
    o.extend(extensions_json(&r.extensions, ns));
    Value::Object(o)
}

/// An expanded name written back as a CURIE when one of the event's namespaces covers it (longest IRI wins).
fn compact(name: &str, ns: &[Namespace]) -> String {
    let best = ns
        .iter()
        .filter_map(|n| {
            name.strip_prefix(&*n.iri).filter(|rest| !rest.is_empty() && !rest.starts_with("//")).map(|r| (n, r))
        })
        .max_by_key(|(n, _)| n.iri.len());
    match best {
        Some((n, rest)) => format!("{}:{rest}", n.prefix),
        None => name.to_owned(),
    }
}

fn extensions_json(list: &[Extension], ns: &[Namespace]) -> Map<String, Value> {
    list.iter().map(|x| (compact(&x.name, ns), ext_json(&x.value, ns))).collect()
}

fn ext_json(v: &ExtValue, ns: &[Namespace]) -> Value {
    match v {
        ExtValue::Null => Value::Null,
        ExtValue::Bool(b) => Value::Bool(*b),
        ExtValue::Number(d) => decimal_json(d),
        ExtValue::String(s) => Value::String(s.to_string()),
        ExtValue::Array(a) => a.iter().map(|x| ext_json(x, ns)).collect(),
        ExtValue::Object(o) => Value::Object(extensions_json(o, ns)),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Streaming document writer

fn io_error(e: &io::Error) -> Error {
    Error::new(ErrorKind::Io, 0, 0, format!("cannot write the EPCIS document: {e}"))
}

/// Writes an `EPCISDocument` one event at a time (memory independent of the number of events).
///
/// The document's `@context` declares the namespaces given to [`DocumentWriter::new`] and `tc`; an event that uses
/// another prefix (or the same prefix for another IRI) carries its own `@context`, so nothing is lost.
///
/// ```
/// use tracecode::event::epcis_json::{Context, DocumentWriter, ExportOptions, event_from_json};
/// let e = event_from_json(&serde_json::json!({"type": "ObjectEvent", "action": "ADD",
///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00", "epcList": []}),
///     &Context::new())?;
/// let mut w = DocumentWriter::new(Vec::new(), &ExportOptions::default(), &[])?;
/// w.write_event(&e)?;
/// let bytes = w.finish()?;
/// let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
/// assert_eq!(doc["type"], "EPCISDocument");
/// assert_eq!(doc["epcisBody"]["eventList"][0]["eventTime"], "2024-05-01T08:00:00+08:00");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub struct DocumentWriter<'o, W: Write> {
    w: W,
    opts: ExportOptions<'o>,
    header: Vec<Namespace>,
    first: bool,
}

impl<W: Write> fmt::Debug for DocumentWriter<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentWriter").field("opts", &self.opts).field("header", &self.header).finish_non_exhaustive()
    }
}

impl<'o, W: Write> DocumentWriter<'o, W> {
    /// Writes the document head, declaring `namespaces` (plus `tc`; standard prefixes are left to the standard
    /// context; a repeated prefix keeps its first IRI).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn new(mut w: W, opts: &ExportOptions<'o>, namespaces: &[Namespace]) -> Result<Self, Error> {
        let mut header: Vec<Namespace> = Vec::new();
        let tc = Namespace { prefix: WHO_PREFIX.into(), iri: WHO_NAMESPACE.into() };
        for n in namespaces.iter().chain(std::iter::once(&tc)) {
            if !is_standard(n) && !header.iter().any(|h| h.prefix == n.prefix) {
                header.push(n.clone());
            }
        }
        let ctx: Map<String, Value> =
            header.iter().map(|n| (n.prefix.to_string(), Value::String(n.iri.to_string()))).collect();
        let created = opts.creation_date.unwrap_or_else(now);
        let head = serde_json::json!([EPCIS_CONTEXT, Value::Object(ctx)]);
        let text = format!(
            "{{\"@context\":{head},\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"{}\",\
             \"epcisBody\":{{\"eventList\":[",
            created.to_rfc3339(TzOffset::UTC, 3)
        );
        w.write_all(text.as_bytes()).map_err(|e| io_error(&e))?;
        Ok(Self { w, opts: *opts, header, first: true })
    }

    /// Appends one event.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn write_event(&mut self, e: &Event) -> Result<(), Error> {
        let v = event_json(e, &self.opts, &self.header);
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.w.write_all(sep).map_err(|e| io_error(&e))?;
        serde_json::to_writer(&mut self.w, &v).map_err(|e| io_error(&io::Error::other(e)))
    }

    /// Closes the document and returns the writer (flushed).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] if writing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.w.write_all(b"\n]}}\n").map_err(|e| io_error(&e))?;
        self.w.flush().map_err(|e| io_error(&e))?;
        Ok(self.w)
    }
}

fn now() -> Timestamp {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .unwrap_or(0);
    Timestamp(nanos)
}

/// Writes `events` as one `EPCISDocument`. The iterator is walked twice (first to collect the namespaces for the
/// document's `@context`), so it must be cheap to clone (a slice iterator, a store scan that can restart).
///
/// # Errors
/// [`ErrorKind::Io`] if writing fails.
///
/// ```
/// use tracecode::event::epcis_json::{export_document, import_all, Context, ExportOptions, Mode, event_from_json};
/// let e = event_from_json(&serde_json::json!({"type": "ObjectEvent", "action": "ADD",
///     "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
///     "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"],
///     "@context": {"ex": "https://ns.example.com/"}, "ex:line": 4}), &Context::new())?;
/// let mut out = Vec::new();
/// export_document(std::slice::from_ref(&e), &ExportOptions::default(), &mut out)?;
/// let (events, _) = import_all(out.as_slice(), Mode::AllOrNothing)?;
/// assert_eq!(events, vec![e]);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn export_document<'e, I>(events: I, opts: &ExportOptions<'_>, writer: impl Write) -> Result<(), Error>
where
    I: IntoIterator<Item = &'e Event>,
    I::IntoIter: Clone,
{
    let it = events.into_iter();
    let mut ns: Vec<Namespace> = Vec::new();
    for e in it.clone() {
        for n in &e.namespaces {
            if !ns.iter().any(|x| x.prefix == n.prefix) {
                ns.push(n.clone());
            }
        }
    }
    let mut w = DocumentWriter::new(writer, opts, &ns)?;
    for e in it {
        w.write_event(e)?;
    }
    w.finish()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Streaming import

/// What to do with bad events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The import fails ([`ImportError`] listing every bad event) if any event is bad. Events are still handed to
    /// the callback as they stream: stage them, and commit only when the import returns `Ok`.
    #[default]
    AllOrNothing,
    /// Valid events are handed on; bad ones are reported (callback and [`ImportSummary::rejected`]).
    AcceptValid,
}

/// The shape of the imported input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DocumentKind {
    /// `EPCISDocument`.
    #[default]
    Document,
    /// `EPCISQueryDocument` (events in `queryResults.resultsBody.eventList`).
    QueryDocument,
    /// One bare event object.
    Event,
    /// A JSON array of events.
    EventArray,
}

/// The outcome of an import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// What the input was.
    pub document: DocumentKind,
    /// Events seen.
    pub events: usize,
    /// Events that were valid.
    pub accepted: usize,
    /// Bad events, at most [`MAX_REPORTED`] (in document order).
    pub rejected: Vec<BadEvent>,
    /// How many events were bad in all.
    pub rejected_total: usize,
    /// Prefixes the document's `@context` declared.
    pub namespaces: Vec<Namespace>,
}

type Callback<'f> = dyn FnMut(usize, Result<Event, EventError>) -> Result<(), Error> + 'f;

/// What the armed byte window bounds, to name it when it is exceeded.
#[derive(Clone, Copy)]
enum Window {
    /// The top-level members outside `epcisBody` (together).
    Top,
    /// One member name inside `epcisBody`.
    Name,
    /// The event of this index.
    Event(usize),
}

struct State<'f> {
    max: u64,
    window: Window,
    ctx: Option<Result<Context, EventError>>,
    on_event: &'f mut Callback<'f>,
    next_index: usize,
    summary: ImportSummary,
}

/// Why an import stopped early.
enum Stop {
    /// The reader's fault (malformed JSON, a bound, I/O).
    Read(Fault),
    /// A document-level fault or the callback's error.
    Fatal(ImportError),
}

impl From<Fault> for Stop {
    fn from(f: Fault) -> Self {
        Self::Read(f)
    }
}

impl State<'_> {
    fn context(&self) -> Cow<'_, Context> {
        match &self.ctx {
            Some(Ok(c)) => Cow::Borrowed(c),
            _ => Cow::Owned(Context::new()),
        }
    }

    /// Converts (when read whole) and hands on one event.
    fn deliver(&mut self, base: &str, local: usize, read: Result<&Json, EventError>) -> Result<(), Stop> {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        let mut result = read.and_then(|v| event_from_node(v, &self.context()));
        self.summary.events += 1;
        match &mut result {
            Ok(_) => self.summary.accepted += 1,
            Err(e) => {
                // From here on the pointer leads from the document root.
                if !(base.is_empty() && self.summary.document == DocumentKind::Event) {
                    e.pointer = format!("{base}/{local}{}", e.pointer);
                }
                self.summary.rejected_total += 1;
                if self.summary.rejected.len() < MAX_REPORTED {
                    self.summary.rejected.push(BadEvent {
                        index,
                        pointer: e.pointer.clone(),
                        kind: e.kind(),
                        message: e.message().to_owned(),
                        offset: e.offset(),
                    });
                }
            }
        }
        (self.on_event)(index, result).map_err(|e| {
            Stop::Fatal(ImportError { error: e, pointer: String::new(), rejected: Vec::new(), rejected_total: 0 })
        })
    }

    /// The import error for a fault of the reader.
    fn read_error(&self, f: Fault) -> ImportError {
        if !f.window {
            return ImportError::fatal_at(f.kind, f.offset, f.pointer, f.message);
        }
        let (max, at) = (self.max, f.offset);
        let message = match self.window {
            Window::Top => format!("the top-level object is larger than {max} bytes outside epcisBody (at byte {at})"),
            Window::Name => format!("a member name is larger than {max} bytes (at byte {at})"),
            Window::Event(i) => format!("event {i} is larger than {max} bytes (at byte {at})"),
        };
        ImportError::fatal_at(ErrorKind::Length, at, f.pointer, message)
    }
}

/// A fatal document fault at the reader's position.
fn fatal<R: Read>(rd: &Reader<R>, kind: ErrorKind, pointer: &str, message: impl Into<Cow<'static, str>>) -> Stop {
    Stop::Fatal(ImportError::fatal_at(kind, rd.offset(), pointer, message))
}

/// A duplicate member of the document (not of an event): fatal, at the second occurrence.
fn duplicate_member<R: Read>(rd: &Reader<R>, key: &str) -> Stop {
    let mut pointer = rd.pointer();
    push_pointer_key(&mut pointer, key);
    duplicate_fatal(Duplicate { pointer, offset: rd.name_at(), name: show(key) })
}

/// The whole input: an `EPCISDocument`, an `EPCISQueryDocument`, a bare event or an array of events.
fn read_document<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>) -> Result<(), Stop> {
    match rd.ws()? {
        Some(b'{') => read_top(rd, st)?,
        Some(b'[') => {
            st.summary.document = DocumentKind::EventArray;
            read_events(rd, st, "")?;
        }
        None => return Err(fatal(rd, ErrorKind::Syntax, "", "malformed JSON: the input is empty")),
        Some(_) => {
            // Read the value under the token bounds (a huge string fails at its bound), then refuse it.
            let v = describe_top(rd)?;
            let msg = format!("expected an EPCIS document, an event or an array of events, found {v}");
            return Err(fatal(rd, ErrorKind::Syntax, "", msg));
        }
    }
    rd.end()?;
    Ok(())
}

/// Reads a top-level scalar and names it.
fn describe_top<R: Read>(rd: &mut Reader<R>) -> Result<String, Fault> {
    rd.begin_tree(1);
    let v = rd.value()?;
    Ok(describe(&v))
}

/// What the top-level object held so far.
struct Top {
    /// Members other than `epcisBody` and `epcisHeader`, in order (names unique).
    buffered: Vec<(Box<str>, Json)>,
    names: Names,
    hasher: std::hash::RandomState,
    /// Bytes of the top-level object read outside `epcisBody` and `epcisHeader`.
    used: u64,
    /// Values the buffered members may still hold.
    values: usize,
    body: bool,
    header: bool,
    /// The first duplicate member name (at the top or nested in a buffered member), pointer from the root.
    dup: Option<Duplicate>,
}

/// A fatal duplicate member of the document.
fn duplicate_fatal(d: Duplicate) -> Stop {
    let message = format!("member {} appears twice (the second at byte {})", d.name, d.offset);
    Stop::Fatal(ImportError::fatal_at(ErrorKind::Duplicate, d.offset, d.pointer, message))
}

impl Top {
    /// Reads a buffered member's value (its name just read, at `name_at`), under the top-level bounds.
    fn member<R: Read>(
        &mut self,
        rd: &mut Reader<R>,
        st: &mut State<'_>,
        key: Box<str>,
        name_at: u64,
    ) -> Result<(), Stop> {
        let buffered = &self.buffered;
        let repeat = self.names.repeat(&self.hasher, buffered.iter().map(|(k, _)| &**k), buffered.len(), &key);
        if repeat && (self.body || self.dup.is_none()) {
            let mut pointer = String::new();
            push_pointer_key(&mut pointer, &key);
            let d = Duplicate { pointer, offset: name_at, name: show(&key) };
            if self.body {
                return Err(duplicate_fatal(d));
            }
            self.dup = Some(d);
        }
        let start = rd.offset();
        rd.arm(st.max.saturating_sub(self.used));
        rd.push_key(key);
        rd.begin_tree(self.values);
        let v = rd.value()?;
        self.values = rd.budget();
        if let Some(d) = rd.take_duplicate() {
            // A duplicate nested in a top-level member: a document fault, or the bare event's.
            let d = Duplicate { pointer: format!("{}{}", rd.pointer(), d.pointer), ..d };
            if self.body {
                return Err(duplicate_fatal(d));
            }
            self.dup.get_or_insert(d);
        }
        let key = rd.pop().unwrap_or_default();
        rd.disarm();
        self.used = self.used.saturating_add(rd.offset().saturating_sub(start));
        if repeat {
            return Ok(());
        }
        if &*key == "@context" && st.ctx.is_none() {
            st.ctx = Some(Context::from_node(&v));
        }
        self.buffered.push((key, v));
        Ok(())
    }

    /// At `epcisBody`: the document so far must be sound and have declared its context.
    fn before_body<R: Read>(&mut self, rd: &Reader<R>, st: &State<'_>) -> Result<(), Stop> {
        if self.body {
            return Err(duplicate_member(rd, "epcisBody"));
        }
        self.body = true;
        if let Some(d) = self.dup.take() {
            return Err(duplicate_fatal(d));
        }
        match &st.ctx {
            None => Err(fatal(
                rd,
                ErrorKind::Syntax,
                "/@context",
                "missing @context before epcisBody (an EPCIS 2.0 document needs @context, and tracecode reads it \
                 first: put it before epcisBody)",
            )),
            Some(Err(e)) => {
                let (kind, ptr, msg) = (e.kind(), format!("/@context{}", e.pointer()), e.message().to_owned());
                Err(fatal(rd, kind, &ptr, msg))
            }
            Some(Ok(_)) => Ok(()),
        }
    }
}

/// The top-level object: a document (members around `epcisBody` are buffered, bounded) or a bare event.
fn read_top<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>) -> Result<(), Stop> {
    rd.open(b'{', "expected an object")?;
    let mut top = Top {
        buffered: Vec::new(),
        names: Names::default(),
        hasher: std::hash::RandomState::new(),
        used: 0,
        values: MAX_EVENT_VALUES,
        body: false,
        header: false,
        dup: None,
    };
    let mut first = true;
    loop {
        let start = rd.offset();
        st.window = Window::Top;
        rd.arm(st.max.saturating_sub(top.used));
        let more = rd.next_member(&mut first)?;
        rd.disarm();
        top.used = top.used.saturating_add(rd.offset().saturating_sub(start));
        if !more {
            break;
        }
        let key: Box<str> = rd.text().into();
        let name_at = rd.name_at();
        match &*key {
            "epcisBody" => {
                top.before_body(rd, st)?;
                rd.push_key(key);
                read_body(rd, st, 0)?;
                rd.pop();
            }
            "epcisHeader" => {
                if top.header {
                    return Err(duplicate_member(rd, &key));
                }
                // Master data is not imported: read past (bounded) without being kept.
                top.header = true;
                rd.push_key(key);
                rd.skip()?;
                rd.pop();
            }
            _ => top.member(rd, st, key, name_at)?,
        }
    }
    finish_top(rd, st, top.buffered, top.body, top.header, top.dup)
}

/// After the top-level object: check the document type, or hand on a bare event.
fn finish_top<R: Read>(
    rd: &Reader<R>,
    st: &mut State<'_>,
    buffered: Vec<(Box<str>, Json)>,
    body: bool,
    header: bool,
    dup: Option<Duplicate>,
) -> Result<(), Stop> {
    let ty = match buffered.iter().find(|(k, _)| &**k == "type") {
        Some((_, Json::String(s))) => Some(&**s),
        _ => None,
    };
    let is_doc = matches!(ty, Some("EPCISDocument" | "EPCISQueryDocument"));
    if body {
        if !is_doc {
            let msg = format!(
                "type must be EPCISDocument or EPCISQueryDocument, found {}",
                ty.map_or("nothing".into(), show)
            );
            return Err(fatal(rd, ErrorKind::Syntax, "/type", msg));
        }
        if ty == Some("EPCISQueryDocument") && st.summary.document == DocumentKind::Document {
            st.summary.document = DocumentKind::QueryDocument;
        }
        return Ok(());
    }
    if is_doc {
        if let Some(d) = dup {
            return Err(duplicate_fatal(d));
        }
        return Err(fatal(rd, ErrorKind::Syntax, "/epcisBody", "the document has no epcisBody"));
    }
    if ty.is_none() {
        return Err(fatal(rd, ErrorKind::Syntax, "/type", "not an EPCIS document or event: no type"));
    }
    if header {
        return Err(fatal(rd, ErrorKind::Syntax, "/epcisHeader", "epcisHeader without epcisBody"));
    }
    st.summary.document = DocumentKind::Event;
    // A bare event's @context is its own: the conversion applies it, on top of the standard prefixes.
    st.ctx = None;
    let v = Json::Object(buffered);
    match dup {
        Some(d) => st.deliver("", 0, Err(duplicate_error(d))),
        None => st.deliver("", 0, Ok(&v)),
    }
}

/// Pointers of the event lists `epcisBody` → (`queryResults` → `resultsBody` →) `eventList`, by depth.
const LIST_BASES: [&str; 3] = ["/epcisBody/eventList", "", "/epcisBody/queryResults/resultsBody/eventList"];

/// `epcisBody` (depth 0), `queryResults` (1) or `resultsBody` (2): descends to `eventList`, reading past every
/// other member without keeping it.
fn read_body<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>, depth: u8) -> Result<(), Stop> {
    rd.open(b'{', "expected an object")?;
    let (mut list, mut nested) = (false, false);
    let mut first = true;
    loop {
        st.window = Window::Name;
        rd.arm(st.max);
        let more = rd.next_member(&mut first)?;
        rd.disarm();
        if !more {
            return Ok(());
        }
        let key: Box<str> = rd.text().into();
        match (depth, &*key) {
            (0 | 2, "eventList") if list => return Err(duplicate_member(rd, &key)),
            (0, "queryResults") | (1, "resultsBody") if nested => return Err(duplicate_member(rd, &key)),
            (0 | 2, "eventList") => {
                list = true;
                let base = LIST_BASES.get(usize::from(depth)).copied().unwrap_or_default();
                rd.push_key(key);
                read_events(rd, st, base)?;
                rd.pop();
            }
            (0, "queryResults") | (1, "resultsBody") => {
                nested = true;
                if depth == 0 {
                    st.summary.document = DocumentKind::QueryDocument;
                }
                rd.push_key(key);
                read_body(rd, st, depth + 1)?;
                rd.pop();
            }
            _ => {
                rd.push_key(key);
                rd.skip()?;
                rd.pop();
            }
        }
    }
}

/// An array of events, read and handed on one at a time (each under the byte and value bounds).
fn read_events<R: Read>(rd: &mut Reader<R>, st: &mut State<'_>, base: &str) -> Result<(), Stop> {
    rd.open(b'[', "expected an array of events")?;
    let mut first = true;
    let mut local = 0usize;
    rd.push_index(0);
    while rd.next_element(&mut first)? {
        rd.set_index(local);
        st.window = Window::Event(st.next_index);
        rd.arm(st.max);
        rd.begin_tree(MAX_EVENT_VALUES);
        let v = rd.value()?;
        rd.disarm();
        match rd.take_duplicate() {
            Some(d) => st.deliver(base, local, Err(duplicate_error(d)))?,
            None => st.deliver(base, local, Ok(&v))?,
        }
        local = local.saturating_add(1);
    }
    rd.pop();
    Ok(())
}

/// Streaming importer (builder): the input, the mode and the size bound.
///
/// ```
/// use tracecode::event::epcis_json::{Importer, Mode};
/// let doc = r#"{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
///   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2024-05-01T00:00:00Z",
///   "epcisBody": {"eventList": [
///     {"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00+08:00",
///      "eventTimeZoneOffset": "+08:00", "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]},
///     {"type": "ObjectEvent", "action": "CREATE", "eventTime": "2024-05-01T08:00:00+08:00",
///      "eventTimeZoneOffset": "+08:00", "epcList": []}]}}"#;
/// let mut good = Vec::new();
/// let summary = Importer::new(doc.as_bytes()).mode(Mode::AcceptValid).run(|_, r| {
///     if let Ok(e) = r { good.push(e) }
///     Ok(())
/// })?;
/// assert_eq!((summary.accepted, good.len()), (1, 1));
/// assert_eq!(summary.rejected[0].pointer, "/epcisBody/eventList/1/action");
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Debug)]
pub struct Importer<R: Read> {
    reader: R,
    mode: Mode,
    max_event: u64,
}

impl<R: Read> Importer<R> {
    /// Reads from `reader` (wrapped in a buffer internally), all-or-nothing, events up to [`MAX_EVENT_BYTES`].
    pub const fn new(reader: R) -> Self {
        Self { reader, mode: Mode::AllOrNothing, max_event: MAX_EVENT_BYTES }
    }

    /// Sets the [`Mode`].
    #[must_use]
    pub const fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the largest JSON text of one event (bytes; also bounds the document's top-level members outside
    /// `epcisBody`).
    #[must_use]
    pub const fn max_event_bytes(mut self, n: u64) -> Self {
        self.max_event = n;
        self
    }

    /// Runs the import, calling `on_event(index, result)` for every event in document order. The pointer of an
    /// [`EventError`] handed to the callback leads from the document root (`/epcisBody/eventList/3/bizStep`), as
    /// in [`BadEvent`]. An `Err` from the callback stops the import and is returned.
    ///
    /// # Errors
    /// An [`ImportError`]: malformed JSON, I/O, an event larger than the bound, a document-level fault (missing
    /// `@context`, wrong `type`) with its pointer, the callback's error, or — in [`Mode::AllOrNothing`] — every
    /// bad event.
    pub fn run(
        self,
        mut on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
    ) -> Result<ImportSummary, ImportError> {
        let mut rd = Reader::new(self.reader, 0);
        let mut st = State {
            max: self.max_event,
            window: Window::Top,
            ctx: None,
            on_event: &mut on_event,
            next_index: 0,
            summary: ImportSummary::default(),
        };
        match read_document(&mut rd, &mut st) {
            Ok(()) => {}
            Err(Stop::Fatal(e)) => return Err(e),
            Err(Stop::Read(f)) => return Err(st.read_error(f)),
        }
        let mut summary = st.summary;
        if let Some(Ok(c)) = st.ctx {
            summary.namespaces = c.declared;
        }
        if self.mode == Mode::AllOrNothing && summary.rejected_total > 0 {
            return Err(ImportError {
                error: Error::new(
                    ErrorKind::Syntax,
                    0,
                    0,
                    format!(
                        "{} of {} events are invalid; nothing may be imported",
                        summary.rejected_total, summary.events
                    ),
                ),
                pointer: String::new(),
                rejected: summary.rejected,
                rejected_total: summary.rejected_total,
            });
        }
        Ok(summary)
    }
}

/// Imports from `reader`, calling `on_event(index, result)` for every event (see [`Importer`]).
///
/// # Errors
/// As [`Importer::run`].
///
/// ```
/// use tracecode::event::epcis_json::{import, Mode};
/// let bare = r#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///                "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}"#;
/// let mut n = 0;
/// let summary = import(bare.as_bytes(), Mode::AllOrNothing, |_, r| { r?; n += 1; Ok(()) })?;
/// assert_eq!((n, summary.events), (1, 1));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn import<R: Read>(
    reader: R,
    mode: Mode,
    on_event: impl FnMut(usize, Result<Event, EventError>) -> Result<(), Error>,
) -> Result<ImportSummary, ImportError> {
    Importer::new(reader).mode(mode).run(on_event)
}

/// Imports a whole input into memory: the valid events and the summary (for small documents and tests).
///
/// # Errors
/// As [`Importer::run`].
pub fn import_all<R: Read>(reader: R, mode: Mode) -> Result<(Vec<Event>, ImportSummary), ImportError> {
    let mut events = Vec::new();
    let summary = import(reader, mode, |_, r| {
        if let Ok(e) = r {
            events.push(e);
        }
        Ok(())
    })?;
    Ok((events, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::gs1::gcp::{FixedGcpLength, NoGcpTable};
    use proptest::prelude::*;
    use serde_json::json;

    fn base_event() -> Value {
        json!({
            "type": "ObjectEvent", "action": "OBSERVE",
            "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]
        })
    }

    fn with(mut v: Value, k: &str, x: Value) -> Value {
        v.as_object_mut().unwrap().insert(k.into(), x);
        v
    }

    fn without(mut v: Value, k: &str) -> Value {
        v.as_object_mut().unwrap().remove(k);
        v
    }

    fn ex_ctx() -> Context {
        Context::from_json(&json!([EPCIS_CONTEXT, {"ex": "https://ns.example.com/epcis/"}])).unwrap()
    }

    fn fails(v: &Value) -> EventError {
        event_from_json(v, &ex_ctx()).unwrap_err()
    }

    #[test]
    fn pointers_escape_and_nest() {
        let root = Path::ROOT;
        let a = root.key("ilmd");
        let b = a.key("https://ns/x~y");
        let c = b.index(3);
        assert_eq!(c.render(), "/ilmd/https:~1~1ns~1x~0y/3");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn context_forms() {
        let c = Context::from_json(&json!([
            EPCIS_CONTEXT,
            {"ex": "https://ns.example.com/", "t": {"@id": "urn:t:"}, "ex2": "ex:sub/", "@vocab": "x:", "a:b": "c"},
            {"gs1": "https://gs1.org/voc/"}
        ]))
        .unwrap();
        assert_eq!(c.iri("ex"), Some("https://ns.example.com/"));
        assert_eq!(c.iri("t"), Some("urn:t:"));
        assert_eq!(c.iri("ex2"), Some("https://ns.example.com/sub/"));
        assert_eq!(c.iri("cbvmda"), Some("urn:epcglobal:cbv:mda:"));
        assert_eq!(c.declared().len(), 3);
        let e = Context::from_json(&json!([EPCIS_CONTEXT, {"gs1": "https://example.com/"}])).unwrap_err();
        assert_eq!((e.pointer(), e.kind()), ("/1/gs1", ErrorKind::Value));
        let e = Context::from_json(&json!([EPCIS_CONTEXT, 5])).unwrap_err();
        assert_eq!(e.pointer(), "/1");
        for bad in ["no scheme", "ex:", "foo:bar/", "https://a b/"] {
            let e = Context::from_json(&json!({"ex": bad})).unwrap_err();
            assert_eq!((e.pointer(), e.kind()), ("/ex", ErrorKind::Syntax), "{bad}");
        }
        let e = Context::from_json(&json!({"urn": "https://hijack.example/"})).unwrap_err();
        assert_eq!((e.pointer(), e.kind()), ("/urn", ErrorKind::Value));
        assert!(Context::from_json(&json!({"x": "tag:example.com,2024:"})).is_ok());
        assert_eq!(Context::from_json(&json!(true)).unwrap_err().pointer(), "");
    }

    #[test]
    fn reads_every_standard_field() {
        let v = json!({
            "@context": {"farm": "urn:example:farm:"},
            "type": "ObjectEvent", "action": "ADD", "eventID": "urn:uuid:1",
            "eventTime": "2022-02-16T20:33:31.116-06:00", "eventTimeZoneOffset": "-06:00",
            "recordTime": "2022-02-17T00:00:00Z",
            "certificationInfo": ["https://c/1", "https://c/2"],
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.107346.L1", "quantity": 2.50, "uom": "KGM"}],
            "bizStep": "cbv:BizStep-receiving", "disposition": "urn:epcglobal:cbv:disp:in_transit",
            "persistentDisposition": {"set": ["recalled"]},
            "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234", "ex:gate": "G7"},
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
            "sourceList": [{"type": "possessing_party", "source": "urn:epc:id:pgln:0614141.00001"}],
            "ilmd": {"farm:plot": 7},
            "tc:operator": "op-1", "@context2": null
        });
        let v = without(v, "@context2");
        let ctx =
            Context::from_json(&json!([EPCIS_CONTEXT, {"ex": "https://ns.example.com/epcis/", "tc": WHO_NAMESPACE}]))
                .unwrap();
        let e = event_from_json(&v, &ctx).unwrap();
        assert_eq!(e.kind, EventType::Object);
        assert_eq!(e.event_time_zone_offset, TzOffset(-360));
        assert_eq!(e.event_time.to_rfc3339(TzOffset::UTC, 3), "2022-02-17T02:33:31.116Z");
        assert_eq!(e.certification_info.len(), 2);
        assert_eq!(e.quantity_list[0].quantity.as_ref().unwrap().as_str(), "2.5");
        assert_eq!(e.biz_step, Some(BizStep::Receiving));
        assert_eq!(e.disposition, Some(Disposition::InTransit));
        assert_eq!(e.read_point.as_ref().unwrap().extensions[0].name.as_ref(), "https://ns.example.com/epcis/gate");
        assert_eq!(e.ilmd[0].name.as_ref(), "urn:example:farm:plot");
        assert_eq!(e.who.operator.as_deref(), Some("op-1"));
        assert!(e.extensions.is_empty(), "Who fields are not extensions");
        let prefixes: Vec<&str> = e.namespaces.iter().map(|n| &*n.prefix).collect();
        assert_eq!(prefixes, ["ex", "farm"], "used prefixes, sorted; tc is implicit");
        assert_eq!(e.sources[0].kind, SourceDestType::PossessingParty);
    }

    #[test]
    fn faults_have_pointers_and_kinds() {
        let b = base_event;
        let cases: Vec<(Value, &str, ErrorKind)> = vec![
            (json!([1]), "", ErrorKind::Syntax),
            (without(b(), "type"), "/type", ErrorKind::Syntax),
            (with(b(), "type", json!("ThingEvent")), "/type", ErrorKind::Value),
            (without(b(), "eventTime"), "/eventTime", ErrorKind::Syntax),
            (without(b(), "eventTimeZoneOffset"), "/eventTimeZoneOffset", ErrorKind::Syntax),
            (without(b(), "action"), "/action", ErrorKind::Syntax),
            (with(b(), "eventTime", json!("2024-02-30T00:00:00Z")), "/eventTime", ErrorKind::Date),
            (with(b(), "eventTimeZoneOffset", json!("Z")), "/eventTimeZoneOffset", ErrorKind::Date),
            (with(b(), "eventTimeZoneOffset", json!("+14:30")), "/eventTimeZoneOffset", ErrorKind::Date),
            (with(b(), "action", json!("add")), "/action", ErrorKind::Value),
            (with(b(), "epcList", json!("x:y")), "/epcList", ErrorKind::Syntax),
            (with(b(), "epcList", json!(["urn:a:b", 7])), "/epcList/1", ErrorKind::Syntax),
            (with(b(), "bizStep", json!("fumigating")), "/bizStep", ErrorKind::Value),
            (with(b(), "childEPCs", json!([])), "/childEPCs", ErrorKind::Syntax),
            (with(b(), "quantityList", json!([{"quantity": 1}])), "/quantityList/0/epcClass", ErrorKind::Syntax),
            (
                with(b(), "quantityList", json!([{"epcClass": "urn:a:b", "uom": "KGM"}])),
                "/quantityList/0/quantity",
                ErrorKind::Syntax,
            ),
            (with(b(), "readPoint", json!({"ex:gate": 1})), "/readPoint/id", ErrorKind::Syntax),
            (
                with(b(), "bizTransactionList", json!([{"type": "po"}])),
                "/bizTransactionList/0/bizTransaction",
                ErrorKind::Syntax,
            ),
            (with(b(), "sourceList", json!([{"source": "urn:a:b"}])), "/sourceList/0/type", ErrorKind::Syntax),
            (
                with(b(), "destinationList", json!([{"type": "location", "source": "urn:a:b"}])),
                "/destinationList/0/source",
                ErrorKind::Syntax,
            ),
            (with(b(), "persistentDisposition", json!({"add": []})), "/persistentDisposition/add", ErrorKind::Syntax),
            (
                with(b(), "errorDeclaration", json!({"reason": "did_not_occur"})),
                "/errorDeclaration/declarationTime",
                ErrorKind::Syntax,
            ),
            (
                with(b(), "sensorElementList", json!([{"sensorMetadata": {}}])),
                "/sensorElementList/0/sensorReport",
                ErrorKind::Syntax,
            ),
            (
                with(b(), "sensorElementList", json!([{"sensorReport": [{"type": "Heat"}]}])),
                "/sensorElementList/0/sensorReport/0/type",
                ErrorKind::Value,
            ),
            (
                with(b(), "sensorElementList", json!([{"sensorReport": [{"booleanValue": "yes"}]}])),
                "/sensorElementList/0/sensorReport/0/booleanValue",
                ErrorKind::Syntax,
            ),
            (
                with(b(), "sensorElementList", json!([{"sensorReport": [{"hexBinaryValue": "abc"}]}])),
                "/sensorElementList/0/sensorReport/0/hexBinaryValue",
                ErrorKind::Charset,
            ),
            (
                with(b(), "sensorElementList", json!([{"sensorReport": [{"component": "w"}]}])),
                "/sensorElementList/0/sensorReport/0/component",
                ErrorKind::Value,
            ),
            (with(b(), "color", json!("red")), "/color", ErrorKind::Syntax),
            (with(b(), "zz:color", json!("red")), "/zz:color", ErrorKind::Syntax),
            (
                with(with(b(), "ex:a", json!(1)), "https://ns.example.com/epcis/a", json!(2)),
                "/https:~1~1ns.example.com~1epcis~1a",
                ErrorKind::Duplicate,
            ),
            (with(b(), "ex:big", json!(1e300)), "/ex:big", ErrorKind::Syntax),
            (with(b(), "ex:tiny", serde_json::from_str("1e-64").unwrap()), "/ex:tiny", ErrorKind::Length),
            (with(b(), "@context", json!({"ex": 3})), "/@context/ex", ErrorKind::Syntax),
            (with(b(), "eventID", json!("has space")), "/eventID", ErrorKind::Syntax),
        ];
        for (v, ptr, kind) in cases {
            let e = fails(&v);
            assert_eq!((e.pointer(), e.kind()), (ptr, kind), "{v}: {e}");
            assert!(!e.message().is_empty());
        }
    }

    #[test]
    fn first_fault_in_document_order() {
        let v = json!({"type": "ObjectEvent", "action": "CREATE", "eventTime": "22-07-2026",
                       "eventTimeZoneOffset": "+02:00", "epcList": []});
        assert_eq!(fails(&v).pointer(), "/action");
    }

    #[test]
    fn fields_by_event_type() {
        let t = json!({"type": "TransformationEvent", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "inputEPCList": ["urn:a:1"], "outputEPCList": ["urn:a:2"]});
        assert!(event_from_json(&t, &Context::new()).is_ok());
        assert_eq!(fails(&with(t.clone(), "epcList", json!([]))).pointer(), "/epcList");
        assert_eq!(fails(&without(t, "outputEPCList")).pointer(), "");
        let tx = json!({"type": "TransactionEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "bizTransactionList": [{"bizTransaction": "urn:po:1"}]});
        assert_eq!(fails(&tx).pointer(), "/epcList");
        assert!(event_from_json(&with(tx.clone(), "epcList", json!([])), &Context::new()).is_ok());
        assert!(event_from_json(&with(tx, "action", json!("DELETE")), &Context::new()).is_ok());
        let ext =
            json!({"type": "ex:CustomEvent", "eventTime": "2024-05-01T08:00:00Z", "eventTimeZoneOffset": "+00:00"});
        let e = event_from_json(&ext, &ex_ctx()).unwrap();
        assert_eq!(e.kind, EventType::Extension("https://ns.example.com/epcis/CustomEvent".into()));
        // Sensor-only ObjectEvent needs a readPoint.
        let s = json!({"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature", "value": 3}]}]});
        assert_eq!(fails(&s).pointer(), "/epcList");
        let s = with(s, "readPoint", json!({"id": "urn:epc:id:sgln:0614141.07346.1234"}));
        let e = event_from_json(&s, &Context::new()).unwrap();
        assert_eq!(e.sensor_elements[0].reports[0].kind.as_deref(), Some("https://gs1.org/voc/Temperature"));
        let out = event_to_json(&e, &ExportOptions::default());
        assert!(out.get("epcList").is_none(), "sensor + readPoint needs no epcList");
        assert_eq!(out["sensorElementList"][0]["sensorReport"][0]["type"], "gs1:Temperature");
    }

    #[test]
    fn export_ids_urn_or_digital_link() {
        let v = with(
            base_event(),
            "quantityList",
            json!([{"epcClass": "https://id.gs1.org/01/10614141073464/10/L1"}, {"epcClass": "https://id.gs1.org/01/10614141073464"}]),
        );
        let v = with(
            v,
            "epcList",
            json!(["https://id.gs1.org/01/10614141073464/21/2017", "urn:example:x", "cn-drug20:81234567890123456789"]),
        );
        let e = event_from_json(&v, &Context::new()).unwrap();
        let gcp = FixedGcpLength(7);
        let out = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
        assert_eq!(
            out["epcList"],
            json!(["urn:epc:id:sgtin:0614141.107346.2017", "urn:example:x", "cn-drug20:81234567890123456789"])
        );
        assert_eq!(out["quantityList"][0]["epcClass"], "urn:epc:class:lgtin:0614141.107346.L1");
        // A GTIN-only class has no EPC form: it stays a Digital Link.
        assert_eq!(out["quantityList"][1]["epcClass"], "https://id.gs1.org/01/10614141073464");
        let none = event_to_json(&e, &ExportOptions::epc_urn(&NoGcpTable));
        assert_eq!(none["epcList"][0], "https://id.gs1.org/01/10614141073464/21/2017");
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
        assert_eq!(event_from_json(&none, &Context::new()).unwrap(), e);
    }

    #[test]
    fn exact_numbers_and_own_offset() {
        let v = with(
            base_event(),
            "quantityList",
            json!([{"epcClass": "urn:a:b", "quantity": 12_345_678_901_234_567_890_u64}]),
        );
        let v = with(v, "ex:w", serde_json::from_str::<Value>("[200.50, 1e3, -0.0]").unwrap());
        let v = with(v, "eventTime", json!("2024-05-01T00:00:00.5Z"));
        let e = event_from_json(&v, &ex_ctx()).unwrap();
        let out = event_to_json(&e, &ExportOptions::default());
        let text = out.to_string();
        assert!(text.contains("\"quantity\":12345678901234567890"), "{text}");
        assert!(text.contains("\"ex:w\":[200.5,1000,0]"), "{text}");
        assert_eq!(out["eventTime"], "2024-05-01T08:00:00.500+08:00");
        assert_eq!(out["eventTimeZoneOffset"], "+08:00");
        assert_eq!(out["@context"], json!({"ex": "https://ns.example.com/epcis/"}));
    }

    #[test]
    fn who_round_trips_under_tc() {
        let mut e = event_from_json(&base_event(), &Context::new()).unwrap();
        e.who.party = Some(Id::parse("cn-uscc:91350100M000100Y43").unwrap());
        e.who.device = Some("urn:dev:1".into());
        let out = event_to_json(&e, &ExportOptions::default());
        assert_eq!(out["@context"], json!({"tc": WHO_NAMESPACE}));
        assert_eq!(out["tc:responsibleParty"], "cn-uscc:91350100M000100Y43");
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
        // With `tc` taken by another namespace, Who is written with full IRIs.
        e.namespaces = vec![Namespace { prefix: "tc".into(), iri: "https://other.example/".into() }];
        e.extensions = vec![Extension { name: "https://other.example/x".into(), value: ExtValue::Null }];
        let out = event_to_json(&e, &ExportOptions::default());
        assert_eq!(out["urn:tracecode:epcis:device"], "urn:dev:1");
        assert_eq!(out["tc:x"], Value::Null);
        assert_eq!(event_from_json(&out, &Context::new()).unwrap(), e);
    }

    fn doc(events: &str) -> String {
        format!(
            r#"{{"@context": ["{EPCIS_CONTEXT}", {{"ex": "https://ns.example.com/epcis/"}}], "type": "EPCISDocument",
               "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
               "epcisHeader": {{"big": [1, 2, {{"x": "y"}}]}}, "epcisBody": {{"eventList": [{events}]}}}}"#
        )
    }

    const GOOD: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
        "eventTimeZoneOffset": "+00:00", "epcList": [], "ex:n": 1}"#;
    const BAD: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
        "eventTimeZoneOffset": "+00:00", "epcList": [], "bizStep": "flying"}"#;

    #[test]
    fn modes() {
        let d = doc(&format!("{GOOD},{BAD},{GOOD},{BAD}"));
        let (events, s) = import_all(d.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((events.len(), s.events, s.accepted, s.rejected_total), (2, 4, 2, 2));
        assert_eq!(s.document, DocumentKind::Document);
        assert_eq!(s.namespaces[0].prefix.as_ref(), "ex");
        let ptrs: Vec<(usize, &str)> = s.rejected.iter().map(|b| (b.index, b.pointer.as_str())).collect();
        assert_eq!(ptrs, [(1, "/epcisBody/eventList/1/bizStep"), (3, "/epcisBody/eventList/3/bizStep")]);
        let err = import_all(d.as_bytes(), Mode::AllOrNothing).unwrap_err();
        assert_eq!(err.rejected_total(), 2);
        assert_eq!(err.rejected()[1].pointer, "/epcisBody/eventList/3/bizStep");
        assert!(err.to_string().contains("event 3 at /epcisBody/eventList/3/bizStep"), "{err}");
        let as_crate: Error = err.into();
        assert_eq!(as_crate.kind(), ErrorKind::Syntax);
        // The callback sees document pointers too.
        let mut seen = Vec::new();
        let _ = import(d.as_bytes(), Mode::AcceptValid, |i, r| {
            if let Err(e) = r {
                seen.push((i, e.pointer().to_owned()));
            }
            Ok(())
        });
        assert_eq!(seen[0], (1, "/epcisBody/eventList/1/bizStep".to_owned()));
    }

    #[test]
    fn document_shapes() {
        let q = format!(
            r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISQueryDocument", "epcisBody": {{"queryResults":
               {{"queryName": "SimpleEventQuery", "resultsBody": {{"eventList": [{BAD}]}}}}}}}}"#
        );
        let s = import(q.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!(s.document, DocumentKind::QueryDocument);
        assert_eq!(s.rejected[0].pointer, "/epcisBody/queryResults/resultsBody/eventList/0/bizStep");
        let arr = format!("[{BAD}, {BAD}]");
        let s = import(arr.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[1].pointer.as_str()), (DocumentKind::EventArray, "/1/bizStep"));
        let s = import(BAD.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[0].pointer.as_str()), (DocumentKind::Event, "/bizStep"));
        // A bare event with its own context.
        let bare = GOOD.replacen('{', &format!(r#"{{"@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}],"#), 1);
        let (ev, _) = import_all(bare.as_bytes(), Mode::AllOrNothing).unwrap();
        assert_eq!(ev[0].extensions[0].name.as_ref(), "urn:ex:n");
        // A bare event without context cannot use ex:.
        assert_eq!(import_all(GOOD.as_bytes(), Mode::AllOrNothing).unwrap_err().rejected()[0].pointer, "/ex:n");
    }

    fn fatal(input: &str) -> ImportError {
        let e = import(input.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap_err();
        assert_eq!(e.rejected_total(), 0, "{e}");
        e
    }

    #[test]
    fn document_faults() {
        let no_ctx = format!(r#"{{"type": "EPCISDocument", "epcisBody": {{"eventList": [{GOOD}]}}}}"#);
        assert_eq!(fatal(&no_ctx).pointer(), "/@context");
        let late =
            format!(r#"{{"type": "EPCISDocument", "epcisBody": {{"eventList": []}}, "@context": "{EPCIS_CONTEXT}"}}"#);
        assert_eq!(fatal(&late).pointer(), "/@context");
        let bad_ctx =
            format!(r#"{{"@context": [7], "type": "EPCISDocument", "epcisBody": {{"eventList": [{GOOD}]}}}}"#);
        assert_eq!(fatal(&bad_ctx).pointer(), "/@context/0");
        let wrong = format!(r#"{{"@context": "{EPCIS_CONTEXT}", "type": "Doc", "epcisBody": {{"eventList": []}}}}"#);
        assert_eq!(fatal(&wrong).pointer(), "/type");
        let nobody = format!(r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISDocument"}}"#);
        assert_eq!(fatal(&nobody).pointer(), "/epcisBody");
        let twice = format!(
            r#"{{"@context": "{EPCIS_CONTEXT}", "type": "EPCISDocument", "epcisBody": {{}}, "epcisBody": {{}}}}"#
        );
        assert_eq!(fatal(&twice).error().kind(), ErrorKind::Duplicate);
        assert_eq!(fatal(r#"{"a": 1}"#).pointer(), "/type");
        for junk in
            ["", "[", "{\"type\": ", "nul", "[1] x", "\"text\"", "{\"type\":\"EPCISDocument\",\"epcisBody\":[]}"]
        {
            let e = fatal(junk);
            assert_eq!(e.error().kind(), ErrorKind::Syntax, "{junk:?}: {e}");
        }
        let d = doc(&format!("{GOOD},{GOOD}"));
        let cut = d.get(..d.len() - 20).unwrap();
        assert_eq!(fatal(cut).error().kind(), ErrorKind::Syntax);
        // Malformed JSON: the byte offset of the fault, in the error and its message.
        let e = fatal(r#"{"type": "EPCISDocument" "x": 1}"#);
        assert_eq!((e.error().kind(), e.error().offset()), (ErrorKind::Syntax, 25));
        assert!(e.error().message().contains("at byte 25"), "{e}");
    }

    #[test]
    fn duplicate_document_members_are_fatal() {
        let head = format!(r#""@context": ["{EPCIS_CONTEXT}", {{"ex": "urn:ex:"}}], "type": "EPCISDocument""#);
        let cases = [
            (format!(r#"{{{head}, "type": "EPCISDocument", "epcisBody": {{"eventList": []}}}}"#), "/type"),
            (format!(r#"{{{head}, "epcisBody": {{"eventList": []}}, "type": "EPCISDocument"}}"#), "/type"),
            (format!(r#"{{{head}, "@context": "{EPCIS_CONTEXT}", "epcisBody": {{"eventList": []}}}}"#), "/@context"),
            (format!(r#"{{{head}, "epcisHeader": {{}}, "epcisHeader": {{}}, "epcisBody": {{}}}}"#), "/epcisHeader"),
            (format!(r#"{{{head}, "epcisBody": {{"eventList": [], "eventList": [{GOOD}]}}}}"#), "/epcisBody/eventList"),
            (format!(r#"{{{head}, "x": {{"a": 1, "a": 2}}, "epcisBody": {{}}}}"#), "/x/a"),
            (format!(r#"{{{head}, "epcisBody": {{}}, "x": {{"a": 1, "a": 2}}}}"#), "/x/a"),
            (format!(r#"{{"type": "EPCISDocument", {head}, "epcisBody": {{}}}}"#), "/type"),
            (
                format!(r#"{{{head}, "epcisBody": {{"queryResults": {{"resultsBody": {{}}, "resultsBody": {{}}}}}}}}"#),
                "/epcisBody/queryResults/resultsBody",
            ),
        ];
        for (d, ptr) in cases {
            let e = fatal(&d);
            assert_eq!((e.error().kind(), e.pointer()), (ErrorKind::Duplicate, ptr), "{d}: {e}");
            // The offset is the second occurrence's name.
            let at = e.error().offset();
            let name = ptr.rsplit('/').next().unwrap();
            assert!(d.get(at..).unwrap().starts_with(&format!("\"{name}\"")), "{d}: at {at}");
        }
        // Other members of epcisBody are read past, not kept: their names are not compared.
        let d = format!(r#"{{{head}, "epcisBody": {{"x": 1, "x": 2, "eventList": [{GOOD}]}}}}"#);
        assert_eq!(import_all(d.as_bytes(), Mode::AllOrNothing).unwrap().1.accepted, 1);
    }

    #[test]
    fn duplicate_members_reject_their_event() {
        const DUP: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "epcList": [], "eventTime": "2024-06-01T08:00:00Z"}"#;
        let d = doc(&format!("{GOOD},{DUP},{GOOD}"));
        let (events, s) = import_all(d.as_bytes(), Mode::AcceptValid).unwrap();
        assert_eq!((events.len(), s.rejected_total), (2, 1));
        let bad = &s.rejected[0];
        assert_eq!(
            (bad.index, bad.pointer.as_str(), bad.kind),
            (1, "/epcisBody/eventList/1/eventTime", ErrorKind::Duplicate)
        );
        let at = usize::try_from(bad.offset.unwrap()).unwrap();
        assert!(d.get(at..).unwrap().starts_with("\"eventTime\": \"2024-06"), "{}", d.get(at..).unwrap());
        assert!(bad.message.contains("\"eventTime\" appears twice"), "{}", bad.message);
        // A bare event, an array of events, one event parsed alone.
        let s = import(DUP.as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.document, s.rejected[0].pointer.as_str()), (DocumentKind::Event, "/eventTime"));
        let s = import(format!("[{GOOD}, {DUP}]").as_bytes(), Mode::AcceptValid, |_, _| Ok(())).unwrap();
        assert_eq!((s.rejected[1].pointer.as_str(), s.rejected[1].kind), ("/1/eventTime", ErrorKind::Duplicate));
        let e = event_from_slice(DUP.as_bytes(), &ex_ctx()).unwrap_err();
        assert_eq!((e.kind(), e.pointer()), (ErrorKind::Duplicate, "/eventTime"));
        assert_eq!(e.offset(), Some(u64::try_from(DUP.rfind("\"eventTime\"").unwrap()).unwrap()));
        // The duplicate is the event's fault even when a value fault comes earlier.
        let both = DUP.replace("\"ADD\"", "\"CREATE\"");
        assert_eq!(event_from_slice(both.as_bytes(), &ex_ctx()).unwrap_err().kind(), ErrorKind::Duplicate);
        // A serde_json Value cannot hold the duplicate: event_from_json sees the last value only.
        let v: Value = serde_json::from_str(DUP).unwrap();
        assert!(event_from_json(&v, &ex_ctx()).is_ok());
    }

    #[test]
    fn bounds_hold_for_values_too() {
        // A caller's Value is held to the reader's bounds, so both paths accept the same events.
        let long = "x".repeat(MAX_STRING + 1);
        let e = fails(&with(base_event(), "ex:s", json!(long)));
        assert_eq!((e.pointer(), e.kind()), ("/ex:s", ErrorKind::Length));
        assert!(e.message().len() < 100, "{}", e.message());
        let key = format!("ex:{}", "k".repeat(MAX_URI));
        let e = fails(&with(base_event(), &key, json!(1)));
        assert_eq!(e.kind(), ErrorKind::Length);
        let e = fails(&with(base_event(), "ex:o", json!({"k".repeat(MAX_URI + 1): 1})));
        assert_eq!(e.kind(), ErrorKind::Length);
        assert!(fails(&with(base_event(), "ex:o", json!({"k".repeat(MAX_URI): long}))).message().len() < 100);
        let n: Value = serde_json::from_str(&"1".repeat(MAX_NUMBER + 1)).unwrap();
        assert_eq!(fails(&with(base_event(), "ex:n", n)).kind(), ErrorKind::Length);
        // A long identifier is quoted in part, however the identifier parser words its message.
        let id = format!("urn:{}", "x ".repeat(1000));
        let e = fails(&with(base_event(), "epcList", json!([id])));
        assert!(e.message().len() < 300, "{}", e.message());
    }

    #[test]
    fn oversized_event_is_refused() {
        let big = format!(r#"{{"type": "ObjectEvent", "ex:pad": "{}", "action": "ADD"}}"#, "x".repeat(5000));
        let d = doc(&format!("{GOOD},{big},{GOOD}"));
        let mut n = 0;
        let e = Importer::new(d.as_bytes()).max_event_bytes(4096).mode(Mode::AcceptValid).run(|_, _| {
            n += 1;
            Ok(())
        });
        let e = e.unwrap_err();
        assert_eq!(e.error().kind(), ErrorKind::Length);
        assert!(e.error().message().contains("event 1 is larger than 4096 bytes"), "{e}");
        assert_eq!(n, 1, "the event before it was handed on");
        // The same document passes with the default bound.
        assert!(Importer::new(d.as_bytes()).mode(Mode::AcceptValid).run(|_, _| Ok(())).is_ok());
        // A bare object is bounded as a whole too.
        let many = format!("{{{}\"type\": \"ObjectEvent\"}}", "\"ex:k\": \"vvvvvvvv\",".repeat(1000));
        let e = Importer::new(many.as_bytes()).max_event_bytes(1000).run(|_, _| Ok(())).unwrap_err();
        assert_eq!(e.error().kind(), ErrorKind::Length);
        // So are keys, at the top and inside epcisBody.
        for huge in [
            format!("{{\"{}\": 1}}", "k".repeat(5000)),
            doc("").replace("\"eventList\"", &format!("\"{}\": 0, \"eventList\"", "k".repeat(5000))),
        ] {
            let e = Importer::new(huge.as_bytes()).max_event_bytes(1000).run(|_, _| Ok(())).unwrap_err();
            assert_eq!(e.error().kind(), ErrorKind::Length, "{e}");
        }
    }

    #[test]
    fn callback_error_stops_import() {
        let d = doc(&format!("{GOOD},{GOOD},{GOOD}"));
        let mut n = 0;
        let e = import(d.as_bytes(), Mode::AcceptValid, |i, _| {
            n += 1;
            if i == 1 { Err(Error::new(ErrorKind::Io, 0, 0, "disk full")) } else { Ok(()) }
        })
        .unwrap_err();
        assert_eq!((e.error().kind(), e.error().message(), n), (ErrorKind::Io, "disk full", 2));
    }

    #[test]
    fn deep_extension_is_refused() {
        let mut x = json!(1);
        for _ in 0..40 {
            x = json!([x]);
        }
        let e = fails(&with(base_event(), "ex:deep", x));
        assert_eq!(e.kind(), ErrorKind::Length);
        assert!(e.pointer().starts_with("/ex:deep/0/0/0"));
    }

    #[test]
    fn writer_adds_event_contexts_for_new_prefixes() {
        let a = event_from_json(&with(base_event(), "ex:a", json!(1)), &ex_ctx()).unwrap();
        let other = Context::from_json(&json!({"ex": "urn:other:", "zz": "urn:zz:"})).unwrap();
        let b = event_from_json(&with(with(base_event(), "ex:b", json!(2)), "zz:c", json!(3)), &other).unwrap();
        let mut w =
            DocumentWriter::new(Vec::new(), &ExportOptions::default().creation_date(Timestamp(0)), &a.namespaces)
                .unwrap();
        w.write_event(&a).unwrap();
        w.write_event(&b).unwrap();
        let bytes = w.finish().unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["creationDate"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["@context"][1], json!({"ex": "https://ns.example.com/epcis/", "tc": WHO_NAMESPACE}));
        let list = &v["epcisBody"]["eventList"];
        assert!(list[0].get("@context").is_none());
        assert_eq!(list[1]["@context"], json!({"ex": "urn:other:", "zz": "urn:zz:"}));
        let (events, _) = import_all(bytes.as_slice(), Mode::AllOrNothing).unwrap();
        assert_eq!(events, vec![a, b]);
    }

    // --- generated events ---------------------------------------------------------------------------------------

    const NS: [(&str, &str); 3] =
        [("ex", "https://ns.example.com/epcis/"), ("farm", "urn:example:farm:"), ("gs1", "https://gs1.org/voc/")];

    fn arb_id() -> impl Strategy<Value = Id> {
        prop_oneof![
            "[A-Za-z0-9]{1,12}"
                .prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/{s}")).unwrap()),
            (0u32..99_999).prop_map(|n| Id::parse(&format!("urn:epc:id:sscc:0614141.{n:010}")).unwrap()),
            "[a-z0-9]{1,10}".prop_map(|s| Id::parse(&format!("urn:example:thing:{s}")).unwrap()),
        ]
    }

    fn arb_class() -> impl Strategy<Value = Id> {
        prop_oneof![
            "[A-Z0-9]{1,8}".prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/10/{s}")).unwrap()),
            Just(Id::parse("https://id.gs1.org/01/09506000134352").unwrap()),
            "[a-z]{1,6}".prop_map(|s| Id::parse(&format!("urn:example:class:{s}")).unwrap()),
        ]
    }

    fn arb_dec() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..6).prop_map(|(m, scale)| {
            let mut s = m.unsigned_abs().to_string();
            if scale > 0 {
                let n = scale as usize;
                if s.len() <= n {
                    s = format!("{}{s}", "0".repeat(n + 1 - s.len()));
                }
                s.insert(s.len() - n, '.');
            }
            if m < 0 {
                s.insert(0, '-');
            }
            Decimal::parse(&s).unwrap()
        })
    }

    fn arb_time() -> impl Strategy<Value = Timestamp> {
        (-2_000_000_000_000_000_000i64..4_000_000_000_000_000_000).prop_map(Timestamp)
    }

    fn arb_name() -> impl Strategy<Value = Box<str>> {
        (0..NS.len(), "[a-z][a-zA-Z0-9]{0,7}").prop_map(|(i, l)| format!("{}{l}", NS[i].1).into())
    }

    fn arb_ext_value() -> impl Strategy<Value = ExtValue> {
        let leaf = prop_oneof![
            Just(ExtValue::Null),
            any::<bool>().prop_map(ExtValue::Bool),
            arb_dec().prop_map(ExtValue::Number),
            "\\PC{0,10}".prop_map(|s| ExtValue::String(s.into())),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(ExtValue::Array),
                prop::collection::btree_map(prop_oneof![arb_name(), "[a-d]{1,3}".prop_map(Into::into)], inner, 0..4)
                    .prop_map(|m| ExtValue::Object(
                        m.into_iter().map(|(name, value)| Extension { name, value }).collect()
                    )),
            ]
        })
    }

    fn arb_exts(max: usize) -> impl Strategy<Value = Vec<Extension>> {
        prop::collection::btree_map(arb_name(), arb_ext_value(), 0..=max)
            .prop_map(|m| m.into_iter().map(|(name, value)| Extension { name, value }).collect())
    }

    fn arb_quantity() -> impl Strategy<Value = Quantity> {
        (arb_class(), prop::option::of((arb_dec(), prop::option::of("[A-Z0-9]{2,3}")))).prop_map(|(class, q)| {
            let (quantity, uom) = match q {
                Some((d, u)) => (Some(d), u.map(Into::into)),
                None => (None, None),
            };
            Quantity { class, quantity, uom }
        })
    }

    fn arb_report() -> impl Strategy<Value = SensorReport> {
        (
            prop::option::of(prop_oneof![
                Just("https://gs1.org/voc/Temperature".to_owned()),
                Just("urn:example:measure:brix".to_owned())
            ]),
            prop::option::of(arb_dec()),
            prop::option::of(arb_time()),
            prop::option::of(any::<bool>()),
            prop::option::of("\\PC{0,8}"),
            prop::option::of(prop_oneof![Just("x"), Just("latitude"), Just("urn:c:1")]),
            prop::option::of("([0-9a-f]{2}){0,4}"),
            arb_exts(1),
        )
            .prop_map(|(kind, value, time, b, sv, comp, hex, extensions)| SensorReport {
                kind: kind.map(Into::into),
                uom: value.as_ref().map(|_| "CEL".into()),
                value,
                max_value: Some(Decimal::parse("9.5").unwrap()),
                time,
                boolean_value: b,
                string_value: sv.map(Into::into),
                component: comp.map(Into::into),
                hex_binary_value: hex.map(Into::into),
                exception: Some("ERROR_CONDITION".into()),
                device_id: Some("urn:epc:id:giai:4000001.111".into()),
                extensions,
                ..SensorReport::default()
            })
    }

    fn arb_sensor() -> impl Strategy<Value = SensorElement> {
        (prop::option::of((arb_time(), arb_exts(1))), prop::collection::vec(arb_report(), 1..3), arb_exts(1)).prop_map(
            |(meta, reports, extensions)| SensorElement {
                metadata: meta.map(|(t, ext)| SensorMetadata {
                    start_time: Some(t),
                    biz_rules: Some("https://example.com/rules".into()),
                    extensions: ext,
                    ..SensorMetadata::default()
                }),
                reports,
                extensions,
            },
        )
    }

    fn arb_place() -> impl Strategy<Value = Place> {
        (prop_oneof![Just("urn:epc:id:sgln:0614141.07346.1234"), Just("urn:example:loc:7")], arb_exts(2))
            .prop_map(|(id, extensions)| Place { id: Id::parse(id).unwrap(), extensions })
    }

    /// Every namespace an event's extension names use, sorted (as the importer records them).
    fn namespaces_of(e: &Event) -> Vec<Namespace> {
        fn walk(list: &[Extension], out: &mut Vec<&'static str>) {
            for x in list {
                if let Some((p, _)) = NS.iter().find(|(_, iri)| x.name.starts_with(iri)) {
                    out.push(p);
                }
                let mut stack = vec![&x.value];
                while let Some(v) = stack.pop() {
                    match v {
                        ExtValue::Object(o) => walk(o, out),
                        ExtValue::Array(a) => stack.extend(a),
                        _ => {}
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&e.extensions, &mut out);
        walk(&e.ilmd, &mut out);
        for p in e.read_point.iter().chain(&e.biz_location) {
            walk(&p.extensions, &mut out);
        }
        for s in &e.sensor_elements {
            walk(&s.extensions, &mut out);
            if let Some(m) = &s.metadata {
                walk(&m.extensions, &mut out);
            }
            for r in &s.reports {
                walk(&r.extensions, &mut out);
            }
        }
        if let Some(d) = &e.error_declaration {
            walk(&d.extensions, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out.iter()
            .map(|p| Namespace { prefix: (*p).into(), iri: NS.iter().find(|(q, _)| q == p).unwrap().1.into() })
            .collect()
    }

    prop_compose! {
        fn arb_common()(
            time in arb_time(), off in -840i16..=840, record in prop::option::of(arb_time()),
            event_id in prop::option::of("[a-f0-9]{8}"),
            cert in prop::collection::vec("[a-z]{1,5}", 0..3),
            step in prop::option::of(prop_oneof![(0..BizStep::TERMS.len()).prop_map(|i| BizStep::parse(BizStep::TERMS[i]).unwrap()), Just(BizStep::Other("urn:example:step:x".into()))]),
            disp in prop::option::of((0..Disposition::TERMS.len()).prop_map(|i| Disposition::parse(Disposition::TERMS[i]).unwrap())),
            pd in prop::option::of((prop::collection::vec(Just(Disposition::Recalled), 0..2), prop::collection::vec(Just(Disposition::Expired), 0..2))),
            rp in prop::option::of(arb_place()), bl in prop::option::of(arb_place()),
            bts in prop::collection::vec((prop::option::of(prop_oneof![Just(BizTransactionType::Po), Just(BizTransactionType::Other("urn:bt:x".into()))]), arb_id()), 0..3),
            srcs in prop::collection::vec((prop_oneof![Just(SourceDestType::OwningParty), Just(SourceDestType::Location)], arb_id()), 0..2),
            dsts in prop::collection::vec((Just(SourceDestType::PossessingParty), arb_id()), 0..2),
            sensors in prop::collection::vec(arb_sensor(), 0..2),
            exts in arb_exts(3),
            err in prop::option::of((arb_time(), arb_exts(1))),
            who in (prop::option::of(arb_id()), prop::option::of("[a-z0-9-]{1,8}"), prop::option::of("[a-z0-9:]{1,8}")),
        ) -> Event {
            let mut e = Event::new(EventType::Object, time, TzOffset(off));
            e.record_time = record;
            e.event_id = event_id.map(|s| format!("urn:uuid:{s}").into());
            e.certification_info = cert.into_iter().map(|c| format!("https://cert.example/{c}").into()).collect();
            e.biz_step = step;
            e.disposition = disp;
            e.persistent_disposition = pd.map(|(set, unset)| PersistentDisposition { set, unset });
            e.read_point = rp;
            e.biz_location = bl;
            e.biz_transactions = bts.into_iter().map(|(kind, value)| BizTransaction { kind, value }).collect();
            e.sources = srcs.into_iter().map(|(kind, id)| SourceDest { kind, id }).collect();
            e.destinations = dsts.into_iter().map(|(kind, id)| SourceDest { kind, id }).collect();
            e.sensor_elements = sensors;
            e.extensions = exts;
            e.error_declaration = err.map(|(t, extensions)| ErrorDeclaration {
                declaration_time: t,
                reason: Some(ErrorReason::DidNotOccur),
                corrective_event_ids: vec!["urn:uuid:c1".into()],
                extensions,
            });
            e.who = crate::event::Who { party: who.0, operator: who.1.map(Into::into), device: who.2.map(Into::into) };
            e
        }
    }

    fn arb_event() -> impl Strategy<Value = Event> {
        let ids = || prop::collection::vec(arb_id(), 0..3);
        let ids1 = || prop::collection::vec(arb_id(), 1..3);
        let qs = || prop::collection::vec(arb_quantity(), 0..2);
        let action = prop_oneof![Just(Action::Add), Just(Action::Observe), Just(Action::Delete)];
        (arb_common(), 0..5u8, action, ids(), ids1(), qs(), qs(), arb_id(), arb_exts(2), prop::option::of("[a-z]{1,6}"))
            .prop_map(|(mut e, kind, action, a, b, qa, qb, parent, ilmd, tid)| {
                match kind {
                    0 => {
                        e.action = Some(action);
                        e.epc_list = a;
                        e.quantity_list = qa;
                        if action == Action::Add {
                            e.ilmd = ilmd;
                        }
                    }
                    1 | 4 => {
                        e.kind = if kind == 1 { EventType::Aggregation } else { EventType::Association };
                        e.action = Some(action);
                        e.parent_id = Some(parent);
                        e.child_epcs = b;
                        e.child_quantity_list = qa;
                    }
                    2 => {
                        e.kind = EventType::Transaction;
                        e.action = Some(action);
                        e.epc_list = a;
                        e.quantity_list = qa;
                        if e.biz_transactions.is_empty() {
                            e.biz_transactions.push(BizTransaction { kind: None, value: parent });
                        }
                    }
                    _ => {
                        e.kind = EventType::Transformation;
                        e.input_epc_list = b;
                        e.input_quantity_list = qa;
                        e.output_epc_list = a;
                        e.output_quantity_list = qb;
                        if e.output_epc_list.is_empty() && e.output_quantity_list.is_empty() {
                            e.transformation_id =
                                Some(tid.map_or_else(|| "urn:t:1".into(), |t| format!("urn:t:{t}").into()));
                        }
                        e.ilmd = ilmd;
                    }
                }
                e.namespaces = namespaces_of(&e);
                e
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn event_json_round_trip(e in arb_event()) {
            prop_assert!(e.validate().is_ok(), "generator made an invalid event: {e:?}");
            let j = event_to_json(&e, &ExportOptions::default());
            let back = event_from_json(&j, &Context::new()).map_err(|x| TestCaseError::fail(format!("{x}\n{j:#}")))?;
            prop_assert_eq!(&back, &e);
            // JSON → event → JSON is the identity on exported JSON.
            prop_assert_eq!(event_to_json(&back, &ExportOptions::default()), j);
            // As URNs, too.
            let gcp = FixedGcpLength(7);
            let u = event_to_json(&e, &ExportOptions::epc_urn(&gcp));
            prop_assert_eq!(&event_from_json(&u, &Context::new()).unwrap(), &e);
        }

        #[test]
        fn document_round_trip(events in prop::collection::vec(arb_event(), 0..4)) {
            let mut out = Vec::new();
            export_document(&events, &ExportOptions::default(), &mut out).unwrap();
            let (back, s) = import_all(out.as_slice(), Mode::AllOrNothing).unwrap();
            prop_assert_eq!(back, events);
            prop_assert_eq!(s.rejected_total, 0);
        }

        #[test]
        fn event_from_slice_round_trip(e in arb_event()) {
            let text = event_to_json(&e, &ExportOptions::default()).to_string();
            let back = event_from_slice(text.as_bytes(), &Context::new())
                .map_err(|x| TestCaseError::fail(format!("{x}\n{text}")))?;
            prop_assert_eq!(back, e);
        }

        #[test]
        fn import_never_panics(s in "\\PC{0,200}") {
            let _ = import(s.as_bytes(), Mode::AcceptValid, |_, _| Ok(()));
        }

        #[test]
        fn mutated_events_never_panic(e in arb_event(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut text = event_to_json(&e, &ExportOptions::default()).to_string().into_bytes();
            let i = cut.index(text.len());
            text[i] = byte;
            let _ = import(text.as_slice(), Mode::AcceptValid, |_, _| Ok(()));
        }
    }
}
