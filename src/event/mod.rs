//! Events: the EPCIS 2.0 model, compact checksummed frames, hash chains and JSON-LD exchange.
//!
//! An [`Event`] records what happened to coded items — **what** (`epc_list`, quantities, parent/children,
//! inputs/outputs), **when** (`event_time` with its local offset), **where** (`read_point`, `biz_location`), **why**
//! (`biz_step`, `disposition`, business transactions, sources and destinations) and **who** ([`Who`]: the
//! responsible party, operator and capturing device) — in the shape of EPCIS 2.0 with CBV 2.0 vocabularies.
//!
//! Identifiers are [`Id`]s: a [`TraceKey`] when the text is a GS1 Digital Link, an EPC URI or a tracecode key
//! (so a URN and a Digital Link of one item are one identifier), otherwise the URI as given (non-GS1 schemes are
//! legal in EPCIS).
//!
//! # Example
//! ```
//! use tracecode::event::{Action, BizStep, Event, EventType, Id, Timestamp};
//!
//! // Shipping one item, at 08:30 local time in UTC+8.
//! let (t, offset) = Timestamp::parse("2026-03-01T08:30:00+08:00")?;
//! let mut e = Event::new(EventType::Object, t, offset);
//! e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
//! e.biz_step = Some(BizStep::Shipping);
//! assert!(e.validate().is_err()); // an ObjectEvent needs an action
//! e.action = Some(Action::Observe);
//! e.validate()?;
//!
//! // The EPC URN and the Digital Link of the item are one identifier.
//! let item = Id::parse("https://id.gs1.org/01/10614141073464/21/2017")?;
//! assert_eq!(e.subjects().collect::<Vec<_>>(), [&item]);
//! # Ok::<(), tracecode::Error>(())
//! ```

mod builder;
pub mod digest;
pub mod epcis_json;
pub mod epcis_xml;
pub mod frame;
pub mod time;
#[cfg(any(feature = "jiff", feature = "time", feature = "chrono"))]
mod time_interop;
pub mod vocab;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use builder::EventBuilder;
pub use time::{Timestamp, TzOffset};
pub use vocab::{BizStep, BizTransactionType, Disposition, ErrorReason, SourceDestType};

use crate::code::{ParseOptions, TraceKey};
use crate::{Error, ErrorKind};

/// Longest identifier or URI accepted in an event (bytes). Bounds memory per field on hostile input.
pub const MAX_URI: usize = 2048;

/// An identifier in an event: a canonical [`TraceKey`] where the text is a known code spelling, otherwise the
/// URI as given.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// A GS1 Digital Link, EPC URI (pure identity or class) or tracecode canonical key.
    Key(TraceKey),
    /// Any other URI, kept verbatim.
    Uri(Box<str>),
}

/// How GS1 identifiers are written on export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdForm {
    /// GS1 Digital Link URIs on `https://id.gs1.org` (the EPCIS 2.0 JSON default).
    #[default]
    DigitalLink,
    /// Tracecode canonical key text (`01/…/21/…`, `cn-drug20:…`), for internal exchange.
    KeyText,
}

impl Id {
    /// Reads an identifier: GS1 Digital Link and EPC URIs (`urn:epc:id:`, `urn:epc:class:`) become keys, as do
    /// tracecode key texts (`01/…/21/…`, `cn-drug20:…`: what [`Id::to_uri`] writes with [`IdForm::KeyText`]);
    /// other URIs are kept.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for text that is not a URI (no scheme, whitespace), [`ErrorKind::Length`] above
    /// [`MAX_URI`]; the code layer's error for a GS1 URI that is malformed (a bad check digit in a Digital Link is an
    /// error, not an opaque URI).
    ///
    /// ```
    /// use tracecode::event::Id;
    /// let a = Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?;
    /// let b = Id::parse("https://id.gs1.org/01/10614141073464/21/2017")?;
    /// assert_eq!(a, b);
    /// assert_eq!(a.to_uri(Default::default()), "https://id.gs1.org/01/10614141073464/21/2017");
    /// assert!(matches!(Id::parse("urn:example:lot:42")?, Id::Uri(_)));
    /// // The key text `to_uri(IdForm::KeyText)` writes reads back.
    /// assert_eq!(Id::parse(&a.to_uri(tracecode::event::IdForm::KeyText))?, a);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        // GS1 key text (`01/…`) has no scheme; every other key text and URI has one.
        if s.as_bytes().first().is_some_and(u8::is_ascii_digit) && !s.contains(':') {
            return s.parse::<TraceKey>().map(Self::Key);
        }
        if s.len() > MAX_URI {
            return Err(Error::new(ErrorKind::Length, MAX_URI, s.len() - MAX_URI, "identifier is too long"));
        }
        if s.is_empty() || !s.contains(':') || s.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(Error::new(ErrorKind::Syntax, 0, s.len(), format!("not a URI: {s:?}")));
        }
        Ok(match crate::code::identifier_key(s, &ParseOptions::new())? {
            Some(k) => Self::Key(k),
            None => Self::Uri(s.into()),
        })
    }

    /// The identifier as a URI in `form`.
    pub fn to_uri(&self, form: IdForm) -> String {
        match self {
            Self::Uri(u) => u.to_string(),
            Self::Key(k) => {
                let text = k.to_string();
                let gs1 = text.as_bytes().first().is_some_and(u8::is_ascii_digit);
                if gs1 && form == IdForm::DigitalLink { format!("https://id.gs1.org/{text}") } else { text }
            }
        }
    }

    /// The key, if the identifier is one.
    pub const fn key(&self) -> Option<&TraceKey> {
        match self {
            Self::Key(k) => Some(k),
            Self::Uri(_) => None,
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_uri(IdForm::DigitalLink))
    }
}

/// [`Id::parse`].
///
/// ```
/// let id: tracecode::event::Id = "urn:epc:id:sgtin:0614141.107346.2017".parse()?;
/// assert_eq!(id.to_string(), "https://id.gs1.org/01/10614141073464/21/2017");
/// # Ok::<(), tracecode::Error>(())
/// ```
impl std::str::FromStr for Id {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A key is an identifier.
///
/// ```
/// use tracecode::event::Id;
/// let key = tracecode::code::parse("(01)09506000134352(21)A1")?.trace_key()?;
/// assert_eq!(Id::from(key.clone()).key(), Some(&key));
/// # Ok::<(), tracecode::Error>(())
/// ```
impl From<TraceKey> for Id {
    fn from(k: TraceKey) -> Self {
        Self::Key(k)
    }
}

/// The binary serde form: what the derive wrote (variant `Key` with the binary key, or `Uri`), so binary encodings
/// do not change.
#[derive(Serialize)]
#[serde(rename = "Id")]
enum IdRef<'a> {
    Key(&'a TraceKey),
    Uri(&'a str),
}

#[derive(Deserialize)]
#[serde(rename = "Id")]
enum IdOwned {
    Key(TraceKey),
    Uri(Box<str>),
}

/// The identifier's text (as [`Display`](fmt::Display): a Digital Link for a GS1 key) in human-readable formats;
/// otherwise the variant with the binary key or the URI.
impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            match self {
                Self::Key(k) => IdRef::Key(k),
                Self::Uri(u) => IdRef::Uri(u),
            }
            .serialize(s)
        }
    }
}

/// Reads what [`Serialize`] writes: in human-readable formats the text (through [`Id::parse`]) or, as earlier
/// versions wrote, `{"Key": …}` / `{"Uri": …}`.
impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'v> serde::de::Visitor<'v> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an identifier URI")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Id::parse(v).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'v>>(self, m: A) -> Result<Id, A::Error> {
                IdOwned::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(Id::from)
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { IdOwned::deserialize(d).map(Id::from) }
    }
}

impl From<IdOwned> for Id {
    fn from(v: IdOwned) -> Self {
        match v {
            IdOwned::Key(k) => Self::Key(k),
            IdOwned::Uri(u) => Self::Uri(u),
        }
    }
}

/// An exact decimal in canonical lexical form (no exponent, no leading `+`, no superfluous zeros:
/// `200.50` → `200.5`, `1.0` → `1`, `1e3` → `1000`). Exact: no binary floating point anywhere, so
/// `12345678901234567890` stays itself (the canonical event hash needs this).
///
/// Deliberately not `Ord`: text order is not numeric order (`"10" < "9"`), and comparisons belong to the query
/// layer, which compares values exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decimal(Box<str>);

impl Decimal {
    /// Longest decimal text accepted.
    pub const MAX_LEN: usize = 64;

    /// Parses a JSON number (or its text), canonicalising it.
    ///
    /// # Errors
    /// [`ErrorKind::Syntax`] for anything that is not a number; [`ErrorKind::Length`] for absurd sizes.
    ///
    /// ```
    /// use tracecode::event::Decimal;
    /// assert_eq!(Decimal::parse("200.50")?.as_str(), "200.5");
    /// assert_eq!(Decimal::parse("-0.0")?.as_str(), "0");
    /// assert_eq!(Decimal::parse("1.5e3")?.as_str(), "1500");
    /// assert_eq!(Decimal::parse("12345678901234567890")?.as_str(), "12345678901234567890");
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        let b = s.trim().as_bytes();
        if b.len() > Self::MAX_LEN {
            return Err(Error::new(ErrorKind::Length, 0, b.len(), "number is too long"));
        }
        let syntax = |at: usize| Error::new(ErrorKind::Syntax, at, 1, format!("not a decimal number: {s:?}"));
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut int = Vec::new();
        let mut frac = Vec::new();
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            int.push(c);
            i += 1;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                frac.push(c);
                i += 1;
            }
        }
        if int.is_empty() && frac.is_empty() {
            return Err(syntax(i));
        }
        let mut exp: i64 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                exp = exp.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                i += 1;
            }
            if i == start || exp > 64 {
                return Err(syntax(start));
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return Err(syntax(i));
        }
        // Shift the decimal point by the exponent over the digit string int‖frac (both bounded above).
        let point = i64::try_from(int.len()).unwrap_or(0) + exp;
        let mut digits = int;
        digits.extend_from_slice(&frac);
        let n = i64::try_from(digits.len()).unwrap_or(0);
        let (mut ip, mut fp): (Vec<u8>, Vec<u8>) = if point <= 0 {
            let mut f = vec![b'0'; usize::try_from(-point).unwrap_or(0)];
            f.extend_from_slice(&digits);
            (Vec::new(), f)
        } else if point >= n {
            let mut v = digits;
            v.resize(usize::try_from(point).unwrap_or(0), b'0');
            (v, Vec::new())
        } else {
            let p = usize::try_from(point).unwrap_or(0);
            let fp = digits.split_off(p);
            (digits, fp)
        };
        let lead = ip.iter().take_while(|&&c| c == b'0').count();
        ip.drain(..lead);
        while fp.last() == Some(&b'0') {
            fp.pop();
        }
        let mut out = String::with_capacity(ip.len() + fp.len() + 3);
        let zero = ip.is_empty() && fp.is_empty();
        if neg && !zero {
            out.push('-');
        }
        if ip.is_empty() {
            out.push('0');
        } else {
            out.extend(ip.iter().map(|&c| char::from(c)));
        }
        if !fp.is_empty() {
            out.push('.');
            out.extend(fp.iter().map(|&c| char::from(c)));
        }
        Ok(Self(out.into()))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Integers are exact decimals: `Decimal::from(50)` is `50`.
///
/// ```
/// use tracecode::event::Decimal;
/// assert_eq!(Decimal::from(-7i64).as_str(), "-7");
/// assert_eq!(Decimal::from(u64::MAX).as_str(), "18446744073709551615");
/// ```
macro_rules! decimal_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Decimal {
            fn from(n: $t) -> Self {
                Self(n.to_string().into())
            }
        }
    )*};
}

decimal_from_int!(i32, i64, u32, u64);

/// The five EPCIS event types, or an extension event type URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// `ObjectEvent`.
    Object,
    /// `AggregationEvent`.
    Aggregation,
    /// `TransactionEvent`.
    Transaction,
    /// `TransformationEvent`.
    Transformation,
    /// `AssociationEvent`.
    Association,
    /// An extension event type, by URI.
    Extension(Box<str>),
}

impl EventType {
    /// The JSON `type` value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Object => "ObjectEvent",
            Self::Aggregation => "AggregationEvent",
            Self::Transaction => "TransactionEvent",
            Self::Transformation => "TransformationEvent",
            Self::Association => "AssociationEvent",
            Self::Extension(u) => u,
        }
    }
}

/// `action`: ADD, OBSERVE or DELETE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs, reason = "EPCIS action values")]
pub enum Action {
    Add,
    Observe,
    Delete,
}

impl Action {
    /// The JSON value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Add => "ADD",
            Self::Observe => "OBSERVE",
            Self::Delete => "DELETE",
        }
    }
}

/// A quantity element: a class-level identifier (GTIN, GTIN + lot, or another URI), a quantity and a unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    /// `epcClass`.
    pub class: Id,
    /// `quantity` (absent means "unspecified").
    pub quantity: Option<Decimal>,
    /// `uom`: UN/ECE Rec 20 code, 2–3 upper-case letters or digits.
    pub uom: Option<Box<str>>,
}

/// True for a `uom` as EPCIS allows it: a UN/ECE Rec 20 code of 2–3 upper-case letters or digits.
pub(crate) fn is_uom(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Quantity {
    /// `quantity` of `class`, without a unit (a count of instances).
    ///
    /// ```
    /// use tracecode::event::{Decimal, Id, Quantity};
    /// let q = Quantity::new(Id::parse("https://id.gs1.org/01/09506000134352")?, Decimal::from(12));
    /// assert_eq!((q.quantity.as_ref().map(Decimal::as_str), q.uom), (Some("12"), None));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub const fn new(class: Id, quantity: Decimal) -> Self {
        Self { class, quantity: Some(quantity), uom: None }
    }

    /// The same quantity measured in `uom`, a UN/ECE Rec 20 code (`KGM`, `LTR`, `MTR`).
    ///
    /// # Errors
    /// [`ErrorKind::Value`] (positioned on `uom`) when `uom` is not 2–3 upper-case letters or digits: the rule the
    /// EPCIS importer applies, so a quantity built here exports to JSON that imports.
    ///
    /// ```
    /// use tracecode::event::{Decimal, Id, Quantity};
    /// let lot = Id::parse("https://id.gs1.org/01/09506000134352/10/LOT42")?;
    /// let q = Quantity::new(lot.clone(), Decimal::parse("2.5")?).with_uom("KGM")?;
    /// assert_eq!(q.uom.as_deref(), Some("KGM"));
    /// assert!(Quantity::new(lot, Decimal::from(1)).with_uom("kg").is_err());
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn with_uom(mut self, uom: &str) -> Result<Self, Error> {
        if !is_uom(uom) {
            return Err(Error::new(
                ErrorKind::Value,
                0,
                uom.len(),
                "uom must be a UN/ECE Rec 20 code of 2-3 upper-case letters or digits",
            ));
        }
        self.uom = Some(uom.into());
        Ok(self)
    }
}

/// A `readPoint` or `bizLocation`: an identifier plus extensions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    /// `id`.
    pub id: Id,
    /// Extensions next to `id`.
    pub extensions: Vec<Extension>,
}

impl Place {
    /// The place `id`, without extensions.
    pub const fn new(id: Id) -> Self {
        Self { id, extensions: Vec::new() }
    }
}

/// A place is its identifier, without extensions ([`Place::new`]).
impl From<Id> for Place {
    fn from(id: Id) -> Self {
        Self::new(id)
    }
}

/// A business transaction reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BizTransaction {
    /// `type` (optional in the schema).
    pub kind: Option<BizTransactionType>,
    /// `bizTransaction` URI.
    pub value: Id,
}

/// A source or destination: a typed party or location.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceDest {
    /// `type`: owning party, possessing party, location, or another URI.
    pub kind: SourceDestType,
    /// The party or location identifier.
    pub id: Id,
}

impl BizTransaction {
    /// A business transaction of type `kind` (`po`, `inv`, `desadv`, ...) identified by `value`.
    pub const fn new(kind: BizTransactionType, value: Id) -> Self {
        Self { kind: Some(kind), value }
    }
}

impl SourceDest {
    /// A source or destination of type `kind` (owning party, possessing party, location) identified by `id`.
    pub const fn new(kind: SourceDestType, id: Id) -> Self {
        Self { kind, id }
    }
}

/// `persistentDisposition`: dispositions set on, or removed from, the objects until changed again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PersistentDisposition {
    /// `set`.
    pub set: Vec<Disposition>,
    /// `unset`.
    pub unset: Vec<Disposition>,
}

/// `sensorMetadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "fields are the EPCIS sensorMetadata keys of the same name")]
pub struct SensorMetadata {
    pub time: Option<Timestamp>,
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub device_id: Option<Box<str>>,
    pub device_metadata: Option<Box<str>>,
    pub raw_data: Option<Box<str>>,
    pub data_processing_method: Option<Box<str>>,
    pub biz_rules: Option<Box<str>>,
    /// Extensions inside `sensorMetadata`.
    pub extensions: Vec<Extension>,
}

/// `sensorReport`: one measurement (all EPCIS 2.0 report fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "fields are the EPCIS sensorReport keys of the same name")]
pub struct SensorReport {
    /// `type`: measurement type, expanded to a full URI (`https://gs1.org/voc/Temperature`).
    pub kind: Option<Box<str>>,
    /// `exception`: `ALARM_CONDITION` or `ERROR_CONDITION` (or a URI).
    pub exception: Option<Box<str>>,
    pub device_id: Option<Box<str>>,
    pub device_metadata: Option<Box<str>>,
    pub raw_data: Option<Box<str>>,
    pub data_processing_method: Option<Box<str>>,
    pub biz_rules: Option<Box<str>>,
    pub time: Option<Timestamp>,
    pub microorganism: Option<Box<str>>,
    pub chemical_substance: Option<Box<str>>,
    pub coordinate_reference_system: Option<Box<str>>,
    pub value: Option<Decimal>,
    pub component: Option<Box<str>>,
    pub string_value: Option<Box<str>>,
    pub boolean_value: Option<bool>,
    pub hex_binary_value: Option<Box<str>>,
    pub uri_value: Option<Box<str>>,
    pub min_value: Option<Decimal>,
    pub max_value: Option<Decimal>,
    pub mean_value: Option<Decimal>,
    pub s_dev: Option<Decimal>,
    pub perc_rank: Option<Decimal>,
    pub perc_value: Option<Decimal>,
    pub uom: Option<Box<str>>,
    /// Extensions inside `sensorReport`.
    pub extensions: Vec<Extension>,
}

/// `sensorElement`: optional metadata and one or more reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SensorElement {
    /// `sensorMetadata`.
    pub metadata: Option<SensorMetadata>,
    /// `sensorReport` (at least one in valid EPCIS).
    pub reports: Vec<SensorReport>,
    /// Extensions inside `sensorElement`.
    pub extensions: Vec<Extension>,
}

/// `errorDeclaration`: this event is declared erroneous (the event itself is never changed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorDeclaration {
    /// `declarationTime`.
    pub declaration_time: Timestamp,
    /// `reason`.
    pub reason: Option<ErrorReason>,
    /// `correctiveEventIDs`.
    pub corrective_event_ids: Vec<Box<str>>,
    /// Extensions inside `errorDeclaration`.
    pub extensions: Vec<Extension>,
}

impl ErrorDeclaration {
    /// A declaration made at `declaration_time`, without reason or corrective events.
    pub const fn new(declaration_time: Timestamp) -> Self {
        Self { declaration_time, reason: None, corrective_event_ids: Vec::new(), extensions: Vec::new() }
    }
}

/// Who is responsible for an event: tracecode's accountability fields, exchanged as the extensions
/// `tc:responsibleParty`, `tc:operator` and `tc:device` in the namespace [`WHO_NAMESPACE`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Who {
    /// The responsible party: a unified social credit code or a party GLN.
    pub party: Option<Id>,
    /// The person who operated (an operator id, not personal data in clear).
    pub operator: Option<Box<str>>,
    /// The capturing device (scanner, reader, line controller).
    pub device: Option<Box<str>>,
}

/// JSON-LD namespace of tracecode's [`Who`] extension fields.
pub const WHO_NAMESPACE: &str = "urn:tracecode:epcis:";

/// A JSON value inside an extension. The default is `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExtValue {
    /// `null`.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as its canonical decimal text.
    Number(Decimal),
    /// A string.
    String(Box<str>),
    /// An array.
    Array(Vec<ExtValue>),
    /// An object of named members (nested extensions).
    Object(Vec<Extension>),
}

/// A namespaced extension property: its name as a full IRI (`https://ns.example.com/epcis/temperature`), and its
/// value, nesting kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extension {
    /// Expanded name: namespace IRI followed by the local name.
    pub name: Box<str>,
    /// The value.
    pub value: ExtValue,
}

impl Extension {
    /// The property `name` (a full IRI: namespace followed by the local name) with `value`.
    ///
    /// ```
    /// use tracecode::event::{Decimal, ExtValue, Extension};
    /// let x = Extension::new("https://ns.example.com/epcis/temperature", Decimal::parse("4.5")?);
    /// assert_eq!(x.value, ExtValue::Number(Decimal::parse("4.5")?));
    /// assert_eq!(Extension::new("urn:x:ok", true).value, ExtValue::Bool(true));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn new(name: impl Into<Box<str>>, value: impl Into<ExtValue>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// A string value.
impl From<&str> for ExtValue {
    fn from(s: &str) -> Self {
        Self::String(s.into())
    }
}

/// A string value.
impl From<String> for ExtValue {
    fn from(s: String) -> Self {
        Self::String(s.into())
    }
}

/// A boolean value.
impl From<bool> for ExtValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// A number value.
impl From<Decimal> for ExtValue {
    fn from(d: Decimal) -> Self {
        Self::Number(d)
    }
}

/// A JSON-LD prefix declared for an event's extensions, kept so export writes the same CURIEs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Namespace {
    /// Prefix, e.g. `ex`.
    pub prefix: Box<str>,
    /// Namespace IRI, e.g. `https://ns.example.com/epcis/`.
    pub iri: Box<str>,
}

/// One EPCIS 2.0 event, all standard fields, plus tracecode's [`Who`].
///
/// Lists are empty when absent; `Option`s are `None` when absent. Validation of the type-specific rules
/// (events.md §2.4) is [`Event::validate`]. Build one with [`Event::object`], [`Event::aggregation`],
/// [`Event::association`], [`Event::transaction`] or [`Event::transformation`] and the chained setters of
/// [`EventBuilder`], whose `build` validates; or with [`Event::new`] and the public fields.
///
/// `Event` is deliberately not `Default`: no event type, time or offset is a meaningful default (a defaulted time
/// would be 1970-01-01T00:00:00Z and a defaulted offset UTC: an event recorded at the wrong time and place,
/// silently). Parts whose every field may be empty are `Default` ([`PersistentDisposition`], [`SensorElement`],
/// [`SensorMetadata`], [`SensorReport`], [`Who`], and [`ExtValue`] as `null`); parts with a required identifier or
/// time have constructors instead ([`Quantity::new`], [`Place::new`], [`BizTransaction::new`],
/// [`SourceDest::new`], [`ErrorDeclaration::new`], [`Extension::new`]).
///
/// `Event` (and the structs it is made of) has no serde implementation on purpose: derived serde would give
/// Rust-shaped JSON (snake-case names, nanosecond integers), which no EPCIS system reads. EPCIS 2.0 JSON-LD is
/// [`epcis_json`] ([`event_to_json`](epcis_json::event_to_json), [`event_from_slice`](epcis_json::event_from_slice),
/// [`DocumentWriter`](epcis_json::DocumentWriter)); the compact binary form is [`frame`]. Identifiers, times,
/// [`EventId`](digest::EventId) and [`Link`](digest::Link) do implement serde: their text in human-readable formats.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "fields are the EPCIS 2.0 JSON keys of the same name, in snake case")]
pub struct Event {
    /// `type`.
    pub kind: EventType,
    pub event_time: Timestamp,
    pub event_time_zone_offset: TzOffset,
    pub record_time: Option<Timestamp>,
    /// `eventID`: the identifier the capturing application gave the event (a URI), distinct from the content
    /// address [`EventId`](digest::EventId) tracecode computes.
    pub epcis_event_id: Option<Box<str>>,
    pub certification_info: Vec<Box<str>>,
    pub error_declaration: Option<ErrorDeclaration>,
    pub action: Option<Action>,
    pub parent_id: Option<Id>,
    pub epc_list: Vec<Id>,
    pub quantity_list: Vec<Quantity>,
    pub child_epcs: Vec<Id>,
    pub child_quantity_list: Vec<Quantity>,
    pub input_epc_list: Vec<Id>,
    pub input_quantity_list: Vec<Quantity>,
    pub output_epc_list: Vec<Id>,
    pub output_quantity_list: Vec<Quantity>,
    pub transformation_id: Option<Box<str>>,
    pub biz_step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    pub persistent_disposition: Option<PersistentDisposition>,
    pub read_point: Option<Place>,
    pub biz_location: Option<Place>,
    pub biz_transactions: Vec<BizTransaction>,
    pub sources: Vec<SourceDest>,
    pub destinations: Vec<SourceDest>,
    pub sensor_elements: Vec<SensorElement>,
    /// `ilmd`: instance/lot master data.
    pub ilmd: Vec<Extension>,
    /// Event-level extensions, in document order.
    pub extensions: Vec<Extension>,
    /// Prefixes of the extension namespaces this event uses.
    pub namespaces: Vec<Namespace>,
    /// Responsibility: party, operator, device.
    pub who: Who,
}

impl Event {
    /// An event of `kind` at `time` (UTC offset), every other field empty.
    pub fn new(kind: EventType, time: Timestamp, offset: TzOffset) -> Self {
        Self {
            kind,
            event_time: time,
            event_time_zone_offset: offset,
            record_time: None,
            epcis_event_id: None,
            certification_info: Vec::new(),
            error_declaration: None,
            action: None,
            parent_id: None,
            epc_list: Vec::new(),
            quantity_list: Vec::new(),
            child_epcs: Vec::new(),
            child_quantity_list: Vec::new(),
            input_epc_list: Vec::new(),
            input_quantity_list: Vec::new(),
            output_epc_list: Vec::new(),
            output_quantity_list: Vec::new(),
            transformation_id: None,
            biz_step: None,
            disposition: None,
            persistent_disposition: None,
            read_point: None,
            biz_location: None,
            biz_transactions: Vec::new(),
            sources: Vec::new(),
            destinations: Vec::new(),
            sensor_elements: Vec::new(),
            ilmd: Vec::new(),
            extensions: Vec::new(),
            namespaces: Vec::new(),
            who: Who::default(),
        }
    }

    /// Every identifier the event is *about*: epc, parent, child, input and output lists and quantity classes
    /// (the codes whose chains this event joins).
    pub fn subjects(&self) -> impl Iterator<Item = &Id> + '_ {
        self.parent_id
            .iter()
            .chain(&self.epc_list)
            .chain(&self.child_epcs)
            .chain(&self.input_epc_list)
            .chain(&self.output_epc_list)
            .chain(
                self.quantity_list
                    .iter()
                    .chain(&self.child_quantity_list)
                    .chain(&self.input_quantity_list)
                    .chain(&self.output_quantity_list)
                    .map(|q| &q.class),
            )
    }

    /// Checks the rules of EPCIS 2.0 that the field types cannot express (events.md §2.3–§2.4): which event types
    /// need an `action`, a `parentID`, business transactions, and **at least one object** to be about.
    ///
    /// This is the one home of these rules: the EPCIS JSON importer ([`epcis_json`]) runs it on every event it
    /// reads, and both stores run it on every event they ingest, so an event the importer refuses is refused
    /// everywhere, and every event that passes exports to JSON the importer reads back.
    ///
    /// What counts is **content, never presence**: an empty list is an absent list (the model cannot tell them apart,
    /// and an export writes no empty lists but the one the JSON Schema asks for, below). So `"epcList": []` alone
    /// names no object and is refused, although the JSON Schema lets an empty `epcList` through: the standard defines
    /// the list as "one or more EPCs", and the Schema's `minItems: 0` only admits the `epcList` element EPCIS 1.x XML
    /// always wrote, empty beside a `quantityList`. An event that names no object joins no chain: nothing could
    /// ever trace it.
    ///
    /// | type | rules |
    /// |---|---|
    /// | `ObjectEvent` | `action`; a non-empty `epcList` or `quantityList`, or a `sensorElementList` with a `readPoint` (sensor readings at a place); `ilmd` only with `ADD` |
    /// | `AggregationEvent` | `action`; `parentID` unless `OBSERVE`; `childEPCs` or `childQuantityList` unless `DELETE` |
    /// | `AssociationEvent` | `action`; `parentID`; `childEPCs` or `childQuantityList` unless `DELETE` |
    /// | `TransactionEvent` | `action`; a non-empty `epcList` or `quantityList`, or a `parentID` (a pallet named for the whole load), unless `DELETE`; at least one `bizTransaction` |
    /// | `TransformationEvent` | no `action`; inputs and outputs, or a `transformationID` with either |
    /// | extension type | none |
    ///
    /// A `TransactionEvent` that names only its `parentID` is exported with `"epcList": []`, the key the JSON
    /// Schema asks for.
    ///
    /// # Errors
    /// An [`EventError`](epcis_json::EventError) of kind [`ErrorKind::Syntax`] for the first rule that fails, in
    /// the order of the table; its [`pointer`](epcis_json::EventError::pointer) names the field the rule is about
    /// (`/epcList`, `/action`, `/parentID`, `/childEPCs`, `/bizTransactionList`, `/inputEPCList`, `/outputEPCList`,
    /// `/ilmd`), as the importer reports it. It converts into an [`Error`] (`?`) whose message starts with the
    /// pointer.
    ///
    /// ```
    /// use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
    /// let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
    /// e.action = Some(Action::Observe);
    /// let err = e.validate().unwrap_err(); // an ObjectEvent about nothing
    /// assert_eq!(err.pointer(), "/epcList");
    /// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
    /// e.validate()?;
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), epcis_json::EventError> {
        let fail = |field: &str, m: &str| Err(epcis_json::EventError::new(ErrorKind::Syntax, format!("/{field}"), m));
        let has_children = !self.child_epcs.is_empty() || !self.child_quantity_list.is_empty();
        let has_objects = !self.epc_list.is_empty() || !self.quantity_list.is_empty();
        let name = self.kind.as_str();
        if !matches!(self.kind, EventType::Transformation | EventType::Extension(_)) && self.action.is_none() {
            return fail("action", &format!("{name} needs an action"));
        }
        match self.kind {
            EventType::Object => {
                if !self.ilmd.is_empty() && self.action != Some(Action::Add) {
                    return fail("ilmd", "ilmd is only allowed on an ObjectEvent with action ADD");
                }
                let sensors_at_a_place = !self.sensor_elements.is_empty() && self.read_point.is_some();
                if !has_objects && !sensors_at_a_place {
                    return fail(
                        "epcList",
                        "ObjectEvent needs a non-empty epcList or quantityList, or a sensorElementList with a readPoint",
                    );
                }
            }
            EventType::Aggregation | EventType::Association => {
                let parent_optional = self.kind == EventType::Aggregation && self.action == Some(Action::Observe);
                if self.parent_id.is_none() && !parent_optional {
                    let when = if self.kind == EventType::Aggregation { " with ADD or DELETE" } else { "" };
                    return fail("parentID", &format!("{name}{when} needs a parentID"));
                }
                if self.action != Some(Action::Delete) && !has_children {
                    return fail("childEPCs", &format!("{name} needs childEPCs or childQuantityList (unless DELETE)"));
                }
            }
            EventType::Transaction => {
                if self.action != Some(Action::Delete) && !has_objects && self.parent_id.is_none() {
                    return fail(
                        "epcList",
                        "TransactionEvent needs a non-empty epcList or quantityList, or a parentID (unless DELETE)",
                    );
                }
                if self.biz_transactions.is_empty() {
                    return fail("bizTransactionList", "TransactionEvent needs at least one bizTransaction");
                }
            }
            EventType::Transformation => {
                if self.action.is_some() {
                    return fail("action", "TransformationEvent has no action");
                }
                let ins = !self.input_epc_list.is_empty() || !self.input_quantity_list.is_empty();
                let outs = !self.output_epc_list.is_empty() || !self.output_quantity_list.is_empty();
                if !(ins && outs || self.transformation_id.is_some() && (ins || outs)) {
                    return fail(
                        if ins { "outputEPCList" } else { "inputEPCList" },
                        "TransformationEvent needs inputs and outputs, or a transformationID with either",
                    );
                }
            }
            EventType::Extension(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rule of `validate`, failing and then satisfied, with the pointer of its field.
    #[test]
    fn validate_enforces_each_type_rule_at_its_field() {
        let id = |s: &str| Id::parse(s).unwrap();
        let ev = |kind: EventType, action: Option<Action>| {
            let mut e = Event::new(kind, Timestamp(0), TzOffset::UTC);
            e.action = action;
            e
        };
        let q = Quantity { class: id("urn:example:class:a"), quantity: None, uom: None };
        let pointer = |e: &Event| e.validate().err().map(|x| x.pointer().to_owned());
        let place = Place { id: id("urn:epc:id:sgln:0614141.07346.1234"), extensions: Vec::new() };

        // ObjectEvent: action, then a named object (content, not presence), then ilmd only with ADD.
        let mut e = ev(EventType::Object, None);
        assert_eq!(pointer(&e).as_deref(), Some("/action"));
        e.action = Some(Action::Observe);
        assert_eq!(pointer(&e).as_deref(), Some("/epcList"));
        e.sensor_elements.push(SensorElement::default());
        assert_eq!(pointer(&e).as_deref(), Some("/epcList"), "sensors need a readPoint");
        e.read_point = Some(place);
        assert_eq!(pointer(&e), None, "sensor readings at a place");
        e.sensor_elements.clear();
        e.quantity_list.push(q.clone());
        assert_eq!(pointer(&e), None);
        e.ilmd.push(Extension { name: "urn:x:lot".into(), value: ExtValue::Null });
        assert_eq!(pointer(&e).as_deref(), Some("/ilmd"));
        e.action = Some(Action::Add);
        assert_eq!(pointer(&e), None);

        // AggregationEvent: parentID unless OBSERVE, children unless DELETE.
        let mut e = ev(EventType::Aggregation, Some(Action::Add));
        assert_eq!(pointer(&e).as_deref(), Some("/parentID"));
        e.action = Some(Action::Observe);
        assert_eq!(pointer(&e).as_deref(), Some("/childEPCs"));
        e.child_quantity_list.push(q.clone());
        assert_eq!(pointer(&e), None);
        let mut e = ev(EventType::Aggregation, Some(Action::Delete));
        e.parent_id = Some(id("urn:example:pallet:1"));
        assert_eq!(pointer(&e), None, "DELETE with only a parent empties it");

        // AssociationEvent: parentID always.
        let mut e = ev(EventType::Association, Some(Action::Delete));
        assert_eq!(pointer(&e).as_deref(), Some("/parentID"));
        e.parent_id = Some(id("urn:example:asset:1"));
        assert_eq!(pointer(&e), None);
        e.action = Some(Action::Add);
        assert_eq!(pointer(&e).as_deref(), Some("/childEPCs"));

        // TransactionEvent: objects or a parent unless DELETE, then a business transaction.
        let mut e = ev(EventType::Transaction, Some(Action::Add));
        assert_eq!(pointer(&e).as_deref(), Some("/epcList"));
        e.parent_id = Some(id("urn:example:pallet:1"));
        assert_eq!(pointer(&e).as_deref(), Some("/bizTransactionList"));
        e.biz_transactions.push(BizTransaction { kind: None, value: id("urn:example:po:1") });
        assert_eq!(pointer(&e), None);
        e.parent_id = None;
        e.action = Some(Action::Delete);
        assert_eq!(pointer(&e), None);

        // TransformationEvent: no action; inputs and outputs, or an id with either.
        let mut e = ev(EventType::Transformation, Some(Action::Add));
        assert_eq!(pointer(&e).as_deref(), Some("/action"));
        e.action = None;
        assert_eq!(pointer(&e).as_deref(), Some("/inputEPCList"));
        e.input_quantity_list.push(q.clone());
        assert_eq!(pointer(&e).as_deref(), Some("/outputEPCList"));
        e.transformation_id = Some("urn:example:t:1".into());
        assert_eq!(pointer(&e), None);

        // Extension event types: no rule. The error converts into the crate's, the pointer leading the message.
        assert_eq!(pointer(&ev(EventType::Extension("urn:x:E".into()), None)), None);
        let err = Error::from(ev(EventType::Object, Some(Action::Add)).validate().unwrap_err());
        assert_eq!(err.kind(), ErrorKind::Syntax);
        assert!(err.message().starts_with("/epcList: ObjectEvent needs"), "{err}");
    }

    #[test]
    fn id_serde_text_when_human_readable_variant_otherwise() {
        let key = Id::parse("urn:epc:id:sgtin:0614141.107346.2017").unwrap();
        let uri = Id::parse("urn:example:lot:42").unwrap();
        for (id, text) in [(&key, "https://id.gs1.org/01/10614141073464/21/2017"), (&uri, "urn:example:lot:42")] {
            let json = serde_json::to_string(id).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(&serde_json::from_str::<Id>(&json).unwrap(), id);
        }
        // The derive's JSON of earlier versions still reads.
        let old = format!("{{\"Key\":{}}}", serde_json::to_string(key.key().unwrap().as_bytes()).unwrap());
        assert_eq!(serde_json::from_str::<Id>(&old).unwrap(), key);
        assert_eq!(serde_json::from_str::<Id>("{\"Uri\":\"urn:example:lot:42\"}").unwrap(), uri);
        assert!(serde_json::from_str::<Id>("\"not a uri\"").is_err());
        // bincode: the derive's form, unchanged (u32 variant index, then the key bytes or the URI).
        let bin = bincode::serialize(&key).unwrap();
        assert_eq!(bin.get(..4), Some(&[0u8, 0, 0, 0][..]));
        assert_eq!(bin.get(12..), Some(key.key().unwrap().as_bytes()));
        assert_eq!(bincode::deserialize::<Id>(&bin).unwrap(), key);
        let bin = bincode::serialize(&uri).unwrap();
        assert_eq!(bin, bincode::serialize(&(1u32, "urn:example:lot:42")).unwrap());
        assert_eq!(bincode::deserialize::<Id>(&bin).unwrap(), uri);
    }
}
