//! The model types of genealogy: directions, options, node kinds and roles, the steps a walk reports, and a
//! collected [`Trace`].

use std::fmt;

use crate::event::digest::EventId;
use crate::event::{Action, Id, IdForm, Timestamp};
use crate::store::{EdgeKind, Rel, Seq, State};

/// Every edge kind, the default of [`TraceOptions::kinds`].
pub const ALL_KINDS: [EdgeKind; 5] =
    [EdgeKind::Aggregation, EdgeKind::Association, EdgeKind::Transformation, EdgeKind::Membership, EdgeKind::HandOver];

/// Which way to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Upstream: what it was made from, packed with, where it came from and who handled it.
    Back,
    /// Downstream: what was made from it, where it went, who holds it.
    Forward,
}

impl Direction {
    /// `"back"` or `"forward"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Back => "back",
            Self::Forward => "forward",
        }
    }
}

/// Options of a walk. [`TraceOptions::new`] (= `Default`) follows every edge kind with no limits.
///
/// ```
/// use tracecode::event::Timestamp;
/// use tracecode::trace::TraceOptions;
/// let o = TraceOptions::new().depth(3).as_of(Timestamp(1_000));
/// assert_eq!(o.max_depth, Some(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceOptions {
    /// Expand nodes only up to this many edges from the root (the root is depth 0).
    pub max_depth: Option<usize>,
    /// Stop discovering nodes after this many (the root included).
    pub max_nodes: Option<usize>,
    /// Ignore edges before this time (inclusive bound).
    pub from: Option<Timestamp>,
    /// Ignore edges at or after this time (exclusive bound).
    pub until: Option<Timestamp>,
    /// The genealogy as it stood at this time (see the [module docs](super)); `None` is the historical union.
    pub as_of: Option<Timestamp>,
    /// Edge kinds to follow (empty follows none).
    pub kinds: Vec<EdgeKind>,
    /// Attach each node's state (at `as_of`, or current): `None` means yes for forward traces ("where is each
    /// now, who holds it"), no for backward ones.
    pub with_state: Option<bool>,
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self {
            max_depth: None,
            max_nodes: None,
            from: None,
            until: None,
            as_of: None,
            kinds: ALL_KINDS.to_vec(),
            with_state: None,
        }
    }
}

impl TraceOptions {
    /// Every edge kind, no limits, no time bounds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`Self::max_depth`].
    #[must_use]
    pub const fn depth(mut self, n: usize) -> Self {
        self.max_depth = Some(n);
        self
    }

    /// Sets [`Self::max_nodes`].
    #[must_use]
    pub const fn nodes(mut self, n: usize) -> Self {
        self.max_nodes = Some(n);
        self
    }

    /// Sets [`Self::as_of`].
    #[must_use]
    pub const fn as_of(mut self, t: Timestamp) -> Self {
        self.as_of = Some(t);
        self
    }

    /// Sets the time window `[from, until)`.
    #[must_use]
    pub const fn window(mut self, from: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        self.from = from;
        self.until = until;
        self
    }

    /// Sets the edge kinds to follow.
    #[must_use]
    pub fn kinds(mut self, kinds: &[EdgeKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// Sets [`Self::with_state`].
    #[must_use]
    pub const fn state(mut self, yes: bool) -> Self {
        self.with_state = Some(yes);
        self
    }

    pub(super) fn time_ok(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t < u) && self.as_of.is_none_or(|a| t <= a)
    }
}

/// What a node is, as far as the trace can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    /// A serialised item (or any instance that contains nothing).
    Item,
    /// A product class or lot (GTIN, GTIN + lot, other class keys).
    Lot,
    /// A logistic unit or any instance seen containing something (or reached as a container).
    Container,
    /// A party (an owning or possessing party of a hand-over, a party GLN, a credit code).
    Party,
    /// A location (a `location` source or destination, a location GLN).
    Location,
    /// Anything else (a non-GS1 URI that contains nothing).
    Other,
}

impl NodeKind {
    /// Stable lower-case name (`"item"`, `"lot"`, `"container"`, `"party"`, `"location"`, `"other"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Item => "item",
            Self::Lot => "lot",
            Self::Container => "container",
            Self::Party => "party",
            Self::Location => "location",
            Self::Other => "other",
        }
    }
}

/// How a node was reached (the strongest way, when several): decides what is followed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeRole {
    /// Reached only by a hand-over edge: a party or location; never expanded.
    HandOver,
    /// Reached only as a container of something in the trace; expanded upward only.
    Holder,
    /// Reached through the genealogy proper (made from / into, lot, contents).
    Lineage,
    /// The node the walk started from.
    Root,
}

impl NodeRole {
    /// Stable lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HandOver => "hand_over",
            Self::Holder => "holder",
            Self::Lineage => "lineage",
            Self::Root => "root",
        }
    }
}

/// One edge of a trace: `from` (the node it was followed from), `rel` (what `to` is relative to `from`), and the
/// event that justifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEdge {
    /// The node the edge was followed from.
    pub from: Id,
    /// The node it leads to.
    pub to: Id,
    /// Relation kind.
    pub kind: EdgeKind,
    /// What `to` is relative to `from`.
    pub rel: Rel,
    /// The event's action (aggregation/association), if any.
    pub action: Option<Action>,
    /// Content id of the justifying event.
    pub event: EventId,
    /// When the relation took effect.
    pub time: Timestamp,
    /// Record sequence of the justifying event.
    pub seq: Seq,
}

/// What a [`walk`](super::walk()) reports, in order: a node is announced when its level is processed, before the edges that
/// leave it; an edge may name a node announced at the next level.
#[derive(Debug)]
pub enum Step<'a> {
    /// A node: announced once, and again (`again: true`) in the rare case it is later reached in a stronger
    /// [`NodeRole`] — keep the last announcement; `depth` stays the depth of first discovery.
    Node {
        /// The node.
        id: &'a Id,
        /// What it is.
        kind: NodeKind,
        /// How it was reached.
        role: NodeRole,
        /// Edges from the root at first discovery.
        depth: usize,
        /// The node was announced before (this is a role upgrade).
        again: bool,
    },
    /// An edge followed (borrowed: [`EdgeRef::to_owned`] keeps it).
    Edge(EdgeRef<'a>),
}

/// An edge as a [`walk`](super::walk()) reports it, borrowed from the walk (no copy per edge of a huge trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeRef<'a> {
    /// The node the edge was followed from.
    pub from: &'a Id,
    /// The node it leads to.
    pub to: &'a Id,
    /// Relation kind.
    pub kind: EdgeKind,
    /// What `to` is relative to `from`.
    pub rel: &'a Rel,
    /// The event's action (aggregation/association), if any.
    pub action: Option<Action>,
    /// Content id of the justifying event.
    pub event: EventId,
    /// When the relation took effect.
    pub time: Timestamp,
    /// Record sequence of the justifying event.
    pub seq: Seq,
}

impl EdgeRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> TraceEdge {
        TraceEdge {
            from: self.from.clone(),
            to: self.to.clone(),
            kind: self.kind,
            rel: self.rel.clone(),
            action: self.action,
            event: self.event,
            time: self.time,
            seq: self.seq,
        }
    }
}

/// What a [`walk`](super::walk()) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Distinct nodes discovered (the root included).
    pub nodes: usize,
    /// Edges reported.
    pub edges: usize,
    /// Greatest depth reached.
    pub depth: usize,
    /// A limit (`max_depth` or `max_nodes`) left edges unfollowed: the result is incomplete.
    pub truncated: bool,
    /// The sink asked to stop.
    pub stopped: bool,
}

/// One node of a [`Trace`].
#[derive(Clone, Debug, PartialEq)]
pub struct TraceNode {
    /// The node.
    pub id: Id,
    /// What it is.
    pub kind: NodeKind,
    /// How it was reached.
    pub role: NodeRole,
    /// Edges from the root when first discovered.
    pub depth: usize,
    /// Its state at `as_of` (or now), when asked for and the store knows the node.
    pub state: Option<State>,
}

/// A collected walk: nodes in discovery order (the root first), edges in the order they were followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The node the trace started from.
    pub root: Id,
    /// Which way it went.
    pub direction: Direction,
    /// The `as_of` time the trace was computed for.
    pub as_of: Option<Timestamp>,
    /// Every node reached.
    pub nodes: Vec<TraceNode>,
    /// Every edge followed, each citing its event.
    pub edges: Vec<TraceEdge>,
    /// A depth or node limit cut the walk short.
    pub truncated: bool,
}

/// Canonical text of a node in JSON output: tracecode key text for codes (`01/…/21/…`), the URI otherwise.
pub fn key_text(id: &Id) -> String {
    id.to_uri(IdForm::KeyText)
}

impl Trace {
    /// The node `id`, if the trace reached it.
    pub fn node(&self, id: &Id) -> Option<&TraceNode> {
        self.nodes.iter().find(|n| &n.id == id)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
