//! Fuzz target: scan_key. The oracle lives in `tracecode::fuzzing` so the test suite runs it too: the scan path
//! (fast paths included) answers exactly what the full parser answers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tracecode::fuzzing::scan_key(data);
});
