//! Hexadecimal digits and `%HH` escapes, one home for the crate: ids and hashes print as lower-case hex, key
//! text and Digital Link URIs escape bytes outside RFC 3986's unreserved set as `%HH` (upper case, RFC 3986
//! §2.1), and the parsers read hex digits one at a time so their errors can point at the faulty character.
//! Small enough that a crate would not pay for itself; the parsers' per-digit reads are not what hex crates
//! expose.

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(DIGITS.get(usize::from(nibble)).map_or('0', |&d| char::from(d)));
        }
    }
    s
}

/// The value of one hex digit (either case).
pub(crate) const fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986's unreserved characters: written as they are in a URI.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `v` percent-encoded: every byte outside the RFC 3986 unreserved set as `%HH`, upper-case hex.
pub(crate) fn percent_encode_into(out: &mut String, v: &str) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut rest = v;
    // Copy runs of unreserved characters whole; escape the character that ends each run, byte by byte.
    while !rest.is_empty() {
        let run = rest.bytes().position(|b| !is_unreserved(b)).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, ""));
        out.push_str(plain);
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            let mut utf8 = [0u8; 4];
            for &b in c.encode_utf8(&mut utf8).as_bytes() {
                out.push('%');
                for nibble in [b >> 4, b & 0x0F] {
                    out.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
                }
            }
        }
        rest = chars.as_str();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_and_digits_agree() {
        assert_eq!(encode(&[0x00, 0x9f, 0xff]), "009fff");
        for b in 0..=255u8 {
            let text = encode(&[b]);
            let t = text.as_bytes();
            assert_eq!(digit(t[0]).zip(digit(t[1])).map(|(h, l)| h << 4 | l), Some(b));
            assert_eq!(digit(t[0].to_ascii_uppercase()), digit(t[0]));
        }
        assert_eq!(digit(b'g'), None);
    }

    #[test]
    fn percent_encoding_keeps_exactly_the_unreserved_set() {
        let mut s = String::new();
        percent_encode_into(&mut s, "a-Z_0.~ /%é");
        assert_eq!(s, "a-Z_0.~%20%2F%25%C3%A9");
        for b in 0..128u8 {
            let c = char::from(b);
            let mut s = String::new();
            percent_encode_into(&mut s, c.encode_utf8(&mut [0; 4]));
            assert_eq!(s.len() == 1, c.is_ascii_alphanumeric() || "-._~".contains(c), "{c:?}");
        }
    }
}
