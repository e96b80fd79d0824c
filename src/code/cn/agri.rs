//! Agricultural inputs (`codes.md` §6.10): the 24-digit veterinary-drug trace code and the 32-digit pesticide
//! label unit identification code. Layouts from a secondary source; neither has a check character.

use super::{CnRules, Parsed, all_digits, ascii_text, check_date, check_year, field, fixed, national};
use crate::code::{CheckStatus, Scheme};
use crate::{Error, ErrorKind};

const VET: &str = "veterinary-drug trace code";
const PEST: &str = "pesticide code";

fn digit(_: usize, b: u8) -> Result<(), &'static str> {
    if b.is_ascii_digit() { Ok(()) } else { Err("a digit") }
}

/// Parses a 24-digit veterinary-drug trace code (兽药追溯码): application date `YYYYMMDD` (8) + enterprise id
/// (5) + random part (11). Fields: `application_date`, `enterprise`, `random`.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_vet_drug24};
/// let (code, _) = parse_vet_drug24("202301151234598765432101", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("enterprise"), Some("12345"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a non-digit, [`ErrorKind::Length`] for other than 24 digits, [`ErrorKind::Date`]
/// at an invalid year (outside [`CnRules::year_min`]..=[`CnRules::year_max`]), month or day.
pub fn parse_vet_drug24(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let (d, _) = fixed::<24>(input, VET, false, digit)?;
    let year = check_year(&d[0..4], 0, VET, rules)?;
    check_date(Some(year), &d[0..8], 0, 4, VET)?;
    let fields = vec![field("application_date", 0, 8), field("enterprise", 8, 13), field("random", 13, 24)];
    Ok((national(Scheme::VetDrug, ascii_text(&d), fields, CheckStatus::None), Vec::new()))
}

/// Parses a 32-digit pesticide label unit identification code (农药, labels from 2018-07-01): registration class
/// (1: `1` PD, `2` WP, `3` temporary) + last 6 digits of the registration number + production type (1: `1` own,
/// `2` contract processing, `3` contract repacking) + specification code (3) + random part (21). Fields:
/// `registration_class`, `registration`, `production_type`, `specification`, `random`.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_pesticide32};
/// let (code, _) = parse_pesticide32("13001231001123456789012345678901", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("registration"), Some("300123"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a non-digit, [`ErrorKind::Length`] for other than 32 digits, [`ErrorKind::Value`]
/// at a registration class or production type outside 1–3.
pub fn parse_pesticide32(input: &str, _rules: &CnRules) -> Result<Parsed, Error> {
    let (d, _) = fixed::<32>(input, PEST, false, digit)?;
    if !(b'1'..=b'3').contains(&d[0]) {
        let msg =
            format!("{PEST}: registration class must be 1 (PD), 2 (WP) or 3 (temporary), found {}", char::from(d[0]));
        return Err(Error::new(ErrorKind::Value, 0, 1, msg));
    }
    if !(b'1'..=b'3').contains(&d[7]) {
        let msg = format!(
            "{PEST}: production type must be 1 (own), 2 (contract processing) or 3 (contract repacking), found {}",
            char::from(d[7])
        );
        return Err(Error::new(ErrorKind::Value, 7, 1, msg));
    }
    let fields = vec![
        field("registration_class", 0, 1),
        field("registration", 1, 7),
        field("production_type", 7, 8),
        field("specification", 8, 11),
        field("random", 11, 32),
    ];
    Ok((national(Scheme::Pesticide, ascii_text(&d), fields, CheckStatus::None), Vec::new()))
}

/// Cheap pre-filter: exactly 24 ASCII digits.
pub fn looks_like_vet_drug24(input: &[u8]) -> bool {
    all_digits(input, 24)
}

/// Cheap pre-filter: exactly 32 ASCII digits.
pub fn looks_like_pesticide32(input: &[u8]) -> bool {
    all_digits(input, 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn vet_err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_vet_drug24(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    fn pest_err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_pesticide32(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn vet_drug_worked_example() {
        let (c, w) = parse_vet_drug24("202301151234598765432101", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::VetDrug);
        assert_eq!(c.check, CheckStatus::None);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("application_date", "20230115"), ("enterprise", "12345"), ("random", "98765432101")]);
    }

    #[test]
    fn vet_drug_errors() {
        assert_eq!(vet_err("202313151234598765432101"), (ErrorKind::Date, 4, 2));
        assert_eq!(vet_err("202302291234598765432101"), (ErrorKind::Date, 6, 2));
        assert!(parse_vet_drug24("202402291234598765432101", &R).is_ok()); // 2024 is a leap year
        assert_eq!(vet_err("180001011234598765432101"), (ErrorKind::Date, 0, 4));
        assert_eq!(vet_err("20230115123459876543210"), (ErrorKind::Length, 23, 0));
        assert_eq!(vet_err("20230115123459876543210A"), (ErrorKind::Charset, 23, 1));
        assert_eq!(vet_err("2023011512345987654321012"), (ErrorKind::Length, 24, 1));
        let e = parse_vet_drug24("202304311234598765432101", &R).unwrap_err();
        assert_eq!(e.message(), "veterinary-drug trace code: day 31 is not valid for month 04 (01-30)");
    }

    #[test]
    fn pesticide_worked_example() {
        let (c, w) = parse_pesticide32("13001231001123456789012345678901", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::Pesticide);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [
                ("registration_class", "1"),
                ("registration", "300123"),
                ("production_type", "1"),
                ("specification", "001"),
                ("random", "123456789012345678901"),
            ]
        );
    }

    #[test]
    fn pesticide_errors() {
        assert_eq!(pest_err("43001231001123456789012345678901"), (ErrorKind::Value, 0, 1));
        assert_eq!(pest_err("13001230001123456789012345678901"), (ErrorKind::Value, 7, 1));
        assert_eq!(pest_err("1300123100112345678901234567890"), (ErrorKind::Length, 31, 0));
        assert_eq!(pest_err("13001231001123456789O12345678901"), (ErrorKind::Charset, 20, 1));
    }

    #[test]
    fn pre_filters() {
        assert!(looks_like_vet_drug24(b"202301151234598765432101"));
        assert!(!looks_like_vet_drug24(b"20230115123459876543210"));
        assert!(looks_like_pesticide32(b"13001231001123456789012345678901"));
        assert!(!looks_like_pesticide32(b"1300123100112345678901234567890X"));
    }

    proptest! {
        #[test]
        fn vet_round_trip(y in 1900u32..2100, m in 1u32..13, d in 1u32..29, ent in "[0-9]{5}", rnd in "[0-9]{11}") {
            let s = format!("{y:04}{m:02}{d:02}{ent}{rnd}");
            let (c, _) = parse_vet_drug24(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_vet_drug24(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn pesticide_round_trip(cls in 1u8..4, reg in "[0-9]{6}", ty in 1u8..4, rest in "[0-9]{24}") {
            let s = format!("{cls}{reg}{ty}{rest}");
            let (c, _) = parse_pesticide32(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_pesticide32(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_vet_drug24(&s, &R);
            let _ = parse_pesticide32(&s, &R);
        }
    }
}
