//! The meaning of each condition: whether one event meets it. Both stores answer by this one definition.

use crate::event::{Event, Id, Quantity, SensorElement, SensorMetadata, SensorReport};

use super::field::exts_pass;
use super::{
    Cmp, Cond, EpcField, EpcMatch, EventQuery, FieldScope, MasterDataView, NumTest, PlaceField, SensorNumber,
    SensorText, SensorTime,
};

/// A query made ready to test events: `WD_` places expanded through the master data's hierarchy once.
pub(crate) struct Prepared<'q> {
    pub(crate) query: &'q EventQuery,
    /// For each condition (by index), the places a `WD_` condition stands for.
    places: Vec<Option<Vec<Id>>>,
    md: &'q dyn MasterDataView,
}

impl<'q> Prepared<'q> {
    pub(crate) fn new(query: &'q EventQuery, md: &'q dyn MasterDataView) -> Self {
        let places = query
            .conds
            .iter()
            .map(|c| match c {
                Cond::Place { descendants: true, ids, .. } => {
                    let mut all: Vec<Id> = Vec::new();
                    for id in ids {
                        for d in md.with_descendants(id) {
                            if !all.contains(&d) {
                                all.push(d);
                            }
                        }
                    }
                    Some(all)
                }
                _ => None,
            })
            .collect();
        Self { query, places, md }
    }

    /// The places condition `i` accepts (its ids, or with `WD_` the ids and their descendants).
    pub(crate) fn places_of(&self, i: usize) -> Option<&[Id]> {
        match (self.query.conds.get(i), self.places.get(i)) {
            (_, Some(Some(all))) => Some(all),
            (Some(Cond::Place { ids, .. }), _) => Some(ids),
            _ => None,
        }
    }

    /// Whether `e` meets every condition.
    pub(crate) fn matches(&self, e: &Event) -> bool {
        self.query.conds.iter().enumerate().all(|(i, c)| self.meets(i, c, e))
    }

    fn meets(&self, i: usize, c: &Cond, e: &Event) -> bool {
        match c {
            Cond::EventType(ts) => ts.contains(&e.kind),
            Cond::EventTime(cmp, t) => cmp.holds(e.event_time.cmp(t)),
            Cond::RecordTime(cmp, t) => e.record_time.is_some_and(|r| cmp.holds(r.cmp(t))),
            Cond::Action(a) => e.action.is_some_and(|x| a.contains(&x)),
            Cond::BizStep(b) => e.biz_step.as_ref().is_some_and(|x| b.contains(x)),
            Cond::Disposition(d) => e.disposition.as_ref().is_some_and(|x| d.contains(x)),
            Cond::PersistentDisposition { unset, values } => e.persistent_disposition.as_ref().is_some_and(|p| {
                let list = if *unset { &p.unset } else { &p.set };
                list.iter().any(|x| values.contains(x))
            }),
            Cond::Place { field, .. } => {
                let place = match field {
                    PlaceField::ReadPoint => e.read_point.as_ref(),
                    PlaceField::BizLocation => e.biz_location.as_ref(),
                };
                place.is_some_and(|p| self.places_of(i).is_some_and(|ids| ids.contains(&p.id)))
            }
            Cond::TransformationId(ids) => e.transformation_id.as_ref().is_some_and(|t| ids.contains(t)),
            Cond::Epc { field, values } => epc_field_matches(*field, values, e),
            Cond::Quantity(test) => all_quantities(e).any(|q| quantity_passes(test, q)),
            Cond::EventId(ids) => e.epcis_event_id.as_ref().is_some_and(|x| ids.contains(x)),
            Cond::ErrorDeclared => e.error_declaration.is_some(),
            Cond::ErrorDeclarationTime(cmp, t) => {
                e.error_declaration.as_ref().is_some_and(|d| cmp.holds(d.declaration_time.cmp(t)))
            }
            Cond::ErrorReason(rs) => {
                e.error_declaration.as_ref().and_then(|d| d.reason.as_ref()).is_some_and(|r| rs.contains(r))
            }
            Cond::CorrectiveEventId(ids) => {
                e.error_declaration.as_ref().is_some_and(|d| d.corrective_event_ids.iter().any(|c| ids.contains(c)))
            }
            Cond::BizTransaction { kind, values } => {
                e.biz_transactions.iter().any(|b| b.kind.as_ref() == Some(kind) && values.contains(&b.value))
            }
            Cond::SourceDest { destination, kind, values } => {
                let list = if *destination { &e.destinations } else { &e.sources };
                list.iter().any(|s| s.kind == *kind && values.contains(&s.id))
            }
            Cond::Field { scope, inner, name, test } => {
                let ns = &e.namespaces;
                let pass = |exts: &[crate::event::Extension]| exts_pass(exts, *inner, name, test, ns);
                match scope {
                    FieldScope::Event => pass(&e.extensions),
                    FieldScope::Ilmd => pass(&e.ilmd),
                    FieldScope::ErrorDeclaration => e.error_declaration.as_ref().is_some_and(|d| pass(&d.extensions)),
                    FieldScope::SensorElement => e.sensor_elements.iter().any(|s| pass(&s.extensions)),
                    FieldScope::SensorMetadata => {
                        e.sensor_elements.iter().filter_map(|s| s.metadata.as_ref()).any(|m| pass(&m.extensions))
                    }
                    FieldScope::SensorReport => {
                        e.sensor_elements.iter().flat_map(|s| &s.reports).any(|r| pass(&r.extensions))
                    }
                    FieldScope::ReadPoint => e.read_point.as_ref().is_some_and(|p| pass(&p.extensions)),
                    FieldScope::BizLocation => e.biz_location.as_ref().is_some_and(|p| pass(&p.extensions)),
                }
            }
            Cond::SensorExists => !e.sensor_elements.is_empty(),
            Cond::SensorTime(which, cmp, t) => e.sensor_elements.iter().any(|s| sensor_time(s, *which, *cmp, *t)),
            Cond::SensorText(which, values) => e.sensor_elements.iter().any(|s| sensor_text(s, *which, values)),
            Cond::SensorBool(b) => {
                e.sensor_elements.iter().flat_map(|s| &s.reports).any(|r| r.boolean_value == Some(*b))
            }
            Cond::SensorNumber(which, test) => {
                e.sensor_elements.iter().flat_map(|s| &s.reports).any(|r| sensor_number(r, *which, test))
            }
            Cond::Attr { field, attrs, values } => {
                attr_subjects(field, e).iter().any(|id| self.has_attr(id, attrs, values.as_deref()))
            }
        }
    }

    fn has_attr(&self, id: &Id, attrs: &[Box<str>], values: Option<&[Box<str>]>) -> bool {
        attrs.iter().any(|a| match (self.md.attribute(id, a), values) {
            (Some(_), None) => true,
            (Some(got), Some(want)) => got.iter().any(|g| want.contains(g)),
            (None, _) => false,
        })
    }
}

/// The identifiers of event field `field` a master-data condition looks up (`bizLocation`, `readPoint`, or
/// the EPC and class fields by their parameter names without `MATCH_`).
fn attr_subjects<'e>(field: &str, e: &'e Event) -> Vec<&'e Id> {
    let classes = |lists: &[&'e [Quantity]]| lists.iter().flat_map(|l| l.iter().map(|q| &q.class)).collect::<Vec<_>>();
    match field {
        "bizLocation" => e.biz_location.iter().map(|p| &p.id).collect(),
        "readPoint" => e.read_point.iter().map(|p| &p.id).collect(),
        "epc" => e.epc_list.iter().chain(&e.child_epcs).collect(),
        "parentID" => e.parent_id.iter().collect(),
        "inputEPC" => e.input_epc_list.iter().collect(),
        "outputEPC" => e.output_epc_list.iter().collect(),
        "epcClass" => classes(&[&e.quantity_list, &e.child_quantity_list]),
        "inputEPCClass" => classes(&[&e.input_quantity_list]),
        "outputEPCClass" => classes(&[&e.output_quantity_list]),
        _ => Vec::new(),
    }
}

/// The identifiers of the instance fields `field` covers.
pub(crate) fn instance_ids(field: EpcField, e: &Event) -> Vec<&Id> {
    match field {
        EpcField::Epc => e.epc_list.iter().chain(&e.child_epcs).collect(),
        EpcField::ParentId => e.parent_id.iter().collect(),
        EpcField::InputEpc => e.input_epc_list.iter().collect(),
        EpcField::OutputEpc => e.output_epc_list.iter().collect(),
        EpcField::AnyEpc => e
            .epc_list
            .iter()
            .chain(&e.child_epcs)
            .chain(&e.input_epc_list)
            .chain(&e.output_epc_list)
            .chain(&e.parent_id)
            .collect(),
        _ => Vec::new(),
    }
}

/// The quantity lists the class fields `field` covers.
pub(crate) fn class_lists(field: EpcField, e: &Event) -> Vec<&[Quantity]> {
    match field {
        EpcField::EpcClass => vec![&e.quantity_list, &e.child_quantity_list],
        EpcField::InputEpcClass => vec![&e.input_quantity_list],
        EpcField::OutputEpcClass => vec![&e.output_quantity_list],
        EpcField::AnyEpcClass => {
            vec![&e.quantity_list, &e.child_quantity_list, &e.input_quantity_list, &e.output_quantity_list]
        }
        _ => Vec::new(),
    }
}

fn epc_field_matches(field: EpcField, values: &[EpcMatch], e: &Event) -> bool {
    if field.is_class() {
        class_lists(field, e).iter().flat_map(|l| l.iter()).any(|q| values.iter().any(|m| m.matches_class(&q.class)))
    } else {
        instance_ids(field, e).iter().any(|id| values.iter().any(|m| m.matches_instance(id)))
    }
}

fn all_quantities(e: &Event) -> impl Iterator<Item = &Quantity> {
    e.quantity_list.iter().chain(&e.child_quantity_list).chain(&e.input_quantity_list).chain(&e.output_quantity_list)
}

/// A recorded number (in unit `unit`) against a test: a bare test compares the number as recorded, whatever
/// its unit (EPCIS 2.0 `EQ_quantity`); a test with a unit converts a number recorded in another unit of the
/// same dimension, and never matches one recorded without a unit.
fn number_passes(test: &NumTest, value: f64, unit: Option<&str>) -> bool {
    let v = match (&test.uom, unit) {
        (None, _) => value,
        (Some(want), Some(got)) => match super::units::convert(value, got, want) {
            Some(v) => v,
            None => return false,
        },
        _ => return false,
    };
    match (test.cmp, test.values.first()) {
        (Cmp::Eq, _) => test.values.iter().any(|x| close(*x, v)),
        (cmp, Some(&x)) => v.partial_cmp(&x).is_some_and(|o| cmp.holds(o)) || close_eq(cmp, x, v),
        (_, None) => false,
    }
}

/// Equality of a converted value with a query's: exact for unconverted values, within rounding of the
/// conversion otherwise.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// An inclusive bound also holds at a value equal within rounding.
fn close_eq(cmp: Cmp, bound: f64, v: f64) -> bool {
    matches!(cmp, Cmp::Ge | Cmp::Le) && close(bound, v)
}

fn quantity_passes(test: &NumTest, q: &Quantity) -> bool {
    q.quantity
        .as_ref()
        .and_then(|d| d.as_str().parse::<f64>().ok())
        .is_some_and(|v| number_passes(test, v, q.uom.as_deref()))
}

fn sensor_time(s: &SensorElement, which: SensorTime, cmp: Cmp, t: crate::event::Timestamp) -> bool {
    let m = s.metadata.as_ref();
    let pass = |x: Option<crate::event::Timestamp>| x.is_some_and(|x| cmp.holds(x.cmp(&t)));
    match which {
        SensorTime::Time => pass(m.and_then(|m| m.time)) || s.reports.iter().any(|r| pass(r.time)),
        SensorTime::StartTime => pass(m.and_then(|m| m.start_time)),
        SensorTime::EndTime => pass(m.and_then(|m| m.end_time)),
    }
}

fn sensor_text(s: &SensorElement, which: SensorText, values: &[Box<str>]) -> bool {
    let hit = |x: Option<&str>| {
        x.is_some_and(|x| {
            values
                .iter()
                .any(|v| if which == SensorText::HexBinaryValue { v.eq_ignore_ascii_case(x) } else { **v == *x })
        })
    };
    let meta = |f: fn(&SensorMetadata) -> Option<&str>| s.metadata.as_ref().and_then(f);
    let report = |f: fn(&SensorReport) -> Option<&str>| s.reports.iter().any(|r| hit(f(r)));
    match which {
        SensorText::Type => s.reports.iter().any(|r| {
            r.kind.as_deref().is_some_and(|k| values.iter().any(|v| **v == *super::params::measurement_term(k)))
        }),
        SensorText::DeviceId => hit(meta(|m| m.device_id.as_deref())) || report(|r| r.device_id.as_deref()),
        SensorText::DataProcessingMethod => {
            hit(meta(|m| m.data_processing_method.as_deref())) || report(|r| r.data_processing_method.as_deref())
        }
        SensorText::BizRules => hit(meta(|m| m.biz_rules.as_deref())) || report(|r| r.biz_rules.as_deref()),
        SensorText::DeviceMetadata => {
            hit(meta(|m| m.device_metadata.as_deref())) || report(|r| r.device_metadata.as_deref())
        }
        SensorText::RawData => hit(meta(|m| m.raw_data.as_deref())) || report(|r| r.raw_data.as_deref()),
        SensorText::Microorganism => report(|r| r.microorganism.as_deref()),
        SensorText::ChemicalSubstance => report(|r| r.chemical_substance.as_deref()),
        SensorText::StringValue => report(|r| r.string_value.as_deref()),
        SensorText::HexBinaryValue => report(|r| r.hex_binary_value.as_deref()),
        SensorText::UriValue => report(|r| r.uri_value.as_deref()),
    }
}

fn sensor_number(r: &SensorReport, which: SensorNumber, test: &NumTest) -> bool {
    let d = match which {
        SensorNumber::Value => &r.value,
        SensorNumber::MinValue => &r.min_value,
        SensorNumber::MaxValue => &r.max_value,
        SensorNumber::MeanValue => &r.mean_value,
        SensorNumber::SDev => &r.s_dev,
        SensorNumber::PercValue => &r.perc_value,
        SensorNumber::PercRank => &r.perc_rank,
    };
    let Some(v) = d.as_ref().and_then(|d| d.as_str().parse::<f64>().ok()) else { return false };
    // percRank has no unit; the others are in the report's `uom`.
    let unit = if which == SensorNumber::PercRank { None } else { r.uom.as_deref() };
    number_passes(test, v, unit)
}
