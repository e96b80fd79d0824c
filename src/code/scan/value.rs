//! A quick, one-sided check of the common AI values: [`surely_valid`] answers `true` only for values that
//! [`validate_value`](crate::code::gs1::lint::validate_value) accepts, so a caller may skip that call on `true`
//! and must make it on `false`.
//!
//! It covers the AIs of the dominant scans: one component of digits or CSET 82, with no linter or only the
//! check digit, a Company Prefix position and a YYMMDD date (the day at most the month's length in any year,
//! so 29 February goes to the dictionary's own check and its century rule). Every other AI, and every doubt,
//! answers `false`. The generic validator walks the component list and dispatches each linter; this is a few
//! compares per value on the hot path.

use crate::code::check::gs1_check_valid;
use crate::code::gs1::ai::{AiDef, Charset, Linter};
use crate::code::gs1::lint::all_digits;

/// GS1 AI encodable character set 82, one flag per byte value (a load per byte; a `u128` mask test is several
/// instructions).
static CSET82: [bool; 256] = {
    let mut set: &[u8] = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    let mut t = [false; 256];
    while let [c, rest @ ..] = set {
        #[allow(clippy::indexing_slicing, reason = "const evaluation: a u8 index is always in range")]
        {
            t[*c as usize] = true;
        }
        set = rest;
    }
    t
};

/// `true` when `value` certainly passes the dictionary's checks for `def`; `false` when it does not, or may not.
pub(super) fn surely_valid(def: &AiDef, value: &[u8]) -> bool {
    Shape::of(def).is_some_and(|s| s.surely_valid(value))
}

/// What [`surely_valid`] checks for one AI, decided from its definition once (see [`super::hot`], which keeps
/// the shapes of the AIs of the dominant scans).
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    /// Digits (else CSET 82).
    digits: bool,
    /// The value's length exactly (fixed-length component) or at most (variable).
    fixed: bool,
    max: usize,
    /// The component's linters as bits (all of them ones this check decides).
    linters: u64,
}

impl Shape {
    /// The shape of `def`, `None` when [`surely_valid`] never answers `true` for it: more than one component,
    /// another character set, or a linter it does not decide.
    pub(super) fn of(def: &AiDef) -> Option<Self> {
        let [comp] = def.components else { return None };
        let linters = comp.linters.iter().fold(0u64, |m, &l| m | bit(l));
        let digits = match comp.charset {
            // Digits: the check digit, the Company Prefix position (digits already) and dates on the same bytes.
            Charset::N if linters & !(bit(Linter::Csum) | GCP | DATE) == 0 => true,
            Charset::X if linters & !GCP == 0 => false,
            _ => return None,
        };
        // One component takes the whole value: a fixed-length one exactly, a variable one up to its maximum;
        // neither beyond the AI's.
        let fixed = comp.min == comp.max;
        if fixed && comp.max > def.max_len {
            return None;
        }
        Some(Self { digits, fixed, max: usize::from(comp.max.min(def.max_len)), linters })
    }

    /// `true` when `value` certainly passes the dictionary's checks for the AI of this shape.
    #[inline]
    pub(super) fn surely_valid(&self, value: &[u8]) -> bool {
        let len = value.len();
        let len_ok = if self.fixed { len == self.max } else { len <= self.max };
        if len == 0 || !len_ok {
            return false;
        }
        let linters = self.linters;
        if self.digits {
            all_digits(value)
                && (linters & bit(Linter::Csum) == 0 || gs1_check_valid(value))
                && (linters & bit(Linter::GcpPos1) == 0 || len >= 4)
                && (linters & bit(Linter::GcpPos2) == 0 || len >= 5)
                && (linters & DATE == 0 || date(value, linters & bit(Linter::Yymmd0) != 0))
        } else {
            value.iter().all(|&b| CSET82.get(usize::from(b)).copied().unwrap_or(false))
                && (linters & bit(Linter::GcpPos1) == 0 || value.get(..4).is_some_and(all_digits))
                && (linters & bit(Linter::GcpPos2) == 0 || value.get(1..5).is_some_and(all_digits))
        }
    }
}

/// A linter's bit: its discriminant's, or bit 63 for any linter past the first 63 (none today), which no accepted
/// set contains, so it can only make the answer `false`.
const fn bit(l: Linter) -> u64 {
    let d = l as u64;
    if d < 63 { 1 << d } else { 1 << 63 }
}
/// The Company Prefix position linters.
const GCP: u64 = bit(Linter::GcpPos1) | bit(Linter::GcpPos2);
/// The YYMMDD date linters (with and without DD = 00).
const DATE: u64 = bit(Linter::Yymmd0) | bit(Linter::Yymmdd);

/// A YYMMDD date whose day exists in that month in every year (`day0`: DD = 00, the month's last day, allowed).
fn date(s: &[u8], day0: bool) -> bool {
    // The caller has checked that these are digits.
    let &[_, _, m1, m2, d1, d2] = s else { return false };
    let month = m1.wrapping_sub(b'0').wrapping_mul(10).wrapping_add(m2.wrapping_sub(b'0'));
    let day = d1.wrapping_sub(b'0').wrapping_mul(10).wrapping_add(d2.wrapping_sub(b'0'));
    let last = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // February: 29 depends on the century, which the full check resolves.
        2 => 28,
        _ => return false,
    };
    (day0 && day == 0) || (1..=last).contains(&day)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::code::gs1::ai::all;
    use crate::code::gs1::lint::{LintContext, validate_value};

    /// `true` is never wrong, for every AI of the dictionary.
    fn one_sided(def: &AiDef, value: &[u8]) -> Result<(), TestCaseError> {
        if surely_valid(def, value) {
            for year in [2000, 2026, 2049, 2051, 2099] {
                let r = validate_value(def, value, &LintContext { current_year: year });
                prop_assert!(r.is_ok(), "({}) {:?} in {year}: {r:?}", def.ai, String::from_utf8_lossy(value));
            }
        }
        Ok(())
    }

    #[test]
    fn every_single_byte_and_every_date() {
        for def in all() {
            for b in 0..=255u8 {
                one_sided(def, &[b]).unwrap();
            }
            for m in 0..=13 {
                for d in 0..=32 {
                    for y in [0, 24, 25, 26, 99] {
                        one_sided(def, format!("{y:02}{m:02}{d:02}").as_bytes()).unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn takes_the_dominant_values() {
        let ai = |a: &str| crate::code::gs1::lookup(a).unwrap();
        assert!(surely_valid(ai("01"), b"09506000134352"));
        assert!(!surely_valid(ai("01"), b"09506000134353"));
        assert!(surely_valid(ai("00"), b"106141412345678908"));
        assert!(surely_valid(ai("10"), b"ABC123"));
        assert!(surely_valid(ai("21"), b"XYZ789!%&"));
        assert!(!surely_valid(ai("21"), b"XYZ 789"));
        assert!(surely_valid(ai("17"), b"261231"));
        assert!(surely_valid(ai("17"), b"261200"));
        assert!(!surely_valid(ai("17"), b"260229"), "29 February goes to the full check");
        assert!(!surely_valid(ai("17"), b"261331"));
        assert!(surely_valid(ai("3103"), b"000195"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn never_accepts_what_the_dictionary_refuses(
            i in 0..all().len(),
            value in prop_oneof![
                "[0-9]{1,30}",
                "[0-9]{6}",
                "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]{1,40}",
                proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| String::from_utf8_lossy(&v).into_owned()),
            ],
        ) {
            one_sided(&all()[i], value.as_bytes())?;
        }

        /// A valid check digit makes a numeric key; the check must agree on it both ways.
        #[test]
        fn check_digits(body in "[0-9]{13,17}") {
            let c = crate::code::check::gs1_check_digit(body.as_bytes()).unwrap();
            for def in all().iter().filter(|d| d.components.len() == 1) {
                one_sided(def, format!("{body}{}", char::from(c)).as_bytes())?;
                one_sided(def, format!("{body}{}", char::from(b'0' + (c - b'0' + 1) % 10)).as_bytes())?;
            }
        }
    }
}
