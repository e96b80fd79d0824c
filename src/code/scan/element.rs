//! Fast paths for element strings and bare keys (see the [module docs](super)): which form a scan is, decided
//! as the full parser's normalisation and detection ([`crate::code::parse`]) would decide it.
//!
//! # What is taken, and why that is what `parse` would choose
//! Only input that normalisation leaves as it is (no BOM, nothing trimmed, ASCII, at most
//! [`MAX_INPUT`](crate::code::input::MAX_INPUT) bytes) except for stripping a known AIM symbology identifier:
//! - a GS1 AIM mode (`]C1 ]d2 ]Q3 ]e0 ]J1` …) declares an element string: [`elements::transmitted`];
//! - `]E0`/`]E3` declare 13 EAN/UPC digits (`]E3` also 13 + a 2- or 5-digit add-on), `]E4` 8, `]I1` 14:
//!   [`bare::declared_gtin`];
//! - otherwise (no identifier, or a plain symbology's) the payload is text that detection ranks:
//!   - `(`: bracketed element string, the only reading detection tries (score 100);
//!   - digits and GS, no identifier: element string with separators (95), the only reading whose pre-filter
//!     admits a GS;
//!   - only digits: the bare keys of [`bare::digits`] (GTIN-8/12/13/14 and UPC-E, SSCC, the drug code), each
//!     where its reading wins detection outright; 20 digits starting `1`-`7` or `9`: the equipment
//!     registration code ([`national::equipment_registration`]); 24 and 32 digits: the veterinary-drug and
//!     pesticide codes ([`national::vet_drug24`], [`national::pesticide32`]);
//!   - fewer than 16 characters, not all digits: the detonator and gas-cylinder codes ([`national::mixed`]);
//!   - starting `8`, not all digits: the drug code with grouping spaces or dashes
//!     ([`national::grouped_drug20`]);
//!   - 16 or more characters starting `00`/`01`/`02` with 16 digits, no identifier: the inferred element string
//!     (80), except at 18 characters (where the SSCC and the credit code score 85 and 90).
//!
//! Anything else, and any input where a check fails, is `None`: the full parser decides and reports.

use super::{bare, elements, national};
use crate::code::TraceKey;
use crate::code::gs1::GS;
use crate::code::gs1::lint::all_digits;
use crate::code::input::{self, AimMode, MAX_INPUT};

/// The key of `input` when it is an element string or bare key this path fully validates; `None` otherwise
/// (the full parser then decides).
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    // Normalisation would refuse or change these: too long, trimmed ends (a BOM starts with 0xEF, which no
    // accepted form starts with).
    if input.len() > MAX_INPUT || input.first().is_none_or(|&b| input::is_trim(b)) {
        return None;
    }
    if input.last().is_none_or(|&b| input::is_trim(b)) {
        return None;
    }
    match *input {
        [b']', c, m, ref payload @ ..] => {
            // An unknown identifier stays part of the text, which then starts with `]`: no form of this path.
            let (_, mode) = input::aim(c, m)?;
            if payload.is_empty() {
                return None;
            }
            match mode {
                AimMode::Gs1 => elements::transmitted(payload),
                AimMode::Ean13 => bare::declared_gtin(payload, 13, (c, m) == (b'E', b'3')),
                AimMode::Ean8 => bare::declared_gtin(payload, 8, false),
                AimMode::Itf14 => bare::declared_gtin(payload, 14, false),
                AimMode::Text => text(payload, false),
                AimMode::None => None,
            }
        }
        _ => text(input, true),
    }
}

/// Text as detection ranks it; `no_aim`: no symbology identifier was sent (a plain symbology's identifier
/// rules out GS1 readings other than the bracketed form and bare keys).
fn text(b: &[u8], no_aim: bool) -> Option<TraceKey> {
    match *b.first()? {
        b'(' => elements::bracketed(b),
        b'0'..=b'9' => {
            if all_digits(b) {
                match b.len() {
                    8 | 12 | 13 | 14 | 18 => return bare::digits(b),
                    20 if b.first() == Some(&b'8') => return bare::digits(b),
                    20 if b.first() != Some(&b'0') => return national::equipment_registration(b),
                    24 if !inferable(b) => return national::vet_drug24(b),
                    32 if !inferable(b) => return national::pesticide32(b),
                    _ => {}
                }
            } else if b.contains(&GS) {
                return if no_aim { elements::transmitted(b) } else { None };
            } else if b.len() < 16 {
                return national::mixed(b);
            } else if b.first() == Some(&b'8') {
                // Not an inferred element string (that starts `00`-`02`).
                return national::grouped_drug20(b);
            }
            let inferred = no_aim && b.len() >= 16 && b.len() != 18 && inferable(b);
            if inferred { elements::transmitted(b) } else { None }
        }
        _ => None,
    }
}

/// Whether detection would also try the inferred element string on `b`: a pre-defined-length key AI (`00`,
/// `01`, `02`) and 16 digits first.
fn inferable(b: &[u8]) -> bool {
    matches!(b.get(..2), Some(b"00" | b"01" | b"02")) && b.get(..16).is_some_and(|p| p.iter().all(u8::is_ascii_digit))
}

/// The code inside a trace URL ([`super::url`]), taken only in the forms whose reading scores 70 or more in
/// detection: there every reading of the inner code loses 5 points and the Digital Link reading of a URL
/// without a GS1 key path scores 60, so the inner code's best reading wins whether or not the whole URL also
/// parses as a Digital Link, exactly as it wins alone. These forms: the bare GS1 keys (75-90, as
/// [`bare::digits`] ranks them), the drug code plain (70) or grouped by dashes (70; a space is not a URL
/// character), the veterinary-drug and pesticide codes (70) and the detonator code with its letter (70). The
/// equipment registration (60) and gas-cylinder (30) codes would lose to a Digital Link reading that
/// succeeds, and are left to the parser. `b` holds no byte normalisation changes (the caller checked).
pub(super) fn wrapped(b: &[u8]) -> Option<TraceKey> {
    let &first = b.first()?;
    if !first.is_ascii_digit() {
        return None;
    }
    if all_digits(b) {
        return match b.len() {
            8 | 12 | 13 | 14 | 18 => bare::digits(b),
            20 if first == b'8' => bare::digits(b),
            24 if !inferable(b) => national::vet_drug24(b),
            32 if !inferable(b) => national::pesticide32(b),
            _ => None,
        };
    }
    if b.contains(&GS) {
        return None;
    }
    match b.len() {
        13 => national::detonator(b),
        21.. if first == b'8' => national::grouped_drug20(b),
        _ => None,
    }
}
