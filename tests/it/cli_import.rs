//! `tracecode import` beyond the basic summary (see `tracecode import --help`), and how the store commands
//! report a `--db` that holds no store (features `cli`, `rocksdb`).

use serde_json::json;

use super::cli_store::{Tmp, epcis_doc, json_lines, object_events, stats, tc};

/// Every command that opens an existing store, and the exit status each documents for a store it cannot open.
const STORE_COMMANDS: &[(&[&str], i32)] = &[
    (&["stats"], 1),
    (&["verify"], 1),
    (&["feed", "--since", "0"], 1),
    (&["export", "--since", "0"], 1),
    (&["recover"], 1),
    (&["resolve", "(01)09506000134352(21)A1"], 2),
    (&["trace", "--back", "(01)09506000134352(21)A1"], 2),
    (&["recall", "(01)09506000134352(21)A1"], 2),
    (&["recall", "--commit", "(01)09506000134352(21)A1"], 2),
];

#[test]
fn a_db_without_a_store_is_one_line_with_a_hint() {
    let t = Tmp::new("no-store");
    let empty = t.at("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for dir in [t.at("missing"), empty] {
        for (cmd, code) in STORE_COMMANDS {
            let mut args = cmd.to_vec();
            args.extend(["--db", &dir]);
            let r = tc(&args);
            assert_eq!(r.code, Some(*code), "{args:?}: {}", r.stderr);
            assert_eq!(r.stdout, "", "{args:?}");
            assert_eq!(
                r.stderr,
                format!(
                    "tracecode: no tracecode store at {dir} (create one with `tracecode import --db {dir} FILE...`)\n"
                ),
                "{args:?}"
            );
            assert!(!std::path::Path::new(&dir).join("CURRENT").exists(), "{args:?} created a store");
        }
    }
    // A file where the store directory should be: import (which creates stores) and a reader say so.
    let file = t.write("file", "not a store");
    let doc = t.write("doc.json", &epcis_doc(&object_events(1, "F")));
    for (args, code) in [(vec!["import", "--db", &file, &doc], 2), (vec!["stats", "--db", &file], 1)] {
        let r = tc(&args);
        assert_eq!(r.code, Some(code), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("{file} is a file, not a tracecode store directory")), "{}", r.stderr);
    }
}

/// A document of `n` events cut inside event `cut` (0-based): events `0..cut` are whole.
fn truncated(n: u64, prefix: &str, cut: usize) -> String {
    let events = object_events(n, prefix);
    let doc = epcis_doc(&events);
    let at = doc.find(&events[cut]).unwrap() + events[cut].len() / 2;
    doc[..at].to_owned()
}

fn found(db: &str, code: &str) -> bool {
    let r = tc(&["resolve", "--db", db, code]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
    r.json()["found"] == true
}

#[test]
fn atomic_stores_nothing_of_a_truncated_file() {
    let t = Tmp::new("atomic-truncated");
    let cut = t.write("cut.json", &truncated(10, "T", 7));
    let db = t.at("atomic");
    let r = tc(&["import", "--atomic", "--db", &db, &cut]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let s = r.json();
    assert_eq!((s["events"].as_u64(), s["accepted"].as_u64()), (Some(7), Some(0)), "{s}");
    assert_eq!(s["files"], json!({"total": 1, "imported": 0, "failed": 1}), "{s}");
    let failed = &s["failed_files"][0];
    assert_eq!((failed["file"].as_str(), failed["stored"].as_u64()), (Some(cut.as_str()), Some(0)), "{s}");
    assert!(failed["error"].as_str().unwrap().contains("nothing of the file was stored"), "{s}");
    // The fault is on stderr with its position.
    let err = &json_lines(&r.stderr)[0];
    assert_eq!((err["file"].as_str(), err["ok"].as_bool()), (Some(cut.as_str()), Some(false)), "{err}");
    assert_eq!(stats(&db)["events"], 0);
    assert!(!found(&db, "(01)09506000134352(21)T0"));

    // Without --atomic the valid prefix is committed, and the summary says how much of the failed file is in.
    let db = t.at("streaming");
    let r = tc(&["import", "--db", &db, &cut]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let s = r.json();
    assert_eq!((s["events"].as_u64(), s["accepted"].as_u64()), (Some(7), Some(7)), "{s}");
    assert_eq!(s["files"], json!({"total": 1, "imported": 0, "failed": 1}), "{s}");
    assert_eq!(s["failed_files"][0]["stored"], 7, "{s}");
    assert_eq!(stats(&db)["events"], 7);
    assert!(found(&db, "(01)09506000134352(21)T6"));
    assert!(!found(&db, "(01)09506000134352(21)T7"));

    // The whole file with --atomic: every event, in one write.
    let whole = t.write("whole.json", &epcis_doc(&object_events(10, "T")));
    let s = tc(&["import", "--atomic", "--db", &db, &whole]).ok().json();
    assert_eq!((s["accepted"].as_u64(), s["duplicates"].as_u64()), (Some(3), Some(7)), "{s}");
    assert_eq!(s["files"], json!({"total": 1, "imported": 1, "failed": 0}), "{s}");
    assert_eq!(s["failed_files"], json!([]));
}

#[test]
fn atomic_stores_nothing_of_a_file_with_an_invalid_event_or_too_many() {
    let t = Tmp::new("atomic-invalid");
    let db = t.at("db");
    let mut events = object_events(5, "I");
    // A GTIN check digit 3 where 2 is right.
    events[3] = events[3].replace("09506000134352", "09506000134353");
    let bad = t.write("bad.json", &epcis_doc(&events));
    let r = tc(&["import", "--atomic", "--db", &db, &bad]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let s = r.json();
    assert_eq!((s["rejected"].as_u64(), s["accepted"].as_u64()), (Some(1), Some(0)), "{s}");
    assert_eq!(json_lines(&r.stderr)[0]["pointer"], "/epcisBody/eventList/3/epcList/0");
    assert_eq!(stats(&db)["events"], 0);

    // More events than --atomic-max-events: refused whole.
    let five = t.write("five.json", &epcis_doc(&object_events(5, "M")));
    let r = tc(&["import", "--atomic", "--atomic-max-events", "4", "--db", &db, &five]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.json()["failed_files"][0]["error"].as_str().unwrap().contains("more than 4 events"), "{}", r.stdout);
    assert_eq!(stats(&db)["events"], 0);
    let s = tc(&["import", "--atomic", "--atomic-max-events", "5", "--db", &db, &five]).ok().json();
    assert_eq!(s["accepted"], 5);
    // The bound means nothing without --atomic: a usage error.
    assert_eq!(tc(&["import", "--atomic-max-events", "5", "--db", &db, &five]).code, Some(2));
}

#[test]
fn the_summary_counts_and_names_failed_files() {
    let t = Tmp::new("multi");
    let db = t.at("db");
    let a = t.write("a.json", &epcis_doc(&object_events(3, "A")));
    let cut = t.write("cut.json", &truncated(4, "C", 2));
    let missing = t.at("missing.json");
    let b = t.write("b.json", &epcis_doc(&object_events(2, "B")));
    for atomic in [false, true] {
        let mut args = vec!["import", "--db", &db, &a, &cut, &missing, &b];
        if atomic {
            args.insert(1, "--atomic");
        }
        let r = tc(&args);
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        let s = r.json();
        assert_eq!(s["files"], json!({"total": 4, "imported": 2, "failed": 2}), "{s}");
        let names: Vec<&str> =
            s["failed_files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
        assert_eq!(names, [cut.as_str(), missing.as_str()], "{s}");
        // The first run committed the truncated file's two whole events; the atomic run finds them stored.
        assert_eq!(s["failed_files"][0]["stored"], if atomic { 0 } else { 2 }, "{s}");
        assert!(s["failed_files"][1]["error"].as_str().unwrap().starts_with("cannot read"), "{s}");
    }
    assert_eq!(stats(&db)["events"], 3 + 2 + 2);
    // Every file imported: exit 0.
    let s = tc(&["import", "--db", &db, &a, &b]).ok().json();
    assert_eq!(s["files"], json!({"total": 2, "imported": 2, "failed": 0}), "{s}");
}

/// An SSCC EPC URN of 15 digits (7 + 8; an SSCC has 17), as real partner data has them.
const SSCC15: &str = "urn:epc:id:sscc:0614141.12345678";

/// `n` commissioning events whose first identifier is `id(i)`.
fn events_with(n: u64, id: impl Fn(u64) -> String) -> Vec<String> {
    object_events(n, "L")
        .iter()
        .enumerate()
        .map(|(i, e)| e.replacen("https://", &format!("{}\", \"https://", id(i as u64)), 1))
        .collect()
}

#[test]
fn lenient_stores_malformed_identifiers_with_a_warning() {
    let t = Tmp::new("lenient");
    let mut events = object_events(3, "L");
    events[1] = events[1].replacen("[\"https://", &format!("[\"{SSCC15}\", \"https://"), 1);
    let doc = t.write("odd.json", &epcis_doc(&events));
    // Strict (the default): the event is rejected at the identifier's pointer.
    let db = t.at("strict");
    let r = tc(&["import", "--db", &db, &doc]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let s = r.json();
    assert_eq!((s["accepted"].as_u64(), s["rejected"].as_u64(), s["warnings"].as_u64()), (Some(2), Some(1), Some(0)));
    assert_eq!(json_lines(&r.stderr)[0]["pointer"], "/epcisBody/eventList/1/epcList/0");
    assert_eq!(tc(&["import", "--atomic", "--db", &db, &doc]).code, Some(1));

    // --lenient: stored, with a warning carrying the pointer and the value; the file is imported (exit 0).
    for atomic in [false, true] {
        let db = t.at(if atomic { "lenient-atomic" } else { "lenient" });
        let mut args = vec!["import", "--lenient", "--db", &db, &doc];
        if atomic {
            args.insert(1, "--atomic");
        }
        let r = tc(&args);
        let s = r.ok().json();
        assert_eq!(
            (s["accepted"].as_u64(), s["rejected"].as_u64(), s["warnings"].as_u64()),
            (Some(3), Some(0), Some(1))
        );
        assert_eq!(s["files"]["imported"], 1);
        let w = json_lines(&r.stderr);
        assert_eq!(w.len(), 1, "{}", r.stderr);
        assert_eq!(
            w[0],
            json!({"file": doc, "warning": "opaque_id", "index": 1, "pointer": "/epcisBody/eventList/1/epcList/0",
                   "value": SSCC15, "message": w[0]["message"]})
        );
        assert!(w[0]["message"].as_str().unwrap().contains("kept as an opaque URI"), "{}", w[0]);
        // The opaque id resolves by its exact text; the event's well-formed id as ever.
        let opaque = tc(&["resolve", "--db", &db, SSCC15]).ok().json();
        assert_eq!(
            (opaque["found"].as_bool(), opaque["identity"]["kind"].as_str()),
            (Some(true), Some("uri")),
            "{opaque}"
        );
        assert!(found(&db, "(01)09506000134352(21)L1"));
        // A URI the store never saw is not found (exit 1); malformed text it never saw stays an error (exit 2).
        assert_eq!(tc(&["resolve", "--db", &db, "urn:example:never"]).code, Some(1));
        assert_eq!(tc(&["resolve", "--db", &db, "urn:epc:id:sscc:0614141.1234"]).code, Some(2));
    }
}

#[test]
fn lenient_prints_the_first_warnings_and_counts_all() {
    let t = Tmp::new("lenient-many");
    let doc = t.write("many.json", &epcis_doc(&events_with(12, |i| format!("urn:epc:id:sscc:0614141.{i:08}"))));
    let r = tc(&["import", "--lenient", "--db", &t.at("db"), &doc]);
    assert_eq!(r.ok().json()["warnings"], 12);
    let lines = json_lines(&r.stderr);
    assert_eq!(lines.len(), 11, "{}", r.stderr);
    assert_eq!(lines[9]["pointer"], "/epcisBody/eventList/9/epcList/0");
    assert_eq!((lines[10]["warnings"].as_u64(), lines[10]["printed"].as_u64()), (Some(12), Some(10)));
    assert!(lines[10]["hint"].as_str().unwrap().contains("--verbose"));
    let r = tc(&["import", "--lenient", "--verbose", "--db", &t.at("db2"), &doc]);
    assert_eq!(r.ok().json()["warnings"], 12);
    let lines = json_lines(&r.stderr);
    assert_eq!(lines.len(), 12, "{}", r.stderr);
    assert_eq!(lines[11]["index"], 11);
}
