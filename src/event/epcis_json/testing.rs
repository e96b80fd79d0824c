//! Fixtures and event generators shared by the unit tests of the EPCIS JSON modules.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Context, EPCIS_CONTEXT, EventError, event_from_json};
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, ErrorDeclaration, ErrorReason, Event,
    EventType, ExtValue, Extension, Id, Namespace, PersistentDisposition, Place, Quantity, SensorElement,
    SensorMetadata, SensorReport, SourceDest, SourceDestType, Timestamp, TzOffset,
};

pub(super) fn base_event() -> Value {
    json!({
        "type": "ObjectEvent", "action": "OBSERVE",
        "eventTime": "2024-05-01T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
        "epcList": ["https://id.gs1.org/01/09506000134352/21/A1"]
    })
}

pub(super) fn with(mut v: Value, k: &str, x: Value) -> Value {
    v.as_object_mut().unwrap().insert(k.into(), x);
    v
}

pub(super) fn without(mut v: Value, k: &str) -> Value {
    v.as_object_mut().unwrap().remove(k);
    v
}

pub(super) fn ex_ctx() -> Context {
    Context::from_json(&json!([EPCIS_CONTEXT, {"ex": "https://ns.example.com/epcis/"}])).unwrap()
}

pub(super) fn fails(v: &Value) -> EventError {
    event_from_json(v, &ex_ctx()).unwrap_err()
}

pub(super) fn doc(events: &str) -> String {
    format!(
        r#"{{"@context": ["{EPCIS_CONTEXT}", {{"ex": "https://ns.example.com/epcis/"}}], "type": "EPCISDocument",
           "schemaVersion": "2.0", "creationDate": "2024-01-01T00:00:00Z",
           "epcisHeader": {{"big": [1, 2, {{"x": "y"}}]}}, "epcisBody": {{"eventList": [{events}]}}}}"#
    )
}

pub(super) const GOOD: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
    "eventTimeZoneOffset": "+00:00", "epcList": ["urn:example:item:1"], "ex:n": 1}"#;
pub(super) const BAD: &str = r#"{"type": "ObjectEvent", "action": "ADD", "eventTime": "2024-05-01T08:00:00Z",
    "eventTimeZoneOffset": "+00:00", "epcList": [], "bizStep": "flying"}"#;

// --- generated events ---------------------------------------------------------------------------------------

pub(super) const NS: [(&str, &str); 3] =
    [("ex", "https://ns.example.com/epcis/"), ("farm", "urn:example:farm:"), ("gs1", "https://gs1.org/voc/")];

pub(super) fn arb_id() -> impl Strategy<Value = Id> {
    prop_oneof![
        "[A-Za-z0-9]{1,12}".prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/{s}")).unwrap()),
        (0u32..99_999).prop_map(|n| Id::parse(&format!("urn:epc:id:sscc:0614141.{n:010}")).unwrap()),
        "[a-z0-9]{1,10}".prop_map(|s| Id::parse(&format!("urn:example:thing:{s}")).unwrap()),
    ]
}

pub(super) fn arb_class() -> impl Strategy<Value = Id> {
    prop_oneof![
        "[A-Z0-9]{1,8}".prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/10/{s}")).unwrap()),
        Just(Id::parse("https://id.gs1.org/01/09506000134352").unwrap()),
        "[a-z]{1,6}".prop_map(|s| Id::parse(&format!("urn:example:class:{s}")).unwrap()),
    ]
}

pub(super) fn arb_dec() -> impl Strategy<Value = Decimal> {
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

pub(super) fn arb_time() -> impl Strategy<Value = Timestamp> {
    (-2_000_000_000_000_000_000i64..4_000_000_000_000_000_000).prop_map(Timestamp)
}

pub(super) fn arb_name() -> impl Strategy<Value = Box<str>> {
    (0..NS.len(), "[a-z][a-zA-Z0-9]{0,7}").prop_map(|(i, l)| format!("{}{l}", NS[i].1).into())
}

pub(super) fn arb_ext_value() -> impl Strategy<Value = ExtValue> {
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
                .prop_map(|m| ExtValue::Object(m.into_iter().map(|(name, value)| Extension { name, value }).collect())),
        ]
    })
}

pub(super) fn arb_exts(max: usize) -> impl Strategy<Value = Vec<Extension>> {
    prop::collection::btree_map(arb_name(), arb_ext_value(), 0..=max)
        .prop_map(|m| m.into_iter().map(|(name, value)| Extension { name, value }).collect())
}

pub(super) fn arb_quantity() -> impl Strategy<Value = Quantity> {
    (arb_class(), prop::option::of((arb_dec(), prop::option::of("[A-Z0-9]{2,3}")))).prop_map(|(class, q)| {
        let (quantity, uom) = match q {
            Some((d, u)) => (Some(d), u.map(Into::into)),
            None => (None, None),
        };
        Quantity { class, quantity, uom }
    })
}

pub(super) fn arb_report() -> impl Strategy<Value = SensorReport> {
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

pub(super) fn arb_sensor() -> impl Strategy<Value = SensorElement> {
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

pub(super) fn arb_place() -> impl Strategy<Value = Place> {
    (prop_oneof![Just("urn:epc:id:sgln:0614141.07346.1234"), Just("urn:example:loc:7")], arb_exts(2))
        .prop_map(|(id, extensions)| Place { id: Id::parse(id).unwrap(), extensions })
}

/// Every namespace an event's extension names use, sorted (as the importer records them).
pub(super) fn namespaces_of(e: &Event) -> Vec<Namespace> {
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
        e.epcis_event_id = event_id.map(|s| format!("urn:uuid:{s}").into());
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

pub(super) fn arb_event() -> impl Strategy<Value = Event> {
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
                    // An ObjectEvent names an object, unless it reports sensor readings at a readPoint.
                    let sensors_at_a_place = !e.sensor_elements.is_empty() && e.read_point.is_some();
                    if e.epc_list.is_empty() && e.quantity_list.is_empty() && !sensors_at_a_place {
                        e.epc_list = b;
                    }
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
                    // Unless DELETE, a TransactionEvent names objects or (alone) its parent.
                    if e.epc_list.is_empty() && e.quantity_list.is_empty() && action != Action::Delete {
                        e.parent_id = Some(parent.clone());
                    }
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
