//! Integration tests, through the crate's public API only:
//! - `conformance`: the vectors of `tests/data/conformance/*.tsv` (written from codes.md's worked examples);
//! - `identity`: property tests that every spelling of one item gives one key, and key order;
//! - `fuzz_oracles`: the fuzz targets' round-trip oracles over the conformance corpus and its mutations;
//! - `epcis`: EPCIS 2.0 JSON-LD import/export, round trips through frames, the `tracecode epcis` commands;
//! - `cli`: the `tracecode` binary's JSON and exit-status contract (feature `cli`);
//! - `store`: the RocksDB store against the in-memory model, damage, versions, poisoning (feature `rocksdb`).

// Test code may unwrap and index (clippy.toml allows it under cfg(test)).
#[cfg(test)]
#[cfg(feature = "cli")]
mod cli;
#[cfg(test)]
#[cfg(all(feature = "cli", feature = "rocksdb"))]
mod cli_store;
#[cfg(test)]
mod conformance;
#[cfg(test)]
mod epcis;
#[cfg(test)]
mod fuzz_oracles;
#[cfg(test)]
mod identity;
#[cfg(test)]
#[cfg(feature = "rocksdb")]
mod store;
#[cfg(test)]
mod trace;
