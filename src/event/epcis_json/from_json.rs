//! JSON → [`Event`]: the converter from one event's JSON-LD object to the model, checking types, patterns,
//! vocabularies and, last, the type rules of [`Event::validate`].

use std::cell::RefCell;
use std::collections::HashSet;

use super::context::{Context, GS1_VOC, Resolved, bad_uri_byte, uri_ok};
use super::error::{EventError, Path, Warning, WarningKind, clip, show, type_name};
use super::node::{Node, Obj, View};
use super::reader::{Duplicate, read_slice};
use super::{JsonTree, MAX_EVENT_BYTES, MAX_EVENT_VALUES, MAX_EXTENSION_DEPTH, MAX_STRING};
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, ErrorDeclaration, ErrorReason, Event,
    EventType, ExtValue, Extension, Id, MAX_URI, Namespace, PersistentDisposition, Place, Quantity, SensorElement,
    SensorMetadata, SensorReport, SourceDest, SourceDestType, Timestamp, TzOffset, WHO_NAMESPACE,
};
use crate::{Error, ErrorKind};

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

/// Reads one event from its JSON-LD object, resolving CURIEs with `ctx` (and the event's own `@context`, if any).
///
/// Checks value types and patterns (timestamps, offset, `uom`, numbers), vocabularies, which fields the event type
/// allows, then the type rules of [`Event::validate`] (what the event must name; an empty list counts as absent).
/// `v` is a `serde_json::Value` or a [`Json`](super::Json) ([`JsonTree`]); "document order" (of faults and of
/// extensions) is the tree's member order, which for a `Value` is serde_json's (sorted by name unless the application
/// enables `preserve_order`): read the text with [`event_from_slice`] to keep the order as written.
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
pub fn event_from_json(v: &impl JsonTree, ctx: &Context) -> Result<Event, EventError> {
    event_from_node(v, ctx, ReadOptions::new()).map(|(e, _)| e)
}

/// How events are read: strictly (the default), or leniently about malformed GS1 identifiers.
///
/// Strict reading rejects an event whose identifier looks like a GS1 one (an EPC URN, a GS1 Digital Link) but is
/// malformed: an SSCC URN with 15 digits instead of 17, a Digital Link with a wrong check digit. Real partner
/// data has such values, and rejecting the whole event (or, [all or nothing](super::Mode::AllOrNothing), the
/// whole document) for one of them loses the rest of what the event says. A [lenient](Self::lenient) read keeps
/// the value verbatim as an opaque URI ([`Id::Uri`], like any URI that is not a GS1 key) and reports a
/// [`Warning`] with its JSON pointer and the reason strict reading gives. This applies to every identifier field
/// (`epcList`, `childEPCs`, `inputEPCList`, `outputEPCList`, `parentID`, `epcClass` of quantities, the `id` of
/// `readPoint`/`bizLocation`, `source`/`destination`, `bizTransaction`, the responsible party); a value that is
/// not a URI at all (no scheme, whitespace, longer than [`MAX_URI`]) is still an error, and a well-formed
/// identifier reads exactly as in strict mode.
///
/// ```
/// use tracecode::event::epcis_json::ReadOptions;
/// assert!(!ReadOptions::new().is_lenient());
/// assert!(ReadOptions::new().lenient(true).is_lenient());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    lenient: bool,
}

impl ReadOptions {
    /// Strict reading.
    pub const fn new() -> Self {
        Self { lenient: false }
    }

    /// Keeps malformed GS1 identifiers as opaque URIs, with a [`Warning`] each, instead of rejecting the event.
    #[must_use]
    pub const fn lenient(mut self, yes: bool) -> Self {
        self.lenient = yes;
        self
    }

    /// Whether [`Self::lenient`] is set.
    pub const fn is_lenient(&self) -> bool {
        self.lenient
    }
}

/// [`event_from_json`] with [`ReadOptions`]: the event and what a lenient read tolerated in it (pointers relative
/// to the event; always empty when strict).
///
/// # Errors
/// As [`event_from_json`].
///
/// ```
/// use tracecode::event::Id;
/// use tracecode::event::epcis_json::{Context, ReadOptions, WarningKind, event_from_json_with};
/// let v = serde_json::json!({
///     "type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///     "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sscc:0614141.12345678"]
/// });
/// // Strict: 15 digits are not an SSCC.
/// assert_eq!(event_from_json_with(&v, &Context::new(), ReadOptions::new()).unwrap_err().pointer(), "/epcList/0");
/// let (event, warnings) = event_from_json_with(&v, &Context::new(), ReadOptions::new().lenient(true))?;
/// assert_eq!(event.epc_list, [Id::Uri("urn:epc:id:sscc:0614141.12345678".into())]);
/// assert_eq!((warnings[0].kind, warnings[0].pointer.as_str()), (WarningKind::OpaqueId, "/epcList/0"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_from_json_with(
    v: &impl JsonTree,
    ctx: &Context,
    opts: ReadOptions,
) -> Result<(Event, Vec<Warning>), EventError> {
    event_from_node(v, ctx, opts)
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
///
/// [`import`]: super::import()
/// [`MAX_NUMBER`]: super::MAX_NUMBER
/// [`MAX_DEPTH`]: super::MAX_DEPTH
pub fn event_from_slice(json: &[u8], ctx: &Context) -> Result<Event, EventError> {
    event_from_slice_with(json, ctx, ReadOptions::new()).map(|(e, _)| e)
}

/// [`event_from_slice`] with [`ReadOptions`]: the event and what a lenient read tolerated in it (pointers
/// relative to the event; always empty when strict).
///
/// # Errors
/// As [`event_from_slice`].
///
/// ```
/// use tracecode::event::epcis_json::{Context, ReadOptions, event_from_slice_with};
/// let text = br#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
///     "eventTimeZoneOffset": "+00:00", "readPoint": {"id": "https://id.gs1.org/414/9520123456789"},
///     "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]}"#;
/// let (_, warnings) = event_from_slice_with(text, &Context::new(), ReadOptions::new().lenient(true))?;
/// assert_eq!(warnings[0].pointer, "/readPoint/id"); // a GLN check digit 9 where 8 belongs
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_from_slice_with(
    json: &[u8],
    ctx: &Context,
    opts: ReadOptions,
) -> Result<(Event, Vec<Warning>), EventError> {
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
    event_from_node(&v, ctx, opts)
}

/// The fault of an event holding a duplicate member name.
pub(super) fn duplicate_error(d: Duplicate) -> EventError {
    let message = format!("member {} appears twice (the second at byte {})", d.name, d.offset);
    EventError { kind: ErrorKind::Duplicate, pointer: d.pointer, message, offset: Some(d.offset) }
}

/// Reads one event; the warnings' pointers are relative to the event and their index is 0.
pub(super) fn event_from_node<N: Node>(
    v: &N,
    ctx: &Context,
    opts: ReadOptions,
) -> Result<(Event, Vec<Warning>), EventError> {
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
    Conv { ctx, used: Vec::new(), lenient: opts.lenient, warnings: RefCell::new(Vec::new()) }.event::<N>(o)
}

/// Whether `s` has the shape [`Id::parse`] requires of a URI (a scheme, no whitespace or control bytes, at most
/// [`MAX_URI`] bytes): what a lenient read may keep as [`Id::Uri`].
fn opaque_uri(s: &str) -> bool {
    uri_ok(s) && s.contains(':')
}

/// The required fields that have no "absent" value in the model. Presence of anything else is not tracked:
/// [`Event::validate`] judges content (an empty list counts as absent), and it is the one check of the type rules.
#[derive(Default)]
struct Seen {
    time: bool,
    offset: bool,
}

struct Conv<'c> {
    ctx: &'c Context,
    used: Vec<Namespace>,
    /// Keep malformed GS1 identifiers as opaque URIs ([`ReadOptions::lenient`]).
    lenient: bool,
    /// What the lenient read tolerated (a cell: identifiers are read through `&self`, in iterator closures).
    warnings: RefCell<Vec<Warning>>,
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
    fn event<N: Node>(mut self, o: &N::Obj) -> Result<(Event, Vec<Warning>), EventError> {
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
        e.validate()?;
        self.used.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        self.used.dedup_by(|a, b| a.prefix == b.prefix);
        e.namespaces = self.used;
        Ok((e, self.warnings.into_inner()))
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
            "eventID" => e.epcis_event_id = Some(self.uri_text(v, p)?),
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
            "epcList" => e.epc_list = self.ids(v, p)?,
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
            let at = e.offset().map(|o| format!(" (at character {o})")).unwrap_or_default();
            p.err(
                ErrorKind::Date,
                format!(
                    "{} is not a date-time with offset like 2024-05-01T10:00:00+08:00: {}{at}",
                    show(s),
                    clip(e.message())
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
        if !crate::event::is_uom(s) {
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
        let full = self.ctx.expand_value(s);
        match Id::parse(&full) {
            Ok(id) => Ok(id),
            // `Id::parse` refuses a value of URI shape only when it is a malformed GS1 identifier: that one a
            // lenient read keeps as written (trimmed, as `Id::parse` reads it).
            Err(e) if self.lenient && opaque_uri(full.trim()) => {
                let value = full.trim();
                self.warnings.borrow_mut().push(Warning {
                    kind: WarningKind::OpaqueId,
                    index: 0,
                    pointer: p.render(),
                    value: value.to_owned(),
                    cause: e.kind(),
                    message: format!(
                        "{} is not a valid identifier ({}); kept as an opaque URI",
                        show(s),
                        clip(e.message())
                    ),
                });
                Ok(Id::Uri(value.into()))
            }
            Err(e) => Err(p.err(e.kind(), format!("{} is not a valid identifier: {}", show(s), clip(e.message())))),
        }
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
pub(super) fn describe<N: Node>(v: &N) -> String {
    match v.view() {
        View::String(s) => format!("the text {}", show(s)),
        _ => type_name(v).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::event::epcis_json::{EPCIS_CONTEXT, ExportOptions, MAX_NUMBER, event_to_json};
    use proptest::prelude::*;
    use serde_json::Value;
    use serde_json::json;

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

    /// The importer applies `Event::validate` and nothing else for the type rules: the same event is refused by both,
    /// with the same pointer; an empty list is no list.
    #[test]
    fn the_importer_refuses_what_validate_refuses() {
        let time = json!({"eventTime": "2024-05-01T08:00:00Z", "eventTimeZoneOffset": "+00:00"});
        let obj = with(with(time.clone(), "type", json!("ObjectEvent")), "action", json!("OBSERVE"));
        let agg = with(with(time, "type", json!("AggregationEvent")), "action", json!("ADD"));
        let agg = with(agg, "parentID", json!("urn:epc:id:sscc:0614141.1234567890"));
        let item = || Id::parse("urn:a:1").unwrap();
        let lot = ExtValue::String("L1".into());
        let ilmd = vec![Extension { name: "https://ns.example.com/epcis/lot".into(), value: lot }];
        let object = |epcs: Vec<Id>, ilmd: Vec<Extension>| {
            let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
            (e.action, e.epc_list, e.ilmd) = (Some(Action::Observe), epcs, ilmd);
            e
        };
        let aggregation = |parent: bool| {
            let mut e = Event::new(EventType::Aggregation, Timestamp(0), TzOffset::UTC);
            e.action = Some(Action::Add);
            e.parent_id = parent.then(|| Id::parse("urn:epc:id:sscc:0614141.1234567890").unwrap());
            e
        };
        let cases = [
            (obj.clone(), object(vec![], vec![]), "/epcList"),
            (with(obj.clone(), "epcList", json!([])), object(vec![], vec![]), "/epcList"),
            (
                with(with(obj.clone(), "epcList", json!([])), "quantityList", json!([])),
                object(vec![], vec![]),
                "/epcList",
            ),
            (
                with(with(obj, "epcList", json!(["urn:a:1"])), "ilmd", json!({"ex:lot": "L1"})),
                object(vec![item()], ilmd),
                "/ilmd",
            ),
            (agg.clone(), aggregation(true), "/childEPCs"),
            (with(agg.clone(), "childEPCs", json!([])), aggregation(true), "/childEPCs"),
            (without(agg, "parentID"), aggregation(false), "/parentID"),
        ];
        for (v, model, ptr) in cases {
            let err = event_from_json(&v, &ex_ctx()).unwrap_err();
            assert_eq!((err.pointer(), err.kind()), (ptr, ErrorKind::Syntax), "{v}");
            assert_eq!(model.validate().unwrap_err(), err, "{v}");
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
        assert_eq!(fails(&without(t.clone(), "outputEPCList")).pointer(), "/outputEPCList");
        assert_eq!(fails(&without(t, "inputEPCList")).pointer(), "/inputEPCList");
        let tx = json!({"type": "TransactionEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "bizTransactionList": [{"bizTransaction": "urn:po:1"}]});
        assert_eq!(fails(&tx).pointer(), "/epcList");
        // An empty list names nothing: present or absent is the same.
        assert_eq!(fails(&with(tx.clone(), "epcList", json!([]))).pointer(), "/epcList");
        // A parentID alone names the load; the export then writes the empty epcList the JSON Schema asks for.
        let parent_only = with(tx.clone(), "parentID", json!("urn:epc:id:sscc:0614141.1234567890"));
        let e = event_from_json(&parent_only, &Context::new()).unwrap();
        assert_eq!(event_to_json(&e, &ExportOptions::default())["epcList"], json!([]));
        assert!(event_from_json(&with(tx, "action", json!("DELETE")), &Context::new()).is_ok());
        let ext =
            json!({"type": "ex:CustomEvent", "eventTime": "2024-05-01T08:00:00Z", "eventTimeZoneOffset": "+00:00"});
        let e = event_from_json(&ext, &ex_ctx()).unwrap();
        assert_eq!(e.kind, EventType::Extension("https://ns.example.com/epcis/CustomEvent".into()));
        // Sensor-only ObjectEvent needs a readPoint.
        let s = json!({"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "sensorElementList": [{"sensorReport": [{"type": "gs1:Temperature", "value": 3}]}]});
        assert_eq!(fails(&s).pointer(), "/epcList");
        assert_eq!(fails(&with(s.clone(), "epcList", json!([]))).pointer(), "/epcList");
        let s = with(s, "readPoint", json!({"id": "urn:epc:id:sgln:0614141.07346.1234"}));
        let e = event_from_json(&s, &Context::new()).unwrap();
        assert_eq!(e.sensor_elements[0].reports[0].kind.as_deref(), Some("https://gs1.org/voc/Temperature"));
        let out = event_to_json(&e, &ExportOptions::default());
        assert!(out.get("epcList").is_none(), "sensor + readPoint needs no epcList");
        assert_eq!(out["sensorElementList"][0]["sensorReport"][0]["type"], "gs1:Temperature");
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
    fn deep_extension_is_refused() {
        let mut x = json!(1);
        for _ in 0..40 {
            x = json!([x]);
        }
        let e = fails(&with(base_event(), "ex:deep", x));
        assert_eq!(e.kind(), ErrorKind::Length);
        assert!(e.pointer().starts_with("/ex:deep/0/0/0"));
    }

    fn lenient(v: &Value) -> Result<(Event, Vec<Warning>), EventError> {
        event_from_json_with(v, &ex_ctx(), ReadOptions::new().lenient(true))
    }

    /// An SSCC EPC URN of 15 digits (7 + 8; an SSCC has 17), as real partner data has them.
    const SSCC15: &str = "urn:epc:id:sscc:0614141.12345678";

    /// One malformed GS1 identifier in each identifier field: strict reading rejects the event at its pointer; a
    /// lenient read keeps the text as an opaque URI in that field, with one warning at the same pointer.
    #[test]
    fn lenient_keeps_malformed_identifiers_as_opaque_uris() {
        type Field = fn(&Event) -> Option<&Id>;
        let agg = json!({"type": "AggregationEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:sscc:0614141.1234567890",
            "childEPCs": ["https://id.gs1.org/01/09506000134352/21/A1"]});
        let tf = json!({"type": "TransformationEvent", "eventTime": "2024-05-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "inputEPCList": ["https://id.gs1.org/01/09506000134352/21/A1"],
            "outputEPCList": ["https://id.gs1.org/01/09506000134352/21/B1"]});
        let qty = |class: &str| json!([{"epcClass": class, "quantity": 2}]);
        let src = |kind: &str, id: &str| json!([{"type": "owning_party", kind: id}]);
        let cases: Vec<(Value, &str, &str, Field)> = vec![
            (
                with(base_event(), "epcList", json!(["https://id.gs1.org/01/09506000134352/21/A1", SSCC15])),
                "/epcList/1",
                SSCC15,
                |e| e.epc_list.get(1),
            ),
            (with(agg.clone(), "parentID", json!(SSCC15)), "/parentID", SSCC15, |e| e.parent_id.as_ref()),
            (
                // A GTIN check digit 3 where 2 belongs.
                with(agg, "childEPCs", json!(["https://id.gs1.org/01/09506000134353/21/A1"])),
                "/childEPCs/0",
                "https://id.gs1.org/01/09506000134353/21/A1",
                |e| e.child_epcs.first(),
            ),
            (
                // Company prefix and item reference of 11 digits (13 belong).
                with(base_event(), "quantityList", qty("urn:epc:class:lgtin:0614141.1073.L1")),
                "/quantityList/0/epcClass",
                "urn:epc:class:lgtin:0614141.1073.L1",
                |e| e.quantity_list.first().map(|q| &q.class),
            ),
            (
                with(base_event(), "readPoint", json!({"id": "urn:epc:id:sgln:0614141.0077.0"})),
                "/readPoint/id",
                "urn:epc:id:sgln:0614141.0077.0",
                |e| e.read_point.as_ref().map(|p| &p.id),
            ),
            (
                // A GLN check digit 9 where 8 belongs.
                with(base_event(), "bizLocation", json!({"id": "https://id.gs1.org/414/9520123456789"})),
                "/bizLocation/id",
                "https://id.gs1.org/414/9520123456789",
                |e| e.biz_location.as_ref().map(|p| &p.id),
            ),
            (
                with(base_event(), "sourceList", src("source", "urn:epc:id:pgln:0614141.0000")),
                "/sourceList/0/source",
                "urn:epc:id:pgln:0614141.0000",
                |e| e.sources.first().map(|s| &s.id),
            ),
            (
                with(base_event(), "destinationList", src("destination", "urn:epc:id:pgln:0614141.0000")),
                "/destinationList/0/destination",
                "urn:epc:id:pgln:0614141.0000",
                |e| e.destinations.first().map(|s| &s.id),
            ),
            (with(tf.clone(), "inputEPCList", json!([SSCC15])), "/inputEPCList/0", SSCC15, |e| {
                e.input_epc_list.first()
            }),
            (with(tf, "outputEPCList", json!([SSCC15])), "/outputEPCList/0", SSCC15, |e| e.output_epc_list.first()),
        ];
        for (v, pointer, value, field) in cases {
            let strict = fails(&v);
            assert_eq!(strict.pointer(), pointer, "{v}");
            let (e, warnings) = lenient(&v).unwrap_or_else(|x| panic!("{v}: {x}"));
            assert_eq!(field(&e), Some(&Id::Uri(value.into())), "{v}");
            let [w] = warnings.as_slice() else { panic!("{v}: {warnings:?}") };
            assert_eq!(
                (w.kind, w.index, w.pointer.as_str(), w.value.as_str(), w.cause),
                (WarningKind::OpaqueId, 0, pointer, value, strict.kind()),
                "{v}"
            );
            assert!(w.message.contains("kept as an opaque URI"), "{}", w.message);
            assert_eq!(w.to_string(), format!("{pointer}: {}", w.message));
            // The same through the byte reader.
            let (again, ws) =
                event_from_slice_with(v.to_string().as_bytes(), &ex_ctx(), ReadOptions::new().lenient(true)).unwrap();
            assert_eq!((again, ws), (e, warnings));
        }
    }

    #[test]
    fn lenient_still_rejects_what_is_not_a_uri() {
        for bad in [json!("not a uri"), json!("0614141.12345678"), json!(""), json!(7)] {
            let v = with(base_event(), "epcList", json!([bad]));
            let (strict, lax) = (fails(&v), lenient(&v).unwrap_err());
            assert_eq!((lax.pointer(), lax.kind()), (strict.pointer(), strict.kind()), "{v}");
        }
        // Too long for an identifier: still an error.
        let long = format!("urn:epc:id:sscc:0614141.{}", "1".repeat(MAX_URI));
        let e = lenient(&with(base_event(), "epcList", json!([long]))).unwrap_err();
        assert_eq!((e.pointer(), e.kind()), ("/epcList/0", ErrorKind::Length));
        // An event with a lenient identifier and another fault is rejected for the fault.
        let v = with(with(base_event(), "epcList", json!([SSCC15])), "bizStep", json!("flying"));
        assert_eq!(lenient(&v).unwrap_err().pointer(), "/bizStep");
    }

    /// Identifier texts around the GS1 forms: well-formed ones, and near misses (digit counts, check digits).
    fn arb_id_text() -> impl Strategy<Value = String> {
        prop_oneof![
            ("[0-9]{6,8}", "[0-9]{8,11}").prop_map(|(c, s)| format!("urn:epc:id:sscc:{c}.{s}")),
            ("[0-9]{7}", "[0-9]{4,7}", "[0-9A-Z]{1,4}").prop_map(|(c, i, s)| format!("urn:epc:id:sgtin:{c}.{i}.{s}")),
            ("[0-9]{13,15}", "[A-Z0-9]{1,6}").prop_map(|(g, s)| format!("https://id.gs1.org/01/{g}/21/{s}")),
            "[0-9]{12,14}".prop_map(|g| format!("https://id.gs1.org/414/{g}")),
            "[a-z]{1,8}".prop_map(|s| format!("urn:example:{s}")),
            "\\PC{0,24}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Lenient reading never changes a well-formed identifier; it only turns a malformed one of URI shape
        /// into an opaque URI with a warning carrying strict reading's error kind.
        #[test]
        fn lenient_only_changes_what_strict_rejects(s in arb_id_text()) {
            let v = with(base_event(), "epcList", json!([s]));
            let strict = event_from_json(&v, &ex_ctx());
            let lax = lenient(&v);
            match (Id::parse(&s), strict, lax) {
                (Ok(id), Ok(e), Ok((l, w))) => {
                    prop_assert_eq!(&e.epc_list, &vec![id]);
                    prop_assert_eq!(l, e);
                    prop_assert!(w.is_empty());
                }
                (Err(x), Err(se), Ok((l, w))) => {
                    prop_assert_eq!(&l.epc_list, &vec![Id::Uri(s.trim().into())]);
                    prop_assert_eq!(w.len(), 1);
                    prop_assert_eq!((w[0].cause, se.kind(), se.pointer()), (x.kind(), x.kind(), "/epcList/0"));
                }
                (Err(_), Err(se), Err(le)) => prop_assert_eq!(se, le),
                (p, s, l) => prop_assert!(false, "parse {:?}, strict {:?}, lenient {:?}", p, s, l),
            }
        }

        /// A lenient read of any exported event is the strict read: no warning, the same event.
        #[test]
        fn lenient_reads_valid_events_as_strict(e in arb_event()) {
            let text = event_to_json(&e, &ExportOptions::default()).to_string();
            let (back, w) = event_from_slice_with(text.as_bytes(), &Context::new(), ReadOptions::new().lenient(true))
                .map_err(|x| TestCaseError::fail(format!("{x}\n{text}")))?;
            prop_assert_eq!(back, e);
            prop_assert!(w.is_empty());
        }

        #[test]
        fn event_from_slice_round_trip(e in arb_event()) {
            let text = event_to_json(&e, &ExportOptions::default()).to_string();
            let back = event_from_slice(text.as_bytes(), &Context::new())
                .map_err(|x| TestCaseError::fail(format!("{x}\n{text}")))?;
            prop_assert_eq!(back, e);
        }
    }
}
