//! Integration tests, through the crate's public API (and, where a test must damage or inspect stored bytes,
//! the hidden `testing` hooks; modules say which features they need):
//! - `conformance`: the vectors of `tests/data/conformance/*.tsv` (written from codes.md's worked examples);
//! - `gs1_hash`: the GS1 event hash against the reference implementation's examples, when
//!   `TRACECODE_HASH_EXAMPLES` names a copy of them (docs/HASHING.md);
//! - `identity`: property tests that every spelling of one item gives one key, and key order;
//! - `fuzz_oracles`: the fuzz targets' round-trip oracles over the conformance corpus and its mutations;
//! - `epcis`: EPCIS 2.0 JSON-LD import/export, round trips through frames, the `tracecode epcis` commands;
//! - `cli`: the `tracecode` binary's JSON and exit-status contract (feature `cli`);
//! - `cli_args`: its argument layer: help for every command, one-line usage errors, `--db=DIR`, digit groups,
//!   completions, resolve's exit codes and table format (feature `cli`; the store cases also `rocksdb`);
//! - `cli_import`: `import --atomic`, `--lenient`, the multi-file summary, and the one-line message for a `--db`
//!   that holds no store (features `cli`, `rocksdb`);
//! - `query`: the EPCIS query oracle: random queries over random workloads, the RocksDB store's plans against
//!   the in-memory filter, page by page (features `rocksdb`, `testing`);
//! - `cli_query`: `tracecode query`: output forms, exit statuses, queries from files, paging, XML answers that
//!   import back (features `cli`, `rocksdb`);
//! - `store`: the RocksDB store against the in-memory model, damage, versions, poisoning (feature `rocksdb`);
//! - `concurrency`: readers racing writers never see part of a batch, several writers at once (feature `rocksdb`);
//! - `durability`: damaged write-ahead logs and lost table files are refused, not rolled back; read-only opens
//!   (feature `rocksdb`);
//! - `open_modes`: readers beside a live writer and catching up, the kinds of a failed open, `close`, the feed
//!   and query iterators against the in-memory model, the disk bytes of `stats` (feature `rocksdb`);
//! - `corruption`: flipped bytes, truncations and deleted files in every family end in `Corrupt` or are
//!   proven harmless against the model (feature `rocksdb`);
//! - `crash`: the kill -9 harness at a small scale (features `cli`, `rocksdb`);
//! - `tmp`: temporary directories for the tests that open stores.

// Test code may unwrap and index (clippy.toml allows it under cfg(test)).
#[cfg(test)]
#[cfg(feature = "cli")]
mod cli;
#[cfg(test)]
#[cfg(feature = "cli")]
mod cli_args;
#[cfg(test)]
#[cfg(all(feature = "cli", feature = "rocksdb"))]
mod cli_import;
#[cfg(test)]
#[cfg(all(feature = "cli", feature = "rocksdb"))]
mod cli_query;
#[cfg(test)]
#[cfg(all(feature = "cli", feature = "rocksdb"))]
mod cli_store;
#[cfg(test)]
#[cfg(all(feature = "rocksdb", feature = "synth"))]
mod concurrency;
#[cfg(test)]
mod conformance;
#[cfg(test)]
#[cfg(all(feature = "rocksdb", feature = "testing", feature = "synth"))]
mod corruption;
#[cfg(test)]
#[cfg(all(feature = "cli", feature = "rocksdb"))]
mod crash;
#[cfg(test)]
#[cfg(feature = "rocksdb")]
mod durability;
#[cfg(test)]
mod epcis;
#[cfg(test)]
#[cfg(feature = "testing")]
mod fuzz_oracles;
#[cfg(test)]
mod gs1_hash;
#[cfg(test)]
mod identity;
#[cfg(test)]
#[cfg(feature = "rocksdb")]
mod open_modes;
#[cfg(test)]
#[cfg(all(feature = "rocksdb", feature = "testing"))]
mod query;
#[cfg(test)]
#[cfg(all(feature = "rocksdb", feature = "testing"))]
mod store;
#[cfg(test)]
#[cfg(feature = "rocksdb")]
mod tmp;
#[cfg(test)]
mod trace;
