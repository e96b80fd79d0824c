//! Bare keys: digits without AIs (GTIN-8/12/13/14, UPC-E, SSCC, China's 20-digit drug code), checked as
//! detection's `bare_key`/`upce` and the national parsers check them, and keyed without building a `Code`.

use crate::code::check::{gs1_check_digit, mod31_check_char};
use crate::code::gs1;
use crate::code::gs1::lint::all_digits;
use crate::code::{Scheme, TraceKey};

/// A key declared by an EAN/UPC or ITF symbology identifier: exactly `len` digits with a valid check digit; with
/// `addon` (`]E3`), also 13 digits followed by a 2- or 5-digit add-on, which is not part of the identity.
pub(super) fn declared_gtin(payload: &[u8], len: usize, addon: bool) -> Option<TraceKey> {
    let digits = if addon && matches!(payload.len(), 15 | 18) { payload.get(..13)? } else { payload };
    if digits.len() != len || !all_digits(payload) {
        return None;
    }
    gtin(digits)
}

/// All-digit `b` (the caller checked) that detection reads as a bare key, where that reading wins (see
/// `detect::text_attempts`):
/// - 8: a GTIN-8 (score 85, or 75 when it starts with `0`) and, starting `0` or `1`, a UPC-E (85). With `0` the
///   UPC-E wins when its check passes, else the GTIN-8; with `1` both at 85 are ambiguous, so only one may pass;
/// - 12, 13, 14: a GTIN (85; the 13-digit detonator code scores 60);
/// - 18: an SSCC (85), unless the all-digit string is also a valid unified social credit code (85: ambiguous);
/// - 20 starting `8`: the drug code (70; the equipment registration code scores 60, and an inferred element
///   string needs `00`-`02`).
pub(super) fn digits(b: &[u8]) -> Option<TraceKey> {
    match b.len() {
        8 => {
            let gtin8 = check_ok(b);
            // The UPC-A of a UPC-E whose check digit is that of its expansion (detection's `upce`).
            let expansion = matches!(b.first(), Some(b'0' | b'1'))
                .then(|| gs1::upce_to_upca(b))
                .flatten()
                .filter(|a| b.get(7) == a.get(11));
            match expansion {
                Some(_) if gtin8 && b.first() == Some(&b'1') => None,
                Some(a) => {
                    let mut gtin = [b'0'; 14];
                    gtin.get_mut(2..)?.copy_from_slice(&a);
                    Some(TraceKey::from_gtin14(&gtin))
                }
                None if gtin8 => padded_gtin(b),
                None => None,
            }
        }
        12..=14 => gtin(b),
        18 => {
            let sscc: &[u8; 18] = b.try_into().ok()?;
            let (body, last) = (b.get(..17)?, b.get(17).copied());
            (check_ok(b) && mod31_check_char(body) != last).then(|| TraceKey::from_sscc(sscc))
        }
        20 if b.first() == Some(&b'8') => TraceKey::from_national_text(Scheme::CnDrug20, b).ok(),
        _ => None,
    }
}

/// True if the last digit of the all-digit `b` is the GS1 check digit of the rest (detection's `check_digit`).
fn check_ok(b: &[u8]) -> bool {
    b.split_last().is_some_and(|(&last, body)| gs1_check_digit(body) == Some(last))
}

/// The key of the all-digit GTIN `b` of 8, 12, 13 or 14 digits when its check digit is valid.
fn gtin(b: &[u8]) -> Option<TraceKey> {
    if check_ok(b) { padded_gtin(b) } else { None }
}

/// The key of a GTIN of 8 to 14 digits (checked), padded to 14 as detection's `bare_gtin` pads it.
fn padded_gtin(b: &[u8]) -> Option<TraceKey> {
    let mut gtin = [b'0'; 14];
    gtin.get_mut(14usize.checked_sub(b.len())?..)?.copy_from_slice(b);
    Some(TraceKey::from_gtin14(&gtin))
}
