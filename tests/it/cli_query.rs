//! `tracecode query` (features `cli`, `rocksdb`): the answer in each output form, exit statuses, the query
//! read from JSON and XML files, paging by cursor, and an XML answer that imports back as the same events.

use serde_json::Value;

use crate::cli_store::{Tmp, epcis_doc, object_events, tc};

/// A store of 30 commissioning events (serials Q0..Q29, one second apart); returns the temp dir and the db path.
fn store() -> (Tmp, String) {
    let t = Tmp::new("query");
    let db = t.at("db");
    let doc = t.write("events.json", &epcis_doc(&object_events(30, "Q")));
    assert_eq!(tc(&["import", "--db", &db, &doc]).code, Some(0));
    (t, db)
}

fn ids(out: &str) -> Vec<&str> {
    out.lines().collect()
}

#[test]
fn query_forms_statuses_and_paging() {
    let (t, db) = store();
    let all = tc(&["query", "--db", &db, "--format", "ids", "EQ_bizStep=commissioning"]);
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    assert_eq!(ids(&all.stdout).len(), 30);
    // A pattern and a time bound: serials Q10..Q19 are seconds 10..19.
    let some = tc(&[
        "query",
        "--db",
        &db,
        "--format",
        "ids",
        "MATCH_epc=urn:epc:idpat:sgtin:9506000.013435.*",
        "GE_eventTime=2026-03-01T00:00:10Z",
        "LT_eventTime=2026-03-01T00:00:20Z",
    ]);
    assert_eq!(ids(&some.stdout), ids(&all.stdout)[10..20].to_vec());
    // No match: status 0 and an empty EPCISQueryDocument.
    let none = tc(&["query", "--db", &db, "EQ_bizStep=shipping"]);
    assert_eq!(none.code, Some(0));
    let doc: Value = serde_json::from_str(&none.stdout).unwrap();
    assert_eq!(doc["type"], "EPCISQueryDocument");
    assert_eq!(doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"], Value::Array(vec![]));
    // Newest first, limited.
    let last = tc(&["query", "--db", &db, "--format", "ids", "orderBy=eventTime", "eventCountLimit=3"]);
    let want: Vec<&str> = ids(&all.stdout).iter().rev().take(3).copied().collect();
    assert_eq!(ids(&last.stdout), want);
    // Bad parameters and too large answers: status 2, the exception named.
    for (args, exception) in [
        (vec!["EQ_colour=red"], "QueryParameterException"),
        (vec!["GE_eventTime=yesterday"], "QueryParameterException"),
        (vec!["maxEventCount=5"], "QueryTooLargeException"),
    ] {
        let mut argv = vec!["query", "--db", &db];
        argv.extend(args.iter().copied());
        let r = tc(&argv);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}: no partial document");
        let err: Value = serde_json::from_str(r.stderr.trim()).unwrap();
        assert_eq!(err["exception"], exception, "{args:?}");
    }
    // Pages: 7, then the rest from the cursor.
    let p1 = tc(&["query", "--db", &db, "--format", "ids", "--page-size", "7"]);
    let next: Value = serde_json::from_str(p1.stderr.trim()).unwrap();
    let cursor = next["next"].as_str().unwrap();
    let p2 = tc(&["query", "--db", &db, "--format", "ids", "--after", cursor]);
    let mut joined = ids(&p1.stdout);
    joined.extend(ids(&p2.stdout));
    assert_eq!(joined, ids(&all.stdout));
    // The query from files: the REST binding's JSON, and an XML Poll.
    let json = t.write("q.json", r#"{"MATCH_epc": ["https://id.gs1.org/01/09506000134352/21/Q7"]}"#);
    let r = tc(&["query", "--db", &db, "--format", "ids", "--json", &json]);
    assert_eq!(ids(&r.stdout), [ids(&all.stdout)[7]]);
    let xml = t.write(
        "q.xml",
        "<Poll><queryName>SimpleEventQuery</queryName><params><param><name>MATCH_epc</name>\
         <value><string>urn:epc:id:sgtin:9506000.013435.Q8</string></value></param></params></Poll>",
    );
    let r = tc(&["query", "--db", &db, "--format", "ids", "--json", &xml]);
    assert_eq!(ids(&r.stdout), [ids(&all.stdout)[8]]);
    // The XML answers (2.0 and 1.2) import into another store as the same events.
    for (format, name) in [("xml", "answer.xml"), ("xml-1.2", "answer12.xml"), ("json", "answer.json")] {
        let answer = tc(&["query", "--db", &db, "--format", format]);
        let file = t.write(name, &answer.stdout);
        let db2 = t.at(&format!("db-{name}"));
        let imported = tc(&["import", "--db", &db2, &file]);
        assert_eq!(imported.code, Some(0), "{format}: {}", imported.stderr);
        let again = tc(&["query", "--db", &db2, "--format", "ids"]);
        assert_eq!(ids(&again.stdout), ids(&all.stdout), "{format}");
    }
}

/// Master data from a JSON header and an XML master data document: `tracecode masterdata` answers, versions
/// are kept, and `WD_bizLocation` follows the hierarchy in `tracecode query`.
#[test]
fn masterdata_import_query_history() {
    let t = Tmp::new("masterdata");
    let db = t.at("db");
    let site = "urn:epc:id:sgln:9506000.13435.0";
    let dock = "urn:epc:id:sgln:9506000.13435.1";
    let header = format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T00:00:00Z",
        "epcisHeader": {{"epcisMasterData": {{"vocabularyList": [{{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
          "vocabularyElementList": [{{"id": "{site}", "attributes": [{{"id": "urn:epcglobal:cbv:mda#name", "attribute": "Site"}}],
                                      "children": ["{dock}"]}}]}}]}}}},
        "epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2026-03-01T00:00:00Z",
          "eventTimeZoneOffset": "+00:00", "epcList": ["urn:example:item:1"], "action": "OBSERVE",
          "bizLocation": {{"id": "{dock}"}}}}]}}}}"#
    );
    let doc = t.write("header.json", &header);
    let r = tc(&["import", "--db", &db, &doc]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let summary: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(summary["master_data"]["created"], 1);
    let xml = t.write(
        "md.xml",
        &format!(
            r#"<epcismd:EPCISMasterDataDocument xmlns:epcismd="urn:epcglobal:epcis-masterdata:xsd:1" schemaVersion="1.2" creationDate="2026-03-02T00:00:00Z">
<EPCISBody><VocabularyList><Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation"><VocabularyElementList>
<VocabularyElement id="{site}"><attribute id="urn:epcglobal:cbv:mda#name">Site North</attribute></VocabularyElement>
<VocabularyElement id="{dock}"><attribute id="urn:epcglobal:cbv:mda#name">Dock</attribute></VocabularyElement>
</VocabularyElementList></Vocabulary></VocabularyList></EPCISBody></epcismd:EPCISMasterDataDocument>"#
        ),
    );
    let r = tc(&["import", "--db", &db, &xml]);
    let summary: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(
        (summary["master_data"]["created"].as_u64(), summary["master_data"]["updated"].as_u64()),
        (Some(1), Some(1))
    );
    let md =
        tc(&["masterdata", "--db", &db, "includeAttributes=true", "includeChildren=true", &format!("WD_name={site}")]);
    assert_eq!(md.code, Some(0), "{}", md.stderr);
    let v: Value = serde_json::from_str(md.stdout.trim()).unwrap();
    let els = v["vocabularyList"][0]["vocabularyElementList"].as_array().unwrap();
    assert_eq!(els.len(), 2);
    let history = tc(&["masterdata", "--db", &db, "--history", site]);
    let h: Value = serde_json::from_str(history.stdout.trim()).unwrap();
    let names: Vec<&str> = h["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["element"]["attributes"][0]["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Site", "Site North"]);
    // The event happened at the dock: the site's WD_ finds it, its EQ_ does not.
    let wd = tc(&["query", "--db", &db, "--format", "ids", &format!("WD_bizLocation={site}")]);
    assert_eq!(wd.stdout.lines().count(), 1, "{}", wd.stderr);
    let eq = tc(&["query", "--db", &db, "--format", "ids", &format!("EQ_bizLocation={site}")]);
    assert_eq!(eq.stdout.lines().count(), 0);
    let bad = tc(&["masterdata", "--db", &db, "EQ_nom=x"]);
    assert_eq!(bad.code, Some(2));
}

/// `export --master-data` writes the store's master data in the header of every binding, and importing the
/// export into another store gives it the same master data.
#[test]
fn export_carries_master_data() {
    let t = Tmp::new("export-md");
    let db = t.at("db");
    let md = r#"{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "type": "EPCISMasterDataDocument", "schemaVersion": "2.0", "creationDate": "2026-03-01T00:00:00Z",
        "epcisBody": {"vocabularyList": [{"type": "urn:epcglobal:epcis:vtype:ReadPoint", "vocabularyElementList": [
            {"id": "urn:epc:id:sgln:9506000.13435.7", "attributes": [{"id": "urn:x:door", "attribute": "7 & 8"}],
             "children": ["urn:epc:id:sgln:9506000.13435.8"]}]}]}}"#;
    let file = t.write("md.json", md);
    assert_eq!(tc(&["import", "--db", &db, &file]).code, Some(0));
    let events = t.write("events.json", &epcis_doc(&object_events(3, "E")));
    assert_eq!(tc(&["import", "--db", &db, &events]).code, Some(0));
    let want = tc(&["masterdata", "--db", &db, "includeAttributes=true", "includeChildren=true"]).stdout;
    for format in ["json", "xml", "xml-1.2"] {
        let out = tc(&["export", "--db", &db, "--format", format, "--master-data"]);
        assert_eq!(out.code, Some(0), "{format}: {}", out.stderr);
        let file = t.write(&format!("export.{format}"), &out.stdout);
        let db2 = t.at(&format!("db2-{format}"));
        let r = tc(&["import", "--db", &db2, &file]);
        assert_eq!(r.code, Some(0), "{format}: {}", r.stderr);
        let got = tc(&["masterdata", "--db", &db2, "includeAttributes=true", "includeChildren=true"]).stdout;
        assert_eq!(got, want, "{format}");
        assert_eq!(tc(&["query", "--db", &db2, "--format", "ids"]).stdout.lines().count(), 3, "{format}");
    }
}
