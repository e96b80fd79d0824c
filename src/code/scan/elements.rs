//! Element strings (transmitted with GS separators, and bracketed) read as borrowed spans of the scan: the same
//! steps as [`parse_element_string`](crate::code::gs1::element::parse_element_string) and
//! [`parse_bracketed`](crate::code::gs1::element::parse_bracketed) with the same validator
//! ([`lint::validate_value`]), pairing check ([`lint::check_pairings_of`]) and key builder
//! ([`TraceKey::from_elements`]), without building a `Gs1` list, warnings or a `Code`. Whatever those parsers
//! would report or tolerate with a warning (a repeated AI, a keyboard-wedge substitute, more elements than fit
//! here) ends the fast path instead.

use crate::code::bytes::find;
use crate::code::gs1::lint::{self, LintContext};
use crate::code::gs1::{AiDef, GS, all_ais, lookup_prefix};
use crate::code::{ParseOptions, TraceKey};

use super::hot::Hot;
use super::hot_elements;
use super::value;

/// Elements held on the stack; a scan with more goes to the full parser (real scans carry 2-6).
const MAX: usize = 16;

/// The validated elements of one scan, in scan order, as spans of it.
struct Elements<'a> {
    /// `items[..len]` are the elements; the rest hold a placeholder.
    items: [(&'static AiDef, &'a [u8]); MAX],
    len: usize,
    ctx: LintContext,
    hot: &'static Hot,
    /// The hot AIs present (see [`Hot`]).
    mask: u16,
    /// An AI that is not hot is present: the pairing rules are checked in full.
    cold: bool,
}

impl<'a> Elements<'a> {
    fn new() -> Option<Self> {
        let placeholder = all_ais().first()?;
        // The year the full parser's default options use for two-digit years (the same cached clock read).
        let ctx = LintContext { current_year: ParseOptions::new().effective_year() };
        Some(Self { items: [(placeholder, &[]); MAX], len: 0, ctx, hot: Hot::get(), mask: 0, cold: false })
    }

    /// Validates `value` against `def` and appends it; `None` when the value is invalid, the AI repeats (the
    /// parser keeps one copy with a warning or refuses it) or the list is full.
    fn push(&mut self, def: &'static AiDef, value: &'a [u8]) -> Option<()> {
        // The common values pass a few compares; the rest, and any doubt, the dictionary's own validator.
        if let Some(bit) = self.hot.bit(def) {
            if self.mask & bit != 0 {
                return None;
            }
            if !self.hot.surely_valid(bit, value) {
                lint::validate_value(def, value, &self.ctx).ok()?;
            }
            self.mask |= bit;
        } else {
            if !value::surely_valid(def, value) {
                lint::validate_value(def, value, &self.ctx).ok()?;
            }
            if self.items.get(..self.len)?.iter().any(|(d, _)| std::ptr::eq(*d, def)) {
                return None;
            }
            self.cold = true;
        }
        *self.items.get_mut(self.len)? = (def, value);
        self.len += 1;
        Some(())
    }

    /// The key, when the pairing rules hold and the elements carry an identification key.
    fn key(&self) -> Option<TraceKey> {
        let items = self.items.get(..self.len)?;
        if self.cold {
            lint::check_pairings_of(|| items.iter().map(|(d, _)| *d), |_| 0).ok()?;
        } else if !self.hot.pairs_ok(self.mask) {
            return None;
        }
        TraceKey::from_elements(|| items.iter().map(|(d, v)| (d.ai, *v))).ok()
    }
}

/// A GS1 element string in transmitted form (the payload after a GS1 AIM identifier, or text with separators
/// or an inferred one), as `parse_element_string` reads it: a leading GS (FNC1 in first position), AIs found
/// by prefix, pre-defined lengths from the table, variable values up to the next GS, a redundant GS after a
/// pre-defined value and a trailing GS tolerated.
pub(super) fn transmitted(input: &[u8]) -> Option<TraceKey> {
    hot_elements::transmitted(input).or_else(|| transmitted_any(input))
}

/// [`transmitted`] for any AIs.
fn transmitted_any(input: &[u8]) -> Option<TraceKey> {
    let mut list = Elements::new()?;
    let len = input.len();
    let mut p = usize::from(input.first() == Some(&GS));
    if p == len {
        return None;
    }
    while p < len {
        let rest = input.get(p..)?;
        // Two separators in a row, or an unknown AI (the default options permit none).
        if rest.first() == Some(&GS) {
            return None;
        }
        let def = lookup_prefix(rest)?;
        let vstart = p + def.ai.len();
        let end = if def.predefined {
            // No character set admits GS, so a full-length value that validates holds no separator.
            vstart + usize::from(def.max_len)
        } else {
            // A keyboard-wedge substitute for GS (`<GS>`, `^`, `~1`, `|` …) makes the parser substitute or split
            // the input. Every substitute but `<GS>` and `<FNC1>` holds a byte outside all AI character sets, so
            // validation rejects it anyway; those two start with `<`, the one substitute-starting byte CSET 82
            // admits, and only variable-length values can hold it (pre-defined lengths are all numeric).
            let stop = vstart + find(input.get(vstart..)?, GS, b'<');
            if input.get(stop) == Some(&b'<') {
                return None;
            }
            stop
        };
        list.push(def, input.get(vstart..end)?)?;
        p = end;
        if input.get(p) == Some(&GS) {
            p += 1;
        }
    }
    list.key()
}

/// A bracketed element string, `(01)09506000134352(10)ABC123`, as `parse_bracketed` reads it: each AI in
/// parentheses (closed within 6 bytes), its value running to the next `(`. An escaped parenthesis (`\(`) is
/// never taken: its value ends at the `\`, which no AI character set admits, so validation ends the fast path.
pub(super) fn bracketed(input: &[u8]) -> Option<TraceKey> {
    hot_elements::bracketed(input).or_else(|| bracketed_any(input))
}

/// [`bracketed`] for any AIs.
fn bracketed_any(input: &[u8]) -> Option<TraceKey> {
    let mut list = Elements::new()?;
    let len = input.len();
    let mut p = 0;
    while p < len {
        if input.get(p) != Some(&b'(') {
            return None;
        }
        let ai_start = p + 1;
        let ai_len = input.get(ai_start..)?.iter().take(6).position(|&b| b == b')')?;
        let digits = input.get(ai_start..ai_start + ai_len)?;
        let def = lookup_prefix(digits).filter(|d| d.ai.len() == ai_len)?;
        let vstart = ai_start + ai_len + 1;
        let vend = vstart + find(input.get(vstart..)?, b'(', b'(');
        list.push(def, input.get(vstart..vend)?)?;
        p = vend;
    }
    list.key()
}
