//! China's national codes in the forms scanners deliver most after the drug code (see the [module docs](super)):
//! the detonator shell code and the 20-digit special-equipment registration code, checked with the national
//! parsers' own checks and keyed without building a `Code`. Only the default [`CnRules`] (what
//! [`crate::code::parse`] uses) and only text that needs no folding: anything else is left to the parser.

use crate::code::cn::{self, CnRules};
use crate::code::{Scheme, TraceKey};

/// The rules `parse` applies (its default options).
const RULES: &CnRules = &CnRules::DEFAULT;

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
