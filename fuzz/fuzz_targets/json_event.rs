//! Fuzz target: json_event (EPCIS 2.0 JSON import → export → import). The oracle lives in `tracecode::fuzzing` so
//! the test suite runs it too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tracecode::fuzzing::json_event(data);
});
