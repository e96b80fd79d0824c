//! Criterion benches of the chain index at small scale (the full-size harness is `tracecode bench lookup`):
//! resolution from the hot tier and from RocksDB, unknown-code probes, ingest, neighbours, index queries, with
//! same-run baselines (a hash map of the same keys, a raw RocksDB prefix scan of the same chains).
//! Every timed loop asserts its answer, so a fast wrong result cannot win. The raw-scan baseline is a hook of
//! feature `testing`: `cargo bench --features testing --bench store`.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark harness")]

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tracecode::code::TraceKey;
use tracecode::event::Id;
use tracecode::store::{Index, Options, Query, Store, TraceStore, keys};
use tracecode::synth::{Synth, SynthConfig};

struct Fixture {
    _dir: TempDir,
    store: Store,
    keys: Vec<TraceKey>,
    unknown: Vec<TraceKey>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(items: u64, hot_bytes: usize) -> Fixture {
    let dir = std::env::temp_dir().join(format!("tracecode-bench-{}-{items}-{hot_bytes}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir, Options::default().hot_tier_bytes(hot_bytes)).unwrap();
    let synth = Synth::new(SynthConfig { items, ..SynthConfig::default() });
    for batch in synth.batches(4096) {
        store.ingest(batch).unwrap();
    }
    store.flush().unwrap();
    let keys = (0..synth.item_count()).filter_map(|i| synth.item_key(i)).collect();
    let unknown =
        (0..1000).map(|i| tracecode::code::parse(synth.unknown_scan(i)).unwrap().trace_key().unwrap()).collect();
    Fixture { _dir: TempDir(dir), store, keys, unknown }
}

fn resolve(c: &mut Criterion) {
    let hot = fixture(2_000, 256 << 20);
    let cold = fixture(2_000, 0);
    let mut g = c.benchmark_group("store");

    let map: HashMap<Vec<u8>, usize> = hot.keys.iter().enumerate().map(|(i, k)| (keys::key_node(k), i)).collect();
    let nodes: Vec<Vec<u8>> = hot.keys.iter().map(keys::key_node).collect();
    let mut i = 0;
    g.bench_function("baseline: hash map get", |b| {
        b.iter(|| {
            i = (i + 1) % nodes.len();
            assert!(map.contains_key(black_box(&nodes[i])));
        });
    });

    let mut r = hot.store.reader();
    for k in &hot.keys {
        assert!(r.resolve_key(k).unwrap().is_some()); // warm the hot tier
    }
    g.bench_function("resolve: hot tier", |b| {
        b.iter(|| {
            i = (i + 7) % hot.keys.len();
            assert!(!r.resolve_key(black_box(&hot.keys[i])).unwrap().unwrap().chain.is_empty());
        });
    });

    let mut scan = cold.store.raw_chain_scanner().unwrap();
    g.bench_function("baseline: raw RocksDB chain scan", |b| {
        b.iter(|| {
            i = (i + 7) % cold.keys.len();
            assert!(scan.scan(black_box(&cold.keys[i])).0 > 0);
        });
    });
    let mut rc = cold.store.reader();
    g.bench_function("resolve: RocksDB (no hot tier)", |b| {
        b.iter(|| {
            i = (i + 7) % cold.keys.len();
            assert!(!rc.resolve_key(black_box(&cold.keys[i])).unwrap().unwrap().chain.is_empty());
        });
    });
    g.bench_function("resolve: unknown code", |b| {
        b.iter(|| {
            i = (i + 1) % cold.unknown.len();
            assert!(rc.resolve_key(black_box(&cold.unknown[i])).unwrap().is_none());
        });
    });

    let mut out = Vec::new();
    g.bench_function("neighbours", |b| {
        b.iter(|| {
            i = (i + 7) % cold.keys.len();
            out.clear();
            rc.neighbours(&Id::Key(cold.keys[i].clone()), &mut out).unwrap();
            black_box(out.len())
        });
    });
    g.bench_function("query: time index page of 100", |b| {
        let q = Query::new(Index::Time);
        b.iter(|| assert_eq!(cold.store.query(black_box(&q)).unwrap().items.len(), 100));
    });
    g.finish();
}

fn ingest(c: &mut Criterion) {
    let synth = Synth::new(SynthConfig { items: 1_000, ..SynthConfig::default() });
    let batches: Vec<_> = synth.batches(1024).collect();
    let total: usize = batches.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("store");
    g.sample_size(10);
    g.bench_function(format!("ingest: synthetic province, 1000 items ({total} events), WAL on"), |b| {
        b.iter_batched(
            || {
                let dir = std::env::temp_dir().join(format!("tracecode-bench-ingest-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                (TempDir(dir.clone()), Store::open(&dir, Options::default()).unwrap(), batches.clone())
            },
            |(dir, store, batches)| {
                let mut n = 0;
                for b in batches {
                    n += store.ingest(b).unwrap().accepted;
                }
                // A fresh store accepts every event of the province (their ids are distinct).
                assert_eq!(n, total);
                drop(store);
                drop(dir);
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, resolve, ingest);
criterion_main!(benches);
