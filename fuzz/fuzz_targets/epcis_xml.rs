//! Fuzz target: epcis_xml (EPCIS XML reading, then the JSON round trip of every accepted event). The oracle lives
//! in `tracecode::fuzzing` so the test suite runs it too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tracecode::fuzzing::xml_event(data);
});
