//! Fuzz oracles, shared by the cargo-fuzz targets in `fuzz/` and the test suite (so CI exercises them on every
//! run). Each function takes arbitrary bytes and **panics only when an oracle is violated** — a parse that
//! succeeds must round-trip through its canonical rendering to an equal code and key.
//!
//! Hidden from the docs: this is test infrastructure, not API.

use crate::code::gs1::gcp::FixedGcpLength;
use crate::code::gs1::{self, epc_binary, epc_uri};
use crate::code::{self, CodeData, ParseOptions, TraceKey};

fn opts() -> ParseOptions {
    // A pinned year keeps two-digit-year dates deterministic across runs.
    ParseOptions::new().current_year(2026)
}

fn key_round_trip(key: &TraceKey) {
    let text = key.to_string();
    let back: TraceKey = text.parse().unwrap_or_else(|e| panic!("canonical key text {text:?} does not re-parse: {e}"));
    assert_eq!(&back, key, "key text round trip");
    let from_bytes = TraceKey::from_bytes(key.as_bytes()).unwrap_or_else(|e| panic!("key bytes do not decode: {e}"));
    assert_eq!(&from_bytes, key, "key bytes round trip");
}

fn gs1_round_trips(g: &gs1::Gs1, o: &ParseOptions) {
    let es = g.to_element_string();
    let (again, _) = gs1::element::parse_element_string(es.as_bytes(), o)
        .unwrap_or_else(|e| panic!("element string {es:?} does not re-parse: {e}"));
    assert_eq!(&again, g, "element string round trip");
    let br = g.to_bracketed();
    let (again, _) = gs1::element::parse_bracketed(br.as_bytes(), o)
        .unwrap_or_else(|e| panic!("bracketed {br:?} does not re-parse: {e}"));
    assert_eq!(&again, g, "bracketed round trip");
    if let Ok(k) = g.trace_key() {
        key_round_trip(&k);
        if let Ok(dl) = g.canonical_digital_link() {
            let parsed = gs1::digital_link::parse_digital_link(&dl, o)
                .unwrap_or_else(|e| panic!("Digital Link {dl:?} does not re-parse: {e}"));
            assert_eq!(parsed.gs1.trace_key().ok(), Some(k), "Digital Link keeps the key");
        }
    }
}

/// Oracle for GS1 element strings (raw transmitted form).
pub fn element_string(data: &[u8]) {
    let o = opts();
    if let Ok((g, _)) = gs1::element::parse_element_string(data, &o) {
        gs1_round_trips(&g, &o);
    }
    if let Ok((g, _)) = gs1::element::parse_bracketed(data, &o) {
        gs1_round_trips(&g, &o);
    }
}

/// Oracle for Digital Link URIs: canonical DL re-parses to the same elements (as a set in canonical order).
pub fn digital_link(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let o = opts();
    if let Ok(dl) = gs1::digital_link::parse_digital_link(s, &o) {
        let canon = dl.gs1.canonical_digital_link().unwrap_or_else(|e| panic!("parsed DL cannot be re-rendered: {e}"));
        let again = gs1::digital_link::parse_digital_link(&canon, &o)
            .unwrap_or_else(|e| panic!("canonical DL {canon:?} does not re-parse: {e}"));
        assert_eq!(again.gs1, dl.gs1, "canonical DL round trip");
        gs1_round_trips(&dl.gs1, &o);
    }
}

/// Oracle for EPC URIs: pure identity → GS1 → pure identity with the same company-prefix length.
pub fn epc_uri(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let o = opts();
    if let Ok((d, info)) = epc_uri::parse_epc_uri(s, &o) {
        match &d {
            CodeData::Gs1(g) => {
                if let Some(len) = info.gcp_len {
                    let uri = epc_uri::to_epc_uri(g, &FixedGcpLength(len))
                        .unwrap_or_else(|e| panic!("parsed EPC {s:?} cannot be re-rendered: {e}"));
                    let (again, _) = epc_uri::parse_epc_uri(&uri, &o)
                        .unwrap_or_else(|e| panic!("EPC {uri:?} does not re-parse: {e}"));
                    assert_eq!(again, d, "EPC URI round trip");
                }
                gs1_round_trips(g, &o);
            }
            CodeData::Gid(g) => {
                let uri = epc_uri::gid_uri(g);
                let (again, _) =
                    epc_uri::parse_epc_uri(&uri, &o).unwrap_or_else(|e| panic!("GID {uri:?} does not re-parse: {e}"));
                assert_eq!(again, d, "GID round trip");
            }
            _ => {}
        }
    }
}

/// Oracle for RFID EPC binary: decode, re-encode with the same scheme, filter and prefix length, decode again.
pub fn epc_binary(data: &[u8]) {
    let Ok((d, info)) = epc_binary::decode_epc(data) else { return };
    let again = match &d {
        CodeData::Gs1(g) => {
            let (Some(len), Some(scheme)) = (info.gcp_len, info.binary) else { return };
            epc_binary::encode_epc(g, scheme, info.filter.unwrap_or(0), &FixedGcpLength(len))
                .unwrap_or_else(|e| panic!("decoded EPC cannot be re-encoded: {e}"))
        }
        CodeData::Gid(g) => {
            epc_binary::encode_gid(g).unwrap_or_else(|e| panic!("decoded GID cannot be re-encoded: {e}"))
        }
        _ => return,
    };
    let (d2, info2) = epc_binary::decode_epc(&again).unwrap_or_else(|e| panic!("re-encoded EPC does not decode: {e}"));
    assert_eq!(d2, d, "EPC binary round trip");
    assert_eq!(info2, info, "EPC binary info round trip");
}

/// Oracle for auto-detection: whatever parses has a key whose text and bytes round trip, and re-parsing the
/// canonical key text of a GS1 code (as a Digital Link path on the canonical host) gives the same key.
pub fn auto_detect(data: &[u8]) {
    let o = opts();
    let Ok(c) = code::parse_with(data, &o) else { return };
    let _ = code::candidates_with(data, &o);
    if let Ok(k) = c.trace_key() {
        key_round_trip(&k);
        if let CodeData::Gs1(g) = c.data() {
            let uri = format!("{}/{k}", gs1::digital_link::CANONICAL_STEM);
            let again = code::parse_with(&uri, &o)
                .and_then(|c| c.trace_key())
                .unwrap_or_else(|e| panic!("{uri:?} does not re-parse: {e}"));
            assert_eq!(again, k, "key as Digital Link round trip");
            gs1_round_trips(g, &o);
        }
    }
}

/// Oracle for the scan path: `code::scan_key` answers exactly what `parse(..)?.trace_key()` answers (the same key,
/// or an error of the same kind, position and message), and its fast paths answer only where the parser gives
/// that same key. Default options on both sides: that is what `scan_key` promises to match.
pub fn scan_key(data: &[u8]) {
    let want = code::parse(data).and_then(|c| c.trace_key());
    if let Some(fast) = code::scan::fast_key(data) {
        assert_eq!(want.as_ref().ok(), Some(&fast), "the fast path answered {data:?}; the parser says {want:?}");
    }
    match (code::scan_key(data), want) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "scan_key and parse give different keys"),
        (Err(a), Err(b)) => assert_eq!(
            (a.kind(), a.position(), a.message()),
            (b.kind(), b.position(), b.message()),
            "scan_key and parse fail differently"
        ),
        (a, b) => panic!("scan_key gives {a:?}, parse gives {b:?}"),
    }
}

/// Oracle for event frames: a frame that decodes re-encodes to exactly the input bytes, in the self-contained
/// form and in the interned form (against a dictionary pre-filled with a few keys and names, so random references
/// resolve).
pub fn frame_decode(data: &[u8]) {
    use crate::event::Id;
    use crate::event::frame::{self, Dictionary, INTERNED, MemoryDictionary};
    static DICT: std::sync::OnceLock<MemoryDictionary> = std::sync::OnceLock::new();
    let dict = DICT.get_or_init(|| {
        let mut d = MemoryDictionary::new();
        for s in [
            "urn:epc:id:sgtin:0614141.107346.2017",
            "urn:epc:id:sgln:0614141.07346.1234",
            "urn:epc:id:sscc:0614141.1234567890",
            "urn:epc:class:lgtin:4012345.012345.998877",
        ] {
            if let Ok(id) = Id::parse(s) {
                d.intern(&id);
            }
        }
        for s in ["http://transaction.acme.com/po/12345678", "https://ns.example.com/epcis/temperature", "ex", "op-7"] {
            d.intern_name(s);
        }
        d
    });
    if let Ok(ev) = frame::decode(data) {
        let again = frame::encode(&ev).unwrap_or_else(|e| panic!("decoded frame does not re-encode: {e}"));
        assert_eq!(again, data, "self-contained frame round trip");
    }
    if let Ok(ev) = frame::decode_interned(data, dict) {
        let again = if data.get(3).is_some_and(|k| k & INTERNED != 0) {
            let mut d = dict.clone();
            let again = frame::encode_interned(&ev, &mut d).unwrap_or_else(|e| panic!("frame does not re-encode: {e}"));
            assert_eq!(d.len(), dict.len(), "re-encoding a decoded frame added dictionary terms");
            again
        } else {
            frame::encode(&ev).unwrap_or_else(|e| panic!("decoded frame does not re-encode: {e}"))
        };
        assert_eq!(again, data, "interned frame round trip");
    }
}

/// Oracle for EPCIS 2.0 JSON: whatever the streaming importer accepts exports to JSON that imports to an equal
/// event (field values; the prefixes recorded in `namespaces` may differ when a context declares overlapping
/// namespace IRIs), and the canonical event hash survives. Also: the bounded JSON reader agrees with serde_json
/// ([`json_reader`]), and single-event parsing ([`event_from_slice`](crate::event::epcis_json::event_from_slice))
/// judges a bare event exactly as the importer does.
pub fn json_event(data: &[u8]) {
    use crate::event::epcis_json::{self, Mode};
    let imported = epcis_json::import_all(data, Mode::AcceptValid);
    if let Ok((events, _)) = &imported {
        for e in events {
            json_round_trip(e);
        }
    }
    json_reader(data);
    single_event(data, imported.as_ref().ok());
}

/// An accepted event exports to JSON that imports to an equal event with the same canonical hash.
fn json_round_trip(e: &crate::event::Event) {
    use crate::event::epcis_json::{self, Context, ExportOptions};
    let j = epcis_json::event_to_json(e, &ExportOptions::default());
    let back = epcis_json::event_from_json(&j, &Context::new())
        .unwrap_or_else(|err| panic!("exported event does not re-import: {err}\n{j}"));
    // Hash before clearing namespaces: an extension name's hash text depends on the declared prefixes.
    assert_eq!(crate::event::digest::gs1_event_hash(e).ok(), crate::event::digest::gs1_event_hash(&back).ok(), "hash");
    let (mut a, mut b) = (e.clone(), back);
    a.namespaces.clear();
    b.namespaces.clear();
    assert_eq!(a, b, "JSON round trip of {j}");
    // And through the XML binding.
    let mut xml = Vec::new();
    match crate::event::epcis_xml::export_xml(
        std::slice::from_ref(e),
        crate::event::epcis_xml::XmlVersion::V2_0,
        &ExportOptions::default(),
        &mut xml,
    ) {
        Ok(()) => {}
        // A name XML cannot write (JSON-LD allows any string as a member name or prefix) is refused by name.
        Err(err) if err.kind() == crate::ErrorKind::Unsupported && err.message().contains("XML name") => return,
        Err(err) => panic!("an accepted event does not export to XML: {err}"),
    }
    let mut from_xml = Vec::new();
    crate::event::epcis_xml::read_events(xml.as_slice(), crate::event::epcis_json::ReadOptions::default(), |_, r| {
        from_xml.push(r);
        Ok(())
    })
    .unwrap_or_else(|err| panic!("exported XML does not read: {err}\n{}", String::from_utf8_lossy(&xml)));
    let [Ok(x)] = from_xml.as_slice() else {
        panic!("exported XML reads as {from_xml:?}\n{}", String::from_utf8_lossy(&xml))
    };
    let mut x = x.clone();
    x.namespaces.clear();
    if a != x {
        // XML has no array marker: a one-element array in an extension comes back as its element. Equal up to
        // that (compared in the JSON form, every one-element array collapsed on both sides).
        let opts = ExportOptions::default();
        assert_eq!(
            collapse(&epcis_json::event_to_json(&a, &opts)),
            collapse(&epcis_json::event_to_json(&x, &opts)),
            "XML round trip of {}",
            String::from_utf8_lossy(&xml)
        );
    }
}

/// `v` with every one-element array replaced by its element, and `@context` dropped.
fn collapse(v: &crate::event::epcis_json::Json) -> crate::event::epcis_json::Json {
    use crate::event::epcis_json::Json;
    match v {
        Json::Array(a) if a.len() == 1 => a.first().map_or(Json::Null, collapse),
        Json::Array(a) => Json::Array(a.iter().map(collapse).collect()),
        Json::Object(m) => {
            Json::Object(m.iter().filter(|(k, _)| &**k != "@context").map(|(k, v)| (k.clone(), collapse(v))).collect())
        }
        other => other.clone(),
    }
}

/// Oracle for EPCIS XML: the reader never panics and bounds its work; every event it accepts survives the JSON
/// round trip (export, import: an equal event, the same hash); and the importer, which detects XML by content,
/// hands on exactly the reader's events.
pub fn xml_event(data: &[u8]) {
    use crate::event::epcis_json::{self, Mode, ReadOptions};
    let mut events = Vec::new();
    let read = crate::event::epcis_xml::read_events(data, ReadOptions::default(), |_, r| {
        events.push(r);
        Ok(())
    });
    for e in events.iter().flatten() {
        json_round_trip(e);
    }
    let starts_xml = data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    if starts_xml && read.is_ok() {
        let (imported, _) = epcis_json::import_all(data, Mode::AcceptValid)
            .unwrap_or_else(|e| panic!("the reader accepted the document, the importer refused it: {e}"));
        let valid: Vec<_> = events.into_iter().flatten().collect();
        assert_eq!(imported, valid);
    }
}

/// [`event_from_slice`](crate::event::epcis_json::event_from_slice) against the importer on the same bytes: when
/// the importer read a bare event, both give the same event or the same fault (pointer and kind); when
/// `event_from_slice` accepts an object that cannot be a document, the importer reads it as that event.
fn single_event(data: &[u8], imported: Option<&(Vec<crate::event::Event>, crate::event::epcis_json::ImportSummary)>) {
    use crate::event::epcis_json::{self, Context, DocumentKind, Json, MAX_EVENT_BYTES, MAX_EVENT_VALUES};
    let single = epcis_json::event_from_slice(data, &Context::new());
    if let Some((events, summary)) = imported
        && summary.document == DocumentKind::Event
    {
        match (&single, summary.rejected.first()) {
            (Ok(e), None) => assert_eq!(events.as_slice(), std::slice::from_ref(e), "bare event"),
            (Err(e), Some(bad)) => {
                assert_eq!((e.pointer(), e.kind()), (bad.pointer.as_str(), bad.kind), "{e} / {bad}");
            }
            (s, bad) => panic!("event_from_slice gives {s:?}, the importer {bad:?}"),
        }
    }
    let document_like = |v: &Json| match v {
        Json::Object(m) => m.iter().any(|(k, _)| matches!(&**k, "epcisBody" | "epcisHeader")),
        _ => true,
    };
    if let Ok(e) = &single
        && let Ok((v, _)) = epcis_json::read_slice(data, MAX_EVENT_VALUES, MAX_EVENT_BYTES)
        && !document_like(&v)
    {
        let (events, summary) =
            imported.unwrap_or_else(|| panic!("event_from_slice accepts what the importer refuses: {e:?}"));
        assert_eq!((summary.document, events.as_slice()), (DocumentKind::Event, std::slice::from_ref(e)));
    }
}

/// Oracle for the bounded JSON reader of EPCIS import, against serde_json on the same bytes: what the reader
/// accepts, serde_json accepts with the same value (numbers compared exactly or as binary floats; a value with a
/// duplicate member name is not compared: serde_json keeps the last, the reader reports the first); what serde_json
/// accepts, the reader refuses only for a bound ([`ErrorKind::Length`](crate::ErrorKind::Length)).
pub fn json_reader(data: &[u8]) {
    use crate::event::epcis_json::{Json, MAX_EVENT_VALUES, read_slice};
    use serde_json::Value;
    fn same(a: &Json, b: &Value) -> bool {
        match (a, b) {
            (Json::Null, Value::Null) => true,
            (Json::Bool(x), Value::Bool(y)) => x == y,
            (Json::Number(t), Value::Number(n)) => {
                **t == *n.to_string()
                    || number_value(t).is_some_and(|x| number_value(&n.to_string()) == Some(x))
                    // serde_json without `float_roundtrip` may round a long number one unit in the last place off
                    // the correctly rounded value (Rust's `parse`); the texts still denote the same number.
                    || t.parse::<f64>().ok().zip(n.as_f64()).is_some_and(|(x, y)| x.to_bits().abs_diff(y.to_bits()) <= 1)
            }
            (Json::String(x), Value::String(y)) => **x == **y,
            (Json::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w)),
            (Json::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(&**k).is_some_and(|w| same(v, w)))
            }
            _ => false,
        }
    }
    let ours = read_slice(data, MAX_EVENT_VALUES, u64::MAX);
    let theirs = serde_json::from_slice::<Value>(data);
    match (ours, theirs) {
        (Ok((v, dup)), Ok(w)) => {
            if dup.is_none() {
                assert!(same(&v, &w), "the reader reads {v:?}, serde_json {w}");
            }
        }
        // Without arbitrary_precision serde_json refuses numbers beyond f64; the reader keeps their text.
        (Ok(_), Err(e)) => {
            let range = e.to_string().contains("number out of range");
            assert!(range, "the reader accepts what serde_json refuses: {e}");
        }
        (Err(f), Ok(_)) => {
            assert_eq!(f.kind, crate::ErrorKind::Length, "the reader refuses JSON serde_json reads: {}", f.message);
        }
        (Err(f), Err(_)) => assert!(f.message.len() < 300, "a long message: {}", f.message),
    }
}

/// A JSON number's exact value as (negative, significant digits, power of ten), so `8e707`, `8e+707` and
/// `80e706` compare equal whatever way a parser prints them; `None` for text that is not a number or an exponent
/// beyond `i64`.
fn number_value(t: &str) -> Option<(bool, String, i64)> {
    let (m, e) = match t.find(['e', 'E']) {
        Some(i) => (t.get(..i)?, t.get(i + 1..)?.trim_start_matches('+').parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (neg, m) = m.strip_prefix('-').map_or((false, m), |r| (true, r));
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let mut digits: String = int.chars().chain(frac.chars()).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut exp = e.checked_sub(i64::try_from(frac.len()).ok()?)?;
    while digits.ends_with('0') {
        digits.pop();
        exp = exp.checked_add(1)?;
    }
    let digits = digits.trim_start_matches('0').to_owned();
    if digits.is_empty() {
        return Some((false, digits, 0));
    }
    Some((neg, digits, exp))
}

/// Oracle for store state records (`docs/STORE.md`, the `chain` family's per-node record, decoded on every
/// resolve of a node read from disk): arbitrary bytes decode to a typed error or to a (head, fold) that
/// re-encodes to a record decoding to the same value, and re-encoding that is stable.
pub fn state_record(data: &[u8]) {
    use crate::store::keys::{decode_state, encode_state};
    if let Ok((head, fold)) = decode_state(data) {
        let again = encode_state(&head, &fold);
        let back = decode_state(&again).unwrap_or_else(|e| panic!("a re-encoded state record does not decode: {e}"));
        assert_eq!(back, (head, fold), "state record round trip");
        assert_eq!(encode_state(&back.0, &back.1), again, "state record encoding is stable");
    }
}

/// Oracle for the RocksDB store against the in-memory model: the bytes are a sequence of operations (ingest a
/// batch of events built from a small vocabulary of items, containers, places and parties; resolve; state at a
/// time; neighbours; a query page; the feed; reopen the store), run on a fresh [`crate::store::Store`] in a
/// temporary directory and on a [`crate::store::MemoryStore`]. Every answer must be equal; at the end the store
/// must verify, and its checkpoint and counts must be the model's.
#[cfg(feature = "rocksdb")]
pub fn store_model(data: &[u8]) {
    store_model::run(data);
}

#[cfg(feature = "rocksdb")]
mod store_model {
    use std::sync::atomic::{AtomicU64, Ordering};

    use crate::event::{Action, BizStep, Disposition, Event, EventType, Id, Place, SourceDest, SourceDestType};
    use crate::event::{Timestamp, TzOffset};
    use crate::store::{Index, MemoryStore, Options, Query, Store, TraceStore};

    /// The operations' bytes, read front to back; an exhausted input reads as zeros.
    struct Bytes<'a>(&'a [u8]);

    impl Bytes<'_> {
        fn u8(&mut self) -> u8 {
            let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
            self.0 = rest;
            b
        }
    }

    fn node(i: u8) -> Id {
        let text = match i % 10 {
            n @ 0..=5 => format!("https://id.gs1.org/01/09506000134352/21/F{n}"),
            n @ 6..=7 => format!("urn:epc:id:sscc:0614141.{n:010}"),
            n @ 8 => format!("urn:epc:id:sgln:0614141.00001.{n}"),
            n => format!("urn:epc:id:pgln:0614141.0000{n}"),
        };
        Id::parse(&text).unwrap_or_else(|_| Id::Uri(text.into_boxed_str()))
    }

    fn event(b: &mut Bytes<'_>) -> Event {
        let (kind, a, c, t) = (b.u8(), b.u8(), b.u8(), b.u8());
        let time = Timestamp(1_700_000_000_000 + i64::from(t) * 60_000);
        let mut e =
            Event::new(if kind % 3 == 1 { EventType::Aggregation } else { EventType::Object }, time, TzOffset::UTC);
        e.action = Some(match kind / 3 % 3 {
            0 => Action::Add,
            1 => Action::Observe,
            _ => Action::Delete,
        });
        match e.kind {
            EventType::Aggregation => {
                e.parent_id = Some(node(6 + a % 2));
                // DELETE without children unpacks the container as a whole.
                if !(e.action == Some(Action::Delete) && c % 2 == 0) {
                    e.child_epcs = vec![node(c % 6)];
                }
            }
            _ => e.epc_list = vec![node(a % 6), node(c % 8)].into_iter().take(1 + usize::from(kind % 2)).collect(),
        }
        if kind & 0x40 != 0 {
            e.biz_step = Some(if kind & 0x80 != 0 { BizStep::Shipping } else { BizStep::Receiving });
            e.disposition = Some(if c & 0x80 != 0 { Disposition::InTransit } else { Disposition::InProgress });
            e.biz_location = Some(Place { id: node(8), extensions: Vec::new() });
            e.destinations = vec![SourceDest { kind: SourceDestType::OwningParty, id: node(9) }];
        }
        e
    }

    /// A fresh directory, removed on drop.
    struct Dir(std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn open(dir: &Dir) -> Store {
        let o = Options::default().block_cache_bytes(1 << 20).hot_tier_bytes(1 << 20);
        Store::open(&dir.0, o).unwrap_or_else(|e| panic!("open: {e}"))
    }

    pub(super) fn run(data: &[u8]) {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = Dir(std::env::temp_dir().join(format!(
            "tracecode-fuzz-store-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        )));
        let _ = std::fs::remove_dir_all(&dir.0);
        let mut st = open(&dir);
        let mem = MemoryStore::new();
        let mut b = Bytes(data);
        // At most 64 operations: long inputs add nothing a longer campaign would not find.
        for _ in 0..64 {
            if b.0.is_empty() {
                break;
            }
            match b.u8() % 7 {
                0 => {
                    let n = 1 + usize::from(b.u8() % 4);
                    let batch: Vec<Event> = (0..n).map(|_| event(&mut b)).collect();
                    let (x, y) = (st.ingest(batch.clone()), mem.ingest(batch));
                    match (x, y) {
                        (Ok(x), Ok(y)) => assert_eq!(x, y, "ingest reports"),
                        (Err(x), Err(y)) => assert_eq!(x.kind(), y.kind(), "ingest errors: {x} / {y}"),
                        (x, y) => panic!("ingest: store {x:?}, model {y:?}"),
                    }
                }
                1 => {
                    let id = node(b.u8());
                    let (x, y) = (st.resolve_id(&id), mem.resolve_id(&id));
                    assert_eq!(x.ok(), y.ok(), "resolve {id}");
                }
                2 => {
                    let (id, t) = (node(b.u8()), Timestamp(1_700_000_000_000 + i64::from(b.u8()) * 60_000));
                    assert_eq!(st.state_at(&id, t).ok(), mem.state_at(&id, t).ok(), "state_at {id}");
                }
                3 => {
                    let id = node(b.u8());
                    let (mut x, mut y) = (Vec::new(), Vec::new());
                    assert_eq!(st.neighbours(&id, &mut x).is_ok(), mem.neighbours(&id, &mut y).is_ok());
                    assert_eq!(x, y, "neighbours {id}");
                }
                4 => {
                    let which = b.u8();
                    let index = match which % 4 {
                        0 => Index::Time,
                        1 => Index::Location(node(8)),
                        2 => Index::Party(node(9)),
                        _ => Index::Parent(node(6 + which / 4 % 2)),
                    };
                    let mut q = Query::new(index);
                    q.limit = 1 + usize::from(b.u8() % 8);
                    // Every page, following the cursors.
                    loop {
                        let (x, y) = (st.query(&q), mem.query(&q));
                        let (Ok(x), Ok(y)) = (x, y) else { panic!("query failed") };
                        assert_eq!(x, y, "query page");
                        match x.next {
                            Some(c) => q.after = Some(c),
                            None => break,
                        }
                    }
                }
                5 => {
                    let after = u64::from(b.u8() % 16);
                    assert_eq!(st.events_since(after, 8).ok(), mem.events_since(after, 8).ok(), "feed after {after}");
                }
                _ => {
                    drop(st);
                    st = open(&dir);
                }
            }
        }
        let v = st.verify_all().unwrap_or_else(|e| panic!("verify_all: {e}"));
        assert!(v.is_ok(), "verify_all: {:?}", v.first_bad);
        assert_eq!(Some(v), mem.verify_all().ok(), "verify_all counts");
        assert_eq!(st.checkpoint().ok(), mem.checkpoint().ok(), "checkpoint");
        let (x, y) = (st.stats().ok(), mem.stats().ok());
        assert_eq!(
            x.map(|s| (s.events, s.nodes, s.chain_entries, s.edges)),
            y.map(|s| (s.events, s.nodes, s.chain_entries, s.edges))
        );
    }
}
