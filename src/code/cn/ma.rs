//! MA codes / `IDcode` (ISO/IEC 15459 issuing agency "MA", `codes.md` §6.2): the UDI form
//! `MA.156.M0.{registrant}.{product}[.{PI}…]` and the general `IDcode` form
//! `MA.156.{industry}.{unit}/{category}.{item}.{serial}/`.

use super::{CnRules, MAX_INPUT, Parsed, charset_error, check_date, field, national, number};
use crate::code::{CheckStatus, Field, Scheme, Warning};
use crate::{Error, ErrorKind};

const WHAT: &str = "MA code";
/// Most `.`-separated segments accepted (5 DI + PI segments; real codes carry at most 8 PI segments).
const MAX_SEGMENTS: usize = 32;

/// Byte ranges of the `.`-separated segments of `b[start..end]` (an empty segment is an empty range).
fn split_dots(b: &[u8], start: usize, end: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = start;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let seg_end = b.get(pos..end).and_then(|s| s.iter().position(|&c| c == b'.')).map_or(end, |p| pos + p);
        let range = (pos, seg_end);
        if seg_end >= end {
            done = true;
        } else {
            pos = seg_end + 1;
        }
        Some(range)
    })
}

/// Checks a segment of ASCII letters and digits with `min..=max` characters.
fn alnum_segment(input: &str, (s, e): (usize, usize), what: &str, min: usize, max: usize) -> Result<(), Error> {
    if s == e {
        return Err(Error::new(ErrorKind::Syntax, s, 0, format!("{WHAT}: the {what} segment is empty")));
    }
    let bytes = input.as_bytes().get(s..e).unwrap_or_default();
    if let Some(i) = bytes.iter().position(|b| !b.is_ascii_alphanumeric()) {
        return Err(charset_error(input, s + i, WHAT, "a letter or digit"));
    }
    let n = e - s;
    if n < min || n > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min}-{max}")
        };
        return Err(Error::new(
            ErrorKind::Length,
            s,
            n,
            format!("{WHAT}: the {what} needs {want} characters, found {n}"),
        ));
    }
    Ok(())
}

/// The issuer tag, country and industry segments shared by both forms; records folding and unknown-issuer
/// warnings.
fn head(
    input: &str,
    segs: &mut impl Iterator<Item = (usize, usize)>,
    end: usize,
    fields: &mut Vec<Field>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let b = input.as_bytes();
    let issuer = segs.next().unwrap_or((0, end));
    alnum_segment(input, issuer, "issuer", 1, 3)?;
    let tag = b.get(issuer.0..issuer.1).unwrap_or_default();
    if tag.iter().any(u8::is_ascii_lowercase) {
        warnings.push(Warning::new("case_folded", "MA code: the issuer tag was read as upper case"));
    }
    if !tag.eq_ignore_ascii_case(b"MA") {
        let shown = String::from_utf8_lossy(tag).to_ascii_uppercase();
        warnings.push(Warning::new("unknown_issuer", format!("MA code: issuer {shown} is not MA; read with MA rules")));
    }
    fields.push(field("issuer", issuer.0, issuer.1));
    let missing = |what: &str| {
        Error::new(ErrorKind::Syntax, end, 0, format!("{WHAT}: the {what} segment is missing (MA.156.M0.…)"))
    };
    let country = segs.next().ok_or_else(|| missing("country"))?;
    if country.0 == country.1 {
        return Err(Error::new(ErrorKind::Syntax, country.0, 0, format!("{WHAT}: the country segment is empty")));
    }
    if let Some(i) = b.get(country.0..country.1).unwrap_or_default().iter().position(|c| !c.is_ascii_digit()) {
        return Err(charset_error(input, country.0 + i, WHAT, "a digit (ISO 3166 numeric country)"));
    }
    alnum_segment(input, country, "country", 3, 3)?;
    if b.get(country.0..country.1) != Some(b"156") {
        let code = input.get(country.0..country.1).unwrap_or_default();
        warnings.push(Warning::new("unknown_country", format!("MA code: country {code} is not 156 (China)")));
    }
    fields.push(field("country", country.0, country.1));
    let industry = segs.next().ok_or_else(|| missing("industry"))?;
    alnum_segment(input, industry, "industry", 1, 8)?;
    fields.push(field("industry", industry.0, industry.1));
    Ok(())
}

/// Parses an MA code. Without `/` it is the UDI form: issuer tag (`MA`; another tag is accepted with the
/// warning `unknown_issuer`), country (3 digits; not 156 → warning `unknown_country`), industry (`M0` for
/// medical devices), registrant, product (its last character is a check character), then production-identifier
/// segments whose first letter is a data identifier. With `/` it is the general `IDcode` form
/// `MA.156.{industry}.{unit}/{category}[.{item}[.{serial}]][/]`.
///
/// Fields, UDI form: `issuer`, `country`, `industry`, `registrant`, `product`, `di` (the whole device
/// identifier), then one per PI segment (value without its identifier letter): `S` `serial`, `M`
/// `production_date` (YYMMDD, validated), `L` `lot`, `D` `sterilisation_lot`, `E` `expiry` (YYMMDD, validated),
/// `V` `validity` (YYMMDD, validated), `Y` `reimbursement`, any other letter `pi_other` with the warning
/// `unknown_data_identifier`. General form: `issuer`, `country`, `industry`, `unit`, `category`, `item`,
/// `serial`.
///
/// The UDI check algorithm is unpublished: [`CheckStatus::NotVerifiableOffline`] unless [`CnRules::ma_check`]
/// supplies one. The general form has no check ([`CheckStatus::None`]). The issuer tag is upper-cased; every
/// other segment keeps its case.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_ma};
/// let (code, _) = parse_ma("MA.156.M0.100761.21234561.S000123.L20240117.E260130", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("di"), Some("MA.156.M0.100761.21234561"));
/// assert_eq!(code.field("expiry"), Some("260130"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Syntax`] for a missing or empty segment or a misplaced `/`; [`ErrorKind::Charset`] at a
/// character a segment does not allow; [`ErrorKind::Length`] for a segment of the wrong length, too many
/// segments or an input over [`MAX_INPUT`] bytes; [`ErrorKind::Date`] for an invalid PI date;
/// [`ErrorKind::Duplicate`] for a repeated data identifier; [`ErrorKind::CheckDigit`] when a configured check
/// fails.
pub fn parse_ma(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let b = input.as_bytes();
    if b.len() > MAX_INPUT {
        return Err(Error::new(ErrorKind::Length, MAX_INPUT, b.len() - MAX_INPUT, format!("{WHAT} is too long")));
    }
    let mut fields = Vec::with_capacity(12);
    let mut warnings = Vec::new();
    let check = match b.iter().position(|&c| c == b'/') {
        Some(slash) => general(input, slash, &mut fields, &mut warnings)?,
        None => udi(input, rules, &mut fields, &mut warnings)?,
    };
    let mut text = input.to_owned();
    if let Some(f) = fields.first()
        && let Some(tag) = text.get_mut(usize::from(f.start)..usize::from(f.end))
    {
        tag.make_ascii_uppercase();
    }
    Ok((national(Scheme::Ma, text, fields, check), warnings))
}

/// The UDI form (no `/`).
fn udi(
    input: &str,
    rules: &CnRules,
    fields: &mut Vec<Field>,
    warnings: &mut Vec<Warning>,
) -> Result<CheckStatus, Error> {
    let b = input.as_bytes();
    let mut segs = split_dots(b, 0, b.len());
    head(input, &mut segs, b.len(), fields, warnings)?;
    let missing = |what: &str| {
        Error::new(ErrorKind::Syntax, b.len(), 0, format!("{WHAT}: the {what} segment is missing (MA.156.M0.…)"))
    };
    let registrant = segs.next().ok_or_else(|| missing("registrant"))?;
    let (min, max) = fixed_or(rules.ma_registrant_len, 1);
    alnum_segment(input, registrant, "registrant", min, max)?;
    fields.push(field("registrant", registrant.0, registrant.1));
    let product = segs.next().ok_or_else(|| missing("product"))?;
    let (min, max) = fixed_or(rules.ma_product_len, 2);
    alnum_segment(input, product, "product", min, max)?;
    fields.push(field("product", product.0, product.1));
    fields.push(field("di", 0, product.1));
    let check = match rules.ma_check {
        None => CheckStatus::NotVerifiableOffline,
        Some(f) => {
            let at = product.1 - 1;
            let found = b.get(at).copied().unwrap_or(0);
            match f(b.get(..at).unwrap_or_default()) {
                None => CheckStatus::NotVerifiableOffline,
                Some(expected) if expected == found => CheckStatus::Verified,
                Some(expected) => {
                    let msg =
                        format!("check character should be {}, found {}", char::from(expected), char::from(found));
                    return Err(Error::new(ErrorKind::CheckDigit, at, 1, msg));
                }
            }
        }
    };
    let mut seen = [false; 7];
    for (n, seg) in segs.enumerate() {
        if n + 5 >= MAX_SEGMENTS {
            let msg = format!("{WHAT} has more than {MAX_SEGMENTS} segments");
            return Err(Error::new(ErrorKind::Length, seg.0, b.len() - seg.0, msg));
        }
        pi_segment(input, seg, &mut seen, fields, warnings)?;
    }
    Ok(check)
}

/// `(len, len)` when a length is configured, else `(min, usize::MAX)`.
fn fixed_or(len: u8, min: usize) -> (usize, usize) {
    if len == 0 { (min, usize::MAX) } else { (usize::from(len), usize::from(len)) }
}

/// Known data identifiers: letter, field name, whether the value is a YYMMDD date.
const DATA_IDENTIFIERS: [(u8, &str, bool); 7] = [
    (b'S', "serial", false),
    (b'M', "production_date", true),
    (b'L', "lot", false),
    (b'D', "sterilisation_lot", false),
    (b'E', "expiry", true),
    (b'V', "validity", true),
    (b'Y', "reimbursement", false),
];

/// One production-identifier segment: identifier letter + value.
fn pi_segment(
    input: &str,
    (s, e): (usize, usize),
    seen: &mut [bool; 7],
    fields: &mut Vec<Field>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let b = input.as_bytes();
    let Some(&id) = b.get(s).filter(|_| s < e) else {
        return Err(Error::new(ErrorKind::Syntax, s, 0, format!("{WHAT}: empty segment")));
    };
    if !id.is_ascii_alphabetic() {
        return Err(charset_error(input, s, WHAT, "a data-identifier letter (S, M, L, D, E, V, Y)"));
    }
    if e - s < 2 {
        return Err(Error::new(
            ErrorKind::Syntax,
            s,
            1,
            format!("{WHAT}: data identifier {} has no value", char::from(id)),
        ));
    }
    let value = b.get(s + 1..e).unwrap_or_default();
    // PI values are GB/T 1988 graphic characters; `.` and `/` cannot occur (they separate segments).
    if let Some(i) = value.iter().position(|c| !c.is_ascii_graphic()) {
        return Err(charset_error(input, s + 1 + i, WHAT, "a printable ASCII character"));
    }
    let known = DATA_IDENTIFIERS.iter().position(|&(l, _, _)| l == id);
    let Some((k, &(_, name, date))) = known.and_then(|k| DATA_IDENTIFIERS.get(k).map(|d| (k, d))) else {
        warnings.push(Warning::new(
            "unknown_data_identifier",
            format!("MA code: data identifier {} has no known meaning", char::from(id)),
        ));
        fields.push(field("pi_other", s + 1, e));
        return Ok(());
    };
    if let Some(flag) = seen.get_mut(k) {
        if *flag {
            let msg = format!("{WHAT}: data identifier {} appears twice", char::from(id));
            return Err(Error::new(ErrorKind::Duplicate, s, e - s, msg));
        }
        *flag = true;
    }
    if date {
        if let Some(i) = value.iter().position(|c| !c.is_ascii_digit()) {
            return Err(charset_error(input, s + 1 + i, WHAT, "a digit (YYMMDD date)"));
        }
        if value.len() != 6 {
            let msg = format!("{WHAT}: {name} needs 6 digits (YYMMDD), found {}", value.len());
            return Err(Error::new(ErrorKind::Length, s + 1, value.len(), msg));
        }
        // Two-digit years are 20YY here: MA codes date from 2019 on.
        let year = 2000 + number(value.get(..2).unwrap_or_default());
        check_date(Some(year), value, s + 1, 2, WHAT)?;
    }
    fields.push(field(name, s + 1, e));
    Ok(())
}

/// The general `IDcode` form: `{issuer}.{country}.{industry}.{unit}/{category}[.{item}[.{serial}]][/]`.
fn general(
    input: &str,
    slash: usize,
    fields: &mut Vec<Field>,
    warnings: &mut Vec<Warning>,
) -> Result<CheckStatus, Error> {
    let b = input.as_bytes();
    let mut segs = split_dots(b, 0, slash);
    head(input, &mut segs, slash, fields, warnings)?;
    let unit = segs.next().ok_or_else(|| {
        Error::new(ErrorKind::Syntax, slash, 0, format!("{WHAT}: the unit segment is missing before '/'"))
    })?;
    alnum_segment(input, unit, "unit", 1, 16)?;
    fields.push(field("unit", unit.0, unit.1));
    if let Some((s, _)) = segs.next() {
        let msg = format!("{WHAT}: a general IDcode has 4 segments before '/'");
        return Err(Error::new(ErrorKind::Syntax, s.saturating_sub(1), slash + 1 - s, msg));
    }
    // One trailing '/' closes the code; any other '/' is misplaced.
    let mut end = b.len();
    if end > slash + 1 && b.last() == Some(&b'/') {
        end -= 1;
    }
    if let Some(p) = b.get(slash + 1..end).and_then(|t| t.iter().position(|&c| c == b'/')) {
        let msg = format!("{WHAT}: only one '/' may follow the unit (and one may close the code)");
        return Err(Error::new(ErrorKind::Syntax, slash + 1 + p, 1, msg));
    }
    let names = ["category", "item", "serial"];
    for (n, seg) in split_dots(b, slash + 1, end).enumerate() {
        let Some(&name) = names.get(n) else {
            let msg = format!("{WHAT}: a general IDcode has at most 3 segments after '/'");
            return Err(Error::new(ErrorKind::Syntax, seg.0.saturating_sub(1), end + 1 - seg.0, msg));
        };
        alnum_segment(input, seg, name, 1, 64)?;
        fields.push(field(name, seg.0, seg.1));
    }
    Ok(CheckStatus::None)
}

/// Cheap pre-filter: an issuer tag of 1–3 letters or digits, `.`, three digits, `.`, and at most
/// [`MAX_INPUT`] bytes.
pub fn looks_like_ma(input: &[u8]) -> bool {
    if input.len() > MAX_INPUT {
        return false;
    }
    let Some(dot) = input.iter().take(4).position(|&c| c == b'.') else {
        return false;
    };
    (1..=3).contains(&dot)
        && input.iter().take(dot).all(u8::is_ascii_alphanumeric)
        && matches!(input.get(dot + 1..dot + 5), Some([a, b, c, b'.']) if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fmt::Write as _;

    const R: CnRules = CnRules::DEFAULT;
    const EXAMPLE: &str = "MA.156.M0.100761.21234561.S000123.L20240117.E260130";

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_ma(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn worked_example() {
        let (c, w) = parse_ma(EXAMPLE, &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::Ma);
        assert_eq!(c.text, EXAMPLE);
        assert_eq!(c.check, CheckStatus::NotVerifiableOffline);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [
                ("issuer", "MA"),
                ("country", "156"),
                ("industry", "M0"),
                ("registrant", "100761"),
                ("product", "21234561"),
                ("di", "MA.156.M0.100761.21234561"),
                ("serial", "000123"),
                ("lot", "20240117"),
                ("expiry", "260130"),
            ]
        );
    }

    #[test]
    fn all_data_identifiers() {
        // A published community test vector (C of unknown meaning, V a date).
        let s = "MA.156.M0.100761.21234561.Sx00008.M220117.L20220117.D20220118.E220130.V220117.C3";
        let (c, w) = parse_ma(s, &R).unwrap();
        assert_eq!(c.field("production_date"), Some("220117"));
        assert_eq!(c.field("sterilisation_lot"), Some("20220118"));
        assert_eq!(c.field("validity"), Some("220117"));
        assert_eq!(c.field("pi_other"), Some("3"));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "unknown_data_identifier");
        // A vendor sample: lower-case product, multi-letter serial.
        let s = "MA.156.M0.100011.2cscp023.Ste002.M200206.L343432.D555555.E200228.V200307.C9";
        let (c, _) = parse_ma(s, &R).unwrap();
        assert_eq!(c.field("product"), Some("2cscp023"));
        assert_eq!(c.field("serial"), Some("te002"));
        let (c, _) = parse_ma("MA.156.M0.100761.21234561.Y123", &R).unwrap();
        assert_eq!(c.field("reimbursement"), Some("123"));
        // DI only; 12-character product as seen in vendor samples.
        let (c, _) = parse_ma("MA.156.M0.100350.01004YA10017", &R).unwrap();
        assert_eq!(c.field("di"), Some("MA.156.M0.100350.01004YA10017"));
    }

    #[test]
    fn issuer_and_country_flagged() {
        let (c, w) = parse_ma("MB.234.M0.123456.12345678", &R).unwrap();
        assert_eq!(c.field("issuer"), Some("MB"));
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["unknown_issuer", "unknown_country"]);
        let (c, w) = parse_ma("ma.156.M0.100761.21234561", &R).unwrap();
        assert_eq!(c.text, "MA.156.M0.100761.21234561");
        assert_eq!(w[0].code, "case_folded");
    }

    #[test]
    fn general_idcode() {
        let (c, w) = parse_ma("MA.156.1003.1629/60.10000000.2/", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.check, CheckStatus::None);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [
                ("issuer", "MA"),
                ("country", "156"),
                ("industry", "1003"),
                ("unit", "1629"),
                ("category", "60"),
                ("item", "10000000"),
                ("serial", "2"),
            ]
        );
        let (c, _) = parse_ma("MA.156.1003.1629/10.46100000.riseplatform", &R).unwrap();
        assert_eq!(c.field("serial"), Some("riseplatform"));
    }

    #[test]
    fn errors() {
        assert_eq!(err("MA.156.M0.100761"), (ErrorKind::Syntax, 16, 0));
        assert_eq!(err("MA.156.M0..21234561"), (ErrorKind::Syntax, 10, 0));
        assert_eq!(err("MA.156.M0.100761.21234561."), (ErrorKind::Syntax, 26, 0));
        assert_eq!(err("MA.15X.M0.100761.21234561"), (ErrorKind::Charset, 5, 1));
        assert_eq!(err("MA.1560.M0.100761.21234561"), (ErrorKind::Length, 3, 4));
        assert_eq!(err("MA.156.M0.10076.21234561"), (ErrorKind::Length, 10, 5));
        assert_eq!(err("MA.156.M0.100761.2"), (ErrorKind::Length, 17, 1));
        assert_eq!(err("MA.156.M0.100761.2123-4561"), (ErrorKind::Charset, 21, 1));
        assert_eq!(err("MA.156.M0.100761.21234561.E261330"), (ErrorKind::Date, 29, 2));
        assert_eq!(err("MA.156.M0.100761.21234561.M230229"), (ErrorKind::Date, 31, 2));
        assert!(parse_ma("MA.156.M0.100761.21234561.M240229", &R).is_ok());
        assert_eq!(err("MA.156.M0.100761.21234561.E2601"), (ErrorKind::Length, 27, 4));
        assert_eq!(err("MA.156.M0.100761.21234561.S"), (ErrorKind::Syntax, 26, 1));
        assert_eq!(err("MA.156.M0.100761.21234561.1abc"), (ErrorKind::Charset, 26, 1));
        assert_eq!(err("MA.156.M0.100761.21234561.S1.S2"), (ErrorKind::Duplicate, 29, 2));
        assert_eq!(err("MA.156.M0.100761.21234561.L12 3"), (ErrorKind::Charset, 29, 1));
        assert_eq!(err("MAXX.156.M0.100761.21234561"), (ErrorKind::Length, 0, 4));
        assert_eq!(err("MA.156.1003.1629/60.1/2/"), (ErrorKind::Syntax, 21, 1));
        assert_eq!(err("MA.156.1003.1629/"), (ErrorKind::Syntax, 17, 0));
        assert_eq!(err("MA.156.1003/60"), (ErrorKind::Syntax, 11, 0));
        assert_eq!(err("MA.156.1003.1629.5/60"), (ErrorKind::Syntax, 16, 2));
        assert_eq!(err("MA.156.1003.1629/1.2.3.4"), (ErrorKind::Syntax, 22, 2));
        assert_eq!(err(""), (ErrorKind::Syntax, 0, 0));
    }

    #[test]
    fn configured_check() {
        // A stand-in algorithm (GS1 mod-10 over the product body) to exercise the hook.
        fn product_mod10(di: &[u8]) -> Option<u8> {
            let body = di.rsplit(|&c| c == b'.').next()?;
            crate::code::check::gs1_check_digit(body)
        }
        let rules = CnRules::DEFAULT.ma_check(Some(product_mod10));
        let good =
            format!("MA.156.M0.100761.2123456{}", char::from(crate::code::check::gs1_check_digit(b"2123456").unwrap()));
        assert_eq!(parse_ma(&good, &rules).unwrap().0.check, CheckStatus::Verified);
        let e = parse_ma("MA.156.M0.100761.21234560", &rules).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(24), Some(1)));
        let rules = CnRules::DEFAULT.ma_product_len(8).ma_registrant_len(0);
        assert!(parse_ma("MA.156.M0.1.21234561", &rules).is_ok());
        assert_eq!(parse_ma("MA.156.M0.100350.01004YA10017", &rules).unwrap_err().kind(), ErrorKind::Length);
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_ma(EXAMPLE.as_bytes()));
        assert!(looks_like_ma(b"MA.156.1003.1629/60.10000000.2/"));
        assert!(!looks_like_ma(b"MA156.M0"));
        assert!(!looks_like_ma(b"88.1000.2/abc"));
    }

    proptest! {
        #[test]
        fn round_trip(reg in "[0-9]{6}", prod in "[0-9A-Za-z]{2,12}", serial in proptest::option::of("[!-\\-0-~]{1,20}"),
                      lot in proptest::option::of("[0-9A-Z]{1,20}"), yy in 0u32..100, mm in 1u32..13, dd in 1u32..29) {
            let mut s = format!("MA.156.M0.{reg}.{prod}");
            if let Some(v) = &serial { s.push_str(".S"); s.push_str(v); }
            if let Some(v) = &lot { s.push_str(".L"); s.push_str(v); }
            write!(s, ".E{yy:02}{mm:02}{dd:02}").unwrap();
            let (c, w) = parse_ma(&s, &R).unwrap();
            prop_assert!(w.is_empty());
            prop_assert_eq!(&c.text, &s);
            prop_assert!(looks_like_ma(s.as_bytes()));
            prop_assert_eq!(c.field("serial"), serial.as_deref());
            prop_assert_eq!(&parse_ma(&c.text, &R).unwrap().0, &c);
            // The issuer tag in lower case reads as the same code.
            let lower = format!("ma{}", &s[2..]);
            prop_assert_eq!(parse_ma(&lower, &R).unwrap().0, c);
        }

        #[test]
        fn general_round_trip(ind in "[0-9]{4}", unit in "[0-9]{4}", cat in "[0-9]{2}", item in "[0-9]{8}",
                              serial in "[0-9a-z]{1,12}", slash in any::<bool>()) {
            let s = format!("MA.156.{ind}.{unit}/{cat}.{item}.{serial}{}", if slash { "/" } else { "" });
            let (c, _) = parse_ma(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_ma(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}", t in "(MA|ma)\\.[0-9./A-Z]{0,40}") {
            let _ = parse_ma(&s, &R);
            let _ = parse_ma(&t, &R);
            let _ = looks_like_ma(s.as_bytes());
        }
    }
}
