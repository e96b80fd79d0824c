//! The fast path for trace URLs that wrap a national code or a bare key (`https://host/q?code=8…`): China's
//! trace QR codes often hold one (see [`unwrap_url`](crate::code::cn::unwrap_url)).
//!
//! Detection reads an `http(s)` URL whose path has no GS1 key (`dl_shaped` is false) twice: as a Digital Link
//! (score 60, which usually fails) and as the code [`unwrap_url`](crate::code::cn::unwrap_url) finds inside it,
//! every reading of that code 5 points below its score alone. This path takes the second where the inner code's
//! best reading scores 70 or more alone ([`element::wrapped`](super::element::wrapped)): it then wins over the
//! Digital Link reading whatever that gives. A URL with a GS1 key path is the Digital Link path's, or the
//! parser's.
//!
//! Input normalisation is the identity: every byte must be printable ASCII other than space (normalisation
//! changes only whitespace, control bytes, non-ASCII text and a BOM, and an AIM identifier starts with `]`, not
//! `h`), and the input at most [`MAX_INPUT`] bytes.

use super::element;
use crate::code::TraceKey;
use crate::code::cn::unwrap_url_bytes;
use crate::code::input::MAX_INPUT;

/// The key of the code a trace URL wraps, when this path fully decides it; `None` otherwise. The caller checked
/// that the URL is not Digital Link shaped.
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    if input.len() > MAX_INPUT || !input.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    let (from, to) = unwrap_url_bytes(input)?;
    element::wrapped(input.get(from..to)?)
}
