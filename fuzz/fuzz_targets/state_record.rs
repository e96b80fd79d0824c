//! Fuzz target: state_record. The oracle lives in `tracecode::fuzzing` so the test suite runs it too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tracecode::fuzzing::state_record(data);
});
