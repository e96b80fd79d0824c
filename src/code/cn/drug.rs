//! China's 20-digit drug traceability code (药品追溯码, `codes.md` §6.1): product (7) + unit serial (9) +
//! 4 check digits whose algorithm is not public.

use super::{CnRules, Parsed, charset_error, field, national};
use crate::code::{CheckStatus, Scheme, Warning};
use crate::{Error, ErrorKind};

const WHAT: &str = "drug trace code";
const LEN: usize = 20;

/// Parses a 20-digit drug traceability code. Spaces and dashes that group digits (printed HRI such as
/// `8123 4567 8901 2345 6789`) are removed; each must sit between two digits.
///
/// The last 4 digits are check digits only the NMPA platform can verify: [`CheckStatus::NotVerifiableOffline`].
/// A leading digit other than `8` is an error, or the warning `drug20_no_leading_8` when
/// [`CnRules::drug20_require_leading_8`] is off.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_drug20};
/// let (code, _) = parse_drug20("8123 4567 8901 2345 6789", &CnRules::DEFAULT)?;
/// assert_eq!(code.text, "81234567890123456789");
/// assert_eq!(code.field("serial"), Some("789012345"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a character that is not a digit, space or dash; [`ErrorKind::Syntax`] at a
/// separator that does not sit between two digits; [`ErrorKind::Length`] for other than 20 digits;
/// [`ErrorKind::Value`] at the first digit when it is not `8` and the rule requires it.
pub fn parse_drug20(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let bytes = input.as_bytes();
    let mut digits = [0u8; LEN];
    let mut n = 0usize;
    let mut prev_digit = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            let Some(slot) = digits.get_mut(n) else {
                let found = bytes.iter().filter(|b| b.is_ascii_digit()).count();
                let msg = format!("{WHAT} needs {LEN} digits, found {found}");
                return Err(Error::new(ErrorKind::Length, i, bytes.len() - i, msg));
            };
            *slot = b;
            n += 1;
            prev_digit = true;
        } else if b == b' ' || b == b'-' {
            if !prev_digit || !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                let msg = format!("{WHAT}: a space or dash may only separate two digits");
                return Err(Error::new(ErrorKind::Syntax, i, 1, msg));
            }
            prev_digit = false;
        } else {
            return Err(charset_error(input, i, WHAT, "a digit"));
        }
    }
    if n < LEN {
        return Err(Error::new(ErrorKind::Length, bytes.len(), 0, format!("{WHAT} needs {LEN} digits, found {n}")));
    }
    let mut warnings = Vec::new();
    let [lead, ..] = digits;
    if lead != b'8' {
        let msg = format!("{WHAT} should start with 8, found {}", char::from(lead));
        if rules.drug20_require_leading_8 {
            // Separators never lead, so the first digit is at byte 0.
            return Err(Error::new(ErrorKind::Value, 0, 1, msg));
        }
        warnings.push(Warning::new("drug20_no_leading_8", msg));
    }
    let fields = vec![field("product", 0, 7), field("serial", 7, 16), field("check", 16, 20)];
    let text = String::from_utf8(digits.to_vec()).unwrap_or_default();
    Ok((national(Scheme::CnDrug20, text, fields, CheckStatus::NotVerifiableOffline), warnings))
}

/// Cheap pre-filter: 20 digits, optionally grouped by spaces or dashes (at most 39 bytes). Does not look at the
/// leading digit (that is a rule; see [`CnRules::drug20_require_leading_8`]).
pub fn looks_like_drug20(input: &[u8]) -> bool {
    (LEN..2 * LEN).contains(&input.len())
        && input.iter().all(|&b| b.is_ascii_digit() || b == b' ' || b == b'-')
        && input.iter().filter(|b| b.is_ascii_digit()).count() == LEN
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_drug20(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn worked_example() {
        let (c, w) = parse_drug20("81234567890123456789", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::CnDrug20);
        assert_eq!(c.text, "81234567890123456789");
        assert_eq!(c.check, CheckStatus::NotVerifiableOffline);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("product", "8123456"), ("serial", "789012345"), ("check", "6789")]);
    }

    #[test]
    fn grouping_removed() {
        let plain = parse_drug20("81234567890123456789", &R).unwrap();
        assert_eq!(parse_drug20("8123 4567 8901 2345 6789", &R).unwrap(), plain);
        assert_eq!(parse_drug20("81234-5678901-234567-89", &R).unwrap(), plain);
    }

    #[test]
    fn errors() {
        assert_eq!(err("8123456789012345678"), (ErrorKind::Length, 19, 0));
        assert_eq!(err("812345678901234567890"), (ErrorKind::Length, 20, 1));
        assert_eq!(err("8123456789012345678X"), (ErrorKind::Charset, 19, 1));
        assert_eq!(err("71234567890123456789"), (ErrorKind::Value, 0, 1));
        assert_eq!(err(" 81234567890123456789"), (ErrorKind::Syntax, 0, 1));
        assert_eq!(err("8123  4567890123456789"), (ErrorKind::Syntax, 4, 1));
        assert_eq!(err("81234567890123456789-"), (ErrorKind::Syntax, 20, 1));
        // A full-width digit from a Chinese input method is underlined whole (3 bytes).
        assert_eq!(err("８1234567890123456789"), (ErrorKind::Charset, 0, 3));
        assert_eq!(err(""), (ErrorKind::Length, 0, 0));
        let e = parse_drug20("71234567890123456789", &R).unwrap_err();
        assert_eq!(e.message(), "drug trace code should start with 8, found 7");
    }

    #[test]
    fn leading_8_rule_off() {
        let rules = CnRules::DEFAULT.drug20_require_leading_8(false);
        let (c, w) = parse_drug20("71234567890123456789", &rules).unwrap();
        assert_eq!(c.field("product"), Some("7123456"));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].code, "drug20_no_leading_8");
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_drug20(b"81234567890123456789"));
        assert!(looks_like_drug20(b"8123 4567 8901 2345 6789"));
        assert!(!looks_like_drug20(b"8123456789012345678"));
        assert!(!looks_like_drug20(b"8123456789012345678A"));
    }

    proptest! {
        #[test]
        fn round_trip(body in "[0-9]{19}", seps in proptest::collection::vec(0u8..3, 19)) {
            let plain = format!("8{body}");
            let (c, _) = parse_drug20(&plain, &R).unwrap();
            prop_assert_eq!(&c.text, &plain);
            prop_assert_eq!(&parse_drug20(&c.text, &R).unwrap().0, &c);
            // Grouped printing reads back to the same code.
            let mut grouped = String::new();
            for (i, ch) in plain.chars().enumerate() {
                grouped.push(ch);
                match seps.get(i) {
                    Some(1) => grouped.push(' '),
                    Some(2) => grouped.push('-'),
                    _ => {}
                }
            }
            prop_assert!(looks_like_drug20(grouped.as_bytes()));
            prop_assert_eq!(parse_drug20(&grouped, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_drug20(&s, &R);
            let _ = looks_like_drug20(s.as_bytes());
        }
    }
}
