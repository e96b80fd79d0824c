//! Handle identifiers (RFC 3650/3651) and China's industrial-internet identifiers (IDIS) built on them
//! (`codes.md` §6.4): `{naming authority}/{local name}`, national prefix `88`.

use super::url::{parts, starts_with_ci};
use super::{CnRules, MAX_INPUT, Parsed, charset_error, field, national};
use crate::code::{CheckStatus, NationalCode, Scheme};
use crate::{Error, ErrorKind};

const WHAT: &str = "Handle";

/// Parses a Handle `prefix/suffix`, also wrapped as `hdl:…`, as a Handle-resolver URL
/// (`https://hdl.handle.net/…`, or any `http(s)` resolver whose path is the Handle) or in a resolver query
/// (`?id=…`, `?code=…`; see [`super::unwrap_url`]). The Handle splits at the **first** `/`; the prefix (naming
/// authority: dot-separated segments of letters, digits, `-`, `_`) is ASCII-lower-cased, the suffix (any
/// visible characters, further `/` included) keeps its case — its case handling is service-defined
/// (`codes.md` §6.4). Fields: `prefix`, `suffix`. No check character. See [`is_national_idis`].
///
/// ```
/// use tracecode::code::cn::{CnRules, is_national_idis, parse_handle};
/// let (code, _) = parse_handle("hdl:88.1000.2/ABC/x", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("prefix"), Some("88.1000.2"));
/// assert_eq!(code.field("suffix"), Some("ABC/x"));
/// assert!(is_national_idis(&code));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Syntax`] for a missing `/`, an empty prefix, prefix segment or suffix; [`ErrorKind::Charset`]
/// at a character the prefix or suffix does not allow; [`ErrorKind::Length`] over [`MAX_INPUT`] bytes.
pub fn parse_handle(input: &str, _rules: &CnRules) -> Result<Parsed, Error> {
    let b = input.as_bytes();
    if b.len() > MAX_INPUT {
        return Err(Error::new(ErrorKind::Length, MAX_INPUT, b.len() - MAX_INPUT, format!("{WHAT} is too long")));
    }
    // The Handle's byte range in the input.
    let (start, end) = if starts_with_ci(b, b"hdl:") {
        (4, b.len())
    } else if let Some(url) = parts(input.as_bytes()) {
        // A resolver query wins; otherwise the path (without its leading '/') is the Handle.
        url.query_code.unwrap_or((url.path.0.saturating_add(1).min(url.path.1), url.path.1))
    } else {
        (0, b.len())
    };
    let core = b.get(start..end).unwrap_or_default();
    let Some(slash) = core.iter().position(|&c| c == b'/').map(|p| start + p) else {
        return Err(Error::new(ErrorKind::Syntax, end, 0, format!("{WHAT} needs prefix/suffix: '/' is missing")));
    };
    if slash == start {
        return Err(Error::new(ErrorKind::Syntax, start, 0, format!("{WHAT}: the prefix before '/' is empty")));
    }
    let mut seg_start = start;
    for (i, &c) in b.iter().enumerate().take(slash).skip(start) {
        if c == b'.' {
            if i == seg_start {
                return Err(Error::new(ErrorKind::Syntax, i, 1, format!("{WHAT}: empty segment in the prefix")));
            }
            seg_start = i + 1;
        } else if !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
            return Err(charset_error(input, i, WHAT, "a letter, digit, '-', '_' or '.' in the prefix"));
        }
    }
    if seg_start == slash {
        return Err(Error::new(ErrorKind::Syntax, slash, 0, format!("{WHAT}: empty segment in the prefix")));
    }
    if slash + 1 == end {
        return Err(Error::new(ErrorKind::Syntax, end, 0, format!("{WHAT}: the suffix after '/' is empty")));
    }
    let suffix = input.get(slash + 1..end).unwrap_or_default();
    if let Some((i, _)) = suffix.char_indices().find(|(_, c)| c.is_control() || c.is_whitespace()) {
        return Err(charset_error(input, slash + 1 + i, WHAT, "a visible character in the suffix"));
    }
    let prefix = input.get(start..slash).unwrap_or_default();
    let mut text = String::with_capacity(end - start);
    text.push_str(prefix);
    text.make_ascii_lowercase();
    text.push('/');
    text.push_str(suffix);
    let p = slash - start;
    let fields = vec![field("prefix", 0, p), field("suffix", p + 1, text.len())];
    Ok((national(Scheme::Handle, text, fields, CheckStatus::None), Vec::new()))
}

/// Whether a parsed Handle is under China's national top-level prefix `88` (an industrial-internet IDIS
/// identifier): its prefix is `88` or starts with `88.`.
///
/// ```
/// use tracecode::code::cn::{CnRules, is_national_idis, parse_handle};
/// assert!(is_national_idis(&parse_handle("88.1000.2/abc", &CnRules::DEFAULT)?.0));
/// assert!(!is_national_idis(&parse_handle("880.1/abc", &CnRules::DEFAULT)?.0));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn is_national_idis(code: &NationalCode) -> bool {
    code.scheme == Scheme::Handle && code.field("prefix").is_some_and(|p| p == "88" || p.starts_with("88."))
}

/// Cheap pre-filter: `hdl:…`, a `hdl.handle.net` URL, or a bare `prefix/suffix` whose prefix is letters,
/// digits, `.`, `-`, `_` and starts with a digit (Handle prefixes are numeric: `88.…`, `20.500.…`), with no
/// whitespace, at most [`MAX_INPUT`] bytes.
pub fn looks_like_handle(input: &[u8]) -> bool {
    if input.len() > MAX_INPUT || input.iter().any(|c| c.is_ascii_whitespace() || c.is_ascii_control()) {
        return false;
    }
    if starts_with_ci(input, b"hdl:")
        || starts_with_ci(input, b"https://hdl.handle.net/")
        || starts_with_ci(input, b"http://hdl.handle.net/")
    {
        return true;
    }
    let Some(slash) = input.iter().position(|&c| c == b'/') else {
        return false;
    };
    slash + 1 < input.len()
        && input.first().is_some_and(u8::is_ascii_digit)
        && input.iter().take(slash).all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_handle(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn worked_example() {
        let (c, w) = parse_handle("88.1000.2/abc", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::Handle);
        assert_eq!(c.check, CheckStatus::None);
        assert_eq!(c.text, "88.1000.2/abc");
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("prefix", "88.1000.2"), ("suffix", "abc")]);
        assert!(is_national_idis(&c));
    }

    #[test]
    fn wrappers_and_case() {
        let plain = parse_handle("88.1000.2/abc", &R).unwrap();
        assert_eq!(parse_handle("hdl:88.1000.2/abc", &R).unwrap(), plain);
        assert_eq!(parse_handle("HDL:88.1000.2/abc", &R).unwrap(), plain);
        assert_eq!(parse_handle("https://hdl.handle.net/88.1000.2/abc", &R).unwrap(), plain);
        assert_eq!(parse_handle("https://hdl.handle.net/88.1000.2/abc?noredirect", &R).unwrap(), plain);
        assert_eq!(parse_handle("https://id.example.cn/resolve?id=88.1000.2/abc", &R).unwrap(), plain);
        // The prefix is case-insensitive, the suffix keeps its case.
        let (c, _) = parse_handle("88.ABC.2/XyZ", &R).unwrap();
        assert_eq!(c.text, "88.abc.2/XyZ");
        // Only the first '/' splits.
        let (c, _) = parse_handle("20.500.12345/a/b/c", &R).unwrap();
        assert_eq!(c.field("suffix"), Some("a/b/c"));
        assert!(!is_national_idis(&c));
        assert!(is_national_idis(&parse_handle("88/x", &R).unwrap().0));
        // UTF-8 suffix.
        assert_eq!(parse_handle("88.1/批次1", &R).unwrap().0.field("suffix"), Some("批次1"));
    }

    #[test]
    fn errors() {
        assert_eq!(err("88.1000.2"), (ErrorKind::Syntax, 9, 0));
        assert_eq!(err("/abc"), (ErrorKind::Syntax, 0, 0));
        assert_eq!(err("88..2/abc"), (ErrorKind::Syntax, 3, 1));
        assert_eq!(err(".88/abc"), (ErrorKind::Syntax, 0, 1));
        assert_eq!(err("88./abc"), (ErrorKind::Syntax, 3, 0));
        assert_eq!(err("88.1000.2/"), (ErrorKind::Syntax, 10, 0));
        assert_eq!(err("88 1/abc"), (ErrorKind::Charset, 2, 1));
        assert_eq!(err("88.1/ab c"), (ErrorKind::Charset, 7, 1));
        // Offsets are in the wrapped input.
        assert_eq!(err("hdl:88..2/abc"), (ErrorKind::Syntax, 7, 1));
        assert_eq!(err("https://hdl.handle.net/88.1000.2"), (ErrorKind::Syntax, 32, 0));
        assert_eq!(err(""), (ErrorKind::Syntax, 0, 0));
    }

    #[test]
    fn pre_filter() {
        assert!(looks_like_handle(b"88.1000.2/abc"));
        assert!(looks_like_handle(b"hdl:88.1000.2/abc"));
        assert!(!looks_like_handle(b"88.1000.2"));
        assert!(!looks_like_handle(b"MA.156.1003.1629/60.10000000.2/"));
        assert!(!looks_like_handle(b"88.1/a b"));
    }

    proptest! {
        #[test]
        fn round_trip(segs in proptest::collection::vec("[0-9A-Za-z_-]{1,8}", 1..5), suffix in "[!-~]{1,30}",
                      wrap in 0u8..3) {
            let prefix = format!("88.{}", segs.join("."));
            let raw = format!("{prefix}/{suffix}");
            let input = match wrap {
                0 => raw.clone(),
                1 => format!("hdl:{raw}"),
                _ => format!("https://hdl.handle.net/{raw}"),
            };
            // A '?' or '#' in the suffix would start a URL query or fragment.
            prop_assume!(wrap < 2 || !suffix.contains(['?', '#']));
            let (c, _) = parse_handle(&input, &R).unwrap();
            prop_assert_eq!(&c.text, &format!("{}/{suffix}", prefix.to_ascii_lowercase()));
            prop_assert!(is_national_idis(&c));
            prop_assert_eq!(parse_handle(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            let _ = parse_handle(&s, &R);
            let _ = looks_like_handle(s.as_bytes());
        }
    }
}
