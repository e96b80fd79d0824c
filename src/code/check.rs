//! Check-digit toolkit: GS1 mod-10, the GS1 check-character pair, and the ISO 7064 / MOD 31 / Luhn family used
//! by national codes. Every function works on bytes and never panics.
//!
//! Sources: GS1 General Specifications §7.9 (mod-10), §7.9.5 (check-character pair); GB 32100-2015 (MOD 31);
//! ISO/IEC 7064. Worked examples in `reference/codes.md` §1.2, §1.4, §6.11.
//!
//! # Example
//! ```
//! use tracecode::code::check::{gs1_check_digit, gs1_check_valid, mod31_check_char};
//!
//! // Complete a GTIN-13 body with its check digit, then verify whole numbers.
//! assert_eq!(gs1_check_digit(b"950600013435"), Some(b'2'));
//! assert!(gs1_check_valid(b"9506000134352"));
//! assert!(!gs1_check_valid(b"9506000134353"));
//! // The 18th character of a unified social credit code is a MOD 31 check character.
//! assert_eq!(mod31_check_char(b"91350100M000100Y4"), Some(b'3'));
//! // A byte outside the alphabet gives `None`, never a panic.
//! assert_eq!(gs1_check_digit(b"95060001343X"), None);
//! ```

/// GS1 mod-10 check digit over `body` (all digits except the check digit), as an ASCII digit.
/// Returns `None` if `body` holds a non-digit.
///
/// ```
/// use tracecode::code::check::gs1_check_digit;
/// assert_eq!(gs1_check_digit(b"950600013435"), Some(b'2'));
/// assert_eq!(gs1_check_digit(b"10614141073464".split_last().unwrap().1), Some(b'4'));
/// ```
pub fn gs1_check_digit(body: &[u8]) -> Option<u8> {
    // Every GTIN and SSCC of every scan passes here, so eight digits per step from the right: an 8-byte word
    // is tested for digits as `lint::all_digits` does, and its bytes at odd offsets (weight 3: an even distance
    // from the word's right end, which is an even distance from the body's) and at even offsets (weight 1) are
    // summed with one multiplication each. The at most seven digits left over at the front take the pair loop.
    const LO: u64 = 0x00FF_00FF_00FF_00FF;
    let lanes = |m: u64| u32::try_from(m.wrapping_mul(0x0001_0001_0001_0001) >> 48).unwrap_or(u32::MAX);
    let mut words = body.rchunks_exact(8);
    let (mut sum, mut bad) = (0u32, false);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        bad |= x & 0xF0F0_F0F0_F0F0_F0F0 != 0x3030_3030_3030_3030
            || (x + 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 != 0x3030_3030_3030_3030;
        let v = x & 0x0F0F_0F0F_0F0F_0F0F;
        sum += 3 * lanes((v >> 8) & LO) + lanes(v & LO);
    }
    let v = |d: u8| d.wrapping_sub(b'0');
    let mut pairs = words.remainder().rchunks_exact(2);
    for p in &mut pairs {
        if let &[a, b] = p {
            let (a, b) = (v(a), v(b));
            bad |= a.max(b) > 9;
            sum += u32::from(a) + 3 * u32::from(b);
        }
    }
    // An odd body leaves its first digit, which has weight 3 (an even distance from the right end).
    if let Some(&a) = pairs.remainder().first() {
        bad |= v(a) > 9;
        sum += 3 * u32::from(v(a));
    }
    if bad {
        return None;
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
    // Nine to sixteen digits (every GTIN, the keys of most scans) take two overlapping words and no loop.
    if (9..=16).contains(&digits.len()) && crate::code::gs1::lint::all_digits(digits) {
        return mod10_two_words(digits);
    }
    match digits.split_last() {
        Some((&last, body)) if !body.is_empty() => gs1_check_digit(body) == Some(last),
        _ => false,
    }
}

/// The GS1 mod-10 test of 9 to 16 ASCII digits (check digit last; the caller checked both): weights 1, 3, 1,
/// ... from the right make the total a multiple of ten exactly when the last digit is the check digit of the
/// rest. The first eight digits make one word, and the last eight another with the bytes the first word
/// already holds masked off.
fn mod10_two_words(v: &[u8]) -> bool {
    const LO: u64 = 0x00FF_00FF_00FF_00FF;
    // The sum of bytes 0, 2, 4, 6 of a word whose bytes are at most 9.
    let even = |x: u64| (x & LO).wrapping_mul(0x0001_0001_0001_0001) >> 48;
    let n = v.len();
    let (Some(a), Some(b)) = (v.first_chunk::<8>(), v.last_chunk::<8>()) else { return false };
    let a = u64::from_le_bytes(*a) & 0x0F0F_0F0F_0F0F_0F0F;
    // Byte k of the last word is digit n - 8 + k; its first 16 - n bytes are the first word's.
    let b = (u64::from_le_bytes(*b) & 0x0F0F_0F0F_0F0F_0F0F) >> (8 * (16 - n)) << (8 * (16 - n));
    // Weight 3 falls on digits an odd distance from the last: in the last word on even k, in the first on the
    // k of n's parity.
    let (a3, a1) = if n.is_multiple_of(2) { (even(a), even(a >> 8)) } else { (even(a >> 8), even(a)) };
    let sum = 3 * (a3 + even(b)) + a1 + even(b >> 8);
    sum.is_multiple_of(10)
}

/// The value of a GB 32100 MOD 31 symbol: `0`–`9` = 0–9, then `A`–`Y` without `I O S V Z` = 10–30.
pub(crate) const fn mod31_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'H' => Some(b - b'A' + 10),
        b'J'..=b'N' => Some(b - b'J' + 18),
        b'P'..=b'R' => Some(b - b'P' + 23),
        b'T' | b'U' => Some(b - b'T' + 26),
        b'W'..=b'Y' => Some(b - b'W' + 28),
        _ => None,
    }
}

/// The GB 32100 symbol set, in value order.
const MOD31_SET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100-2015 MOD 31 check character (unified social credit code) over `body`, as an ASCII character of
/// `0123456789ABCDEFGHJKLMNPQRTUWXY`. The weight of the character at 0-based position *i* is 3^*i* mod 31 (for
/// the credit code's 17-character body: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28).
/// Returns `None` if `body` holds a character outside the set (lower case included).
///
/// Worked example (`reference/codes.md` §6.11): `91350100M000100Y4` → `3`.
///
/// ```
/// use tracecode::code::check::mod31_check_char;
/// assert_eq!(mod31_check_char(b"91350100M000100Y4"), Some(b'3'));
/// assert_eq!(mod31_check_char(b"91350100M000100O4"), None); // O is not in the set
/// ```
pub fn mod31_check_char(body: &[u8]) -> Option<u8> {
    // 3^i mod 31 repeats every 30 positions; one reduction at the end instead of two per character (every
    // 18-digit scan is tried as a credit code). Each term is below 31 * 31, so the sum of the longest accepted
    // input fits a u32 many times over.
    #[allow(clippy::indexing_slicing, reason = "const evaluation: an out-of-range index fails the build")]
    const WEIGHTS: [u32; 30] = {
        let mut w = [1u32; 30];
        let mut i = 1;
        while i < 30 {
            w[i] = w[i - 1] * 3 % 31;
            i += 1;
        }
        w
    };
    let mut sum = 0u32;
    for (&c, &w) in body.iter().zip(WEIGHTS.iter().cycle()) {
        sum += u32::from(mod31_value(c)?) * w;
    }
    let sum = sum % 31;
    // `(31 - sum) % 31` is < 31, so the index is in range and lossless.
    MOD31_SET.get(((31 - sum) % 31) as usize).copied()
}

/// ISO/IEC 7064 MOD 11-2 check character (pure system, numeric body) as an ASCII digit or `X` (for 10).
/// Used by GB 11643 citizen ID numbers and ISNI. Returns `None` if `body` holds a non-digit.
///
/// Worked examples: ISO/IEC 7064's `0794` → `0`; the GB 11643-1999 example ID number `11010519491231002X`.
///
/// ```
/// use tracecode::code::check::iso7064_mod11_2;
/// assert_eq!(iso7064_mod11_2(b"0794"), Some(b'0'));
/// assert_eq!(iso7064_mod11_2(b"11010519491231002"), Some(b'X'));
/// ```
pub fn iso7064_mod11_2(body: &[u8]) -> Option<u8> {
    let mut p = 0u32;
    for &d in body {
        if !d.is_ascii_digit() {
            return None;
        }
        p = (p + u32::from(d - b'0')) * 2 % 11;
    }
    #[allow(clippy::cast_possible_truncation, reason = "value is 0..=10")]
    let check = ((12 - p) % 11) as u8;
    Some(if check == 10 { b'X' } else { b'0' + check })
}

/// The ISO/IEC 7064 MOD 37-2 character set, in value order (`*` = 36).
const MOD37_SET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

/// ISO/IEC 7064 MOD 37-2 check character (pure system, alphanumeric body `0-9A-Z`) as an ASCII character of
/// `0-9A-Z*`. Returns `None` if `body` holds another character (lower case included).
///
/// Worked example: the ISBT 128 donation number `G123498654321` has checksum 17 → `H` (UK Blood Services
/// "Red Book", Annex 2, Table A2.2).
///
/// ```
/// use tracecode::code::check::iso7064_mod37_2;
/// assert_eq!(iso7064_mod37_2(b"G123498654321"), Some(b'H'));
/// ```
pub fn iso7064_mod37_2(body: &[u8]) -> Option<u8> {
    let mut p = 0u32;
    for &c in body {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        p = (p + u32::from(v)) * 2 % 37;
    }
    // `(38 - p) % 37` is < 37, so the index is in range.
    MOD37_SET.get(((38 - p) % 37) as usize).copied()
}

/// ISO/IEC 7064 MOD 97-10 check digit pair (pure system, numeric body) as two ASCII digits `01`–`98`. Letters
/// must be converted to numbers first (as IBAN does: `A` = 10 … `Z` = 35). Returns `None` if `body` holds a
/// non-digit.
///
/// Worked examples: ISO/IEC 7064's `794` → `44`; the IBAN `GB82 WEST 1234 5698 7654 32`, whose rearranged and
/// converted body `WEST12345698765432GB` = `32142829123456987654321611` gives `82`.
///
/// ```
/// use tracecode::code::check::iso7064_mod97_10;
/// assert_eq!(iso7064_mod97_10(b"794"), Some(*b"44"));
/// assert_eq!(iso7064_mod97_10(b"32142829123456987654321611"), Some(*b"82"));
/// ```
pub fn iso7064_mod97_10(body: &[u8]) -> Option<[u8; 2]> {
    let mut r = 0u32;
    for &d in body {
        if !d.is_ascii_digit() {
            return None;
        }
        r = (r * 10 + u32::from(d - b'0')) % 97;
    }
    // Two zero check digits appended, then the complement to 98.
    #[allow(clippy::cast_possible_truncation, reason = "value is 1..=98")]
    let check = (98 - r * 100 % 97) as u8;
    Some([b'0' + check / 10, b'0' + check % 10])
}

/// Luhn (ISO/IEC 7812-1 annex B) check digit over `body`, as an ASCII digit: from the right, every second digit
/// starting with the rightmost body digit is doubled (minus 9 when over 9). Returns `None` if `body` holds a
/// non-digit.
///
/// Worked example: `7992739871` → `3` (the example of the Luhn algorithm's Wikipedia article).
///
/// ```
/// use tracecode::code::check::luhn_check_digit;
/// assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
/// ```
pub fn luhn_check_digit(body: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &d) in body.iter().rev().enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        let v = u32::from(d - b'0');
        sum += if i % 2 == 0 {
            let x = v * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            v
        };
    }
    #[allow(clippy::cast_possible_truncation, reason = "value is 0..=9")]
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mod31_worked_example() {
        assert_eq!(mod31_check_char(b"91350100M000100Y4"), Some(b'3'));
        assert_eq!(mod31_check_char(b""), Some(b'0'));
        for bad in [b'I', b'O', b'S', b'V', b'Z', b'a', b' '] {
            assert_eq!(mod31_check_char(&[b'9', bad]), None);
        }
        // Values follow the set order.
        for (i, &c) in MOD31_SET.iter().enumerate() {
            assert_eq!(mod31_value(c), Some(u8::try_from(i).unwrap()));
        }
    }

    #[test]
    fn mod11_2_worked_examples() {
        assert_eq!(iso7064_mod11_2(b"0794"), Some(b'0'));
        assert_eq!(iso7064_mod11_2(b"11010519491231002"), Some(b'X'));
        assert_eq!(iso7064_mod11_2(b"07A4"), None);
    }

    #[test]
    fn mod37_2_worked_example() {
        assert_eq!(iso7064_mod37_2(b"G123498654321"), Some(b'H'));
        assert_eq!(iso7064_mod37_2(b"g123498654321"), None);
    }

    #[test]
    fn mod97_10_worked_examples() {
        assert_eq!(iso7064_mod97_10(b"794"), Some(*b"44"));
        assert_eq!(iso7064_mod97_10(b"32142829123456987654321611"), Some(*b"82"));
        assert_eq!(iso7064_mod97_10(b"79x"), None);
    }

    #[test]
    fn luhn_worked_example() {
        assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
        assert_eq!(luhn_check_digit(b"7992739a71"), None);
    }

    proptest! {
        // A check character computed over a body must make the whole string pass: the ISO 7064 pure systems'
        // defining property is that the running sum over body + check is 1 (MOD 11-2, 37-2) / 1 (MOD 97-10).
        #[test]
        fn mod11_2_validates(body in "[0-9]{1,30}") {
            let c = iso7064_mod11_2(body.as_bytes()).unwrap();
            let mut p = 0u32;
            for &d in body.as_bytes() {
                p = (p + u32::from(d - b'0')) * 2 % 11;
            }
            let v = if c == b'X' { 10 } else { u32::from(c - b'0') };
            prop_assert_eq!((p + v) % 11, 1);
        }

        #[test]
        fn mod37_2_validates(body in "[0-9A-Z]{1,30}") {
            let c = iso7064_mod37_2(body.as_bytes()).unwrap();
            let val = |b: u8| u32::try_from(MOD37_SET.iter().position(|&x| x == b).unwrap()).unwrap();
            let mut p = 0u32;
            for &d in body.as_bytes() {
                p = (p + val(d)) * 2 % 37;
            }
            prop_assert_eq!((p + val(c)) % 37, 1);
        }

        #[test]
        fn mod97_10_validates(body in "[0-9]{1,30}") {
            let [a, b] = iso7064_mod97_10(body.as_bytes()).unwrap();
            let mut r = 0u32;
            for &d in body.as_bytes().iter().chain(&[a, b]) {
                r = (r * 10 + u32::from(d - b'0')) % 97;
            }
            prop_assert_eq!(r, 1);
        }

        #[test]
        fn luhn_validates(body in "[0-9]{1,30}") {
            let c = luhn_check_digit(body.as_bytes()).unwrap();
            // Appending the check digit and recomputing over the whole with it as the new rightmost digit:
            // the Luhn sum of body + check is a multiple of 10.
            let full: Vec<u8> = body.bytes().chain([c]).collect();
            let sum: u32 = full.iter().rev().enumerate().map(|(i, &d)| {
                let v = u32::from(d - b'0');
                if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v }
            }).sum();
            prop_assert_eq!(sum % 10, 0);
        }

        #[test]
        fn mod31_single_substitution_detected(body in "[0-9A-HJ-NP-RTUW-Y]{17}", pos in 0usize..17, sub in 0u8..31) {
            let c = mod31_check_char(body.as_bytes()).unwrap();
            let mut other = body.into_bytes();
            let new = MOD31_SET[usize::from(sub)];
            prop_assume!(other[pos] != new);
            other[pos] = new;
            prop_assert_ne!(mod31_check_char(&other), Some(c));
        }

        /// The table of weights agrees with the definition (weight 3^i mod 31, reduced as it goes).
        #[test]
        fn mod31_matches_definition(body in "[0-9A-HJ-NP-RTUW-Y]{0,70}") {
            let mut sum = 0u32;
            let mut weight = 1u32;
            for &c in body.as_bytes() {
                sum = (sum + u32::from(mod31_value(c).unwrap()) * weight) % 31;
                weight = weight * 3 % 31;
            }
            prop_assert_eq!(mod31_check_char(body.as_bytes()), MOD31_SET.get(((31 - sum) % 31) as usize).copied());
        }

        /// The paired loop agrees with the definition (weights 3, 1, 3, … from the right; `None` at a non-digit).
        #[test]
        fn gs1_check_valid_is_the_check_digit(v in "[0-9]{0,20}", junk in proptest::option::of((0usize..20, any::<u8>()))) {
            let mut v = v.into_bytes();
            if let Some((i, b)) = junk && !v.is_empty() {
                let i = i % v.len();
                v[i] = b;
            }
            let by_digit = v.split_last().is_some_and(|(&last, body)| !body.is_empty() && gs1_check_digit(body) == Some(last));
            prop_assert_eq!(gs1_check_valid(&v), by_digit);
        }

        #[test]
        fn gs1_check_digit_matches_definition(body in "[0-9]{0,40}", junk in proptest::option::of((0usize..40, any::<u8>()))) {
            let mut body = body.into_bytes();
            if let Some((at, b)) = junk && !body.is_empty() {
                let at = at % body.len();
                body[at] = b;
            }
            let reference = body.iter().rev().enumerate().try_fold(0u32, |sum, (i, &d)| {
                d.is_ascii_digit().then(|| sum + u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
            });
            let want = reference.map(|sum| b'0' + u8::try_from((10 - sum % 10) % 10).unwrap());
            prop_assert_eq!(gs1_check_digit(&body), want);
        }

        #[test]
        fn never_panic(s in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = gs1_check_digit(&s);
            let _ = mod31_check_char(&s);
            let _ = iso7064_mod11_2(&s);
            let _ = iso7064_mod37_2(&s);
            let _ = iso7064_mod97_10(&s);
            let _ = luhn_check_digit(&s);
        }
    }
}
