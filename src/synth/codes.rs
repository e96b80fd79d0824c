//! Building identifiers: GS1 check digits and keys, national keys, SSCCs, unified social credit codes, and the
//! dates national codes embed.

use std::fmt::Write as _;

use crate::code::check::{gs1_check_digit, mod31_check_char};
use crate::code::gs1::{self, Gs1, epc_uri::Gid};
use crate::code::{CheckStatus, NationalCode, Scheme, TraceKey};
use crate::event::Id;

use super::consts::{CST, DAY, MIN};

/// `body` followed by its GS1 mod-10 check digit.
pub(super) fn with_check(body: &str) -> String {
    let c = gs1_check_digit(body.as_bytes()).unwrap_or(b'0');
    let mut s = String::with_capacity(body.len() + 1);
    s.push_str(body);
    s.push(char::from(c));
    s
}

/// A GS1 key from (AI, value) pairs the generator built (valid by construction; the tests parse them back).
pub(super) fn gs1_key(pairs: &[(&str, &str)]) -> Option<TraceKey> {
    let mut g = Gs1::with_capacity(pairs.len(), 48);
    for (ai, value) in pairs {
        g.push_unchecked(gs1::lookup(ai)?, value, 0);
    }
    TraceKey::from_gs1(&g).ok()
}

/// A national key from normalised text the generator built.
pub(super) fn national_key(scheme: Scheme, text: String) -> Option<TraceKey> {
    TraceKey::from_national(&NationalCode { scheme, text, fields: Vec::new(), check: CheckStatus::None }).ok()
}

/// A key that cannot come from the generator's codes, returned only if building a key failed (the tests assert
/// it never does).
pub(super) fn placeholder_key() -> TraceKey {
    TraceKey::from_gid(Gid { manager: 0, class: 0, serial: 0 })
}

pub(super) fn id(key: Option<TraceKey>) -> Id {
    Id::Key(key.unwrap_or_else(placeholder_key))
}

/// An SSCC: extension digit, 7-digit company prefix, 9-digit serial reference, check digit.
pub(super) fn sscc(gcp: &str, extension: u8, serial_ref: u64) -> Option<TraceKey> {
    let mut body = String::with_capacity(17);
    let _ = write!(body, "{}{gcp}{:09}", extension % 10, serial_ref % 1_000_000_000);
    gs1_key(&[("00", &with_check(&body))])
}

/// GB 11714 organisation code check character over 8 characters (weights 3 7 9 10 5 8 4 2, MOD 11).
fn org_code_check(body: &[u8]) -> char {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.iter().zip(W).map(|(&b, w)| u32::from(b.wrapping_sub(b'0')) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from_digit(c, 10).unwrap_or('0'),
    }
}

/// A unified social credit code: authority 9 (market regulation), `entity` (1 enterprise, 3 farmers'
/// cooperative), area, organisation code with its GB 11714 check, GB 32100 MOD 31 check.
pub(super) fn uscc(entity: char, area: &str, org: u64) -> String {
    let mut s = String::with_capacity(18);
    let _ = write!(s, "9{entity}{area}{:08}", org % 100_000_000);
    let c = org_code_check(s.as_bytes().get(8..16).unwrap_or_default());
    s.push(c);
    let check = mod31_check_char(s.as_bytes()).unwrap_or(b'0');
    s.push(char::from(check));
    s
}

/// (year, month, day) of an instant in China Standard Time.
fn ymd(t: i64) -> (i64, u32, u32) {
    crate::civil::civil_from_days(t.saturating_add(i64::from(CST.0) * MIN).div_euclid(DAY))
}

/// [`ymd`] clamped to the years national codes accept (1900–2099).
pub(super) fn code_ymd(t: i64) -> (i64, u32, u32) {
    match ymd(t) {
        (y, ..) if y > 2099 => (2099, 12, 31),
        (y, ..) if y < 1900 => (1900, 1, 1),
        d => d,
    }
}

pub(super) fn yymmdd(t: i64) -> String {
    let (y, m, d) = code_ymd(t);
    format!("{:02}{m:02}{d:02}", y.rem_euclid(100))
}

pub(super) fn iso_date(t: i64) -> String {
    let (y, m, d) = code_ymd(t);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::KeyKind;

    #[test]
    fn credit_codes_and_org_codes() {
        // codes.md §6.11 worked example body, recomputed by the MOD 31 helper through `uscc`'s layout.
        let s = uscc('1', "350100", 12_345_678);
        assert_eq!(s.len(), 18);
        assert!(s.parse::<TraceKey>().is_err(), "a bare code is not key text");
        let k: TraceKey = format!("cn-uscc:{s}").parse().unwrap();
        assert_eq!(k.kind(), KeyKind::Party);
        // GB 11714: 12345678 → weights 3 7 9 10 5 8 4 2 → sum 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201, 11 - 201 % 11 = 8.
        assert_eq!(org_code_check(b"12345678"), '8');
    }
}
