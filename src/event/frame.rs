//! Binary event frames: one versioned, checksummed frame per [`Event`].
//!
//! Two forms share one layout. The **self-contained** form carries every identifier and name in full: it is
//! the exchange form and the bytes the event id hashes ([`encode`]). The **interned** form replaces
//! identifiers and repeated names by references into a caller-supplied [`Dictionary`], which is what keeps a
//! store's frames small ([`encode_interned`]). Decoding treats bytes as untrusted: it never panics, never
//! allocates beyond what the input can justify, and reports truncation, oversize, an unknown version and a
//! checksum mismatch as distinct errors.
//!
//! ```
//! use tracecode::event::frame::{self, MemoryDictionary};
//! use tracecode::event::{Action, Event, EventType, Id, Timestamp};
//!
//! let (t, off) = Timestamp::parse("2022-02-16T20:33:31.116-06:00")?;
//! let mut ev = Event::new(EventType::Object, t, off);
//! ev.action = Some(Action::Observe);
//! ev.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
//!
//! let full = frame::encode(&ev)?;
//! assert_eq!(frame::decode(&full)?, ev);
//!
//! let mut dict = MemoryDictionary::new();
//! let small = frame::encode_interned(&ev, &mut dict)?;
//! assert!(small.len() < full.len());
//! assert_eq!(frame::decode_interned(&small, &dict)?, ev);
//! # Ok::<(), tracecode::Error>(())
//! ```
//!
//! [`Event`]: super::Event
#![doc = include_str!("../../docs/FORMAT.md")]

mod decoder;
mod dictionary;
mod encoder;
mod header;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
mod time;
mod vocab;
mod wire;

#[cfg_attr(not(feature = "rocksdb"), allow(unused_imports, reason = "used by the RocksDB store"))]
pub(crate) use decoder::decode_stored;
pub use decoder::{decode, decode_interned};
pub use dictionary::{Dictionary, MemoryDictionary};
pub use encoder::{encode, encode_interned, encode_interned_into, encode_into};
pub use header::frame_len;
pub(crate) use vocab::Vocab;

/// The two bytes every frame starts with: `0xF7` (never valid in UTF-8, high bit set) then `T`.
pub const MAGIC: [u8; 2] = [0xF7, b'T'];

/// The frame format version this build writes and reads.
pub const VERSION: u8 = 1;

/// Bit set in the kind byte of an interned frame.
pub const INTERNED: u8 = 0x80;

/// Largest payload a frame may declare (1 MiB). Bounds every allocation made while decoding.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// Largest possible frame: 2 magic + 1 version + 1 kind + 3 length + payload + 4 CRC.
pub const MAX_FRAME: usize = 7 + MAX_PAYLOAD + header::CRC_LEN;

/// Longest free-text string in a frame (names, values, ids other than identifiers), in bytes.
pub const MAX_TEXT: usize = 64 * 1024;

/// Most elements in one list (identifiers, quantities, extensions, ...).
pub const MAX_LIST: usize = 1_000_000;

/// Deepest nesting of extension arrays and objects.
pub const MAX_EXT_DEPTH: usize = 32;

/// Most sensor elements plus sensor reports in one frame. An empty report takes one byte on the wire but some
/// 460 bytes in memory: the cap bounds what a hostile frame can make the decoder allocate.
pub const MAX_SENSOR_REPORTS: usize = 65_536;

/// Most bytes the dictionary references of one interned frame may stand for (identifier key or URI bytes plus
/// name bytes). Without it a frame of a million one-byte references to one long URI would decode to gigabytes;
/// the self-contained form of the same event could not exceed [`MAX_PAYLOAD`] either.
pub const MAX_RESOLVED: usize = MAX_PAYLOAD;
