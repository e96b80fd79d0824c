//! The scan path: what a scanner sends, straight to its [`TraceKey`].
//!
//! [`parse`](super::parse) builds an owned [`Code`](super::Code) with every element, its checks and its
//! renderings; resolving a scan needs only the key. [`scan_key`] gives the same key (or the same error) as
//! `parse(input)?.trace_key()`, taking allocation-free fast paths for the forms that dominate real traffic and
//! falling back to the full parser for everything else. A fast path only ever *accepts*: whenever its input is
//! not one it fully validates (a failed check, an unusual spelling, anything it does not handle), it defers to
//! the full parser, which then reports the typed, positioned error. So the two can differ only in speed, which
//! the equivalence tests and the fuzz target check.
//!
//! - `element`: bare GS1 keys (GTIN-8/12/13/14, UPC-E, SSCC) with or without an AIM symbology identifier,
//!   GS1-128 and DataMatrix element strings in transmitted and bracketed form, China's 20-digit drug code,
//!   also grouped as printed, and (`national`) the detonator, gas-cylinder and 20-digit equipment registration
//!   codes, and the 24- and 32-digit veterinary-drug and pesticide codes; element strings whose AIs are all
//!   among the dominant ones (`hot`: GTIN, SSCC, lot, serial, dates) take `hot_elements`, one pass with
//!   precomputed value checks and pairing verdicts;
//! - `url`: those codes inside a trace URL (`https://host/q?code=…`);
//! - `digital_link`: GS1 Digital Link URIs;
//! - `epc`: SGTIN and SSCC EPC URIs.
//!
//! What each form costs, before and after, and where the rest goes: `docs/SCAN.md`.
//!
//! # Example
//! ```
//! use tracecode::code::{parse, scan_key};
//!
//! let scan = "]d2010950600013435217261231101ABC\u{1d}21S1";
//! assert_eq!(scan_key(scan)?, parse(scan)?.trace_key()?);
//! assert_eq!(scan_key(scan)?.to_string(), "01/09506000134352/21/S1");
//! // Bad input: the full parser's error, position included.
//! let bad = "]d2010950600013435317261231";
//! assert_eq!(scan_key(bad).unwrap_err().offset(), parse(bad).unwrap_err().offset());
//! # Ok::<(), tracecode::Error>(())
//! ```

mod bare;
mod digital_link;
mod element;
mod elements;
mod epc;
mod hot;
mod hot_elements;
mod national;
#[cfg(test)]
mod tests;
mod url;
mod value;

use super::TraceKey;
use super::gs1::digital_link::dl_shaped;
use crate::Error;

/// The trace key of a scan: `parse(input)?.trace_key()`, faster on the common forms.
///
/// # Errors
/// Exactly those of [`parse`](super::parse) and [`Code::trace_key`](super::Code::trace_key).
///
/// ```
/// use tracecode::code::scan_key;
///
/// assert_eq!(scan_key("]E09506000134352")?.to_string(), "01/09506000134352");
/// assert!(scan_key("]E09506000134353").is_err()); // check digit
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn scan_key(input: impl AsRef<[u8]>) -> Result<TraceKey, Error> {
    let b = input.as_ref();
    match fast_key(b) {
        Some(k) => Ok(k),
        None => super::parse(b)?.trace_key(),
    }
}

/// The fast paths alone: `Some(key)` only where `parse(input)?.trace_key()` is `Ok(key)`; `None` leaves the
/// input to the full parser. Visible to the crate for the equivalence tests and the fuzz oracle.
pub(crate) fn fast_key(b: &[u8]) -> Option<TraceKey> {
    if b.starts_with(b"http") {
        // A link the Digital Link path accepts has a primary key in its path, which makes it Digital Link
        // shaped (`every_primary_key_makes_a_digital_link_shape`); any other URL is a trace URL or the parser's.
        if dl_shaped(b, true) { digital_link::fast_key(b) } else { url::fast_key(b) }
    } else if b.starts_with(b"urn:") {
        epc::fast_key(b)
    } else {
        element::fast_key(b)
    }
}
