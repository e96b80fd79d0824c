//! Master data: the JSON form round trip (property), the XML form equal to the JSON one, merging, and each
//! SimpleMasterDataQuery parameter with answers written out.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::ErrorKind;
use crate::store::{MemoryStore, TraceStore};

const LOC: &str = "urn:epcglobal:epcis:vtype:BusinessLocation";
const NAME: &str = "urn:epcglobal:cbv:mda#name";

fn sgln(n: u32) -> String {
    format!("urn:epc:id:sgln:0614141.00777.{n}")
}

/// A site (0) with two docks (1, 2), dock 1 with a bay (3) whose child is the site again (a cycle), and a
/// party with a name.
fn sample() -> Vec<Vocabulary> {
    Vocabulary::from_json_list(&json!([
        {"type": LOC, "vocabularyElementList": [
            {"id": sgln(0), "attributes": [{"id": NAME, "attribute": "Cold store"}], "children": [sgln(1), sgln(2)]},
            {"id": sgln(1), "attributes": [{"id": NAME, "attribute": "Dock 1"}, {"id": "urn:x:temp", "attribute": 4}],
             "children": [sgln(3)]},
            {"id": sgln(2)},
            {"id": sgln(3), "children": [sgln(0)]}
        ]},
        {"type": "urn:epcglobal:epcis:vtype:Party", "vocabularyElementList": [
            {"id": "urn:epc:id:pgln:0614141.00001", "attributes": [{"id": NAME, "attribute": "Acme"}]}
        ]}
    ]))
    .unwrap()
}

fn ids(v: &[Vocabulary]) -> Vec<String> {
    v.iter().flat_map(|v| v.elements.iter().map(|e| e.id.to_string())).collect()
}

fn answer(store: &MemoryStore, pairs: &[(&str, &str)]) -> Vec<Vocabulary> {
    store.master_data(&MasterDataQuery::from_pairs(pairs).unwrap()).unwrap()
}

#[test]
fn query_parameters() {
    let store = MemoryStore::new();
    let r = store.put_master_data(&sample()).unwrap();
    assert_eq!((r.elements, r.created, r.updated, r.unchanged), (5, 5, 0, 0));
    // Elements come in the store's order (by identifier key), the party's key sorting before the locations'.
    let all = answer(&store, &[]);
    assert_eq!(all.len(), 2);
    assert_eq!(ids(&all).len(), 5);
    assert!(all.iter().all(|v| v.elements.iter().all(|e| e.attributes.is_empty() && e.children.is_empty())));
    let locs = answer(&store, &[("vocabularyName", LOC), ("includeChildren", "true")]);
    assert_eq!(ids(&locs), [sgln(0), sgln(1), sgln(2), sgln(3)]);
    assert_eq!(locs[0].elements[0].children.len(), 2);
    // The Digital Link of the site's GLN names the same element.
    let site = answer(&store, &[("EQ_name", "https://id.gs1.org/414/0614141007776"), ("includeAttributes", "true")]);
    assert_eq!(ids(&site), [sgln(0)]);
    assert_eq!(site[0].elements[0].attribute(NAME), Some(&ExtValue::String("Cold store".into())));
    // WD_name follows children transitively and survives the cycle.
    assert_eq!(ids(&answer(&store, &[("WD_name", &sgln(1))])), [sgln(0), sgln(1), sgln(2), sgln(3)]);
    assert_eq!(ids(&answer(&store, &[("WD_name", &sgln(2))])), [sgln(2)]);
    assert_eq!(ids(&answer(&store, &[("HASATTR", "urn:x:temp")])), [sgln(1)]);
    assert_eq!(ids(&answer(&store, &[(&*format!("EQATTR_{NAME}"), "Acme,Dock 1")])).len(), 2);
    assert_eq!(ids(&answer(&store, &[("EQATTR_urn:x:temp", "4")])), [sgln(1)]);
    let only_name = answer(&store, &[("EQ_name", &sgln(1)), ("includeAttributes", "true"), ("attributeNames", NAME)]);
    assert_eq!(only_name[0].elements[0].attributes.len(), 1);
    let e = store.master_data(&MasterDataQuery::from_pairs(&[("maxElementCount", "4")]).unwrap()).unwrap_err();
    assert_eq!(e.kind().epcis_exception(), Some("QueryTooLargeException"));
    for bad in [&[("includeChildren", "yes")][..], &[("EQ_nom", "x")][..], &[("maxElementCount", "0")][..]] {
        assert_eq!(MasterDataQuery::from_pairs(bad).unwrap_err().kind(), ErrorKind::QueryParameter, "{bad:?}");
    }
}

#[test]
fn later_documents_update_and_keep_history() {
    let store = MemoryStore::new();
    store.put_master_data(&sample()).unwrap();
    let mut newer = VocabularyElement::new(sgln(1));
    newer.attributes.push(Attribute { id: NAME.into(), value: "Dock One".into() });
    newer.children.push(sgln(9).into());
    let update = vec![Vocabulary { kind: LOC.into(), elements: vec![newer.clone(), newer] }];
    let r = store.put_master_data(&update).unwrap();
    assert_eq!((r.updated, r.unchanged), (1, 1), "the second copy changes nothing more");
    assert_eq!(store.put_master_data(&sample()).unwrap().unchanged, 4, "only sample's dock 1 name is an update again");
    let versions: Vec<_> =
        store.master_data_versions().unwrap().into_iter().filter(|v| *v.element.id == sgln(1)).collect();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
    let names: Vec<_> = versions.iter().map(|v| v.element.attribute(NAME).cloned()).collect();
    assert_eq!(names, [Some("Dock 1".into()), Some("Dock One".into()), Some("Dock 1".into())]);
    assert!(versions[2].element.children.contains(&sgln(9).into()), "children are kept");
}

#[test]
fn xml_master_data_reads_like_json() {
    let xml = format!(
        r#"<epcismd:EPCISMasterDataDocument xmlns:epcismd="urn:epcglobal:epcis-masterdata:xsd:1" xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2026-01-01T00:00:00Z">
  <EPCISBody><VocabularyList>
    <Vocabulary type="{LOC}"><VocabularyElementList>
      <VocabularyElement id="{s0}"><attribute id="{NAME}">Cold store</attribute>
        <children><id>{s1}</id><id>{s2}</id></children></VocabularyElement>
      <VocabularyElement id="{s1}"><attribute id="{NAME}">Dock 1</attribute><attribute id="urn:x:temp">4</attribute>
        <children><id>{s3}</id></children></VocabularyElement>
      <VocabularyElement id="{s2}"/>
      <VocabularyElement id="{s3}"><children><id>{s0}</id></children></VocabularyElement>
    </VocabularyElementList></Vocabulary>
    <Vocabulary type="urn:epcglobal:epcis:vtype:Party"><VocabularyElementList>
      <VocabularyElement id="urn:epc:id:pgln:0614141.00001"><attribute id="{NAME}">Acme</attribute></VocabularyElement>
    </VocabularyElementList></Vocabulary>
  </VocabularyList></EPCISBody></epcismd:EPCISMasterDataDocument>"#,
        s0 = sgln(0),
        s1 = sgln(1),
        s2 = sgln(2),
        s3 = sgln(3)
    );
    let summary = crate::event::epcis_xml::read_events(
        xml.as_bytes(),
        crate::event::epcis_json::ReadOptions::default(),
        |_, _| Ok(()),
    )
    .unwrap();
    assert_eq!(summary.document, crate::event::epcis_xml::XmlDocumentKind::MasterDataDocument);
    let mut want = sample();
    // XML has no numbers: the temperature attribute is text.
    want[0].elements[1].attributes[1].value = ExtValue::String("4".into());
    assert_eq!(summary.master_data, want);
}

#[test]
fn json_header_master_data_is_imported() {
    let doc = json!({
        "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": []},
        "epcisHeader": {"epcisMasterData": {"vocabularyList": Vocabulary::to_json_list(&sample())}}
    });
    let bytes = serde_json::to_vec(&doc).unwrap();
    let summary =
        crate::event::epcis_json::import(bytes.as_slice(), crate::event::epcis_json::Mode::AcceptValid, |_, _| Ok(()))
            .unwrap();
    assert_eq!(summary.master_data, sample());
    assert_eq!(Vocabulary::from_json_document(&doc).unwrap(), sample());
    let bad = json!({"epcisHeader": {"epcisMasterData": {"vocabularyList": [{"type": LOC, "vocabularyElementList": [{"x": 1}]}]}}});
    let e = Vocabulary::from_json_document(&bad).unwrap_err();
    assert!(e.message().starts_with("/epcisHeader/epcisMasterData/vocabularyList/0/vocabularyElementList/0/id"), "{e}");
}

fn arb_vocabularies() -> impl Strategy<Value = Vec<Vocabulary>> {
    let value = prop_oneof![
        "[a-z ]{0,8}".prop_map(|s| ExtValue::String(s.into())),
        (0u32..1000).prop_map(|n| ExtValue::Number(crate::event::Decimal::parse(&n.to_string()).unwrap())),
        any::<bool>().prop_map(ExtValue::Bool),
    ];
    let element = (0u32..50, prop::collection::vec((0u8..6, value), 0..4), prop::collection::vec(0u32..50, 0..3))
        .prop_map(|(id, attrs, children)| {
            let mut e = VocabularyElement::new(sgln(id));
            for (a, v) in attrs {
                let name: Box<str> = format!("urn:x:attr{a}").into();
                if !e.attributes.iter().any(|x| x.id == name) {
                    e.attributes.push(Attribute { id: name, value: v });
                }
            }
            for c in children {
                let c: Box<str> = sgln(c).into();
                if !e.children.contains(&c) {
                    e.children.push(c);
                }
            }
            e
        });
    prop::collection::vec((prop_oneof![Just(LOC), Just(READ_POINT)], prop::collection::vec(element, 0..5)), 0..3)
        .prop_map(|vs| vs.into_iter().map(|(k, elements)| Vocabulary { kind: k.into(), elements }).collect())
}

proptest! {
    #[test]
    fn json_list_round_trips(v in arb_vocabularies()) {
        let j = Vocabulary::to_json_list(&v);
        prop_assert_eq!(Vocabulary::from_json_list(&j).unwrap(), v);
    }

    /// Storing documents one after another equals merging them by hand, element by element.
    #[test]
    fn stored_latest_is_the_merge(docs in prop::collection::vec(arb_vocabularies(), 1..4)) {
        let store = MemoryStore::new();
        let mut model: std::collections::HashMap<(Id, Box<str>), VocabularyElement> = std::collections::HashMap::new();
        for d in &docs {
            store.put_master_data(d).unwrap();
            for v in d {
                for e in &v.elements {
                    let k = (e.key(), v.kind.clone());
                    let next = match model.get(&k) { Some(old) => old.merged_with(e), None => e.clone() };
                    model.insert(k, next);
                }
            }
        }
        let got = latest(store.master_data_versions().unwrap());
        prop_assert_eq!(got.len(), model.len());
        for (kind, e) in got {
            prop_assert_eq!(Some(&e), model.get(&(e.key(), kind)));
        }
    }
}
