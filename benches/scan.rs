//! The scan path: `scan_key` against the full `parse(..)?.trace_key()` per input form, with a same-run baseline
//! (issue "The scan path"; targets per core: a 4-AI GS1 DataMatrix ≥ 5 M/s, an SSCC ≥ 6 M/s, an EAN-13 ≥ 15 M/s).
//!
//! Each form cycles through 256 distinct valid scans (so branch predictors cannot learn one input), and every
//! iteration checks its result against the expected key length so a fast wrong answer cannot win. The
//! baseline is the least any validating reader does for an EAN-13: test its 13 digits and compute the check
//! digit, over the same scans. The machine these run on is shared: compare ratios within one run (see
//! docs/SCAN.md), and prefer instruction counts (callgrind) for decisions.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark harness")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tracecode::code::check::{gs1_check_digit, mod31_check_char};
use tracecode::code::{TraceKey, parse, scan_key};

/// Deterministic digits (a 64-bit LCG), so every run measures the same scans.
struct Digits(u64);

impl Digits {
    fn digit(&mut self) -> u8 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        b'0' + u8::try_from((self.0 >> 33) % 10).unwrap()
    }

    fn run(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(self.digit())).collect()
    }

    /// `n` digits ending in a valid GS1 check digit, after `lead`.
    fn gs1(&mut self, lead: &str, n: usize) -> String {
        let mut s = lead.to_owned();
        s.push_str(&self.run(n - 1 - lead.len()));
        s.push(char::from(gs1_check_digit(s.as_bytes()).unwrap()));
        s
    }
}

const N: usize = 256;

/// (form name, 256 scans of it). Every scan is valid and takes its form's fast path.
fn forms() -> Vec<(&'static str, Vec<String>)> {
    let mut d = Digits(0x5CA9);
    let mut make = |f: &mut dyn FnMut(&mut Digits) -> String| (0..N).map(|_| f(&mut d)).collect::<Vec<_>>();
    let lot = |d: &mut Digits| format!("L{}", d.run(5));
    vec![
        ("ean13_aim_E0", make(&mut |d| format!("]E0{}", d.gs1("", 13)))),
        ("ean13_bare", make(&mut |d| d.gs1("4", 13))),
        ("upca_bare", make(&mut |d| d.gs1("0", 12))),
        ("upce_bare", make(&mut |d| upce(d))),
        ("gtin8_bare", make(&mut |d| d.gs1("9", 8))),
        ("gtin8_aim_E4", make(&mut |d| format!("]E4{}", d.gs1("9", 8)))),
        ("gtin14_bare", make(&mut |d| d.gs1("1", 14))),
        ("gtin14_aim_I1", make(&mut |d| format!("]I1{}", d.gs1("1", 14)))),
        ("sscc_aim_C1", make(&mut |d| format!("]C100{}", d.gs1("0", 18)))),
        ("sscc_bare", make(&mut |d| sscc_bare(d))),
        (
            "datamatrix_4ai_d2",
            make(&mut |d| format!("]d201{}17{}10{}\u{1d}21{}", d.gs1("0", 14), date(d), lot(d), d.run(8))),
        ),
        (
            "bracketed_4ai",
            make(&mut |d| format!("(01){}(17){}(10){}(21){}", d.gs1("0", 14), date(d), lot(d), d.run(8))),
        ),
        ("gs1_128_gtin_lot_C1", make(&mut |d| format!("]C101{}10{}", d.gs1("0", 14), lot(d)))),
        ("cn_drug20", make(&mut |d| format!("8{}", d.run(19)))),
        (
            "cn_drug20_grouped",
            make(&mut |d| format!("8{} {} {} {} {}", d.run(3), d.run(4), d.run(4), d.run(4), d.run(4))),
        ),
        // Manufacturer 41, 2026-01-1D, feature letter A (the synthetic province's detonators).
        ("cn_detonator", make(&mut |d| format!("416011{}A{}", char::from(d.digit()), d.run(5)))),
        // Cryogenic cylinder (variety 6, no Ecode version 6), Fujian (35), a letter leading the sequence.
        ("cn_gas_cylinder", make(&mut |d| format!("635{}A{}", d.run(3), d.run(5)))),
        // Elevator class 3320, Fuzhou (350102), registered 2026-01.
        ("cn_equipment_reg", make(&mut |d| format!("3320350102202601{}", d.run(4)))),
        // Applied for 2026-01-1D; registration class 1, own production.
        ("cn_vet_drug24", make(&mut |d| format!("2026011{}{}", char::from(d.digit()), d.run(16)))),
        ("cn_pesticide32", make(&mut |d| format!("1{}1{}", d.run(6), d.run(24)))),
        ("cn_drug20_in_url", make(&mut |d| format!("https://trace.example.cn/q?code=8{}", d.run(19)))),
        // Company prefix 6909039 (outside every restricted GTIN range), indicator 0.
        ("epc_sgtin", make(&mut |d| format!("urn:epc:id:sgtin:6909039.0{}.{}", d.run(5), d.run(10)))),
    ]
}

/// A valid expiry date, YYMMDD (days up to 28 are valid in every month).
fn date(d: &mut Digits) -> String {
    let m = 1 + (d.digit() - b'0') % 9;
    let day = 10 + (d.digit() - b'0');
    format!("2{}{m:02}{day:02}", char::from(d.digit()))
}

/// A UPC-E with number system 0 and a valid check digit (the reading detection prefers over a GTIN-8).
fn upce(d: &mut Digits) -> String {
    let s = format!("0{}", d.run(6));
    let upca = tracecode::code::gs1::upce_to_upca(format!("{s}0").as_bytes()).unwrap();
    format!("{s}{}", char::from(upca[11]))
}

/// An 18-digit SSCC that is not also a valid credit code (that would be ambiguous, and take the full parser).
fn sscc_bare(d: &mut Digits) -> String {
    loop {
        let s = d.gs1("3", 18);
        if mod31_check_char(&s.as_bytes()[..17]) != Some(s.as_bytes()[17]) {
            return s;
        }
    }
}

fn bench_scan(c: &mut Criterion) {
    let forms = forms();
    for (name, inputs) in &forms {
        let expected: Vec<TraceKey> = inputs.iter().map(|s| parse(s).unwrap().trace_key().unwrap()).collect();
        for (s, k) in inputs.iter().zip(&expected) {
            assert_eq!(&scan_key(s).unwrap(), k, "{name}: {s:?}");
        }
        let mut g = c.benchmark_group(format!("scan/{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("parse_key", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % N;
                let k = parse(black_box(&inputs[i])).unwrap().trace_key().unwrap();
                assert_eq!(k.as_bytes().len(), expected[i].as_bytes().len());
                k
            });
        });
        g.bench_function("scan_key", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % N;
                let k = scan_key(black_box(&inputs[i])).unwrap();
                assert_eq!(k.as_bytes().len(), expected[i].as_bytes().len());
                k
            });
        });
        if *name == "ean13_aim_E0" {
            g.bench_function("baseline_digits_and_check", |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % N;
                    let s = black_box(inputs[i].as_bytes());
                    let digits = &s[3..];
                    let mut sum = 0u32;
                    for (k, &c) in digits[..12].iter().enumerate() {
                        sum += u32::from(c.wrapping_sub(b'0')) * if k % 2 == 1 { 3 } else { 1 };
                    }
                    let ok = digits.len() == 13
                        && digits.iter().all(u8::is_ascii_digit)
                        && u32::from(digits[12] - b'0') == (10 - sum % 10) % 10;
                    assert!(ok);
                    ok
                });
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = bench_scan
}
criterion_main!(benches);
