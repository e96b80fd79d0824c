//! Identity properties: every spelling of one item gives one [`TraceKey`], and key bytes sort like the identity.
//!
//! The spellings are built here from first principles (codes.md §1.2 check digit, §2.1 forms, §4.2 percent
//! rules, §5.1 EPC URI grammar and GS3A3 escaping), not with the crate's printers, so a bug shared by a printer
//! and its parser cannot hide.

use std::cmp::Ordering;
use std::fmt::Write as _;

use proptest::prelude::*;
use tracecode::code::issue::{RandomSerials, SerialSource, SgtinIssuer};
use tracecode::code::{KeyKind, TraceKey, candidates, parse};

/// GS1 mod-10 check digit (codes.md §1.2): rightmost body digit has weight 3.
fn check_digit(body: &str) -> char {
    let sum: u32 =
        body.bytes().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    char::from(b'0' + u8::try_from((10 - sum % 10) % 10).unwrap())
}

/// Percent-encodes everything outside the RFC 3986 unreserved set, upper-case hex (codes.md §4.2 step 6).
fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// GS3A3 escaping for EPC URIs (codes.md §5.1).
fn gs3a3(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("%22"),
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            '/' => out.push_str("%2F"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `(` for the bracketed form (codes.md §2.1).
fn bracket_escape(s: &str) -> String {
    s.replace('(', "\\(")
}

/// A GTIN-14 with a computed check digit. The first digit after the indicator avoids 0, 2 and 9 so the GTIN is
/// never in a restricted range (RCN, variable measure, coupons: codes.md §1.1) and may form an SGTIN (§5.2).
fn gtin14() -> impl Strategy<Value = String> {
    (0u8..=8, prop::sample::select(vec![b'1', b'3', b'4', b'5', b'6', b'7', b'8']), "[0-9]{11}").prop_map(
        |(ind, first, rest)| {
            let body = format!("{ind}{}{rest}", char::from(first));
            let c = check_digit(&body);
            format!("{body}{c}")
        },
    )
}

/// A CSET 82 subset (codes.md §1.5). `>` is left out so no value can contain the keyboard-wedge substitute
/// `<GS>` (codes.md §7), which a normaliser rightly turns into a separator.
const CSET82_SUBSET: &str = "[A-Za-z0-9!\"%&'()*+,\\-./:;<=?_]{1,20}";

fn serial82() -> impl Strategy<Value = String> {
    CSET82_SUBSET
}

fn serial_alnum() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{1,20}"
}

/// YYMMDD with a valid month and a day every month has (00 = last day of the month is allowed, §2.8).
fn yymmd0() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..=12, 0u8..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

fn host() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["id.gs1.org", "example.com", "brand.example.cn:8443", "192.0.2.7", "[2001:db8::1]"])
}

fn stem() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "/shop", "/a/b-c", "/qr/v1"])
}

/// An item: GTIN, serial, optional lot, optional expiry.
#[derive(Clone, Debug)]
struct Item {
    gtin: String,
    serial: String,
    lot: Option<String>,
    expiry: Option<String>,
}

impl Item {
    /// `]d2` + element string: pre-defined-length elements first, GS after the variable lot.
    fn element_string(&self) -> String {
        let expiry = self.expiry.as_ref().map(|d| format!("17{d}")).unwrap_or_default();
        let lot = self.lot.as_ref().map(|l| format!("10{l}\u{1d}")).unwrap_or_default();
        format!("]d201{}{expiry}{lot}21{}", self.gtin, self.serial)
    }

    fn bracketed(&self) -> String {
        let expiry = self.expiry.as_ref().map(|d| format!("(17){d}")).unwrap_or_default();
        let lot = self.lot.as_ref().map(|l| format!("(10){}", bracket_escape(l))).unwrap_or_default();
        format!("(01){}{expiry}{lot}(21){}", self.gtin, bracket_escape(&self.serial))
    }

    fn digital_link(&self, host: &str, stem: &str) -> String {
        let lot = self.lot.as_ref().map(|l| format!("/10/{}", pct(l))).unwrap_or_default();
        let query = self.expiry.as_ref().map(|d| format!("?17={d}")).unwrap_or_default();
        format!("https://{host}{stem}/01/{}{lot}/21/{}{query}", self.gtin, pct(&self.serial))
    }

    /// The SGTIN pure-identity URI with a company prefix of `gcp_len` digits (codes.md §5.1).
    fn epc_uri(&self, gcp_len: usize) -> String {
        let (ind, rest) = self.gtin.split_at(1);
        let digits13 = &rest[..12];
        let (cp, ir) = digits13.split_at(gcp_len);
        format!("urn:epc:id:sgtin:{cp}.{ind}{ir}.{}", gs3a3(&self.serial))
    }

    fn canonical(&self) -> String {
        format!("01/{}/21/{}", self.gtin, pct(&self.serial))
    }
}

fn item(serial: impl Strategy<Value = String>) -> impl Strategy<Value = Item> {
    (gtin14(), serial, prop::option::of(serial82()), prop::option::of(yymmd0()))
        .prop_map(|(gtin, serial, lot, expiry)| Item { gtin, serial, lot, expiry })
}

/// The key of `input`, or a test failure naming the input (not a panic, so proptest shrinks quietly).
fn key_of(input: &str) -> Result<TraceKey, TestCaseError> {
    let code = parse(input).map_err(|e| TestCaseError::fail(format!("{input:?} does not parse: {e:?}")))?;
    code.trace_key().map_err(|e| TestCaseError::fail(format!("{input:?} has no key: {e:?}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The element string, bracketed text, Digital Link and EPC URI of one item give one instance key.
    #[test]
    fn every_spelling_gives_one_key(it in item(serial_alnum()), h in host(), st in stem(), gcp_len in 6usize..=12) {
        let key = key_of(&it.element_string())?;
        prop_assert_eq!(key.kind(), KeyKind::Instance);
        prop_assert_eq!(key.to_string(), it.canonical());
        prop_assert_eq!(&key_of(&it.bracketed())?, &key);
        prop_assert_eq!(&key_of(&it.digital_link(h, st))?, &key);
        prop_assert_eq!(&key_of(&it.epc_uri(gcp_len))?, &key);
    }

    /// Serials with CSET 82 punctuation: bracket escaping, percent-encoding and GS3A3 escaping all reach one key.
    #[test]
    fn punctuation_in_values(it in item(serial82()), h in host(), gcp_len in 6usize..=12) {
        let key = key_of(&it.element_string())?;
        prop_assert_eq!(key.to_string(), it.canonical());
        prop_assert_eq!(&key_of(&it.bracketed())?, &key);
        prop_assert_eq!(&key_of(&it.digital_link(h, ""))?, &key);
        prop_assert_eq!(&key_of(&it.epc_uri(gcp_len))?, &key);
        // Text and binary forms round trip.
        prop_assert_eq!(&key.to_string().parse::<TraceKey>().unwrap(), &key);
        prop_assert_eq!(&TraceKey::from_bytes(key.as_bytes()).unwrap(), &key);
    }

    /// Key bytes sort exactly like (GTIN, serial) strings, so a range scan in the store follows the identity.
    #[test]
    fn key_order_is_identity_order(a in (gtin14(), serial82()), b in (gtin14(), serial82())) {
        let ka = key_of(&format!("(01){}(21){}", a.0, bracket_escape(&a.1)))?;
        let kb = key_of(&format!("(01){}(21){}", b.0, bracket_escape(&b.1)))?;
        let want = (a.0.as_str(), a.1.as_bytes()).cmp(&(b.0.as_str(), b.1.as_bytes()));
        prop_assert_eq!(ka.as_bytes().cmp(kb.as_bytes()), want);
        prop_assert_eq!(ka == kb, want == Ordering::Equal);
    }

    /// Same GTIN, two serials: order follows the serial alone, and a serial sorts before its extensions.
    #[test]
    fn serial_order_within_gtin(g in gtin14(), s in serial82(), t in serial82()) {
        let ks = key_of(&format!("(01){g}(21){}", bracket_escape(&s)))?;
        let kt = key_of(&format!("(01){g}(21){}", bracket_escape(&t)))?;
        prop_assert_eq!(ks.as_bytes().cmp(kt.as_bytes()), s.as_bytes().cmp(t.as_bytes()));
    }

    /// The GTIN class key is a byte prefix of every instance and lot key of that GTIN; a lot key is a class key
    /// distinct from any instance key.
    #[test]
    fn class_and_lot_keys(it in item(serial82())) {
        let class = key_of(&it.gtin)?;
        prop_assert_eq!(class.kind(), KeyKind::Class);
        prop_assert_eq!(class.to_string(), format!("01/{}", it.gtin));
        let inst = key_of(&it.bracketed())?;
        prop_assert!(inst.as_bytes().starts_with(class.as_bytes()));
        prop_assert!(inst.as_bytes().starts_with(&class.instances_prefix().unwrap()));
        prop_assert_eq!(inst.gtin_class(), Some(class.clone()));
        let lot = it.lot.clone().unwrap_or_else(|| "L1".to_owned());
        let lot_key = key_of(&format!("(01){}(10){}", it.gtin, bracket_escape(&lot)))?;
        prop_assert_eq!(lot_key.kind(), KeyKind::Class);
        prop_assert!(lot_key != inst);
        prop_assert!(lot_key != class);
        prop_assert!(lot_key.as_bytes().starts_with(class.as_bytes()));
        prop_assert_eq!(lot_key.to_string(), format!("01/{}/10/{}", it.gtin, pct(&lot)));
    }

    /// Issued codes parse back, through their element string, to the key they were issued as.
    #[test]
    fn issued_codes_parse_back(g in gtin14(), lot in prop::option::of(serial82()), seed: u64, numeric: bool) {
        let mut issuer = SgtinIssuer::new(&g, lot.as_deref(), RandomSerials::from_seed(numeric, seed)).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..4 {
            let gs1 = issuer.issue().unwrap();
            let serial = gs1.get("21").unwrap().to_owned();
            prop_assert!(seen.insert(serial.clone()), "serial {} issued twice", serial);
            prop_assert_eq!(gs1.get("01"), Some(g.as_str()));
            prop_assert_eq!(gs1.get("10"), lot.as_deref());
            let issued = TraceKey::from_gs1(&gs1).unwrap();
            let key = key_of(&format!("]d2{}", gs1.to_element_string()))?;
            prop_assert_eq!(&key, &issued);
            prop_assert_eq!(key.to_string(), format!("01/{g}/21/{}", pct(&serial)));
            prop_assert_eq!(&key_of(&gs1.to_bracketed())?, &issued);
        }
    }
}

/// Seeded serial sources are reproducible and never repeat (a permutation of the counter).
#[test]
fn random_serials_reproducible_and_distinct() {
    for numeric in [true, false] {
        let mut a = RandomSerials::from_seed(numeric, 42);
        let mut b = RandomSerials::from_seed(numeric, 42);
        let sa: Vec<String> = (0..200).map(|_| a.next_serial().unwrap()).collect();
        let sb: Vec<String> = (0..200).map(|_| b.next_serial().unwrap()).collect();
        assert_eq!(sa, sb);
        let distinct: std::collections::BTreeSet<&String> = sa.iter().collect();
        assert_eq!(distinct.len(), sa.len());
        if numeric {
            assert!(sa.iter().all(|s| s.parse::<u64>().unwrap() < 1 << 38), "SGTIN-96 serials fit 38 bits");
        }
    }
}

/// codes.md §1.3: the four UPC-E rows expand to their GTIN-14, found among the candidates of the raw 8 digits.
/// `02468143` and `13579173` also pass the GTIN-8 check, so both readings must be offered.
#[test]
fn upce_table_through_candidates() {
    let table = [
        ("04252614", "00042100005264", false),
        ("07182331", "00071800000231", false),
        ("02468143", "00024680000013", true),
        ("13579173", "00135791000073", true),
    ];
    for (upce, gtin14, also_gtin8) in table {
        let keys: Vec<String> =
            candidates(upce).iter().filter_map(|c| c.code.trace_key().ok()).map(|k| k.to_string()).collect();
        let expanded = format!("01/{gtin14}");
        assert!(keys.contains(&expanded), "{upce}: candidates {keys:?} lack {expanded}");
        let as_gtin8 = format!("01/000000{upce}");
        assert_eq!(keys.contains(&as_gtin8), also_gtin8, "{upce}: candidates {keys:?} vs GTIN-8 reading");
    }
}

/// codes.md §1.3: the UPC-E check digit must equal the expanded UPC-A's; a wrong one is no UPC-E reading.
#[test]
fn upce_with_wrong_check_is_not_expanded() {
    let keys: Vec<String> =
        candidates("04252615").iter().filter_map(|c| c.code.trace_key().ok()).map(|k| k.to_string()).collect();
    assert!(!keys.contains(&"01/00042100005264".to_owned()), "{keys:?}");
}

#[test]
fn oracle_check_digits() {
    // codes.md §1.2 rows, recomputed by this file's own oracle.
    for full in ["6901234567892", "09506000134352", "95010939", "614141123452", "80614141123458", "106141412345678908"]
    {
        let (body, c) = full.split_at(full.len() - 1);
        assert_eq!(check_digit(body).to_string(), c, "{full}");
    }
    assert_eq!(pct("A/B+1"), "A%2FB%2B1");
    assert_eq!(gs3a3("32a/b"), "32a%2Fb");
}

// ---------------------------------------------------------------------------------------------------------------
// Standard conversions: every `Display` reads back through `FromStr`.

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// An identifier reads back from its Digital Link (`Display`) and from its key text (`IdForm::KeyText`);
    /// a code reads back from its canonical spelling with the same key.
    #[test]
    fn ids_and_codes_read_back_what_they_print(it in item(serial82())) {
        use tracecode::event::{Id, IdForm};
        let key = key_of(&it.element_string())?;
        let id = Id::from(key.clone());
        prop_assert_eq!(&id.to_string().parse::<Id>().map_err(|e| TestCaseError::fail(format!("{e}")))?, &id);
        prop_assert_eq!(&Id::parse(&id.to_uri(IdForm::KeyText)).map_err(|e| TestCaseError::fail(format!("{e}")))?, &id);
        let code: tracecode::code::Code = it.bracketed().parse().map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&key_of(&code.to_string())?, &key);
    }

    /// A timestamp reads back from its RFC 3339 text and survives a `SystemTime` round trip.
    #[test]
    fn timestamps_read_back_what_they_print(ns in any::<i64>()) {
        use tracecode::event::Timestamp;
        let t = Timestamp(ns);
        prop_assert_eq!(t.to_string().parse::<Timestamp>().map_err(|e| TestCaseError::fail(format!("{e}")))?, t);
        prop_assert_eq!(Timestamp::from(std::time::SystemTime::from(t)), t);
    }
}

/// Every CBV term of the business-step and disposition vocabularies reads back from its `Display`.
#[test]
fn vocabulary_terms_read_back_what_they_print() {
    use tracecode::event::{BizStep, Disposition};
    for term in ["commissioning", "shipping", "retail_selling", "sensor_reporting", "urn:example:step"] {
        let b: BizStep = term.parse().unwrap();
        assert_eq!(b.to_string().parse::<BizStep>().unwrap(), b);
    }
    for term in ["active", "destroyed", "recalled", "in_transit", "https://example.com/disp/x"] {
        let d: Disposition = term.parse().unwrap();
        assert_eq!(d.to_string().parse::<Disposition>().unwrap(), d);
    }
    assert!("not a term".parse::<Disposition>().is_err());
}
