//! The AIs of the dominant element strings, decided once: the GTIN (01) and SSCC (00), the lot (10) and serial
//! (21), and the dates (11, 13, 15, 16, 17). A 4-AI DataMatrix spends most of its generic cost on two things
//! that depend only on which AIs it carries: each value's checks are derived from the dictionary entry on every
//! call, and the pairing rules are evaluated over the whole list. Here both are decided from the dictionary
//! when first used, so a scan whose AIs are all hot pays a table lookup per element and one for the pairing.
//!
//! Exactness: the value checks are [`Shape::surely_valid`] (one-sided; a `false` goes to the dictionary's
//! validator), and the pairing verdict of every subset of the hot AIs is what
//! [`check_pairings_of`](crate::code::gs1::lint::check_pairings_of) answers for it.

use std::sync::OnceLock;

use super::value::Shape;
use crate::code::gs1::lint::check_pairings_of;
use crate::code::gs1::{AiDef, lookup};

/// The hot AIs; a scan's set of them is a bit mask over this order.
const AIS: [&str; 9] = ["01", "00", "10", "21", "17", "11", "13", "15", "16"];

/// The hot AIs' definitions, value shapes and pairing verdicts.
pub(super) struct Hot {
    defs: [Option<&'static AiDef>; AIS.len()],
    /// The value length of a pre-defined-length AI (no separator follows it); `None` for a variable one.
    fixed: [Option<usize>; AIS.len()],
    shapes: [Option<Shape>; AIS.len()],
    /// `pairs_ok[mask]`: the pairing rules hold for the set `mask` of hot AIs.
    pairs_ok: Vec<bool>,
}

impl Hot {
    /// The table, built on first use.
    pub(super) fn get() -> &'static Self {
        static HOT: OnceLock<Hot> = OnceLock::new();
        HOT.get_or_init(Self::build)
    }

    fn build() -> Self {
        let defs = AIS.map(lookup);
        let shapes = defs.map(|d| d.and_then(Shape::of));
        let fixed = defs.map(|d| d.filter(|d| d.predefined).map(|d| usize::from(d.max_len)));
        let pairs_ok = (0..1usize << AIS.len())
            .map(|mask| {
                let set =
                    || defs.iter().enumerate().filter(move |&(i, _)| mask & (1 << i) != 0).filter_map(|(_, d)| *d);
                set().count() == mask.count_ones() as usize && check_pairings_of(set, |_| 0).is_ok()
            })
            .collect();
        Self { defs, fixed, shapes, pairs_ok }
    }

    /// The bit of `def` when it is a hot AI.
    #[inline]
    pub(super) fn bit(&self, def: &AiDef) -> Option<u16> {
        let i = self.defs.iter().position(|d| d.is_some_and(|d| std::ptr::eq(d, def)))?;
        Some(1 << i)
    }

    /// The hot AI whose two digits start `b` (every hot AI has two digits, and no other AI starts with them:
    /// the dictionary's AIs are prefix-free), as its bit and, for a pre-defined length, its value length.
    #[inline]
    pub(super) fn by_digits(&self, b: &[u8]) -> Option<(u16, Option<usize>)> {
        let i = match b.get(..2)? {
            b"01" => 0,
            b"00" => 1,
            b"10" => 2,
            b"21" => 3,
            b"17" => 4,
            b"11" => 5,
            b"13" => 6,
            b"15" => 7,
            b"16" => 8,
            _ => return None,
        };
        self.defs.get(i)?.as_ref()?;
        Some((1 << i, *self.fixed.get(i)?))
    }

    /// Whether `value` certainly passes the checks of the hot AI `bit` (a `false` may still be valid: the
    /// dictionary's validator decides).
    #[inline]
    pub(super) fn surely_valid(&self, bit: u16, value: &[u8]) -> bool {
        let i = bit.trailing_zeros() as usize;
        self.shapes.get(i).copied().flatten().is_some_and(|s| s.surely_valid(value))
    }

    /// Whether the pairing rules hold for the set `mask` of hot AIs.
    #[inline]
    pub(super) fn pairs_ok(&self, mask: u16) -> bool {
        self.pairs_ok.get(usize::from(mask)).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hot_ai_is_in_the_dictionary_with_a_decidable_shape() {
        let hot = Hot::get();
        for (ai, (d, s)) in AIS.iter().zip(hot.defs.iter().zip(&hot.shapes)) {
            assert!(d.is_some(), "({ai}) missing");
            assert!(s.is_some(), "({ai}) has no shape the quick check decides");
        }
    }

    #[test]
    fn pairing_verdicts_are_the_dictionarys() {
        let hot = Hot::get();
        let ai = |a: &str| hot.bit(lookup(a).unwrap()).unwrap();
        assert!(hot.pairs_ok(ai("01") | ai("17") | ai("10") | ai("21")));
        assert!(hot.pairs_ok(ai("00")));
        assert!(!hot.pairs_ok(ai("21")), "a serial needs its GTIN");
        assert!(!hot.pairs_ok(ai("10") | ai("17")), "a lot needs its GTIN");
        assert!(hot.bit(lookup("3103").unwrap()).is_none());
    }

    /// `by_digits` agrees with the dictionary's prefix lookup and its lengths.
    #[test]
    fn by_digits_is_the_prefix_lookup() {
        let hot = Hot::get();
        for ai in AIS {
            let def = lookup(ai).unwrap();
            let probe = format!("{ai}123456789012345678");
            assert!(std::ptr::eq(crate::code::gs1::lookup_prefix(probe.as_bytes()).unwrap(), def), "({ai})");
            let (bit, fixed) = hot.by_digits(probe.as_bytes()).unwrap();
            assert_eq!(Some(bit), hot.bit(def), "({ai})");
            assert_eq!(fixed, def.predefined.then_some(usize::from(def.max_len)), "({ai})");
        }
        assert!(hot.by_digits(b"31").is_none() && hot.by_digits(b"0").is_none());
    }
}
