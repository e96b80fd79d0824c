//! GS1: the Application Identifier table, element strings, Digital Link URIs, EPC URIs and RFID binary.
//!
//! Every GS1 spelling of an item is parsed into one [`Gs1`] element list; identity ([`crate::code::TraceKey`])
//! is derived from that list, which is why a GS1-128 scan, a DataMatrix, a Digital Link QR code and an RFID EPC
//! of the same item collapse to one key.
//!
//! # Example
//! ```
//! use tracecode::code::{gs1, parse};
//!
//! // A GS1 DataMatrix scan and a Digital Link of the same item give the same element list.
//! let scan = parse("]d2010950600013435221XYZ789")?;
//! let link = parse("https://id.gs1.org/01/09506000134352/21/XYZ789")?;
//! let g = scan.gs1().unwrap();
//! assert_eq!(link.gs1(), Some(g));
//! assert_eq!(g.iter().map(|e| e.ai()).collect::<Vec<_>>(), ["01", "21"]);
//! assert_eq!(g.get("21"), Some("XYZ789"));
//! // Each element points at its definition in the AI table.
//! assert_eq!(g.get_index(1).unwrap().def, gs1::lookup("21").unwrap());
//! # Ok::<(), tracecode::Error>(())
//! ```

pub mod ai;
/// The AI table generated from the GS1 Barcode Syntax Dictionary.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, reason = "generated table")]
mod ai_table;
pub mod digital_link;
pub mod element;
pub mod epc_binary;
pub mod epc_uri;
pub mod gcp;
pub mod lint;

pub use ai::{AiDef, Charset, Component, Linter, all as all_ais, lookup, lookup_prefix};
pub use ai_table::{DICTIONARY_HASH, DICTIONARY_LEN, DICTIONARY_RELEASE};

/// The ASCII group separator (GS, 0x1D): FNC1 in a transmitted element string.
pub const GS: u8 = 0x1D;

/// Maximum number of elements in one message (the reference engine's limit).
pub const MAX_ELEMENTS: usize = 64;

/// Expands an 8-digit UPC-E (number system 0 or 1, six digits, check) to its 12-digit UPC-A.
///
/// Only the structure is checked here; the caller verifies that the UPC-E check digit (the last one) equals
/// the UPC-A check digit. Rule: GS1 General Specifications, table in codes.md §1.3.
///
/// ```
/// assert_eq!(&tracecode::code::gs1::upce_to_upca(b"04252614").unwrap(), b"042100005264");
/// assert_eq!(&tracecode::code::gs1::upce_to_upca(b"13579173").unwrap(), b"135791000073");
/// ```
pub fn upce_to_upca(upce: &[u8]) -> Option<[u8; 12]> {
    let &[ns, d1, d2, d3, d4, d5, d6, check] = upce else { return None };
    if !matches!(ns, b'0' | b'1') || !upce.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let z = b'0';
    let body: [u8; 11] = match d6 {
        b'0'..=b'2' => [ns, d1, d2, d6, z, z, z, z, d3, d4, d5],
        b'3' => [ns, d1, d2, d3, z, z, z, z, z, d4, d5],
        b'4' => [ns, d1, d2, d3, d4, z, z, z, z, z, d5],
        _ => [ns, d1, d2, d3, d4, d5, z, z, z, z, d6],
    };
    let mut out = [0u8; 12];
    let (head, tail) = out.split_at_mut(11);
    head.copy_from_slice(&body);
    if let Some(c) = tail.first_mut() {
        *c = crate::code::check::gs1_check_digit(&body)?;
    }
    let _ = check;
    Some(out)
}

/// One (AI, value) pair of a [`Gs1`] element list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element<'a> {
    /// The AI's definition (digits, format, title, rules).
    pub def: &'static AiDef,
    /// The value, validated against the definition.
    pub value: &'a str,
}

impl Element<'_> {
    /// The AI digits, e.g. `"01"`.
    pub fn ai(&self) -> &'static str {
        self.def.ai
    }
}

#[derive(Clone, Copy, Debug)]
struct Span {
    def: &'static AiDef,
    start: u16,
    end: u16,
    /// Byte offset of the AI in the input it was parsed from (for pairing-rule error positions).
    src: u32,
}

/// A validated list of GS1 elements in the order they were read.
///
/// Values are stored in one buffer with spans (one allocation for the text, one for the spans), because a
/// scan typically carries 2–5 elements and parsing millions per second must not allocate per element.
///
/// Equality compares the elements in order; two spellings of one item compare equal as
/// [`crate::code::TraceKey`]s, not necessarily as element lists (a DataMatrix may carry an expiry date that an
/// RFID EPC does not).
#[derive(Clone, Debug, Default)]
pub struct Gs1 {
    buf: String,
    spans: Vec<Span>,
}

impl PartialEq for Gs1 {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|(a, b)| a.def.ai == b.def.ai && a.value == b.value)
    }
}
impl Eq for Gs1 {}

impl Gs1 {
    /// An empty list with room for `n` elements of `bytes` total value length.
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        Self { buf: String::with_capacity(bytes), spans: Vec::with_capacity(n) }
    }

    /// Appends an element without validating it. `src` is the AI's byte offset in the parsed input.
    ///
    /// Callers validate first ([`lint::validate_value`]); lengths are bounded by the AI table (≤ 90 bytes per
    /// value, ≤ [`MAX_ELEMENTS`] elements), so the `u16` spans cannot overflow for parsed input.
    pub(crate) fn push_unchecked(&mut self, def: &'static AiDef, value: &str, src: usize) {
        let start = u16::try_from(self.buf.len()).unwrap_or(u16::MAX);
        self.buf.push_str(value);
        let end = u16::try_from(self.buf.len()).unwrap_or(u16::MAX);
        self.spans.push(Span { def, start, end, src: u32::try_from(src).unwrap_or(u32::MAX) });
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The elements in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Element<'_>> + '_ {
        self.spans.iter().map(|s| Element {
            def: s.def,
            value: self.buf.get(usize::from(s.start)..usize::from(s.end)).unwrap_or(""),
        })
    }

    /// The element at `i`.
    pub fn get_index(&self, i: usize) -> Option<Element<'_>> {
        let s = self.spans.get(i)?;
        Some(Element { def: s.def, value: self.buf.get(usize::from(s.start)..usize::from(s.end))? })
    }

    /// Byte offset, in the parsed input, of the AI of element `i` (0 for lists built in code).
    pub fn source_offset(&self, i: usize) -> usize {
        self.spans.get(i).map_or(0, |s| s.src as usize)
    }

    /// The value of the first element with AI `ai`.
    ///
    /// ```
    /// let code = tracecode::code::parse("(01)09506000134352(10)ABC123")?;
    /// assert_eq!(code.gs1().unwrap().get("10"), Some("ABC123"));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.iter().find(|e| e.def.ai == ai).map(|e| e.value)
    }

    /// True if an element with AI `ai` is present.
    pub fn contains(&self, ai: &str) -> bool {
        self.spans.iter().any(|s| s.def.ai == ai)
    }
}

impl<'a> IntoIterator for &'a Gs1 {
    type Item = Element<'a>;
    type IntoIter = Box<dyn ExactSizeIterator<Item = Element<'a>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
