//! The EPCIS query oracle: random SimpleEventQueries over random workloads, answered by the RocksDB store's
//! plans and by the in-memory store's filter over every event, must give the same pages, cursor by cursor
//! (features `rocksdb`, `testing`: the workloads are the store model test's).

use proptest::prelude::*;
use proptest::sample::Index as Pick;
use proptest::test_runner::TestCaseError;
use tracecode::event::{Decimal, Event, ExtValue, Extension, IdForm, SensorElement, SensorReport};
use tracecode::masterdata::Vocabulary;
use tracecode::store::event_query::{Cond, FieldTest, FieldValue, ValueKind};
use tracecode::store::{EventPage, EventQuery, MemoryStore, Store, TraceStore};

use crate::store::{
    GTIN_A, LOTS, PERSISTENT, SLOTS, U, Workload, XFORM_IDS, at, biz_steps, dispositions, open, pick, workload,
};
use crate::tmp::TempDir;

const TEMP: &str = "https://ns.example.com/epcis/temp";
const GRADE: &str = "https://ns.example.com/epcis/grade";

/// Adds a temperature sensor report and an extension number to some events, chosen by the event's time and
/// type only, so copies of one event (duplicates, declarations) stay copies.
fn decorate(e: &mut Event) {
    let k = e.event_time.0.rem_euclid(7_000_000_000_000) / 1_000_000_000 % 7;
    if k >= 3 {
        let (v, uom) = if k % 2 == 0 { ("4.5", "CEL") } else { ("41", "FAH") };
        let report = SensorReport {
            kind: Some("Temperature".into()),
            value: Some(Decimal::parse(v).unwrap()),
            uom: Some(uom.into()),
            ..SensorReport::default()
        };
        e.sensor_elements.push(SensorElement { reports: vec![report], ..SensorElement::default() });
    }
    if k != 1 {
        e.extensions
            .push(Extension { name: TEMP.into(), value: ExtValue::Number(Decimal::parse(&format!("{k}")).unwrap()) });
    }
}

fn time_text(k: usize) -> String {
    at(k).to_rfc3339(tracecode::event::TzOffset(0), 0)
}

/// One random condition as a `NAME=VALUE` pair.
fn cond() -> impl Strategy<Value = (String, String)> {
    let u = &*U;
    let idents: Vec<String> = u.items.iter().chain(&u.containers).map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    let classes: Vec<String> = u.classes.iter().chain(&u.extra).map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    let patterns = vec![
        "urn:epc:idpat:sgtin:0614141.107346.*".to_owned(),
        "urn:epc:idpat:sgtin:0614141.*.*".to_owned(),
        "urn:epc:idpat:sgtin:*.*.*".to_owned(),
        "urn:epc:idpat:sscc:0614141.*".to_owned(),
        format!("https://id.gs1.org/01/{GTIN_A}"),
        "urn:epc:idpat:sgtin:9506000.013435.*".to_owned(),
    ];
    let locations: Vec<String> = u.locations.iter().map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    let parties: Vec<String> = u.parties.iter().map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    let steps: Vec<String> = biz_steps().iter().map(tracecode::event::BizStep::web_uri).collect();
    let disps: Vec<String> = dispositions().iter().map(tracecode::event::Disposition::web_uri).collect();
    let instance_fields = ["MATCH_epc", "MATCH_anyEPC", "MATCH_parentID", "MATCH_inputEPC", "MATCH_outputEPC"];
    let class_fields = ["MATCH_epcClass", "MATCH_anyEPCClass", "MATCH_inputEPCClass", "MATCH_outputEPCClass"];
    let two = |v: Vec<String>| {
        (any::<Pick>(), prop::option::of(any::<Pick>())).prop_map(move |(a, b)| {
            let mut s = pick(&v, a);
            if let Some(b) = b {
                s = format!("{s},{}", pick(&v, b));
            }
            s
        })
    };
    let with_patterns: Vec<String> = idents.iter().chain(&patterns).cloned().collect();
    let class_values: Vec<String> = classes.iter().chain(&patterns).cloned().collect();
    prop_oneof![
        two(["ObjectEvent", "AggregationEvent", "TransformationEvent", "AssociationEvent", "TransactionEvent"]
            .map(String::from)
            .to_vec())
        .prop_map(|v| ("eventType".to_owned(), v)),
        (0..=SLOTS + 1, any::<bool>())
            .prop_map(|(k, ge)| ((if ge { "GE_eventTime" } else { "LT_eventTime" }).to_owned(), time_text(k))),
        (0..=SLOTS + 1, any::<bool>())
            .prop_map(|(k, ge)| ((if ge { "GE_recordTime" } else { "LT_recordTime" }).to_owned(), time_text(k))),
        two(["ADD", "OBSERVE", "DELETE"].map(String::from).to_vec()).prop_map(|v| ("EQ_action".to_owned(), v)),
        two(steps).prop_map(|v| ("EQ_bizStep".to_owned(), v)),
        two(disps).prop_map(|v| ("EQ_disposition".to_owned(), v)),
        (two(PERSISTENT.iter().map(|d| d.term().to_owned()).collect()), any::<bool>()).prop_map(|(v, set)| (
            (if set { "EQ_persistentDisposition_set" } else { "EQ_persistentDisposition_unset" }).to_owned(),
            v
        )),
        (two(locations.clone()), 0..4usize).prop_map(|(v, f)| {
            (["EQ_readPoint", "WD_readPoint", "EQ_bizLocation", "WD_bizLocation"][f].to_owned(), v)
        }),
        two(XFORM_IDS.map(String::from).to_vec()).prop_map(|v| ("EQ_transformationID".to_owned(), v)),
        (two(with_patterns), any::<Pick>()).prop_map(move |(v, f)| (pick(&instance_fields, f).to_owned(), v)),
        (two(class_values), any::<Pick>()).prop_map(move |(v, f)| (pick(&class_fields, f).to_owned(), v)),
        (0..5usize, prop_oneof![Just("3"), Just("12.5"), Just("100"), Just("12500"), Just("0.1")]).prop_map(
            |(op, v)| {
                let name = ["GE_quantity", "LT_quantity", "EQ_quantity", "GE_quantity_GRM", "LE_quantity_KGM"][op];
                (name.to_owned(), v.to_owned())
            }
        ),
        two(LOTS.map(String::from).to_vec()).prop_map(|v| ("EQ_ILMD_cbvmda:lotNumber".to_owned(), v)),
        Just(("EXISTS_ILMD_cbvmda:lotNumber".to_owned(), String::new())),
        prop_oneof![Just("0"), Just("1"), Just("1.00"), Just("A"), Just("0,A")]
            .prop_map(|v| (format!("EQ_ILMD_{GRADE}"), v.to_owned())),
        Just(("EXISTS_errorDeclaration".to_owned(), String::new())),
        Just(("EQ_errorReason".to_owned(), "incorrect_data".to_owned())),
        (two(parties.clone()), 0..3usize).prop_map(|(v, f)| {
            (["EQ_source_owning_party", "EQ_destination_possessing_party", "EQ_source_location"][f].to_owned(), v)
        }),
        two(locations).prop_map(|v| ("EQ_destination_location".to_owned(), v)),
        Just(("EQ_bizTransaction_po".to_owned(), "urn:example:po:42".to_owned())),
        (0..4usize, prop_oneof![Just("4.5"), Just("5"), Just("40"), Just("278")]).prop_map(|(op, v)| {
            (["GE_value_CEL", "LT_value_FAH", "EQ_value_CEL", "GT_value_KEL"][op].to_owned(), v.to_owned())
        }),
        Just(("EQ_type".to_owned(), "gs1:Temperature".to_owned())),
        (0..4usize)
            .prop_map(|f| {
                [
                    ("HASATTR_bizLocation", "urn:x:name"),
                    ("HASATTR_readPoint", "urn:x:region,urn:x:name"),
                    ("EQATTR_bizLocation_urn:x:name", "door"),
                    ("EQATTR_readPoint_urn:x:region", "east,west"),
                ][f]
            })
            .prop_map(|(n, v)| (n.to_owned(), v.to_owned())),
        Just(("EXISTS_sensorElementList".to_owned(), String::new())),
        (0..3usize, 0..7u8).prop_map(|(op, v)| (format!("{}_{TEMP}", ["GE", "LT", "EQ"][op]), v.to_string())),
    ]
}

/// A random query: 0–4 conditions, an order, limits and a page size.
/// A business-step condition with a place condition (the pair the place-and-step index answers together).
fn step_at_place() -> impl Strategy<Value = Vec<(String, String)>> {
    let steps: Vec<String> = biz_steps().iter().map(tracecode::event::BizStep::web_uri).collect();
    let places: Vec<String> = U.locations.iter().map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    (any::<Pick>(), any::<Pick>(), any::<Pick>(), 0..4usize, any::<bool>()).prop_map(move |(a, b, p, f, two)| {
        let step = if two { format!("{},{}", pick(&steps, a), pick(&steps, b)) } else { pick(&steps, a) };
        let field = ["EQ_readPoint", "WD_readPoint", "EQ_bizLocation", "WD_bizLocation"][f];
        vec![("EQ_bizStep".to_owned(), step), (field.to_owned(), pick(&places, p))]
    })
}

fn query() -> impl Strategy<Value = (Vec<(String, String)>, usize)> {
    (
        (prop::collection::vec(cond(), 0..=3), prop::option::weighted(0.3, step_at_place())).prop_map(
            |(mut c, pair)| {
                if let Some(pair) = pair {
                    c.splice(0..0, pair);
                }
                c
            },
        ),
        prop_oneof![Just(None), Just(Some("eventTime")), Just(Some("recordTime")), Just(Some(TEMP))],
        prop::option::of(prop_oneof![Just("ASC"), Just("DESC")]),
        0..4u8,
        1..9usize,
    )
        .prop_map(|(mut conds, order, dir, limit, page)| {
            // A parameter appears once.
            let mut seen = Vec::new();
            conds.retain(|(n, _)| {
                let fresh = !seen.contains(n);
                seen.push(n.clone());
                fresh
            });
            if let Some(o) = order {
                conds.push(("orderBy".to_owned(), o.to_owned()));
                if let Some(d) = dir {
                    conds.push(("orderDirection".to_owned(), d.to_owned()));
                }
                if limit == 1 {
                    conds.push(("eventCountLimit".to_owned(), "5".to_owned()));
                }
            }
            if limit == 2 {
                conds.push(("maxEventCount".to_owned(), "12".to_owned()));
            }
            (conds, page)
        })
}

/// Pages through `q` on both stores, comparing each page (or error).
fn same_pages(mem: &MemoryStore, st: &Store, mut q: EventQuery, ctx: &str) -> Result<usize, TestCaseError> {
    let mut total = 0;
    for _ in 0..500 {
        let want = mem.event_query(&q);
        let got = st.event_query(&q);
        let (want, got): (EventPage, EventPage) = match (want, got) {
            (Ok(w), Ok(g)) => (w, g),
            (Err(w), Err(g)) => {
                prop_assert_eq!(w.kind(), g.kind(), "{}: errors", ctx);
                return Ok(total);
            }
            (w, g) => return Err(TestCaseError::fail(format!("{ctx}: model {w:?}, store {g:?}"))),
        };
        prop_assert_eq!(&got.events, &want.events, "{}: page after {:?}", ctx, q.after);
        prop_assert_eq!(&got.next, &want.next, "{}: next after {:?}", ctx, q.after);
        prop_assert!(got.examined <= want.examined, "{}: the plan examined more than every event", ctx);
        total += got.events.len();
        match got.next {
            Some(n) => q.after = Some(n),
            None => return Ok(total),
        }
    }
    Err(TestCaseError::fail(format!("{ctx}: more than 500 pages")))
}

/// The location hierarchy and attributes of the master data: location 0 holds 1, which holds 2; 0 and 2 have
/// a name, 1 a region (in two documents, so the store keeps two versions of location 1).
fn master_data() -> Vec<Vec<Vocabulary>> {
    let l: Vec<String> = U.locations.iter().map(|i| i.to_uri(IdForm::DigitalLink)).collect();
    let doc = |v: serde_json::Value| Vocabulary::from_json_list(&v).unwrap();
    vec![
        doc(serde_json::json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
            {"id": l[0], "attributes": [{"id": "urn:x:name", "attribute": "site"}], "children": [l[1]]},
            {"id": l[1], "children": [l[2]]},
            {"id": l[2], "attributes": [{"id": "urn:x:name", "attribute": "door"}]}]}])),
        doc(serde_json::json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
            {"id": l[1], "attributes": [{"id": "urn:x:region", "attribute": "east"}]}]}])),
    ]
}

fn load(w: &Workload, dir: &TempDir) -> (MemoryStore, Store) {
    let mem = MemoryStore::new();
    let st = open(dir.path());
    for d in master_data() {
        assert_eq!(mem.put_master_data(&d).unwrap(), st.put_master_data(&d).unwrap());
    }
    assert_eq!(mem.master_data_versions().unwrap(), st.master_data_versions().unwrap());
    for b in &w.batches {
        let mut b = b.clone();
        b.iter_mut().for_each(decorate);
        mem.ingest(b.clone()).unwrap();
        st.ingest(b).unwrap();
    }
    (mem, st)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 300, ..ProptestConfig::default() })]

    #[test]
    fn store_answers_queries_like_the_model(w in workload(), qs in prop::collection::vec(query(), 12)) {
        let dir = TempDir::new("query");
        let (mem, st) = load(&w, &dir);
        for (pairs, page) in qs {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let mut q = EventQuery::from_pairs(&refs).map_err(|e| TestCaseError::fail(format!("{pairs:?}: {e}")))?;
            q.page_size = page;
            // The JSON forms: field values given as strings or as numbers compare differently.
            let kind = [ValueKind::Untyped, ValueKind::Text, ValueKind::Number][page % 3];
            for c in &mut q.conds {
                if let Cond::Field { test: FieldTest::Cmp(_, values), .. } = c {
                    for v in values.iter_mut() {
                        if kind != ValueKind::Number || v.number.is_some() {
                            *v = FieldValue::typed(&v.text, kind);
                        }
                    }
                }
            }
            same_pages(&mem, &st, q, &format!("{pairs:?} page {page}"))?;
        }
    }
}

/// A query the index answers reads fewer events than there are, and a query on one item reads only its chain.
#[test]
fn plans_read_less_than_everything() {
    let w = crate::store::sample(workload(), 3);
    let dir = TempDir::new("query-plan");
    let (mem, st) = load(&w, &dir);
    let all = mem.event_query(&EventQuery::default()).unwrap().examined;
    let item = U.items[0].to_uri(IdForm::DigitalLink);
    for pairs in [vec![("MATCH_epc", item.as_str())], vec![("EQ_bizStep", "shipping")]] {
        let q = EventQuery::from_pairs(&pairs).unwrap();
        let (m, s) = (mem.event_query(&q).unwrap(), st.event_query(&q).unwrap());
        assert_eq!(m.events, s.events, "{pairs:?}");
        assert!(s.examined < all, "{pairs:?}: examined {} of {all}", s.examined);
    }
}

/// A format-5 store (one without the query index families) answers queries like the model when opened
/// read-only, and verifies; a read-write open writes the families back byte for byte and raises the marker.
#[test]
fn format5_store_is_queried_then_upgraded() {
    use tracecode::store::{Options, keys};
    let w = crate::store::sample(workload(), 5);
    let dir = TempDir::new("query-format5");
    let (mem, st) = load(&w, &dir);
    st.close().unwrap();
    let query_tags = [0x07u8, 0x08, 0x09, 0x0A];
    let families = |d: &std::path::Path| {
        let db = crate::store::raw(d);
        let cf = db.cf_handle("idx").unwrap();
        db.iterator_cf(cf, rocksdb::IteratorMode::Start)
            .map(Result::unwrap)
            .filter(|(k, _)| query_tags.contains(&k[0]))
            .collect::<Vec<_>>()
    };
    let before = families(dir.path());
    assert!(before.len() > w.batches.len(), "the query families have records");
    {
        let db = crate::store::raw(dir.path());
        let cf = db.cf_handle("idx").unwrap();
        for (k, _) in &before {
            db.delete_cf(cf, k).unwrap();
        }
        db.put(keys::FORMAT_KEY, crate::store::sealed(keys::FORMAT_KEY, &5u32.to_be_bytes())).unwrap();
    }
    let queries: &[&[(&str, &str)]] = &[
        &[("eventType", "AggregationEvent,TransformationEvent")],
        &[("MATCH_anyEPC", "urn:epc:idpat:sgtin:0614141.107346.*")],
        &[("MATCH_anyEPCClass", &format!("https://id.gs1.org/01/{GTIN_A}"))],
        &[("EQ_ILMD_cbvmda:lotNumber", "L1")],
        &[("EQ_bizStep", "shipping,receiving"), ("WD_bizLocation", &U.locations[0].to_uri(IdForm::DigitalLink))],
    ];
    let ro = Store::open(dir.path(), Options::default().read_only(true)).unwrap();
    for pairs in queries {
        same_pages(&mem, &ro, EventQuery::from_pairs(pairs).unwrap(), &format!("read-only {pairs:?}")).unwrap();
    }
    assert!(ro.verify_all().unwrap().is_ok());
    drop(ro);
    let st = open(dir.path());
    for pairs in queries {
        same_pages(&mem, &st, EventQuery::from_pairs(pairs).unwrap(), &format!("upgraded {pairs:?}")).unwrap();
    }
    assert!(st.verify_all().unwrap().is_ok());
    assert_eq!(st.master_data_versions().unwrap(), mem.master_data_versions().unwrap(), "master data kept");
    st.close().unwrap();
    assert_eq!(families(dir.path()), before);
    let db = crate::store::raw(dir.path());
    assert_eq!(
        db.get(keys::FORMAT_KEY).unwrap().unwrap(),
        crate::store::sealed(keys::FORMAT_KEY, &keys::FORMAT_VERSION.to_be_bytes())
    );
}

/// The log names the chain entry holding an inline frame (queries read it directly); a log record naming
/// another node is found by `verify` at that entry, even when resealed.
#[test]
fn log_home_nodes_are_verified() {
    use tracecode::store::keys;
    let w = crate::store::sample(workload(), 7);
    let dir = TempDir::new("log-home");
    let (_, st) = load(&w, &dir);
    st.close().unwrap();
    let db = crate::store::raw(dir.path());
    let cf = db.cf_handle("log").unwrap();
    // The first record that names a home: id (32) ‖ hash (32) ‖ node, then the CRC (4).
    let (k, v) = db
        .iterator_cf(cf, rocksdb::IteratorMode::Start)
        .map(Result::unwrap)
        .find(|(_, v)| v.len() > 68)
        .expect("a log record with a home node");
    let mut body = v[..v.len() - 4].to_vec();
    body.truncate(64);
    body.extend_from_slice(&keys::node_key(&crate::store::id("urn:example:nowhere")));
    db.put_cf(cf, &k, crate::store::sealed(&k, &body)).unwrap();
    drop(db);
    let st = open(dir.path());
    let bad = st.verify_all().unwrap().first_bad.expect("the wrong home is found");
    assert_eq!((bad.area, bad.seq), ("log", Some(u64::from_be_bytes(k[..8].try_into().unwrap()))), "{bad}");
}
