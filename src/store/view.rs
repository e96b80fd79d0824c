//! Borrowed edges for walks: [`EdgeView`], [`IdRef`], and the [`EdgeSource`]/[`EdgeReader`] pair through which a
//! walk reads a store's edges without copying them into owned [`Edge`]s, on several threads when the store
//! allows ([`super::TraceStore::edge_source`]).

use std::ops::ControlFlow;

use crate::Error;
use crate::code::TraceKey;
use crate::event::digest::EventId;
use crate::event::{Action, Id, SourceDestType, Timestamp};

use super::{Edge, EdgeKind, Rel, Seq, keys};

/// An identifier as an edge record stores it, borrowed: a code's key bytes or a URI. Made by the store from
/// its (checksummed) records or by [`IdRef::of`], so it always names a valid [`Id`].
///
/// ```
/// use tracecode::event::Id;
/// use tracecode::store::IdRef;
/// let id = Id::parse("https://id.gs1.org/01/09506000134352/21/A1")?;
/// let r = IdRef::of(&id);
/// assert_eq!(r.to_id(), id);
/// let mut k = Vec::new();
/// r.push_node_key(&mut k); // the store's node key: length byte, then the key bytes
/// assert_eq!(usize::from(k[0]), k.len() - 1);
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdRef<'a> {
    uri: bool,
    bytes: &'a [u8],
}

impl<'a> IdRef<'a> {
    /// The borrowed form of `id`.
    pub fn of(id: &'a Id) -> Self {
        match id {
            Id::Key(k) => Self { uri: false, bytes: k.as_bytes() },
            Id::Uri(u) => Self { uri: true, bytes: u.as_bytes() },
        }
    }

    /// A code's key bytes as stored (the caller has checked the record they come from).
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "made by the RocksDB store's readers"))]
    pub(crate) const fn key(bytes: &'a [u8]) -> Self {
        Self { uri: false, bytes }
    }

    /// A URI.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "made by the RocksDB store's readers"))]
    pub(crate) const fn uri(s: &'a str) -> Self {
        Self { uri: true, bytes: s.as_bytes() }
    }

    /// True for a URI that is not a code ([`Id::Uri`]).
    pub const fn is_uri(&self) -> bool {
        self.uri
    }

    /// The key bytes ([`TraceKey::as_bytes`]) or the URI's text.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// An owned [`Id`].
    pub fn to_id(&self) -> Id {
        if self.uri {
            // Made from a `&str` or an `Id::Uri`, so always UTF-8; the fallback is never taken.
            Id::Uri(String::from_utf8_lossy(self.bytes).into())
        } else {
            Id::Key(TraceKey::from_stored(self.bytes))
        }
    }

    /// Appends the node key (`keys::node_key`) of this identifier to `out`, without building the [`Id`]
    /// (except for the rare identifiers too long for the key, whose key is a hash of their text).
    pub fn push_node_key(&self, out: &mut Vec<u8>) {
        // The three forms of `keys::push_node`: key bytes up to 255, `FF ‖ URI` under 255 bytes, else a hash.
        let n = self.bytes.len();
        match (self.uri, u8::try_from(n), u8::try_from(n + 1)) {
            (false, Ok(l), _) => out.push(l),
            (true, _, Ok(l)) => {
                out.push(l);
                out.push(0xFF);
            }
            _ => return keys::push_node(out, &self.to_id()),
        }
        out.extend_from_slice(self.bytes);
    }
}

/// One edge of a node, borrowed from the store's read buffers ([`EdgeReader::visit_edges`]): what an [`Edge`]
/// holds, without copying the far end's identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeView<'a> {
    /// The far end; `None` only for an "unpack everything" marker (see [`Edge::to`]).
    pub to: Option<IdRef<'a>>,
    /// Relation kind.
    pub kind: EdgeKind,
    /// What `to` is relative to the node.
    pub rel: &'a Rel,
    /// The event's action, if any.
    pub action: Option<Action>,
    /// When the relation took effect.
    pub time: Timestamp,
    /// Record sequence of the justifying event.
    pub seq: Seq,
    /// Content id of the justifying event.
    pub event: EventId,
}

impl<'a> EdgeView<'a> {
    /// The borrowed form of `e`.
    pub fn of(e: &'a Edge) -> Self {
        Self {
            to: e.to.as_ref().map(IdRef::of),
            kind: e.kind,
            rel: &e.rel,
            action: e.action,
            time: e.time,
            seq: e.seq,
            event: e.event,
        }
    }

    /// An owned copy.
    pub fn to_edge(&self) -> Edge {
        Edge {
            to: self.to.map(|t| t.to_id()),
            kind: self.kind,
            rel: self.rel.clone(),
            action: self.action,
            time: self.time,
            seq: self.seq,
            event: self.event,
        }
    }
}

/// Reads nodes' edges one node at a time, reusing its buffers (one per thread: see [`EdgeSource`]).
pub trait EdgeReader {
    /// Calls `f` with each edge stored under the node whose key (`keys::node_key`) is `node_key`, in
    /// [`super::TraceStore::neighbours`] order, until `f` breaks. Every record is checked (checksum, layout)
    /// before `f` sees it.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Corrupt`] for a damaged record (`f` may have seen the edges before it),
    /// [`crate::ErrorKind::Io`].
    fn visit_edges(&mut self, node_key: &[u8], f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>)
    -> Result<(), Error>;
}

/// A store whose edges can be read from several threads at once, each through its own [`EdgeReader`]
/// ([`super::TraceStore::edge_source`]): walks read large frontiers on two threads.
pub trait EdgeSource: Sync {
    /// A reader for the calling thread.
    fn edge_reader(&self) -> Box<dyn EdgeReader + '_>;
}

/// Every relation without a custom source/destination type, so edges can point at them instead of owning one.
pub(crate) static RELS: [Rel; 18] = [
    Rel::Parent,
    Rel::Child,
    Rel::Input,
    Rel::Output,
    Rel::Lot,
    Rel::Member,
    Rel::Source(SourceDestType::OwningParty),
    Rel::Source(SourceDestType::PossessingParty),
    Rel::Source(SourceDestType::Location),
    Rel::Destination(SourceDestType::OwningParty),
    Rel::Destination(SourceDestType::PossessingParty),
    Rel::Destination(SourceDestType::Location),
    Rel::Sent(SourceDestType::OwningParty),
    Rel::Sent(SourceDestType::PossessingParty),
    Rel::Sent(SourceDestType::Location),
    Rel::Received(SourceDestType::OwningParty),
    Rel::Received(SourceDestType::PossessingParty),
    Rel::Received(SourceDestType::Location),
];

/// Position of `Rel::Child` in [`RELS`].
pub(crate) const CHILD: usize = 1;

/// The position of `r` in [`RELS`], `None` for a custom source/destination type.
pub(crate) const fn rel_index(r: &Rel) -> Option<usize> {
    const fn sdt(t: &SourceDestType) -> Option<usize> {
        match t {
            SourceDestType::OwningParty => Some(0),
            SourceDestType::PossessingParty => Some(1),
            SourceDestType::Location => Some(2),
            SourceDestType::Other(_) => None,
        }
    }
    let (base, t) = match r {
        Rel::Parent => return Some(0),
        Rel::Child => return Some(CHILD),
        Rel::Input => return Some(2),
        Rel::Output => return Some(3),
        Rel::Lot => return Some(4),
        Rel::Member => return Some(5),
        Rel::Source(t) => (6, t),
        Rel::Destination(t) => (9, t),
        Rel::Sent(t) => (12, t),
        Rel::Received(t) => (15, t),
    };
    match sdt(t) {
        Some(i) => Some(base + i),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_table_matches_rel_index() {
        for (i, r) in RELS.iter().enumerate() {
            assert_eq!(rel_index(r), Some(i), "{r:?}");
        }
        assert_eq!(RELS[CHILD], Rel::Child);
        assert_eq!(rel_index(&Rel::Sent(SourceDestType::Other("urn:x:y".into()))), None);
    }

    #[test]
    fn id_refs_give_the_node_keys_of_their_ids() {
        let ids = [
            Id::parse("https://id.gs1.org/01/09506000134352/21/A1").unwrap(),
            Id::parse("urn:epc:id:sscc:0614141.1234567890").unwrap(),
            Id::Uri("urn:x:short".into()),
            Id::Uri(format!("urn:x:{}", "y".repeat(248)).into()), // 254 bytes: the longest unhashed URI
            Id::Uri(format!("urn:x:{}", "y".repeat(249)).into()), // 255 bytes: hashed
            Id::Uri(format!("urn:x:{}", "y".repeat(600)).into()),
        ];
        for id in &ids {
            let r = IdRef::of(id);
            assert_eq!(&r.to_id(), id);
            let mut k = vec![7];
            r.push_node_key(&mut k);
            assert_eq!(&k[1..], &keys::node_key(id)[..], "{id:?}");
            assert_eq!(r.is_uri(), matches!(id, Id::Uri(_)));
        }
    }

    #[test]
    fn edge_views_round_trip() {
        let e = Edge {
            to: Some(Id::Uri("urn:x:a".into())),
            kind: EdgeKind::HandOver,
            rel: Rel::Received(SourceDestType::Other("urn:x:t".into())),
            action: Some(Action::Observe),
            time: Timestamp(5),
            seq: 9,
            event: EventId([3; 32]),
        };
        assert_eq!(EdgeView::of(&e).to_edge(), e);
        let none = Edge { to: None, ..e };
        assert_eq!(EdgeView::of(&none).to_edge(), none);
    }
}
