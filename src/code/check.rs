//! Check-digit toolkit: GS1 mod-10, the GS1 check-character pair, and the ISO 7064 / MOD 31 / Luhn family used
//! by national codes. Every function works on bytes and never panics.
//!
//! Sources: GS1 General Specifications §7.9 (mod-10), §7.9.5 (check-character pair); GB 32100-2015 (MOD 31);
//! ISO/IEC 7064. Worked examples in `reference/codes.md` §1.2, §1.4, §6.11.

/// GS1 mod-10 check digit over `body` (all digits except the check digit), as an ASCII digit.
/// Returns `None` if `body` holds a non-digit.
///
/// ```
/// use tracecode::code::check::gs1_check_digit;
/// assert_eq!(gs1_check_digit(b"950600013435"), Some(b'2'));
/// assert_eq!(gs1_check_digit(b"10614141073464".split_last().unwrap().1), Some(b'4'));
/// ```
pub fn gs1_check_digit(body: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    // The rightmost body digit has weight 3, alternating leftwards.
    for (i, &d) in body.iter().rev().enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        let v = u32::from(d - b'0');
        sum += if i % 2 == 0 { v * 3 } else { v };
    }
    // `sum % 10` is < 10, so the cast is lossless.
    #[allow(clippy::cast_possible_truncation, reason = "value is 0..=9")]
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// True if the last digit of `digits` is the correct GS1 mod-10 check digit of the rest.
///
/// ```
/// assert!(tracecode::code::check::gs1_check_valid(b"4006381333931"));
/// assert!(!tracecode::code::check::gs1_check_valid(b"6901234567893"));
/// ```
pub fn gs1_check_valid(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((&last, body)) if !body.is_empty() => gs1_check_digit(body) == Some(last),
        _ => false,
    }
}
