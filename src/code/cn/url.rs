//! URLs that wrap a code (`codes.md` §7): Chinese trace QR codes often hold `https://host/path?code=…` (also
//! `?c=`, `?id=`, `?traceCode=`) or put the code in the last path segment.

use super::MAX_INPUT;
use crate::code::bytes::find;

/// Query keys that carry a code, in order of preference (compared ASCII-case-insensitively).
const KEYS: [&[u8]; 4] = [b"code", b"c", b"id", b"tracecode"];

/// The parts of an `http(s)` URL, as byte ranges of the input.
pub(super) struct UrlParts {
    /// The host (with any port), without `//`.
    pub(super) host: (usize, usize),
    /// The path, from its leading `/` (empty range when there is none), up to `?` or `#`.
    pub(super) path: (usize, usize),
    /// The value of the first known query key, if non-empty.
    pub(super) query_code: Option<(usize, usize)>,
}

/// Whether `b` starts with `prefix`, ignoring ASCII case.
pub(super) fn starts_with_ci(b: &[u8], prefix: &[u8]) -> bool {
    b.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Splits an `http://` or `https://` URL (scheme case-insensitive) into host, path and known query value.
pub(super) fn parts(b: &[u8]) -> Option<UrlParts> {
    if b.len() > MAX_INPUT {
        return None;
    }
    let start = if starts_with_ci(b, b"https://") {
        8
    } else if starts_with_ci(b, b"http://") {
        7
    } else {
        return None;
    };
    let rest = b.get(start..)?;
    // The host ends at the first `/`, `?` or `#`.
    let slash_or_query = find(rest, b'/', b'?');
    let host_end = start + find(rest.get(..slash_or_query)?, b'#', b'#');
    if host_end == start {
        return None;
    }
    // The first `?` before the first `#` (the host holds neither), and that `#`.
    let after = b.get(host_end..)?;
    let first = host_end + find(after, b'?', b'#');
    let (query, frag) = if b.get(first) == Some(&b'?') {
        (Some(first), first + 1 + find(b.get(first + 1..)?, b'#', b'#'))
    } else {
        (None, first)
    };
    let path_end = query.unwrap_or(frag);
    // The value of the most preferred key present with a value; of equals, the first. One pass over the
    // parameters.
    let query_code = query.and_then(|q| {
        let mut best: Option<(usize, (usize, usize))> = None;
        for (s, e) in split(b, q + 1, frag, b'&') {
            let Some(p) = b.get(s..e) else { continue };
            let Some(eq) = p.iter().position(|&c| c == b'=') else { continue };
            let Some(name) = p.get(..eq) else { continue };
            let rank = KEYS.iter().position(|k| name.eq_ignore_ascii_case(k));
            if let Some(rank) = rank
                && s + eq + 1 < e
                && best.is_none_or(|(r, _)| rank < r)
            {
                best = Some((rank, (s + eq + 1, e)));
            }
        }
        best.map(|(_, range)| range)
    });
    Some(UrlParts { host: (start, host_end), path: (host_end, path_end), query_code })
}

/// Byte ranges of the `sep`-separated pieces of `b[start..end]`.
fn split(b: &[u8], start: usize, end: usize, sep: u8) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut pos = start;
    std::iter::from_fn(move || {
        if pos > end {
            return None;
        }
        let piece_end = b.get(pos..end).and_then(|s| s.iter().position(|&c| c == sep)).map_or(end, |p| pos + p);
        let range = (pos, piece_end);
        pos = piece_end + 1;
        Some(range)
    })
}

/// For a URL wrapping a code, the byte range of the candidate code inside `input`: the value of the first of
/// the query keys `code`, `c`, `id`, `traceCode` (keys compared case-insensitively) that is present and
/// non-empty; otherwise the last non-empty path segment; for a Handle resolver (`hdl.handle.net`) the whole
/// path, since a Handle contains `/`. Returns `None` for input that is not an `http(s)` URL or names no
/// candidate.
///
/// The range is raw: no percent-decoding is done. Trace codes are digits and letters (and `.` or `/` for MA
/// and Handle), which URLs carry unescaped; a percent-escaped value is returned as is and the scheme parser
/// then rejects the `%`. The caller keeps the URL as the raw form of the scan.
///
/// ```
/// use tracecode::code::cn::unwrap_url;
/// let url = "https://trace.example.cn/q?from=app&code=81234567890123456789#top";
/// let (start, end) = unwrap_url(url).unwrap();
/// assert_eq!(&url[start..end], "81234567890123456789");
/// let url = "http://m.example.cn/t/202301151234598765432101";
/// let (start, end) = unwrap_url(url).unwrap();
/// assert_eq!(&url[start..end], "202301151234598765432101");
/// ```
pub fn unwrap_url(input: &str) -> Option<(usize, usize)> {
    unwrap_url_bytes(input.as_bytes())
}

/// [`unwrap_url`] on bytes (the scan path's input).
pub(crate) fn unwrap_url_bytes(b: &[u8]) -> Option<(usize, usize)> {
    let p = parts(b)?;
    if let Some(range) = p.query_code {
        return Some(range);
    }
    let (ps, pe) = p.path;
    if b.get(p.host.0..p.host.1).is_some_and(|h| h.eq_ignore_ascii_case(b"hdl.handle.net")) {
        return (pe > ps + 1).then_some((ps + 1, pe));
    }
    split(b, ps, pe, b'/').filter(|(s, e)| e > s).last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inner(url: &str) -> Option<&str> {
        unwrap_url(url).map(|(s, e)| &url[s..e])
    }

    #[test]
    fn query_keys() {
        assert_eq!(inner("https://a.cn/x?code=81234567890123456789"), Some("81234567890123456789"));
        assert_eq!(inner("https://a.cn/x?c=5360215A00001&v=2"), Some("5360215A00001"));
        assert_eq!(inner("https://a.cn/?id=88.1000.2/abc"), Some("88.1000.2/abc"));
        assert_eq!(inner("HTTPS://a.cn/x?traceCode=MA.156.M0.100761.21234561"), Some("MA.156.M0.100761.21234561"));
        // Preference order, not position order.
        assert_eq!(inner("http://a.cn/x?id=1&code=2"), Some("2"));
        // An empty value is skipped; the last path segment is used instead.
        assert_eq!(inner("http://a.cn/t/123?code=&x=1"), Some("123"));
        // Fragment ends the query.
        assert_eq!(inner("http://a.cn/t?code=42#code=43"), Some("42"));
        // A key that merely ends in "c" does not match.
        assert_eq!(inner("http://a.cn/t/9?abc=1"), Some("9"));
    }

    #[test]
    fn path_segments() {
        assert_eq!(inner("http://a.cn/t/202301151234598765432101"), Some("202301151234598765432101"));
        assert_eq!(inner("http://a.cn/t/202301151234598765432101/"), Some("202301151234598765432101"));
        assert_eq!(inner("https://hdl.handle.net/88.1000.2/abc"), Some("88.1000.2/abc"));
        assert_eq!(inner("http://a.cn"), None);
        assert_eq!(inner("http://a.cn/"), None);
        assert_eq!(inner("http:///x"), None);
        assert_eq!(inner("ftp://a.cn/x"), None);
        assert_eq!(inner("81234567890123456789"), None);
    }

    proptest! {
        #[test]
        fn wrapped_code_found(code in "[0-9A-Z]{1,40}", key in proptest::sample::select(vec!["code", "c", "id", "traceCode"]),
                              in_query in any::<bool>()) {
            let url = if in_query {
                format!("https://trace.example.cn/q?x=1&{key}={code}")
            } else {
                format!("https://trace.example.cn/q/{code}")
            };
            prop_assert_eq!(inner(&url), Some(code.as_str()));
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}", t in "https?://[a-z./?&=#%]{0,40}") {
            for u in [&s, &t] {
                if let Some((a, b)) = unwrap_url(u) {
                    prop_assert!(a <= b && b <= u.len());
                    prop_assert!(u.get(a..b).is_some());
                }
            }
        }
    }
}
