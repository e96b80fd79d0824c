//! Edges as a walk reads them: one buffer per chunk of a level, far-end node keys hashed by the reading thread.

use std::ops::ControlFlow;

use super::model::Direction;
use super::walk::hash_key;
use crate::code::TraceKey;
use crate::event::digest::EventId;
use crate::event::{Action, Id, Timestamp};
use crate::hash::FastState;
use crate::store::view::{CHILD, RELS, rel_index};
use crate::store::{Edge, EdgeKind, EdgeReader, EdgeView, Rel, Seq};
use crate::{Error, ErrorKind};

/// [`ReadEdge::to`]: no far end (an "unpack all" marker), a code, a URI.
pub(super) const FAR_NONE: u8 = 0;
pub(super) const FAR_KEY: u8 = 1;
pub(super) const FAR_URI: u8 = 2;

/// One edge as read into an [`EdgeBuf`]: the far end's node key and identifier bytes live in the buffer.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReadEdge {
    /// The far end's node key (`keys::node_key`), a range of [`EdgeBuf::bytes`].
    pub(super) key: (usize, usize),
    /// The far end's identifier bytes (usually the tail of `key`).
    pub(super) id: (usize, usize),
    /// The walk table's hash of `key`, computed by the thread that read the edge.
    pub(super) hash: u64,
    pub(super) to: u8,
    /// Index into [`RELS`], or `RELS.len() + i` for [`EdgeBuf::rels`]`[i]`.
    pub(super) rel: usize,
    pub(super) kind: EdgeKind,
    pub(super) action: Option<Action>,
    pub(super) time: Timestamp,
    pub(super) seq: Seq,
    pub(super) event: EventId,
}

impl ReadEdge {
    pub(super) const fn is_containment(&self) -> bool {
        matches!(self.kind, EdgeKind::Aggregation | EdgeKind::Association) && (self.rel == PARENT || self.rel == CHILD)
    }
}

/// Position of `Rel::Parent` in [`RELS`].
pub(super) const PARENT: usize = 0;

/// The edges of some nodes, read ahead of the walk's use: what replaces a `Vec<Edge>` per node, without an
/// allocation per edge.
/// What every [`EdgeBuf`] of a walk shares: the [`NodeTable`](super::walk::NodeTable)'s hasher, so far ends arrive hashed, and the two
/// relations the walk's direction never follows (nor needs for anything else), which are not kept.
#[derive(Clone, Debug, Default)]
pub(super) struct BufSpec {
    pub(super) hasher: FastState,
    pub(super) unused: [usize; 2],
}

impl BufSpec {
    pub(super) fn new(hasher: &FastState, dir: Direction) -> Self {
        // Forward walks never follow `Input` or `Lot` (indices 2 and 4 of `RELS`), backward ones never `Output` or
        // `Member` (3 and 5), in any mode; containment, markers and hand-overs are always kept.
        let unused = match dir {
            Direction::Forward => [2, 4],
            Direction::Back => [3, 5],
        };
        Self { hasher: hasher.clone(), unused }
    }
}

#[derive(Debug, Default)]
pub(super) struct EdgeBuf {
    pub(super) spec: BufSpec,
    pub(super) edges: Vec<ReadEdge>,
    pub(super) bytes: Vec<u8>,
    /// Relations with a custom source/destination type.
    pub(super) rels: Vec<Rel>,
    /// Per node read into the buffer, in order: its range of `edges`, or the error reading it.
    pub(super) spans: Vec<Result<(usize, usize), Error>>,
}

impl EdgeBuf {
    pub(super) fn new(spec: &BufSpec) -> Self {
        Self { spec: spec.clone(), ..Self::default() }
    }

    pub(super) fn clear(&mut self) {
        self.edges.clear();
        self.bytes.clear();
        self.rels.clear();
        self.spans.clear();
    }

    pub(super) fn push(&mut self, e: EdgeView<'_>) {
        let rel = rel_index(e.rel);
        if rel.is_some_and(|r| self.spec.unused.contains(&r)) {
            return;
        }
        let rel = rel.unwrap_or_else(|| {
            self.rels.push(e.rel.clone());
            RELS.len() + self.rels.len() - 1
        });
        let (to, key, id) = match e.to {
            None => (FAR_NONE, (0, 0), (0, 0)),
            Some(r) => {
                let start = self.bytes.len();
                r.push_node_key(&mut self.bytes);
                let end = self.bytes.len();
                let n = r.as_bytes().len();
                // Short forms end with the identifier's bytes; hashed ones (long identifiers) get them appended.
                let id = if end - start == n + 1 + usize::from(r.is_uri()) {
                    (end - n, end)
                } else {
                    self.bytes.extend_from_slice(r.as_bytes());
                    (end, self.bytes.len())
                };
                (if r.is_uri() { FAR_URI } else { FAR_KEY }, (start, end), id)
            }
        };
        let hash = hash_key(&self.spec.hasher, self.bytes.get(key.0..key.1).unwrap_or_default());
        self.edges.push(ReadEdge {
            key,
            id,
            hash,
            to,
            rel,
            kind: e.kind,
            action: e.action,
            time: e.time,
            seq: e.seq,
            event: e.event,
        });
    }

    /// Reads the edges of the node whose key is `key` into the buffer as its next span.
    pub(super) fn read(&mut self, reader: &mut dyn EdgeReader, key: &[u8]) {
        let start = self.edges.len();
        let r = reader.visit_edges(key, &mut |e| {
            self.push(e);
            ControlFlow::Continue(())
        });
        self.spans.push(match r {
            Ok(()) => Ok((start, self.edges.len())),
            Err(e) => {
                self.edges.truncate(start);
                Err(e)
            }
        });
    }

    /// Copies owned edges in as the next span.
    pub(super) fn read_owned(&mut self, edges: &[Edge]) {
        let start = self.edges.len();
        for e in edges {
            self.push(EdgeView::of(e));
        }
        self.spans.push(Ok((start, self.edges.len())));
    }

    /// Span `i`: its range of `edges`, or (moved out, once) the error reading it.
    pub(super) fn take_span(&mut self, i: usize) -> Result<(usize, usize), Error> {
        self.spans.get_mut(i).map_or(Ok((0, 0)), |s| std::mem::replace(s, Ok((0, 0))))
    }

    pub(super) fn list(&self, span: (usize, usize)) -> &[ReadEdge] {
        self.edges.get(span.0..span.1).unwrap_or_default()
    }

    pub(super) fn rel(&self, e: &ReadEdge) -> &Rel {
        match RELS.get(e.rel) {
            Some(r) => r,
            None => self.rels.get(e.rel - RELS.len()).unwrap_or(&Rel::Parent),
        }
    }

    pub(super) fn far_key(&self, e: &ReadEdge) -> &[u8] {
        self.bytes.get(e.key.0..e.key.1).unwrap_or_default()
    }

    /// The far end as an owned identifier (`None` for an "unpack all" marker).
    pub(super) fn far_id(&self, e: &ReadEdge) -> Result<Option<Id>, Error> {
        let b = self.bytes.get(e.id.0..e.id.1).unwrap_or_default();
        Ok(match e.to {
            FAR_KEY => Some(Id::Key(TraceKey::from_stored(b))),
            FAR_URI => Some(Id::Uri(
                std::str::from_utf8(b).map_err(|_| Error::msg(ErrorKind::Corrupt, "edge far end"))?.into(),
            )),
            _ => None,
        })
    }
}
