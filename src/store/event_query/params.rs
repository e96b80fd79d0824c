//! Reading SimpleEventQuery parameters by their standard names into an [`EventQuery`].
//!
//! Every wire form (JSON query, XML `Poll`, CLI pairs) reduces a parameter to its name and the texts of its
//! values; this module gives the name its meaning and checks the values' types. Families share prefixes, so
//! the longest known infix is tried first (`EQ_INNER_ERROR_DECLARATION_` before `EQ_ERROR_DECLARATION_` before
//! `EQ_INNER_` before a plain extension field).

use crate::event::{
    Action, BizStep, BizTransactionType, Disposition, ErrorReason, EventType, Id, Namespace, SourceDestType, Timestamp,
};
use crate::{Error, ErrorKind};

use super::epc_match::bad_value;
use super::{
    Cmp, Cond, Direction, EpcField, EpcMatch, EventQuery, FieldName, FieldScope, FieldTest, FieldValue, NumTest,
    OrderBy, PlaceField, SensorNumber, SensorText, SensorTime, ValueKind,
};

/// Most values one parameter may list (a query is not a bulk export).
pub const MAX_VALUES: usize = 10_000;

/// One parameter as a wire form gives it: the name and the text of each value (a scalar is one value; `EXISTS_`
/// parameters may have none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The standard name.
    pub name: String,
    /// The values as text.
    pub values: Vec<String>,
    /// How the values were given (JSON strings, JSON numbers, or untyped text): it decides how an
    /// extension-field value compares.
    pub kind: ValueKind,
}

fn perr(name: &str, msg: impl std::fmt::Display) -> Error {
    Error::msg(ErrorKind::QueryParameter, format!("{name}: {msg}"))
}

/// The one value of a scalar parameter.
fn one(p: &Param) -> Result<&str, Error> {
    match p.values.as_slice() {
        [v] => Ok(v.trim()),
        [] => Err(perr(&p.name, "needs a value")),
        _ => Err(perr(&p.name, "takes one value, not a list")),
    }
}

/// The values of a list parameter (at least one).
fn list(p: &Param) -> Result<Vec<&str>, Error> {
    if p.values.is_empty() {
        return Err(perr(&p.name, "needs at least one value"));
    }
    if p.values.len() > MAX_VALUES {
        return Err(perr(&p.name, format!("lists {} values; at most {MAX_VALUES} are taken", p.values.len())));
    }
    Ok(p.values.iter().map(|v| v.trim()).collect())
}

fn each<T>(p: &Param, f: impl Fn(&str) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    list(p)?.into_iter().map(|v| f(v).map_err(|e| perr(&p.name, format!("{v:?}: {}", e.message())))).collect()
}

/// An identifier value: as [`Id::parse`] reads it, or, when that fails on a URI (a Digital Link with a wrong
/// check digit, say), the URI as written: the standard compares such values by string equality, and GS1's
/// own query examples carry them. Text that is not a URI at all is refused.
fn query_id(v: &str) -> Result<Id, Error> {
    Id::parse(v).or_else(|e| {
        if v.contains(':') && !v.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            Ok(Id::Uri(v.into()))
        } else {
            Err(e)
        }
    })
}

fn time(p: &Param) -> Result<Timestamp, Error> {
    let v = one(p)?;
    Timestamp::parse(v).map(|(t, _)| t).map_err(|e| perr(&p.name, format!("{v:?} is not a time: {}", e.message())))
}

fn number(p: &Param, v: &str) -> Result<f64, Error> {
    FieldValue::new(v).number.ok_or_else(|| perr(&p.name, format!("{v:?} is not a number")))
}

fn count(p: &Param) -> Result<u64, Error> {
    let v = one(p)?;
    v.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| perr(&p.name, format!("{v:?} is not a positive whole number")))
}

/// `EXISTS_` parameters are void: no value, or a JSON `null`/`true`/integer. `false` (the REST binding's boolean
/// form) means "no condition".
fn exists(p: &Param) -> Result<bool, Error> {
    match p.values.as_slice() {
        [] => Ok(true),
        [v] => match v.trim() {
            "" | "true" | "null" => Ok(true),
            "false" => Ok(false),
            x if x.parse::<i64>().is_ok() => Ok(true),
            x => Err(perr(&p.name, format!("takes no value (or true/false), not {x:?}"))),
        },
        _ => Err(perr(&p.name, "takes no value")),
    }
}

fn cmp_of(prefix: &str) -> Option<Cmp> {
    Some(match prefix {
        "EQ" => Cmp::Eq,
        "GT" => Cmp::Gt,
        "GE" => Cmp::Ge,
        "LT" => Cmp::Lt,
        "LE" => Cmp::Le,
        _ => return None,
    })
}

/// A numeric test: `EQ_` takes a list, the others one value.
fn num_test(p: &Param, cmp: Cmp, uom: Option<&str>) -> Result<NumTest, Error> {
    let values = if cmp == Cmp::Eq { each(p, |v| number(p, v))? } else { vec![number(p, one(p)?)?] };
    if let Some(u) = uom
        && !(2..=4).contains(&u.len())
    {
        return Err(perr(&p.name, format!("{u:?} is not a UN/ECE Rec. 20 unit code")));
    }
    if let Some(u) = uom
        && !u.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(perr(&p.name, format!("{u:?} is not a UN/ECE Rec. 20 unit code")));
    }
    Ok(NumTest { cmp, values, uom: uom.map(Into::into) })
}

fn field_test(p: &Param, cmp: Option<Cmp>) -> Result<Option<FieldTest>, Error> {
    Ok(match cmp {
        None => exists(p)?.then_some(FieldTest::Exists),
        Some(Cmp::Eq) => {
            Some(FieldTest::Cmp(Cmp::Eq, list(p)?.into_iter().map(|v| FieldValue::typed(v, p.kind)).collect()))
        }
        Some(c) => {
            let v = FieldValue::typed(one(p)?, p.kind);
            if v.number.is_none() && v.time.is_none() {
                return Err(perr(&p.name, format!("{:?} is neither a number nor a time to compare with", v.text)));
            }
            Some(FieldTest::Cmp(c, vec![v]))
        }
    })
}

/// A measurement type in one spelling: the bare GS1 Web vocabulary term (`Temperature`).
pub(crate) fn measurement_term(s: &str) -> &str {
    let s = s.trim();
    for p in ["https://gs1.org/voc/", "https://ref.gs1.org/voc/", "http://gs1.org/voc/", "gs1:"] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.strip_prefix("MeasurementType-").unwrap_or(rest);
        }
    }
    s
}

/// Scopes of extension-field families by infix, longest first.
const SCOPES: [(&str, FieldScope, bool); 16] = [
    ("INNER_ERROR_DECLARATION_", FieldScope::ErrorDeclaration, true),
    ("ERROR_DECLARATION_", FieldScope::ErrorDeclaration, false),
    ("INNER_ILMD_", FieldScope::Ilmd, true),
    ("ILMD_", FieldScope::Ilmd, false),
    ("INNER_SENSORELEMENT_", FieldScope::SensorElement, true),
    ("SENSORELEMENT_", FieldScope::SensorElement, false),
    ("INNER_SENSORMETADATA_", FieldScope::SensorMetadata, true),
    ("SENSORMETADATA_", FieldScope::SensorMetadata, false),
    ("INNER_SENSORREPORT_", FieldScope::SensorReport, true),
    ("SENSORREPORT_", FieldScope::SensorReport, false),
    ("INNER_readPoint_", FieldScope::ReadPoint, true),
    ("readPoint_", FieldScope::ReadPoint, false),
    ("INNER_bizLocation_", FieldScope::BizLocation, true),
    ("bizLocation_", FieldScope::BizLocation, false),
    ("INNER_", FieldScope::Event, true),
    ("", FieldScope::Event, false),
];

/// Whether `name` is written like an extension field: a CURIE (`prefix:local`), an absolute IRI, or the 1.2
/// `namespace#local` form (an inner element without a namespace is `#local`).
fn field_like(name: &str) -> bool {
    name.contains(':') || name.starts_with('#')
}

impl EventQuery {
    /// Reads a query from its parameters (standard names, values as text), resolving extension-field CURIEs
    /// against `context` (the prefixes the query declared).
    ///
    /// # Errors
    /// [`ErrorKind::QueryParameter`] naming the parameter: an unknown or repeated name, a missing value, a list
    /// where one value is expected, a value of the wrong type, `eventCountLimit` without `orderBy` or with
    /// `maxEventCount`.
    ///
    /// ```
    /// use tracecode::store::EventQuery;
    /// use tracecode::store::event_query::Param;
    /// let p = |n: &str, v: &[&str]| Param { name: n.into(), values: v.iter().map(|s| s.to_string()).collect(), kind: Default::default() };
    /// let q = EventQuery::from_params(&[p("EQ_bizStep", &["shipping", "receiving"]), p("GE_quantity", &["5"])], &[])?;
    /// assert_eq!(q.conds.len(), 2);
    /// let err = EventQuery::from_params(&[p("EQ_colour", &["red"])], &[]).unwrap_err();
    /// assert_eq!(err.kind().epcis_exception(), Some("QueryParameterException"));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_params(params: &[Param], context: &[Namespace]) -> Result<Self, Error> {
        let mut q = Self::default();
        let mut seen: Vec<String> = Vec::with_capacity(params.len());
        for p in params {
            if seen.contains(&p.name) {
                return Err(perr(&p.name, "is given twice"));
            }
            seen.push(p.name.clone());
            q.add(p, context)?;
        }
        if q.event_count_limit.is_some() && q.max_event_count.is_some() {
            return Err(perr("eventCountLimit", "and maxEventCount may not be used together"));
        }
        if q.event_count_limit.is_some() && q.order_by.is_none() {
            return Err(perr("eventCountLimit", "may only be used with orderBy"));
        }
        Ok(q)
    }

    /// Reads a query from `NAME=VALUE` pairs (the CLI's form): a repeated name adds values, and a list
    /// parameter's value may list several separated by commas.
    ///
    /// # Errors
    /// As [`Self::from_params`].
    ///
    /// ```
    /// use tracecode::store::EventQuery;
    /// use tracecode::store::event_query::Cond;
    /// use tracecode::event::BizStep;
    /// let q = EventQuery::from_pairs(&[("EQ_bizStep", "shipping,receiving"), ("EQ_bizStep", "packing")])?;
    /// assert_eq!(q.conds, [Cond::BizStep(vec![BizStep::Shipping, BizStep::Receiving, BizStep::Packing])]);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, Error> {
        Self::from_params(&params_from_pairs(pairs, is_list), &[])
    }

    fn add(&mut self, p: &Param, ctx: &[Namespace]) -> Result<(), Error> {
        let parsed = match self.fixed(p)? {
            Parsed::Unknown => family(p, ctx)?,
            known => known,
        };
        match parsed {
            Parsed::Cond(c) => self.conds.push(c),
            Parsed::NoCond => {}
            Parsed::Unknown => return Err(perr(&p.name, "is not a SimpleEventQuery parameter")),
        }
        Ok(())
    }

    /// The parameters with fixed names.
    #[allow(clippy::too_many_lines, reason = "one arm per standard parameter name")]
    fn fixed(&mut self, p: &Param) -> Result<Parsed, Error> {
        let n = p.name.as_str();
        let c = match n {
            "eventType" => Cond::EventType(each(p, |v| {
                Ok(match v {
                    "ObjectEvent" => EventType::Object,
                    "AggregationEvent" => EventType::Aggregation,
                    "TransactionEvent" => EventType::Transaction,
                    "TransformationEvent" => EventType::Transformation,
                    "AssociationEvent" => EventType::Association,
                    x if x.contains(':') => EventType::Extension(x.into()),
                    x => return Err(Error::msg(ErrorKind::QueryParameter, format!("unknown event type {x:?}"))),
                })
            })?),
            "GE_eventTime" => Cond::EventTime(Cmp::Ge, time(p)?),
            "LT_eventTime" => Cond::EventTime(Cmp::Lt, time(p)?),
            "GE_recordTime" => Cond::RecordTime(Cmp::Ge, time(p)?),
            "LT_recordTime" => Cond::RecordTime(Cmp::Lt, time(p)?),
            "EQ_action" => Cond::Action(each(p, |v| match v {
                "ADD" => Ok(Action::Add),
                "OBSERVE" => Ok(Action::Observe),
                "DELETE" => Ok(Action::Delete),
                _ => Err(Error::msg(ErrorKind::QueryParameter, "an action is ADD, OBSERVE or DELETE")),
            })?),
            "EQ_bizStep" => Cond::BizStep(each(p, BizStep::parse)?),
            "EQ_disposition" => Cond::Disposition(each(p, Disposition::parse)?),
            "EQ_persistentDisposition_set" | "EQ_persistentDisposition_unset" => {
                Cond::PersistentDisposition { unset: n.ends_with("unset"), values: each(p, Disposition::parse)? }
            }
            "EQ_readPoint" | "WD_readPoint" | "EQ_bizLocation" | "WD_bizLocation" => Cond::Place {
                field: if n.ends_with("readPoint") { PlaceField::ReadPoint } else { PlaceField::BizLocation },
                descendants: n.starts_with("WD_"),
                ids: each(p, query_id)?,
            },
            "EQ_transformationID" => Cond::TransformationId(each(p, |v| Ok(v.into()))?),
            "EQ_eventID" => Cond::EventId(each(p, |v| Ok(v.into()))?),
            "EXISTS_errorDeclaration" => {
                return Ok(if exists(p)? { Parsed::Cond(Cond::ErrorDeclared) } else { Parsed::NoCond });
            }
            "GE_errorDeclarationTime" | "GE_errorDeclaration_Time" => Cond::ErrorDeclarationTime(Cmp::Ge, time(p)?),
            "LT_errorDeclarationTime" | "LT_errorDeclaration_Time" => Cond::ErrorDeclarationTime(Cmp::Lt, time(p)?),
            "EQ_errorReason" => Cond::ErrorReason(each(p, ErrorReason::parse)?),
            "EQ_correctiveEventID" => Cond::CorrectiveEventId(each(p, |v| Ok(v.into()))?),
            "EXISTS_sensorElementList" | "EXISTS_sensorElement" => {
                return Ok(if exists(p)? { Parsed::Cond(Cond::SensorExists) } else { Parsed::NoCond });
            }
            "GE_time" | "LT_time" | "GE_startTime" | "LT_startTime" | "GE_endTime" | "LT_endTime" => {
                let which = match n.get(3..) {
                    Some("time") => SensorTime::Time,
                    Some("startTime") => SensorTime::StartTime,
                    _ => SensorTime::EndTime,
                };
                Cond::SensorTime(which, if n.starts_with("GE") { Cmp::Ge } else { Cmp::Lt }, time(p)?)
            }
            "EQ_type" => Cond::SensorText(SensorText::Type, each(p, |v| Ok(measurement_term(v).into()))?),
            "EQ_deviceID"
            | "EQ_dataProcessingMethod"
            | "EQ_microorganism"
            | "EQ_chemicalSubstance"
            | "EQ_bizRules"
            | "EQ_stringValue"
            | "EQ_hexBinaryValue"
            | "EQ_uriValue"
            | "EQ_deviceMetadata"
            | "EQ_rawData" => {
                let which = match n {
                    "EQ_deviceID" => SensorText::DeviceId,
                    "EQ_dataProcessingMethod" => SensorText::DataProcessingMethod,
                    "EQ_microorganism" => SensorText::Microorganism,
                    "EQ_chemicalSubstance" => SensorText::ChemicalSubstance,
                    "EQ_bizRules" => SensorText::BizRules,
                    "EQ_stringValue" => SensorText::StringValue,
                    "EQ_hexBinaryValue" => SensorText::HexBinaryValue,
                    "EQ_uriValue" => SensorText::UriValue,
                    "EQ_deviceMetadata" => SensorText::DeviceMetadata,
                    _ => SensorText::RawData,
                };
                Cond::SensorText(which, each(p, |v| Ok(v.into()))?)
            }
            "EQ_booleanValue" => Cond::SensorBool(match one(p)? {
                "true" => true,
                "false" => false,
                v => return Err(perr(n, format!("{v:?} is not true or false"))),
            }),
            "orderBy" => {
                let v = one(p)?;
                self.order_by = Some(match v {
                    "eventTime" => OrderBy::EventTime,
                    "recordTime" => OrderBy::RecordTime,
                    x if field_like(x) => OrderBy::Field(FieldName::new(x, &[])),
                    x => return Err(perr(n, format!("{x:?}: order by eventTime, recordTime or an extension field"))),
                });
                return Ok(Parsed::NoCond);
            }
            "orderDirection" => {
                self.direction = Some(match one(p)? {
                    "ASC" => Direction::Asc,
                    "DESC" => Direction::Desc,
                    v => return Err(perr(n, format!("{v:?} is not ASC or DESC"))),
                });
                return Ok(Parsed::NoCond);
            }
            "eventCountLimit" => {
                self.event_count_limit = Some(count(p)?);
                return Ok(Parsed::NoCond);
            }
            "maxEventCount" => {
                self.max_event_count = Some(count(p)?);
                return Ok(Parsed::NoCond);
            }
            _ => {
                if let Some(field) = n.strip_prefix("MATCH_") {
                    let field = match field {
                        "epc" => EpcField::Epc,
                        "parentID" => EpcField::ParentId,
                        "inputEPC" => EpcField::InputEpc,
                        "outputEPC" => EpcField::OutputEpc,
                        "anyEPC" => EpcField::AnyEpc,
                        "epcClass" => EpcField::EpcClass,
                        "inputEPCClass" => EpcField::InputEpcClass,
                        "outputEPCClass" => EpcField::OutputEpcClass,
                        "anyEPCClass" => EpcField::AnyEpcClass,
                        _ => return Ok(Parsed::Unknown),
                    };
                    let values: Result<Vec<EpcMatch>, Error> =
                        list(p)?.into_iter().map(|v| EpcMatch::parse(v).map_err(|e| bad_value(n, v, &e))).collect();
                    return Ok(Parsed::Cond(Cond::Epc { field, values: values? }));
                }
                return Ok(Parsed::Unknown);
            }
        };
        Ok(Parsed::Cond(c))
    }
}

/// What a parameter name turned out to be.
enum Parsed {
    /// A condition.
    Cond(Cond),
    /// A known parameter that adds no condition (result shaping, `EXISTS_…=false`).
    NoCond,
    /// Not a parameter of this family.
    Unknown,
}

/// The parameter families named by pattern (`{op}_quantity[_{UOM}]`, sensor values, typed lists, master-data
/// attributes, extension fields).
fn family(p: &Param, ctx: &[Namespace]) -> Result<Parsed, Error> {
    let n = p.name.as_str();
    let Some((op, rest)) = n.split_once('_') else { return Ok(Parsed::Unknown) };
    if op == "HASATTR" {
        return Ok(Parsed::Cond(Cond::Attr { field: rest.into(), attrs: each(p, |v| Ok(v.into()))?, values: None }));
    }
    if op == "EQATTR" || (op == "EQ" && rest.starts_with("ATTR_")) {
        let body = if op == "EQ" { rest.get(5..).unwrap_or_default() } else { rest };
        // `{field}_{attr}`: standard fields have no underscore, so the first one separates them.
        let Some((field, attr)) = body.split_once('_') else {
            return Err(perr(n, "is EQATTR_{field}_{attribute}"));
        };
        return Ok(Parsed::Cond(Cond::Attr {
            field: field.into(),
            attrs: vec![attr.into()],
            values: Some(each(p, |v| Ok(v.into()))?),
        }));
    }
    let cmp = cmp_of(op);
    if cmp.is_none() && op != "EXISTS" {
        return Ok(Parsed::Unknown);
    }
    if let Some(cmp) = cmp {
        // Quantities and sensor numbers.
        if rest == "quantity" {
            return Ok(Parsed::Cond(Cond::Quantity(num_test(p, cmp, None)?)));
        }
        if let Some(uom) = rest.strip_prefix("quantity_") {
            return Ok(Parsed::Cond(Cond::Quantity(num_test(p, cmp, Some(uom))?)));
        }
        if rest == "percRank" && cmp != Cmp::Eq {
            return Ok(Parsed::Cond(Cond::SensorNumber(SensorNumber::PercRank, num_test(p, cmp, None)?)));
        }
        for (word, which) in [
            ("value", SensorNumber::Value),
            ("minValue", SensorNumber::MinValue),
            ("maxValue", SensorNumber::MaxValue),
            ("meanValue", SensorNumber::MeanValue),
            ("sDev", SensorNumber::SDev),
            ("percValue", SensorNumber::PercValue),
        ] {
            if let Some(uom) = rest.strip_prefix(word).and_then(|r| r.strip_prefix('_')) {
                return Ok(Parsed::Cond(Cond::SensorNumber(which, num_test(p, cmp, Some(uom))?)));
            }
        }
        if cmp == Cmp::Eq {
            for (word, destination) in
                [("source_", Some(false)), ("destination_", Some(true)), ("bizTransaction_", None)]
            {
                if let Some(kind) = rest.strip_prefix(word) {
                    let values = each(p, query_id)?;
                    return Ok(Parsed::Cond(match destination {
                        Some(destination) => Cond::SourceDest {
                            destination,
                            kind: SourceDestType::parse(kind).map_err(|e| perr(n, e.message()))?,
                            values,
                        },
                        None => Cond::BizTransaction {
                            kind: BizTransactionType::parse(kind).map_err(|e| perr(n, e.message()))?,
                            values,
                        },
                    }));
                }
            }
        }
    }
    // Extension fields, longest infix first.
    for (infix, scope, inner) in SCOPES {
        if let Some(field) = rest.strip_prefix(infix)
            && field_like(field)
        {
            let test = field_test(p, cmp)?;
            return Ok(match test {
                Some(test) => Parsed::Cond(Cond::Field { scope, inner, name: FieldName::new(field, ctx), test }),
                None => Parsed::NoCond,
            });
        }
    }
    Ok(Parsed::Unknown)
}

/// Parameters from `NAME=VALUE` pairs: a repeated list parameter (`is_list`) adds values, and its value may
/// list several separated by commas; a scalar keeps its value whole (a repeated scalar is reported by
/// `from_params`). The values are untyped text.
pub(crate) fn params_from_pairs(pairs: &[(&str, &str)], is_list: impl Fn(&str) -> bool) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for (name, value) in pairs {
        let list = is_list(name);
        let values: Vec<String> = if list {
            value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
        } else if value.is_empty() {
            Vec::new()
        } else {
            vec![(*value).to_owned()]
        };
        match params.iter_mut().find(|p| p.name == *name) {
            Some(p) if list => p.values.extend(values),
            _ => params.push(Param { name: (*name).to_owned(), values, kind: ValueKind::Untyped }),
        }
    }
    params
}

/// Whether the parameter takes a list (so the CLI splits its value at commas).
fn is_list(name: &str) -> bool {
    let fixed_lists = [
        "eventType",
        "EQ_action",
        "EQ_bizStep",
        "EQ_disposition",
        "EQ_persistentDisposition_set",
        "EQ_persistentDisposition_unset",
        "EQ_readPoint",
        "WD_readPoint",
        "EQ_bizLocation",
        "WD_bizLocation",
        "EQ_transformationID",
        "EQ_eventID",
        "EQ_errorReason",
        "EQ_correctiveEventID",
        "EQ_quantity",
    ];
    fixed_lists.contains(&name)
        || name.starts_with("MATCH_")
        || name.starts_with("HASATTR_")
        || name.starts_with("EQATTR_")
        || name.starts_with("EQ_source_")
        || name.starts_with("EQ_destination_")
        || name.starts_with("EQ_bizTransaction_")
        || name.starts_with("EQ_quantity_")
        || name.starts_with("EQ_value_")
        || (name.starts_with("EQ_") && !field_like(name) && name != "EQ_booleanValue")
}
