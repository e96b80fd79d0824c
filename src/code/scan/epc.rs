//! The fast path for the EPC pure-identity URIs item-level RFID and EPCIS documents carry most:
//! `urn:epc:id:sgtin:CP.IR.SERIAL` and `urn:epc:id:sscc:CP.SR`.
//!
//! Detection reads input starting `urn:epc:` only as an EPC URI, so the reading that succeeds is the answer.
//! This path makes [`parse_epc_uri`](crate::code::gs1::epc_uri::parse_epc_uri)'s checks for these two schemes
//! under the default (strict) options: the company prefix 4 to 12 digits, company prefix and reference 13 (SGTIN)
//! or 17 (SSCC) digits together, the serial 1 to 20 characters written raw (a `%`-escape is left to the parser),
//! and TDS §7.3's strict rules for an SGTIN (no restricted GTIN range; a GTIN-8 needs the company prefix
//! `00000` + three digits). The key is the GTIN or SSCC with the indicator or extension digit moved to the
//! front and its check digit, as `parts_to_gs1` builds it, keyed by [`TraceKey::from_elements`].
//!
//! Normalisation is the identity for what this takes: lower-case `urn:epc:id:` and scheme name (the parser
//! takes other cases only when lenient, or warns), then digits, dots and GS3A3 characters only (no whitespace,
//! control or non-ASCII byte).

use crate::code::TraceKey;
use crate::code::check::gs1_check_digit;
use crate::code::gs1::epc_uri::{is_gs3a3_raw, restricted_gtin};

/// An SGTIN's serial has at most 20 characters (TDS Table 6-1, AI 21).
const SGTIN_SERIAL_MAX: usize = 20;

/// The key of an SGTIN or SSCC pure-identity URI this path fully validates; `None` otherwise.
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    if let Some(body) = input.strip_prefix(b"urn:epc:id:sgtin:") {
        sgtin(body)
    } else if let Some(body) = input.strip_prefix(b"urn:epc:id:sscc:") {
        sscc(body)
    } else {
        None
    }
}

/// `CP.IR.SERIAL`.
fn sgtin(body: &[u8]) -> Option<TraceKey> {
    let (cp, rest) = split_dot(body)?;
    let (ir, serial) = split_dot(rest)?;
    let digits = moved_key::<14>(cp, ir)?;
    // The 13 digits after the indicator.
    let rest13 = digits.get(1..)?;
    if restricted_gtin(rest13).is_some() || (rest13.starts_with(b"00000") && cp.len() != 8) {
        return None;
    }
    if serial.is_empty() || serial.len() > SGTIN_SERIAL_MAX || !serial.iter().all(|&c| is_gs3a3_raw(c)) {
        return None;
    }
    TraceKey::from_elements(|| [("01", &digits[..]), ("21", serial)].into_iter()).ok()
}

/// `CP.SR` (the serial reference starts with the extension digit).
fn sscc(body: &[u8]) -> Option<TraceKey> {
    let (cp, sr) = split_dot(body)?;
    let digits = moved_key::<18>(cp, sr)?;
    TraceKey::from_elements(|| std::iter::once(("00", &digits[..]))).ok()
}

/// The text before the first `.` and after it.
fn split_dot(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = b.iter().position(|&c| c == b'.')?;
    Some((b.get(..dot)?, b.get(dot + 1..)?))
}

/// The `N`-digit key of company prefix `cp` (4 to 12 digits) and `reference` (digits, `N - 1` together with
/// `cp`): the reference's first digit, the company prefix, the rest of the reference, the check digit.
fn moved_key<const N: usize>(cp: &[u8], reference: &[u8]) -> Option<[u8; N]> {
    if !(4..=12).contains(&cp.len()) || cp.len() + reference.len() != N - 1 {
        return None;
    }
    let (&lead, tail) = reference.split_first()?;
    let mut out = [0u8; N];
    let body = out.get_mut(..N - 1)?;
    let (first, rest) = body.split_first_mut()?;
    *first = lead;
    let (at_cp, at_tail) = rest.split_at_mut(cp.len());
    at_cp.copy_from_slice(cp);
    at_tail.copy_from_slice(tail);
    // `gs1_check_digit` refuses a non-digit anywhere in the body.
    let check = gs1_check_digit(body)?;
    *out.last_mut()? = check;
    Some(out)
}
