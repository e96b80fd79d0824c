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
