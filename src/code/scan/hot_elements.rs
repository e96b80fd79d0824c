//! Element strings whose AIs are all hot ([`Hot`]): the GTIN or SSCC with dates, lot and serial, the layout of
//! nearly every DataMatrix, GS1-128 and typed element string in circulation. One pass over the scan with the
//! AIs matched by their two digits, each value checked by its precomputed shape, the pairing verdict of the
//! set looked up, and the key built from the identification key and the one qualifier that enters it.
//!
//! It reads the element string exactly as [`elements`](super::elements) does (leading, redundant and trailing
//! separators, wedge substitutes, repeats) and only ever accepts what the generic walker would accept with the
//! same key: any AI that is not hot, any value whose quick check fails, any repeat or doubt, and it returns
//! `None` so that the generic walker (then the full parser) decides.

use super::hot::Hot;
use crate::code::TraceKey;
use crate::code::gs1::GS;

use crate::code::bytes::find;

/// Bits of [`Hot`]'s order: `01`, `00`, `10`, `21`.
const GTIN: u16 = 1;
const SSCC: u16 = 1 << 1;
const LOT: u16 = 1 << 2;
const SERIAL: u16 = 1 << 3;

/// The values that enter a key, collected while walking (also by the Digital Link path, which checks its
/// values itself and [`note`](Self::note)s them).
#[derive(Default)]
pub(super) struct Found<'a> {
    mask: u16,
    /// The first identification key in scan order (`GTIN` or `SSCC`; 0 before one), and its value.
    first: u16,
    key: &'a [u8],
    lot: &'a [u8],
    serial: &'a [u8],
}

impl<'a> Found<'a> {
    /// Records a checked element; `None` for a repeated AI or a value that may not pass its checks.
    #[inline]
    fn add(&mut self, hot: &Hot, bit: u16, value: &'a [u8]) -> Option<()> {
        if self.mask & bit != 0 || !hot.surely_valid(bit, value) {
            return None;
        }
        self.note(bit, value);
        Some(())
    }

    /// Records the element of hot AI `bit`, checked and not repeated (the caller's word).
    #[inline]
    pub(super) fn note(&mut self, bit: u16, value: &'a [u8]) {
        self.mask |= bit;
        match bit {
            GTIN | SSCC if self.first == 0 => (self.first, self.key) = (bit, value),
            LOT => self.lot = value,
            SERIAL => self.serial = value,
            _ => {}
        }
    }

    /// The key, as `TraceKey::from_elements` makes it: the first identification key in scan order; a GTIN with
    /// its serial, else its lot, else alone; an SSCC alone. `None` when the pairing rules fail for the set.
    pub(super) fn key(&self, hot: &Hot) -> Option<TraceKey> {
        if !hot.pairs_ok(self.mask) {
            return None;
        }
        match self.first {
            GTIN => {
                let gtin: &[u8; 14] = self.key.try_into().ok()?;
                if self.mask & SERIAL != 0 {
                    TraceKey::from_gtin14_qualified(gtin, false, self.serial).ok()
                } else if self.mask & LOT != 0 {
                    TraceKey::from_gtin14_qualified(gtin, true, self.lot).ok()
                } else {
                    Some(TraceKey::from_gtin14(gtin))
                }
            }
            SSCC => Some(TraceKey::from_sscc(self.key.try_into().ok()?)),
            _ => None,
        }
    }
}

/// A transmitted element string (after a GS1 AIM identifier, or with separators, or inferred), read as
/// [`elements::transmitted`](super::elements::transmitted) reads it.
pub(super) fn transmitted(input: &[u8]) -> Option<TraceKey> {
    let hot = Hot::get();
    let mut found = Found::default();
    let len = input.len();
    let mut p = usize::from(input.first() == Some(&GS));
    if p == len {
        return None;
    }
    while p < len {
        // A separator here is two in a row (the generic walker refuses them too); a cold AI goes to it.
        let (bit, fixed) = hot.by_digits(input.get(p..)?)?;
        let vstart = p + 2;
        let end = if let Some(n) = fixed {
            vstart + n
        } else {
            // A keyboard-wedge substitute that CSET 82 admits starts with `<`: the generic walker's rule.
            let stop = vstart + find(input.get(vstart..)?, GS, b'<');
            if input.get(stop) == Some(&b'<') {
                return None;
            }
            stop
        };
        found.add(hot, bit, input.get(vstart..end)?)?;
        p = end;
        if input.get(p) == Some(&GS) {
            p += 1;
        }
    }
    found.key(hot)
}

/// A bracketed element string, read as [`elements::bracketed`](super::elements::bracketed) reads it: `(AI)`
/// then the value up to the next `(`.
pub(super) fn bracketed(input: &[u8]) -> Option<TraceKey> {
    let hot = Hot::get();
    let mut found = Found::default();
    let len = input.len();
    let mut p = 0;
    while p < len {
        if input.get(p) != Some(&b'(') || input.get(p + 3) != Some(&b')') {
            return None;
        }
        let (bit, _) = hot.by_digits(input.get(p + 1..p + 3)?)?;
        let vstart = p + 4;
        let vend = vstart + find(input.get(vstart..)?, b'(', b'(');
        found.add(hot, bit, input.get(vstart..vend)?)?;
        p = vend;
    }
    found.key(hot)
}
