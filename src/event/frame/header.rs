//! The frame around a payload: magic, version, kind, LEB128 length, then the CRC-32 after the payload. Reading
//! checks them in that order and stops at the first fault; writing appends a whole frame.

use bincode::Options as _;
use serde::Serialize;

use super::wire::codec;
use super::{INTERNED, MAGIC, MAX_PAYLOAD, VERSION};
use crate::{Error, ErrorKind};

pub(super) const CRC_LEN: usize = 4;
/// Bytes of the fixed header part before the length: magic, version, kind.
const FIXED: usize = 4;
/// A LEB128 length of at most 3 bytes covers [`MAX_PAYLOAD`] (21 bits).
const MAX_LEN_BYTES: usize = 3;

pub(super) struct Header {
    /// Event kind code 1..=6 (high bit removed).
    pub(super) code: u8,
    pub(super) interned: bool,
    /// Offset of the payload.
    pub(super) start: usize,
    /// Payload length.
    pub(super) len: usize,
}

fn truncated_header(have: usize) -> Error {
    Error::new(ErrorKind::Length, have, 0, "frame is truncated: the input ends inside the frame header")
}

/// Reads magic, version, kind and length, in that order, stopping at the first fault.
pub(super) fn header(bytes: &[u8]) -> Result<Header, Error> {
    for (i, &m) in MAGIC.iter().enumerate() {
        match bytes.get(i) {
            Some(&b) if b == m => {}
            Some(_) => return Err(Error::new(ErrorKind::Corrupt, 0, 2, "not a tracecode event frame (bad magic)")),
            None => return Err(truncated_header(bytes.len())),
        }
    }
    let version = *bytes.get(2).ok_or_else(|| truncated_header(bytes.len()))?;
    if version != VERSION {
        return Err(Error::new(
            ErrorKind::Version,
            2,
            1,
            format!("frame format version {version} is not supported; this build reads version {VERSION}"),
        ));
    }
    let kind = *bytes.get(3).ok_or_else(|| truncated_header(bytes.len()))?;
    let code = kind & !INTERNED;
    if !(1..=6).contains(&code) {
        return Err(Error::new(ErrorKind::Corrupt, 3, 1, format!("unknown event kind byte 0x{kind:02X} in frame")));
    }
    let mut len = 0usize;
    for i in 0..MAX_LEN_BYTES {
        let b = *bytes.get(FIXED + i).ok_or_else(|| truncated_header(bytes.len()))?;
        len |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            let n = i + 1;
            if b == 0 && i > 0 {
                return Err(Error::new(ErrorKind::Corrupt, FIXED, n, "frame length is not minimally encoded"));
            }
            if len > MAX_PAYLOAD {
                return Err(oversized(len, n));
            }
            return Ok(Header { code, interned: kind & INTERNED != 0, start: FIXED + n, len });
        }
    }
    // A fourth length byte would declare at least 2^21 bytes.
    Err(oversized(1 << 21, MAX_LEN_BYTES))
}

fn oversized(len: usize, n: usize) -> Error {
    Error::new(
        ErrorKind::Length,
        FIXED,
        n,
        format!("frame is oversized: it declares a payload of {len} bytes, above the limit of {MAX_PAYLOAD}"),
    )
}

/// Header, completeness, checksum and exact length: everything but the payload.
pub(super) fn checked(bytes: &[u8]) -> Result<(Header, &[u8]), Error> {
    checked_crc(bytes, true)
}

/// [`checked`], optionally without the CRC (for frames inside records whose own checksum covers them).
pub(super) fn checked_crc(bytes: &[u8], verify_crc: bool) -> Result<(Header, &[u8]), Error> {
    let h = header(bytes)?;
    let end = h.start + h.len;
    let total = end + CRC_LEN;
    if bytes.len() < total {
        return Err(Error::new(
            ErrorKind::Length,
            FIXED,
            h.start - FIXED,
            format!("frame is truncated: its header announces {total} bytes, only {} are present", bytes.len()),
        ));
    }
    let (body, rest) = bytes.split_at_checked(end).unwrap_or_default();
    let (stored, extra) = rest.split_at_checked(CRC_LEN).unwrap_or_default();
    let stored = u32::from_le_bytes(stored.try_into().unwrap_or_default());
    let computed = if verify_crc { crc32fast::hash(body) } else { stored };
    if stored != computed {
        return Err(Error::new(
            ErrorKind::Corrupt,
            end,
            CRC_LEN,
            format!("frame checksum mismatch (stored {stored:08X}, computed {computed:08X}): the frame is damaged"),
        ));
    }
    if !extra.is_empty() {
        return Err(Error::new(
            ErrorKind::Length,
            total,
            extra.len(),
            format!("{} unexpected bytes after the end of the frame", extra.len()),
        ));
    }
    let payload = body.get(h.start..).unwrap_or_default();
    Ok((h, payload))
}

pub(super) fn write_frame<T: Serialize>(kind: u8, payload: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    let start = out.len();
    let [m0, m1] = MAGIC;
    // One length byte is reserved; longer lengths (payload >= 128 bytes) are spliced in afterwards.
    out.extend_from_slice(&[m0, m1, VERSION, kind, 0]);
    if let Err(e) = codec().serialize_into(&mut *out, payload) {
        out.truncate(start);
        return Err(Error::msg(ErrorKind::InvalidArgument, format!("event cannot be encoded: {e}")).with_source(*e));
    }
    let len = out.len().saturating_sub(start + FIXED + 1);
    if len > MAX_PAYLOAD {
        out.truncate(start);
        return Err(Error::msg(
            ErrorKind::Length,
            format!("event is too large for one frame ({len} payload bytes, limit {MAX_PAYLOAD})"),
        ));
    }
    let mut leb = [0u8; MAX_LEN_BYTES];
    let mut n = 0;
    let mut v = len;
    for slot in &mut leb {
        n += 1;
        // Masked to 7 bits, so the cast cannot truncate.
        let low = u8::try_from(v & 0x7F).unwrap_or(0);
        v >>= 7;
        if v == 0 {
            *slot = low;
            break;
        }
        *slot = low | 0x80;
    }
    if n == 1 {
        if let Some(b) = out.get_mut(start + FIXED) {
            *b = leb.first().copied().unwrap_or(0);
        }
    } else {
        out.splice(start + FIXED..=start + FIXED, leb.iter().take(n).copied());
    }
    let crc = crc32fast::hash(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// The total length of the frame that starts at `bytes[0]`, read from its header alone (for splitting a
/// stream of frames). The frame is not verified: [`decode`] does that.
///
/// # Errors
/// [`ErrorKind::Length`] when `bytes` ends inside the header (read more and retry) or the frame is oversized;
/// [`ErrorKind::Corrupt`] / [`ErrorKind::Version`] for a header that is not a v1 frame header.
///
/// ```
/// use tracecode::event::{frame, Event, EventType, Timestamp, TzOffset};
/// let bytes = frame::encode(&Event::new(EventType::Object, Timestamp(0), TzOffset::UTC))?;
/// assert_eq!(frame::frame_len(&bytes[..5])?, bytes.len());
/// assert_eq!(frame::frame_len(&bytes[..3]).unwrap_err().kind(), tracecode::ErrorKind::Length);
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// [`decode`]: super::decode
pub fn frame_len(bytes: &[u8]) -> Result<usize, Error> {
    let h = header(bytes)?;
    Ok(h.start + h.len + CRC_LEN)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::event::frame::{MemoryDictionary, decode_interned, encode};

    #[test]
    fn every_header_error_has_its_kind_offset_and_message() {
        let good = encode(&example_object()).unwrap();
        let mut messages = Vec::new();
        let mut check = |bytes: &[u8], kind: ErrorKind, offset: usize, len: usize, word: &str| {
            let e = err(bytes);
            assert_eq!((e.kind(), e.offset(), e.len()), (kind, Some(offset), Some(len)), "{e}");
            assert!(e.message().contains(word), "{e}");
            messages.push(e.message().to_owned());
        };
        let mut b = good.clone();
        b[0] = b'{';
        check(&b, ErrorKind::Corrupt, 0, 2, "bad magic");
        let mut b = good.clone();
        b[2] = 2;
        check(&b, ErrorKind::Version, 2, 1, "version 2 is not supported");
        let mut b = good.clone();
        b[3] = 7;
        check(&b, ErrorKind::Corrupt, 3, 1, "unknown event kind");
        check(&[0xF7, b'T', 1, 1, 0x81, 0x80, 0x40], ErrorKind::Length, 4, 3, "oversized");
        check(&[0xF7, b'T', 1, 1, 0x80, 0x80, 0x80, 0x01], ErrorKind::Length, 4, 3, "oversized");
        check(&[0xF7, b'T', 1, 1, 0x85, 0x00], ErrorKind::Corrupt, 4, 2, "not minimally encoded");
        check(&good[..good.len() - 1], ErrorKind::Length, 4, 1, "truncated: its header announces");
        check(&good[..3], ErrorKind::Length, 3, 0, "inside the frame header");
        let mut b = good.clone();
        b[20] ^= 0x40;
        check(&b, ErrorKind::Corrupt, good.len() - 4, 4, "checksum mismatch");
        let mut b = good.clone();
        b.push(0);
        check(&b, ErrorKind::Length, good.len(), 1, "after the end of the frame");
        check(&forge(1, &[1, 2, 3]), ErrorKind::Corrupt, 5, 1, "payload is damaged");
        let distinct: std::collections::HashSet<_> = messages.iter().collect();
        assert_eq!(distinct.len(), messages.len(), "{messages:#?}");
        assert_eq!(err(&[]).kind(), ErrorKind::Length);
        assert_eq!(err(&[0x00]).kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn truncated_at_every_length_is_a_length_error() {
        for (_, bytes) in golden() {
            for n in 0..bytes.len() {
                let e = decode_interned(&bytes[..n], &MemoryDictionary::new()).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Length, "prefix {n}: {e}");
            }
        }
    }
}
