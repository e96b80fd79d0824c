//! The Digital Link scan path: `scan_key` (the fast path) against `parse` + `trace_key` (the full parser) on the
//! shapes scanners send, in the same run (issue target: at least 3 M/s parse + key per core). The machine is
//! shared and noisy, so read the two side by side: `full/<shape>` is the same-run baseline of `scan/<shape>`.
//! Each iteration asserts its result, so a fast wrong answer cannot win.
#![allow(missing_docs, clippy::unwrap_used, reason = "benchmark harness")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tracecode::code::{parse, scan_key};

const SHAPES: &[(&str, &str)] = &[
    // The reference input: GTIN + lot + serial + expiry.
    ("gtin_lot_serial_exp", "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789?17=261231"),
    ("gtin", "https://id.gs1.org/01/09506000134352"),
    ("gtin_serial", "https://id.gs1.org/01/09506000134352/21/XYZ789"),
    (
        "custom_stem_query",
        "https://brand.example.com/shop/01/09506000134352/10/ABC123/21/XYZ789?17=261231&3103=000195&linkType=gs1:pip",
    ),
    ("percent_encoded", "https://id.gs1.org/01/09506000134352/10/AB%2F1/21/X%2BY%25Z?17=261231"),
    ("sscc", "https://id.gs1.org/00/106141412345678908"),
];

fn bench(c: &mut Criterion) {
    for &(name, input) in SHAPES {
        let expected = parse(input).unwrap().trace_key().unwrap();
        assert_eq!(scan_key(input).unwrap(), expected, "{name}");
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("full", |b| {
            b.iter(|| {
                let key = parse(black_box(input)).unwrap().trace_key().unwrap();
                assert_eq!(key.as_bytes().len(), expected.as_bytes().len());
                key
            });
        });
        g.bench_function("scan", |b| {
            b.iter(|| {
                let key = scan_key(black_box(input)).unwrap();
                assert_eq!(key.as_bytes().len(), expected.as_bytes().len());
                key
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
