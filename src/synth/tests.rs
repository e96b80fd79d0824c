//! Tests of the generator as a whole, and the helpers the module tests share.

use super::genealogy::GENEALOGY_BATCH;
use super::*;
use crate::code::{TraceKey, parse};
use crate::event::{Event, Id, Timestamp};

pub(super) fn synth(items: u64, seed: u64) -> Synth {
    Synth::new(SynthConfig { items, seed, ..SynthConfig::default() })
}

pub(super) fn all(s: &Synth) -> Vec<Event> {
    s.batches(5_000).flatten().collect()
}

pub(super) fn key_of(id: &Id) -> &TraceKey {
    match id {
        Id::Key(k) => k,
        Id::Uri(u) => panic!("subject is not a key: {u}"),
    }
}

#[test]
fn deterministic_per_seed() {
    let a = all(&synth(3_000, 7));
    assert_eq!(a, all(&synth(3_000, 7)));
    assert_ne!(a, all(&synth(3_000, 8)));
    assert_ne!(synth(10, 7).item_key(0), synth(10, 8).item_key(0));
    assert_eq!(synth(10, 7).samples(), synth(10, 7).samples());
}

#[test]
fn extreme_configurations_do_not_panic() {
    for start in [Timestamp(i64::MAX), Timestamp(i64::MIN), Timestamp(0)] {
        let s = Synth::new(SynthConfig { items: u64::MAX, seed: u64::MAX, start });
        for i in [0, 1_000, u64::MAX / 2, u64::MAX - 1] {
            let key = s.item_key(i).unwrap();
            assert_eq!(parse(s.scan_of(i)).unwrap().trace_key().unwrap(), key);
            let _ = s.unknown_scan(i);
        }
        let first = s.batches(1_000).next().unwrap();
        assert_eq!(first.len(), 1_000);
        assert!(first.iter().all(|e| e.validate().is_ok()));
        let _ = s.samples();
    }
    let (_, mut batches) = genealogy(u64::MAX, u32::MAX, u64::MAX, Timestamp(i64::MAX));
    assert!(batches.next().unwrap().len() <= GENEALOGY_BATCH);
}

/// Generation speed, release build: `cargo test --release --no-default-features --lib synth -- --ignored
/// --nocapture`.
#[test]
#[ignore = "timing; run in release"]
fn throughput() {
    let s = synth(200_000, 1);
    let (mut n, mut generating) = (0usize, std::time::Duration::ZERO);
    let start = std::time::Instant::now();
    let mut batches = s.batches(10_000);
    loop {
        let t = std::time::Instant::now();
        let Some(b) = batches.next() else { break };
        generating += t.elapsed();
        n += b.len();
    }
    let total = start.elapsed().as_secs_f64();
    let rate = |secs: f64| f64::from(u32::try_from(n).unwrap()) / secs / 1e6;
    let g = generating.as_secs_f64();
    println!(
        "{n} events: generation {g:.2} s ({:.2} M/s); with dropping the batches {total:.2} s ({:.2} M/s)",
        rate(g),
        rate(total)
    );
    let start = std::time::Instant::now();
    let (_, batches) = genealogy(1_000_000, 10, 1, Timestamp(0));
    let m: usize = batches.map(|b| b.len()).sum();
    println!("genealogy of 1 M nodes: {m} events in {:.2} s", start.elapsed().as_secs_f64());
}
