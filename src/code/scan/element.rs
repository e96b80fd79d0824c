//! Fast paths for element strings and bare keys (see the [module docs](super)).

use crate::code::TraceKey;

/// The key of `input` when it is an element string or bare key this path fully validates; `None` otherwise
/// (the full parser then decides).
pub(super) fn fast_key(input: &[u8]) -> Option<TraceKey> {
    let _ = input;
    None
}
