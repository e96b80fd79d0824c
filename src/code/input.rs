//! Scanner input normalisation: what arrives from a scanner, an RFID reader, a camera app or a keyboard is
//! cleaned up before any scheme sees it, and every change is recorded so error positions point into the
//! *original* bytes.
//!
//! Handled here (codes.md §7): UTF-8 BOM, surrounding whitespace / CR / LF / NUL, full-width ASCII from Chinese
//! input methods (`０-９`, `Ａ-Ｚ`, `（`…), AIM symbology identifiers (`]C1`, `]d2`, `]Q3`, …) with the carrier they
//! name, the composite separator `|`, and — only for GS1 element strings — the keyboard-wedge substitutes for
//! FNC1/GS: `<GS>`, `{GS}`, `[GS]`, `\x1D` or `\x1d` typed literally, `~1`, `^`, tab, and `|` (none of these can
//! occur in GS1 data: CSET 82 excludes them).
//!
//! # Example
//! ```
//! use tracecode::code::{Carrier, input::{AimMode, normalize}};
//!
//! // A GS1 QR code read by a scanner that sends an AIM identifier, through an input method that turned the
//! // first two digits full-width, with spaces and CR LF around it.
//! let n = normalize("  ]Q3０１0950600013435221XYZ789\r\n".as_bytes())?;
//! assert_eq!((n.carrier, n.aim), (Carrier::Gs1Qr, AimMode::Gs1));
//! assert_eq!(n.bytes(), b"010950600013435221XYZ789");
//! // Positions map back to the original bytes: "０" and "１" take three bytes each.
//! assert_eq!((n.orig(0), n.orig(1), n.orig(2)), (5, 8, 11));
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::borrow::Cow;

use super::{Carrier, Warning};
use crate::{Error, ErrorKind};

/// Longest input accepted by [`normalize`]: far above any real code (a Digital Link with attributes is a few
/// hundred bytes), low enough that hostile input cannot make parsing expensive.
pub const MAX_INPUT: usize = 4096;

/// What an AIM symbology identifier says about the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AimMode {
    /// No identifier was sent.
    None,
    /// A GS1 mode (FNC1 in first position): the payload is a GS1 element string.
    Gs1,
    /// EAN-13 / UPC-A / UPC-E: 13 digits.
    Ean13,
    /// EAN-8: 8 digits.
    Ean8,
    /// ITF-14: 14 digits.
    Itf14,
    /// A plain (non-GS1) symbology: the payload is free text (URL, national code, ...).
    Text,
}

/// Normalised input: the cleaned bytes, how to map positions back, and what the prefix said.
#[derive(Clone, Debug)]
pub struct Normalized<'a> {
    text: Cow<'a, [u8]>,
    /// Original offset of each byte of `text` (only when bytes were folded; otherwise a plain shift).
    map: Option<Vec<u32>>,
    /// Original offset of `text[0]` when `map` is `None`.
    base: usize,
    /// Original input length (for mapping the end position).
    orig_len: usize,
    /// Carrier named by the AIM identifier.
    pub carrier: Carrier,
    /// What the AIM identifier implies for the payload.
    pub aim: AimMode,
    /// The raw AIM identifier, e.g. `"]d2"`.
    pub aim_id: Option<[u8; 3]>,
    /// Things that were tolerated.
    pub warnings: Vec<Warning>,
}

impl Normalized<'_> {
    /// The cleaned bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.text
    }

    /// Maps a position in [`Self::bytes`] back to the original input.
    pub fn orig(&self, pos: usize) -> usize {
        match &self.map {
            None => self.base.saturating_add(pos).min(self.orig_len),
            Some(m) => m.get(pos).map_or(self.orig_len, |&p| p as usize),
        }
    }

    /// Maps an error whose offset/len refer to [`Self::bytes`] back to the original input (an error without a
    /// position is returned as is).
    pub fn map_err(&self, e: Error) -> Error {
        let Some((offset, len)) = e.position() else { return e };
        let start = self.orig(offset);
        let end = if len == 0 { start } else { self.orig(offset + len - 1) + 1 };
        e.at(start, end.saturating_sub(start))
    }

    /// Splits off the part after a composite separator `|` (EAN/UPC + 2D composite), if any.
    pub(crate) fn split_composite(&self) -> Option<(usize, usize)> {
        let b = self.bytes();
        let bar = b.iter().position(|&c| c == b'|')?;
        // A composite component is itself announced by an AIM id (`]e0`) or is plain element data.
        let rest = b.get(bar + 1..)?;
        let skip = if rest.starts_with(b"]e0") { 3 } else { 0 };
        Some((bar, bar + 1 + skip))
    }
}

/// Maps an AIM symbology identifier (the two characters after `]`) to carrier and payload mode.
/// Source: ISO/IEC 15424 and GS1 General Specifications §5.1.2 (table in codes.md §2.2).
pub(crate) fn aim(code: u8, modifier: u8) -> Option<(Carrier, AimMode)> {
    Some(match (code, modifier) {
        (b'C', b'1') => (Carrier::Gs1_128, AimMode::Gs1),
        (b'C', b'0' | b'2' | b'4') => (Carrier::Code128, AimMode::Text),
        // ISO/IEC 16022: d2 = FNC1 in first position (GS1), d5 = the same with ECI; d3/d6 = FNC1 in second
        // position (an AIM application indicator, not GS1), d1/d4 = plain (with ECI).
        (b'd', b'2' | b'5') => (Carrier::Gs1DataMatrix, AimMode::Gs1),
        (b'd', b'0' | b'1' | b'3' | b'4' | b'6') => (Carrier::DataMatrix, AimMode::Text),
        // ISO/IEC 18004: Q3 = FNC1 in first position (GS1), Q4 = the same with ECI; Q5/Q6 = FNC1 in second
        // position; Q0-Q2 plain.
        (b'Q', b'3' | b'4') => (Carrier::Gs1Qr, AimMode::Gs1),
        (b'Q', b'0' | b'1' | b'2' | b'5' | b'6') => (Carrier::Qr, AimMode::Text),
        (b'e', b'0'..=b'3') => (Carrier::DataBar, AimMode::Gs1),
        (b'J', b'1') => (Carrier::Gs1DotCode, AimMode::Gs1),
        (b'E', b'0' | b'3') => (Carrier::Ean13, AimMode::Ean13),
        (b'E', b'4') => (Carrier::Ean8, AimMode::Ean8),
        (b'E', b'1' | b'2') => (Carrier::Ean13, AimMode::Text),
        (b'I', b'1') => (Carrier::Itf, AimMode::Itf14),
        (b'I', b'0') => (Carrier::Itf, AimMode::Text),
        (b'J', b'0') | (b'L' | b'h' | b'z', _) => (Carrier::Unknown, AimMode::Text),
        _ => return None,
    })
}

/// Full-width forms U+FF01..U+FF5E map to ASCII 0x21..0x7E by subtracting 0xFEE0; U+3000 is a space.
fn fold_fullwidth(c: char) -> Option<u8> {
    let u = u32::from(c);
    if (0xFF01..=0xFF5E).contains(&u) {
        return u8::try_from(u - 0xFEE0).ok();
    }
    if u == 0x3000 {
        return Some(b' ');
    }
    None
}

pub(crate) fn is_trim(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0 | 0x0B | 0x0C)
}

/// Cleans scanner input. Never fails except on empty or oversized input.
///
/// # Errors
/// [`ErrorKind::Empty`] when nothing is left after trimming; [`ErrorKind::Length`] above [`MAX_INPUT`] bytes.
///
/// ```
/// use tracecode::code::{input::{normalize, AimMode}, Carrier};
/// let n = normalize(b"\xEF\xBB\xBF]d2010950600013435217261231\r\n")?;
/// assert_eq!(n.carrier, Carrier::Gs1DataMatrix);
/// assert_eq!(n.aim, AimMode::Gs1);
/// assert_eq!(n.bytes(), b"010950600013435217261231");
/// assert_eq!(n.orig(0), 6); // after the BOM and "]d2"
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn normalize(input: &[u8]) -> Result<Normalized<'_>, Error> {
    if input.len() > MAX_INPUT {
        return Err(Error::new(
            ErrorKind::Length,
            MAX_INPUT,
            input.len() - MAX_INPUT,
            format!("input is {} bytes; at most {MAX_INPUT} are accepted", input.len()),
        ));
    }
    let mut warnings = Vec::new();
    let mut start = 0;
    if input.starts_with(b"\xEF\xBB\xBF") {
        start = 3;
    }
    let mut end = input.len();
    while start < end && input.get(start).is_some_and(|&b| is_trim(b)) {
        start += 1;
    }
    while end > start && input.get(end - 1).is_some_and(|&b| is_trim(b)) {
        end -= 1;
    }
    let body = input.get(start..end).unwrap_or_default();
    if body.is_empty() {
        return Err(Error::new(ErrorKind::Empty, 0, input.len(), "nothing was scanned (empty input)"));
    }

    // Full-width folding needs a position map; plain ASCII (the common case) borrows without copying.
    let (text, map, base): (Cow<'_, [u8]>, Option<Vec<u32>>, usize) = if body.is_ascii() {
        (Cow::Borrowed(body), None, start)
    } else {
        match std::str::from_utf8(body) {
            Ok(s) if s.chars().any(|c| fold_fullwidth(c).is_some()) => {
                let mut out = Vec::with_capacity(s.len());
                let mut map = Vec::with_capacity(s.len());
                for (i, c) in s.char_indices() {
                    let orig = u32::try_from(start + i).unwrap_or(u32::MAX);
                    if let Some(a) = fold_fullwidth(c) {
                        out.push(a);
                        map.push(orig);
                    } else {
                        let mut buf = [0u8; 4];
                        for (k, &b) in c.encode_utf8(&mut buf).as_bytes().iter().enumerate() {
                            out.push(b);
                            map.push(orig + u32::try_from(k).unwrap_or(0));
                        }
                    }
                }
                warnings.push(Warning::new("fullwidth_folded", "full-width characters were read as ASCII"));
                (Cow::Owned(out), Some(map), start)
            }
            _ => (Cow::Borrowed(body), None, start),
        }
    };

    let mut n = Normalized {
        text,
        map,
        base,
        orig_len: input.len(),
        carrier: Carrier::Unknown,
        aim: AimMode::None,
        aim_id: None,
        warnings,
    };
    // AIM symbology identifier: `]` + code character + modifier.
    if let [b']', c, m, ..] = *n.bytes()
        && let Some((carrier, mode)) = aim(c, m)
    {
        n.carrier = carrier;
        n.aim = mode;
        n.aim_id = Some([b']', c, m]);
        n.drop_front(3);
    }
    if n.bytes().is_empty() {
        return Err(Error::new(ErrorKind::Empty, input.len(), 0, "the scan holds a symbology identifier but no data"));
    }
    Ok(n)
}

impl Normalized<'_> {
    fn drop_front(&mut self, k: usize) {
        match &mut self.text {
            Cow::Borrowed(b) => *b = b.get(k..).unwrap_or_default(),
            Cow::Owned(v) => {
                v.drain(..k.min(v.len()));
            }
        }
        match &mut self.map {
            Some(m) => {
                m.drain(..k.min(m.len()));
            }
            None => self.base += k,
        }
    }

    /// A sub-range `[from, to)` of the cleaned bytes as its own `Normalized` (positions still map to the
    /// original input).
    pub(crate) fn slice(&self, from: usize, to: usize) -> Normalized<'_> {
        let text = self.text.get(from..to).unwrap_or_default();
        Normalized {
            text: Cow::Borrowed(text),
            map: self.map.as_ref().map(|m| m.get(from..to).unwrap_or_default().to_vec()),
            base: self.base + from,
            orig_len: self.orig_len,
            carrier: self.carrier,
            aim: self.aim,
            aim_id: self.aim_id,
            warnings: Vec::new(),
        }
    }

    /// True if the bytes contain a character that can start a keyboard-wedge FNC1 substitute or a composite
    /// separator. Plain scans (the common case) have none, and then skip substitution and composite handling.
    pub(crate) fn has_wedge_bytes(&self) -> bool {
        // A 256-entry table beats a match per byte on this hot path (every GS1 scan passes here).
        #[allow(clippy::indexing_slicing, reason = "const evaluation: an out-of-range index fails the build")]
        static FIRST: [bool; 256] = {
            let mut t = [false; 256];
            let mut i = 0;
            let starts = b"<{[\\~^\t|";
            while i < starts.len() {
                t[starts[i] as usize] = true;
                i += 1;
            }
            t
        };
        self.bytes().iter().any(|&c| FIRST.get(usize::from(c)).copied().unwrap_or(false))
    }

    /// The cleaned bytes with keyboard-wedge FNC1 substitutes replaced by GS (0x1D), for GS1 element strings.
    /// Returns `None` when nothing needed replacing (the common case: no copy).
    pub(crate) fn with_gs(&self) -> Option<(Vec<u8>, Vec<u32>)> {
        const SUBS: &[&[u8]] = &[b"<GS>", b"{GS}", b"[GS]", b"\\x1D", b"\\x1d", b"<FNC1>", b"~1", b"^", b"\t", b"|"];
        let b = self.bytes();
        if !self.has_wedge_bytes() {
            return None;
        }
        let mut out = Vec::with_capacity(b.len());
        let mut map = Vec::with_capacity(b.len());
        let mut i = 0;
        let mut changed = false;
        while i < b.len() {
            let rest = b.get(i..).unwrap_or_default();
            if let Some(s) = SUBS.iter().find(|s| rest.starts_with(s)) {
                out.push(super::gs1::GS);
                map.push(u32::try_from(self.orig(i)).unwrap_or(u32::MAX));
                i += s.len();
                changed = true;
            } else {
                out.push(rest.first().copied().unwrap_or(0));
                map.push(u32::try_from(self.orig(i)).unwrap_or(u32::MAX));
                i += 1;
            }
        }
        changed.then_some((out, map))
    }
}

/// Maps an error from a buffer produced by [`Normalized::with_gs`] back to original positions.
pub(crate) fn map_err_with(map: &[u32], orig_len: usize, e: Error) -> Error {
    let at = |p: usize| map.get(p).map_or(orig_len, |&v| v as usize);
    let Some((offset, len)) = e.position() else { return e };
    let start = at(offset);
    let end = if len == 0 { start } else { at(offset + len - 1) + 1 };
    e.at(start, end.saturating_sub(start))
}

impl Normalized<'_> {
    /// Original input length.
    pub(crate) fn orig_len(&self) -> usize {
        self.orig_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_maps_positions() {
        let n = normalize(b"  ]C1 0100").unwrap();
        assert_eq!(n.carrier, Carrier::Gs1_128);
        assert_eq!(n.bytes(), b" 0100");
        assert_eq!(n.orig(1), 6);
    }

    #[test]
    fn folds_fullwidth_digits_with_map() {
        let s = "１２3";
        let n = normalize(s.as_bytes()).unwrap();
        assert_eq!(n.bytes(), b"123");
        assert_eq!(n.orig(1), 3);
        assert_eq!(n.orig(2), 6);
        assert_eq!(n.warnings.len(), 1);
    }

    #[test]
    fn empty_and_oversized() {
        assert_eq!(normalize(b" \r\n\0").unwrap_err().kind(), ErrorKind::Empty);
        assert_eq!(normalize(b"]d2").unwrap_err().kind(), ErrorKind::Empty);
        assert_eq!(normalize(&vec![b'1'; MAX_INPUT + 1]).unwrap_err().kind(), ErrorKind::Length);
    }

    #[test]
    fn gs_substitutes() {
        let n = normalize(b"10AB<GS>21X").unwrap();
        let (out, map) = n.with_gs().unwrap();
        assert_eq!(out, b"10AB\x1d21X");
        assert_eq!(map[5], 8);
        assert!(normalize(b"10AB\x1d21X").unwrap().with_gs().is_none());
    }

    #[test]
    fn error_mapping_through_aim() {
        let n = normalize(b"]d2ABC").unwrap();
        let e = n.map_err(Error::new(ErrorKind::Syntax, 1, 2, "x"));
        assert_eq!((e.offset(), e.len()), (Some(4), Some(2)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            if let Ok(n) = normalize(&bytes) {
                for i in 0..=n.bytes().len() { proptest::prop_assert!(n.orig(i) <= bytes.len()); }
                let _ = n.with_gs();
            }
        }
    }
}
