//! Ecode (GB/T 31866 物联网标识体系 物品编码 Ecode, `codes.md` §6.3): version (1 digit) + numbering-scheme
//! identifier (NSI) + master data (MD). The version table is configurable ([`CnRules::ecode_versions`]).

use super::{Charset, CnRules, MAX_INPUT, Parsed, charset_error, field, national};
use crate::code::{CheckStatus, Scheme};
use crate::{Error, ErrorKind};

const WHAT: &str = "Ecode";

/// Parses an Ecode by the configured version table (default [`super::DEFAULT_ECODE_VERSIONS`]: V1 4-digit NSI +
/// up to 20 digits; V2 4-digit NSI + up to 28 digits/upper-case letters; V3 5-digit NSI + up to 39 printable
/// ASCII characters; V4 5-digit NSI + UTF-8). Fields: `version`, `nsi`, `md`. No check character; the text is
/// kept as read.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_ecode};
/// let (code, _) = parse_ecode("100641234567890", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("nsi"), Some("0064"));
/// assert_eq!(code.field("md"), Some("1234567890"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a non-digit version or NSI character or a master-data character the version does
/// not allow; [`ErrorKind::Unsupported`] for a version digit not in the table; [`ErrorKind::Length`] for a
/// short NSI, empty or over-long master data, or an input over [`MAX_INPUT`] bytes.
pub fn parse_ecode(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let b = input.as_bytes();
    if b.len() > MAX_INPUT {
        return Err(Error::new(ErrorKind::Length, MAX_INPUT, b.len() - MAX_INPUT, format!("{WHAT} is too long")));
    }
    let Some(&v) = b.first() else {
        return Err(Error::new(ErrorKind::Length, 0, 0, format!("{WHAT} is empty")));
    };
    if !v.is_ascii_digit() {
        return Err(charset_error(input, 0, WHAT, "a version digit"));
    }
    let Some(ver) = rules.ecode_versions.iter().find(|e| e.version == v - b'0') else {
        let msg = format!("{WHAT} version {} is not in the configured version table", char::from(v));
        return Err(Error::new(ErrorKind::Unsupported, 0, 1, msg));
    };
    let md_start = 1 + usize::from(ver.nsi_len);
    for i in 1..md_start {
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => {}
            Some(_) => return Err(charset_error(input, i, WHAT, "a digit of the numbering-scheme identifier")),
            None => {
                let msg =
                    format!("{WHAT} V{}: the numbering-scheme identifier needs {} digits", ver.version, ver.nsi_len);
                return Err(Error::new(ErrorKind::Length, b.len(), 0, msg));
            }
        }
    }
    let md_len = b.len() - md_start;
    if md_len == 0 {
        return Err(Error::new(ErrorKind::Length, b.len(), 0, format!("{WHAT}: the master data is missing")));
    }
    if ver.charset == Charset::Utf8 {
        let md = input.get(md_start..).unwrap_or_default();
        if let Some((i, _)) = md.char_indices().find(|(_, c)| c.is_control() || c.is_whitespace()) {
            return Err(charset_error(input, md_start + i, WHAT, Charset::Utf8.describe()));
        }
    } else if let Some(i) = b.iter().skip(md_start).position(|&c| !ver.charset.allows(c)) {
        return Err(charset_error(input, md_start + i, WHAT, ver.charset.describe()));
    }
    let max = usize::from(ver.md_max);
    if max != 0 && md_len > max {
        let msg = format!("{WHAT} V{}: master data has at most {max} characters, found {md_len}", ver.version);
        return Err(Error::new(ErrorKind::Length, md_start + max, md_len - max, msg));
    }
    let fields = vec![field("version", 0, 1), field("nsi", 1, md_start), field("md", md_start, b.len())];
    Ok((national(Scheme::Ecode, input.to_owned(), fields, CheckStatus::None), Vec::new()))
}

/// Cheap pre-filter: a version digit, four more digits (every default NSI starts with 4 digits), at least one
/// more character, no ASCII whitespace or control character, at most [`MAX_INPUT`] bytes.
pub fn looks_like_ecode(input: &[u8]) -> bool {
    (6..=MAX_INPUT).contains(&input.len())
        && input.iter().take(5).all(u8::is_ascii_digit)
        && !input.iter().any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::cn::EcodeVersion;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_ecode(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn versions() {
        let (c, w) = parse_ecode("100641234567890", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::Ecode);
        assert_eq!(c.check, CheckStatus::None);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("version", "1"), ("nsi", "0064"), ("md", "1234567890")]);
        let (c, _) = parse_ecode("20128ABC123", &R).unwrap();
        assert_eq!(c.field("md"), Some("ABC123"));
        let (c, _) = parse_ecode("300121a-b/c", &R).unwrap();
        assert_eq!(c.field("nsi"), Some("00121"));
        assert_eq!(c.field("md"), Some("a-b/c"));
        let (c, _) = parse_ecode("400001批次", &R).unwrap();
        assert_eq!(c.field("md"), Some("批次"));
        // V1 maximum: 25 characters.
        assert!(parse_ecode("1006412345678901234567890", &R).is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(err("10064123456789012345678901"), (ErrorKind::Length, 25, 1));
        assert_eq!(err("1006412345A"), (ErrorKind::Charset, 10, 1));
        assert_eq!(err("20128abc"), (ErrorKind::Charset, 5, 1));
        assert_eq!(err("30012 1"), (ErrorKind::Charset, 5, 1));
        assert_eq!(err("400001批 次"), (ErrorKind::Charset, 9, 1));
        assert_eq!(err("00064123"), (ErrorKind::Unsupported, 0, 1));
        assert_eq!(err("X0064123"), (ErrorKind::Charset, 0, 1));
        assert_eq!(err("10A64123"), (ErrorKind::Charset, 2, 1));
        assert_eq!(err("100"), (ErrorKind::Length, 3, 0));
        assert_eq!(err("10064"), (ErrorKind::Length, 5, 0));
        assert_eq!(err(""), (ErrorKind::Length, 0, 0));
    }

    #[test]
    fn configured_table() {
        static TABLE: [EcodeVersion; 1] =
            [EcodeVersion { version: 5, nsi_len: 2, md_max: 3, charset: Charset::Digits }];
        let rules = CnRules::DEFAULT.ecode_versions(&TABLE);
        assert_eq!(parse_ecode("512123", &rules).unwrap().0.field("nsi"), Some("12"));
        assert_eq!(parse_ecode("100641", &rules).unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_ecode(b"100641234567890"));
        assert!(!looks_like_ecode(b"10064"));
        assert!(!looks_like_ecode(b"1006A12"));
    }

    proptest! {
        #[test]
        fn round_trip(v in 1u8..5, nsi in "[0-9]{5}", md1 in "[0-9]{1,20}", md2 in "[0-9A-Z]{1,28}",
                      md3 in "[!-~]{1,39}", md4 in "[^\\p{C}\\s]{1,20}") {
            let s = match v {
                1 => format!("1{}{md1}", &nsi[..4]),
                2 => format!("2{}{md2}", &nsi[..4]),
                3 => format!("3{nsi}{md3}"),
                _ => format!("4{nsi}{md4}"),
            };
            let (c, _) = parse_ecode(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_ecode(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = parse_ecode(&s, &R);
            let _ = looks_like_ecode(s.as_bytes());
        }
    }
}
