//! The unified social credit code (统一社会信用代码, GB 32100-2015, `codes.md` §6.11): the identity of the
//! enterprise behind a trace record. 18 characters with a MOD 31 check character.

use super::{Charset, CnRules, Parsed, ascii_text, case_folded, field, fixed, national};
use crate::code::check::mod31_check_char;
use crate::code::{CheckStatus, Scheme};
use crate::{Error, ErrorKind};

const WHAT: &str = "unified social credit code";

/// Parses an 18-character unified social credit code: registration authority (1) + entity type (1) + GB/T 2260
/// area (6) + organisation code (9) + MOD 31 check (1). Fields: `authority`, `entity_type`, `area`,
/// `organisation`, `check`. The check is always verified ([`CheckStatus::Verified`]). Lower-case letters are
/// read as upper case with the warning `case_folded`.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_credit_code};
/// let (code, _) = parse_credit_code("91350100M000100Y43", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("area"), Some("350100"));
/// let err = parse_credit_code("91350100M000100Y44", &CnRules::DEFAULT).unwrap_err();
/// assert_eq!((err.offset(), err.message()), (Some(17), "check character should be 3, found 4"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a character outside `0-9A-Z` without `I O S V Z`; [`ErrorKind::Length`] for other
/// than 18 characters; [`ErrorKind::CheckDigit`] at position 17 when the check character does not match.
pub fn parse_credit_code(input: &str, _rules: &CnRules) -> Result<Parsed, Error> {
    let (d, folded) =
        fixed::<18>(
            input,
            WHAT,
            true,
            |_, b| {
                if Charset::Uscc.allows(b) { Ok(()) } else { Err(Charset::Uscc.describe()) }
            },
        )?;
    let expected = mod31_check_char(&d[..17]).unwrap_or(b'?');
    if expected != d[17] {
        let msg = format!("check character should be {}, found {}", char::from(expected), char::from(d[17]));
        return Err(Error::new(ErrorKind::CheckDigit, 17, 1, msg));
    }
    let fields = vec![
        field("authority", 0, 1),
        field("entity_type", 1, 2),
        field("area", 2, 8),
        field("organisation", 8, 17),
        field("check", 17, 18),
    ];
    let warnings = if folded { vec![case_folded(WHAT)] } else { Vec::new() };
    Ok((national(Scheme::CreditCode, ascii_text(&d), fields, CheckStatus::Verified), warnings))
}

/// Cheap pre-filter: exactly 18 ASCII letters or digits.
pub fn looks_like_credit_code(input: &[u8]) -> bool {
    input.len() == 18 && input.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_credit_code(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn worked_example() {
        let (c, w) = parse_credit_code("91350100M000100Y43", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::CreditCode);
        assert_eq!(c.check, CheckStatus::Verified);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [
                ("authority", "9"),
                ("entity_type", "1"),
                ("area", "350100"),
                ("organisation", "M000100Y4"),
                ("check", "3")
            ]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(err("91350100M000100Y44"), (ErrorKind::CheckDigit, 17, 1));
        let e = parse_credit_code("91350100M000100Y44", &R).unwrap_err();
        assert_eq!(e.message(), "check character should be 3, found 4");
        // I O S V Z are not in the set, reported where they are.
        assert_eq!(err("91350100M0001I0Y43"), (ErrorKind::Charset, 13, 1));
        assert_eq!(err("O1350100M000100Y43"), (ErrorKind::Charset, 0, 1));
        assert_eq!(err("91350100M000100Y4Z"), (ErrorKind::Charset, 17, 1));
        assert_eq!(err("91350100M000100Y4"), (ErrorKind::Length, 17, 0));
        assert_eq!(err("91350100M000100Y433"), (ErrorKind::Length, 18, 1));
        assert_eq!(err("91350100M000100Y4-"), (ErrorKind::Charset, 17, 1));
        let e = parse_credit_code("91350100M0001I0Y43", &R).unwrap_err();
        assert_eq!(
            e.message(),
            "unified social credit code: position 14 must be a digit or an upper-case letter other than I, O, S, V, Z, \
             found 'I'"
        );
    }

    #[test]
    fn lower_case_folded_with_warning() {
        let (c, w) = parse_credit_code("91350100m000100y43", &R).unwrap();
        assert_eq!(c.text, "91350100M000100Y43");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "case_folded");
        // A folded lower-case excluded letter is still excluded.
        assert_eq!(err("91350100M0001i0Y43"), (ErrorKind::Charset, 13, 1));
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_credit_code(b"91350100M000100Y43"));
        assert!(!looks_like_credit_code(b"91350100M000100Y4"));
        assert!(!looks_like_credit_code(b"91350100M000100Y4-"));
    }

    proptest! {
        #[test]
        fn round_trip(body in "[0-9A-HJ-NP-RTUW-Y]{17}", lower in any::<bool>()) {
            let check = char::from(mod31_check_char(body.as_bytes()).unwrap());
            let s = format!("{body}{check}");
            let (c, w) = parse_credit_code(&s, &R).unwrap();
            prop_assert!(w.is_empty());
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(&parse_credit_code(&c.text, &R).unwrap().0, &c);
            if lower {
                prop_assert_eq!(parse_credit_code(&s.to_ascii_lowercase(), &R).unwrap().0, c);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = parse_credit_code(&s, &R);
            let _ = looks_like_credit_code(s.as_bytes());
        }
    }
}
