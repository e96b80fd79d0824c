//! Example events and frame forgers shared by the unit tests of the frame modules.

use super::{MemoryDictionary, decode, encode, encode_interned};
use crate::Error;
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Decimal, Disposition, Event, EventType, ExtValue, Extension,
    Id, Namespace, Place, Timestamp,
};

pub(super) fn id(s: &str) -> Id {
    Id::parse(s).unwrap()
}

/// events.md §7.3: 2 SGTINs, OBSERVE, shipping, in_transit, an SGLN read point, one PO.
pub(super) fn example_object() -> Event {
    let (t, off) = Timestamp::parse("2022-02-16T20:33:31.116-06:00").unwrap();
    let mut ev = Event::new(EventType::Object, t, off);
    ev.epc_list = vec![id("urn:epc:id:sgtin:0614141.107346.2018"), id("urn:epc:id:sgtin:0614141.107346.2017")];
    ev.action = Some(Action::Observe);
    ev.biz_step = Some(BizStep::Shipping);
    ev.disposition = Some(Disposition::InTransit);
    ev.read_point = Some(Place { id: id("urn:epc:id:sgln:0614141.07346.1234"), extensions: Vec::new() });
    ev.biz_transactions = vec![BizTransaction {
        kind: Some(BizTransactionType::Po),
        value: id("http://transaction.acme.com/po/12345678"),
    }];
    ev
}

/// A packing event: a pallet SSCC gets two cases, with a location and a temperature extension.
pub(super) fn example_aggregation() -> Event {
    let (t, off) = Timestamp::parse("2024-03-05T08:15:00.250+08:00").unwrap();
    let mut ev = Event::new(EventType::Aggregation, t, off);
    ev.action = Some(Action::Add);
    ev.parent_id = Some(id("urn:epc:id:sscc:0614141.1234567890"));
    ev.child_epcs = vec![id("urn:epc:id:sgtin:0614141.107346.2017"), id("urn:epc:id:sgtin:0614141.107346.2018")];
    ev.biz_step = Some(BizStep::Packing);
    ev.disposition = Some(Disposition::InProgress);
    ev.read_point = Some(Place { id: id("urn:epc:id:sgln:0614141.07346.1234"), extensions: Vec::new() });
    ev.biz_location = Some(Place { id: id("urn:epc:id:sgln:0614141.07346.0"), extensions: Vec::new() });
    ev.extensions = vec![Extension {
        name: "https://ns.example.com/epcis/temperature".into(),
        value: ExtValue::Number(Decimal::parse("4.5").unwrap()),
    }];
    ev.namespaces = vec![Namespace { prefix: "ex".into(), iri: "https://ns.example.com/epcis/".into() }];
    ev.who.operator = Some("op-7".into());
    ev
}

/// The golden frames: file name and bytes, from the current encoder.
pub(super) fn golden() -> Vec<(&'static str, Vec<u8>)> {
    let obj = example_object();
    let mut dict = MemoryDictionary::new();
    vec![
        ("object.bin", encode(&obj).unwrap()),
        ("object_interned.bin", encode_interned(&obj, &mut dict).unwrap()),
        ("aggregation.bin", encode(&example_aggregation()).unwrap()),
    ]
}

/// A frame around an arbitrary payload, with a correct header and checksum.
pub(super) fn forge(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0xF7, b'T', 1, kind];
    let mut n = payload.len();
    loop {
        let low = u8::try_from(n & 0x7F).unwrap();
        n >>= 7;
        if n == 0 {
            b.push(low);
            break;
        }
        b.push(low | 0x80);
    }
    b.extend_from_slice(payload);
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

pub(super) fn err(bytes: &[u8]) -> Error {
    decode(bytes).unwrap_err()
}
