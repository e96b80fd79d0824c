//! Caller-configured fixed-length layouts ([`TraceProfile`]) for trace codes whose standard was not obtained
//! (GB/T 44583-2024 unified trace code and others, `codes.md` §6.9).

use super::{MAX_INPUT, Parsed, ProfileCheck, TraceProfile, field, fixed_text, national};
use crate::code::CheckStatus;
use crate::code::check::{
    gs1_check_digit, iso7064_mod11_2, iso7064_mod37_2, iso7064_mod97_10, luhn_check_digit, mod31_check_char,
};
use crate::{Error, ErrorKind};

/// Parses `input` by a caller-supplied [`TraceProfile`]: exactly `profile.len` ASCII characters of
/// `profile.charset` ([`super::Charset::Utf8`] admits printable ASCII here, since positions are bytes), split
/// into the profile's fields, with the check character(s) at the end verified when the profile names an
/// algorithm. The text is kept as read.
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] for a profile whose length is 0 or over [`MAX_INPUT`] or whose field lies
/// outside the code; [`ErrorKind::Charset`] at a character outside the profile's set, or over the body when the
/// check algorithm cannot take its characters; [`ErrorKind::Length`] for another length;
/// [`ErrorKind::CheckDigit`] at the check character(s) when they do not match.
///
/// ```
/// use tracecode::code::cn::{Charset, ProfileCheck, ProfileField, TraceProfile, parse_profile};
/// use tracecode::code::{CheckStatus, Scheme};
/// static FIELDS: [ProfileField; 2] =
///     [ProfileField { name: "body", start: 0, len: 12 }, ProfileField { name: "check", start: 12, len: 1 }];
/// static P: TraceProfile =
///     TraceProfile::new("luhn-13", Scheme::VetDrug, 13, Charset::Digits, &FIELDS).with_check(ProfileCheck::Luhn);
/// let (code, _) = parse_profile("0000079927398", &P)?;
/// assert_eq!(code.check, CheckStatus::Verified);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_profile(input: &str, profile: &TraceProfile) -> Result<Parsed, Error> {
    let len = usize::from(profile.len);
    let name = profile.name;
    if len == 0 || len > MAX_INPUT {
        let msg = format!("profile {name}: length must be 1-{MAX_INPUT}");
        return Err(Error::msg(ErrorKind::InvalidArgument, msg));
    }
    if let Some(f) = profile.fields.iter().find(|f| usize::from(f.start) + usize::from(f.len) > len) {
        let msg = format!("profile {name}: field {} ends after the code's {len} characters", f.name);
        return Err(Error::msg(ErrorKind::InvalidArgument, msg));
    }
    let charset = profile.charset;
    let (text, _) = fixed_text(input, len, name, false, |_, b| {
        if b.is_ascii() && charset.allows(b) { Ok(()) } else { Err(charset.describe()) }
    })?;
    let check = verify(&text, profile)?;
    let fields = profile
        .fields
        .iter()
        .map(|f| field(f.name, usize::from(f.start), usize::from(f.start) + usize::from(f.len)))
        .collect();
    Ok((national(profile.scheme, text, fields, check), Vec::new()))
}

/// Verifies the profile's check character(s) at the end of `text`.
fn verify(text: &str, profile: &TraceProfile) -> Result<CheckStatus, Error> {
    let b = text.as_bytes();
    let one = |f: fn(&[u8]) -> Option<u8>| -> (usize, Option<[u8; 2]>) {
        let (body, _) = b.split_at(b.len().saturating_sub(1));
        (1, f(body).map(|c| [c, 0]))
    };
    let (k, expected) = match profile.check {
        ProfileCheck::None => return Ok(CheckStatus::None),
        ProfileCheck::NotVerifiableOffline => return Ok(CheckStatus::NotVerifiableOffline),
        ProfileCheck::Gs1Mod10 => one(gs1_check_digit),
        ProfileCheck::Luhn => one(luhn_check_digit),
        ProfileCheck::Iso7064Mod11_2 => one(iso7064_mod11_2),
        ProfileCheck::Iso7064Mod37_2 => one(iso7064_mod37_2),
        ProfileCheck::Mod31 => one(mod31_check_char),
        ProfileCheck::Iso7064Mod97_10 => {
            let (body, _) = b.split_at(b.len().saturating_sub(2));
            (2, iso7064_mod97_10(body))
        }
    };
    let at = b.len().saturating_sub(k);
    let Some(expected) = expected else {
        let msg = format!("profile {}: the check algorithm cannot take these characters", profile.name);
        return Err(Error::new(ErrorKind::Charset, 0, at, msg));
    };
    let expected = expected.get(..k).unwrap_or_default();
    let found = b.get(at..).unwrap_or_default();
    if b.len() <= k || found != expected {
        let msg = format!(
            "check character should be {}, found {}",
            String::from_utf8_lossy(expected),
            String::from_utf8_lossy(found)
        );
        return Err(Error::new(ErrorKind::CheckDigit, at, k, msg));
    }
    Ok(CheckStatus::Verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Scheme;
    use crate::code::cn::{Charset, ProfileField};
    use proptest::prelude::*;

    static FIELDS: [ProfileField; 3] = [
        ProfileField { name: "node", start: 0, len: 6 },
        ProfileField { name: "serial", start: 6, len: 8 },
        ProfileField { name: "check", start: 14, len: 2 },
    ];
    static P97: TraceProfile = TraceProfile::new("demo-97", Scheme::VetDrug, 16, Charset::Digits, &FIELDS)
        .with_check(ProfileCheck::Iso7064Mod97_10);

    #[test]
    fn fields_and_check() {
        let body = "33010212345678";
        let [hi, lo] = iso7064_mod97_10(body.as_bytes()).unwrap();
        let good = format!("{body}{}{}", char::from(hi), char::from(lo));
        let (code, warnings) = parse_profile(&good, &P97).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(code.scheme, Scheme::VetDrug);
        assert_eq!(code.check, CheckStatus::Verified);
        assert_eq!(code.field("serial"), Some("12345678"));
        let bad = format!("{body}{}{}", char::from(b'0' + (hi - b'0' + 1) % 10), char::from(lo));
        let e = parse_profile(&bad, &P97).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::CheckDigit, Some(14), Some(2)));
        let e = parse_profile("3301021234567", &P97).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(13), Some(0)));
        let e = parse_profile("33010212345A7800", &P97).unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Charset, Some(11), Some(1)));
    }

    #[test]
    fn every_algorithm() {
        static ONE: [ProfileField; 0] = [];
        for (check, charset, body, expected) in [
            (ProfileCheck::Gs1Mod10, Charset::Digits, "950600013435", "2"),
            (ProfileCheck::Luhn, Charset::Digits, "7992739871", "3"),
            (ProfileCheck::Iso7064Mod11_2, Charset::DigitsUpper, "11010519491231002", "X"),
            (ProfileCheck::Iso7064Mod37_2, Charset::DigitsUpper, "G123498654321", "H"),
            (ProfileCheck::Mod31, Charset::Uscc, "91350100M000100Y4", "3"),
        ] {
            let s = format!("{body}{expected}");
            let len = u16::try_from(s.len()).unwrap();
            let p = TraceProfile::new("t", Scheme::VetDrug, len, charset, &ONE).with_check(check);
            assert_eq!(parse_profile(&s, &p).unwrap().0.check, CheckStatus::Verified, "{check:?}");
        }
        let p = TraceProfile::new("t", Scheme::VetDrug, 4, Charset::DigitsUpper, &ONE).with_check(ProfileCheck::Luhn);
        assert_eq!(parse_profile("12A4", &p).unwrap_err().kind(), ErrorKind::Charset);
        let p = TraceProfile::new("t", Scheme::VetDrug, 4, Charset::Digits, &ONE)
            .with_check(ProfileCheck::NotVerifiableOffline);
        assert_eq!(parse_profile("1234", &p).unwrap().0.check, CheckStatus::NotVerifiableOffline);
    }

    #[test]
    fn bad_profiles() {
        static LONG: [ProfileField; 1] = [ProfileField { name: "x", start: 2, len: 3 }];
        let p = TraceProfile::new("t", Scheme::VetDrug, 4, Charset::Digits, &LONG);
        assert_eq!(parse_profile("1234", &p).unwrap_err().kind(), ErrorKind::InvalidArgument);
        let p = TraceProfile::new("t", Scheme::VetDrug, 0, Charset::Digits, &[]);
        assert_eq!(parse_profile("", &p).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    proptest! {
        #[test]
        fn round_trip(body in "[0-9]{14}") {
            let [a, b] = iso7064_mod97_10(body.as_bytes()).unwrap();
            let s = format!("{body}{}{}", char::from(a), char::from(b));
            let (c, _) = parse_profile(&s, &P97).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_profile(&c.text, &P97).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_profile(&s, &P97);
        }
    }
}
