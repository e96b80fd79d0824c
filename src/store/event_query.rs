//! The EPCIS query language over a store: [`EventQuery`] is a SimpleEventQuery (EPCIS 2.0 §8.2.7.1), every
//! parameter of it as a typed condition ([`Cond`]), with the result shaping (order, limits, paging).
//!
//! - **Reading one**: [`EventQuery::from_params`] takes the standard parameter names and their values, however
//!   they arrived: the REST binding's JSON query ([`EventQuery::from_json`]), the 1.2 XML `Poll`
//!   ([`EventQuery::from_poll_xml`]), or `NAME=VALUE` pairs ([`EventQuery::from_pairs`], what the CLI takes).
//!   Values inside one parameter are OR-ed, parameters are AND-ed; an unknown name, a repeated one or a value of
//!   the wrong type is a [`ErrorKind::QueryParameter`](crate::ErrorKind::QueryParameter) error naming it.
//! - **Meaning**: [`EventQuery::matches`] decides one event (`docs/QUERY.md` has the rule of each parameter and
//!   where the standard left a choice). It is the single definition both stores answer by.
//! - **Answering**: [`TraceStore::event_query`](super::TraceStore::event_query) returns one page
//!   ([`EventPage`]); pass its `next` back as [`EventQuery::after`] for the following one. The in-memory store
//!   filters every event; the RocksDB store plans over its indexes and must give exactly the same pages (the
//!   query oracle test holds it to that).
//!
//! ```
//! use tracecode::event::{Action, BizStep, Event, EventType, Id, Timestamp};
//! use tracecode::store::{EventQuery, MemoryStore, TraceStore};
//!
//! let store = MemoryStore::new();
//! let (t, off) = Timestamp::parse("2026-03-01T08:00:00+08:00")?;
//! let mut e = Event::new(EventType::Object, t, off);
//! e.action = Some(Action::Observe);
//! e.biz_step = Some(BizStep::Shipping);
//! e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
//! store.ingest(vec![e])?;
//!
//! let q = EventQuery::from_pairs(&[
//!     ("EQ_bizStep", "shipping"),
//!     ("MATCH_epc", "urn:epc:idpat:sgtin:0614141.107346.*"),
//!     ("GE_eventTime", "2026-01-01T00:00:00Z"),
//! ])?;
//! let page = store.event_query(&q)?;
//! assert_eq!(page.events.len(), 1);
//! assert!(page.next.is_none());
//! # Ok::<(), tracecode::Error>(())
//! ```

mod cursor;
mod epc_match;
mod field;
mod matcher;
pub(crate) mod naive;
pub(crate) mod order;
mod params;
mod units;
mod wire;

#[cfg(test)]
mod tests;

use crate::event::digest::EventId;
use crate::event::{
    Action, BizStep, BizTransactionType, Disposition, ErrorReason, Event, EventType, Id, SourceDestType, Timestamp,
};

pub use cursor::QueryCursor;
pub use epc_match::EpcMatch;
pub(crate) use epc_match::idpat_class;
pub(crate) use field::value_keys;
pub use field::{FieldName, FieldValue, ValueKind};
#[cfg(feature = "rocksdb")]
pub(crate) use matcher::Prepared;
pub(crate) use naive::run_naive;
#[cfg(feature = "rocksdb")]
pub(crate) use naive::{finish, run_prepared};
pub use order::{Direction, OrderBy};
pub(crate) use params::params_from_pairs;
pub use params::{MAX_VALUES, Param};
pub use units::convert as convert_unit;
pub use wire::MAX_QUERY_BYTES;

use super::Seq;

/// Events in one page unless [`EventQuery::page_size`] says otherwise.
pub const DEFAULT_PAGE: usize = 100;

/// A comparison of a query parameter (`EQ_`, `GT_`, `GE_`, `LT_`, `LE_`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `EQ_`: equal to one of the values.
    Eq,
    /// `GT_`: greater than.
    Gt,
    /// `GE_`: greater than or equal.
    Ge,
    /// `LT_`: less than.
    Lt,
    /// `LE_`: less than or equal.
    Le,
}

impl Cmp {
    /// The parameter prefix (`EQ`, `GT`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "EQ",
            Self::Gt => "GT",
            Self::Ge => "GE",
            Self::Lt => "LT",
            Self::Le => "LE",
        }
    }

    /// Whether `ord` (the field's value compared with the parameter's) satisfies the comparison.
    pub const fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        matches!(
            (self, ord),
            (Self::Eq, Equal)
                | (Self::Gt, Greater)
                | (Self::Ge, Greater | Equal)
                | (Self::Lt, Less)
                | (Self::Le, Less | Equal)
        )
    }
}

/// A numeric test: `EQ_` holds when the field equals any of the values; the others compare with the one value.
#[derive(Clone, Debug, PartialEq)]
pub struct NumTest {
    /// The comparison.
    pub cmp: Cmp,
    /// The values (one, except for `EQ_` lists).
    pub values: Vec<f64>,
    /// The unit the values are in (`_{UOM}` suffix, UN/ECE Rec. 20 code); `None` for a bare parameter.
    pub uom: Option<Box<str>>,
}

/// Which place field a location condition tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaceField {
    /// `readPoint`.
    ReadPoint,
    /// `bizLocation`.
    BizLocation,
}

/// Which identifier fields a `MATCH_` parameter tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpcField {
    /// `MATCH_epc`: `epcList` and `childEPCs`.
    Epc,
    /// `MATCH_parentID`: `parentID`.
    ParentId,
    /// `MATCH_inputEPC`: `inputEPCList`.
    InputEpc,
    /// `MATCH_outputEPC`: `outputEPCList`.
    OutputEpc,
    /// `MATCH_anyEPC`: `epcList`, `childEPCs`, `inputEPCList`, `outputEPCList` and `parentID`.
    AnyEpc,
    /// `MATCH_epcClass`: the classes of `quantityList` and `childQuantityList`.
    EpcClass,
    /// `MATCH_inputEPCClass`: the classes of `inputQuantityList`.
    InputEpcClass,
    /// `MATCH_outputEPCClass`: the classes of `outputQuantityList`.
    OutputEpcClass,
    /// `MATCH_anyEPCClass`: the classes of every quantity list.
    AnyEpcClass,
}

impl EpcField {
    /// The parameter name.
    pub const fn param(self) -> &'static str {
        match self {
            Self::Epc => "MATCH_epc",
            Self::ParentId => "MATCH_parentID",
            Self::InputEpc => "MATCH_inputEPC",
            Self::OutputEpc => "MATCH_outputEPC",
            Self::AnyEpc => "MATCH_anyEPC",
            Self::EpcClass => "MATCH_epcClass",
            Self::InputEpcClass => "MATCH_inputEPCClass",
            Self::OutputEpcClass => "MATCH_outputEPCClass",
            Self::AnyEpcClass => "MATCH_anyEPCClass",
        }
    }

    /// Whether the field holds quantity classes (rather than instance identifiers).
    pub const fn is_class(self) -> bool {
        matches!(self, Self::EpcClass | Self::InputEpcClass | Self::OutputEpcClass | Self::AnyEpcClass)
    }
}

/// Where an extension-field parameter looks (`EQ_{field}`, `EQ_ILMD_{field}`, `EQ_ERROR_DECLARATION_{field}`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldScope {
    /// The event's own extension fields (no infix).
    Event,
    /// `ILMD_`: the instance/lot master data.
    Ilmd,
    /// `ERROR_DECLARATION_`: the error declaration's extensions.
    ErrorDeclaration,
    /// `SENSORELEMENT_`: a sensor element's extensions.
    SensorElement,
    /// `SENSORMETADATA_`: a sensor element's metadata extensions.
    SensorMetadata,
    /// `SENSORREPORT_`: a sensor report's extensions.
    SensorReport,
    /// `readPoint_` (`EQ_readPoint_{field}`): the read point's extensions.
    ReadPoint,
    /// `bizLocation_` (`EQ_bizLocation_{field}`): the business location's extensions.
    BizLocation,
}

/// What an extension-field parameter asks of the field.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldTest {
    /// `EXISTS_`: the field is present.
    Exists,
    /// `EQ_`: equal to one of the values; `GT_`/`GE_`/`LT_`/`LE_`: ordered against the one value (numbers with
    /// numbers, times with times).
    Cmp(Cmp, Vec<FieldValue>),
}

/// A sensor field tested by text equality (`EQ_type`, `EQ_deviceID`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SensorText {
    /// `EQ_type`: the report's measurement type.
    Type,
    /// `EQ_deviceID`: the report's or the metadata's device.
    DeviceId,
    /// `EQ_dataProcessingMethod`: the report's or the metadata's.
    DataProcessingMethod,
    /// `EQ_microorganism`.
    Microorganism,
    /// `EQ_chemicalSubstance`.
    ChemicalSubstance,
    /// `EQ_bizRules`: the report's or the metadata's.
    BizRules,
    /// `EQ_stringValue`.
    StringValue,
    /// `EQ_hexBinaryValue` (compared without regard to letter case).
    HexBinaryValue,
    /// `EQ_uriValue`.
    UriValue,
    /// `EQ_deviceMetadata`: the report's or the metadata's.
    DeviceMetadata,
    /// `EQ_rawData`: the report's or the metadata's.
    RawData,
}

/// A sensor time tested against a bound (`GE_time`, `LT_startTime`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SensorTime {
    /// `time`: the metadata's or the report's.
    Time,
    /// `startTime` of the metadata.
    StartTime,
    /// `endTime` of the metadata.
    EndTime,
}

/// A numeric sensor-report field (`GE_value_CEL`, `LT_percRank`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SensorNumber {
    /// `value`.
    Value,
    /// `minValue`.
    MinValue,
    /// `maxValue`.
    MaxValue,
    /// `meanValue`.
    MeanValue,
    /// `sDev`.
    SDev,
    /// `percValue`.
    PercValue,
    /// `percRank` (no unit).
    PercRank,
}

/// One condition of a query: one standard parameter, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `eventType`.
    EventType(Vec<EventType>),
    /// `GE_eventTime` / `LT_eventTime`.
    EventTime(Cmp, Timestamp),
    /// `GE_recordTime` / `LT_recordTime` (events without a record time never match).
    RecordTime(Cmp, Timestamp),
    /// `EQ_action`.
    Action(Vec<Action>),
    /// `EQ_bizStep`.
    BizStep(Vec<BizStep>),
    /// `EQ_disposition`.
    Disposition(Vec<Disposition>),
    /// `EQ_persistentDisposition_set` (`unset: false`) / `EQ_persistentDisposition_unset`.
    PersistentDisposition {
        /// Tests the `unset` list rather than `set`.
        unset: bool,
        /// Any of these.
        values: Vec<Disposition>,
    },
    /// `EQ_readPoint`, `WD_readPoint`, `EQ_bizLocation`, `WD_bizLocation`.
    Place {
        /// Which field.
        field: PlaceField,
        /// `WD_`: the places and their descendants in the location hierarchy of the master data.
        descendants: bool,
        /// Any of these.
        ids: Vec<Id>,
    },
    /// `EQ_transformationID`.
    TransformationId(Vec<Box<str>>),
    /// `MATCH_*`.
    Epc {
        /// Which fields.
        field: EpcField,
        /// Any of these identifiers or patterns.
        values: Vec<EpcMatch>,
    },
    /// `EQ_/GT_/GE_/LT_/LE_quantity[_{UOM}]`: a quantity element of any quantity list.
    Quantity(NumTest),
    /// `EQ_eventID`: the event's `eventID`.
    EventId(Vec<Box<str>>),
    /// `EXISTS_errorDeclaration`.
    ErrorDeclared,
    /// `GE_errorDeclarationTime` / `LT_errorDeclarationTime`.
    ErrorDeclarationTime(Cmp, Timestamp),
    /// `EQ_errorReason`.
    ErrorReason(Vec<ErrorReason>),
    /// `EQ_correctiveEventID`.
    CorrectiveEventId(Vec<Box<str>>),
    /// `EQ_bizTransaction_{type}`.
    BizTransaction {
        /// The transaction type.
        kind: BizTransactionType,
        /// Any of these transaction ids.
        values: Vec<Id>,
    },
    /// `EQ_source_{type}` (`destination: false`) / `EQ_destination_{type}`.
    SourceDest {
        /// Tests `destinationList` rather than `sourceList`.
        destination: bool,
        /// The source/destination type.
        kind: SourceDestType,
        /// Any of these.
        values: Vec<Id>,
    },
    /// An extension field: `{EQ,GT,GE,LT,LE,EXISTS}_[INNER_][ILMD_|ERROR_DECLARATION_|SENSOR…_]{field}`.
    Field {
        /// Where.
        scope: FieldScope,
        /// `INNER_`: nested at any depth below the top level of the scope, rather than at its top level.
        inner: bool,
        /// The field's name.
        name: FieldName,
        /// The test.
        test: FieldTest,
    },
    /// `EXISTS_sensorElementList`.
    SensorExists,
    /// A sensor time bound (`GE_time`, `LT_endTime`, ...).
    SensorTime(SensorTime, Cmp, Timestamp),
    /// A sensor text field (`EQ_type`, `EQ_deviceID`, ...).
    SensorText(SensorText, Vec<Box<str>>),
    /// `EQ_booleanValue`.
    SensorBool(bool),
    /// A numeric sensor field (`GE_value_CEL`, `LT_percRank`, ...).
    SensorNumber(SensorNumber, NumTest),
    /// `HASATTR_{field}` (`values: None`: any of the attribute names in `attrs`) and `EQATTR_{field}_{attr}`: the
    /// master data of the vocabulary element in `field` (`bizLocation`, `readPoint`, or an EPC-class field).
    Attr {
        /// The event field holding the vocabulary element (`bizLocation`, `readPoint`, `epcClass`, ...).
        field: Box<str>,
        /// `HASATTR_`: the attribute names (any present); `EQATTR_`: the one attribute.
        attrs: Vec<Box<str>>,
        /// `EQATTR_`: the attribute's value is one of these; `None` for `HASATTR_`.
        values: Option<Vec<Box<str>>>,
    },
}

/// A SimpleEventQuery: the conjunction of its conditions, and how results come back.
///
/// Build one from parameters ([`Self::from_pairs`], [`Self::from_json`], [`Self::from_poll_xml`]) or directly.
/// The default (no conditions) matches every event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQuery {
    /// The conditions, all of which an event must meet.
    pub conds: Vec<Cond>,
    /// `orderBy`. The standard leaves the order unspecified without it; tracecode then answers in ascending
    /// event time (ties in capture order), the order a feed reader expects.
    pub order_by: Option<OrderBy>,
    /// `orderDirection`, used with `orderBy` (the standard's default there is descending).
    pub direction: Option<Direction>,
    /// `eventCountLimit`: at most this many events in the whole result (across pages), the rest dropped.
    pub event_count_limit: Option<u64>,
    /// `maxEventCount`: more matching events than this is a
    /// [`ErrorKind::QueryTooLarge`](crate::ErrorKind::QueryTooLarge) error (checked on the first page).
    pub max_event_count: Option<u64>,
    /// Events per page (at least 1 is used).
    pub page_size: usize,
    /// Resume after this position (a previous page's [`EventPage::next`]).
    pub after: Option<QueryCursor>,
}

impl Default for EventQuery {
    fn default() -> Self {
        Self {
            conds: Vec::new(),
            order_by: None,
            direction: None,
            event_count_limit: None,
            max_event_count: None,
            page_size: DEFAULT_PAGE,
            after: None,
        }
    }
}

impl EventQuery {
    /// Whether answering needs master data (a `WD_` location hierarchy, `HASATTR_`/`EQATTR_`).
    pub fn needs_master_data(&self) -> bool {
        self.conds.iter().any(|c| matches!(c, Cond::Place { descendants: true, .. } | Cond::Attr { .. }))
    }

    /// The order the answer comes in: `orderBy` with `orderDirection` (descending unless given), or ascending
    /// event time without `orderBy`.
    ///
    /// ```
    /// use tracecode::store::EventQuery;
    /// use tracecode::store::event_query::{Direction, OrderBy};
    /// assert_eq!(EventQuery::default().order(), (OrderBy::EventTime, Direction::Asc));
    /// let q = EventQuery::from_pairs(&[("orderBy", "recordTime")])?;
    /// assert_eq!(q.order(), (OrderBy::RecordTime, Direction::Desc));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn order(&self) -> (OrderBy, Direction) {
        match &self.order_by {
            Some(by) => (by.clone(), self.direction.unwrap_or(Direction::Desc)),
            None => (OrderBy::EventTime, Direction::Asc),
        }
    }
}

/// One event of a query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryEvent {
    /// Record sequence.
    pub seq: Seq,
    /// Content id.
    pub id: EventId,
    /// The event (with its error declaration, if one was attached after capture).
    pub event: Event,
}

/// One page of a query's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct EventPage {
    /// The events, in the query's order.
    pub events: Vec<QueryEvent>,
    /// Where the next page starts; `None` when the answer is complete.
    pub next: Option<QueryCursor>,
    /// Events read and tested to make this page (a measure of the plan's selectivity: the in-memory store reads
    /// every event).
    pub examined: u64,
}

impl EventPage {
    /// No events, and nothing after.
    pub const fn empty() -> Self {
        Self { events: Vec::new(), next: None, examined: 0 }
    }
}

/// A source of master data for the conditions that need it (`WD_` location hierarchies, `HASATTR_`,
/// `EQATTR_`). A store without master data answers with [`NoMasterData`].
pub trait MasterDataView {
    /// The vocabulary element `id` and every element below it in its vocabulary's child hierarchy (the element
    /// itself first). The default knows no hierarchy: `id` alone.
    fn with_descendants(&self, id: &Id) -> Vec<Id> {
        vec![id.clone()]
    }

    /// The values of attribute `attr` of vocabulary element `id` (`None` when the element or attribute is
    /// unknown).
    fn attribute(&self, id: &Id, attr: &str) -> Option<Vec<Box<str>>> {
        let _ = (id, attr);
        None
    }
}

/// Runs `f` with the master data `q` needs: the latest versions `load` gives when the query has `WD_`,
/// `HASATTR_` or `EQATTR_` conditions (`load` is not called otherwise), no master data else.
pub(crate) fn with_master_data<T>(
    q: &EventQuery,
    load: impl FnOnce() -> Result<Vec<crate::masterdata::ElementVersion>, crate::Error>,
    f: impl FnOnce(&dyn MasterDataView) -> Result<T, crate::Error>,
) -> Result<T, crate::Error> {
    if q.needs_master_data() {
        f(&crate::masterdata::LoadedMasterData::new(crate::masterdata::latest(load()?)))
    } else {
        f(&NoMasterData)
    }
}

/// No master data: no hierarchy below any place, no attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMasterData;

impl MasterDataView for NoMasterData {}
