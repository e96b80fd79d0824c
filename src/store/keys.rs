#![doc = include_str!("../../docs/STORE.md")]
#![cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "helpers used by the RocksDB store"))]

use crate::code::TraceKey;
use crate::event::digest::{EventId, Link};
use crate::event::frame::Vocab;
use crate::event::{Action, Id, SourceDestType, Timestamp};
use crate::{Error, ErrorKind};

use super::state::Fold;
use super::{EdgeKind, Rel};

/// The store format this build writes and reads.
pub const FORMAT_VERSION: u32 = 6;

/// The oldest format this build opens. Format 5 is format 6 without the query index families of `idx`
/// ([`idx::CLASS`], [`idx::ILMD`], [`idx::TYPE`]): a read-write open writes them from the log; a read-only open
/// answers queries without them. Format 4 is format 5 with state records folded by the older rule that
/// let a later disposition clear `retired`; format 3 is format 4 without error declarations (no `event` record
/// of form [`EVENT_FRAME_DECLARED`] or [`EVENT_IN_CHAIN_DECLARED`]). A read-write open re-derives their state
/// records and raises the marker to 5; a read-only open derives states from the chains as it reads.
pub const OLDEST_OPENED_FORMAT: u32 = 3;

/// The `default` column family key holding the format version.
pub const FORMAT_KEY: &[u8] = b"tracecode.format";

/// Largest frame copied into chain entries.
pub const INLINE_FRAME_MAX: usize = 512;

/// `event` record body after the seq: the frame follows.
pub const EVENT_FRAME: u8 = 0;

/// `event` record body after the seq: the frame is inline in the chain entry `node ‖ seq`; the node key follows.
pub const EVENT_IN_CHAIN: u8 = 1;

/// As [`EVENT_FRAME`], for an event declared erroneous after it was stored: the seq of the declaration's log
/// entry (8) comes before the frame.
pub const EVENT_FRAME_DECLARED: u8 = 2;

/// As [`EVENT_IN_CHAIN`], for an event declared erroneous after it was stored: the seq of the declaration's log
/// entry (8) comes before the node key.
pub const EVENT_IN_CHAIN_DECLARED: u8 = 3;

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
    /// Format 6: the GTIN class (node) of every GTIN-based identifier and quantity class of the event.
    pub const CLASS: u8 = 0x07;
    /// Format 6: a top-level ILMD field's scalar value: u16 name (the expanded IRI) ‖ u16 value key (its text,
    /// and its number and time when it reads as one).
    pub const ILMD: u8 = 0x08;
    /// Format 6: the event type (u16 `ObjectEvent`, ..., or an extension type's URI).
    pub const TYPE: u8 = 0x09;
    /// Format 6: a place (read point or business location: node) with the event's business step (u16 term), so
    /// the place-and-step queries EPCIS users ask most read only their own events.
    pub const PLACE_STEP: u8 = 0x0A;
}

/// The first format with the query index families ([`idx::CLASS`], [`idx::ILMD`], [`idx::TYPE`],
/// [`idx::PLACE_STEP`]).
pub const QUERY_INDEX_FORMAT: u32 = 6;

/// Longest ILMD value text (bytes) given an [`idx::ILMD`] entry; a query for a longer value filters instead.
pub const ILMD_INDEX_MAX: usize = 256;

/// The prefixes (`tag ‖ term`) of the query index entries ([`QUERY_INDEX_FORMAT`]) of event `e`, each once:
/// the GTIN class of every GTIN-based identifier and quantity class (an SGTIN pattern URI class as its GTIN),
/// each top-level ILMD field's scalar values (and an array's scalar elements; texts up to [`ILMD_INDEX_MAX`]
/// bytes) under every key an equal query value may have, and the event type.
pub(crate) fn query_terms(e: &crate::event::Event) -> Vec<Vec<u8>> {
    use crate::event::ExtValue;
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut add = |t: Vec<u8>| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    let ids =
        e.epc_list.iter().chain(&e.child_epcs).chain(&e.input_epc_list).chain(&e.output_epc_list).chain(&e.parent_id);
    let classes = e
        .quantity_list
        .iter()
        .chain(&e.child_quantity_list)
        .chain(&e.input_quantity_list)
        .chain(&e.output_quantity_list)
        .map(|q| &q.class);
    for id in ids.chain(classes) {
        let gtin = match id {
            Id::Key(k) => k.gtin_class(),
            Id::Uri(_) => crate::store::event_query::idpat_class(id),
        };
        if let Some(g) = gtin {
            add(class_term(&g));
        }
    }
    for x in &e.ilmd {
        let scalars: Vec<&ExtValue> = match &x.value {
            ExtValue::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for v in scalars {
            for k in crate::store::event_query::value_keys(v) {
                if k.len() <= ILMD_INDEX_MAX + 1 {
                    add(ilmd_term(&x.name, &k));
                }
            }
        }
    }
    add(type_term(e.kind.as_str()));
    if let Some(step) = &e.biz_step {
        for place in e.read_point.iter().chain(&e.biz_location) {
            add(place_step_term(&place.id, step.term()));
        }
    }
    out
}

/// `PLACE_STEP ‖ node(place) ‖ u16 step term`.
pub(crate) fn place_step_term(place: &Id, step: &str) -> Vec<u8> {
    let mut t = vec![idx::PLACE_STEP];
    push_node(&mut t, place);
    push_u16_bytes(&mut t, step.as_bytes());
    t
}

/// `CLASS ‖ node of the GTIN class`.
pub(crate) fn class_term(gtin: &TraceKey) -> Vec<u8> {
    let mut t = vec![idx::CLASS];
    push_node(&mut t, &Id::Key(gtin.clone()));
    t
}

/// `ILMD ‖ u16 name ‖ u16 value key` (a value key: `1 ‖ text`, `2 ‖ f64 bits`, `3 ‖ i64 nanoseconds`).
pub(crate) fn ilmd_term(name: &str, value_key: &[u8]) -> Vec<u8> {
    let mut t = vec![idx::ILMD];
    push_u16_bytes(&mut t, name.as_bytes());
    push_u16_bytes(&mut t, value_key);
    t
}

/// `TYPE ‖ u16 type`.
pub(crate) fn type_term(kind: &str) -> Vec<u8> {
    let mut t = vec![idx::TYPE];
    push_u16_bytes(&mut t, kind.as_bytes());
    t
}

/// The order (and, behind `tracecode.vocab/`, the RocksDB key) of a master data element of vocabulary `kind`:
/// `node(id) ‖ u16 kind`. Both stores list elements in this order.
pub(crate) fn vocab_element_key(id: &Id, kind: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(kind.len() + 24);
    push_node(&mut k, id);
    push_u16_bytes(&mut k, kind.as_bytes());
    k
}

/// Tags of the `class` column family.
pub(crate) mod class {
    pub const GTIN: u8 = 0x01;
    pub const LOT: u8 = 0x02;
}

/// Appends a node (`len ‖ body`) to `out` (a URI's body starts with the marker 0xFF; see
/// `push_node_writes_length_and_body` below).
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
    push_edge_suffix(&mut k, e);
    k
}

/// Appends [`edge_suffix`] to `k`.
pub(crate) fn push_edge_suffix(k: &mut Vec<u8>, e: &super::Edge) {
    k.push(if e.to.is_none() { UNPACK_ALL } else { rel_code(&e.rel) });
    k.extend_from_slice(&e.seq.to_be_bytes());
    if let Some(to) = &e.to {
        push_node(k, to);
    }
    if let Some(t) = rel_sdt(&e.rel) {
        k.extend_from_slice(t.term().as_bytes());
    }
}

/// The suffix that turns a node key into its `chain` state-record key: nine `0xFF` bytes, which sort after
/// every `node ‖ seq (8)` entry, so the record is the last key of the node's prefix.
pub const STATE_SUFFIX: [u8; 9] = [0xFF; 9];

/// The `chain` key of a node's state record (`node ‖ STATE_SUFFIX`).
pub(crate) fn state_key(node: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(node.len() + STATE_SUFFIX.len());
    k.extend_from_slice(node);
    k.extend_from_slice(&STATE_SUFFIX);
    k
}

/// Appends an optional vocabulary term: `0` none, `1 ‖ index` for a standard term, `2 ‖ u16 len ‖ URI`.
fn push_term<V: Vocab>(out: &mut Vec<u8>, v: Option<&V>) {
    match v {
        None => out.push(0),
        Some(v) => match (v.other(), v.index()) {
            (None, Some(i)) => out.extend_from_slice(&[1, i]),
            (other, _) => {
                out.push(2);
                push_u16_bytes(out, other.unwrap_or_else(|| v.term_str()).as_bytes());
            }
        },
    }
}

/// Appends a time with a presence byte.
fn push_opt_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    match t {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&time_bytes(t));
        }
    }
}

/// Encodes a node's state record body: its hash-chain head and its materialised state fold (layout in the
/// schema above).
pub(crate) fn encode_state(head: &Link, f: &Fold) -> Vec<u8> {
    let s = &f.state;
    let mut v = Vec::with_capacity(160);
    v.extend_from_slice(&head.0);
    push_opt_time(&mut v, s.first_seen);
    push_opt_time(&mut v, s.last_seen);
    match s.last_event {
        None => v.push(0),
        Some((seq, id)) => {
            v.push(1);
            v.extend_from_slice(&seq.to_be_bytes());
            v.extend_from_slice(&id.0);
        }
    }
    match f.packed_at {
        None => v.push(0),
        Some((t, q)) => {
            v.push(1);
            v.extend_from_slice(&time_bytes(t));
            v.extend_from_slice(&q.to_be_bytes());
        }
    }
    v.push(u8::from(s.retired));
    push_term(&mut v, s.disposition.as_ref());
    v.extend_from_slice(&u16::try_from(s.persistent.len()).unwrap_or(u16::MAX).to_be_bytes());
    for d in s.persistent.iter().take(usize::from(u16::MAX)) {
        push_term(&mut v, Some(d));
    }
    push_term(&mut v, s.last_biz_step.as_ref());
    for id in [&s.read_point, &s.biz_location, &s.container, &s.owner, &s.possessor, &s.responsible] {
        push_full_id(&mut v, id.as_ref());
    }
    v
}

/// Decodes [`encode_state`]'s body.
///
/// # Errors
/// [`ErrorKind::Corrupt`] for a truncated or malformed record.
pub(crate) fn decode_state(body: &[u8]) -> Result<(Link, Fold), Error> {
    let mut c = Cur::new(body, "state");
    let head = Link(c.arr()?);
    let mut s = super::State { first_seen: c.opt_time()?, last_seen: c.opt_time()?, ..super::State::default() };
    s.last_event = match c.u8()? {
        0 => None,
        1 => Some((c.u64()?, c.event_id()?)),
        _ => return Err(corrupt("state", "bad last-event tag")),
    };
    let packed_at = match c.u8()? {
        0 => None,
        1 => Some((time_from(c.arr()?), c.u64()?)),
        _ => return Err(corrupt("state", "bad packed-at tag")),
    };
    s.retired = match c.u8()? {
        0 => false,
        1 => true,
        _ => return Err(corrupt("state", "bad retired flag")),
    };
    s.disposition = c.term()?;
    let n = u16::from_be_bytes(c.arr()?);
    s.persistent =
        (0..n).map(|_| c.term()?.ok_or_else(|| corrupt("state", "empty persistent term"))).collect::<Result<_, _>>()?;
    s.last_biz_step = c.term()?;
    s.read_point = c.full_id()?;
    s.biz_location = c.full_id()?;
    s.container = c.full_id()?;
    s.owner = c.full_id()?;
    s.possessor = c.full_id()?;
    s.responsible = c.full_id()?;
    if c.rest_len() != 0 {
        return Err(corrupt("state", "trailing bytes"));
    }
    Ok((head, Fold { state: s, packed_at }))
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
    Error::msg(ErrorKind::Corrupt, format!("stored {what} record is damaged: {detail}"))
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

    /// Reads a time written with a presence byte.
    fn opt_time(&mut self) -> Result<Option<Timestamp>, Error> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(time_from(self.arr()?))),
            _ => Err(corrupt(self.what, "bad time tag")),
        }
    }

    /// Reads an optional vocabulary term written by `push_term`.
    fn term<V: Vocab>(&mut self) -> Result<Option<V>, Error> {
        match self.u8()? {
            0 => Ok(None),
            1 => V::from_index(self.u8()?).map(Some).ok_or_else(|| corrupt(self.what, "unknown term index")),
            2 => {
                let b = self.u16_bytes()?;
                let s = std::str::from_utf8(b).map_err(|_| corrupt(self.what, "bad term URI"))?;
                Ok(Some(V::from_other(s.into())))
            }
            _ => Err(corrupt(self.what, "bad term tag")),
        }
    }

    /// Reads an optional source/destination type term (`u16 len ‖ text`, empty for none).
    pub(crate) fn sdt(&mut self) -> Result<Option<SourceDestType>, Error> {
        let b = self.u16_bytes()?;
        if b.is_empty() {
            return Ok(None);
        }
        let t = std::str::from_utf8(b).map_err(|_| corrupt(self.what, "type"))?;
        SourceDestType::parse(t).map(Some).map_err(|_| corrupt(self.what, "type"))
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
    fn push_node_writes_length_and_body() {
        let mut k = Vec::new();
        push_node(&mut k, &Id::parse("https://example.com/x").unwrap());
        assert_eq!(usize::from(k[0]), k.len() - 1);
        assert_eq!(k[1], 0xFF);
    }
    use crate::event::{BizStep, Disposition};
    use proptest::prelude::*;

    /// Golden bytes of the query index terms (format 6; docs/STORE.md): a change here is a format change. An
    /// SGTIN and its quantity class written as a pattern give one CLASS term; ILMD strings and numbers by text.
    #[test]
    fn query_terms_golden_bytes() {
        use crate::event::{Event, EventType, ExtValue, Extension, Quantity, TzOffset};
        let mut e = Event::new(EventType::Object, Timestamp(0), TzOffset::UTC);
        e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.2017").unwrap());
        e.quantity_list.push(Quantity {
            class: Id::Uri("urn:epc:idpat:sgtin:0614141.107346.*".into()),
            quantity: None,
            uom: None,
        });
        e.ilmd.push(Extension::new("urn:x:lot", "L1"));
        e.ilmd.push(Extension {
            name: "urn:x:n".into(),
            value: ExtValue::Array(vec![ExtValue::Bool(true), ExtValue::Null]),
        });
        e.ilmd.push(Extension::new("urn:x:num", crate::event::Decimal::parse("4.50").unwrap()));
        let place = Id::parse("urn:epc:id:sgln:0614141.00777.0").unwrap();
        e.biz_step = Some(crate::event::BizStep::Shipping);
        e.read_point = Some(crate::event::Place::new(place.clone()));
        e.biz_location = Some(crate::event::Place::new(place.clone()));
        let hex = |b: &[u8]| {
            b.iter().fold(String::new(), |mut s, x| {
                use std::fmt::Write as _;
                let _ = write!(s, "{x:02x}");
                s
            })
        };
        let got: Vec<String> = query_terms(&e).iter().map(|t| hex(t)).collect();
        let gtin = Id::parse("https://id.gs1.org/01/10614141073464").unwrap();
        let gtin_node = hex(&node_key(&gtin));
        assert_eq!(
            got,
            [
                format!("07{gtin_node}"),
                "080009".to_owned() + &hex(b"urn:x:lot") + "000301" + &hex(b"L1"),
                "080007".to_owned() + &hex(b"urn:x:n") + "000501" + &hex(b"true"),
                "080009".to_owned() + &hex(b"urn:x:num") + "000902" + "4012000000000000",
                "09000b".to_owned() + &hex(b"ObjectEvent"),
                format!("0a{}0008", hex(&node_key(&place))) + &hex(b"shipping"),
            ]
        );
        // The GTIN key's node: length 8, GTIN tag, the 14 digits packed two to a byte.
        assert_eq!(gtin_node, "080110614141073464");
    }

    fn sample_fold() -> Fold {
        let mut f = Fold::default();
        let s = &mut f.state;
        s.first_seen = Some(Timestamp(1_000));
        s.last_seen = Some(Timestamp(2_000));
        s.last_event = Some((7, EventId([0xAB; 32])));
        s.disposition = Some(Disposition::InTransit);
        s.persistent = vec![Disposition::Damaged, Disposition::Other("urn:x:held".into())];
        s.last_biz_step = Some(BizStep::Shipping);
        s.container = Some(Id::Uri("urn:x:c".into()));
        f.packed_at = Some((Timestamp(1_500), 5));
        f
    }

    /// Golden bytes of the state record body (docs/STORE.md, `chain` family): a change here is a format change.
    #[test]
    fn state_record_golden_bytes() {
        let body = encode_state(&Link([0x11; 32]), &sample_fold());
        let mut want = vec![0x11; 32];
        want.extend_from_slice(&[1, 0x80, 0, 0, 0, 0, 0, 0x03, 0xE8]); // first_seen 1000 ms
        want.extend_from_slice(&[1, 0x80, 0, 0, 0, 0, 0, 0x07, 0xD0]); // last_seen 2000 ms
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 7]); // last event: seq 7 ...
        want.extend_from_slice(&[0xAB; 32]); // ... and its id
        want.extend_from_slice(&[1, 0x80, 0, 0, 0, 0, 0, 0x05, 0xDC, 0, 0, 0, 0, 0, 0, 0, 5]); // packed at (1500, 5)
        want.push(0); // not retired
        want.extend_from_slice(&[1, Disposition::InTransit.index().unwrap()]);
        want.extend_from_slice(&[0, 2, 1, Disposition::Damaged.index().unwrap(), 2, 0, 10]);
        want.extend_from_slice(b"urn:x:held");
        want.extend_from_slice(&[1, BizStep::Shipping.index().unwrap()]);
        want.extend_from_slice(&[0xFF, 0xFF]); // read point, business location
        want.extend_from_slice(&[1, 0, 7]);
        want.extend_from_slice(b"urn:x:c"); // container
        want.extend_from_slice(&[0xFF, 0xFF, 0xFF]); // owner, possessor, responsible
        assert_eq!(body, want);
        assert_eq!(decode_state(&body).unwrap(), (Link([0x11; 32]), sample_fold()));
    }

    proptest! {
        /// The fuzz oracle (`fuzzing::state_record`) on damaged copies of a real record: one byte overwritten,
        /// then cut anywhere; a decode that succeeds must round-trip.
        #[test]
        fn state_record_oracle_holds_on_damaged_records(
            at in any::<proptest::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<proptest::sample::Index>(),
        ) {
            let mut body = encode_state(&Link([0x11; 32]), &sample_fold());
            let i = at.index(body.len());
            body[i] = byte;
            crate::fuzzing::state_record(&body);
            crate::fuzzing::state_record(&body[..cut.index(body.len() + 1)]);
        }

        /// The same oracle on arbitrary bytes.
        #[test]
        fn state_record_oracle_holds_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..160)) {
            crate::fuzzing::state_record(&data);
        }
    }

    #[test]
    fn state_record_rejects_damage_without_panicking() {
        let body = encode_state(&Link([0x11; 32]), &sample_fold());
        for n in 0..body.len() {
            assert_eq!(decode_state(&body[..n]).unwrap_err().kind(), ErrorKind::Corrupt, "truncated at {n}");
        }
        let mut long = body.clone();
        long.push(0);
        assert_eq!(decode_state(&long).unwrap_err().kind(), ErrorKind::Corrupt);
        let mut bad = body;
        bad[32] = 9; // the first_seen tag
        assert_eq!(decode_state(&bad).unwrap_err().kind(), ErrorKind::Corrupt);
    }

    fn opt_id() -> impl Strategy<Value = Option<Id>> {
        prop_oneof![
            Just(None),
            "[a-z]{1,12}".prop_map(|s| Some(Id::Uri(format!("urn:x:{s}").into()))),
            (0u64..1_000_000).prop_map(|n| Some(Id::parse(&format!("urn:epc:id:sgtin:0614141.107346.{n}")).unwrap())),
        ]
    }

    fn disp() -> impl Strategy<Value = Disposition> {
        prop_oneof![
            (0..Disposition::TERMS.len()).prop_map(|i| Disposition::parse(Disposition::TERMS[i]).unwrap()),
            "[a-z]{1,8}".prop_map(|s| Disposition::Other(format!("urn:x:{s}").into())),
        ]
    }

    proptest! {
        /// encode_state / decode_state round trip over arbitrary folds.
        #[test]
        fn state_record_round_trips(
            head in any::<[u8; 32]>(),
            times in proptest::option::of((any::<i64>(), any::<i64>())),
            last in proptest::option::of((any::<u64>(), any::<[u8; 32]>())),
            packed in proptest::option::of((any::<i64>(), any::<u64>())),
            retired in any::<bool>(),
            d in proptest::option::of(disp()),
            mut persistent in proptest::collection::vec(disp(), 0..4),
            step in proptest::option::of((0..BizStep::TERMS.len()).prop_map(|i| BizStep::parse(BizStep::TERMS[i]).unwrap())),
            ids in proptest::collection::vec(opt_id(), 6),
        ) {
            persistent.sort();
            persistent.dedup();
            let mut f = Fold::default();
            f.state.first_seen = times.map(|t| Timestamp(t.0));
            f.state.last_seen = times.map(|t| Timestamp(t.1));
            f.state.last_event = last.map(|(q, i)| (q, EventId(i)));
            f.packed_at = packed.map(|(t, q)| (Timestamp(t), q));
            f.state.retired = retired;
            f.state.disposition = d;
            f.state.persistent = persistent;
            f.state.last_biz_step = step;
            f.state.read_point = ids[0].clone();
            f.state.biz_location = ids[1].clone();
            f.state.container = ids[2].clone();
            f.state.owner = ids[3].clone();
            f.state.possessor = ids[4].clone();
            f.state.responsible = ids[5].clone();
            let body = encode_state(&Link(head), &f);
            prop_assert_eq!(decode_state(&body).unwrap(), (Link(head), f));
        }
    }

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
