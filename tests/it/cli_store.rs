//! The `tracecode` binary's store commands against a real RocksDB store (features `cli` and `rocksdb`): the
//! JSON and exit-status contract of `import`, `resolve`, `verify`, `stats`, `feed`, `export`, `trace`, `recall`,
//! `demo` and `bench` (see `tracecode --help`), and a clean reopen after the importer is killed mid-run.
//!
//! Every test works in its own directory under the system temp dir, removed when the test ends.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tracecode::event::Event;
use tracecode::event::digest::event_id;
use tracecode::event::epcis_json::{Mode, import_all};

/// The batch size `tracecode import` commits atomically (import_cmd.rs `IMPORT_BATCH`).
const IMPORT_BATCH: u64 = 4096;

/// A scratch directory removed on drop (also when the test panics).
pub(crate) struct Tmp(PathBuf);

impl Tmp {
    pub(crate) fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("tc-cli-store-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// A path inside the directory, as a string argument.
    pub(crate) fn at(&self, rel: &str) -> String {
        self.0.join(rel).to_str().unwrap().to_owned()
    }

    /// Writes `text` to `rel` and returns its path.
    pub(crate) fn write(&self, rel: &str, text: &str) -> String {
        let p = self.at(rel);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The outcome of one run of the binary.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The only stdout line, as JSON.
    pub(crate) fn json(&self) -> Value {
        let lines = self.lines();
        assert_eq!(lines.len(), 1, "expected one JSON line, got: {}\nstderr: {}", self.stdout, self.stderr);
        lines.into_iter().next().unwrap()
    }

    /// Every stdout line, as JSON.
    pub(crate) fn lines(&self) -> Vec<Value> {
        json_lines(&self.stdout)
    }

    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
}

pub(crate) fn json_lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn tracecode() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracecode"));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

pub(crate) fn tc(args: &[&str]) -> Run {
    let out = tracecode().args(args).output().expect("tracecode binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub(crate) fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis").join(name).to_str().unwrap().to_owned()
}

/// An EPCISDocument around the given event objects (JSON text).
pub(crate) fn epcis_doc<S: AsRef<str>>(events: &[S]) -> String {
    let body: Vec<&str> = events.iter().map(AsRef::as_ref).collect();
    format!(
        "{{\"@context\": [\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"],\n\
         \"type\": \"EPCISDocument\", \"schemaVersion\": \"2.0\", \"creationDate\": \"2026-03-01T00:00:00Z\",\n\
         \"epcisBody\": {{\"eventList\": [\n{}\n]}}}}\n",
        body.join(",\n")
    )
}

/// `n` commissioning ObjectEvents of distinct serials `{prefix}{i}` (one second apart), as JSON text.
pub(crate) fn object_events(n: u64, prefix: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (day, h, m, s) = (1 + i / 86_400, i / 3600 % 24, i / 60 % 60, i % 60);
            format!(
                "{{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-{day:02}T{h:02}:{m:02}:{s:02}Z\", \
                 \"eventTimeZoneOffset\": \"+00:00\", \
                 \"epcList\": [\"https://id.gs1.org/01/09506000134352/21/{prefix}{i}\"], \
                 \"action\": \"ADD\", \"bizStep\": \"commissioning\"}}"
            )
        })
        .collect()
}

/// The store's event ids (hex) of a document's events, computed by the library.
fn ids_of(path: &str) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let (events, _) = import_all(bytes.as_slice(), Mode::AllOrNothing).unwrap();
    events.iter().map(|e: &Event| event_id(e).unwrap().to_string()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn is_hex64(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn stats(db: &str) -> Value {
    tc(&["stats", "--db", db]).ok().json()
}

fn verify(db: &str) -> Value {
    let v = tc(&["verify", "--db", db]).ok().json();
    assert_eq!(v["ok"], true, "{v}");
    v
}

// ---------------------------------------------------------------------------------------------------------------
// 1. import and resolve

/// An XML document imports like its JSON twin: the same events, so the JSON twin afterwards is all duplicates.
#[test]
fn import_reads_xml_by_content() {
    let t = Tmp::new("import-xml");
    let db = t.at("db");
    let s = tc(&["import", "--db", &db, &fixture("pair.xml")]).ok().json();
    assert_eq!((s["events"].clone(), s["accepted"].clone()), (2.into(), 2.into()), "{s}");
    let s = tc(&["import", "--db", &db, &fixture("pair.json")]).ok().json();
    assert_eq!((s["accepted"].clone(), s["duplicates"].clone()), (0.into(), 2.into()), "{s}");
    let r = tc(&["resolve", "--db", &db, "urn:epc:id:sgtin:0614141.107346.2017"]).ok().json();
    assert_eq!(r["state"]["container"], "00/106141412345678908", "{r}");
    // Exported as XML and imported into a fresh store: the same log.
    let xml = t.write("export.xml", &tc(&["export", "--db", &db, "--format", "xml"]).ok().stdout);
    let db2 = t.at("db2");
    let s = tc(&["import", "--db", &db2, &xml]).ok().json();
    assert_eq!(s["accepted"], 2, "{s}");
    let a = tc(&["export", "--db", &db]).ok().stdout.clone();
    let b = tc(&["export", "--db", &db2]).ok().stdout.clone();
    // The documents' creation dates differ; the events are the same.
    let events = |out: &str| serde_json::from_str::<serde_json::Value>(out).unwrap()["epcisBody"]["eventList"].clone();
    assert_eq!(events(&a), events(&b));
    let old = tc(&["export", "--db", &db, "--format", "xml-1.2"]);
    old.ok();
    assert!(old.stdout.contains(r#"schemaVersion="1.2""#));
}

#[test]
fn import_summary_duplicates_and_rejects() {
    let t = Tmp::new("import");
    let db = t.at("db");
    let all_types = fixture("all_types.json");

    let r = tc(&["import", "--db", &db, &all_types]);
    r.ok();
    let s = r.json();
    assert_eq!(s["events"], 6, "{s}");
    assert_eq!(s["accepted"], 6, "{s}");
    assert_eq!(s["duplicates"], 0, "{s}");
    assert_eq!(s["rejected"], 0, "{s}");
    assert!(s["seconds"].is_number());

    // The same document again: every event is already there.
    let s = tc(&["import", "--db", &db, &all_types]).ok().json();
    assert_eq!(s["events"], 6);
    assert_eq!(s["accepted"], 0);
    assert_eq!(s["duplicates"], 6);
    assert_eq!(s["rejected"], 0);

    // One bad event (GTIN check digit 3, should be 2) between two good ones.
    let mut evs = object_events(3, "B");
    evs[1] = evs[1].replace("09506000134352", "09506000134353");
    let bad = t.write("bad.json", &epcis_doc(&evs));
    let r = tc(&["import", "--db", &db, &bad]);
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    let s = r.json();
    assert_eq!(s["events"], 3);
    assert_eq!(s["accepted"], 2);
    assert_eq!(s["duplicates"], 0);
    assert_eq!(s["rejected"], 1);
    let reports = json_lines(&r.stderr);
    assert_eq!(reports.len(), 1, "stderr: {}", r.stderr);
    assert_eq!(reports[0]["file"], bad.as_str());
    assert_eq!(reports[0]["index"], 1);
    assert_eq!(reports[0]["pointer"], "/epcisBody/eventList/1/epcList/0");
    assert!(reports[0]["message"].as_str().unwrap().contains("check digit should be 2, found 3"), "{}", reports[0]);
    // The rejected event left nothing behind; the good ones are there.
    assert_eq!(tc(&["resolve", "--db", &db, "(01)09506000134352(21)B1"]).json()["found"], false);
    assert_eq!(tc(&["resolve", "--db", &db, "(01)09506000134352(21)B2"]).ok().json()["found"], true);

    // An error declaration of a stored event (EPCIS 2.0: the same event with `errorDeclaration`) is counted
    // as declared, not as a duplicate, and `resolve` shows it on the event.
    let declaring = object_events(3, "B")[2].replacen(
        '{',
        "{\"errorDeclaration\": {\"declarationTime\": \"2026-04-01T00:00:00Z\", \"reason\": \"did_not_occur\"}, ",
        1,
    );
    let decl = t.write("decl.json", &epcis_doc(&[declaring]));
    let s = tc(&["import", "--db", &db, &decl]).ok().json();
    assert_eq!((s["accepted"].as_u64(), s["duplicates"].as_u64(), s["declared"].as_u64()), (Some(0), Some(0), Some(1)));
    let s = tc(&["import", "--db", &db, &decl]).ok().json();
    assert_eq!((s["duplicates"].as_u64(), s["declared"].as_u64()), (Some(1), Some(0)), "declared once");
    let r = tc(&["resolve", "--db", &db, "(01)09506000134352(21)B2"]).ok().json();
    assert!(r.to_string().contains("did_not_occur"), "{r}");

    // A file that does not exist: reported, exit 1, the summary still printed.
    let r = tc(&["import", "--db", &db, &t.at("missing.json")]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.json()["events"], 0);
    assert_eq!(json_lines(&r.stderr)[0]["ok"], false);

    // Usage errors: no FILE, no --db.
    assert_eq!(tc(&["import", "--db", &db]).code, Some(2));
    assert_eq!(tc(&["import", &all_types]).code, Some(2));
}

#[test]
fn resolve_found_unknown_and_garbage() {
    let t = Tmp::new("resolve");
    let db = t.at("db");
    let all_types = fixture("all_types.json");
    tc(&["import", "--db", &db, &all_types]).ok();
    let ids = ids_of(&all_types);

    // The item XYZ789 is in events 0 (commissioned), 1 (packed), 3 (transformed) and 5 (inspected, recalled).
    let dl = "https://id.gs1.org/01/09506000134352/21/XYZ789";
    let v = tc(&["resolve", "--db", &db, dl]).ok().json();
    assert_eq!(v["input"], dl);
    assert_eq!(v["found"], true);
    let key = tracecode::code::parse(dl).unwrap().trace_key().unwrap();
    assert_eq!(v["identity"]["key"], "01/09506000134352/21/XYZ789");
    assert_eq!(v["identity"]["kind"], "instance");
    assert_eq!(v["identity"]["key_hex"], hex(key.as_bytes()));
    assert_eq!(v["state"]["disposition"], "recalled");
    assert_eq!(v["state"]["biz_step"], "inspecting");
    assert_eq!(v["state"]["container"], "00/106141412345678908");
    assert_eq!(v["state"]["persistent"], serde_json::json!(["completeness_verified"]));
    assert_eq!(v["state"]["last_event"], ids[5].as_str());
    let chain = v["chain"].as_array().unwrap();
    let chain_ids: Vec<&str> = chain.iter().map(|c| c["event_id"].as_str().unwrap()).collect();
    assert_eq!(chain_ids, [ids[0].as_str(), ids[1].as_str(), ids[3].as_str(), ids[5].as_str()]);
    let seqs: Vec<u64> = chain.iter().map(|c| c["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 4, 6]);
    assert!(chain.iter().all(|c| is_hex64(&c["link"]) && c["event"]["type"].is_string()));
    assert_eq!(chain[1]["event"]["type"], "AggregationEvent");
    assert_eq!(v["head"], chain[3]["link"]);

    // Another spelling of the same item gives the same answer; an EPC URN from the document resolves too.
    let w = tc(&["resolve", "--db", &db, "(01)09506000134352(21)XYZ789"]).ok().json();
    assert_eq!((&w["identity"], &w["chain"], &w["head"]), (&v["identity"], &v["chain"], &v["head"]));
    let urn = "urn:epc:id:sgtin:0614141.107346.2017";
    let u = tc(&["resolve", "--db", &db, urn]).ok().json();
    assert_eq!(u["found"], true);
    assert_eq!(u["identity"]["key"], "01/10614141073464/21/2017");
    assert_eq!(u["chain"].as_array().unwrap().len(), 1);
    assert_eq!(u["chain"][0]["event_id"], ids[3].as_str());
    assert_eq!(u["chain"][0]["event"]["type"], "TransformationEvent");

    // A well-formed code never recorded.
    let r = tc(&["resolve", "--db", &db, "(01)09506000134352(21)NEVER"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.json(), serde_json::json!({"input": "(01)09506000134352(21)NEVER", "found": false}));

    // Garbage, and a code with a wrong check digit: a typed, positioned error object; bad input exits 2.
    let r = tc(&["resolve", "--db", &db, "garbage!!"]);
    assert_eq!(r.code, Some(2));
    let e = r.json();
    assert_eq!(e["input"], "garbage!!");
    assert_eq!(e["ok"], false);
    assert_eq!(e["error"]["kind"], "unrecognized");
    assert_eq!(e["error"]["offset"], 0);
    assert!(e["error"]["message"].is_string());
    let e = tc(&["resolve", "--db", &db, "(01)09506000134353(21)X"]).json();
    assert_eq!(e["error"]["kind"], "check_digit");
    assert_eq!(e["error"]["offset"], 17);
    assert_eq!(e["error"]["len"], 1);

    // Several inputs: one line each, in order; exit 1 when any is not found.
    let r = tc(&["resolve", "--db", &db, dl, "(01)09506000134352(21)NEVER", urn]);
    assert_eq!(r.code, Some(1));
    let found: Vec<Value> = r.lines().iter().map(|l| l["found"].clone()).collect();
    assert_eq!(found, [true, false, true]);

    // Resolve does not create a store that is not there (an error: exit 2, one line, see cli_import).
    let r = tc(&["resolve", "--db", &t.at("nothing"), dl]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.starts_with("tracecode: no tracecode store at"), "{}", r.stderr);
    assert!(!Path::new(&t.at("nothing")).join("CURRENT").exists());
    // A store that cannot be opened (here RocksDB's CURRENT names a manifest that is not there) is an error
    // object with no position: offset and len are null for an error that is not about the input.
    let broken = t.at("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(Path::new(&broken).join("CURRENT"), "MANIFEST-000001\n").unwrap();
    let r = tc(&["resolve", "--db", &broken, dl]);
    assert_eq!(r.code, Some(2));
    let e = &json_lines(&r.stderr)[0];
    assert_eq!(
        (&e["ok"], &e["error"]["offset"], &e["error"]["len"]),
        (&Value::Bool(false), &Value::Null, &Value::Null)
    );
    assert!(!e["error"]["message"].as_str().unwrap().contains("(at byte"), "{e}");
}

// ---------------------------------------------------------------------------------------------------------------
// 2. verify, stats, feed, export

/// `resolve` embeds each event's EPCIS JSON with its numbers as written: a quantity or sensor value with more
/// digits than an `f64` holds comes back digit for digit (it went through a `serde_json::Value` once, and lost
/// them).
#[test]
fn resolve_keeps_every_digit_of_event_numbers() {
    let t = Tmp::new("digits");
    let db = t.at("db");
    let class = "https://id.gs1.org/01/09506000134352/10/LONG1";
    let qty = "12345678901234567890.123456789";
    let event = format!(
        "{{\"type\": \"ObjectEvent\", \"eventTime\": \"2026-03-01T00:00:00Z\", \"eventTimeZoneOffset\": \"+00:00\", \
         \"action\": \"OBSERVE\", \"quantityList\": [{{\"epcClass\": \"{class}\", \"quantity\": {qty}, \"uom\": \"KGM\"}}]}}"
    );
    let doc = t.at("doc.json");
    std::fs::write(&doc, epcis_doc(&[event])).unwrap();
    tc(&["import", "--db", &db, &doc]).ok();
    let out = tc(&["resolve", "--db", &db, class]).ok().stdout.clone();
    assert!(out.contains(&format!("\"quantity\":{qty}")), "{out}");
    // Still one JSON object per line, members in name order as before.
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["found"], true);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["chain", "found", "head", "identity", "input", "state"]);
    assert!(out.starts_with("{\"chain\":[{\"event\":{"), "{out}");
}

#[test]
fn verify_stats_feed_export() {
    let t = Tmp::new("feed");
    let db = t.at("db");
    let all_types = fixture("all_types.json");
    tc(&["import", "--db", &db, &all_types]).ok();
    let before = stats(&db);

    // 2 500 more events: the feed and export page through the store 1 024 at a time.
    const N: u64 = 2500;
    let gen_doc = t.write("gen.json", &epcis_doc(&object_events(N, "F")));
    let s = tc(&["import", "--db", &db, &gen_doc]).ok().json();
    assert_eq!(s["accepted"], N);
    let total = 6 + N;

    let st = stats(&db);
    for f in ["events", "nodes", "chain_entries", "edges", "disk_bytes"] {
        assert!(st[f].is_u64(), "{f} in {st}");
    }
    assert_eq!(st["events"], total);
    assert_eq!(st["nodes"].as_u64().unwrap(), before["nodes"].as_u64().unwrap() + N);
    assert_eq!(st["chain_entries"].as_u64().unwrap(), before["chain_entries"].as_u64().unwrap() + N);
    assert_eq!(st["edges"], before["edges"], "ObjectEvents without sources add no edges");
    assert!(st["disk_bytes"].as_u64().unwrap() > 0);
    assert_eq!(st["checkpoint"]["seq"], total);
    assert!(is_hex64(&st["checkpoint"]["hash"]));
    assert_ne!(st["checkpoint"]["hash"], before["checkpoint"]["hash"]);
    assert!(st["path"].is_string());

    let v = verify(&db);
    assert_eq!(v["log_entries"], total);
    assert_eq!(v["events"], total);
    assert_eq!(v["chains"], st["nodes"]);
    assert_eq!(v["chain_entries"], st["chain_entries"]);
    assert_eq!(v["checkpoint"], st["checkpoint"]);
    assert_eq!(v["first_bad"], Value::Null);

    // verify INPUT checks one code's chain.
    let one = tc(&["verify", "--db", &db, "(01)09506000134352(21)XYZ789"]).ok().json();
    assert_eq!(one["ok"], true);
    assert_eq!(one["chains"], 1);
    assert_eq!(one["chain_entries"], 4);
    let r = tc(&["verify", "--db", &db, "garbage!!"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(json_lines(&r.stderr)[0]["error"]["kind"], "unrecognized");

    // feed --since 0: every event once, in order, seq 1..=total.
    let r = tc(&["feed", "--db", &db, "--since", "0"]);
    r.ok();
    let feed = r.lines();
    assert_eq!(feed.len() as u64, total);
    for (i, item) in feed.iter().enumerate() {
        assert_eq!(item["seq"], i as u64 + 1);
        assert!(is_hex64(&item["event_id"]), "{item}");
        assert!(item["event"]["type"].is_string(), "{item}");
    }
    let ids = ids_of(&all_types);
    let first_ids: Vec<&str> = feed.iter().take(6).map(|i| i["event_id"].as_str().unwrap()).collect();
    assert_eq!(first_ids, ids);
    let gen_ids = ids_of(&gen_doc);
    assert_eq!(feed[2505]["event_id"], gen_ids[2499].as_str());
    let raw: Vec<&str> = r.stdout.lines().collect();

    // --since k resumes exactly after k, across page boundaries; --limit caps the count.
    let r = tc(&["feed", "--db", &db, "--since", "1000", "--limit", "1100"]);
    r.ok();
    let part: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(part, raw[1000..2100]);
    let r = tc(&["feed", "--db", &db, "--since", "2500"]);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), raw[2500..]);
    let r = tc(&["feed", "--db", &db, "--limit", "3"]);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), raw[..3]);
    assert_eq!(tc(&["feed", "--db", &db, "--since", &total.to_string()]).ok().stdout, "");
    assert_eq!(tc(&["feed", "--db", &db, "--since", "x"]).code, Some(2));

    // export --since 0: a document `epcis check` accepts, whose events are the store's (re-import: duplicates).
    let r = tc(&["export", "--db", &db, "--since", "0"]);
    r.ok();
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["type"], "EPCISDocument");
    assert_eq!(doc["epcisBody"]["eventList"].as_array().unwrap().len() as u64, total);
    let exported = t.write("export.json", &r.stdout);
    let check = tc(&["epcis", "check", &exported]);
    check.ok();
    let checked = check.lines();
    assert_eq!(checked.len() as u64, total);
    assert!(checked.iter().all(|c| c["ok"] == true), "{}", check.stdout);
    let mut all_ids = ids.clone();
    all_ids.extend(gen_ids);
    assert_eq!(ids_of(&exported), all_ids, "export keeps every event's identity");
    let s = tc(&["import", "--db", &db, &exported]).ok().json();
    assert_eq!(s["events"], total);
    assert_eq!(s["accepted"], 0);
    assert_eq!(s["duplicates"], total);
    assert_eq!(s["rejected"], 0);
    assert_eq!(stats(&db)["checkpoint"], st["checkpoint"], "duplicates change nothing");

    // export --since k --limit n: just those events.
    let r = tc(&["export", "--db", &db, "--since", "3", "--limit", "2"]);
    let part = t.write("part.json", &r.ok().stdout);
    assert_eq!(ids_of(&part), all_ids[3..5]);

    // With an error declaration in the store, export → import into a new store rebuilds the same log: the
    // event is exported as captured at its own seq and declared at the declaration's.
    let declaring = object_events(1, "F")[0].replacen(
        '{',
        "{\"errorDeclaration\": {\"declarationTime\": \"2026-04-01T00:00:00Z\", \"reason\": \"incorrect_data\"}, ",
        1,
    );
    let s = tc(&["import", "--db", &db, &t.write("decl.json", &epcis_doc(&[declaring]))]).ok().json();
    assert_eq!(s["declared"], 1);
    let full = t.write("full.json", &tc(&["export", "--db", &db, "--since", "0"]).ok().stdout);
    let copy = t.at("copy");
    let s = tc(&["import", "--db", &copy, &full]).ok().json();
    assert_eq!((s["accepted"].as_u64(), s["declared"].as_u64()), (Some(total), Some(1)), "{s}");
    assert_eq!(stats(&copy)["checkpoint"], stats(&db)["checkpoint"]);
    assert_eq!(verify(&copy)["first_bad"], Value::Null);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. trace and recall

const RAW: &str = "01/09506000134352/10/RAW1";
const JAR1: &str = "01/09506000134352/21/JAR1";
const JAR2: &str = "01/09506000134352/21/JAR2";
const CASE: &str = "00/106141412345678908";
const PALLET: &str = "00/206141412222222221";

/// A raw-material lot made into two jars, packed into a case, loaded onto a pallet.
fn genealogy_doc() -> String {
    epcis_doc(&[
        r#"{"type": "TransformationEvent", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
   "inputQuantityList": [{"epcClass": "https://id.gs1.org/01/09506000134352/10/RAW1", "quantity": 2, "uom": "KGM"}],
   "outputEPCList": ["https://id.gs1.org/01/09506000134352/21/JAR1", "https://id.gs1.org/01/09506000134352/21/JAR2"],
   "bizStep": "commissioning"}"#,
        r#"{"type": "AggregationEvent", "eventTime": "2026-03-01T09:00:00Z", "eventTimeZoneOffset": "+00:00",
   "parentID": "urn:epc:id:sscc:0614141.1234567890",
   "childEPCs": ["https://id.gs1.org/01/09506000134352/21/JAR1", "https://id.gs1.org/01/09506000134352/21/JAR2"],
   "action": "ADD", "bizStep": "packing"}"#,
        r#"{"type": "AggregationEvent", "eventTime": "2026-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
   "parentID": "urn:epc:id:sscc:0614141.2222222222", "childEPCs": ["urn:epc:id:sscc:0614141.1234567890"],
   "action": "ADD", "bizStep": "packing"}"#,
    ])
}

/// (key, kind) of each node, sorted.
fn nodes(v: &Value) -> Vec<(String, String)> {
    let mut n: Vec<(String, String)> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["key"].as_str().unwrap().to_owned(), n["kind"].as_str().unwrap().to_owned()))
        .collect();
    n.sort();
    n
}

/// (from, to, kind, event_id) of each edge.
fn edges(v: &Value) -> Vec<(String, String, String, String)> {
    v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |f: &str| e[f].as_str().unwrap_or_else(|| panic!("edge field {f}: {e}")).to_owned();
            (s("from"), s("to"), s("kind"), s("event_id"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    v.sort();
    v
}

fn edge(from: &str, to: &str, kind: &str, id: &str) -> (String, String, String, String) {
    (from.to_owned(), to.to_owned(), kind.to_owned(), id.to_owned())
}

#[test]
fn trace_back_forward_and_depth() {
    let t = Tmp::new("trace");
    let db = t.at("db");
    let doc = t.write("g.json", &genealogy_doc());
    tc(&["import", "--db", &db, &doc]).ok();
    let ids = ids_of(&doc);
    let (make, pack, load) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());

    // Forward from the raw lot: the jars made from it, the case and pallet that hold them.
    let f = tc(&["trace", "--db", &db, "--forward", "(01)09506000134352(10)RAW1"]).ok().json();
    assert_eq!(f["root"], RAW);
    assert_eq!(f["direction"], "forward");
    assert_eq!(f["truncated"], false);
    let want = pairs(&[(RAW, "lot"), (JAR1, "item"), (JAR2, "item"), (CASE, "container"), (PALLET, "container")]);
    assert_eq!(nodes(&f), want);
    // Forward traces carry each node's state.
    for n in f["nodes"].as_array().unwrap() {
        assert!(n["state"].is_object(), "{n}");
    }
    // Every edge carries its full description, the event id as 64 hex digits.
    for e in f["edges"].as_array().unwrap() {
        for k in ["from", "to", "kind", "rel", "event_id", "time", "seq"] {
            assert!(!e[k].is_null(), "{k} in {e}");
        }
        assert_eq!(e["event_id"].as_str().map(str::len), Some(64), "{e}");
    }
    let jar1 = f["nodes"].as_array().unwrap().iter().find(|n| n["key"] == JAR1).unwrap();
    assert_eq!(jar1["state"]["container"], CASE);
    assert_eq!(jar1["state"]["last_event"], pack);
    let fe = edges(&f);
    for e in [
        edge(RAW, JAR1, "transformation", make),
        edge(RAW, JAR2, "transformation", make),
        edge(JAR1, CASE, "aggregation", pack),
        edge(JAR2, CASE, "aggregation", pack),
        edge(CASE, PALLET, "aggregation", load),
    ] {
        assert!(fe.contains(&e), "missing {e:?} in {fe:?}");
    }
    assert_eq!(fe.len(), 5, "{fe:?}");

    // The root in another spelling (Digital Link) gives the same trace.
    let same = tc(&["trace", "--db", &db, "--forward", "https://id.gs1.org/01/09506000134352/10/RAW1"]).ok().json();
    assert_eq!(same, f);

    // --depth 1: only the jars; the walk says it was cut.
    let d = tc(&["trace", "--db", &db, "--forward", "--depth", "1", "(01)09506000134352(10)RAW1"]).ok().json();
    assert_eq!(nodes(&d), pairs(&[(RAW, "lot"), (JAR1, "item"), (JAR2, "item")]));
    assert_eq!(d["truncated"], true);
    assert!(edges(&d).iter().all(|e| e.2 == "transformation"));

    // Back from the case (an SSCC, scanned as GS1-128 text): its contents and what they were made from.
    let b = tc(&["trace", "--db", &db, "--back", "(00)106141412345678908"]).ok().json();
    assert_eq!(b["root"], CASE);
    assert_eq!(b["direction"], "back");
    assert_eq!(b["truncated"], false);
    assert_eq!(nodes(&b), want);
    for n in b["nodes"].as_array().unwrap() {
        assert!(n.get("state").is_some(), "{n}");
    }
    let be = edges(&b);
    for e in [
        edge(CASE, JAR1, "aggregation", pack),
        edge(CASE, JAR2, "aggregation", pack),
        edge(JAR1, RAW, "transformation", make),
        edge(JAR2, RAW, "transformation", make),
        edge(CASE, PALLET, "aggregation", load),
    ] {
        assert!(be.contains(&e), "missing {e:?} in {be:?}");
    }
    let keys: Vec<&str> = b["nodes"].as_array().unwrap().iter().map(|n| n["key"].as_str().unwrap()).collect();
    assert!(be.iter().all(|e| keys.contains(&e.0.as_str()) && keys.contains(&e.1.as_str())));

    let d = tc(&["trace", "--db", &db, "--back", "--depth", "1", "urn:epc:id:sscc:0614141.1234567890"]).ok().json();
    assert_eq!(d["root"], CASE);
    assert_eq!(d["truncated"], true);
    assert!(!nodes(&d).iter().any(|(k, _)| k == RAW), "{d}");

    // A root the store never saw: the trace of it alone, exit 1 (not found).
    let r = tc(&["trace", "--db", &db, "--forward", "(01)09506000134352(10)NEVER"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.json()["edges"], serde_json::json!([]));

    // Errors: a bad root is a positioned error and a missing direction a usage error (both exit 2).
    let r = tc(&["trace", "--db", &db, "--back", "(01)09506000134353(10)RAW1"]);
    assert_eq!(r.code, Some(2));
    let e = r.json();
    assert_eq!(e["ok"], false);
    assert_eq!(e["error"]["kind"], "check_digit");
    assert_eq!(e["error"]["offset"], 17);
    assert_eq!(tc(&["trace", "--db", &db, "(01)09506000134352(10)RAW1"]).code, Some(2));
    assert_eq!(tc(&["trace", "--db", &db, "--back", "--forward", "(01)09506000134352(10)RAW1"]).code, Some(2));
}

#[test]
fn recall_dry_run_then_commit_idempotent() {
    let t = Tmp::new("recall");
    let db = t.at("db");
    let doc = t.write("g.json", &genealogy_doc());
    tc(&["import", "--db", &db, &doc]).ok();
    let lot = "(01)09506000134352(10)RAW1";

    // Without --commit: the affected set, nothing written.
    let r = tc(&["recall", "--db", &db, lot]).ok().json();
    let keys = |list: &Value| -> Vec<String> {
        let mut k: Vec<String> =
            list.as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap().to_owned()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&r["affected"]), [RAW, JAR1, JAR2]);
    assert_eq!(keys(&r["containers"]), [CASE, PALLET]);
    assert_eq!(r["committed"], Value::Null);
    assert_eq!(r["trace"]["root"], RAW);
    let jar = r["affected"].as_array().unwrap().iter().find(|a| a["key"] == JAR1).unwrap();
    assert_eq!(jar["container"], CASE);
    assert_eq!(jar["kind"], "item");
    assert_eq!(stats(&db)["events"], 3);

    // With --commit at a fixed time: recorded once; the same commit again reports duplicates.
    let commit: [&str; 9] = [
        "recall",
        "--db",
        &db,
        "--commit",
        "--time",
        "2026-04-01T00:00:00Z",
        "--party",
        "cn-uscc:91350100M000100Y43",
        lot,
    ];
    let first = tc(&commit).ok().json();
    let c = &first["committed"];
    let accepted = c["accepted"].as_u64().unwrap();
    assert!(accepted >= 1, "{c}");
    assert_eq!(c["duplicates"], 0);
    assert_eq!(c["event_ids"].as_array().unwrap().len() as u64, accepted);
    assert!(c["event_ids"].as_array().unwrap().iter().all(is_hex64));
    let after = stats(&db);
    assert_eq!(after["events"], 3 + accepted);

    let again = tc(&commit).ok().json();
    assert_eq!(again["committed"]["accepted"], 0);
    assert_eq!(again["committed"]["duplicates"], accepted);
    assert_eq!(again["committed"]["event_ids"], c["event_ids"]);
    assert_eq!(stats(&db)["checkpoint"], after["checkpoint"]);

    // The recall is now part of each affected item's state and chain.
    let v = tc(&["resolve", "--db", &db, "(01)09506000134352(21)JAR1"]).ok().json();
    assert_eq!(v["state"]["disposition"], "recalled");
    assert!(v["state"]["persistent"].as_array().unwrap().contains(&"recalled".into()));
    assert_eq!(v["state"]["responsible"], "cn-uscc:91350100M000100Y43");
    let last = v["chain"].as_array().unwrap().last().unwrap();
    assert!(c["event_ids"].as_array().unwrap().contains(&last["event_id"]));
    verify(&db);

    // A bad root: positioned error, exit 2 (bad input).
    let r = tc(&["recall", "--db", &db, "(01)09506000134353(10)RAW1"]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.json()["error"]["kind"], "check_digit");
}

// ---------------------------------------------------------------------------------------------------------------
// 4. demo

const CATEGORIES: [&str; 6] = ["food", "drug", "agri-input", "gas-cylinder", "elevator", "explosive"];

/// Categories the demo's "resolving realistic scans" section shows a sample of (`  <category> — <what>`).
fn demo_categories(out: &str) -> Vec<&'static str> {
    CATEGORIES.into_iter().filter(|c| out.lines().any(|l| l.starts_with(&format!("  {c} — ")))).collect()
}

#[test]
fn demo_small_store_then_verify_and_stats() {
    let t = Tmp::new("demo");
    let db = t.at("db");
    let r = tc(&["demo", "--items", "300", "--db", &db]);
    r.ok();
    assert!(r.stdout.contains("store intact"), "{}", r.stdout);
    assert!(r.stdout.contains("verify_all: intact"), "{}", r.stdout);
    let v = verify(&db);
    let s = stats(&db);
    assert!(s["events"].as_u64().unwrap() > 300, "{s}");
    assert_eq!(v["events"], s["events"]);
    assert!(s["edges"].as_u64().unwrap() > 0);
    // The store is an ordinary one: the CLI can read its feed.
    let first = tc(&["feed", "--db", &db, "--limit", "1"]).ok().json();
    assert_eq!(first["seq"], 1);
}

#[test]
fn demo_every_category() {
    // The demo never generates less than one production cycle (2 400 items), which reaches every category.
    let t = Tmp::new("demo-all");
    let db = t.at("db");
    let r = tc(&["demo", "--items", "1500", "--db", &db]);
    r.ok();
    assert_eq!(demo_categories(&r.stdout), CATEGORIES, "{}", r.stdout);
    assert!(r.stdout.contains("store intact"), "{}", r.stdout);
    verify(&db);
}

#[test]
fn demo_tour() {
    let r = tc(&["demo", "--tour"]);
    r.ok();
    assert!(r.stdout.contains("demo finished: all samples behaved as expected"), "{}", r.stdout);
    assert_eq!(tc(&["demo", "--items"]).code, Some(2));
    assert_eq!(tc(&["demo", "--bogus"]).code, Some(2));
}

// ---------------------------------------------------------------------------------------------------------------
// 5. bench

/// Checks the rows of a bench JSON report: name, per_second, and ratio = per_second / baseline.per_second.
fn check_rows(v: &Value) -> Vec<String> {
    let rows = v["results"].as_array().unwrap();
    assert!(!rows.is_empty(), "{v}");
    for r in rows {
        assert!(r["name"].is_string(), "{r}");
        let rate = r["per_second"].as_f64().unwrap_or_else(|| panic!("per_second: {r}"));
        assert!(rate >= 0.0, "{r}");
        assert!(r.get("target").is_some() && r.get("met").is_some() && r.get("note").is_some(), "{r}");
        if let Some(b) = r["baseline"].as_object() {
            assert!(b["name"].is_string(), "{r}");
            let base = b["per_second"].as_f64().unwrap();
            let ratio = r["ratio"].as_f64().unwrap_or_else(|| panic!("ratio: {r}"));
            // per_second values are rounded to whole operations; the ratio is not.
            assert!((ratio * base - rate).abs() <= 0.01 * rate + 1.0, "{r}");
        } else {
            assert!(r["baseline"].is_null(), "{r}");
            assert!(r["ratio"].is_null(), "{r}");
        }
    }
    rows.iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn bench_lookup_writes_json() {
    let t = Tmp::new("bench-lookup");
    let json = t.at("lookup.json");
    let r = tc(&["bench", "lookup", "--items", "300", "--ops", "2000", "--db", &t.at("db"), "--json", &json]);
    r.ok();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["bench"], "lookup");
    assert_eq!(v["items"], 300);
    assert_eq!(v["ops"], 2000);
    assert!(v["threads"].as_u64().unwrap() >= 1);
    assert!(v["events"].as_u64().unwrap() > 300);
    let names = check_rows(&v);
    for want in ["ingest", "resolve, hot", "resolve, uniform", "resolve_many", "unknown-code"] {
        assert!(names.iter().any(|n| n.starts_with(want)), "no {want} row in {names:?}");
    }
    assert_eq!(tc(&["bench", "lookup", "--items", "x"]).code, Some(2));
    assert_eq!(tc(&["bench", "nothing"]).code, Some(2));
}

#[test]
fn bench_trace_writes_json() {
    let t = Tmp::new("bench-trace");
    let json = t.at("trace.json");
    tc(&["bench", "trace", "--nodes", "2000", "--db", &t.at("db"), "--json", &json]).ok();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["bench"], "trace");
    assert!(v["nodes"].as_u64().unwrap() >= 1000, "{v}");
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    assert!(v["adjacency_seconds"].as_f64().unwrap() >= 0.0);
    let names = check_rows(&v);
    for want in ["forward walk, RocksDB store", "forward trace collected", "forward walk, in-memory adjacency"] {
        assert!(names.iter().any(|n| n.starts_with(want)), "no {want} row in {names:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 6. crash recovery

/// `verify` and `stats` after an unclean stop: the store opens, is intact, and holds whole batches only.
fn check_after_kill(db: &str, total: u64) -> u64 {
    let v = verify(db);
    let events = stats(db)["events"].as_u64().unwrap();
    assert_eq!(v["events"], events);
    assert!(events.is_multiple_of(IMPORT_BATCH) || events == total, "{events} events: a partial batch survived");
    events
}

#[test]
fn clean_reopen_after_unclean_stop() {
    let t = Tmp::new("crash");
    let db = t.at("db");
    // Not a multiple of the batch size, so "all of it" and "whole batches" differ.
    const TOTAL: u64 = 30_000;
    let big = t.write("big.json", &epcis_doc(&object_events(TOTAL, "K")));

    let mut seen = Vec::new();
    for wait_ms in [300, 1500] {
        let mut child = tracecode()
            .args(["import", "--db", db.as_str(), big.as_str()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(wait_ms));
        // SIGKILL: no destructor, no flush, no close. (It may already have finished on a fast machine.)
        let _ = child.kill();
        child.wait().unwrap();
        seen.push(check_after_kill(&db, TOTAL));
    }
    assert!(seen[1] >= seen[0], "events went backwards: {seen:?}");

    // Run the import to completion: everything is there exactly once.
    let s = tc(&["import", "--db", &db, &big]).ok().json();
    assert_eq!(s["events"], TOTAL);
    assert_eq!(s["accepted"].as_u64().unwrap() + s["duplicates"].as_u64().unwrap(), TOTAL, "{s}");
    assert_eq!(s["duplicates"], seen[1], "{s}");
    let v = verify(&db);
    assert_eq!(v["events"], TOTAL);
    assert_eq!(stats(&db)["events"], TOTAL);
    eprintln!("events committed when killed: {seen:?} of {TOTAL}");
}

/// `--read-only` reads and refuses writes; `recover` reports a store that lost acknowledged events (exit 1)
/// and with `--accept-loss` opens it and records the loss, after which `verify` passes and reports it.
#[test]
fn recover_and_read_only() {
    let t = Tmp::new("recover");
    let doc = t.write("events.json", &epcis_doc(&object_events(2000, "R")));
    let healthy = t.at("healthy");
    tc(&["import", "--db", &healthy, &doc]).ok();
    let s = tc(&["stats", "--db", &healthy, "--read-only"]);
    assert_eq!(s.ok().json()["events"], 2000);
    assert_eq!(tc(&["import", "--db", &healthy, "--read-only", &doc]).code, Some(2));
    assert_eq!(tc(&["stats", "--db", &healthy, "--accept-loss"]).code, Some(2));
    let r = tc(&["recover", "--db", &healthy]);
    let v = r.ok().json();
    assert_eq!((v["checkpoint"]["seq"].as_u64(), v["losses"].as_array().map(Vec::len)), (Some(2000), Some(0)));
    // Right after the import the events are only in the write-ahead log (an open for writing would move them
    // into table files): cut it to a fifth.
    let db = t.at("db");
    tc(&["import", "--db", &db, &doc]).ok();
    let wal = std::fs::read_dir(&db)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let bytes = std::fs::read(&wal).unwrap();
    std::fs::write(&wal, &bytes[..bytes.len() / 5]).unwrap();
    let refused = tc(&["verify", "--db", &db]);
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    let err: Value = serde_json::from_str(refused.stderr.trim()).unwrap();
    assert_eq!(err["error"]["kind"], "corrupt", "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("..=2000"), "{err}");
    assert_eq!(tc(&["recover", "--db", &db]).code, Some(1));
    let accepted = tc(&["recover", "--db", &db, "--accept-loss"]);
    let v = accepted.ok().json();
    let losses = v["losses"].as_array().unwrap();
    assert_eq!(losses.len(), 1, "{v}");
    assert_eq!(losses[0]["lost"]["last"], 2000);
    assert_eq!(losses[0]["recovered"]["seq"], v["checkpoint"]["seq"]);
    let after = tc(&["verify", "--db", &db]);
    let v = after.ok().json();
    assert_eq!((v["ok"].as_bool(), v["losses"].as_u64()), (Some(true), Some(1)));
}

/// Reading commands open the store read-only: they work while another process (here, this test holding a
/// writer) has the store open for writing, and see what it committed before they started. Writing commands are
/// refused with `locked`.
#[test]
fn reading_commands_work_while_a_writer_holds_the_store() {
    use tracecode::store::{Options, Store, TraceStore};
    let t = Tmp::new("beside-writer");
    let db = t.at("db");
    let first = t.write("first.json", &epcis_doc(&object_events(50, "W")));
    tc(&["import", "--db", &db, &first]).ok();
    let writer = Store::open(Path::new(&db), Options::default()).unwrap();
    assert_eq!(stats(&db)["events"], 50);
    let found = tc(&["resolve", "--db", &db, "(01)09506000134352(21)W7"]);
    assert_eq!(found.code, Some(0), "{}", found.stderr);
    assert_eq!(verify(&db)["ok"], true);
    // What the writer commits is seen by the next command.
    let more: Vec<Event> = import_all(epcis_doc(&object_events(5, "V")).as_bytes(), Mode::AcceptValid).unwrap().0;
    writer.ingest(more).unwrap();
    assert_eq!(stats(&db)["events"], 55);
    // A writing command cannot take the lock.
    let refused = tc(&["import", "--db", &db, &first]);
    assert_eq!(refused.code, Some(2), "a store error: {}", refused.stderr);
    assert!(refused.stderr.contains("\"locked\""), "{}", refused.stderr);
    drop(writer);
}
