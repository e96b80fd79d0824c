//! Event identity: content ids, per-code hash chains, and the GS1 canonical event hash.
//!
//! Three different hashes, for three different jobs:
//!
//! | What | Function | Algorithm | Over | Used for |
//! |---|---|---|---|---|
//! | [`EventId`] | [`event_id`] | BLAKE3 | the self-contained binary frame ([`super::frame::encode`]) | content address: storing the same event twice is a no-op |
//! | [`Link`] | [`chain_step`] | BLAKE3 | previous link ‖ event id | tamper evidence of one code's history |
//! | GS1 event hash | [`gs1_event_hash`] | SHA-256 | the CBV 2.0 pre-hash string | an `eventID` other EPCIS systems compute identically |
//!
//! The first two are tracecode-internal and fast; the third is the interoperable identifier of CBV 2.0 §8.9
//! (events.md §7), computed by the rules of the GS1 reference implementation.
//!
//! None of them is a signature: anyone who can change an event can recompute its hashes. A chain only proves
//! that history was not rewritten *after* a link was published or anchored somewhere else.
//!
//! # Example
//! ```
//! use tracecode::event::digest::{GENESIS, chain_step, event_id, gs1_event_hash, verify_chain};
//! use tracecode::event::{Action, Event, EventType, Id, Timestamp};
//!
//! let (t, off) = Timestamp::parse("2026-03-01T08:30:00+08:00")?;
//! let mut e = Event::new(EventType::Object, t, off);
//! e.action = Some(Action::Observe);
//! e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
//! let shipped = event_id(&e)?;
//! e.event_time = Timestamp::parse("2026-03-02T10:00:00+08:00")?.0;
//! let ids = [shipped, event_id(&e)?];
//!
//! // The item's chain: each link commits to the previous one; a reordered history no longer verifies.
//! let l0 = chain_step(&GENESIS, &ids[0]);
//! let links = [l0, chain_step(&l0, &ids[1])];
//! assert!(verify_chain(&ids, &links).is_ok());
//! assert_eq!(verify_chain(&[ids[1], ids[0]], &links).unwrap_err().index, 0);
//! assert!(gs1_event_hash(&e)?.starts_with("ni:///sha-256;"));
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use super::vocab::CBV_WEB;
use super::{Decimal, Event, ExtValue, Extension, Id, IdForm, Place, Quantity, SensorElement, SourceDest, Timestamp};
use super::{SensorMetadata, SensorReport, TzOffset, WHO_NAMESPACE};
use crate::{Error, ErrorKind};

/// Defines a 32-byte hash newtype: lower-case hex `Display`, `FromStr` from 64 hex digits, a `Debug` that shows
/// the hex, and serde as a byte string (compact in bincode, an array of numbers in JSON).
macro_rules! hash32 {
    ($name:ident, $what:literal) => {
        impl $name {
            /// The 32 bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&crate::hex::encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            /// Parses 64 hexadecimal digits (either case).
            fn from_str(s: &str) -> Result<Self, Error> {
                parse_hex32(s, $what).map(Self)
            }
        }

        /// 64 lowercase hex digits (the `Display` text) in human-readable formats, 32 bytes otherwise.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() { s.collect_str(self) } else { s.serialize_bytes(&self.0) }
            }
        }

        /// 64 hex digits (either case) or, as earlier versions wrote, 32 bytes in human-readable formats; 32 bytes
        /// otherwise.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Bytes32Visitor($what);
                if d.is_human_readable() { d.deserialize_any(v) } else { d.deserialize_bytes(v) }.map(Self)
            }
        }
    };
}

/// Reads exactly 32 bytes from 64 hex digits, a serde byte string or a sequence; names what it reads in errors.
struct Bytes32Visitor(&'static str);

impl<'de> serde::de::Visitor<'de> for Bytes32Visitor {
    type Value = [u8; 32];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} as 64 hex digits or 32 bytes", self.0)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<[u8; 32], E> {
        parse_hex32(v, self.0).map_err(E::custom)
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<[u8; 32], E> {
        <[u8; 32]>::try_from(v).map_err(|_| E::invalid_length(v.len(), &self))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; 32], A::Error> {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
        }
        if seq.next_element::<u8>()?.is_some() {
            return Err(serde::de::Error::invalid_length(33, &self));
        }
        Ok(out)
    }
}

/// Parses 64 hex digits into 32 bytes, with the position of the first bad character.
fn parse_hex32(s: &str, what: &'static str) -> Result<[u8; 32], Error> {
    if s.len() != 64 {
        return Err(Error::new(
            ErrorKind::Length,
            0,
            s.len(),
            format!("{what} must be 64 hexadecimal digits, found {} characters", s.len()),
        ));
    }
    let nibble = |i: usize, c: u8| -> Result<u8, Error> {
        char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok()).ok_or_else(|| {
            Error::new(ErrorKind::Charset, i, 1, format!("{what}: {:?} is not a hexadecimal digit", char::from(c)))
        })
    };
    let mut out = [0u8; 32];
    for ((i, pair), b) in s.as_bytes().chunks_exact(2).enumerate().zip(out.iter_mut()) {
        if let &[hi, lo] = pair {
            *b = (nibble(2 * i, hi)? << 4) | nibble(2 * i + 1, lo)?;
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------------------------
// Content id
// ------------------------------------------------------------------------------------------------------------

/// An event's content id: BLAKE3 of its canonical frame (see [`event_id`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub [u8; 32]);

hash32!(EventId, "event id");

/// The content id of an event: BLAKE3 (unkeyed, 32 bytes) of the self-contained frame
/// ([`super::frame::encode`]) of a copy of the event with `record_time`, `event_id` and `error_declaration`
/// cleared.
///
/// Why those three: they are not facts about what happened. `recordTime` is set by whichever repository
/// captures the event, `eventID` is a name given to the event (possibly derived from this very id), and an error
/// declaration re-captures the *same* event (events.md §2.6) — so re-capturing an event, from any repository,
/// and declaring it erroneous keep its id, and storing it again is idempotent. Everything else counts, including
/// list order as the frame keeps it; identifiers are already canonical ([`Id`]), so an EPC URN and a Digital
/// Link of one item give one id. For an id that other EPCIS systems compute, see [`gs1_event_hash`].
///
/// # Errors
/// Whatever [`super::frame::encode`] refuses (oversized fields or lists).
///
/// ```
/// use tracecode::event::{digest::event_id, Action, Event, EventType, Id, Timestamp};
/// let (t, off) = Timestamp::parse("2022-02-16T20:33:31.116-06:00")?;
/// let mut e = Event::new(EventType::Object, t, off);
/// e.action = Some(Action::Observe);
/// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
/// let id = event_id(&e)?;
/// e.record_time = Some(Timestamp::parse("2022-02-17T00:00:00Z")?.0);
/// assert_eq!(event_id(&e)?, id); // capture metadata does not change the id
/// assert_eq!(id.to_string().len(), 64);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn event_id(event: &Event) -> Result<EventId, Error> {
    let mut canonical = event.clone();
    canonical.record_time = None;
    canonical.epcis_event_id = None;
    canonical.error_declaration = None;
    let bytes = super::frame::encode(&canonical)?;
    Ok(EventId(*blake3::hash(&bytes).as_bytes()))
}

// ------------------------------------------------------------------------------------------------------------
// Hash chain
// ------------------------------------------------------------------------------------------------------------

/// One link of a code's hash chain: `link[i] = chain_step(link[i-1], id[i])`, starting from [`GENESIS`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link(pub [u8; 32]);

hash32!(Link, "chain link");

/// The link before the first event of every chain: BLAKE3 of the 26 ASCII bytes `tracecode chain v1 genesis`
/// (no terminator), i.e. `blake3::hash(b"tracecode chain v1 genesis")` =
/// `4a1a88ffb9666906e3e26fc42774f6da6ec8fb76ca7bd422a2de8dbee3dda586`.
///
/// A fixed, published value rather than zeros, so a chain of format v1 can never be mistaken for another
/// construction; a future format changes the text (`v2`).
pub const GENESIS: Link = Link([
    0x4a, 0x1a, 0x88, 0xff, 0xb9, 0x66, 0x69, 0x06, 0xe3, 0xe2, 0x6f, 0xc4, 0x27, 0x74, 0xf6, 0xda, 0x6e, 0xc8, 0xfb,
    0x76, 0xca, 0x7b, 0xd4, 0x22, 0xa2, 0xde, 0x8d, 0xbe, 0xe3, 0xdd, 0xa5, 0x86,
]);

/// The next link of a chain: BLAKE3 (unkeyed, 32-byte output) of the 64 bytes `prev.0 ‖ id.0` — the previous
/// link's 32 bytes followed by the event id's 32 bytes, nothing else.
///
/// ```
/// use tracecode::event::digest::{chain_step, EventId, GENESIS};
/// let first = chain_step(&GENESIS, &EventId([7; 32]));
/// assert_ne!(first, GENESIS);
/// assert_eq!(first, chain_step(&GENESIS, &EventId([7; 32]))); // deterministic
/// ```
pub fn chain_step(prev: &Link, id: &EventId) -> Link {
    let mut h = blake3::Hasher::new();
    h.update(&prev.0);
    h.update(&id.0);
    Link(*h.finalize().as_bytes())
}

/// The first link that does not match, found by [`verify_chain`].
///
/// `expected` is the link recomputed from the ids (`None` when there are more links than ids), `found` the stored
/// link (`None` when links are missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct BadLink {
    /// Position in the chain (0 = the first event's link).
    pub index: usize,
    /// What the link should be.
    pub expected: Option<Link>,
    /// What was stored.
    pub found: Option<Link>,
}

impl fmt::Display for BadLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.expected, self.found) {
            (Some(e), Some(x)) => write!(f, "chain link {} is {x}, should be {e}", self.index),
            (Some(_), None) => write!(f, "chain link {} is missing", self.index),
            (None, Some(_)) => write!(f, "chain link {} has no event", self.index),
            (None, None) => write!(f, "chain link {} is bad", self.index),
        }
    }
}

impl From<BadLink> for Error {
    /// [`ErrorKind::Corrupt`] with the bad link's index as the offset (length 1).
    fn from(b: BadLink) -> Self {
        Self::new(ErrorKind::Corrupt, b.index, 1, format!("hash chain broken: {b}"))
    }
}

/// Verifies a whole chain that starts at [`GENESIS`]: `links[i]` must equal `chain_step(links[i-1], ids[i])`
/// (with `links[-1]` = `GENESIS`), and there must be exactly one link per id.
///
/// # Errors
/// The FIRST bad link: a mismatch at index k is reported even if later links are also wrong (everything after a
/// bad link is untrustworthy anyway). When the lengths differ and the common part is good, the index is the first
/// id without a link or link without an id. Convert to [`crate::Error`] (kind [`ErrorKind::Corrupt`], offset = index)
/// with `?`/`into()`.
///
/// ```
/// use tracecode::event::digest::{chain_step, verify_chain, EventId, GENESIS};
/// let ids = [EventId([1; 32]), EventId([2; 32])];
/// let l0 = chain_step(&GENESIS, &ids[0]);
/// let l1 = chain_step(&l0, &ids[1]);
/// assert!(verify_chain(&ids, &[l0, l1]).is_ok());
/// assert_eq!(verify_chain(&ids, &[l0, l0]).unwrap_err().index, 1);
/// ```
pub fn verify_chain(ids: &[EventId], links: &[Link]) -> Result<(), BadLink> {
    verify_chain_from(&GENESIS, ids, links)
}

/// [`verify_chain`] for a segment whose link before `ids[0]` is `start` (a trusted, e.g. anchored, link).
///
/// # Errors
/// As [`verify_chain`]; indices are relative to the segment.
pub fn verify_chain_from(start: &Link, ids: &[EventId], links: &[Link]) -> Result<(), BadLink> {
    let mut prev = *start;
    for (index, (id, found)) in ids.iter().zip(links).enumerate() {
        let expected = chain_step(&prev, id);
        if expected != *found {
            return Err(BadLink { index, expected: Some(expected), found: Some(*found) });
        }
        prev = expected;
    }
    if let Some(id) = ids.get(links.len()) {
        return Err(BadLink { index: links.len(), expected: Some(chain_step(&prev, id)), found: None });
    }
    if let Some(found) = links.get(ids.len()) {
        return Err(BadLink { index: ids.len(), expected: None, found: Some(*found) });
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------------------
// GS1 canonical event hash (CBV 2.0 §8.9, events.md §7)
// ------------------------------------------------------------------------------------------------------------

/// Where `bizTransactionList`, `sourceList`, `destinationList`, `sensorElementList` and `ilmd` go (events.md §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PropertyOrder {
    /// The property table of CBV 2.0 §8.9: `bizTransactionList, sourceList, destinationList, sensorElementList,
    /// ilmd, {extensions}`. The GS1 reference implementation emits this order since its CBV 2.0/2.1 rework.
    Documented,
    /// What earlier versions of the reference implementation emitted: after `bizLocation` comes
    /// `sensorElementList`, then `bizTransactionList`, `sourceList`, `destinationList`, `ilmd` and the
    /// event-level extensions as whole strings sorted by byte value — in effect `bizTransactionList,
    /// destinationList, ilmd, sourceList, {extensions}`. Kept to recompute hashes stored under
    /// [`HashProfile::LEGACY_REFERENCE_CBV20`].
    SortedTail,
}

/// A versioned set of pre-hash rules. Store the profile's [`name`](Self::name) next to every hash you keep:
/// two profiles give different hashes for events that use the fields they treat differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[expect(clippy::struct_excessive_bools, reason = "independent switches of a rule set, each one documented difference")]
pub struct HashProfile {
    /// Order of the tail fields.
    pub order: PropertyOrder,
    /// Whether `certificationInfo` is hashed, after `eventTimeZoneOffset` (the reference's `CBV2.0` rules and
    /// OpenEPCIS: no; the reference's earlier versions: yes; events.md §7.4).
    pub certification_info: bool,
    /// Whether extensions nested in `readPoint`, `bizLocation` and sensor elements are emitted inside their
    /// parent (`readPointid=…{ns}gate=G7`, the reference's `CBV2.1` rules and its earlier versions) or, as the
    /// reference's `CBV2.0` rules do, after everything else: each parent that has extensions repeats its name
    /// and its children's names on the way down (`readPoint{ns}gate=G7`,
    /// `sensorElementsensorMetadata{ns}x=…sensorReport{ns}y=…`), before the event-level extensions.
    pub inline_extensions: bool,
    /// Whether sensor elements are wrapped in a `sensorElementList` container name (the reference's `CBV2.1`
    /// rules and its earlier versions) or emitted as bare `sensorElement…` entries (its `CBV2.0` rules).
    pub sensor_element_list: bool,
    /// Whether `epcList` comes before `parentID` (the reference's current rules:
    /// TransactionEvent_all_possible_fields) or after it, as the CBV 2.0 property table orders them. Only a
    /// TransactionEvent has both.
    pub epc_list_before_parent_id: bool,
}

impl HashProfile {
    /// The default: reproduces the hashes of the GS1 reference implementation (`epcis-event-hash-generator`,
    /// its `CBV2.0` rules), `ver=CBV2.0`: documented order except `epcList` before `parentID`, no
    /// `certificationInfo`, nested extensions appended, no `sensorElementList` container name.
    pub const REFERENCE_CBV20: Self = Self {
        order: PropertyOrder::Documented,
        certification_info: false,
        inline_extensions: false,
        sensor_element_list: false,
        epc_list_before_parent_id: true,
    };
    /// The documented CBV 2.0 property table with nested extensions inside their parent and `certificationInfo`
    /// hashed, `ver=CBV2.0` (this crate's `documented-cbv2.0` rules before the reference's rework).
    pub const DOCUMENTED_CBV20: Self = Self {
        order: PropertyOrder::Documented,
        certification_info: true,
        inline_extensions: true,
        sensor_element_list: true,
        epc_list_before_parent_id: false,
    };
    /// The rules of earlier versions of the reference implementation (this crate's default before it followed
    /// the reference's rework): sorted tail, `certificationInfo` hashed, nested extensions inside their parent,
    /// a `sensorElementList` container. For recomputing hashes stored under the name `reference-cbv2.0`.
    pub const LEGACY_REFERENCE_CBV20: Self = Self {
        order: PropertyOrder::SortedTail,
        certification_info: true,
        inline_extensions: true,
        sensor_element_list: true,
        epc_list_before_parent_id: false,
    };

    /// The same profile with `certificationInfo` included or left out.
    #[must_use]
    pub const fn with_certification_info(self, include: bool) -> Self {
        Self { certification_info: include, ..self }
    }

    /// The `ver=` value of the `ni:` URI.
    pub const fn version(&self) -> &'static str {
        "CBV2.0"
    }

    /// A stable name of the rule set, for storing next to a hash. The three named profiles keep their names
    /// (`reference-cbv2.0-v2`, `documented-cbv2.0`, `reference-cbv2.0`); other combinations are named by their
    /// switches.
    ///
    /// ```
    /// use tracecode::event::digest::HashProfile;
    /// assert_eq!(HashProfile::REFERENCE_CBV20.name(), "reference-cbv2.0-v2");
    /// assert_eq!(HashProfile::LEGACY_REFERENCE_CBV20.name(), "reference-cbv2.0");
    /// assert_eq!(HashProfile::DOCUMENTED_CBV20.with_certification_info(false).name(), "documented-cbv2.0-no-certinfo");
    /// ```
    pub fn name(&self) -> String {
        let cert = self.certification_info;
        let layout = (self.order, self.inline_extensions, self.sensor_element_list, self.epc_list_before_parent_id);
        match layout {
            (PropertyOrder::Documented, false, false, true) => {
                format!("reference-cbv2.0-v2{}", if cert { "-certinfo" } else { "" })
            }
            (PropertyOrder::Documented, true, true, false) => {
                format!("documented-cbv2.0{}", if cert { "" } else { "-no-certinfo" })
            }
            (PropertyOrder::SortedTail, true, true, false) => {
                format!("reference-cbv2.0{}", if cert { "" } else { "-no-certinfo" })
            }
            (order, inline, list, epc_first) => format!(
                "{}-cbv2.0{}{}{}{}",
                if order == PropertyOrder::Documented { "documented" } else { "sorted-tail" },
                if cert { "-certinfo" } else { "-no-certinfo" },
                if inline { "-inline-ext" } else { "-appended-ext" },
                if list { "-sensor-list" } else { "-bare-sensor" },
                if epc_first { "-epclist-first" } else { "" },
            ),
        }
    }
}

impl Default for HashProfile {
    fn default() -> Self {
        Self::REFERENCE_CBV20
    }
}

/// Deepest nesting of extension values hashed; deeper (hostile) input is refused rather than overflowing the
/// stack.
pub const MAX_EXTENSION_DEPTH: usize = 32;

/// The GS1 canonical event hash with [`HashProfile::REFERENCE_CBV20`]:
/// `ni:///sha-256;{64 lower-case hex digits}?ver=CBV2.0`, SHA-256 of the UTF-8 [`prehash_string`].
///
/// Identifier spelling (EPC URN or Digital Link), the offset `eventTime` is written in, list order and extension
/// order do not change the hash; `recordTime`, `eventID`, `errorDeclaration`, `certificationInfo` and comments are not part of it.
///
/// # Errors
/// As [`prehash_string`].
///
/// ```
/// use tracecode::event::{digest::gs1_event_hash, Action, BizStep, Event, EventType, Id, Timestamp};
/// let (t, off) = Timestamp::parse("2022-02-16T20:33:31.116-06:00")?;
/// let mut e = Event::new(EventType::Object, t, off);
/// e.action = Some(Action::Observe);
/// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017")?);
/// let h = gs1_event_hash(&e)?;
/// assert!(h.starts_with("ni:///sha-256;") && h.ends_with("?ver=CBV2.0"));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn gs1_event_hash(event: &Event) -> Result<String, Error> {
    gs1_event_hash_with(event, &HashProfile::REFERENCE_CBV20)
}

/// [`gs1_event_hash`] under another profile.
///
/// # Errors
/// As [`prehash_string`].
pub fn gs1_event_hash_with(event: &Event, profile: &HashProfile) -> Result<String, Error> {
    let pre = prehash_string(event, profile)?;
    Ok(format!("ni:///sha-256;{}?ver={}", crate::hex::encode(&Sha256::digest(pre.as_bytes())), profile.version()))
}

/// The CBV 2.0 pre-hash string of an event (events.md §7.1–§7.2): fields in canonical order, `key=value`
/// leaves concatenated with no separators, containers naming themselves once before their children.
///
/// Values are canonicalised:
/// - identifiers: GS1 keys as canonical Digital Links on `https://id.gs1.org` (finest key level only, an SGLN
///   extension `0` dropped, values escaped as in an EPC URN: `!'()*+,:;=` literal), EPC patterns ending in `*`
///   as the Digital Link of their class, Digital Links with short names (`/gtin/`), other hosts or a query
///   string canonicalised, GIDs as their EPC URN, national keys as their key text, other URIs trimmed;
/// - CBV values as Web URIs (`https://ref.gs1.org/cbv/BizStep-shipping`); sensor types and exceptions on
///   `https://ref.gs1.org/voc/`, bare sensor components as `https://ref.gs1.org/cbv/Comp-…`; the standard CURIEs
///   `cbv:`, `epcis:`, `gs1:` expanded;
/// - times in UTC with exactly 3 fraction digits. Sub-millisecond parts are rounded like the reference
///   implementation: digits beyond microseconds are dropped, then the microseconds are rounded half-to-even to
///   milliseconds (`.1425` → `.142`, `.1435` → `.144`). Where the reference fails on a value that rounds up to
///   the next second (`.9996`), this carries into the next second;
/// - numbers as their exact canonical [`Decimal`] text (the reference goes through binary floating point and
///   differs beyond 15–17 significant digits);
/// - free-text values and extension strings like the reference: trimmed, legacy CBV URNs
///   (`urn:epcglobal:cbv:…`) rewritten as Web URIs, numeric text as a canonical decimal, EPC URNs and Digital
///   Links as canonical Digital Links.
///
/// Lists are sorted by the byte value of their serialised children; typed entries (business transactions,
/// sources, destinations) emit `type=` before the value. Extensions are written `{namespace}localName=value`
/// and sorted; nested members follow their parent's name, sorted; an array contributes one entry per element;
/// `null` and empty values contribute the bare name; comments (`rdfs:comment`) are left out. Extensions inside
/// `readPoint`, `bizLocation` and sensor elements come at the end of that parent or, by default, after `ilmd`
/// under their parents' names ([`HashProfile::inline_extensions`]). tracecode's [`super::Who`] fields are
/// event-level extensions in the namespace [`WHO_NAMESPACE`]: `responsibleParty`, `operator`, `device`.
///
/// `recordTime`, `eventID` and `errorDeclaration` are excluded, so re-capture and error declaration keep the
/// hash; so is `certificationInfo` unless the profile includes it. A sensor report's `bizRules`, absent from the reference's property table, is emitted after
/// `coordinateReferenceSystem`.
///
/// # Errors
/// [`ErrorKind::Length`] when extension values nest deeper than [`MAX_EXTENSION_DEPTH`]; [`ErrorKind::Range`]
/// when rounding a time leaves the representable range.
///
/// ```
/// use tracecode::event::{digest::{prehash_string, HashProfile}, Action, Event, EventType, Id, Timestamp};
/// let (t, off) = Timestamp::parse("2022-02-17T02:33:31.1425Z")?;
/// let mut e = Event::new(EventType::Object, t, off);
/// e.action = Some(Action::Add);
/// e.epc_list.push(Id::parse("urn:epc:id:sscc:0614141.1234567890")?);
/// assert_eq!(
///     prehash_string(&e, &HashProfile::REFERENCE_CBV20)?,
///     "eventType=ObjectEventeventTime=2022-02-17T02:33:31.142ZeventTimeZoneOffset=+00:00\
///      epcListepc=https://id.gs1.org/00/106141412345678908action=ADD"
/// );
/// # Ok::<(), tracecode::Error>(())
/// ```
#[expect(clippy::too_many_lines, reason = "one statement per event field, in canonical order")]
pub fn prehash_string(event: &Event, profile: &HashProfile) -> Result<String, Error> {
    let p = Prehasher { namespaces: &event.namespaces, inline: profile.inline_extensions };
    let mut out = String::with_capacity(512);
    leaf(&mut out, "eventType", event.kind.as_str().trim());
    leaf(&mut out, "eventTime", &time_text(event.event_time)?);
    leaf(&mut out, "eventTimeZoneOffset", &offset_text(event.event_time_zone_offset));
    if profile.certification_info {
        let mut v: Vec<String> =
            event.certification_info.iter().filter_map(|c| leaf_string("certificationInfo", &canon_text(c))).collect();
        v.sort_unstable();
        out.extend(v.iter().map(String::as_str));
    }
    let parent = |out: &mut String| {
        if let Some(id) = &event.parent_id {
            leaf(out, "parentID", &id_text(id));
        }
    };
    if profile.epc_list_before_parent_id {
        epc_list(&mut out, "epcList", &event.epc_list);
        parent(&mut out);
    } else {
        parent(&mut out);
        epc_list(&mut out, "epcList", &event.epc_list);
    }
    epc_list(&mut out, "inputEPCList", &event.input_epc_list);
    epc_list(&mut out, "childEPCs", &event.child_epcs);
    quantity_list(&mut out, "quantityList", &event.quantity_list);
    quantity_list(&mut out, "childQuantityList", &event.child_quantity_list);
    quantity_list(&mut out, "inputQuantityList", &event.input_quantity_list);
    epc_list(&mut out, "outputEPCList", &event.output_epc_list);
    quantity_list(&mut out, "outputQuantityList", &event.output_quantity_list);
    if let Some(a) = event.action {
        leaf(&mut out, "action", a.as_str());
    }
    if let Some(t) = &event.transformation_id {
        leaf(&mut out, "transformationID", &canon_text(t));
    }
    if let Some(b) = &event.biz_step {
        leaf(&mut out, "bizStep", &canon_text(&b.web_uri()));
    }
    if let Some(d) = &event.disposition {
        leaf(&mut out, "disposition", &canon_text(&d.web_uri()));
    }
    if let Some(pd) = &event.persistent_disposition {
        let mut set: Vec<String> =
            pd.set.iter().filter_map(|d| leaf_string("set", &canon_text(&d.web_uri()))).collect();
        let mut unset: Vec<String> =
            pd.unset.iter().filter_map(|d| leaf_string("unset", &canon_text(&d.web_uri()))).collect();
        set.sort_unstable();
        unset.sort_unstable();
        if !set.is_empty() || !unset.is_empty() {
            out.push_str("persistentDisposition");
            out.extend(set.iter().chain(&unset).map(String::as_str));
        }
    }
    // Nested extensions the profile appends after everything else (CBV2.0 rules), in field order.
    let mut appended = String::new();
    for (name, place) in [("readPoint", &event.read_point), ("bizLocation", &event.biz_location)] {
        if let Some(pl) = place {
            out.push_str(&p.place(name, pl)?);
            if !p.inline {
                appended.push_str(&p.appended_place(name, pl)?);
            }
        }
    }
    let biz = typed_list(
        "bizTransactionList",
        "bizTransaction",
        event.biz_transactions.iter().map(|b| (b.kind.as_ref().map(super::BizTransactionType::web_uri), &b.value)),
    );
    let sources = typed_list("sourceList", "source", event.sources.iter().map(sd));
    let dests = typed_list("destinationList", "destination", event.destinations.iter().map(sd));
    let sensors = p.sensor_list(&event.sensor_elements, profile.sensor_element_list)?;
    if !p.inline {
        appended.push_str(&p.appended_sensors(&event.sensor_elements)?);
    }
    let ilmd = if event.ilmd.is_empty() {
        String::new()
    } else {
        let mut s = String::from("ilmd");
        s.extend(p.sorted_extensions(&event.ilmd, 0)?.iter().map(String::as_str));
        s
    };
    let mut exts = p.extensions(&event.extensions, 0)?;
    exts.extend(who_extensions(event));
    match profile.order {
        PropertyOrder::SortedTail => {
            out.push_str(&sensors);
            // The reference's ordered pass did not consume these; its generic pass sorted them with the
            // top-level extensions as whole strings.
            let mut tail: Vec<String> = [biz, sources, dests, ilmd].into_iter().filter(|s| !s.is_empty()).collect();
            tail.extend(exts);
            tail.sort_unstable();
            out.push_str(&appended);
            out.extend(tail.iter().map(String::as_str));
        }
        PropertyOrder::Documented => {
            for s in [biz, sources, dests, sensors, ilmd, appended] {
                out.push_str(&s);
            }
            exts.sort_unstable();
            out.extend(exts.iter().map(String::as_str));
        }
    }
    Ok(out)
}

/// Appends `key=value`, or nothing for an empty value (absent fields are omitted).
fn leaf(out: &mut String, key: &str, value: &str) {
    if !value.is_empty() {
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// `key=value` as a string, `None` for an empty value.
fn leaf_string(key: &str, value: &str) -> Option<String> {
    let mut s = String::new();
    leaf(&mut s, key, value);
    (!s.is_empty()).then_some(s)
}

/// `{name}epc=…epc=…`, children sorted; nothing for an empty list.
fn epc_list(out: &mut String, name: &str, ids: &[Id]) {
    let mut v: Vec<String> = ids.iter().filter_map(|id| leaf_string("epc", &id_text(id))).collect();
    if v.is_empty() {
        return;
    }
    v.sort_unstable();
    out.push_str(name);
    out.extend(v.iter().map(String::as_str));
}

/// `{name}quantityElementepcClass=…quantity=…uom=…`, elements serialised then sorted.
fn quantity_list(out: &mut String, name: &str, list: &[Quantity]) {
    let mut v: Vec<String> = list
        .iter()
        .map(|q| {
            let mut s = String::from("quantityElement");
            leaf(&mut s, "epcClass", &id_text(&q.class));
            if let Some(n) = &q.quantity {
                leaf(&mut s, "quantity", n.as_str());
            }
            if let Some(u) = &q.uom {
                leaf(&mut s, "uom", &canon_text(u));
            }
            s
        })
        .collect();
    if v.is_empty() {
        return;
    }
    v.sort_unstable();
    out.push_str(name);
    out.extend(v.iter().map(String::as_str));
}

/// The (type, value) of a source or destination.
fn sd(s: &SourceDest) -> (Option<String>, &Id) {
    (Some(s.kind.web_uri()), &s.id)
}

/// `{list}type=…{entry}=…`, `type=` before the value, entries sorted as whole strings (so by type, then value).
fn typed_list<'a>(list: &str, entry: &str, items: impl Iterator<Item = (Option<String>, &'a Id)>) -> String {
    let mut v: Vec<String> = items
        .map(|(kind, id)| {
            let mut s = String::new();
            if let Some(k) = kind {
                leaf(&mut s, "type", &canon_text(&k));
            }
            leaf(&mut s, entry, &id_text(id));
            s
        })
        .filter(|s| !s.is_empty())
        .collect();
    if v.is_empty() {
        return String::new();
    }
    v.sort_unstable();
    let mut out = String::from(list);
    out.extend(v.iter().map(String::as_str));
    out
}

/// The `who` fields as event-level extensions in [`WHO_NAMESPACE`].
fn who_extensions(event: &Event) -> Vec<String> {
    let ns = |local: &str, value: &str| {
        let mut s = format!("{{{WHO_NAMESPACE}}}{local}");
        if !value.is_empty() {
            s.push('=');
            s.push_str(value);
        }
        s
    };
    let w = &event.who;
    let mut v = Vec::new();
    if let Some(p) = &w.party {
        v.push(ns("responsibleParty", &id_text(p)));
    }
    if let Some(o) = &w.operator {
        v.push(ns("operator", &canon_text(o)));
    }
    if let Some(d) = &w.device {
        v.push(ns("device", &canon_text(d)));
    }
    v
}

/// Identifier text for hashing (§7.1 rule 8).
fn id_text(id: &Id) -> String {
    match id {
        Id::Uri(u) => uri_text(u.trim()),
        Id::Key(_) => key_text(id),
    }
}

/// A GS1 key as the reference writes it: the canonical Digital Link on `https://id.gs1.org`, finest key level
/// only, a GLN extension `0` dropped, and values escaped as in an EPC URN (only `"%&/<>?` and non-printable
/// bytes; the reference copies an EPC URN's value text, so `!'()*+,:;=` stay literal: epclist_normalisation).
fn key_text(id: &Id) -> String {
    let mut t = id.to_uri(IdForm::DigitalLink);
    // A GLN extension "0" means "no extension" (TDS §7.5; the reference drops it).
    if t.starts_with("https://id.gs1.org/414/") && t.ends_with("/254/0") {
        t.truncate(t.len().saturating_sub("/254/0".len()));
    }
    // Only the finest key level is hashed (rule 8 lists 01, 01+10, 01+21, 01+235 — never 22): drop a CPV.
    if t.starts_with("https://id.gs1.org/01/")
        && let Some(at) = t.find("/22/")
    {
        let end = t.get(at + 4..).and_then(|r| r.find('/')).map_or(t.len(), |e| at + 4 + e);
        t.replace_range(at..end, "");
    }
    urn_escaping(&t)
}

/// Undoes the Digital Link escapes of characters an EPC URN writes literally. Safe on any escaped text: `%`
/// itself is always escaped (`%25`), so a `%` here always starts an escape.
fn urn_escaping(t: &str) -> String {
    const LITERAL: &[(&str, char)] = &[
        ("%21", '!'),
        ("%27", '\''),
        ("%28", '('),
        ("%29", ')'),
        ("%2A", '*'),
        ("%2B", '+'),
        ("%2C", ','),
        ("%3A", ':'),
        ("%3B", ';'),
        ("%3D", '='),
    ];
    if !t.contains('%') {
        return t.to_owned();
    }
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(at) = rest.find('%') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let esc = rest.get(at..at + 3).unwrap_or_default();
        if let Some(&(_, c)) = LITERAL.iter().find(|(e, _)| e.eq_ignore_ascii_case(esc)) {
            out.push(c);
            rest = rest.get(at + 3..).unwrap_or_default();
        } else {
            out.push('%');
            rest = rest.get(at + 1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// Digital Link short names the reference rewrites to their AI before normalising (`/gtin/` → `/01/`).
const DL_SHORT_NAMES: &[(&str, &str)] = &[
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
];

/// An identifier that did not read as a GS1 key: the class of an EPC pattern whose last component is `*`
/// (epcisDocWithAllGS1Keys), or a Digital Link written with short names or a query string
/// (epclist_normalisation), as the canonical Digital Link the reference makes of them; anything else as written.
fn uri_text(u: &str) -> String {
    if let Some(t) = idpat_text(u) {
        return t;
    }
    let lower = u.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let mut t = u.split(['?', '#']).next().unwrap_or(u).to_owned();
        for (short, ai) in DL_SHORT_NAMES {
            t = t.replace(short, ai);
        }
        if let Ok(id @ Id::Key(_)) = Id::parse(&t) {
            return key_text(&id);
        }
    }
    u.to_owned()
}

/// `urn:epc:idpat:SCHEME:….*` (only the last component a wildcard) as the Digital Link of its class: the
/// identifier with a placeholder serial `0`, converted, the serial taken off again. Schemes the reference
/// converts: sgtin, upui → GTIN; itip → ITIP; grai, gdti, sgcn → the key without serial; cpi → CPID.
fn idpat_text(u: &str) -> Option<String> {
    let rest = u.strip_prefix("urn:epc:idpat:")?;
    let (scheme, fields) = rest.split_once(':')?;
    let class = fields.strip_suffix(".*").filter(|c| !c.contains('*'))?;
    let serial = match scheme {
        "sgtin" | "itip" => "/21/0",
        "upui" => "/235/0",
        "cpi" => "/8011/0",
        "grai" | "gdti" | "sgcn" => "0",
        _ => return None,
    };
    let id = Id::parse(&format!("urn:epc:id:{scheme}:{class}.0")).ok().filter(|id| matches!(id, Id::Key(_)))?;
    key_text(&id).strip_suffix(serial).map(str::to_owned)
}

/// A measurement type or exception as the reference writes it: a GS1 Web vocabulary term on
/// `https://ref.gs1.org/voc/` (the importer expands `Temperature` on `https://gs1.org/voc/` and keeps
/// `ALARM_CONDITION` bare; CertificationInfoAndSensorReportWithCRS).
fn voc_text(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix("https://gs1.org/voc/") {
        Some(term) => format!("https://ref.gs1.org/voc/{term}"),
        None if !s.is_empty() && !s.contains(':') => format!("https://ref.gs1.org/voc/{s}"),
        None => s.to_owned(),
    }
}

/// Legacy CBV URN prefixes and their Web URI vocabulary prefixes (CBV 2.0; events.md §3).
const CBV_URNS: &[(&str, &str)] = &[
    ("urn:epcglobal:cbv:bizstep:", "BizStep-"),
    ("urn:epcglobal:cbv:disp:", "Disp-"),
    ("urn:epcglobal:cbv:btt:", "BTT-"),
    ("urn:epcglobal:cbv:sdt:", "SDT-"),
    ("urn:epcglobal:cbv:er:", "ER-"),
];

/// The standard context's prefixes (`cbv:`, `epcis:`, `gs1:`) and what they expand to.
const STANDARD_CURIES: &[(&str, &str)] =
    &[("cbv:", CBV_WEB), ("epcis:", "https://ref.gs1.org/epcis/"), ("gs1:", "https://gs1.org/voc/")];

/// Canonical form of a free-text value, as the reference canonicalises every value: trimmed, legacy CBV URN →
/// Web URI, numeric text → canonical decimal, EPC URN / Digital Link → canonical Digital Link.
fn canon_text(s: &str) -> String {
    let s = s.trim();
    // CURIEs of the standard prefixes, expanded as the standard context does (epcisDocWithSensorComponent).
    for (prefix, iri) in STANDARD_CURIES {
        if let Some(rest) = s.strip_prefix(prefix).filter(|r| !r.is_empty() && !r.starts_with("//")) {
            return canon_text(&format!("{iri}{rest}"));
        }
    }
    for (urn, web) in CBV_URNS {
        if let Some(rest) = s.strip_prefix(urn) {
            return format!("{CBV_WEB}{web}{rest}");
        }
    }
    if s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && let Ok(d) = Decimal::parse(s)
    {
        return d.as_str().to_owned();
    }
    let lower = s.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    if (lower.starts_with("urn:epc:") || lower.starts_with("https://") || lower.starts_with("http://"))
        && let Ok(id @ Id::Key(_)) = Id::parse(s)
    {
        return key_text(&id);
    }
    uri_text(s)
}

/// An instant in UTC with exactly 3 fraction digits, rounded like the reference (see [`prehash_string`]).
fn time_text(t: Timestamp) -> Result<String, Error> {
    const NS: i64 = 1_000_000_000;
    let sub = t.0.rem_euclid(NS);
    let micros = sub / 1000;
    let (mut ms, rem) = (micros / 1000, micros % 1000);
    if rem > 500 || (rem == 500 && ms % 2 == 1) {
        ms += 1;
    }
    let rounded = t.0.checked_sub(sub).and_then(|whole| whole.checked_add(ms * 1_000_000)).ok_or_else(|| {
        Error::msg(ErrorKind::Range, "time is too close to the end of the representable range to round")
    })?;
    Ok(Timestamp(rounded).to_rfc3339(TzOffset::UTC, 3))
}

/// A sensor component as the reference writes it: a bare CBV term as its Web URI (`latitude` →
/// `https://ref.gs1.org/cbv/Comp-latitude`), anything else as a free-text value.
fn component_text(s: &str) -> String {
    let s = s.trim();
    if !s.is_empty() && !s.contains(':') { format!("{CBV_WEB}Comp-{s}") } else { canon_text(s) }
}

/// `±hh:mm` (EPCIS never writes `Z` for `eventTimeZoneOffset`).
fn offset_text(o: TzOffset) -> String {
    o.to_string()
}

/// State shared by the recursive parts: the event's declared namespaces, used to split extension names, and
/// whether nested extensions are written inside their parent.
struct Prehasher<'a> {
    namespaces: &'a [super::Namespace],
    inline: bool,
}

/// Expanded names of comments, which the reference leaves out wherever they appear (`rdfs:comment`, `comment`).
const COMMENTS: &[&str] = &["http://www.w3.org/2000/01/rdf-schema#comment", "rdfs:comment", "comment"];

impl Prehasher<'_> {
    /// `{namespace}localName` for an expanded extension name: split after the longest declared namespace IRI
    /// that prefixes it, else after the last `/`, `#` or `:`.
    fn ext_name(&self, name: &str) -> String {
        let name = name.trim();
        let declared = self
            .namespaces
            .iter()
            .map(|n| &*n.iri)
            .filter(|iri| !iri.is_empty() && name.len() > iri.len() && name.starts_with(iri))
            .max_by_key(|iri| iri.len());
        let split = declared.map(str::len).or_else(|| name.rfind(['/', '#', ':']).map(|i| i + 1));
        match split.and_then(|i| Some((name.get(..i)?, name.get(i..)?))) {
            Some((ns, local)) => format!("{{{ns}}}{local}"),
            None => name.to_owned(),
        }
    }

    /// Every extension serialised (one string per extension, one per element of an array value), unsorted.
    fn extensions(&self, exts: &[Extension], depth: usize) -> Result<Vec<String>, Error> {
        let mut out = Vec::with_capacity(exts.len());
        for e in exts.iter().filter(|e| !COMMENTS.contains(&e.name.trim())) {
            let key = self.ext_name(&e.name);
            self.ext_value(&key, &e.value, depth, &mut out)?;
        }
        Ok(out)
    }

    /// [`Self::extensions`], sorted.
    fn sorted_extensions(&self, exts: &[Extension], depth: usize) -> Result<Vec<String>, Error> {
        let mut v = self.extensions(exts, depth)?;
        v.sort_unstable();
        Ok(v)
    }

    /// Pushes the entries of one named value.
    fn ext_value(&self, key: &str, value: &ExtValue, depth: usize, out: &mut Vec<String>) -> Result<(), Error> {
        if depth >= MAX_EXTENSION_DEPTH {
            return Err(Error::msg(
                ErrorKind::Length,
                format!("extension {key} nests deeper than {MAX_EXTENSION_DEPTH} levels"),
            ));
        }
        let with = |v: &str| if v.is_empty() { key.to_owned() } else { format!("{key}={v}") };
        match value {
            ExtValue::Null => out.push(key.to_owned()),
            ExtValue::Bool(b) => out.push(with(if *b { "true" } else { "false" })),
            ExtValue::Number(n) => out.push(with(n.as_str())),
            ExtValue::String(s) => out.push(with(&canon_text(s))),
            ExtValue::Array(items) => {
                for item in items {
                    self.ext_value(key, item, depth + 1, out)?;
                }
            }
            ExtValue::Object(members) => {
                let mut s = key.to_owned();
                s.extend(self.sorted_extensions(members, depth + 1)?.iter().map(String::as_str));
                out.push(s);
            }
        }
        Ok(())
    }

    /// Appends the sorted extensions of a parent at its end, when the profile writes them inline.
    fn push_extensions(&self, out: &mut String, exts: &[Extension]) -> Result<(), Error> {
        if self.inline {
            out.extend(self.sorted_extensions(exts, 0)?.iter().map(String::as_str));
        }
        Ok(())
    }

    /// `readPointid=…{ns}x=…` (the extensions only when inline).
    fn place(&self, name: &str, p: &Place) -> Result<String, Error> {
        let mut s = String::from(name);
        leaf(&mut s, "id", &id_text(&p.id));
        self.push_extensions(&mut s, &p.extensions)?;
        Ok(if s.len() == name.len() { String::new() } else { s })
    }

    /// `readPoint{ns}x=…` for the appended part: the parent's name, then its sorted extensions; nothing when it
    /// has none.
    fn appended_place(&self, name: &str, p: &Place) -> Result<String, Error> {
        let exts = self.sorted_extensions(&p.extensions, 0)?;
        Ok(if exts.is_empty() {
            String::new()
        } else {
            std::iter::once(name).chain(exts.iter().map(String::as_str)).collect()
        })
    }

    /// `sensorElementListsensorElement…` (or bare `sensorElement…` entries), elements serialised then sorted.
    fn sensor_list(&self, list: &[SensorElement], wrapper: bool) -> Result<String, Error> {
        let mut v = Vec::with_capacity(list.len());
        for el in list {
            let mut s = String::from("sensorElement");
            if let Some(m) = &el.metadata {
                s.push_str(&self.metadata(m)?);
            }
            let mut reports = Vec::with_capacity(el.reports.len());
            for r in &el.reports {
                reports.push(self.report(r)?);
            }
            reports.sort_unstable();
            s.extend(reports.iter().map(String::as_str));
            self.push_extensions(&mut s, &el.extensions)?;
            v.push(s);
        }
        if v.is_empty() {
            return Ok(String::new());
        }
        v.sort_unstable();
        let mut out = String::from(if wrapper { "sensorElementList" } else { "" });
        out.extend(v.iter().map(String::as_str));
        Ok(out)
    }

    /// The appended extensions of sensor elements: per element that has any, `sensorElement`, then
    /// `sensorMetadata{ns}…` and one `sensorReport{ns}…` per report that has extensions (sorted), then the
    /// element's own; elements sorted.
    fn appended_sensors(&self, list: &[SensorElement]) -> Result<String, Error> {
        let named = |name: &str, exts: &[Extension]| -> Result<String, Error> {
            let v = self.sorted_extensions(exts, 0)?;
            Ok(if v.is_empty() {
                String::new()
            } else {
                std::iter::once(name).chain(v.iter().map(String::as_str)).collect()
            })
        };
        let mut v = Vec::new();
        for el in list {
            let mut s = String::from("sensorElement");
            if let Some(m) = &el.metadata {
                s.push_str(&named("sensorMetadata", &m.extensions)?);
            }
            let mut reports = Vec::new();
            for r in &el.reports {
                let t = named("sensorReport", &r.extensions)?;
                if !t.is_empty() {
                    reports.push(t);
                }
            }
            reports.sort_unstable();
            s.extend(reports.iter().map(String::as_str));
            s.extend(self.sorted_extensions(&el.extensions, 0)?.iter().map(String::as_str));
            if s.len() > "sensorElement".len() {
                v.push(s);
            }
        }
        v.sort_unstable();
        Ok(v.concat())
    }

    /// `sensorMetadata` fields in the reference order, then its extensions.
    fn metadata(&self, m: &SensorMetadata) -> Result<String, Error> {
        let mut s = String::from("sensorMetadata");
        for (k, t) in [("time", m.time), ("startTime", m.start_time), ("endTime", m.end_time)] {
            if let Some(t) = t {
                leaf(&mut s, k, &time_text(t)?);
            }
        }
        let texts = [
            ("deviceID", &m.device_id),
            ("deviceMetadata", &m.device_metadata),
            ("rawData", &m.raw_data),
            ("dataProcessingMethod", &m.data_processing_method),
            ("bizRules", &m.biz_rules),
        ];
        for (k, v) in texts {
            if let Some(v) = v {
                leaf(&mut s, k, &canon_text(v));
            }
        }
        self.push_extensions(&mut s, &m.extensions)?;
        Ok(s)
    }

    /// `sensorReport` fields in the reference order, then its extensions.
    fn report(&self, r: &SensorReport) -> Result<String, Error> {
        let mut s = String::from("sensorReport");
        let text = |s: &mut String, k: &str, v: Option<&str>| {
            if let Some(v) = v {
                leaf(s, k, &canon_text(v));
            }
        };
        let num = |s: &mut String, k: &str, v: &Option<Decimal>| {
            if let Some(v) = v {
                leaf(s, k, v.as_str());
            }
        };
        text(&mut s, "type", r.kind.as_deref().map(voc_text).as_deref());
        text(&mut s, "exception", r.exception.as_deref().map(voc_text).as_deref());
        text(&mut s, "deviceID", r.device_id.as_deref());
        text(&mut s, "deviceMetadata", r.device_metadata.as_deref());
        text(&mut s, "rawData", r.raw_data.as_deref());
        text(&mut s, "dataProcessingMethod", r.data_processing_method.as_deref());
        if let Some(t) = r.time {
            leaf(&mut s, "time", &time_text(t)?);
        }
        text(&mut s, "microorganism", r.microorganism.as_deref());
        text(&mut s, "chemicalSubstance", r.chemical_substance.as_deref());
        num(&mut s, "value", &r.value);
        text(&mut s, "component", r.component.as_deref().map(component_text).as_deref());
        text(&mut s, "stringValue", r.string_value.as_deref());
        if let Some(b) = r.boolean_value {
            leaf(&mut s, "booleanValue", if b { "true" } else { "false" });
        }
        text(&mut s, "hexBinaryValue", r.hex_binary_value.as_deref());
        text(&mut s, "uriValue", r.uri_value.as_deref());
        num(&mut s, "minValue", &r.min_value);
        num(&mut s, "maxValue", &r.max_value);
        num(&mut s, "meanValue", &r.mean_value);
        num(&mut s, "sDev", &r.s_dev);
        num(&mut s, "percRank", &r.perc_rank);
        num(&mut s, "percValue", &r.perc_value);
        text(&mut s, "uom", r.uom.as_deref());
        text(&mut s, "coordinateReferenceSystem", r.coordinate_reference_system.as_deref());
        text(&mut s, "bizRules", r.biz_rules.as_deref());
        self.push_extensions(&mut s, &r.extensions)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{
        Action, BizStep, BizTransaction, BizTransactionType, Disposition, ErrorDeclaration, EventType, Namespace,
        PersistentDisposition, SourceDestType, Who,
    };
    use proptest::prelude::*;

    const EX: &str = "https://ns.example.com/epcis/";

    fn sha256_hex(data: &[u8]) -> String {
        crate::hex::encode(&Sha256::digest(data))
    }

    // The SHA-256 the GS1 hash uses, against published vectors: NIST CSRC "Cryptographic Standards and Guidelines
    // — Examples with Intermediate Values", SHA-256 (SHA256.pdf: "abc" and the 448-bit message), the FIPS 180-2
    // Appendix B.3 one-million-'a' message, and the empty string from the NIST CAVP SHA256ShortMsg set (Len = 0).
    #[test]
    fn sha256_fips_vectors() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(sha256_hex(&million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        // 55, 56 and 64 bytes: the length field fits, just does not fit, and a whole block of data (sha256sum of
        // the same byte strings).
        assert_eq!(sha256_hex(&[b'a'; 55]), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
        assert_eq!(sha256_hex(&[b'a'; 56]), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
        assert_eq!(sha256_hex(&[b'a'; 64]), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    }

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap().0
    }

    fn ext(local: &str, value: ExtValue) -> Extension {
        Extension { name: format!("{EX}{local}").into(), value }
    }

    fn text(s: &str) -> ExtValue {
        ExtValue::String(s.into())
    }

    /// events.md §7.3, built with the given spellings.
    fn worked(time: &str, epcs: &[&str], read_point: &str) -> Event {
        let (t, _) = Timestamp::parse(time).unwrap();
        let mut e = Event::new(EventType::Object, t, TzOffset::parse("-06:00").unwrap());
        e.epc_list = epcs.iter().map(|s| id(s)).collect();
        e.action = Some(Action::Observe);
        e.biz_step = Some(BizStep::Shipping);
        e.disposition = Some(Disposition::InTransit);
        e.read_point = Some(Place { id: id(read_point), extensions: Vec::new() });
        e.biz_transactions = vec![BizTransaction {
            kind: Some(BizTransactionType::Po),
            value: id("http://transaction.acme.com/po/12345678"),
        }];
        e
    }

    const WORKED_PREHASH: &str = concat!(
        "eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00",
        "epcListepc=https://id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018",
        "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit",
        "readPointid=https://id.gs1.org/414/0614141073467/254/1234",
        "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=http://transaction.acme.com/po/12345678",
    );
    const WORKED_HASH: &str =
        "ni:///sha-256;ffa491b16867e34a7791a8d5389d826afc24e63a121026b6a4004ace38631b4b?ver=CBV2.0";

    #[test]
    fn worked_example_reproduces() {
        let e = worked(
            "2022-02-16T20:33:31.116-06:00",
            &["urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2017"],
            "urn:epc:id:sgln:0614141.07346.1234",
        );
        assert_eq!(prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap(), WORKED_PREHASH);
        assert_eq!(gs1_event_hash(&e).unwrap(), WORKED_HASH);
        // Nothing in it is ordered differently by the documented table.
        assert_eq!(gs1_event_hash_with(&e, &HashProfile::DOCUMENTED_CBV20).unwrap(), WORKED_HASH);
    }

    #[test]
    fn excluded_fields_keep_the_hash() {
        let mut e = worked(
            "2022-02-17T02:33:31.116Z",
            &["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
            "https://id.gs1.org/414/0614141073467/254/1234",
        );
        e.record_time = Some(ts("2023-01-01T00:00:00Z"));
        e.epcis_event_id = Some("urn:uuid:5a0c5d8e-0000-4000-8000-000000000000".into());
        e.error_declaration = Some(ErrorDeclaration {
            declaration_time: ts("2023-01-02T00:00:00Z"),
            reason: None,
            corrective_event_ids: vec!["urn:uuid:1".into()],
            extensions: Vec::new(),
        });
        assert_eq!(gs1_event_hash(&e).unwrap(), WORKED_HASH);
    }

    #[test]
    fn certification_info_switch() {
        let mut e = worked(
            "2022-02-17T02:33:31.116Z",
            &["urn:epc:id:sgtin:0614141.107346.2017"],
            "urn:epc:id:sgln:0614141.07346.1234",
        );
        e.certification_info = vec!["https://cert.example.com/b".into(), " https://cert.example.com/a ".into()];
        // The reference's CBV2.0 rules leave it out (ObjectEvent_all_possible_fields, TimeStampRoundOff).
        assert!(!prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap().contains("certificationInfo"));
        let with = prehash_string(&e, &HashProfile::REFERENCE_CBV20.with_certification_info(true)).unwrap();
        assert!(with.contains(
            "eventTimeZoneOffset=-06:00certificationInfo=https://cert.example.com/acertificationInfo=https://cert.example.com/bepcList"
        ));
        let without = prehash_string(&e, &HashProfile::LEGACY_REFERENCE_CBV20.with_certification_info(false)).unwrap();
        assert!(!without.contains("certificationInfo"));
        assert_eq!(
            HashProfile::LEGACY_REFERENCE_CBV20.with_certification_info(false).name(),
            "reference-cbv2.0-no-certinfo"
        );
        assert_eq!(HashProfile::REFERENCE_CBV20.with_certification_info(true).name(), "reference-cbv2.0-v2-certinfo");
        assert_eq!(HashProfile::default(), HashProfile::REFERENCE_CBV20);
    }

    #[test]
    fn times_round_half_to_even_on_microseconds() {
        let t = |s: &str| time_text(ts(s)).unwrap();
        assert_eq!(t("2022-02-17T02:33:31.1425Z"), "2022-02-17T02:33:31.142Z");
        assert_eq!(t("2022-02-17T02:33:31.1435Z"), "2022-02-17T02:33:31.144Z");
        assert_eq!(t("2022-02-17T02:33:31.14250099Z"), "2022-02-17T02:33:31.142Z"); // beyond µs dropped
        assert_eq!(t("2022-02-17T02:33:31.142501Z"), "2022-02-17T02:33:31.143Z");
        assert_eq!(t("2022-02-17T02:33:31Z"), "2022-02-17T02:33:31.000Z");
        assert_eq!(t("2022-12-31T23:59:59.9996Z"), "2023-01-01T00:00:00.000Z"); // carries
        assert_eq!(t("1969-12-31T23:59:59.9994Z"), "1969-12-31T23:59:59.999Z");
        assert_eq!(t("2022-02-16T20:33:31.116-06:00"), "2022-02-17T02:33:31.116Z");
        assert_eq!(time_text(Timestamp(i64::MAX)).unwrap_err().kind(), ErrorKind::Range);
        assert_eq!(time_text(Timestamp(i64::MIN)).unwrap_err().kind(), ErrorKind::Range);
    }

    #[test]
    fn identifier_canonical_forms() {
        assert_eq!(id_text(&id("urn:epc:id:sgln:0614141.07346.0")), "https://id.gs1.org/414/0614141073467");
        assert_eq!(id_text(&id("https://id.gs1.org/414/0614141073467/254/0")), "https://id.gs1.org/414/0614141073467");
        assert_eq!(
            id_text(&id("https://example.com/01/10614141073464/10/LOT1/21/2017?17=261231")),
            "https://id.gs1.org/01/10614141073464/21/2017"
        );
        assert_eq!(
            id_text(&id("urn:epc:class:lgtin:0614141.107346.LOT1")),
            "https://id.gs1.org/01/10614141073464/10/LOT1"
        );
        assert_eq!(id_text(&id("urn:epc:id:pgln:0614141.00001")), "https://id.gs1.org/417/0614141000012");
        assert_eq!(id_text(&id("urn:epc:id:gid:95100000.12345.400")), "urn:epc:id:gid:95100000.12345.400");
        assert_eq!(id_text(&Id::Uri(" urn:example:lot:42 ".into())), "urn:example:lot:42");
    }

    #[test]
    fn free_text_canonicalisation() {
        assert_eq!(canon_text(" urn:epcglobal:cbv:bizstep:receiving "), "https://ref.gs1.org/cbv/BizStep-receiving");
        assert_eq!(canon_text("urn:epcglobal:cbv:sdt:owning_party"), "https://ref.gs1.org/cbv/SDT-owning_party");
        assert_eq!(canon_text("200.50"), "200.5");
        assert_eq!(canon_text("+1.0"), "1");
        assert_eq!(canon_text("12345678901234567890"), "12345678901234567890"); // exact, unlike the reference
        assert_eq!(canon_text("2024-01-01"), "2024-01-01");
        assert_eq!(canon_text("urn:epc:id:sgtin:0614141.107346.2017"), "https://id.gs1.org/01/10614141073464/21/2017");
        assert_eq!(canon_text("https://example.com/page"), "https://example.com/page");
        assert_eq!(canon_text("ABC"), "ABC");
    }

    /// A bare ObjectEvent at 1970-01-01T00:00Z with the given epcList, for the identifier rules.
    fn with_epcs(epcs: &[Id]) -> String {
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.action = Some(Action::Observe);
        e.epc_list = epcs.to_vec();
        let s = prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap();
        let head = "eventType=ObjectEventeventTime=1970-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00epcList";
        s.strip_prefix(head).and_then(|r| r.strip_suffix("action=OBSERVE")).unwrap().to_owned()
    }

    /// Rule: an EPC pattern whose last component is `*` hashes as the Digital Link of its class
    /// (epcisDocWithAllGS1Keys, epcisDocWithXMLstartTagAndErrorDeclaration: `urn:epc:idpat:grai:4012345.66666.*`
    /// → `https://id.gs1.org/8003/04012345666663`); other patterns stay as written.
    #[test]
    fn id_patterns_hash_as_their_class() {
        let pat = |s: &str| id_text(&Id::Uri(s.into()));
        assert_eq!(pat("urn:epc:idpat:sgtin:4054739.099914.*"), "https://id.gs1.org/01/04054739999148");
        assert_eq!(pat("urn:epc:idpat:grai:4012345.66666.*"), "https://id.gs1.org/8003/04012345666663");
        assert_eq!(pat("urn:epc:idpat:gdti:4012345.55555.*"), "https://id.gs1.org/253/4012345555554");
        assert_eq!(pat("urn:epc:idpat:sgcn:4012345.99999.*"), "https://id.gs1.org/255/4012345999990");
        assert_eq!(pat("urn:epc:idpat:cpi:4012345.ABC.*"), "https://id.gs1.org/8010/4012345ABC");
        assert_eq!(pat("urn:epc:idpat:itip:4012345.012345.01.02.*"), "https://id.gs1.org/8006/040123451234560102");
        assert_eq!(pat("urn:epc:idpat:upui:4012345.012345.*"), "https://id.gs1.org/01/04012345123456");
        assert_eq!(pat("urn:epc:idpat:sgtin:4054739.*.*"), "urn:epc:idpat:sgtin:4054739.*.*");
        assert_eq!(pat("urn:epc:idpat:sscc:4054739.*"), "urn:epc:idpat:sscc:4054739.*");
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.action = Some(Action::Observe);
        e.quantity_list =
            vec![Quantity { class: Id::Uri("urn:epc:idpat:sgtin:4012345.066666.*".into()), quantity: None, uom: None }];
        assert!(
            prehash_string(&e, &HashProfile::REFERENCE_CBV20)
                .unwrap()
                .contains("quantityListquantityElementepcClass=https://id.gs1.org/01/04012345666663action=")
        );
    }

    /// Rule: a GS1 key's values are escaped as in an EPC URN — `!'()*+,:;=` literal, `"%&/<>?` escaped
    /// (epclist_normalisation: `urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()`).
    #[test]
    fn key_values_keep_urn_escaping() {
        assert_eq!(
            with_epcs(&[id("urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()")]),
            "epc=https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22!%3F()"
        );
        assert_eq!(
            with_epcs(&[id("urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB")]),
            "epc=https://id.gs1.org/01/01234567987651/235/51qIgY)%3C%26Jp3*j7'SDB"
        );
        assert_eq!(urn_escaping("a%2a%2B%25%21%2"), "a*+%25!%2");
    }

    /// Rule: a Digital Link with short names (`/gtin/`, `/ser/`), another host or a query string hashes as its
    /// canonical Digital Link (epclist_normalisation: `https://example.com/gtin/09780345418913/21/765tz?abc=211121`).
    #[test]
    fn digital_link_short_names_and_queries() {
        assert_eq!(
            with_epcs(&[
                Id::Uri("https://example.com/gtin/09780345418913/21/765tz?abc=211121".into()),
                Id::Uri("https://id.gs1.org/gtin/09780345418913".into()),
            ]),
            "epc=https://id.gs1.org/01/09780345418913epc=https://id.gs1.org/01/09780345418913/21/765tz"
        );
        assert_eq!(uri_text("https://example.com/page?x=1"), "https://example.com/page?x=1");
        assert_eq!(uri_text("geo:50.9,6.9"), "geo:50.9,6.9");
    }

    /// Rule: comments (`rdfs:comment`) are not hashed (epcisDocHavingEventWithComment: the pre-hash equals the
    /// same event's without the comment).
    #[test]
    fn comments_are_ignored() {
        let base = worked(
            "2005-04-03T20:33:31.116-06:00",
            &["urn:epc:id:sgtin:0614141.107346.2017"],
            "urn:epc:id:sgln:0614141.07346.1234",
        );
        let mut e = base.clone();
        e.extensions = vec![Extension {
            name: "http://www.w3.org/2000/01/rdf-schema#comment".into(),
            value: text("An ObjectEvent may be used for reporting an observation"),
        }];
        assert_eq!(gs1_event_hash(&e).unwrap(), gs1_event_hash(&base).unwrap());
        e.extensions.push(ext("note", text("kept")));
        assert!(
            prehash_string(&e, &HashProfile::REFERENCE_CBV20)
                .unwrap()
                .ends_with("{https://ns.example.com/epcis/}note=kept")
        );
    }

    /// Rule: measurement types, exceptions and components as Web vocabulary URIs, standard CURIEs expanded
    /// (CertificationInfoAndSensorReportWithCRS: `Dimensionless`, `ALARM_CONDITION`; epcisDocWithSensorComponent:
    /// `cbv:Comp-latitude`).
    #[test]
    fn sensor_vocabulary_terms() {
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.action = Some(Action::Observe);
        e.epc_list = vec![id("urn:epc:id:sgtin:0614141.107346.1")];
        e.sensor_elements = vec![SensorElement {
            metadata: None,
            reports: vec![
                SensorReport {
                    kind: Some("https://gs1.org/voc/Angle".into()),
                    exception: Some("ALARM_CONDITION".into()),
                    component: Some("cbv:Comp-latitude".into()),
                    ..SensorReport::default()
                },
                SensorReport { component: Some("longitude".into()), ..SensorReport::default() },
            ],
            extensions: Vec::new(),
        }];
        let s = prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap();
        assert!(s.ends_with(concat!(
            "action=OBSERVEsensorElementsensorReportcomponent=https://ref.gs1.org/cbv/Comp-longitude",
            "sensorReporttype=https://ref.gs1.org/voc/Angleexception=https://ref.gs1.org/voc/ALARM_CONDITION",
            "component=https://ref.gs1.org/cbv/Comp-latitude",
        )));
    }

    /// Rule: the reference writes `epcList` before `parentID` (TransactionEvent_all_possible_fields); the CBV 2.0
    /// table and the other profiles the other way round.
    #[test]
    fn epc_list_before_parent_id() {
        let mut e = Event::new(EventType::Transaction, Timestamp(0), TzOffset::UTC);
        e.action = Some(Action::Add);
        e.parent_id = Some(id("urn:epc:id:sscc:0614141.1234567890"));
        e.epc_list = vec![id("urn:epc:id:sgtin:0614141.107346.2017")];
        e.biz_transactions = vec![BizTransaction { kind: Some(BizTransactionType::Po), value: id("urn:example:po:1") }];
        let epcs = "epcListepc=https://id.gs1.org/01/10614141073464/21/2017";
        let parent = "parentID=https://id.gs1.org/00/106141412345678908";
        let reference = prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap();
        assert!(reference.contains(&format!("+00:00{epcs}{parent}action=ADD")), "{reference}");
        let documented = prehash_string(&e, &HashProfile::DOCUMENTED_CBV20).unwrap();
        assert!(documented.contains(&format!("+00:00{parent}{epcs}action=ADD")), "{documented}");
    }

    /// An event combining every field whose place differs between the profiles.
    fn combined() -> Event {
        let mut e = Event::new(EventType::Object, ts("2024-05-01T08:00:00+08:00"), TzOffset(480));
        e.action = Some(Action::Add);
        e.epc_list = vec![id("urn:epc:id:sgtin:0614141.107346.1")];
        e.biz_step = Some(BizStep::Commissioning);
        e.persistent_disposition = Some(PersistentDisposition {
            set: vec![Disposition::parse("urn:epcglobal:cbv:disp:recalled").unwrap(), Disposition::Active],
            unset: vec![Disposition::InTransit],
        });
        e.read_point =
            Some(Place { id: id("urn:epc:id:sgln:0614141.07346.0"), extensions: vec![ext("gate", text("G7"))] });
        e.sensor_elements = vec![SensorElement {
            metadata: Some(SensorMetadata {
                time: Some(ts("2024-05-01T00:00:00Z")),
                device_id: Some("urn:example:dev:1".into()),
                ..SensorMetadata::default()
            }),
            reports: vec![
                SensorReport {
                    kind: Some("https://gs1.org/voc/Temperature".into()),
                    value: Some(Decimal::parse("26.0").unwrap()),
                    uom: Some("CEL".into()),
                    ..SensorReport::default()
                },
                SensorReport {
                    kind: Some("https://gs1.org/voc/RelativeHumidity".into()),
                    value: Some(Decimal::parse("12.10").unwrap()),
                    uom: Some("A93".into()),
                    boolean_value: Some(false),
                    ..SensorReport::default()
                },
            ],
            extensions: vec![ext("calibrated", ExtValue::Bool(true))],
        }];
        e.biz_transactions = vec![
            BizTransaction { kind: Some(BizTransactionType::Po), value: id("http://transaction.acme.com/po/1") },
            BizTransaction {
                kind: Some(BizTransactionType::parse("urn:epcglobal:cbv:btt:desadv").unwrap()),
                value: id("urn:example:desadv:9"),
            },
            BizTransaction { kind: None, value: id("urn:example:untyped:1") },
        ];
        e.sources = vec![SourceDest { kind: SourceDestType::OwningParty, id: id("urn:epc:id:pgln:0614141.00001") }];
        e.destinations =
            vec![SourceDest { kind: SourceDestType::Location, id: id("https://id.gs1.org/414/0614141073467") }];
        e.ilmd = vec![ext("lot", text("LOT1")), ext("bestBefore", text("2025-01-01"))];
        e.extensions = vec![
            ext("temperature", ExtValue::Number(Decimal::parse("21.50").unwrap())),
            ext(
                "detail",
                ExtValue::Object(vec![ext("b", text("y")), ext("a", ExtValue::Number(Decimal::parse("1").unwrap()))]),
            ),
            ext("tags", ExtValue::Array(vec![text("z"), text("x")])),
        ];
        e.namespaces = vec![Namespace { prefix: "ex".into(), iri: EX.into() }];
        e.who = Who { party: None, operator: Some("op-7".into()), device: Some("scanner-3".into()) };
        e
    }

    const HEAD: &str = concat!(
        "eventType=ObjectEventeventTime=2024-05-01T00:00:00.000ZeventTimeZoneOffset=+08:00",
        "epcListepc=https://id.gs1.org/01/10614141073464/21/1action=ADD",
        "bizStep=https://ref.gs1.org/cbv/BizStep-commissioning",
        "persistentDispositionset=https://ref.gs1.org/cbv/Disp-activeset=https://ref.gs1.org/cbv/Disp-recalled",
        "unset=https://ref.gs1.org/cbv/Disp-in_transit",
        "readPointid=https://id.gs1.org/414/0614141073467{https://ns.example.com/epcis/}gate=G7",
    );
    const SENSORS: &str = concat!(
        "sensorElementListsensorElementsensorMetadatatime=2024-05-01T00:00:00.000ZdeviceID=urn:example:dev:1",
        "sensorReporttype=https://ref.gs1.org/voc/RelativeHumidityvalue=12.1booleanValue=falseuom=A93",
        "sensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=26uom=CEL",
        "{https://ns.example.com/epcis/}calibrated=true",
    );
    const BIZ: &str = concat!(
        "bizTransactionListbizTransaction=urn:example:untyped:1",
        "type=https://ref.gs1.org/cbv/BTT-desadvbizTransaction=urn:example:desadv:9",
        "type=https://ref.gs1.org/cbv/BTT-pobizTransaction=http://transaction.acme.com/po/1",
    );
    const SOURCES: &str =
        "sourceListtype=https://ref.gs1.org/cbv/SDT-owning_partysource=https://id.gs1.org/417/0614141000012";
    const DESTS: &str =
        "destinationListtype=https://ref.gs1.org/cbv/SDT-locationdestination=https://id.gs1.org/414/0614141073467";
    const ILMD: &str =
        "ilmd{https://ns.example.com/epcis/}bestBefore=2025-01-01{https://ns.example.com/epcis/}lot=LOT1";
    const EXTS: &str = concat!(
        "{https://ns.example.com/epcis/}detail{https://ns.example.com/epcis/}a=1{https://ns.example.com/epcis/}b=y",
        "{https://ns.example.com/epcis/}tags=x{https://ns.example.com/epcis/}tags=z",
        "{https://ns.example.com/epcis/}temperature=21.5",
        "{urn:tracecode:epcis:}device=scanner-3{urn:tracecode:epcis:}operator=op-7",
    );

    #[test]
    fn legacy_reference_tail_order() {
        let got = prehash_string(&combined(), &HashProfile::LEGACY_REFERENCE_CBV20).unwrap();
        let want = [HEAD, SENSORS, BIZ, DESTS, ILMD, SOURCES, EXTS].concat();
        assert_eq!(got, want);
    }

    /// The reference's CBV2.0 rules on the same event: documented order, nested extensions appended after `ilmd`
    /// under their parents' names (ReferenceEventHashAlgorithm3: `readPoint{ns}myField1=AB-12`;
    /// CertificationInfoAndSensorReportWithCRS: `sensorElementsensorMetadata…sensorReport…`), no
    /// `sensorElementList` container (cbv_version's CBV2.0 profile).
    #[test]
    fn reference_appends_nested_extensions() {
        let got = prehash_string(&combined(), &HashProfile::REFERENCE_CBV20).unwrap();
        let head = HEAD.replace("{https://ns.example.com/epcis/}gate=G7", "");
        let sensors = concat!(
            "sensorElementsensorMetadatatime=2024-05-01T00:00:00.000ZdeviceID=urn:example:dev:1",
            "sensorReporttype=https://ref.gs1.org/voc/RelativeHumidityvalue=12.1booleanValue=falseuom=A93",
            "sensorReporttype=https://ref.gs1.org/voc/Temperaturevalue=26uom=CEL",
        );
        let appended = concat!(
            "readPoint{https://ns.example.com/epcis/}gate=G7",
            "sensorElement{https://ns.example.com/epcis/}calibrated=true",
        );
        let want = [&head, BIZ, SOURCES, DESTS, sensors, ILMD, appended, EXTS].concat();
        assert_eq!(got, want);
    }

    #[test]
    fn documented_tail_order() {
        let got = prehash_string(&combined(), &HashProfile::DOCUMENTED_CBV20).unwrap();
        let want = [HEAD, BIZ, SOURCES, DESTS, SENSORS, ILMD, EXTS].concat();
        assert_eq!(got, want);
        assert_ne!(
            gs1_event_hash(&combined()).unwrap(),
            gs1_event_hash_with(&combined(), &HashProfile::DOCUMENTED_CBV20).unwrap()
        );
    }

    #[test]
    fn who_party_and_namespace_splitting() {
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.who.party = Some(id("urn:epc:id:pgln:0614141.00001"));
        e.extensions = vec![
            Extension { name: "urn:x:ns:flag".into(), value: ExtValue::Null },
            Extension { name: "http://example.org/ns#note".into(), value: text("  ") },
            Extension { name: "https://ns.example.com/epcis/sub/x".into(), value: text("v") },
        ];
        e.namespaces = vec![Namespace { prefix: "ex".into(), iri: EX.into() }];
        let s = prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap();
        assert_eq!(
            s,
            concat!(
                "eventType=ObjectEventeventTime=1970-01-01T00:00:00.000ZeventTimeZoneOffset=+00:00",
                "{http://example.org/ns#}note{https://ns.example.com/epcis/}sub/x=v",
                "{urn:tracecode:epcis:}responsibleParty=https://id.gs1.org/417/0614141000012{urn:x:ns:}flag",
            )
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut v = text("leaf");
        for _ in 0..=MAX_EXTENSION_DEPTH {
            v = ExtValue::Array(vec![v]);
        }
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.extensions = vec![ext("deep", v)];
        assert_eq!(prehash_string(&e, &HashProfile::REFERENCE_CBV20).unwrap_err().kind(), ErrorKind::Length);
    }

    /// Deterministic Fisher–Yates driven by a SplitMix64 stream.
    fn shuffle<T>(v: &mut [T], rng: &mut crate::hash::SplitMix64) {
        for i in (1..v.len()).rev() {
            let j = usize::try_from(rng.below(i as u64 + 1)).unwrap();
            v.swap(i, j);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// URN vs Digital Link spellings, the local or UTC form of the time, and the epcList order do not change
        /// the worked example's hash.
        #[test]
        fn worked_example_stable_under_spelling_and_order(
            extra in proptest::collection::vec((1u32..99_999, any::<bool>()), 0..6),
            dl in any::<bool>(),
            rp_dl in any::<bool>(),
            seed in any::<u64>(),
            zone in 0usize..3,
        ) {
            let spell = |serial: u32, dl: bool| if dl {
                format!("https://id.gs1.org/01/10614141073464/21/{serial}")
            } else {
                format!("urn:epc:id:sgtin:0614141.107346.{serial}")
            };
            let mut base: Vec<String> = vec![spell(2017, false), spell(2018, false)];
            let mut other: Vec<String> = vec![spell(2017, dl), spell(2018, !dl)];
            for &(s, d) in &extra {
                base.push(spell(s, false));
                other.push(spell(s, d));
            }
            shuffle(&mut other, &mut crate::hash::SplitMix64::new(seed));
            let time = ["2022-02-16T20:33:31.116-06:00", "2022-02-17T02:33:31.116Z", "2022-02-17T10:33:31.116+08:00"][zone];
            let rp = if rp_dl { "https://id.gs1.org/414/0614141073467/254/1234" } else { "urn:epc:id:sgln:0614141.07346.1234" };
            let a = worked("2022-02-16T20:33:31.116-06:00", &base.iter().map(String::as_str).collect::<Vec<_>>(), "urn:epc:id:sgln:0614141.07346.1234");
            let b = worked(time, &other.iter().map(String::as_str).collect::<Vec<_>>(), rp);
            prop_assert_eq!(gs1_event_hash(&a).unwrap(), gs1_event_hash(&b).unwrap());
            if extra.is_empty() {
                prop_assert_eq!(gs1_event_hash(&b).unwrap(), WORKED_HASH);
            }
        }

        /// Reordering every list and extension of an event (including nested ones) does not change its hash under
        /// either profile.
        #[test]
        fn stable_under_field_reordering(seed in any::<u64>()) {
            let a = combined();
            let mut b = combined();
            let mut s = crate::hash::SplitMix64::new(seed);
            shuffle(&mut b.biz_transactions, &mut s);
            shuffle(&mut b.ilmd, &mut s);
            shuffle(&mut b.extensions, &mut s);
            for e in &mut b.extensions {
                match &mut e.value {
                    ExtValue::Object(m) => shuffle(m, &mut s),
                    ExtValue::Array(v) => shuffle(v, &mut s),
                    _ => {}
                }
            }
            for el in &mut b.sensor_elements {
                shuffle(&mut el.reports, &mut s);
            }
            if let Some(pd) = &mut b.persistent_disposition {
                shuffle(&mut pd.set, &mut s);
            }
            for p in [HashProfile::REFERENCE_CBV20, HashProfile::DOCUMENTED_CBV20] {
                prop_assert_eq!(gs1_event_hash_with(&a, &p).unwrap(), gs1_event_hash_with(&b, &p).unwrap());
            }
        }

        /// Changing the id at index k makes verification fail exactly at k; other links are untouched.
        #[test]
        fn chain_reports_first_bad_link(n in 1usize..20, k in 0usize..20, flip in any::<u8>()) {
            let k = k % n;
            let ids: Vec<EventId> = (0..n).map(|i| EventId(*blake3::hash(&i.to_le_bytes()).as_bytes())).collect();
            let mut links = Vec::with_capacity(n);
            let mut prev = GENESIS;
            for id in &ids {
                prev = chain_step(&prev, id);
                links.push(prev);
            }
            prop_assert!(verify_chain(&ids, &links).is_ok());
            let mut tampered = ids.clone();
            tampered[k].0[usize::from(flip) % 32] ^= 0x01;
            let bad = verify_chain(&tampered, &links).unwrap_err();
            prop_assert_eq!(bad.index, k);
            prop_assert_eq!(bad.found, Some(links[k]));
            let err: Error = bad.into();
            prop_assert_eq!((err.kind(), err.offset()), (ErrorKind::Corrupt, Some(k)));
            // A changed link is reported too, at its own index.
            let mut broken = links.clone();
            broken[k].0[0] ^= 0x80;
            prop_assert_eq!(verify_chain(&ids, &broken).unwrap_err().index, k);
        }

        #[test]
        fn time_text_never_panics(ns in any::<i64>()) {
            if let Ok(t) = time_text(Timestamp(ns)) {
                prop_assert_eq!(t.len(), 24);
                prop_assert!(t.ends_with('Z'));
            }
        }

        #[test]
        fn hash_text_round_trip(bytes in any::<[u8; 32]>()) {
            let id = EventId(bytes);
            let text = id.to_string();
            prop_assert_eq!(text.len(), 64);
            prop_assert_eq!(text.parse::<EventId>().unwrap(), id);
            prop_assert_eq!(text.to_uppercase().parse::<EventId>().unwrap(), id);
            let link = Link(bytes);
            prop_assert_eq!(link.to_string().parse::<Link>().unwrap(), link);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(&json, &format!("\"{text}\""), "human-readable: the hex text");
            prop_assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), id);
            let json = serde_json::to_string(&link).unwrap();
            prop_assert_eq!(serde_json::from_str::<Link>(&json).unwrap(), link);
            // The byte array earlier versions wrote to JSON still reads.
            prop_assert_eq!(serde_json::from_str::<Link>(&serde_json::to_string(&bytes).unwrap()).unwrap(), link);
            let bin = bincode::serialize(&link).unwrap();
            prop_assert_eq!(bin.len(), 8 + 32); // length-prefixed byte string
            prop_assert_eq!(bincode::deserialize::<Link>(&bin).unwrap(), link);
        }
    }

    #[test]
    fn event_id_ignores_capture_metadata_and_spelling() {
        let a = combined();
        let eid = event_id(&a).unwrap();
        // Pinned: the content address of `combined()` is blake3 of its frame, nothing else.
        let mut bare = a.clone();
        bare.record_time = None;
        assert_eq!(eid.0, *blake3::hash(&crate::event::frame::encode(&bare).unwrap()).as_bytes());
        let mut b = combined();
        b.record_time = Some(ts("2024-05-02T00:00:00Z"));
        b.epcis_event_id = Some("ni:///sha-256;00?ver=CBV2.0".into());
        b.error_declaration = Some(ErrorDeclaration {
            declaration_time: ts("2024-05-03T00:00:00Z"),
            reason: Some(crate::event::ErrorReason::IncorrectData),
            corrective_event_ids: Vec::new(),
            extensions: Vec::new(),
        });
        assert_eq!(event_id(&b).unwrap(), eid);
        // The same items spelled as Digital Links are the same identifiers, hence the same id.
        let mut c = combined();
        c.epc_list = vec![id("https://id.gs1.org/01/10614141073464/21/1")];
        c.read_point.as_mut().unwrap().id = id("https://id.gs1.org/414/0614141073467");
        assert_eq!(event_id(&c).unwrap(), eid);
        // A fact changes it.
        let mut d = combined();
        d.action = Some(Action::Observe);
        assert_ne!(event_id(&d).unwrap(), eid);
    }

    #[test]
    fn genesis_is_the_documented_value() {
        assert_eq!(GENESIS.0, *blake3::hash(b"tracecode chain v1 genesis").as_bytes());
        assert_eq!(GENESIS.to_string(), "4a1a88ffb9666906e3e26fc42774f6da6ec8fb76ca7bd422a2de8dbee3dda586");
    }

    #[test]
    fn chain_step_is_blake3_of_prev_and_id() {
        let id = EventId([0xAB; 32]);
        let mut input = GENESIS.0.to_vec();
        input.extend_from_slice(&id.0);
        assert_eq!(chain_step(&GENESIS, &id).0, *blake3::hash(&input).as_bytes());
    }

    #[test]
    fn chain_length_mismatch() {
        let ids = [EventId([1; 32]), EventId([2; 32])];
        let l0 = chain_step(&GENESIS, &ids[0]);
        let l1 = chain_step(&l0, &ids[1]);
        let short = verify_chain(&ids, &[l0]).unwrap_err();
        assert_eq!(short, BadLink { index: 1, expected: Some(l1), found: None });
        let long = verify_chain(&ids[..1], &[l0, l1]).unwrap_err();
        assert_eq!(long, BadLink { index: 1, expected: None, found: Some(l1) });
        assert_eq!(verify_chain(&[], &[]), Ok(()));
        assert_eq!(verify_chain_from(&l0, &ids[1..], &[l1]), Ok(()));
        assert!(short.to_string().contains("missing"));
    }

    #[test]
    fn hash_text_errors_have_positions() {
        let e = "abc".parse::<EventId>().unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Length, Some(0), Some(3)));
        let mut s = "0".repeat(64);
        s.replace_range(37..38, "g");
        let e = s.parse::<Link>().unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.len()), (ErrorKind::Charset, Some(37), Some(1)));
        assert!(serde_json::from_str::<EventId>("[1,2,3]").is_err());
    }
}
