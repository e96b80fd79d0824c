//! tracecode linked beside an application's own serde_json types: serde_json behaves as the application
//! configured it (no `arbitrary_precision`, no `preserve_order` unified in by tracecode).

use serde::Deserialize;
use serde_json::Value;
use tracecode::event::epcis_json::{Context, ExportOptions, event_from_slice, event_to_json};

#[derive(Debug, Deserialize, PartialEq)]
struct Inner {
    price: f64,
    name: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Outer {
    id: u32,
    #[serde(flatten)]
    inner: Inner,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(untagged)]
enum Either {
    Float(f64),
    Text(String),
}

/// Uses tracecode for real, so it is linked into this test binary with its serde_json features.
fn tracecode_round_trip() -> String {
    let text = br#"{"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-05-01T08:00:00Z",
        "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
        "@context": {"ex": "https://ns.example.com/"}, "ex:w": [12.3450, 12345678901234567890.123456789]}"#;
    let e = event_from_slice(text, &Context::new()).expect("tracecode reads the event");
    event_to_json(&e, &ExportOptions::default()).to_string()
}

#[test]
fn flatten_with_f64_deserialises_beside_tracecode() {
    let exported = tracecode_round_trip();
    // tracecode keeps its exact numbers and EPCIS member order without the features.
    assert!(exported.contains(r#""ex:w":[12.345,12345678901234567890.123456789]"#), "{exported}");
    assert!(exported.starts_with(r#"{"@context":"#), "{exported}");
    // With arbitrary_precision unified in, this fails with "invalid type: map, expected f64".
    let o: Outer = serde_json::from_str(r#"{"id": 7, "price": 12.5, "name": "tea"}"#).expect("flatten with f64");
    assert_eq!(o, Outer { id: 7, inner: Inner { price: 12.5, name: "tea".into() } });
    let u: Either = serde_json::from_str("2.25").expect("untagged with f64");
    assert_eq!(u, Either::Float(2.25));
}

#[test]
fn value_keys_sorted_as_serde_json_defaults() {
    let _ = tracecode_round_trip();
    // With preserve_order unified in, a Value keeps insertion order instead.
    let v: Value = serde_json::from_str(r#"{"b": 1, "a": 2}"#).expect("json");
    assert_eq!(v.to_string(), r#"{"a":2,"b":1}"#);
    // And a Number is a plain f64 again (arbitrary_precision would keep "1.10").
    let n: Value = serde_json::from_str("1.10").expect("json");
    assert_eq!(n.to_string(), "1.1");
}
