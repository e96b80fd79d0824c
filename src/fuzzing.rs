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
/// namespace IRIs), and the canonical event hash survives.
pub fn json_event(data: &[u8]) {
    use crate::event::epcis_json::{self, Context, ExportOptions, Mode};
    let check = |e: &crate::event::Event| {
        let j = epcis_json::event_to_json(e, &ExportOptions::default());
        let back = epcis_json::event_from_json(&j, &Context::new())
            .unwrap_or_else(|err| panic!("exported event does not re-import: {err}\n{j}"));
        // Hash before clearing namespaces: an extension name's hash text depends on the declared prefixes.
        assert_eq!(crate::event::id::gs1_event_hash(e).ok(), crate::event::id::gs1_event_hash(&back).ok(), "hash");
        let (mut a, mut b) = (e.clone(), back);
        a.namespaces.clear();
        b.namespaces.clear();
        assert_eq!(a, b, "JSON round trip of {j}");
    };
    let _ = epcis_json::import(data, Mode::AcceptValid, |_, r| {
        if let Ok(e) = r {
            check(&e);
        }
        Ok(())
    });
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
