//! Tests of the frame format as a whole: the golden fixtures that pin the v1 bytes, the example's size and
//! layout, bounds that both sides enforce, round-trip properties, and the (ignored) throughput measurements.

use std::fmt;
use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;

use super::testing::*;
use super::*;
use crate::ErrorKind;
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, ErrorDeclaration, ErrorReason, Event,
    EventType, ExtValue, Extension, Id, MAX_URI, Namespace, PersistentDisposition, Place, Quantity, SensorElement,
    SensorMetadata, SensorReport, SourceDest, SourceDestType, Timestamp, TzOffset, Who,
};

/// Minified JSON of the same event, as printed in events.md §7.3.
const EXAMPLE_JSON: &str = r#"{"type":"ObjectEvent","eventTime":"2022-02-16T20:33:31.116-06:00","eventTimeZoneOffset":"-06:00","epcList":["urn:epc:id:sgtin:0614141.107346.2018","urn:epc:id:sgtin:0614141.107346.2017"],"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","readPoint":{"id":"urn:epc:id:sgln:0614141.07346.1234"},"bizTransactionList":[{"type":"po","bizTransaction":"http://transaction.acme.com/po/12345678"}]}"#;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/frames").join(name)
}

/// The self-contained ObjectEvent with one payload byte flipped (CRC left as it was).
fn corrupted(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes[8] ^= 0x01;
    bytes
}

#[test]
#[ignore = "regenerator: rewrites tests/data/frames; run only when a new format version is introduced"]
fn regenerate_golden_fixtures() {
    std::fs::create_dir_all(fixture_path("")).unwrap();
    for (name, bytes) in golden() {
        std::fs::write(fixture_path(name), &bytes).unwrap();
    }
    std::fs::write(fixture_path("object_corrupt.bin"), corrupted(encode(&example_object()).unwrap())).unwrap();
}

#[test]
fn golden_fixtures_pin_v1_bytes() {
    for (name, bytes) in golden() {
        let file = std::fs::read(fixture_path(name)).unwrap();
        assert_eq!(file, bytes, "{name}: encoder output differs from the committed v1 fixture");
    }
    let obj = example_object();
    assert_eq!(decode(&std::fs::read(fixture_path("object.bin")).unwrap()).unwrap(), obj);
    assert_eq!(decode(&std::fs::read(fixture_path("aggregation.bin")).unwrap()).unwrap(), example_aggregation());
    // A fresh dictionary that interns the same event in the same order reads the interned fixture.
    let mut dict = MemoryDictionary::new();
    encode_interned(&obj, &mut dict).unwrap();
    let interned = std::fs::read(fixture_path("object_interned.bin")).unwrap();
    assert_eq!(decode_interned(&interned, &dict).unwrap(), obj);
}

#[test]
fn corrupt_fixture_fails_the_checksum() {
    let bytes = std::fs::read(fixture_path("object_corrupt.bin")).unwrap();
    assert_eq!(bytes, corrupted(encode(&example_object()).unwrap()));
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert_eq!((e.offset(), e.len()), (Some(bytes.len() - 4), Some(4)));
    assert!(e.message().contains("checksum mismatch"), "{e}");
}

#[test]
fn example_sizes_meet_the_target() {
    let ev = example_object();
    let full = encode(&ev).unwrap();
    let mut dict = MemoryDictionary::new();
    let small = encode_interned(&ev, &mut dict).unwrap();
    // The issue's budget: a typical ~650-byte ObjectEvent at 1/8 including a 32-byte id is <= 49 bytes.
    assert!(small.len() <= 49, "interned frame is {} bytes", small.len());
    assert!(small.len() + 32 <= EXAMPLE_JSON.len() / 8 + 32, "{} vs {}", small.len(), EXAMPLE_JSON.len());
    eprintln!(
        "§7.3 ObjectEvent: minified JSON {} B, self-contained frame {} B, interned frame {} B",
        EXAMPLE_JSON.len(),
        full.len(),
        small.len()
    );
    // A dictionary that already holds many terms costs 3-byte references, not 5.
    let mut big = MemoryDictionary::new();
    for i in 0..100_000 {
        big.intern_name(&format!("urn:example:{i}"));
    }
    let store = encode_interned(&ev, &mut big).unwrap();
    eprintln!("same event against a 100 000-term dictionary: {} B", store.len());
    assert!(store.len() <= small.len() + 2 * 8);
}

#[test]
fn layout_of_the_example() {
    let b = encode_interned(&example_object(), &mut MemoryDictionary::new()).unwrap();
    assert_eq!(&b[..4], &[0xF7, b'T', 1, 0x81]);
    let len = usize::from(b[4]);
    assert_eq!(b.len(), 5 + len + 4);
    assert_eq!(&b[b.len() - 4..], &crc32fast::hash(&b[..b.len() - 4]).to_le_bytes());
    // Payload: 48-bit ms time, then the field count.
    let ms = 1_645_065_211_116_i64;
    assert_eq!(&b[5..11], &ms.to_le_bytes()[..6]);
    assert_eq!(frame_len(&b).unwrap(), b.len());
}

#[test]
fn references_cannot_expand_without_bound() {
    // 600 references to one 2 KiB URI: 1.2 MB of identifiers behind a 600-byte payload.
    let long = Id::Uri(format!("urn:x:{}", "y".repeat(MAX_URI - 6)).into());
    let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
    ev.epc_list = vec![long.clone(); 600];
    let e = encode_interned(&ev, &mut MemoryDictionary::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Length);
    // A forged frame with the same references is refused on decode.
    let mut dict = MemoryDictionary::new();
    dict.intern(&long);
    let mut payload = vec![0u8; 6];
    payload.extend_from_slice(&[1, 11, 0xFB, 0x58, 0x02]);
    payload.extend(std::iter::repeat_n(0u8, 600));
    let e = decode_interned(&forge(0x81, &payload), &dict).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(e.message().contains("stand for more than"), "{e}");
    // Within the budget the same shape decodes.
    ev.epc_list.truncate(400);
    let b = encode_interned(&ev, &mut dict).unwrap();
    assert_eq!(decode_interned(&b, &dict).unwrap(), ev);
}

#[test]
fn sensor_budget() {
    let mut ev = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
    ev.sensor_elements =
        vec![SensorElement { reports: vec![SensorReport::default(); MAX_SENSOR_REPORTS], ..SensorElement::default() }];
    assert_eq!(encode(&ev).unwrap_err().kind(), ErrorKind::Length);
    ev.sensor_elements[0].reports.pop();
    let b = encode(&ev).unwrap();
    assert_eq!(decode(&b).unwrap(), ev);
    // One more report, forged past the encoder: refused by the decoder.
    let mut payload = vec![0u8; 6];
    payload.extend_from_slice(&[1, 32, 1, 0, 0xFC]);
    payload.extend_from_slice(&u32::try_from(MAX_SENSOR_REPORTS).unwrap().to_le_bytes());
    payload.extend(std::iter::repeat_n(0u8, MAX_SENSOR_REPORTS + 1));
    let e = decode(&forge(1, &payload)).unwrap_err();
    assert!(e.message().contains("sensor elements and reports"), "{e}");
}

// --- property tests -----------------------------------------------------------------------------------

fn arb_text() -> impl Strategy<Value = Box<str>> {
    prop_oneof![".{0,12}", "[a-z]{1,6}"].prop_map(String::into_boxed_str)
}

fn arb_name() -> impl Strategy<Value = Box<str>> {
    prop_oneof!["https://ns\\.example\\.com/epcis/[a-z]{1,8}", ".{0,8}"].prop_map(String::into_boxed_str)
}

fn arb_id() -> impl Strategy<Value = Id> {
    prop_oneof![
        "[A-Za-z0-9]{1,20}".prop_map(|s| id(&format!("https://id.gs1.org/01/09506000134352/21/{s}"))),
        prop::sample::select(vec![
            "urn:epc:id:sscc:0614141.1234567890",
            "urn:epc:id:sgln:0614141.07346.1234",
            "urn:epc:class:lgtin:4012345.012345.998877",
            "urn:epc:id:pgln:0614141.00000",
            "cn-drug20:81234567890123456782",
        ])
        .prop_filter_map("parses", |s| Id::parse(s).ok()),
        ".{0,30}".prop_map(|s| Id::Uri(s.into())),
    ]
}

fn arb_time() -> impl Strategy<Value = Timestamp> {
    prop_oneof![any::<i64>(), (-9_000_000_000_000i64..9_000_000_000_000).prop_map(|ms| ms * 1_000_000)]
        .prop_map(Timestamp)
}

fn arb_decimal() -> impl Strategy<Value = Decimal> {
    "-?[0-9]{1,12}(\\.[0-9]{1,6})?".prop_map(|s| Decimal::parse(&s).unwrap())
}

fn arb_vocab<V: Vocab + Clone + fmt::Debug + 'static>(n: usize) -> impl Strategy<Value = V> {
    let n = u8::try_from(n).unwrap();
    prop_oneof![(0..n).prop_map(|i| V::from_index(i).unwrap()), arb_name().prop_map(V::from_other)]
}

fn arb_ext_value() -> impl Strategy<Value = ExtValue> {
    let leaf = prop_oneof![
        Just(ExtValue::Null),
        any::<bool>().prop_map(ExtValue::Bool),
        arb_decimal().prop_map(ExtValue::Number),
        arb_text().prop_map(ExtValue::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(ExtValue::Array),
            vec((arb_name(), inner), 0..3).prop_map(|m| {
                ExtValue::Object(m.into_iter().map(|(name, value)| Extension { name, value }).collect())
            }),
        ]
    })
}

fn arb_exts() -> impl Strategy<Value = Vec<Extension>> {
    vec((arb_name(), arb_ext_value()), 0..3)
        .prop_map(|m| m.into_iter().map(|(name, value)| Extension { name, value }).collect())
}

fn arb_quantity() -> impl Strategy<Value = Quantity> {
    (arb_id(), prop::option::of(arb_decimal()), prop::option::of("[A-Z0-9]{2,3}"))
        .prop_map(|(class, quantity, uom)| Quantity { class, quantity, uom: uom.map(Into::into) })
}

fn arb_report() -> impl Strategy<Value = SensorReport> {
    (any::<u32>(), arb_text(), arb_decimal(), any::<bool>(), arb_time(), arb_name(), arb_exts()).prop_map(
        |(m, t, d, b, time, kind, ext)| {
            let on = |i: u32| m & (1 << i) != 0;
            let s = |i| on(i).then(|| t.clone());
            let n = |i| on(i).then(|| d.clone());
            SensorReport {
                kind: on(0).then_some(kind),
                exception: s(1),
                device_id: s(2),
                device_metadata: s(3),
                raw_data: s(4),
                data_processing_method: s(5),
                biz_rules: s(6),
                time: on(7).then_some(time),
                microorganism: s(8),
                chemical_substance: s(9),
                coordinate_reference_system: s(10),
                value: n(11),
                component: s(12),
                string_value: s(13),
                boolean_value: on(14).then_some(b),
                hex_binary_value: s(15),
                uri_value: s(16),
                min_value: n(17),
                max_value: n(18),
                mean_value: n(19),
                s_dev: n(20),
                perc_rank: n(21),
                perc_value: n(22),
                uom: s(23),
                extensions: if on(24) { ext } else { Vec::new() },
            }
        },
    )
}

fn arb_sensor() -> impl Strategy<Value = SensorElement> {
    let meta = (any::<u16>(), arb_time(), arb_text(), arb_exts()).prop_map(|(m, time, t, ext)| {
        let on = |i: u16| m & (1 << i) != 0;
        let s = |i| on(i).then(|| t.clone());
        SensorMetadata {
            time: on(0).then_some(time),
            start_time: on(1).then_some(Timestamp(time.0 / 2)),
            end_time: on(2).then_some(Timestamp(time.0 / 3)),
            device_id: s(3),
            device_metadata: s(4),
            raw_data: s(5),
            data_processing_method: s(6),
            biz_rules: s(7),
            extensions: if on(8) { ext } else { Vec::new() },
        }
    });
    (prop::option::of(meta), vec(arb_report(), 0..3), arb_exts())
        .prop_map(|(metadata, reports, extensions)| SensorElement { metadata, reports, extensions })
}

fn arb_place() -> impl Strategy<Value = Place> {
    (arb_id(), arb_exts()).prop_map(|(id, extensions)| Place { id, extensions })
}

fn arb_source_dest() -> impl Strategy<Value = SourceDest> {
    (arb_vocab::<SourceDestType>(SourceDestType::TERMS.len()), arb_id()).prop_map(|(kind, id)| SourceDest { kind, id })
}

fn arb_event() -> impl Strategy<Value = Event> {
    let kind = prop_oneof![
        Just(EventType::Object),
        Just(EventType::Aggregation),
        Just(EventType::Transaction),
        Just(EventType::Transformation),
        Just(EventType::Association),
        arb_name().prop_map(EventType::Extension),
    ];
    let tz = prop_oneof![Just(0i16), (-56i16..=56).prop_map(|q| q * 15), any::<i16>()].prop_map(TzOffset);
    let error = (arb_time(), prop::option::of(arb_vocab::<ErrorReason>(2)), vec(arb_text(), 0..2), arb_exts())
        .prop_map(|(declaration_time, reason, corrective_event_ids, extensions)| ErrorDeclaration {
            declaration_time,
            reason,
            corrective_event_ids,
            extensions,
        });
    let action = prop::sample::select(vec![Action::Add, Action::Observe, Action::Delete]);
    let head = (
        kind,
        arb_time(),
        tz,
        prop::option::of(arb_time()),
        prop::option::of(arb_text()),
        vec(arb_text(), 0..3),
        prop::option::of(error),
        prop::option::of(action),
        prop::option::of(arb_id()),
    );
    let what = (
        vec(arb_id(), 0..4),
        vec(arb_quantity(), 0..3),
        vec(arb_id(), 0..3),
        vec(arb_quantity(), 0..2),
        vec(arb_id(), 0..2),
        vec(arb_quantity(), 0..2),
        vec(arb_id(), 0..2),
        vec(arb_quantity(), 0..2),
        prop::option::of(arb_text()),
    );
    let persistent = (vec(arb_vocab::<Disposition>(33), 0..2), vec(arb_vocab::<Disposition>(33), 0..2))
        .prop_map(|(set, unset)| PersistentDisposition { set, unset });
    let tx = (prop::option::of(arb_vocab::<BizTransactionType>(13)), arb_id())
        .prop_map(|(kind, value)| BizTransaction { kind, value });
    let why = (
        prop::option::of(arb_vocab::<BizStep>(BizStep::TERMS.len())),
        prop::option::of(arb_vocab::<Disposition>(Disposition::TERMS.len())),
        prop::option::of(persistent),
        prop::option::of(arb_place()),
        prop::option::of(arb_place()),
        vec(tx, 0..3),
        vec(arb_source_dest(), 0..2),
        vec(arb_source_dest(), 0..2),
    );
    let who = (prop::option::of(arb_id()), prop::option::of(arb_text()), prop::option::of(arb_name()))
        .prop_map(|(party, operator, device)| Who { party, operator, device });
    let ns = vec((arb_text(), arb_name()), 0..2)
        .prop_map(|v| v.into_iter().map(|(prefix, iri)| Namespace { prefix, iri }).collect::<Vec<_>>());
    let rest = (vec(arb_sensor(), 0..2), arb_exts(), arb_exts(), ns, who);
    (head, what, why, rest).prop_map(|(h, w, y, r)| Event {
        kind: h.0,
        event_time: h.1,
        event_time_zone_offset: h.2,
        record_time: h.3,
        epcis_event_id: h.4,
        certification_info: h.5,
        error_declaration: h.6,
        action: h.7,
        parent_id: h.8,
        epc_list: w.0,
        quantity_list: w.1,
        child_epcs: w.2,
        child_quantity_list: w.3,
        input_epc_list: w.4,
        input_quantity_list: w.5,
        output_epc_list: w.6,
        output_quantity_list: w.7,
        transformation_id: w.8,
        biz_step: y.0,
        disposition: y.1,
        persistent_disposition: y.2,
        read_point: y.3,
        biz_location: y.4,
        biz_transactions: y.5,
        sources: y.6,
        destinations: y.7,
        sensor_elements: r.0,
        ilmd: r.1,
        extensions: r.2,
        namespaces: r.3,
        who: r.4,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn self_contained_round_trip(ev in arb_event()) {
        let bytes = encode(&ev).unwrap();
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(&back, &ev);
        prop_assert_eq!(encode(&back).unwrap(), bytes.clone());
        prop_assert_eq!(frame_len(&bytes).unwrap(), bytes.len());
        crate::fuzzing::frame_decode(&bytes);
    }

    #[test]
    fn interned_round_trip(ev in arb_event(), prefill in 0usize..300) {
        let mut dict = MemoryDictionary::new();
        for i in 0..prefill {
            dict.intern_name(&format!("urn:prefill:{i}"));
        }
        let bytes = encode_interned(&ev, &mut dict).unwrap();
        let size = dict.len();
        let back = decode_interned(&bytes, &dict).unwrap();
        prop_assert_eq!(&back, &ev);
        prop_assert_eq!(encode_interned(&back, &mut dict).unwrap(), bytes.clone());
        prop_assert_eq!(dict.len(), size);
        prop_assert_eq!(decode(&bytes).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn prefixes_of_random_frames_are_length_errors(ev in arb_event(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&ev).unwrap();
        let n = cut.index(bytes.len());
        prop_assert_eq!(decode(&bytes[..n]).unwrap_err().kind(), ErrorKind::Length);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..300)) {
        let _ = decode(&data);
        let _ = frame_len(&data);
        let _ = decode_interned(&data, &MemoryDictionary::new());
        crate::fuzzing::frame_decode(&data);
        // The same bytes behind a valid header and checksum reach the payload decoder.
        for kind in [1, 6, 0x81, 0x83] {
            crate::fuzzing::frame_decode(&forge(kind, &data));
        }
    }

    #[test]
    fn mutated_payloads_decode_canonically_or_fail(ev in arb_event(), at in any::<prop::sample::Index>(), x in 1u8..=255, interned in any::<bool>()) {
        let bytes = if interned {
            let mut d = MemoryDictionary::new();
            encode_interned(&ev, &mut d).unwrap()
        } else {
            encode(&ev).unwrap()
        };
        let start = header::header(&bytes).unwrap().start;
        let end = bytes.len() - 4;
        let mut payload = bytes[start..end].to_vec();
        if !payload.is_empty() {
            let i = at.index(payload.len());
            payload[i] ^= x;
        }
        crate::fuzzing::frame_decode(&forge(bytes[3], &payload));
    }
}

/// Times `n` runs of `f` over the §7.3 example and prints ns per frame. Ignored: run in release, e.g.
/// `cargo test --release --no-default-features --lib frame::tests::throughput -- --ignored --nocapture`.
fn throughput(what: &str, f: impl Fn(&Event, &[u8], &[u8], &mut MemoryDictionary, &mut Vec<u8>)) {
    let ev = example_object();
    let mut dict = MemoryDictionary::new();
    let full = encode(&ev).unwrap();
    let small = encode_interned(&ev, &mut dict).unwrap();
    let mut buf = Vec::with_capacity(256);
    let n: u32 = std::env::var("FRAME_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let t = std::time::Instant::now();
    for _ in 0..n {
        buf.clear();
        f(std::hint::black_box(&ev), std::hint::black_box(&full), &small, &mut dict, &mut buf);
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!("{what}: {:.0} ns/frame, {:.2} M frames/s", s * 1e9 / f64::from(n), f64::from(n) / s / 1e6);
}

#[test]
#[ignore = "throughput measurement, run in release"]
fn throughput_encode() {
    throughput("encode self-contained", |ev, _, _, _, buf| encode_into(ev, buf).unwrap());
}

#[test]
#[ignore = "throughput measurement, run in release"]
fn throughput_encode_interned() {
    throughput("encode interned", |ev, _, _, d, buf| encode_interned_into(ev, d, buf).unwrap());
}

#[test]
#[ignore = "throughput measurement, run in release"]
fn throughput_decode() {
    throughput("decode self-contained", |_, full, _, _, _| assert_eq!(decode(full).unwrap().epc_list.len(), 2));
}

#[test]
#[ignore = "throughput measurement, run in release"]
fn throughput_decode_interned() {
    throughput("decode interned", |_, _, small, d, _| {
        assert_eq!(decode_interned(small, d).unwrap().epc_list.len(), 2);
    });
}
