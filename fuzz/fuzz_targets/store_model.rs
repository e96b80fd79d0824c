//! Fuzz target: store_model. The RocksDB store and the in-memory model run the same operation sequence and
//! must answer alike; the oracle lives in `tracecode::fuzzing` so the test suite runs it too. Needs the fuzz
//! crate's `store` feature (it builds RocksDB): `cargo fuzz run store_model --features store`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tracecode::fuzzing::store_model(data);
});
