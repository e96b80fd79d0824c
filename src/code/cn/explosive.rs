//! Industrial-detonator shell codes (GA 441-2003 工业雷管编码通则, `codes.md` §6.7, layout from a secondary
//! source).
//!
//! The year is a single digit, so a shell code is unique only within ten years: the canonical identity needs
//! the decade from context (registration data, box label), which this parser cannot know.

use super::{CnRules, Parsed, ascii_text, case_folded, check_date, field, fixed, national, number};
use crate::code::{CheckStatus, Scheme};
use crate::{Error, ErrorKind};

const WHAT: &str = "detonator code";

/// Parses a 13-character detonator shell code: manufacturer (2, `01`–`99`) + last digit of the production year
/// (1) + month (2) + day (2) + feature code (1: a digit or one of [`CnRules::detonator_feature_letters`]) +
/// sequence (5). Fields: `manufacturer`, `year`, `month`, `day`, `feature`, `serial`. The day must exist in
/// the month; with the year's decade unknown, 29 February is accepted. No check character.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_detonator};
/// let (code, _) = parse_detonator("5360215A00001", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("feature"), Some("A"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a non-digit (or a feature character that is neither a digit nor an allowed
/// letter; lower case unless [`CnRules::detonator_fold_case`]); [`ErrorKind::Length`] for other than 13
/// characters; [`ErrorKind::Value`] for manufacturer `00`; [`ErrorKind::Date`] at an invalid month or day.
pub fn parse_detonator(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let letters = rules.detonator_feature_letters;
    let (d, folded) = fixed::<13>(input, WHAT, rules.detonator_fold_case, |i, b| {
        if b.is_ascii_digit() || (i == 7 && letters.contains(&b)) {
            Ok(())
        } else if i == 7 {
            Err("a digit or a feature letter (C, O, S, U, V, W, X, Z and lower case are not used)")
        } else {
            Err("a digit")
        }
    })?;
    if number(&d[0..2]) == 0 {
        return Err(Error::new(ErrorKind::Value, 0, 2, format!("{WHAT}: manufacturer code must be 01-99, found 00")));
    }
    check_date(None, &d[..7], 0, 3, WHAT)?;
    let fields = vec![
        field("manufacturer", 0, 2),
        field("year", 2, 3),
        field("month", 3, 5),
        field("day", 5, 7),
        field("feature", 7, 8),
        field("serial", 8, 13),
    ];
    let warnings = if folded { vec![case_folded(WHAT)] } else { Vec::new() };
    Ok((national(Scheme::Detonator, ascii_text(&d), fields, CheckStatus::None), warnings))
}

/// Cheap pre-filter: 13 ASCII characters, digits except position 8 (a digit or letter). An all-digit match is
/// also an EAN-13 shape (see the module docs on ambiguities).
pub fn looks_like_detonator(input: &[u8]) -> bool {
    input.len() == 13
        && input.iter().enumerate().all(|(i, b)| if i == 7 { b.is_ascii_alphanumeric() } else { b.is_ascii_digit() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_detonator(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn worked_example() {
        let (c, w) = parse_detonator("5360215A00001", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::Detonator);
        assert_eq!(c.check, CheckStatus::None);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [
                ("manufacturer", "53"),
                ("year", "6"),
                ("month", "02"),
                ("day", "15"),
                ("feature", "A"),
                ("serial", "00001")
            ]
        );
        // A numeric feature code: the EAN-13-shaped case.
        assert!(parse_detonator("5360215300001", &R).is_ok());
        // 29 February is accepted (the decade is unknown).
        assert!(parse_detonator("5360229A00001", &R).is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(err("0060215A00001"), (ErrorKind::Value, 0, 2));
        assert_eq!(err("5361315A00001"), (ErrorKind::Date, 3, 2));
        assert_eq!(err("5360015A00001"), (ErrorKind::Date, 3, 2));
        assert_eq!(err("5360230A00001"), (ErrorKind::Date, 5, 2));
        assert_eq!(err("5360431A00001"), (ErrorKind::Date, 5, 2));
        assert_eq!(err("5360200A00001"), (ErrorKind::Date, 5, 2));
        for bad in ["C", "O", "S", "U", "V", "W", "X", "Z", "a", "-"] {
            let s = format!("5360215{bad}00001");
            assert_eq!(err(&s), (ErrorKind::Charset, 7, 1), "{s}");
        }
        assert_eq!(err("5360215A0000"), (ErrorKind::Length, 12, 0));
        assert_eq!(err("5360215A000011"), (ErrorKind::Length, 13, 1));
        assert_eq!(err("53A0215A00001"), (ErrorKind::Charset, 2, 1));
    }

    #[test]
    fn fold_case_rule() {
        let rules = CnRules::DEFAULT.detonator_fold_case(true);
        let (c, w) = parse_detonator("5360215a00001", &rules).unwrap();
        assert_eq!(c.text, "5360215A00001");
        assert_eq!(w[0].code, "case_folded");
        // Folding does not admit an excluded letter.
        assert!(parse_detonator("5360215c00001", &rules).is_err());
        // A configured letter table.
        let rules = CnRules::DEFAULT.detonator_feature_letters(b"AB");
        assert!(parse_detonator("5360215B00001", &rules).is_ok());
        assert_eq!(parse_detonator("5360215D00001", &rules).unwrap_err().offset(), Some(7));
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_detonator(b"5360215A00001"));
        assert!(looks_like_detonator(b"5360215300001"));
        assert!(!looks_like_detonator(b"536021A300001"));
        assert!(!looks_like_detonator(b"5360215A0000"));
    }

    proptest! {
        #[test]
        fn round_trip(maker in 1u32..100, y in 0u32..10, m in 1u32..13, d in 1u32..29,
                      feat in "[0-9ABDEFGHIJKLMNPQRTY]", serial in "[0-9]{5}") {
            let s = format!("{maker:02}{y}{m:02}{d:02}{feat}{serial}");
            let (c, _) = parse_detonator(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert!(looks_like_detonator(s.as_bytes()));
            prop_assert_eq!(parse_detonator(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_detonator(&s, &R);
            let _ = looks_like_detonator(s.as_bytes());
        }
    }
}
