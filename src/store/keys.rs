#![doc = include_str!("../../docs/STORE.md")]
#![cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "helpers used by the RocksDB store"))]

use crate::code::TraceKey;
use crate::event::id::EventId;
use crate::event::{Action, Id, SourceDestType, Timestamp};
use crate::{Error, ErrorKind};

use super::{EdgeKind, Rel};

/// The store format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The `default` column family key holding the format version.
pub const FORMAT_KEY: &[u8] = b"tracecode.format";

/// Largest frame copied into chain entries.
pub const INLINE_FRAME_MAX: usize = 512;

/// Column family names, in creation order.
pub const CF_NAMES: [&str; 7] = ["event", "log", "chain", "edge", "idx", "class", "xform"];

/// The `default` column family key holding exact counters.
pub const COUNTERS_KEY: &[u8] = b"tracecode.counters";

/// Name of the node prefix extractor (stable: changing it disables existing prefix filters).
pub const NODE_EXTRACTOR: &str = "tracecode.node.v1";

/// Index tags of the `idx` column family.
pub(crate) mod idx {
    pub const TIME: u8 = 0x01;
    pub const LOCATION: u8 = 0x02;
    pub const PARTY: u8 = 0x03;
    pub const BIZ_STEP: u8 = 0x04;
    pub const DISPOSITION: u8 = 0x05;
    pub const PARENT: u8 = 0x06;
}

/// Tags of the `class` column family.
pub(crate) mod class {
    pub const GTIN: u8 = 0x01;
    pub const LOT: u8 = 0x02;
}

/// Appends a node (`len ‖ body`) to `out`.
///
/// ```
/// use tracecode::event::Id;
/// use tracecode::store::keys::push_node;
/// let mut k = Vec::new();
/// push_node(&mut k, &Id::parse("https://example.com/x")?);
/// assert_eq!(k[0] as usize, k.len() - 1);
/// assert_eq!(k[1], 0xFF);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn push_node(out: &mut Vec<u8>, id: &Id) {
    match id {
        Id::Key(k) if k.as_bytes().len() <= 255 => {
            out.push(u8::try_from(k.as_bytes().len()).unwrap_or(u8::MAX));
            out.extend_from_slice(k.as_bytes());
        }
        Id::Uri(u) if u.len() < 255 => {
            out.push(u8::try_from(u.len() + 1).unwrap_or(u8::MAX));
            out.push(0xFF);
            out.extend_from_slice(u.as_bytes());
        }
        other => {
            let text = match other {
                Id::Key(k) => k.to_string(),
                Id::Uri(u) => u.to_string(),
            };
            out.push(32);
            out.push(0xFE);
            out.extend_from_slice(blake3::hash(text.as_bytes()).as_bytes().get(..31).unwrap_or_default());
        }
    }
}

/// The node key of `id` (`len ‖ body`).
pub fn node_key(id: &Id) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    push_node(&mut v, id);
    v
}

/// The node key of a code.
pub fn key_node(key: &TraceKey) -> Vec<u8> {
    let mut v = Vec::with_capacity(key.as_bytes().len() + 1);
    if key.as_bytes().len() <= 255 {
        v.push(u8::try_from(key.as_bytes().len()).unwrap_or(u8::MAX));
        v.extend_from_slice(key.as_bytes());
    } else {
        push_node(&mut v, &Id::Key(key.clone()));
    }
    v
}

/// The prefix extractor: the node part (`1 + len` bytes) of a key, or the whole key when it is shorter.
pub fn node_prefix(key: &[u8]) -> &[u8] {
    let n = key.first().map_or(0, |&l| 1 + usize::from(l));
    key.get(..n).unwrap_or(key)
}

/// In-domain test for the prefix extractor: the key holds a whole node.
pub fn node_in_domain(key: &[u8]) -> bool {
    key.first().is_some_and(|&l| key.len() > usize::from(l))
}

/// Appends a full id (`form ‖ u16 len ‖ bytes`).
pub(crate) fn push_full_id(out: &mut Vec<u8>, id: Option<&Id>) {
    match id {
        None => out.push(0xFF),
        Some(Id::Key(k)) => {
            out.push(0);
            push_u16_bytes(out, k.as_bytes());
        }
        Some(Id::Uri(u)) => {
            out.push(1);
            push_u16_bytes(out, u.as_bytes());
        }
    }
}

/// Appends `u16 len ‖ bytes` (bytes beyond 65 535 are cut; no caller passes that much: URIs are bounded).
pub(crate) fn push_u16_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let b = b.get(..usize::from(u16::MAX)).unwrap_or(b);
    out.extend_from_slice(&u16::try_from(b.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(b);
}

/// Time as order-preserving bytes.
pub(crate) fn time_bytes(t: Timestamp) -> [u8; 8] {
    (t.0.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

/// Inverse of [`time_bytes`].
pub(crate) fn time_from(b: [u8; 8]) -> Timestamp {
    Timestamp((u64::from_be_bytes(b) ^ (1 << 63)).cast_signed())
}

pub(crate) const fn rel_code(r: &Rel) -> u8 {
    match r {
        Rel::Parent => 1,
        Rel::Child => 2,
        Rel::Input => 3,
        Rel::Output => 4,
        Rel::Lot => 5,
        Rel::Member => 6,
        Rel::Source(_) => 7,
        Rel::Destination(_) => 8,
        Rel::Sent(_) => 9,
        Rel::Received(_) => 10,
    }
}

pub(crate) fn rel_sdt(r: &Rel) -> Option<&SourceDestType> {
    match r {
        Rel::Source(t) | Rel::Destination(t) | Rel::Sent(t) | Rel::Received(t) => Some(t),
        _ => None,
    }
}

pub(crate) fn rel_from(code: u8, sdt: Option<SourceDestType>) -> Option<Rel> {
    Some(match (code, sdt) {
        (1, None) => Rel::Parent,
        (2, None) => Rel::Child,
        (3, None) => Rel::Input,
        (4, None) => Rel::Output,
        (5, None) => Rel::Lot,
        (6, None) => Rel::Member,
        (7, Some(t)) => Rel::Source(t),
        (8, Some(t)) => Rel::Destination(t),
        (9, Some(t)) => Rel::Sent(t),
        (10, Some(t)) => Rel::Received(t),
        _ => return None,
    })
}

pub(crate) const fn kind_code(k: EdgeKind) -> u8 {
    match k {
        EdgeKind::Aggregation => 1,
        EdgeKind::Association => 2,
        EdgeKind::Transformation => 3,
        EdgeKind::Membership => 4,
        EdgeKind::HandOver => 5,
    }
}

pub(crate) const fn kind_from(c: u8) -> Option<EdgeKind> {
    Some(match c {
        1 => EdgeKind::Aggregation,
        2 => EdgeKind::Association,
        3 => EdgeKind::Transformation,
        4 => EdgeKind::Membership,
        5 => EdgeKind::HandOver,
        _ => return None,
    })
}

pub(crate) const fn action_code(a: Option<Action>) -> u8 {
    match a {
        None => 0,
        Some(Action::Add) => 1,
        Some(Action::Observe) => 2,
        Some(Action::Delete) => 3,
    }
}

#[allow(clippy::option_option, reason = "outer None = damaged byte, inner None = event without an action")]
pub(crate) const fn action_from(c: u8) -> Option<Option<Action>> {
    Some(match c {
        0 => None,
        1 => Some(Action::Add),
        2 => Some(Action::Observe),
        3 => Some(Action::Delete),
        _ => return None,
    })
}

/// The rel byte of an "unpack all" marker (a DELETE naming a parent and no children), so a container's
/// markers are one short scan ahead of its other edges.
pub(crate) const UNPACK_ALL: u8 = 0;

/// The rel byte of a hand-over bundle under a subject: the event's sources and destinations in one record.
pub(crate) const HANDOVER: u8 = 11;

/// The rel byte of a hand-over bundle under a source or destination: the event's subjects in one record.
pub(crate) const HANDED: u8 = 12;

/// The sort key of an edge under its node: (rel code, seq, far node key, SDT term). Both stores order
/// [`super::TraceStore::neighbours`] by it.
pub(crate) fn edge_suffix(e: &super::Edge) -> Vec<u8> {
    let mut k = Vec::with_capacity(48);
    k.push(if e.to.is_none() { UNPACK_ALL } else { rel_code(&e.rel) });
    k.extend_from_slice(&e.seq.to_be_bytes());
    if let Some(to) = &e.to {
        push_node(&mut k, to);
    }
    if let Some(t) = rel_sdt(&e.rel) {
        k.extend_from_slice(t.term().as_bytes());
    }
    k
}

/// Appends the CRC-32 of `key ‖ body` to `body`.
pub(crate) fn seal(key: &[u8], body: &mut Vec<u8>) {
    let mut h = crc32fast::Hasher::new();
    h.update(key);
    h.update(body);
    let c = h.finalize();
    body.extend_from_slice(&c.to_be_bytes());
}

/// Checks and strips the CRC of a stored value.
///
/// # Errors
/// [`ErrorKind::Corrupt`] naming `what` when the value is too short or its CRC does not match.
pub(crate) fn unseal<'v>(key: &[u8], value: &'v [u8], what: &str) -> Result<&'v [u8], Error> {
    let split = value.len().checked_sub(4).ok_or_else(|| corrupt(what, "value shorter than its checksum"))?;
    let (body, crc) = value.split_at(split);
    let mut h = crc32fast::Hasher::new();
    h.update(key);
    h.update(body);
    let stored = u32::from_be_bytes(crc.try_into().map_err(|_| corrupt(what, "checksum"))?);
    if h.finalize() != stored {
        return Err(corrupt(what, "checksum mismatch"));
    }
    Ok(body)
}

/// A corruption error about `what`.
pub(crate) fn corrupt(what: &str, detail: &str) -> Error {
    Error::new(ErrorKind::Corrupt, 0, 0, format!("stored {what} record is damaged: {detail}"))
}

/// A little reader over a value body; every read is bounds-checked and fails as corruption.
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    what: &'static str,
}

impl<'a> Cur<'a> {
    pub(crate) const fn new(b: &'a [u8], what: &'static str) -> Self {
        Self { b, what }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.b.len() {
            return Err(corrupt(self.what, "truncated"));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }

    pub(crate) fn arr<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| corrupt(self.what, "truncated"))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.arr::<1>()?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.arr()?))
    }

    pub(crate) fn u16_bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = u16::from_be_bytes(self.arr()?);
        self.take(usize::from(n))
    }

    pub(crate) fn event_id(&mut self) -> Result<EventId, Error> {
        Ok(EventId(self.arr()?))
    }

    pub(crate) const fn rest_len(&self) -> usize {
        self.b.len()
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.b)
    }

    /// Reads a full id written by [`push_full_id`].
    pub(crate) fn full_id(&mut self) -> Result<Option<Id>, Error> {
        match self.u8()? {
            0xFF => Ok(None),
            0 => {
                // The record's CRC (checked by the caller) covers these bytes, written from a valid key.
                let b = self.u16_bytes()?;
                if b.is_empty() {
                    return Err(corrupt(self.what, "empty key"));
                }
                Ok(Some(Id::Key(TraceKey::from_stored(b))))
            }
            1 => {
                let b = self.u16_bytes()?;
                std::str::from_utf8(b).map(|s| Some(Id::Uri(s.into()))).map_err(|_| corrupt(self.what, "bad URI"))
            }
            _ => Err(corrupt(self.what, "bad id form")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_of_class_and_instance_do_not_share_a_prefix() {
        let class = Id::parse("https://id.gs1.org/01/09506000134352").unwrap();
        let inst = Id::parse("https://id.gs1.org/01/09506000134352/21/A").unwrap();
        let (a, b) = (node_key(&class), node_key(&inst));
        assert!(!b.starts_with(&a));
        assert_eq!(node_prefix(&[a.clone(), vec![0, 0, 0, 0, 0, 0, 0, 1]].concat()), &a[..]);
        assert!(node_in_domain(&[a.clone(), vec![9]].concat()));
        assert!(!node_in_domain(&a[..a.len() - 1]));
        assert_eq!(node_prefix(&[]), &[] as &[u8]);
    }

    #[test]
    fn long_uri_is_hashed_and_fits() {
        let long = Id::Uri(format!("https://example.com/{}", "x".repeat(400)).into());
        let k = node_key(&long);
        assert_eq!(k.len(), 33);
        assert_eq!(k[1], 0xFE);
    }

    #[test]
    fn time_bytes_sort_like_times() {
        let ts = [i64::MIN, -5, 0, 7, i64::MAX];
        for w in ts.windows(2) {
            assert!(time_bytes(Timestamp(w[0])) < time_bytes(Timestamp(w[1])));
            assert_eq!(time_from(time_bytes(Timestamp(w[0]))), Timestamp(w[0]));
        }
    }

    #[test]
    fn seal_detects_damage_and_wrong_key() {
        let mut v = b"hello".to_vec();
        seal(b"k", &mut v);
        assert_eq!(unseal(b"k", &v, "x").unwrap(), b"hello");
        assert_eq!(unseal(b"j", &v, "x").unwrap_err().kind(), ErrorKind::Corrupt);
        v[0] ^= 1;
        assert_eq!(unseal(b"k", &v, "x").unwrap_err().kind(), ErrorKind::Corrupt);
        assert_eq!(unseal(b"k", &v[..2], "x").unwrap_err().kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn rel_codes_round_trip() {
        let t = SourceDestType::Location;
        for r in [
            Rel::Parent,
            Rel::Child,
            Rel::Input,
            Rel::Output,
            Rel::Lot,
            Rel::Member,
            Rel::Source(t.clone()),
            Rel::Destination(t.clone()),
            Rel::Sent(t.clone()),
            Rel::Received(t),
        ] {
            assert_eq!(rel_from(rel_code(&r), rel_sdt(&r).cloned()), Some(r));
        }
    }
}
