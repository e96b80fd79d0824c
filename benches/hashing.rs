//! Keyed hashers for the crate's in-memory maps, in one run: the walk's node table
//! hashes node keys with `Hasher::write` (`hash_bytes`), the hot tier looks resolutions up in a
//! `HashMap<Box<[u8]>, _>` (`map_get`, more entries than the caches hold). std's SipHash `RandomState` is the
//! same-run baseline; `FxBuildHasher` is unkeyed (a flood of crafted codes could aim at its collisions), shown
//! for scale only. The choice this informs is recorded in `docs/HASHING.md`.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark harness")]

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use tracecode::code::parse;

/// Store node keys of real trace codes: instances (~20 bytes) and lots, as a walk and the hot tier see them.
fn keys(n: usize) -> Vec<Box<[u8]>> {
    (0..n)
        .map(|i| {
            let text = if i % 4 == 0 {
                format!("(01)09506000134352(10)LOT{i}")
            } else {
                format!("(01)09506000134352(21)SERIAL{i:08}")
            };
            parse(&text).unwrap().trace_key().unwrap().as_bytes().into()
        })
        .collect()
}

fn hash_bytes<S: BuildHasher>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, s: &S, keys: &[Box<[u8]>]) {
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for k in keys {
                let mut h = s.build_hasher();
                h.write(black_box(k));
                acc ^= h.finish();
            }
            acc
        });
    });
}

fn map_get<S: BuildHasher + Clone>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, s: &S, keys: &[Box<[u8]>]) {
    let mut map: HashMap<Box<[u8]>, u32, S> = HashMap::with_hasher(s.clone());
    for (i, k) in keys.iter().enumerate() {
        map.insert(k.clone(), u32::try_from(i).unwrap());
    }
    // Probe in a scattered order so each lookup misses the caches as a hot-tier hit of a large tier does.
    let order: Vec<usize> = (0..keys.len()).map(|i| (i * 7919) % keys.len()).collect();
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut found = 0u32;
            for &i in order.iter().take(4096) {
                found = found.wrapping_add(*map.get(black_box(&keys[i])).unwrap());
            }
            found
        });
    });
}

fn bench(c: &mut Criterion) {
    let small = keys(4096);
    let mut g = c.benchmark_group("hash_bytes");
    g.throughput(Throughput::Elements(small.len() as u64));
    hash_bytes(&mut g, "std_siphash", &std::collections::hash_map::RandomState::new(), &small);
    hash_bytes(&mut g, "foldhash_fast", &foldhash::fast::RandomState::default(), &small);
    hash_bytes(&mut g, "foldhash_quality", &foldhash::quality::RandomState::default(), &small);
    hash_bytes(&mut g, "fx_unkeyed", &rustc_hash::FxBuildHasher, &small);
    g.finish();

    let large = keys(400_000);
    let mut g = c.benchmark_group("map_get");
    g.throughput(Throughput::Elements(4096));
    map_get(&mut g, "std_siphash", &std::collections::hash_map::RandomState::new(), &large);
    map_get(&mut g, "foldhash_fast", &foldhash::fast::RandomState::default(), &large);
    map_get(&mut g, "foldhash_quality", &foldhash::quality::RandomState::default(), &large);
    map_get(&mut g, "fx_unkeyed", &rustc_hash::FxBuildHasher, &large);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
