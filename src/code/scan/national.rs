//! China's national codes in the forms scanners deliver most after the drug code (see the [module docs](super)):
//! the detonator shell code, the gas-cylinder registration code, the 20-digit special-equipment registration
//! code and the agricultural inputs' 24-digit veterinary-drug and 32-digit pesticide codes, checked with the national
//! parsers' own checks and keyed without building a `Code`. Only the default [`CnRules`] (what
//! [`crate::code::parse`] uses) and only text that needs no folding: anything else is left to the parser.

use crate::code::cn::{self, Charset, CnRules};
use crate::code::{Scheme, TraceKey};

/// The rules `parse` applies (its default options).
const RULES: &CnRules = &CnRules::DEFAULT;

/// Text of fewer than 16 characters that starts with a digit, is not all digits and holds no GS (the caller
/// checked): the detonator and gas-cylinder codes. No GS1 reading applies (no key is this short with a letter,
/// and the inferred element string needs 16 characters); neither do the 18-character, 20-digit, 24- and
/// 32-character national codes nor a Handle (no `/`).
pub(super) fn mixed(b: &[u8]) -> Option<TraceKey> {
    if b.len() == 13 { detonator(b) } else { gas_cylinder(b) }
}

/// The 20-digit drug code as printed, its digits grouped by single spaces or dashes (`8018 9803 4617 6965
/// 7015`), 21 to 39 characters (the caller checked that `b` starts with a digit, is not all digits and holds
/// no GS). Detection's only reading of such text is the drug code (70): the space or dash rules out every other
/// scheme's pre-filter, and the inferred element string needs `00`-`02` where this has `8`. Checked as
/// `parse_drug20` checks it (a separator only between two digits, 20 digits, leading `8` under the default
/// rules), keyed by the digits.
pub(super) fn grouped_drug20(b: &[u8]) -> Option<TraceKey> {
    if !(21..40).contains(&b.len()) || b.first() != Some(&b'8') || !RULES.drug20_require_leading_8 {
        return None;
    }
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut prev_digit = false;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            *digits.get_mut(n)? = c;
            n += 1;
            prev_digit = true;
        } else if (c == b' ' || c == b'-') && prev_digit && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            prev_digit = false;
        } else {
            return None;
        }
    }
    if n != digits.len() {
        return None;
    }
    TraceKey::from_national_text(Scheme::CnDrug20, &digits).ok()
}

/// A 13-character detonator code with a feature *letter* (`b` starts with a digit and holds no GS; the caller
/// checked). Detection reads it as the detonator (score 70); the Ecode (40) and gas-cylinder (30) readings rank
/// below it, so a valid detonator wins outright. An all-digit code is also an EAN-13 shape (the GTIN reading
/// ranks first) and is left to the parser, as is a lower-case letter (folded with a warning under some rules).
pub(super) fn detonator(b: &[u8]) -> Option<TraceKey> {
    let d: &[u8; 13] = b.try_into().ok()?;
    let shape = d.iter().enumerate().all(|(i, c)| {
        if i == 7 { c.is_ascii_uppercase() && RULES.detonator_feature_letters.contains(c) } else { c.is_ascii_digit() }
    });
    // `parse_detonator`'s checks: manufacturer 01-99, the month and the day (no decade, so no year).
    if !shape || cn::number(&d[..2]) == 0 || cn::check_date(None, &d[..7], 0, 3, "").is_err() {
        return None;
    }
    TraceKey::from_national_text(Scheme::Detonator, b).ok()
}

/// The 24-digit veterinary-drug trace code (`b` is 24 digits and does not start `00`-`02`; the caller
/// checked). Detection reads it as the veterinary-drug code (70); the other readings of 24 digits rank below it
/// (an all-digit EPC hex 60, the equipment registration code 45 at this length, the Ecode 40), and the inferred
/// element string (80) needs `00`-`02`. Checked as `parse_vet_drug24` checks it: the application date's year
/// within the default rules' range, its month and day.
pub(super) fn vet_drug24(b: &[u8]) -> Option<TraceKey> {
    let year = cn::check_year(b.get(..4)?, 0, "", RULES).ok()?;
    cn::check_date(Some(year), b.get(..8)?, 0, 4, "").ok()?;
    TraceKey::from_national_text(Scheme::VetDrug, b).ok()
}

/// The 32-digit pesticide code (`b` is 32 digits and does not start `00`-`02`; the caller checked). Detection
/// reads it as the pesticide code (70) over the equipment registration code (45) and the Ecode (40). Checked as
/// `parse_pesticide32` checks it: registration class and production type each 1-3.
pub(super) fn pesticide32(b: &[u8]) -> Option<TraceKey> {
    let class_and_type = |c: Option<&u8>| c.is_some_and(|c| (b'1'..=b'3').contains(c));
    if !class_and_type(b.first()) || !class_and_type(b.get(7)) {
        return None;
    }
    TraceKey::from_national_text(Scheme::Pesticide, b).ok()
}

/// A 20-digit special-equipment registration code that does not start with `0` (an inferred element string
/// could be read there, score 80) or `8` (the drug code, and the pressure-pipe layout). Detection then reads the
/// drug code (70), which fails without the leading `8`, and the registration code (60, a structural match that
/// stands over that failure); the Ecode reading (40) ranks below. `b` is all digits (the caller checked).
pub(super) fn equipment_registration(b: &[u8]) -> Option<TraceKey> {
    let layout = RULES.equipment_reg;
    if b.len() != layout.len() || matches!(b.first(), Some(b'0' | b'8') | None) || !RULES.drug20_require_leading_8 {
        return None;
    }
    // `parse_equipment_registration`'s checks on the layout's fields: province, year (when it has four digits),
    // month.
    let area_end = 4 + usize::from(layout.area_len);
    if layout.area_len >= 2 && cn::check_province(b.get(4..6)?, 4, "").is_err() {
        return None;
    }
    let month_at = if layout.short_year {
        area_end + 2
    } else {
        cn::check_year(b.get(area_end..area_end + 4)?, area_end, "", RULES).ok()?;
        area_end + 4
    };
    if !(1..=12).contains(&cn::number(b.get(month_at..month_at + 2)?)) {
        return None;
    }
    TraceKey::from_national_text(Scheme::EquipmentRegistration, b).ok()
}

/// A gas-cylinder code of the layout's full length (the variety digit present) with a letter in it (the caller
/// checked). Detection reads it as a gas cylinder (score 30), an Ecode (40) when it starts with five digits and
/// a detonator (70) at 13 characters; the gas reading wins only when the Ecode reading fails (and no detonator
/// is read), which this takes only where that failure is certain: no Ecode version of the variety digit, a
/// letter in the Ecode's numbering-scheme identifier (a vehicle cylinder's unit), or a letter in digits-only
/// master data. A failed Ecode (40) is not 30 more plausible than the gas reading, so the gas reading stands.
fn gas_cylinder(b: &[u8]) -> Option<TraceKey> {
    let l = RULES.gas_cylinder;
    let unit = 3;
    let serial = unit + usize::from(l.unit_len);
    if b.len() != serial + usize::from(l.serial_len) || b.len() == 13 || !ecode_fails(b) {
        return None;
    }
    // `parse_gas_cylinder`'s checks (without case folding, which warns): characters, variety, province, unit.
    let shape =
        b.iter().enumerate().all(|(i, c)| c.is_ascii_digit() || ((i == unit || i == serial) && c.is_ascii_uppercase()));
    let &variety = b.first()?;
    let vehicle = l.vehicle_variety == Some(variety);
    let unit_ok =
        if vehicle { b.get(unit) == Some(&l.vehicle_unit_letter) } else { b.get(unit).is_some_and(u8::is_ascii_digit) };
    if !shape || !l.varieties.contains(&variety) || !unit_ok {
        return None;
    }
    if l.check_province && cn::check_province(b.get(1..3)?, 1, "").is_err() {
        return None;
    }
    TraceKey::from_national_text(Scheme::GasCylinder, b).ok()
}

/// Whether `parse_ecode` certainly fails on `b` (see [`gas_cylinder`]); `false` when it might succeed.
fn ecode_fails(b: &[u8]) -> bool {
    let Some(ver) = b.first().and_then(|v| RULES.ecode_versions.iter().find(|e| e.version == v.wrapping_sub(b'0')))
    else {
        return true;
    };
    let md_start = 1 + usize::from(ver.nsi_len);
    let (Some(nsi), Some(md)) = (b.get(1..md_start), b.get(md_start..)) else {
        return true; // too short for the identifier: a length error
    };
    !nsi.iter().all(u8::is_ascii_digit) || (ver.charset == Charset::Digits && !md.iter().all(u8::is_ascii_digit))
}
