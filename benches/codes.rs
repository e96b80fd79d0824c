//! Parse + validate + canonicalise throughput per input form (issue target: ≥ 5 M/s for a 4-AI GS1 DataMatrix
//! scan, ≥ 3 M/s for Digital Link URIs, on one core). Each iteration asserts its result so a fast wrong answer
//! cannot win.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark harness")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tracecode::code::{TraceKey, parse};

const FORMS: &[(&str, &str)] = &[
    ("gs1_datamatrix_4ai", "]d2010950600013435217261231\u{1d}10ABC123\u{1d}21XYZ789"),
    ("gs1_128_sscc", "]C100106141412345678908"),
    ("bracketed_4ai", "(01)09506000134352(17)261231(10)ABC123(21)XYZ789"),
    ("digital_link", "https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ789?17=261231"),
    ("ean13", "]E04006381333931"),
    ("epc_urn_sgtin", "urn:epc:id:sgtin:0614141.812345.6789"),
    ("epc_hex_sgtin96", "3074257BF7194E4000001A85"),
    ("cn_drug20", "81234567890123456789"),
    ("cn_uscc", "91350100M000100Y43"),
    ("ma_code", "MA.156.M0.100761.21234561.S000123.L20240117.E260130"),
];

/// Same-run baselines (the machine is shared and noisy, so results are reported as ratios to these): a
/// `HashMap<String, u32>` lookup of the scan text (what a cache in front of any parser costs at best), and a
/// naive, non-validating split of the element string on GS.
fn bench_baselines(c: &mut Criterion) {
    let scan = FORMS[0].1;
    let mut map = std::collections::HashMap::new();
    for i in 0..1000u32 {
        map.insert(format!("{scan}{i}"), i);
    }
    map.insert(scan.to_owned(), 7);
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(1));
    g.bench_function("hashmap_get_scan_text", |b| b.iter(|| assert_eq!(map.get(black_box(scan)), Some(&7))));
    g.bench_function("naive_split_on_gs", |b| {
        b.iter(|| {
            let n = black_box(scan).split('\u{1d}').map(str::len).sum::<usize>();
            assert_eq!(n, scan.len() - 2);
        });
    });
    g.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    for &(name, input) in FORMS {
        let expected = parse(input).unwrap().trace_key().unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let key = parse(black_box(input)).unwrap().trace_key().unwrap();
                assert_eq!(key.as_bytes().len(), expected.as_bytes().len());
                key
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("key");
    g.throughput(Throughput::Elements(1));
    let key = parse(FORMS[0].1).unwrap().trace_key().unwrap();
    let text = key.to_string();
    g.bench_function("to_string", |b| b.iter(|| black_box(&key).to_string()));
    g.bench_function("from_str", |b| b.iter(|| black_box(text.as_str()).parse::<TraceKey>().unwrap()));
    g.bench_function("from_bytes", |b| b.iter(|| TraceKey::from_bytes(black_box(key.as_bytes())).unwrap()));
    g.finish();
}

criterion_group!(benches, bench_baselines, bench_parse);
criterion_main!(benches);
