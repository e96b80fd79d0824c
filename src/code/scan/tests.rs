//! The fast paths against the full parser: on every input, [`fast_key`] answers only what
//! `parse(input)?.trace_key()` answers, and [`scan_key`] answers exactly that (the same key, or the same error
//! kind, position and message). Inputs: one per intended form (where the fast path must fire), the conformance
//! vectors and the kept fuzz corpora, property-generated valid scans of every fast form, and their mutations.

use std::path::Path;

use proptest::prelude::*;

use super::{fast_key, scan_key};
use crate::Error;
use crate::code::check::{gs1_check_digit, mod31_check_char};
use crate::code::gs1::{self, Charset, GS};
use crate::code::{TraceKey, parse};

fn full(input: &[u8]) -> Result<TraceKey, Error> {
    parse(input).and_then(|c| c.trace_key())
}

/// The oracle; returns whether the fast path answered.
fn assert_same(input: &[u8]) -> bool {
    let want = full(input);
    let fast = fast_key(input);
    if let Some(k) = &fast {
        assert_eq!(want.as_ref().ok(), Some(k), "the fast path accepted {:?}; the parser says {want:?}", show(input));
    }
    match (scan_key(input), want) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{:?}", show(input)),
        (Err(a), Err(b)) => assert_eq!(
            (a.kind(), a.position(), a.message()),
            (b.kind(), b.position(), b.message()),
            "{:?}",
            show(input)
        ),
        (a, b) => panic!("{:?}: scan_key {a:?}, parse {b:?}", show(input)),
    }
    fast.is_some()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\u{1d}', "<1D>")
}

/// One scan per form the fast path is for, each with the key `parse` gives it.
const FIRES: &[(&str, &str, &str)] = &[
    ("EAN-13 ]E0", "]E04006381333931", "01/04006381333931"),
    ("EAN-13 ]E3, 2-digit add-on", "]E3400638133393112", "01/04006381333931"),
    ("EAN-13 ]E3, 5-digit add-on", "]E3400638133393112345", "01/04006381333931"),
    ("EAN-13 ]E3, no add-on", "]E34006381333931", "01/04006381333931"),
    ("EAN-13 bare", "4006381333931", "01/04006381333931"),
    ("EAN-13 under a plain AIM (]E1 is an add-on symbology)", "]E14006381333931", "01/04006381333931"),
    ("UPC-A bare", "614141123452", "01/00614141123452"),
    ("UPC-A ]E0", "]E00614141123452", "01/00614141123452"),
    ("UPC-E bare", "04252614", "01/00042100005264"),
    ("GTIN-8 bare", "96385074", "01/00000096385074"),
    ("GTIN-8 bare, leading 0, UPC-E check fails", "06141417", "01/00000006141417"),
    ("GTIN-8 ]E4", "]E496385074", "01/00000096385074"),
    ("GTIN-14 bare", "10614141073464", "01/10614141073464"),
    ("GTIN-14 ]I1", "]I110614141073464", "01/10614141073464"),
    ("SSCC bare", "106141412345678908", "00/106141412345678908"),
    ("SSCC ]C1", "]C100106141412345678908", "00/106141412345678908"),
    ("DataMatrix ]d2, 4 AIs", "]d2010950600013435217261231\u{1d}10ABC123\u{1d}21XYZ789", "01/09506000134352/21/XYZ789"),
    ("DataMatrix ]d2, lot only", "]d2010950600013435210ABC123", "01/09506000134352/10/ABC123"),
    ("DataMatrix ]d5", "]d5010950600013435221XYZ789", "01/09506000134352/21/XYZ789"),
    ("GS1 QR ]Q3", "]Q3010950600013435221XYZ789", "01/09506000134352/21/XYZ789"),
    ("DataBar ]e0", "]e0010950600013435210ABC", "01/09506000134352/10/ABC"),
    ("DotCode ]J1", "]J10109506000134352", "01/09506000134352"),
    ("GS1-128 ]C1, GTIN + lot", "]C1010950600013435210L42", "01/09506000134352/10/L42"),
    ("leading, redundant and trailing GS", "]d2\u{1d}0109506000134352\u{1d}17261231\u{1d}", "01/09506000134352"),
    ("net weight (an ex rule of its own family)", "]d20109506000134352310300019510ABC", "01/09506000134352/10/ABC"),
    ("GLN with extension", "]C14140614141123452\u{1d}2545678", "414/0614141123452/254/5678"),
    ("GRAI with serial", "]C18003006141411234525678", "8003/006141411234525678"),
    ("bracketed, 4 AIs", "(01)09506000134352(17)261231(10)ABC123(21)XYZ789", "01/09506000134352/21/XYZ789"),
    ("bracketed under a plain AIM", "]Q1(01)09506000134352(21)A1", "01/09506000134352/21/A1"),
    ("bracketed, ')' in a value", "(01)09506000134352(10)A)B", "01/09506000134352/10/A%29B"),
    ("element string with GS, no AIM", "0109506000134352\u{1d}21XYZ789", "01/09506000134352/21/XYZ789"),
    ("inferred element string", "010950600013435217261231", "01/09506000134352"),
    ("inferred element string with letters", "010950600013435221ABC", "01/09506000134352/21/ABC"),
    ("inferred SSCC (20 digits)", "00106141412345678908", "00/106141412345678908"),
    ("China drug code", "81234567890123456789", "cn-drug20:81234567890123456789"),
    ("China drug code under a plain AIM", "]Q181234567890123456789", "cn-drug20:81234567890123456789"),
    ("detonator code", "4160101A00000", "cn-detonator:4160101A00000"),
    ("detonator code, 29 February", "5360229Y99999", "cn-detonator:5360229Y99999"),
    ("detonator code under a plain AIM", "]C04160101A00000", "cn-detonator:4160101A00000"),
    ("drug code grouped by spaces", "8018 9803 4617 6965 7015", "cn-drug20:80189803461769657015"),
    ("drug code grouped by dashes, unevenly", "801-89803461769657-015", "cn-drug20:80189803461769657015"),
    ("gas cylinder, cryogenic (no Ecode version 6)", "635205A00180", "cn-gas-cylinder:635205A00180"),
    ("gas cylinder, vehicle (a letter in the Ecode identifier)", "535O01A00000", "cn-gas-cylinder:535O01A00000"),
    ("gas cylinder, seamless (a letter in Ecode V1's digits)", "135101A00000", "cn-gas-cylinder:135101A00000"),
    ("equipment registration code", "33203501022026010001", "cn-equipment-reg:33203501022026010001"),
    ("equipment registration code, 1900", "91208200001900129999", "cn-equipment-reg:91208200001900129999"),
    ("veterinary-drug code", "202301151234598765432101", "cn-vetdrug24:202301151234598765432101"),
    ("pesticide code", "13001231001123456789012345678901", "cn-pesticide32:13001231001123456789012345678901"),
    (
        "drug code in a trace URL",
        "https://trace.example.cn/q?code=81234567890123456789",
        "cn-drug20:81234567890123456789",
    ),
    (
        "pesticide code in a trace URL's path",
        "http://t.example.cn/p/13001231001123456789012345678901",
        "cn-pesticide32:13001231001123456789012345678901",
    ),
    (
        "veterinary-drug code in a trace URL",
        "https://a.cn/x?from=app&traceCode=202301151234598765432101#t",
        "cn-vetdrug24:202301151234598765432101",
    ),
    (
        "drug code grouped by dashes in a trace URL",
        "https://a.cn/?c=8018-9803-4617-6965-7015",
        "cn-drug20:80189803461769657015",
    ),
    ("detonator code in a trace URL", "https://a.cn/q?id=4160101A00000", "cn-detonator:4160101A00000"),
    ("EAN-13 in a trace URL", "https://a.cn/q?code=4006381333931", "01/04006381333931"),
    ("SGTIN EPC URI", "urn:epc:id:sgtin:0614141.112345.400", "01/10614141123459/21/400"),
    (
        "SGTIN EPC URI, serial with dots and punctuation",
        "urn:epc:id:sgtin:6909039.000031.0G6.3'9(E)F-8_5",
        "01/06909039000316/21/0G6.3%279%28E%29F-8_5",
    ),
    ("SSCC EPC URI", "urn:epc:id:sscc:0614141.1234567890", "00/106141412345678908"),
];

#[test]
fn the_fast_path_fires_for_every_form() {
    for &(form, input, key) in FIRES {
        assert!(assert_same(input.as_bytes()), "{form}: the fast path did not answer {input:?}");
        assert_eq!(scan_key(input).map(|k| k.to_string()).as_deref(), Ok(key), "{form}");
    }
}

/// Inputs the fast path must leave to the parser: the parser warns, tolerates, ranks or refuses them in ways
/// only it knows.
#[test]
fn the_fast_path_defers_what_it_does_not_fully_decide() {
    let sscc_and_credit = (0..1_000_000u64)
        .map(|n| format!("10614141{n:09}"))
        .map(|b| format!("{b}{}", char::from(gs1_check_digit(b.as_bytes()).unwrap())))
        .find(|s| mod31_check_char(&s.as_bytes()[..17]) == Some(s.as_bytes()[17]))
        .unwrap();
    let both_8 = (0..10_000_000u32)
        .map(|n| format!("1{n:07}"))
        .find(|s| {
            let b = s.as_bytes();
            gs1_check_digit(&b[..7]) == Some(b[7]) && gs1::upce_to_upca(b).is_some_and(|a| a[11] == b[7])
        })
        .unwrap();
    // 17 elements, all different AIs: valid, and more than the fast path holds.
    let ais = ["10", "21", "22", "240", "241", "250", "30", "90", "91", "92", "93", "94", "95", "96", "97", "98"];
    let many = format!("]d20109506000134352{}", ais.map(|ai| format!("{ai}1\u{1d}")).concat());
    assert!(full(many.as_bytes()).is_ok(), "{many:?}");
    for input in [
        "]d20109506000134352\u{1d}\r\n",             // trailing CR LF (normalisation trims)
        " ]d20109506000134352",                      // leading space
        "\u{feff}]d20109506000134352",               // BOM
        "]d2０109506000134352",                      // full-width digit
        "]d2010950600013435210A<GS>21B",             // keyboard-wedge substitute
        "]d2010950600013435210A|21B",                // composite separator
        "]d2010950600013435210A\u{1d}10A",           // repeated AI (kept once, with a warning)
        "]d2010950600013435210A\u{1d}\u{1d}21B",     // two GS
        "(01)09506000134352(10)A\\(B",               // escaped parenthesis
        "(01)09506000134352(10)A(01)09506000134352", // repeated AI, bracketed
        "]d221XYZ",                                  // serial without its GTIN (pairing)
        "]d20109506000134352255061414112345",        // GTIN with GCN (ex pairing)
        "]d217261231",                               // no identification key
        "]E34006381333931123",                       // ]E3 with a 3-digit tail
        "]d10109506000134352",                       // plain DataMatrix: text, not GS1
        "]d1010950600013435217261231",               // … nor an inferred element string
        "12345678901234567",                         // 17 digits: no key of that length
        "01234567890123456789",                      // 20 digits, no leading 8, no valid SSCC
        "0109506000134352AB",                        // 18 characters: credit-code territory
        sscc_and_credit.as_str(),                    // SSCC and credit code (ambiguous)
        both_8.as_str(),                             // GTIN-8 and UPC-E (ambiguous)
        many.as_str(),                               // more elements than the fast path holds
        "4160101a00000",                             // detonator: lower-case feature letter (folded by some rules)
        "4160101C00000",                             // … a letter the scheme does not use
        "0060101A00000",                             // … manufacturer 00
        "4161301A00000",                             // … month 13
        "4160230A00000",                             // … 30 February
        "416010100000",                              // … 12 characters
        "4160101A0000A",                             // … a letter in the sequence
        "4160101000001",                             // all-digit detonator layout: a GTIN-13 first
        "8018  9803 4617 6965 7015",                 // drug code: two spaces in a row
        "8018 9803 4617 6965 701",                   // … 19 digits
        "8018 9803 4617 6965 70155",                 // … 21 digits
        "7018 9803 4617 6965 7015",                  // … leading 7
        "8018 9803 4617 6965 7015-",                 // … a trailing dash
        "8018_9803_4617_6965_7015",                  // … another separator
        "235101A00000",                              // gas cylinder, welded: a valid Ecode V2 (40) wins
        "335101A00000",                              // … LPG: a valid Ecode V3
        "735205A00180",                              // … no variety 7
        "699205A00180",                              // … province 99
        "635A05A00180",                              // … a letter in a non-vehicle unit
        "535101A00000",                              // … a vehicle unit without O
        "635205a00180",                              // … lower case (folded, with a warning)
        "35205A00180",                               // … the implied variety (11 characters)
        "33209901022026010001",                      // registration code: area 99 is no province
        "33203501021899010001",                      // … year 1899
        "33203501022026130001",                      // … month 13
        "03203501022026010001",                      // … leading 0 (an inferred element string is tried)
        "3320350102202601000A",                      // … a letter
        "201313151234598765432101",                  // veterinary-drug code: month 13
        "202302301234598765432101",                  // … 30 February
        "189901151234598765432101",                  // … year 1899
        "010950600013435310123456",                  // 24 digits from 01: an inferred element string (bad check)
        "43001231001123456789012345678901",          // pesticide code: registration class 4
        "13001234001123456789012345678901",          // … production type 4
        "https://a.cn/q?code=33203501022026010001",  // a wrapped registration code (60) loses to a DL (60)
        "https://a.cn/q?code=635205A00180",          // … a gas cylinder (30)
        "https://a.cn/01/09506000134353?code=81234567890123456789", // a GS1 key path (bad check): a Digital Link
        "https://a.cn/q?code=8123456789012345678%39", // a percent-escape inside the code
        "https://a.cn/q?code=81234567890123456789 ", // a trailing space (trimmed)
        "HTTPS://a.cn/q?code=81234567890123456789",  // an upper-case scheme
        "https://a.cn/q?code=(01)09506000134352",    // a bracketed element string: for the parser
        "urn:epc:id:sgtin:0614141.112345.40%2F0",    // EPC: an escaped serial character
        "urn:epc:id:sgtin:0614141.112345.40#0",      // … a character that must be escaped
        "urn:epc:id:sgtin:0614141.112345.123456789012345678901", // … a 21-character serial
        "urn:epc:id:sgtin:0614141.11234.400",        // … 12 digits of company prefix and reference
        "urn:epc:id:sgtin:061.1123456789.400",       // … a 3-digit company prefix
        "urn:epc:id:sgtin:0000061.412345.400",       // … a GTIN-8 EPC whose company prefix has 7 digits
        "urn:epc:id:sgtin:2614141.112345.400",       // … a restricted-circulation GTIN
        "urn:epc:id:sgtin:0614141.112345.",          // … no serial
        "urn:epc:id:SGTIN:0614141.112345.400",       // … an upper-case scheme name
        "URN:EPC:id:sgtin:0614141.112345.400",       // … an upper-case namespace (accepted by the parser)
        "urn:epc:id:sscc:0614141.123456789",         // SSCC: 16 digits
        "urn:epc:id:sscc:0614141.12345678901",       // … 18 digits
        "urn:epc:id:sgln:0614141.12345.0",           // another scheme
        "https://id.gs1.org/01/09506000134352/21/A%C3%A9", // Digital Link: a non-ASCII serial, escaped
        "https://id.gs1.org/01/09506000134352/21/A%FF", // … an escape that is not UTF-8
    ] {
        assert!(!assert_same(input.as_bytes()), "the fast path answered {input:?}");
    }
}

/// The premises of the GS1 fast paths' shortcut for keyboard-wedge substitutes: every pre-defined-length AI is
/// numeric, and of the bytes that start a substitute (`<{[\~^` tab `|`), only `<` is in any AI character set.
#[test]
fn only_variable_length_values_can_hold_a_wedge_substitute() {
    for def in gs1::all_ais() {
        if def.predefined {
            assert!(
                def.components.iter().all(|c| c.charset == Charset::N),
                "({}) is pre-defined and not numeric",
                def.ai
            );
        }
    }
    let ctx = gs1::lint::LintContext { current_year: 2026 };
    for ai in ["10", "8010", "8030", "30"] {
        let def = gs1::lookup(ai).unwrap();
        for &b in b"<{[\\~^\t|" {
            let value = [b'A', b];
            let ok = gs1::lint::validate_value(def, &value, &ctx).is_ok();
            assert_eq!(ok, b == b'<' && ai == "10", "({ai}) with {:?}", char::from(b));
        }
    }
}

/// Every input column of the conformance vectors, unescaped.
fn conformance_inputs() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tsv") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let Some(raw) = line.split('\t').nth(1) else { continue };
            out.push(unescape(raw));
        }
    }
    assert!(out.len() > 200, "conformance vectors not found");
    out
}

/// The conformance files' escapes: `\xHH`, `\t`, `\r`, `\n`, `\0`, `\\`.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match (c, b.get(i + 1)) {
            (b'\\', Some(b'x')) => {
                out.push(u8::from_str_radix(&s[i + 2..i + 4], 16).unwrap());
                i += 4;
            }
            (b'\\', Some(&e @ (b't' | b'r' | b'n' | b'0' | b'\\'))) => {
                out.push(match e {
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'n' => b'\n',
                    b'0' => 0,
                    _ => b'\\',
                });
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn conformance_vectors_agree() {
    let inputs = conformance_inputs();
    let fired = inputs.iter().filter(|i| assert_same(i)).count();
    // Most conformance vectors are other schemes or faults; the valid GS1 and drug-code ones go fast.
    assert!(fired >= 25, "the fast path answered only {fired} of {} vectors", inputs.len());
    for input in &inputs {
        // The payload without its AIM identifier, and under every other identifier.
        if let Some(rest) = input.strip_prefix(b"]").and_then(|r| r.get(2..)) {
            for aim in AIMS {
                assert_same(&[aim.as_bytes(), rest].concat());
            }
        }
    }
}

/// The kept fuzz corpora of the scan path, the detector and the element-string parser: minimised hostile inputs.
#[test]
fn fuzz_corpora_agree() {
    for target in ["auto_detect", "element_string", "digital_link", "epc_uri", "scan_key"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for e in entries {
            assert_same(&std::fs::read(e.unwrap().path()).unwrap());
        }
    }
}

/// AIM identifiers: every GS1 mode, the EAN/UPC and ITF ones, plain ones, an unknown one, and none.
const AIMS: &[&str] = &[
    "", "]C1", "]d2", "]d5", "]Q3", "]Q4", "]e0", "]e1", "]J1", "]E0", "]E3", "]E4", "]I1", "]E1", "]C0", "]d1", "]Q1",
    "]I0", "]X9", "]E",
];

// ---------------------------------------------------------------------------------------------------------------
// Generated scans.

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n).prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// `n` digits ending in a valid GS1 check digit.
fn gs1_number(n: usize) -> impl Strategy<Value = String> {
    digits(n - 1).prop_map(|b| {
        let c = gs1_check_digit(b.as_bytes()).unwrap();
        format!("{b}{}", char::from(c))
    })
}

/// A CSET 82 value of 1 to `max` characters, without `<` (a wedge substitute's first byte) and `(` (escaped in
/// the bracketed form): both make the fast path defer.
fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!\"%&')*+,\\-./0-9:;=>?A-Z_a-z]{{1,{max}}}")).unwrap()
}

/// A YYMMDD date every century accepts (day 00 allowed: the AIs used here take `yymmd0`).
fn date() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..13, 0u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

/// Elements of a GTIN-keyed scan: the GTIN, then some of expiry, production and best-before dates, a net
/// weight, a lot, a serial, an additional ID and a company-internal value, in any order.
fn gtin_elements() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let optional = (
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(digits(6)),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(30)),
        proptest::option::of(cset82(90)),
    );
    (gs1_number(14), optional, any::<prop::sample::Index>(), any::<u64>()).prop_map(
        |(gtin, (d17, d11, d15, w, lot, serial, extra, internal), at, seed)| {
            let mut rest: Vec<(&'static str, String)> = [
                ("17", d17),
                ("11", d11),
                ("15", d15),
                ("3103", w),
                ("10", lot),
                ("21", serial),
                ("240", extra),
                ("91", internal),
            ]
            .into_iter()
            .filter_map(|(ai, v)| v.map(|v| (ai, v)))
            .collect();
            // A deterministic shuffle from the seed.
            let mut s = seed;
            for i in (1..rest.len()).rev() {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                rest.swap(i, usize::try_from(s >> 33).unwrap() % (i + 1));
            }
            rest.insert(at.index(rest.len() + 1), ("01", gtin));
            rest
        },
    )
}

/// The transmitted form: GS after every variable-length value but the last (`extra_gs`: also after
/// pre-defined ones, and a trailing one).
fn transmitted(elements: &[(&str, String)], extra_gs: bool) -> String {
    let mut s = String::new();
    for (i, (ai, v)) in elements.iter().enumerate() {
        s.push_str(ai);
        s.push_str(v);
        let predefined = gs1::lookup(ai).unwrap().predefined;
        if (!predefined && i + 1 < elements.len()) || extra_gs {
            s.push(char::from(GS));
        }
    }
    s
}

fn bracketed(elements: &[(&str, String)]) -> String {
    elements.iter().fold(String::new(), |mut s, (ai, v)| {
        s.push('(');
        s.push_str(ai);
        s.push(')');
        s.push_str(v);
        s
    })
}

/// A valid scan of a fast form, as a scanner sends it.
fn valid_scan() -> impl Strategy<Value = String> {
    let gs1_aim = prop::sample::select(vec!["]C1", "]d2", "]d5", "]Q3", "]Q4", "]e0", "]J1"]);
    let plain_aim = prop::sample::select(vec!["", "]E1", "]C0", "]d1", "]Q1"]);
    prop_oneof![
        (gs1_aim, gtin_elements(), any::<bool>())
            .prop_map(|(aim, e, extra)| format!("{aim}{}", transmitted(&e, extra))),
        gtin_elements().prop_map(|e| bracketed(&e)),
        // No AIM: with separators, or inferred (the GTIN first, as the inferred reading needs).
        gtin_elements().prop_map(|mut e| {
            let at = e.iter().position(|(ai, _)| *ai == "01").unwrap();
            e[..=at].rotate_right(1);
            transmitted(&e, false)
        }),
        (gs1_number(18)).prop_map(|s| format!("]C100{s}")),
        // A GTIN-8 that cannot also be a UPC-E (those start with 0 or 1), and GTIN-12/13/14.
        (plain_aim.clone(), 2u8..10, digits(6)).prop_map(|(aim, lead, d)| {
            let body = format!("{lead}{d}");
            format!("{aim}{body}{}", char::from(gs1_check_digit(body.as_bytes()).unwrap()))
        }),
        (plain_aim.clone(), prop::sample::select(vec![12usize, 13, 14]))
            .prop_flat_map(|(aim, n)| gs1_number(n).prop_map(move |g| format!("{aim}{g}"))),
        gs1_number(13).prop_map(|g| format!("]E0{g}")),
        (gs1_number(13), prop::sample::select(vec![2usize, 5]))
            .prop_flat_map(|(g, n)| digits(n).prop_map(move |a| format!("]E3{g}{a}"))),
        gs1_number(8).prop_map(|g| format!("]E4{g}")),
        gs1_number(14).prop_map(|g| format!("]I1{g}")),
        // An SSCC that is not also a valid credit code (that is ambiguous, and left to the parser).
        (plain_aim.clone(), gs1_number(18))
            .prop_filter("SSCC and credit code", |(_, s)| mod31_check_char(&s.as_bytes()[..17])
                != Some(s.as_bytes()[17]))
            .prop_map(|(aim, s)| format!("{aim}{s}")),
        (plain_aim.clone(), digits(19)).prop_map(|(aim, d)| format!("{aim}8{d}")),
        // Detonator codes: manufacturer 01-99, year digit, month, a day every month has, feature letter, sequence.
        (
            plain_aim.clone(),
            1u8..100,
            digits(1),
            1u8..13,
            1u8..29,
            prop::sample::select(b"ABDEFGHIJKLMNPQRTY".to_vec()),
            digits(5)
        )
            .prop_map(|(aim, maker, y, m, d, f, seq)| format!("{aim}{maker:02}{y}{m:02}{d:02}{}{seq}", char::from(f))),
        // Drug codes as printed: grouped by spaces (in fours) or dashes (anywhere between digits).
        (plain_aim.clone(), digits(19), any::<bool>(), proptest::collection::vec(1usize..19, 1..6)).prop_map(
            |(aim, d, space, mut at)| {
                at.sort_unstable();
                at.dedup();
                let mut s = String::from("8");
                for (k, c) in d.chars().enumerate() {
                    if at.contains(&k) || (space && k % 4 == 3) {
                        s.push(if space { ' ' } else { '-' });
                    }
                    s.push(c);
                }
                format!("{aim}{s}")
            }
        ),
        // Gas cylinders of the varieties whose Ecode reading fails, with a letter in the sequence.
        (
            plain_aim.clone(),
            prop::sample::select(vec![('1', false), ('5', true), ('6', false)]),
            prop::sample::select(vec![11u8, 35, 44, 82]),
            digits(3),
            prop::sample::select(b"ABCXYZ".to_vec()),
            digits(5)
        )
            .prop_map(|(aim, (v, car), p, u, l, seq)| {
                let unit = if car { format!("O{}", &u[..2]) } else { u };
                format!("{aim}{v}{p}{unit}{}{seq}", char::from(l))
            }),
        // Equipment registration codes: classification (not starting 0 or 8), province + area, YYYYMM, sequence.
        (
            plain_aim,
            prop::sample::select(b"12345679".to_vec()),
            digits(3),
            prop::sample::select(vec![11u8, 35, 44, 82]),
            digits(4),
            1900u16..2100,
            1u8..13,
            digits(4)
        )
            .prop_map(|(aim, c, cls, p, area, y, m, seq)| format!(
                "{aim}{}{cls}{p}{area}{y}{m:02}{seq}",
                char::from(c)
            )),
        digits(6).prop_map(|d| {
            let upca = gs1::upce_to_upca(format!("0{d}0").as_bytes()).unwrap();
            format!("0{d}{}", char::from(upca[11]))
        }),
        agri_code(),
        wrapped_scan(),
        epc_uri(),
    ]
}

/// Codes in a trace URL (the query value or the last path segment).
fn wrapped_scan() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "https://trace.example.cn/q?code=",
            "http://a.cn/x?from=app&c=",
            "https://a.cn/t/",
            "https://a.cn/q?ID=",
        ]),
        prop_oneof![
            agri_code(),
            digits(19).prop_map(|d| format!("8{d}")),
            gs1_number(13),
            gs1_number(14),
            (1u8..100, 1u8..13, 1u8..29, digits(5))
                .prop_map(|(maker, m, d, seq)| format!("{maker:02}5{m:02}{d:02}A{seq}")),
        ],
    )
        .prop_map(|(url, code)| format!("{url}{code}"))
}

/// EPC URIs: SGTIN and SSCC, a company prefix starting 6 (outside every restricted GTIN range) of 6 to 12
/// digits.
fn epc_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        (6usize..13, 0u8..10, digits(11), "[A-Za-z0-9!'()*+,.:;=_-]{1,20}").prop_map(|(cp_len, ind, d, serial)| {
            let (cp, ir) = d.split_at(cp_len - 1);
            format!("urn:epc:id:sgtin:6{cp}.{ind}{ir}.{serial}")
        }),
        (6usize..13, 0u8..10, digits(15)).prop_map(|(cp_len, ext, d)| {
            let (cp, sr) = d.split_at(cp_len - 1);
            format!("urn:epc:id:sscc:6{cp}.{ext}{sr}")
        }),
    ]
}

/// The 24-digit veterinary-drug code (a valid application date) and the 32-digit pesticide code.
fn agri_code() -> impl Strategy<Value = String> {
    prop_oneof![
        (2000u16..2030, 1u8..13, 1u8..29, digits(16)).prop_map(|(y, m, d, rest)| format!("{y}{m:02}{d:02}{rest}")),
        (1u8..4, digits(6), 1u8..4, digits(24)).prop_map(|(c, reg, t, rest)| format!("{c}{reg}{t}{rest}")),
    ]
}

/// Mutations that reach the checks: a byte replaced, the scan cut short, a byte inserted (often a separator,
/// bracket, space or CR), the AIM identifier swapped, and a separator turned into a wedge substitute, doubled
/// or dropped.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Aim(&'static str),
    Gs(prop::sample::Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![any::<u8>(), prop::sample::select(b"\x1d()<>|^ \r\n\t0123456789AZaz\\/%.-".to_vec())];
    prop_oneof![
        (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        prop::sample::select(AIMS).prop_map(Mutation::Aim),
        (
            any::<prop::sample::Index>(),
            prop::sample::select(vec!["", "\u{1d}\u{1d}", "<GS>", "{GS}", "[GS]", "^", "~1", "|", "\t", "\\x1D"])
        )
            .prop_map(|(i, s)| Mutation::Gs(i, s)),
    ]
}

fn mutate(input: &str, m: &Mutation) -> Vec<u8> {
    let mut b = input.as_bytes().to_vec();
    let at = |i: &prop::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match m {
        Mutation::Replace(i, x) => {
            if !b.is_empty() {
                let k = at(i, b.len());
                b[k] = *x;
            }
        }
        Mutation::Truncate(i) => b.truncate(at(i, b.len())),
        Mutation::Insert(i, x) => b.insert(at(i, b.len() + 1), *x),
        Mutation::Aim(aim) => {
            let rest = if b.first() == Some(&b']') && b.len() >= 3 { b.split_off(3) } else { b.clone() };
            b = [aim.as_bytes(), &rest].concat();
        }
        Mutation::Gs(i, sub) => {
            let seps: Vec<usize> = b.iter().enumerate().filter(|(_, c)| **c == GS).map(|(k, _)| k).collect();
            if !seps.is_empty() {
                let k = seps[i.index(seps.len())];
                b.splice(k..=k, sub.bytes());
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Valid scans of every fast form: the fast path answers each, with the parser's key.
    #[test]
    fn valid_scans_take_the_fast_path(scan in valid_scan()) {
        prop_assert!(assert_same(scan.as_bytes()), "the fast path did not answer {:?}", show(scan.as_bytes()));
    }

    /// Mutated scans (one or two mutations): whatever the parser decides, scan_key decides too.
    #[test]
    fn mutated_scans_agree(scan in valid_scan(), m1 in mutation(), m2 in proptest::option::of(mutation())) {
        let once = mutate(&scan, &m1);
        assert_same(&once);
        if let Some(m2) = m2 {
            assert_same(&mutate(&String::from_utf8_lossy(&once), &m2));
        }
    }

    /// The word-at-a-time byte search finds what a byte loop finds.
    #[test]
    fn find_agrees_with_a_byte_loop(hay in proptest::collection::vec(prop_oneof![Just(b'('), Just(GS), Just(b'<'), any::<u8>()], 0..40), a in any::<u8>(), b in prop_oneof![Just(b'('), Just(GS), any::<u8>()]) {
        let want = hay.iter().position(|&c| c == a || c == b).unwrap_or(hay.len());
        prop_assert_eq!(crate::code::bytes::find(&hay, a, b), want);
    }

    /// Arbitrary bytes, and arbitrary bytes behind each AIM identifier.
    #[test]
    fn arbitrary_bytes_agree(aim in prop::sample::select(AIMS), bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        assert_same(&bytes);
        assert_same(&[aim.as_bytes(), &bytes].concat());
    }
}
