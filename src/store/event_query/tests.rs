//! The meaning of each parameter family on hand-built events (expected answers written out, not computed),
//! the wire forms on GS1's and OpenEPCIS's shared query examples, and the parameter errors.

use std::path::Path;

use super::*;
use crate::ErrorKind;
use crate::event::{
    Decimal, ErrorDeclaration, ExtValue, Extension, Namespace, PersistentDisposition, Place, Quantity, SensorElement,
    SensorMetadata, SensorReport, SourceDest, TzOffset,
};
use crate::store::{MemoryStore, TraceStore};

const SHARED: &str = "/work/shared/data";

fn id(s: &str) -> Id {
    Id::parse(s).unwrap()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap().0
}

fn object(time: &str, epcs: &[&str]) -> Event {
    let mut e = Event::new(EventType::Object, t(time), TzOffset::UTC);
    e.action = Some(Action::Observe);
    e.epc_list = epcs.iter().map(|s| id(s)).collect();
    e
}

fn q(pairs: &[(&str, &str)]) -> EventQuery {
    EventQuery::from_pairs(pairs).unwrap()
}

fn hits(q: &EventQuery, events: &[Event]) -> Vec<usize> {
    let p = matcher::Prepared::new(q, &NoMasterData);
    events.iter().enumerate().filter(|(_, e)| p.matches(e)).map(|(i, _)| i).collect()
}

#[test]
fn match_parameters_cover_their_fields_and_spellings() {
    let mut a = object("2026-01-01T00:00:00Z", &["urn:epc:id:sgtin:0614141.107346.2017"]);
    a.quantity_list.push(Quantity {
        class: id("https://id.gs1.org/01/10614141073464/10/L1"),
        quantity: None,
        uom: None,
    });
    let mut b = Event::new(EventType::Aggregation, t("2026-01-02T00:00:00Z"), TzOffset::UTC);
    b.action = Some(Action::Add);
    b.parent_id = Some(id("urn:epc:id:sscc:0614141.1234567890"));
    b.child_epcs = vec![id("https://id.gs1.org/01/10614141073464/21/A")];
    let mut c = Event::new(EventType::Transformation, t("2026-01-03T00:00:00Z"), TzOffset::UTC);
    c.input_epc_list = vec![id("https://id.gs1.org/01/09506000134352/21/X")];
    c.output_quantity_list.push(Quantity {
        class: Id::Uri("urn:epc:idpat:sgtin:0614141.107346.*".into()),
        quantity: None,
        uom: None,
    });
    let ev = [a, b, c];
    // An EPC URI finds the Digital Link spelling of the same item and back.
    assert_eq!(hits(&q(&[("MATCH_epc", "https://id.gs1.org/01/10614141073464/21/2017")]), &ev), [0]);
    // childEPCs count for MATCH_epc; the parent only for parentID and anyEPC.
    assert_eq!(hits(&q(&[("MATCH_epc", "urn:epc:idpat:sgtin:0614141.107346.*")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("MATCH_epc", "urn:epc:idpat:sscc:0614141.*")]), &ev), Vec::<usize>::new());
    assert_eq!(hits(&q(&[("MATCH_parentID", "urn:epc:idpat:sscc:0614141.*")]), &ev), [1]);
    assert_eq!(hits(&q(&[("MATCH_anyEPC", "urn:epc:idpat:sscc:0614141.*")]), &ev), [1]);
    // Company prefix only, and any SGTIN at all; inputs only for inputEPC and anyEPC.
    assert_eq!(hits(&q(&[("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614141.*.*")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("MATCH_anyEPC", "urn:epc:idpat:sgtin:*.*.*")]), &ev), [0, 1, 2]);
    assert_eq!(hits(&q(&[("MATCH_inputEPC", "urn:epc:idpat:sgtin:9506000.013435.*")]), &ev), [2]);
    assert_eq!(hits(&q(&[("MATCH_outputEPC", "urn:epc:idpat:sgtin:9506000.013435.*")]), &ev), Vec::<usize>::new());
    // A GTIN Digital Link in an instance field: every item of the GTIN.
    assert_eq!(hits(&q(&[("MATCH_epc", "https://id.gs1.org/01/10614141073464")]), &ev), [0, 1]);
    // Classes: the lot exactly; the GTIN (as a pattern or a Digital Link) its lots and its pattern spelling.
    assert_eq!(hits(&q(&[("MATCH_epcClass", "urn:epc:class:lgtin:0614141.107346.L1")]), &ev), [0]);
    assert_eq!(hits(&q(&[("MATCH_anyEPCClass", "https://id.gs1.org/01/10614141073464")]), &ev), [0, 2]);
    assert_eq!(hits(&q(&[("MATCH_outputEPCClass", "urn:epc:idpat:sgtin:0614141.107346.*")]), &ev), [2]);
    assert_eq!(hits(&q(&[("MATCH_anyEPCClass", "urn:epc:idpat:sgtin:0614141.*.*")]), &ev), [0, 2]);
    assert_eq!(hits(&q(&[("MATCH_epcClass", "urn:epc:idpat:sgtin:0614142.*.*")]), &ev), Vec::<usize>::new());
}

#[test]
fn why_where_and_time_parameters() {
    let mut a = object("2026-01-01T00:00:00Z", &["urn:example:a"]);
    a.biz_step = Some(BizStep::Shipping);
    a.disposition = Some(Disposition::InTransit);
    a.read_point = Some(Place::new(id("urn:epc:id:sgln:0614141.00777.0")));
    a.persistent_disposition = Some(PersistentDisposition { set: vec![Disposition::Recalled], unset: vec![] });
    a.record_time = Some(t("2026-01-05T00:00:00Z"));
    let mut b = object("2026-01-02T00:00:00+08:00", &["urn:example:b"]);
    b.action = Some(Action::Add);
    b.biz_step = Some(BizStep::Receiving);
    b.biz_location = Some(Place::new(id("urn:epc:id:sgln:0614141.00777.0")));
    b.transformation_id = None;
    let ev = [a, b];
    assert_eq!(hits(&q(&[("EQ_bizStep", "urn:epcglobal:cbv:bizstep:shipping")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_bizStep", "shipping,receiving")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("EQ_disposition", "https://ref.gs1.org/cbv/Disp-in_transit")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_action", "ADD")]), &ev), [1]);
    assert_eq!(hits(&q(&[("EQ_persistentDisposition_set", "recalled")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_persistentDisposition_unset", "recalled")]), &ev), Vec::<usize>::new());
    // The same GLN as an SGLN URI and as a Digital Link; read point and business location are separate.
    assert_eq!(hits(&q(&[("EQ_readPoint", "https://id.gs1.org/414/0614141007776")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_bizLocation", "https://id.gs1.org/414/0614141007776")]), &ev), [1]);
    // Times compare as instants: b is 2026-01-01T16:00Z.
    assert_eq!(hits(&q(&[("GE_eventTime", "2026-01-01T16:00:00Z")]), &ev), [1]);
    assert_eq!(hits(&q(&[("LT_eventTime", "2026-01-01T16:00:00Z")]), &ev), [0]);
    assert_eq!(hits(&q(&[("GE_recordTime", "2026-01-01T00:00:00Z")]), &ev), [0], "no record time: no match");
    assert_eq!(hits(&q(&[("eventType", "ObjectEvent,AggregationEvent")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("eventType", "AggregationEvent")]), &ev), Vec::<usize>::new());
}

#[test]
fn quantities_convert_units_only_when_asked() {
    let mut a = object("2026-01-01T00:00:00Z", &[]);
    a.epc_list.clear();
    let class = id("https://id.gs1.org/01/10614141073464");
    a.quantity_list.push(Quantity::new(class.clone(), Decimal::parse("2").unwrap()).with_uom("KGM").unwrap());
    let mut b = a.clone();
    b.quantity_list = vec![Quantity::new(class, Decimal::parse("1500").unwrap())];
    let ev = [a, b];
    // The bare parameter compares the raw number whatever the unit.
    assert_eq!(hits(&q(&[("GE_quantity", "2")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("EQ_quantity", "1500")]), &ev), [1]);
    // With a unit, 2 KGM is 2000 GRM; an element without a unit never matches.
    assert_eq!(hits(&q(&[("GE_quantity_GRM", "1500")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_quantity_GRM", "2000")]), &ev), [0]);
    assert_eq!(hits(&q(&[("LT_quantity_GRM", "1500")]), &ev), Vec::<usize>::new());
    assert_eq!(hits(&q(&[("GE_quantity_MTR", "0")]), &ev), Vec::<usize>::new(), "another dimension");
}

#[test]
fn sensor_parameters() {
    let report = |v: &str, uom: &str| SensorReport {
        kind: Some("gs1:Temperature".into()),
        value: Some(Decimal::parse(v).unwrap()),
        uom: Some(uom.into()),
        ..SensorReport::default()
    };
    let mut a = object("2026-01-01T00:00:00Z", &["urn:example:a"]);
    a.sensor_elements.push(SensorElement {
        metadata: Some(SensorMetadata {
            device_id: Some("urn:example:logger:1".into()),
            time: Some(t("2026-01-01T01:00:00Z")),
            ..SensorMetadata::default()
        }),
        reports: vec![report("4.5", "CEL")],
        extensions: vec![],
    });
    let mut b = object("2026-01-01T00:00:00Z", &["urn:example:b"]);
    b.sensor_elements.push(SensorElement { reports: vec![report("50", "FAH")], ..SensorElement::default() });
    let c = object("2026-01-01T00:00:00Z", &["urn:example:c"]);
    let ev = [a, b, c];
    assert_eq!(hits(&q(&[("EXISTS_sensorElementList", "")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("EQ_type", "Temperature")]), &ev), [0, 1]);
    // 50 °F is 10 °C; 4.5 °C is 277.65 K.
    assert_eq!(hits(&q(&[("GE_value_CEL", "5")]), &ev), [1]);
    assert_eq!(hits(&q(&[("LT_value_KEL", "278")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_value_CEL", "10")]), &ev), [1]);
    // Device and time from the element's metadata.
    assert_eq!(hits(&q(&[("EQ_deviceID", "urn:example:logger:1")]), &ev), [0]);
    assert_eq!(hits(&q(&[("GE_time", "2026-01-01T00:30:00Z")]), &ev), [0]);
}

#[test]
fn extension_fields_by_scope_depth_and_name_form() {
    let ns = "https://ns.example.com/epcis/";
    let mut a = object("2026-01-01T00:00:00Z", &["urn:example:a"]);
    a.namespaces.push(Namespace { prefix: "ex".into(), iri: ns.into() });
    a.extensions.push(Extension::new(format!("{ns}temp"), Decimal::parse("4.5").unwrap()));
    a.extensions.push(Extension {
        name: format!("{ns}box").into(),
        value: ExtValue::Object(vec![Extension::new(format!("{ns}colour"), "red")]),
    });
    a.ilmd.push(Extension::new(format!("{ns}bestBefore"), "2026-06-01T00:00:00Z"));
    let mut b = object("2026-01-01T00:00:00Z", &["urn:example:b"]);
    b.namespaces.push(Namespace { prefix: "ex".into(), iri: ns.into() });
    b.extensions.push(Extension::new(format!("{ns}temp"), "7"));
    let mut d = ErrorDeclaration::new(t("2026-02-01T00:00:00Z"));
    d.extensions.push(Extension::new(format!("{ns}note"), "typo"));
    b.error_declaration = Some(d);
    let ev = [a, b];
    // A CURIE the event declares; an absolute IRI; numbers compare as numbers (a string "7" too).
    assert_eq!(hits(&q(&[("GT_ex:temp", "4")]), &ev), [0, 1]);
    assert_eq!(hits(&q(&[("GT_https://ns.example.com/epcis/temp", "5")]), &ev), [1]);
    assert_eq!(hits(&q(&[("EQ_ex:temp", "4.50")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EXISTS_ex:temp", "")]), &ev), [0, 1]);
    // Top level only without INNER_, nested only with it.
    assert_eq!(hits(&q(&[("EQ_ex:colour", "red")]), &ev), Vec::<usize>::new());
    assert_eq!(hits(&q(&[("EQ_INNER_ex:colour", "red")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_INNER_ex:temp", "4.5")]), &ev), Vec::<usize>::new());
    // ILMD times, error-declaration fields.
    assert_eq!(hits(&q(&[("LT_ILMD_ex:bestBefore", "2026-07-01T00:00:00Z")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_ERROR_DECLARATION_ex:note", "typo")]), &ev), [1]);
    assert_eq!(hits(&q(&[("EXISTS_errorDeclaration", "")]), &ev), [1]);
    assert_eq!(hits(&q(&[("EXISTS_errorDeclaration", "false")]), &ev), [0, 1], "false is no condition");
    assert_eq!(hits(&q(&[("GE_errorDeclarationTime", "2026-01-15T00:00:00Z")]), &ev), [1]);
}

#[test]
fn typed_lists() {
    let mut a = object("2026-01-01T00:00:00Z", &["urn:example:a"]);
    a.biz_transactions.push(crate::event::BizTransaction::new(BizTransactionType::Po, id("urn:example:po:1")));
    a.sources.push(SourceDest::new(SourceDestType::OwningParty, id("https://id.gs1.org/417/0614141000005")));
    a.destinations.push(SourceDest::new(SourceDestType::Location, id("https://id.gs1.org/414/0614141007776")));
    let ev = [a];
    assert_eq!(hits(&q(&[("EQ_bizTransaction_po", "urn:example:po:1")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_bizTransaction_inv", "urn:example:po:1")]), &ev), Vec::<usize>::new());
    assert_eq!(hits(&q(&[("EQ_source_owning_party", "urn:epc:id:pgln:0614141.00000")]), &ev), [0]);
    assert_eq!(hits(&q(&[("EQ_destination_owning_party", "urn:epc:id:pgln:0614141.00000")]), &ev), Vec::<usize>::new());
    assert_eq!(hits(&q(&[("EQ_destination_location", "urn:epc:id:sgln:0614141.00777.0")]), &ev), [0]);
}

#[test]
fn bad_parameters_name_the_exception() {
    let bad: &[&[(&str, &str)]] = &[
        &[("EQ_colour", "red")],
        &[("GE_eventTime", "yesterday")],
        &[("GE_eventTime", "2026-01-01T00:00:00Z"), ("GE_eventTime", "2026-01-02T00:00:00Z")],
        &[("EQ_action", "SHIPPED")],
        &[("orderDirection", "SIDEWAYS")],
        &[("eventCountLimit", "5")],
        &[("orderBy", "eventTime"), ("eventCountLimit", "5"), ("maxEventCount", "5")],
        &[("maxEventCount", "0")],
        &[("GE_quantity", "lots")],
        &[("MATCH_epc", "urn:epc:idpat:sgtin:0614141.*.2017")],
        &[("GE_value_celsius", "4")],
    ];
    for pairs in bad {
        let e = EventQuery::from_pairs(pairs).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::QueryParameter, "{pairs:?}: {e}");
        assert_eq!(e.kind().epcis_exception(), Some("QueryParameterException"));
    }
}

#[test]
fn paging_limits_and_too_large() {
    let store = MemoryStore::new();
    let ev: Vec<Event> =
        (0..7).map(|i| object(&format!("2026-01-0{}T00:00:00Z", i + 1), &[&format!("urn:example:{i}")])).collect();
    store.ingest(ev).unwrap();
    // Descending event time, three a page, five in all.
    let mut query = q(&[("orderBy", "eventTime"), ("eventCountLimit", "5")]);
    query.page_size = 3;
    let p1 = store.event_query(&query).unwrap();
    assert_eq!(p1.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [7, 6, 5]);
    query.after = p1.next.clone();
    let p2 = store.event_query(&query).unwrap();
    assert_eq!(p2.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 3]);
    assert_eq!(p2.next, None);
    // The cursor's text reads back.
    let c = p1.next.unwrap();
    assert_eq!(c.to_string().parse::<QueryCursor>().unwrap(), c);
    let err = store.event_query(&q(&[("maxEventCount", "6")])).unwrap_err();
    assert_eq!(err.kind().epcis_exception(), Some("QueryTooLargeException"));
    assert_eq!(store.event_query(&q(&[("maxEventCount", "7")])).unwrap().events.len(), 7);
}

/// Reads a shared example; `None` (the test is skipped) when the shared data is absent.
fn shared(rel: &str) -> Option<Vec<u8>> {
    let p = Path::new(SHARED).join(rel);
    p.exists().then(|| std::fs::read(p).unwrap())
}

#[test]
fn shared_query_examples() {
    let Some(json) = shared("epcis-examples/Query/Queries/SimpleEventQuery.json") else { return };
    let j = EventQuery::from_json(&json).unwrap();
    assert_eq!(j.conds.len(), 10);
    assert_eq!(j.order(), (OrderBy::EventTime, Direction::Desc));
    assert_eq!(j.event_count_limit, Some(100));
    let x =
        EventQuery::from_poll_xml(&shared("epcis-xml/2.0-xml/Query/Queries/SimpleEventQuery.xml").unwrap()).unwrap();
    // The XML example holds a subset of the JSON one's parameters, with the same values.
    assert_eq!(x.conds.len(), 6);
    for c in &x.conds {
        assert!(j.conds.contains(c), "{c:?} is not in the JSON form");
    }
    for rel in ["Query_with_invalid_values.json", "Query_with_unknown_parameter.json"] {
        let bytes = shared(&format!("epcis-examples/Query/Queries/Invalid/{rel}")).unwrap();
        assert_eq!(EventQuery::from_json(&bytes).unwrap_err().kind(), ErrorKind::QueryParameter, "{rel}");
    }
    let bytes = shared("epcis-xml/2.0-xml/Query/Queries/Invalid/Query_without_queryName.xml").unwrap();
    assert_eq!(EventQuery::from_poll_xml(&bytes).unwrap_err().kind(), ErrorKind::QueryParameter);
}

#[test]
fn poll_xml_errors_have_positions() {
    let e = EventQuery::from_poll_xml(b"<Poll>\n  <queryName>SimpleEventQuery</queryName>\n  <params><param>\n</Poll>")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert!(e.message().starts_with("line 4"), "{e}");
    let e = EventQuery::from_poll_xml(b"<!DOCTYPE x [<!ENTITY a \"b\">]><Poll/>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let e = EventQuery::from_poll_xml(b"<Poll><queryName>SimpleMasterDataQuery</queryName></Poll>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSuchName);
    let e = EventQuery::from_json(b"{\"eventType\": [\"ObjectEvent\"],\n \"x\": }").unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::Syntax, Some(37)), "{e}");
}
