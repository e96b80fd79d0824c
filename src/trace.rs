//! Genealogy: trace back (where did it come from, who handled it), trace forward (where did it go, where is it
//! now, who holds it), recall, and state at a point in time — "the source can be checked, the destination
//! traced, responsibility assigned".
//!
//! Everything here walks the edges a [`TraceStore`] materialises at ingest ([`TraceStore::neighbours`]), so it
//! works the same on the RocksDB store and on the [`MemoryStore`](crate::store::MemoryStore) reference model.
//! Every edge of a result cites the event that justifies it ([`TraceEdge::event`]), so each step can be checked
//! by fetching that event ([`TraceStore::event`]).
//!
//! # What is followed
//! A node is reached in one of four *roles*, which decide which of its edges are followed next:
//!
//! - **forward**, from the root and from *lineage* nodes: `Output` (made into), `Member` (lot → its instances),
//!   `Child` (contents of an affected container), `Parent` (containers that held it);
//! - **backward**, from the root and from nodes reached via `Child`: `Input` (made from), `Lot` (instance → its
//!   lot), `Parent`, and `Child` (the provenance of a container is that of its contents);
//! - **backward**, from *lineage* nodes (reached via `Input` or `Lot`): `Input`, `Lot`, `Parent`;
//! - both ways, from *holders* (containers reached via `Parent`): `Parent` only — a container that held an
//!   affected thing is reported and expanded *upward*, never back down into its other children (siblings are
//!   not affected);
//! - both ways, from *hand-over* nodes (parties and locations): nothing.
//!
//! Hand-over edges (`Source`, `Destination`, `Sent`, `Received`) are followed from every expanded node but only
//! add the party or location to the result: expanding through a party would reach everything it ever handled.
//! A node reached again in a stronger role (a container first reached upward, later as the contents of an
//! affected container) is expanded again with the edges the stronger role adds, so results do not depend on the
//! order the walk meets nodes in.
//!
//! # Time
//! - [`TraceOptions::from`]/[`TraceOptions::until`] (`[from, until)`) ignore every edge outside the window, as if
//!   those events had not happened.
//! - Without [`TraceOptions::as_of`] containment is the **historical union**: every aggregation or association
//!   edge with action ADD or OBSERVE counts (DELETEs are ignored), each cited separately.
//! - With `as_of: Some(T)` only edges with time ≤ T count, and a (parent, child) containment counts only when it
//!   holds at T: the latest aggregation (or association) edge of that pair at or before T, by (event time, record
//!   sequence), is ADD or OBSERVE, and the parent has no "unpack all" DELETE (a DELETE naming the parent and no
//!   children) of the same kind after that edge and at or before T. That latest edge is the one cited.
//!   Transformation, lot-membership and hand-over edges count from their time on.
//!
//! # Limits and streaming
//! The walk is breadth-first with each level's frontier sorted by the node's store key
//! ([`keys::node_key`]: sorted seeks are what RocksDB does fastest), cycle-safe (a visited set), and reports
//! through a callback ([`walk`]), so a result of millions of nodes never has to be one value. `max_depth` and
//! `max_nodes` cut the walk; the result then says `truncated`. [`trace`], [`trace_back`] and [`trace_forward`]
//! collect a walk into a [`Trace`] (with each node's state, by default for forward traces), [`recall`] turns a
//! forward trace into a recall and optionally records it as events in one atomic batch. Edges are reported
//! borrowed ([`EdgeRef`]): a streaming consumer copies only what it keeps.
//!
//! ## Why the store walk is built the way it is
//! A million-node walk over RocksDB spent most of its time outside RocksDB: every edge became an owned [`Edge`]
//! (an allocated far-end identifier, a parsed source/destination type), then was hashed and cloned into a
//! `HashMap<Id, _>` visited set, and every node cost a seek. Now, on a store with an
//! [`EdgeSource`] (the RocksDB [`Store`](crate::store::Store) and its sessions):
//! - edges are read zero-copy ([`EdgeView`]; every record's CRC still checked) into
//!   a per-chunk buffer of far-end node keys, hashed by the reading thread;
//! - the visited set is an open-addressing table over the walk's own arena of node-key bytes, and an [`Id`] is
//!   built only to be reported (short-lived allocations the allocator recycles, where a million long-lived
//!   ones were slow, most of all in a heap fragmented by an ingest);
//! - the edge iterator stays where the last node's records ended, so a sorted frontier in a dense level is read
//!   by stepping forward, not by a seek per node;
//! - each level's nodes are read ahead in chunks by a second thread while this one follows edges (and reads
//!   chunks too whenever it would wait); steps are still reported by one thread in the one deterministic
//!   order, so results do not depend on which thread read what.
//!
//! Other stores (the in-memory model) are walked through [`TraceStore::neighbours`] with the same rules.
//!
//! For repeated or very large walks, [`Adjacency`] copies a store's edges into compressed sparse rows in memory
//! (nodes numbered in store-key order) and walks them with the same rules — the same steps in the same order —
//! without a store read per node; [`Adjacency::walk_compact`] reports plain numbers and allocates nothing per
//! node.
//!
//! # Example
//! ```
//! use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
//! use tracecode::store::{MemoryStore, TraceStore};
//! use tracecode::trace::{trace_back, trace_forward, NodeKind, TraceOptions};
//!
//! let store = MemoryStore::new();
//! let raw = Id::parse("https://id.gs1.org/01/09506000134352/10/RAW1")?; // a lot of raw material
//! let jar = Id::parse("https://id.gs1.org/01/09506000134352/21/JAR1")?;
//! let case = Id::parse("urn:epc:id:sscc:0614141.1234567890")?;
//! let mut make = Event::new(EventType::Transformation, Timestamp(10), TzOffset::UTC);
//! make.input_quantity_list.push(tracecode::event::Quantity { class: raw.clone(), quantity: None, uom: None });
//! make.output_epc_list.push(jar.clone());
//! let mut pack = Event::new(EventType::Aggregation, Timestamp(20), TzOffset::UTC);
//! pack.action = Some(Action::Add);
//! pack.parent_id = Some(case.clone());
//! pack.child_epcs.push(jar.clone());
//! store.ingest(vec![make, pack])?;
//!
//! // Where did the raw lot go? Into the jar, which travels in the case.
//! let fwd = trace_forward(&store, "(01)09506000134352(10)RAW1", &TraceOptions::new())?;
//! assert!(fwd.node(&jar).is_some());
//! assert_eq!(fwd.node(&case).map(|n| n.kind), Some(NodeKind::Container));
//! // Where did the case's contents come from? Every edge cites its event.
//! let back = trace_back(&store, "(00)106141412345678908", &TraceOptions::new())?;
//! assert!(back.node(&raw).is_some());
//! assert!(back.edges.iter().all(|e| store.event(&e.event).unwrap().is_some()));
//! # Ok::<(), tracecode::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use serde_json::{Value, json};

use crate::code::{KeyKind, TraceKey};
use crate::event::id::EventId;
use crate::event::{
    Action, BizStep, Disposition, Event, EventType, ExtValue, Extension, Id, IdForm, PersistentDisposition, Place,
    Quantity, SourceDestType, Timestamp, TzOffset,
};
use crate::store::view::{CHILD, RELS, rel_index};
use crate::store::{
    Edge, EdgeKind, EdgeReader, EdgeSource, EdgeView, IdRef, IngestReport, Rel, Seq, State, TraceStore, keys,
};
use crate::{Error, ErrorKind};

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
    /// The genealogy as it stood at this time (see the [module docs](self)); `None` is the historical union.
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

    fn time_ok(&self, t: Timestamp) -> bool {
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

/// What a [`walk`] reports, in order: a node is announced when its level is processed, before the edges that
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

/// An edge as a [`walk`] reports it, borrowed from the walk (no copy per edge of a huge trace).
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

/// What a [`walk`] did.
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

/// Internal expansion modes, ordered by what they follow (each follows a superset of the one before).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// Hand-over far end: nothing.
    Terminal,
    /// Reached via `Parent`: `Parent` only.
    Up,
    /// Lineage: the direction's genealogy edges.
    Lineage,
    /// Backward, reached via `Child` (and the root): lineage plus `Child`.
    Down,
}

const fn is_hand_over(rel: &Rel) -> bool {
    matches!(rel, Rel::Source(_) | Rel::Destination(_) | Rel::Sent(_) | Rel::Received(_))
}

/// Whether a node in `mode` follows an edge with relation `rel`.
fn follows(dir: Direction, mode: Mode, rel: &Rel) -> bool {
    match mode {
        Mode::Terminal => false,
        Mode::Up => is_hand_over(rel) || *rel == Rel::Parent,
        Mode::Lineage | Mode::Down => {
            is_hand_over(rel)
                || match dir {
                    Direction::Forward => matches!(rel, Rel::Output | Rel::Member | Rel::Child | Rel::Parent),
                    Direction::Back => {
                        matches!(rel, Rel::Input | Rel::Lot | Rel::Parent) || (mode == Mode::Down && *rel == Rel::Child)
                    }
                }
        }
    }
}

/// The mode of a node reached over `rel`.
const fn target_mode(dir: Direction, rel: &Rel) -> Mode {
    match rel {
        Rel::Parent => Mode::Up,
        Rel::Child => match dir {
            Direction::Back => Mode::Down,
            Direction::Forward => Mode::Lineage,
        },
        Rel::Input | Rel::Output | Rel::Lot | Rel::Member => Mode::Lineage,
        Rel::Source(_) | Rel::Destination(_) | Rel::Sent(_) | Rel::Received(_) => Mode::Terminal,
    }
}

const fn root_mode(dir: Direction) -> Mode {
    match dir {
        Direction::Back => Mode::Down,
        Direction::Forward => Mode::Lineage,
    }
}

const fn role_of(mode: Mode, root: bool) -> NodeRole {
    if root {
        return NodeRole::Root;
    }
    match mode {
        Mode::Terminal => NodeRole::HandOver,
        Mode::Up => NodeRole::Holder,
        Mode::Lineage | Mode::Down => NodeRole::Lineage,
    }
}

/// The first byte of SSCC keys (logistic units are containers by definition).
fn sscc_tag() -> Option<u8> {
    static TAG: OnceLock<Option<u8>> = OnceLock::new();
    *TAG.get_or_init(|| {
        let key = crate::code::parse("(00)106141412345678908").ok()?.trace_key().ok()?;
        key.as_bytes().first().copied()
    })
}

/// What the walk knows about a visited node.
struct Info {
    depth: usize,
    mode: Mode,
    /// The mode the node's edges have been followed in (`None`: not yet).
    expanded: Option<Mode>,
    /// Waiting in the current or next level.
    queued: bool,
    announced: Option<NodeRole>,
    root: bool,
    /// The hand-over hint it was first reached with ([`HAND_NONE`] …).
    hand: u8,
    /// Reached as the parent of something.
    contained: bool,
    /// What its identifier says about its kind.
    base: Base,
}

/// What an identifier alone says about a node's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    Lot,
    Location,
    Party,
    /// A logistic unit: a container by definition.
    Sscc,
    Instance,
    Uri,
}

fn base_of(id: &Id) -> Base {
    match id {
        Id::Key(k) => match k.kind() {
            KeyKind::Class => Base::Lot,
            KeyKind::Location => Base::Location,
            KeyKind::Party => Base::Party,
            KeyKind::Instance if sscc_tag().is_some() && k.as_bytes().first().copied() == sscc_tag() => Base::Sscc,
            KeyKind::Instance => Base::Instance,
        },
        Id::Uri(_) => Base::Uri,
    }
}

/// Hand-over hint codes: the source/destination type a node was first reached with.
const HAND_NONE: u8 = 0;
const HAND_PARTY: u8 = 1;
const HAND_LOCATION: u8 = 2;
const HAND_OTHER: u8 = 3;

fn hand_code(rel: &Rel) -> u8 {
    match keys_sdt(rel) {
        None => HAND_NONE,
        Some(SourceDestType::OwningParty | SourceDestType::PossessingParty) => HAND_PARTY,
        Some(SourceDestType::Location) => HAND_LOCATION,
        Some(SourceDestType::Other(_)) => HAND_OTHER,
    }
}

/// The kind of a node: a party or location when only reached by a hand-over of that type, else what its key
/// says, a container when it was seen containing something (`container`).
const fn kind_of(base: Base, hand_only: bool, hand: u8, container: bool) -> NodeKind {
    if hand_only {
        match hand {
            HAND_PARTY => return NodeKind::Party,
            HAND_LOCATION => return NodeKind::Location,
            _ => {}
        }
    }
    match base {
        Base::Lot => NodeKind::Lot,
        Base::Location => NodeKind::Location,
        Base::Party => NodeKind::Party,
        Base::Sscc => NodeKind::Container,
        Base::Instance => {
            if container {
                NodeKind::Container
            } else {
                NodeKind::Item
            }
        }
        Base::Uri => {
            if container {
                NodeKind::Container
            } else {
                NodeKind::Other
            }
        }
    }
}

/// A fast keyed hash for the walk's node maps. SipHash (std's default) was most of a million-node walk's time;
/// this multiply-fold hash (the construction of foldhash/aHash's fallback) is several times cheaper, and its key
/// is drawn from std's `RandomState` per map, so crafted identifiers cannot aim at known collisions.
#[derive(Clone, Debug)]
struct FastState {
    seed: u64,
    mul: u64,
}

impl FastState {
    fn new() -> Self {
        use std::hash::{BuildHasher as _, Hasher as _};
        let r = std::collections::hash_map::RandomState::new();
        let mut a = r.build_hasher();
        a.write_u64(0x9e37_79b9_7f4a_7c15);
        let mut b = r.build_hasher();
        b.write_u64(0x2545_f491_4f6c_dd1d);
        Self { seed: a.finish(), mul: b.finish() | 1 }
    }
}

impl Default for FastState {
    fn default() -> Self {
        Self::new()
    }
}

impl std::hash::BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher { h: self.seed, mul: self.mul }
    }
}

/// The hasher of [`FastState`].
struct FastHasher {
    h: u64,
    mul: u64,
}

/// The low and high halves of the 128-bit product, folded.
#[allow(clippy::cast_possible_truncation, reason = "taking the low half of the product is the point")]
const fn fold_mul(a: u64, b: u64) -> u64 {
    let p = (a as u128) * (b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.h = fold_mul(self.h ^ u64::from_le_bytes(w), self.mul);
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(rest) {
            *d = *s;
        }
        let tail = u64::from_le_bytes(w) ^ (u64::try_from(rest.len()).unwrap_or(0) << 59);
        self.h = fold_mul(self.h ^ tail, self.mul);
    }

    fn write_u8(&mut self, i: u8) {
        self.h = fold_mul(self.h ^ u64::from(i), self.mul);
    }

    fn write_usize(&mut self, i: usize) {
        self.h = fold_mul(self.h ^ u64::try_from(i).unwrap_or(u64::MAX), self.mul);
    }

    fn write_u64(&mut self, i: u64) {
        self.h = fold_mul(self.h ^ i, self.mul);
    }

    fn finish(&self) -> u64 {
        fold_mul(self.h, self.mul.rotate_left(29) | 1)
    }
}

/// Orders nodes as their store keys ([`keys::node_key`]: length byte, then body) without building the keys.
fn node_order(a: &Id, b: &Id) -> std::cmp::Ordering {
    /// (length byte, body starts with the URI marker, body) for the short forms; `None` for hashed long URIs.
    fn parts(id: &Id) -> Option<(usize, bool, &[u8])> {
        match id {
            Id::Key(k) if k.as_bytes().len() <= 255 => Some((k.as_bytes().len(), false, k.as_bytes())),
            Id::Uri(u) if u.len() < 255 => Some((u.len() + 1, true, u.as_bytes())),
            _ => None,
        }
    }
    match (parts(a), parts(b)) {
        // Key tags are below 0xF0 and the URI marker is 0xFF, so at equal length a key sorts first.
        (Some((la, ua, ba)), Some((lb, ub, bb))) => la.cmp(&lb).then(ua.cmp(&ub)).then_with(|| ba.cmp(bb)),
        _ => keys::node_key(a).cmp(&keys::node_key(b)),
    }
}

// ------------------------------------------------------------------------------------------------------------
// Edges as read: one buffer per chunk of a level
// ------------------------------------------------------------------------------------------------------------

/// [`ReadEdge::to`]: no far end (an "unpack all" marker), a code, a URI.
const FAR_NONE: u8 = 0;
const FAR_KEY: u8 = 1;
const FAR_URI: u8 = 2;

/// One edge as read into an [`EdgeBuf`]: the far end's node key and identifier bytes live in the buffer.
#[derive(Clone, Copy, Debug)]
struct ReadEdge {
    /// The far end's node key ([`keys::node_key`]), a range of [`EdgeBuf::bytes`].
    key: (usize, usize),
    /// The far end's identifier bytes (usually the tail of `key`).
    id: (usize, usize),
    /// [`NodeTable::hash`] of `key`, computed by the thread that read the edge.
    hash: u64,
    to: u8,
    /// Index into [`RELS`], or `RELS.len() + i` for [`EdgeBuf::rels`]`[i]`.
    rel: usize,
    kind: EdgeKind,
    action: Option<Action>,
    time: Timestamp,
    seq: Seq,
    event: EventId,
}

impl ReadEdge {
    const fn is_containment(&self) -> bool {
        matches!(self.kind, EdgeKind::Aggregation | EdgeKind::Association) && (self.rel == PARENT || self.rel == CHILD)
    }
}

/// Position of `Rel::Parent` in [`RELS`].
const PARENT: usize = 0;

/// The edges of some nodes, read ahead of the walk's use: what replaces a `Vec<Edge>` per node, without an
/// allocation per edge.
/// What every [`EdgeBuf`] of a walk shares: the [`NodeTable`]'s hasher, so far ends arrive hashed, and the two
/// relations the walk's direction never follows (nor needs for anything else), which are not kept.
#[derive(Clone, Debug, Default)]
struct BufSpec {
    hasher: FastState,
    unused: [usize; 2],
}

impl BufSpec {
    fn new(hasher: &FastState, dir: Direction) -> Self {
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
struct EdgeBuf {
    spec: BufSpec,
    edges: Vec<ReadEdge>,
    bytes: Vec<u8>,
    /// Relations with a custom source/destination type.
    rels: Vec<Rel>,
    /// Per node read into the buffer, in order: its range of `edges`, or the error reading it.
    spans: Vec<Result<(usize, usize), Error>>,
}

impl EdgeBuf {
    fn new(spec: &BufSpec) -> Self {
        Self { spec: spec.clone(), ..Self::default() }
    }

    fn clear(&mut self) {
        self.edges.clear();
        self.bytes.clear();
        self.rels.clear();
        self.spans.clear();
    }

    fn push(&mut self, e: EdgeView<'_>) {
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
    fn read(&mut self, reader: &mut dyn EdgeReader, key: &[u8]) {
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
    fn read_owned(&mut self, edges: &[Edge]) {
        let start = self.edges.len();
        for e in edges {
            self.push(EdgeView::of(e));
        }
        self.spans.push(Ok((start, self.edges.len())));
    }

    /// Span `i`: its range of `edges`, or (moved out, once) the error reading it.
    fn take_span(&mut self, i: usize) -> Result<(usize, usize), Error> {
        self.spans.get_mut(i).map_or(Ok((0, 0)), |s| std::mem::replace(s, Ok((0, 0))))
    }

    fn list(&self, span: (usize, usize)) -> &[ReadEdge] {
        self.edges.get(span.0..span.1).unwrap_or_default()
    }

    fn rel(&self, e: &ReadEdge) -> &Rel {
        match RELS.get(e.rel) {
            Some(r) => r,
            None => self.rels.get(e.rel - RELS.len()).unwrap_or(&Rel::Parent),
        }
    }

    fn far_key(&self, e: &ReadEdge) -> &[u8] {
        self.bytes.get(e.key.0..e.key.1).unwrap_or_default()
    }

    /// The far end as an owned identifier (`None` for an "unpack all" marker).
    fn far_id(&self, e: &ReadEdge) -> Result<Option<Id>, Error> {
        let b = self.bytes.get(e.id.0..e.id.1).unwrap_or_default();
        Ok(match e.to {
            FAR_KEY => Some(Id::Key(TraceKey::from_stored(b))),
            FAR_URI => Some(Id::Uri(
                std::str::from_utf8(b).map_err(|_| Error::new(ErrorKind::Corrupt, 0, 0, "edge far end"))?.into(),
            )),
            _ => None,
        })
    }
}

/// The node has ever contained something (an aggregation/association ADD or OBSERVE naming a child).
fn has_children(edges: &[ReadEdge]) -> bool {
    edges.iter().any(|e| e.rel == CHILD && e.to != FAR_NONE && e.is_containment() && e.action != Some(Action::Delete))
}

fn classify(info: &Info, edges: &[ReadEdge]) -> NodeKind {
    let hand_only = info.mode == Mode::Terminal && !info.root;
    kind_of(info.base, hand_only, info.hand, info.contained || has_children(edges))
}

// ------------------------------------------------------------------------------------------------------------
// Reading a level ahead, on two threads
// ------------------------------------------------------------------------------------------------------------

/// How a walk reads ahead (see [`walk_tuned`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkTuning {
    /// Nodes per unit of read-ahead work (at least 1).
    pub chunk: usize,
    /// Levels with fewer nodes to read than this are read on the walking thread only.
    pub parallel_min: usize,
    /// Threads reading a level: 1 or 2.
    pub threads: usize,
}

impl Default for WalkTuning {
    fn default() -> Self {
        // Asked once: on Linux the answer comes from cgroup files.
        static CORES: OnceLock<usize> = OnceLock::new();
        let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
        Self { chunk: 256, parallel_min: 2048, threads: cores.min(2) }
    }
}

/// How many nodes ahead of the one it expands a walk loads the table slots of far ends ([`Walker::touch`]).
const TOUCH_AHEAD: usize = 8;

/// Chunks a reading thread may run ahead of the walk (bounds the read-ahead memory).
const WINDOW: usize = 64;

/// The node keys a level reads, back to back.
#[derive(Debug, Default)]
struct KeyList {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl KeyList {
    fn get(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).and_then(|j| self.ends.get(j)).copied().unwrap_or(0);
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// What the walking thread and the reading thread share.
#[derive(Default)]
struct Pipe {
    /// The level being read (a chunk finished for an older one is dropped).
    generation: u64,
    keys: Arc<KeyList>,
    chunk: usize,
    chunks: usize,
    /// Chunks handed out to a thread, in order.
    claimed: usize,
    /// Chunks the walk has taken.
    taken: usize,
    ready: Vec<Option<EdgeBuf>>,
    spare: Vec<EdgeBuf>,
    spec: BufSpec,
    done: bool,
    helper_gone: bool,
}

#[derive(Default)]
struct Shared {
    pipe: Mutex<Pipe>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pipe> {
        // Every update of the pipe is a few field writes; a panic elsewhere leaves it consistent.
        self.pipe.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn wait<'a>(&self, g: MutexGuard<'a, Pipe>) -> MutexGuard<'a, Pipe> {
        self.cv.wait(g).unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Claims the next chunk if the window allows: (chunk, generation, keys, a buffer to fill).
fn claim(p: &mut Pipe) -> Option<(usize, u64, Arc<KeyList>, EdgeBuf)> {
    if p.claimed >= p.chunks || p.claimed >= p.taken.saturating_add(WINDOW) {
        return None;
    }
    let c = p.claimed;
    p.claimed += 1;
    Some((c, p.generation, Arc::clone(&p.keys), spare(p)))
}

/// A buffer to fill: a used one, or a new one hashing with the walk's key.
fn spare(p: &mut Pipe) -> EdgeBuf {
    p.spare.pop().unwrap_or_else(|| EdgeBuf::new(&p.spec))
}

/// Reads chunk `c` of `keys` into `buf`.
fn fill(reader: &mut dyn EdgeReader, keys: &KeyList, chunk: usize, c: usize, buf: &mut EdgeBuf) {
    buf.clear();
    let start = c.saturating_mul(chunk);
    for i in start..start.saturating_add(chunk).min(keys.len()) {
        buf.read(reader, keys.get(i));
    }
}

/// Marks the reading thread gone when it ends (even by a panic), so the walk never waits for it in vain.
struct Gone<'a>(&'a Shared);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.lock().helper_gone = true;
        self.0.cv.notify_all();
    }
}

/// The reading thread: fills chunks ahead of the walk until told it is done.
fn helper(src: &dyn EdgeSource, sh: &Shared) {
    let _gone = Gone(sh);
    let mut reader = src.edge_reader();
    let mut p = sh.lock();
    while !p.done {
        if let Some((c, generation, keys, mut buf)) = claim(&mut p) {
            let chunk = p.chunk;
            drop(p);
            fill(&mut *reader, &keys, chunk, c, &mut buf);
            p = sh.lock();
            if p.generation == generation
                && let Some(slot) = p.ready.get_mut(c)
            {
                *slot = Some(buf);
                sh.cv.notify_all();
            } else {
                p.spare.push(buf);
            }
        } else {
            p = sh.wait(p);
        }
    }
}

/// Reads each level's nodes ahead of the walk, in chunks, on the walking thread and (for large levels) one more.
struct ReadAhead<'scope, 'env> {
    src: &'env dyn EdgeSource,
    shared: &'env Shared,
    scope: &'scope std::thread::Scope<'scope, 'env>,
    reader: Box<dyn EdgeReader + 'env>,
    helper: Option<std::thread::ScopedJoinHandle<'scope, ()>>,
    /// Starting a reading thread failed once: do not try again.
    no_helper: bool,
    tuning: WalkTuning,
}

impl<'scope, 'env> ReadAhead<'scope, 'env> {
    fn new(
        src: &'env dyn EdgeSource,
        shared: &'env Shared,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        tuning: WalkTuning,
        spec: &BufSpec,
    ) -> Self {
        let tuning = WalkTuning { chunk: tuning.chunk.max(1), ..tuning };
        shared.lock().spec = spec.clone();
        Self { src, shared, scope, reader: src.edge_reader(), helper: None, no_helper: false, tuning }
    }

    /// Starts reading a level's nodes (their keys, in walk order).
    fn start(&mut self, keys: KeyList) {
        let n = keys.len();
        {
            let mut p = self.shared.lock();
            p.generation = p.generation.wrapping_add(1);
            p.keys = Arc::new(keys);
            p.chunk = self.tuning.chunk;
            p.chunks = n.div_ceil(self.tuning.chunk);
            p.claimed = 0;
            p.taken = 0;
            let old: Vec<EdgeBuf> = p.ready.drain(..).flatten().collect();
            p.spare.extend(old);
            let chunks = p.chunks;
            p.ready.resize_with(chunks, || None);
        }
        self.shared.cv.notify_all();
        if self.helper.is_none()
            && !self.no_helper
            && self.tuning.threads >= 2
            && n >= self.tuning.parallel_min
            && n > 0
        {
            let (src, sh) = (self.src, self.shared);
            // A thread the system refuses leaves this one to read everything.
            let spawned = std::thread::Builder::new()
                .name("tracecode-walk".into())
                .spawn_scoped(self.scope, move || helper(src, sh));
            match spawned {
                Ok(h) => self.helper = Some(h),
                Err(_) => self.no_helper = true,
            }
        }
    }

    /// Chunk `c` of the current level, read by whichever thread got to it (this one helps while it waits).
    fn take(&mut self, c: usize) -> EdgeBuf {
        let sh = self.shared;
        let mut p = sh.lock();
        loop {
            if let Some(b) = p.ready.get_mut(c).and_then(Option::take) {
                p.taken = c + 1;
                sh.cv.notify_all();
                return b;
            }
            let lost = p.helper_gone && c < p.claimed;
            let job = if lost {
                // Claimed by a reading thread that is gone: read it here.
                Some((c, p.generation, Arc::clone(&p.keys), spare(&mut p)))
            } else {
                claim(&mut p)
            };
            if let Some((j, _, keys, mut buf)) = job {
                let chunk = p.chunk;
                drop(p);
                fill(&mut *self.reader, &keys, chunk, j, &mut buf);
                p = sh.lock();
                if j == c {
                    p.taken = c + 1;
                    sh.cv.notify_all();
                    return buf;
                }
                if let Some(slot) = p.ready.get_mut(j) {
                    *slot = Some(buf);
                }
            } else {
                p = sh.wait(p);
            }
        }
    }

    /// Hands a used buffer back for reuse.
    fn recycle(&self, mut buf: EdgeBuf) {
        buf.clear();
        self.shared.lock().spare.push(buf);
    }

    /// Stops the reading thread and waits for it (also on drop, so a panicking sink unwinds out of the walk
    /// instead of leaving the scope waiting for a thread that waits for work).
    fn finish(&mut self) {
        self.shared.lock().done = true;
        self.shared.cv.notify_all();
        if let Some(h) = self.helper.take() {
            // A panic of the reading thread is a bug; the walk's answer never depended on it.
            let _ = h.join();
        }
    }
}

impl Drop for ReadAhead<'_, '_> {
    fn drop(&mut self) {
        self.finish();
    }
}

// ------------------------------------------------------------------------------------------------------------
// The store walk
// ------------------------------------------------------------------------------------------------------------

/// Sorts a frontier by store key. The first 32 key bytes are compared as two integers held next to the node
/// number, so a million-node level is sorted without following a pointer per comparison; equal prefixes fall
/// back to the whole keys.
fn sort_level(nodes: &[Visited], arena: &[u8], level: &mut Vec<u32>, keyed: &mut Vec<(u128, u128, u32)>) {
    let key = |v: u32| nodes.get(v as usize).and_then(|n| arena.get(n.key.0..n.key.1)).unwrap_or_default();
    // Levels discovered from a sorted level are often sorted already (a tree numbered in key order).
    if level.is_sorted_by(|&a, &b| key(a) < key(b)) {
        return;
    }
    keyed.clear();
    keyed.extend(level.iter().map(|&v| {
        let mut p = [0u8; 32];
        for (d, s) in p.iter_mut().zip(key(v)) {
            *d = *s;
        }
        let (a, b) = p.split_at(16);
        let word = |h: &[u8]| u128::from_be_bytes(h.try_into().unwrap_or([0; 16]));
        (word(a), word(b), v)
    }));
    keyed.sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then_with(|| key(x.2).cmp(key(y.2))));
    level.clear();
    level.extend(keyed.iter().map(|&(_, _, v)| v));
}

/// One visited node of a store walk: its node key and identifier bytes (ranges of [`Walker::arena`]) and what
/// the walk knows about it. The [`Id`] itself is built only to be reported: a million long-lived small
/// allocations cost more than the walk (and far more in a heap fragmented by an ingest) than short-lived ones
/// the allocator recycles at once.
struct Visited {
    key: (usize, usize),
    id: (usize, usize),
    uri: bool,
    info: Info,
}

/// The hash a [`NodeTable`] files a node key under.
fn hash_key(hasher: &FastState, key: &[u8]) -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

/// Node key → position in [`Walker::nodes`]: open addressing over the walk's own key arena, so a lookup compares
/// bytes the walk already holds and a new node costs no second copy of its key. Each slot keeps the high half of
/// its key's hash, and the slot position is taken from its top bits, so growing never rehashes a key.
struct NodeTable {
    /// (high half of the hash, position + 1); 0 marks an empty slot.
    slots: Vec<(u32, u32)>,
    /// `slots.len() == 1 << bits`.
    bits: u32,
    len: usize,
    hasher: FastState,
}

/// Most nodes a walk holds (the table stays at most half full of 2^32 slots).
const MAX_WALK_NODES: usize = 1 << 31;

impl NodeTable {
    fn new() -> Self {
        Self { slots: vec![(0, 0); 64], bits: 6, len: 0, hasher: FastState::new() }
    }

    #[allow(clippy::cast_possible_truncation, reason = "the tag is the high half of the hash")]
    const fn tag(h: u64) -> u32 {
        (h >> 32) as u32
    }

    const fn home(&self, tag: u32) -> usize {
        (tag >> (32 - self.bits)) as usize
    }

    /// Reads the slot a hash goes to, so a later [`Self::find`] finds it in cache (touching many ahead overlaps
    /// their memory latencies).
    fn touch(&self, h: u64) -> u32 {
        self.slots.get(self.home(Self::tag(h))).map_or(0, |s| s.1)
    }

    /// The node with this key, or the empty slot where it would go.
    fn find(&self, key: &[u8], h: u64, nodes: &[Visited], arena: &[u8]) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let tag = Self::tag(h);
        let mut i = self.home(tag);
        for _ in 0..self.slots.len() {
            match self.slots.get(i) {
                Some(&(_, 0)) | None => return Err(i),
                Some(&(t, n)) if t == tag => {
                    let j = n - 1;
                    if nodes.get(j as usize).and_then(|v| arena.get(v.key.0..v.key.1)) == Some(key) {
                        return Ok(j);
                    }
                }
                Some(_) => {}
            }
            i = (i + 1) & mask;
        }
        Err(usize::MAX)
    }

    /// Records node `j` under hash `h`, growing first to stay at most half full.
    fn insert(&mut self, h: u64, j: u32) {
        if (self.len + 1) * 2 > self.slots.len() && self.bits < 32 {
            let grown = vec![(0, 0); self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, grown);
            self.bits += 1;
            self.len = 0;
            for (t, n) in old {
                if n != 0 {
                    self.place(t, n);
                }
            }
        }
        self.place(Self::tag(h), j + 1);
    }

    fn place(&mut self, tag: u32, n: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        for _ in 0..self.slots.len() {
            if let Some(s) = self.slots.get_mut(i)
                && s.1 == 0
            {
                *s = (tag, n);
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }
}

struct Walker<'s, S: TraceStore + ?Sized> {
    store: &'s S,
    dir: Direction,
    opts: &'s TraceOptions,
    /// Node keys of `nodes`, back to back.
    arena: Vec<u8>,
    table: NodeTable,
    nodes: Vec<Visited>,
    /// "Unpack all" markers of containers met as parents (as-of walks only), by node key: (kind, time, seq).
    markers: HashMap<Vec<u8>, Vec<(EdgeKind, Timestamp, Seq)>, FastState>,
    scratch: Vec<Edge>,
    summary: WalkSummary,
}

/// The latest containment edge (time, seq) of each (is child, kind, far node key) of a node, for as-of walks.
type Latest<'b> = HashMap<(bool, EdgeKind, &'b [u8]), (Timestamp, Seq), FastState>;

/// What [`Walker::visit`] is given of the level loop's state.
struct Level<'l> {
    within_depth: bool,
    depth: usize,
    max_nodes: usize,
    next: &'l mut Vec<u32>,
    full: &'l mut bool,
    chosen: &'l mut Vec<usize>,
}

impl<S: TraceStore + ?Sized> Walker<'_, S> {
    fn kind_ok(&self, k: EdgeKind) -> bool {
        self.opts.kinds.contains(&k)
    }

    /// Whether the parent at the far end of `e` was unpacked entirely (a DELETE naming no children) after `at`
    /// and within the filters (its markers read once per walk).
    fn unpacked_far(
        &mut self,
        buf: &EdgeBuf,
        e: &ReadEdge,
        kind: EdgeKind,
        at: (Timestamp, Seq),
    ) -> Result<bool, Error> {
        let key = buf.far_key(e);
        if !self.markers.contains_key(key) {
            self.scratch.clear();
            if let Some(parent) = buf.far_id(e)? {
                self.store.neighbours(&parent, &mut self.scratch)?;
            }
            let list = self
                .scratch
                .iter()
                .filter(|m| m.to.is_none() && m.action == Some(Action::Delete))
                .map(|m| (m.kind, m.time, m.seq))
                .collect();
            self.markers.insert(key.to_vec(), list);
        }
        let opts = self.opts;
        Ok(self
            .markers
            .get(key)
            .is_some_and(|l| l.iter().any(|&(k, t, s)| k == kind && opts.time_ok(t) && (t, s) > at)))
    }

    /// Indices of the edges in `edges` to follow in `mode`, leaving out what `before` already followed.
    fn select(
        &mut self,
        buf: &EdgeBuf,
        edges: &[ReadEdge],
        mode: Mode,
        before: Option<Mode>,
        out: &mut Vec<usize>,
    ) -> Result<(), Error> {
        out.clear();
        let as_of = self.opts.as_of.is_some();
        // As of T, only the latest containment edge of each (relation, kind, far end) can hold.
        // Built only for as-of walks: even an empty map draws a random hash key.
        let mut latest: Option<Latest<'_>> = as_of.then(HashMap::default);
        if let Some(latest) = &mut latest {
            for e in edges {
                if e.to != FAR_NONE && e.is_containment() && self.kind_ok(e.kind) && self.opts.time_ok(e.time) {
                    let v = latest.entry((e.rel == CHILD, e.kind, buf.far_key(e))).or_insert((e.time, e.seq));
                    *v = (*v).max((e.time, e.seq));
                }
            }
        }
        for (i, e) in edges.iter().enumerate() {
            if e.to == FAR_NONE {
                continue;
            }
            let rel = buf.rel(e);
            if !self.kind_ok(e.kind)
                || !self.opts.time_ok(e.time)
                || !follows(self.dir, mode, rel)
                || before.is_some_and(|b| follows(self.dir, b, rel))
            {
                continue;
            }
            if e.is_containment() {
                if !matches!(e.action, Some(Action::Add | Action::Observe)) {
                    continue;
                }
                if let Some(latest) = &latest {
                    if latest.get(&(e.rel == CHILD, e.kind, buf.far_key(e))) != Some(&(e.time, e.seq)) {
                        continue;
                    }
                    let at = (e.time, e.seq);
                    let opts = self.opts;
                    let unpacked = if e.rel == CHILD {
                        // The node is the parent: its own markers are among its edges.
                        edges.iter().any(|m| {
                            m.to == FAR_NONE
                                && m.action == Some(Action::Delete)
                                && m.kind == e.kind
                                && opts.time_ok(m.time)
                                && (m.time, m.seq) > at
                        })
                    } else {
                        self.unpacked_far(buf, e, e.kind, at)?
                    };
                    if unpacked {
                        continue;
                    }
                }
            }
            out.push(i);
        }
        Ok(())
    }

    /// Adds a new node: its key and identifier bytes go to the arena (the identifier is the key's tail unless the
    /// key is a hash); the caller has checked the limits.
    fn add(&mut self, key: &[u8], id: &[u8], uri: bool, h: u64, info: Info) -> Option<u32> {
        let j = u32::try_from(self.nodes.len()).ok().filter(|&j| (j as usize) < MAX_WALK_NODES)?;
        let start = self.arena.len();
        self.arena.extend_from_slice(key);
        let end = self.arena.len();
        let id = if key.len() == id.len() + 1 + usize::from(uri) && key.ends_with(id) {
            (end - id.len(), end)
        } else {
            self.arena.extend_from_slice(id);
            (end, self.arena.len())
        };
        self.nodes.push(Visited { key: (start, end), id, uri, info });
        self.table.insert(h, j);
        Some(j)
    }

    /// The identifier of node `v`, built from the arena.
    fn id_of(&self, v: u32) -> Result<Id, Error> {
        let n = self.nodes.get(v as usize).ok_or_else(|| Error::new(ErrorKind::Corrupt, 0, 0, "walk node"))?;
        let b = self.arena.get(n.id.0..n.id.1).unwrap_or_default();
        Ok(if n.uri {
            Id::Uri(std::str::from_utf8(b).map_err(|_| Error::new(ErrorKind::Corrupt, 0, 0, "walk node"))?.into())
        } else {
            Id::Key(TraceKey::from_stored(b))
        })
    }

    /// Adds the far end of `e` (reached over `rel` in mode `tm`), or strengthens it if visited; returns its
    /// position (and its identifier when it is new), or `None` when `max_nodes` refuses a new node. Pushes the
    /// node to `next` when it must be processed again.
    fn reach(
        &mut self,
        buf: &EdgeBuf,
        e: &ReadEdge,
        tm: Mode,
        depth: usize,
        max_nodes: usize,
        next: &mut Vec<u32>,
    ) -> Result<Option<(u32, Option<Id>)>, Error> {
        let rel = buf.rel(e);
        let hand = hand_code(rel);
        let parent = *rel == Rel::Parent;
        let key = buf.far_key(e);
        let h = e.hash;
        if let Ok(j) = self.table.find(key, h, &self.nodes, &self.arena) {
            if let Some(t) = self.nodes.get_mut(j as usize) {
                let t = &mut t.info;
                if tm > t.mode {
                    t.mode = tm;
                    if !t.queued {
                        t.queued = true;
                        next.push(j);
                    }
                }
                t.contained |= parent;
                if t.hand == HAND_NONE {
                    t.hand = hand;
                }
            }
            return Ok(Some((j, None)));
        }
        if self.summary.nodes >= max_nodes {
            return Ok(None);
        }
        let Some(id) = buf.far_id(e)? else { return Ok(None) };
        let info = Info {
            depth: depth.saturating_add(1),
            mode: tm,
            expanded: None,
            queued: true,
            announced: None,
            root: false,
            hand,
            contained: parent,
            base: base_of(&id),
        };
        let id_bytes = buf.bytes.get(e.id.0..e.id.1).unwrap_or_default();
        let Some(j) = self.add(key, id_bytes, e.to == FAR_URI, h, info) else { return Ok(None) };
        self.summary.nodes += 1;
        next.push(j);
        Ok(Some((j, Some(id))))
    }

    /// Loads the table slots the far ends of spans `from..to` of `buf` hash to. A walk looks most far ends up soon
    /// after; loading their slots a few nodes ahead, independently of each other, overlaps the cache and TLB
    /// misses of a table too large for the caches instead of taking them one at a time.
    fn touch(&self, buf: &EdgeBuf, from: usize, to: usize) {
        let n = buf.spans.len();
        let mut acc = 0u32;
        for span in buf.spans.get(from.min(n)..to.min(n)).unwrap_or_default().iter().flatten() {
            for e in buf.list(*span) {
                acc ^= self.table.touch(e.hash);
            }
        }
        std::hint::black_box(acc);
    }

    /// The nodes of a level that will be read, as far as can be told before it starts; starts reading them.
    fn plan(&self, level: &[u32], full: bool, ahead: &mut ReadAhead<'_, '_>) -> Vec<u32> {
        let mut plan = Vec::new();
        let mut list = KeyList::default();
        for &v in level {
            let Some(n) = self.nodes.get(v as usize) else { continue };
            let (mode, before) = (n.info.mode, n.info.expanded);
            if mode != Mode::Terminal && !full && before.is_none_or(|b| b < mode) {
                plan.push(v);
                list.bytes.extend_from_slice(self.arena.get(n.key.0..n.key.1).unwrap_or_default());
                list.ends.push(list.bytes.len());
            }
        }
        ahead.start(list);
        plan
    }

    /// Reads a node's edges on this thread into `own` (a node not read ahead): its span there.
    fn read_now(
        &mut self,
        id: &Id,
        key: (usize, usize),
        ahead: Option<&mut ReadAhead<'_, '_>>,
        own: &mut EdgeBuf,
    ) -> Result<(usize, usize), Error> {
        own.clear();
        if let Some(a) = ahead {
            own.read(&mut *a.reader, self.arena.get(key.0..key.1).unwrap_or_default());
        } else {
            self.scratch.clear();
            self.store.neighbours(id, &mut self.scratch)?;
            own.read_owned(&self.scratch);
        }
        own.take_span(0)
    }

    fn run(
        mut self,
        root: &Id,
        mut ahead: Option<&mut ReadAhead<'_, '_>>,
        sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
    ) -> Result<WalkSummary, Error> {
        let max_nodes = self.opts.max_nodes.unwrap_or(usize::MAX).max(1);
        let root_key = keys::node_key(root);
        let info = Info {
            depth: 0,
            mode: root_mode(self.dir),
            expanded: None,
            queued: true,
            announced: None,
            root: true,
            hand: HAND_NONE,
            contained: false,
            base: base_of(root),
        };
        let h = hash_key(&self.table.hasher, &root_key);
        let r = IdRef::of(root);
        self.add(&root_key, r.as_bytes(), r.is_uri(), h, info);
        self.summary.nodes = 1;
        let mut level: Vec<u32> = vec![0];
        let mut depth = 0usize;
        let mut chosen: Vec<usize> = Vec::new();
        let mut keyed = Vec::new();
        // Nodes read outside the read-ahead (without a source, or reached in a stronger role mid-level).
        let mut own = EdgeBuf::new(&BufSpec::new(&self.table.hasher, self.dir));
        // Set once `max_nodes` is reached: from then on nodes are only announced, never read.
        let mut full = false;
        while !level.is_empty() {
            sort_level(&self.nodes, &self.arena, &mut level, &mut keyed);
            self.summary.depth = self.summary.depth.max(depth);
            let within_depth = self.opts.max_depth.is_none_or(|m| depth < m);
            let plan = match ahead.as_deref_mut() {
                Some(a) => self.plan(&level, full, a),
                None => Vec::new(),
            };
            let chunk = ahead.as_deref().map_or(1, |a| a.tuning.chunk);
            let mut cursor = 0usize;
            let mut current: Option<EdgeBuf> = None;
            let mut next: Vec<u32> = Vec::new();
            for &v in &level {
                // Where this node's edges are, if they were read ahead.
                let ahead_at = (plan.get(cursor) == Some(&v)).then(|| {
                    cursor += 1;
                    ((cursor - 1) / chunk, (cursor - 1) % chunk)
                });
                if let (Some((c, 0)), Some(a)) = (ahead_at, ahead.as_deref_mut()) {
                    let buf = a.take(c);
                    self.touch(&buf, 0, TOUCH_AHEAD);
                    if let Some(old) = current.replace(buf) {
                        a.recycle(old);
                    }
                }
                if let (Some((_, i)), Some(buf)) = (ahead_at, current.as_ref()) {
                    self.touch(buf, i + TOUCH_AHEAD, i + TOUCH_AHEAD + 1);
                }
                let id = self.id_of(v)?;
                let Some(node) = self.nodes.get_mut(v as usize) else { continue };
                node.info.queued = false;
                let (mode, before) = (node.info.mode, node.info.expanded);
                let read = mode != Mode::Terminal && !full && before.is_none_or(|b| b < mode);
                let key = node.key;
                let got: Result<(&EdgeBuf, (usize, usize)), Error> = if !read {
                    Ok((&own, (0, 0)))
                } else if let (Some((_, i)), Some(buf)) = (ahead_at, current.as_mut()) {
                    buf.take_span(i).map(|s| (&*buf, s))
                } else {
                    self.read_now(&id, key, ahead.as_deref_mut(), &mut own).map(|s| (&own, s))
                };
                let result = got.and_then(|(buf, span)| {
                    let mut lv =
                        Level { within_depth, depth, max_nodes, next: &mut next, full: &mut full, chosen: &mut chosen };
                    self.visit(v, &id, read, buf, span, &mut lv, sink)
                });
                if result? {
                    self.summary.stopped = true;
                    return Ok(self.summary);
                }
            }
            if let (Some(old), Some(a)) = (current, ahead.as_deref()) {
                a.recycle(old);
            }
            level = next;
            depth = depth.saturating_add(1);
        }
        Ok(self.summary)
    }

    /// Processes one node of a level: announces it, follows its edges (`span` of `buf`, read when `read`).
    /// Returns true when the sink asked to stop.
    #[allow(clippy::too_many_arguments, reason = "the node, its edges, and the level loop's state")]
    fn visit(
        &mut self,
        v: u32,
        id: &Id,
        read: bool,
        buf: &EdgeBuf,
        span: (usize, usize),
        lv: &mut Level<'_>,
        sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
    ) -> Result<bool, Error> {
        let edges = buf.list(span);
        let Some(node) = self.nodes.get_mut(v as usize) else { return Ok(false) };
        let info = &mut node.info;
        let (mode, before) = (info.mode, info.expanded);
        let role = role_of(info.mode, info.root);
        if info.announced != Some(role) {
            let again = info.announced.replace(role).is_some();
            let kind = classify(info, edges);
            let depth = info.depth;
            if sink(Step::Node { id, kind, role, depth, again }).is_break() {
                return Ok(true);
            }
        }
        if !read {
            return Ok(false);
        }
        self.select(buf, edges, mode, before, lv.chosen)?;
        if !lv.within_depth {
            self.summary.truncated |= !lv.chosen.is_empty();
            return Ok(false);
        }
        if let Some(node) = self.nodes.get_mut(v as usize) {
            node.info.expanded = Some(mode);
        }
        for &i in lv.chosen.iter() {
            let Some(e) = edges.get(i) else { continue };
            let rel = buf.rel(e);
            let tm = target_mode(self.dir, rel);
            let Some((j, new)) = self.reach(buf, e, tm, lv.depth, lv.max_nodes, lv.next)? else {
                self.summary.truncated = true;
                *lv.full = true;
                continue;
            };
            self.summary.edges += 1;
            let known;
            let to = match new {
                Some(ref t) => t,
                None if j == v => id,
                None => {
                    known = self.id_of(j)?;
                    &known
                }
            };
            let step = Step::Edge(EdgeRef {
                from: id,
                to,
                kind: e.kind,
                rel,
                action: e.action,
                event: e.event,
                time: e.time,
                seq: e.seq,
            });
            if sink(step).is_break() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Walks the genealogy from `root` breadth-first, reporting every node and followed edge to `sink` as it goes
/// (see the [module docs](self) for what is followed); return [`ControlFlow::Break`] from the sink to stop.
///
/// # Errors
/// Whatever the store returns ([`ErrorKind::Corrupt`], [`ErrorKind::Io`]).
///
/// ```
/// use std::ops::ControlFlow;
/// use tracecode::event::Id;
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{walk, Direction, Step, TraceOptions};
///
/// let store = MemoryStore::new();
/// let mut nodes = 0;
/// let root = Id::parse("urn:example:lot:1")?;
/// let s = walk(&store, &root, Direction::Forward, &TraceOptions::new(), &mut |step| {
///     if let Step::Node { .. } = step {
///         nodes += 1;
///     }
///     ControlFlow::Continue(())
/// })?;
/// assert_eq!((nodes, s.nodes, s.edges), (1, 1, 0)); // an unknown root is a trace of itself
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn walk<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
    sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
) -> Result<WalkSummary, Error> {
    walk_tuned(store, root, dir, opts, WalkTuning::default(), sink)
}

/// [`walk`] with explicit read-ahead settings (tests force the two-thread path on small stores with it).
///
/// # Errors
/// As [`walk`].
#[doc(hidden)]
pub fn walk_tuned<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
    tuning: WalkTuning,
    sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
) -> Result<WalkSummary, Error> {
    // A walk reads one state of the store, so it never follows part of a batch committed while it runs.
    if let Some(view) = store.pinned() {
        return walk_tuned(&*view, root, dir, opts, tuning, sink);
    }
    let table = NodeTable::new();
    let spec = BufSpec::new(&table.hasher, dir);
    let w = Walker {
        store,
        dir,
        opts,
        arena: Vec::new(),
        table,
        nodes: Vec::new(),
        markers: HashMap::with_hasher(FastState::new()),
        scratch: Vec::new(),
        summary: WalkSummary::default(),
    };
    let Some(src) = store.edge_source() else { return w.run(root, None, sink) };
    let shared = Shared::default();
    std::thread::scope(|scope| {
        let mut ahead = ReadAhead::new(src, &shared, scope, tuning, &spec);
        w.run(root, Some(&mut ahead), sink)
    })
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

fn rel_name(r: &Rel) -> &'static str {
    match r {
        Rel::Parent => "parent",
        Rel::Child => "child",
        Rel::Input => "input",
        Rel::Output => "output",
        Rel::Lot => "lot",
        Rel::Member => "member",
        Rel::Source(_) => "source",
        Rel::Destination(_) => "destination",
        Rel::Sent(_) => "sent",
        Rel::Received(_) => "received",
    }
}

/// Stable lower-case name of an edge kind.
pub const fn edge_kind_name(k: EdgeKind) -> &'static str {
    match k {
        EdgeKind::Aggregation => "aggregation",
        EdgeKind::Association => "association",
        EdgeKind::Transformation => "transformation",
        EdgeKind::Membership => "membership",
        EdgeKind::HandOver => "hand_over",
    }
}

fn time_json(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339_auto(TzOffset::UTC)))
}

fn id_json(id: Option<&Id>) -> Value {
    id.map_or(Value::Null, |i| Value::String(key_text(i)))
}

/// A [`State`] as JSON: `{"disposition", "persistent", "biz_step", "read_point", "biz_location", "container",
/// "owner", "possessor", "responsible", "first_seen", "last_seen", "last_event", "retired"}`.
pub fn state_json(s: &State) -> Value {
    json!({
        "disposition": s.disposition.as_ref().map(Disposition::term),
        "persistent": s.persistent.iter().map(Disposition::term).collect::<Vec<_>>(),
        "biz_step": s.last_biz_step.as_ref().map(BizStep::term),
        "read_point": id_json(s.read_point.as_ref()),
        "biz_location": id_json(s.biz_location.as_ref()),
        "container": id_json(s.container.as_ref()),
        "owner": id_json(s.owner.as_ref()),
        "possessor": id_json(s.possessor.as_ref()),
        "responsible": id_json(s.responsible.as_ref()),
        "first_seen": time_json(s.first_seen),
        "last_seen": time_json(s.last_seen),
        "last_event": s.last_event.map(|(_, id)| id.to_string()),
        "retired": s.retired,
    })
}

impl TraceEdge {
    /// The edge as JSON: `{"from", "to", "kind", "rel", "event_id", "time", "seq"}` (plus `"sd_type"` for
    /// hand-overs).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "from": key_text(&self.from),
            "to": key_text(&self.to),
            "kind": edge_kind_name(self.kind),
            "rel": rel_name(&self.rel),
            "event_id": self.event.to_string(),
            "time": time_json(Some(self.time)),
            "seq": self.seq,
        });
        if let (Value::Object(m), Some(t)) = (&mut v, keys_sdt(&self.rel)) {
            m.insert("sd_type".into(), Value::String(t.term().to_owned()));
        }
        v
    }
}

const fn keys_sdt(r: &Rel) -> Option<&SourceDestType> {
    match r {
        Rel::Source(t) | Rel::Destination(t) | Rel::Sent(t) | Rel::Received(t) => Some(t),
        _ => None,
    }
}

impl Trace {
    /// The node `id`, if the trace reached it.
    pub fn node(&self, id: &Id) -> Option<&TraceNode> {
        self.nodes.iter().find(|n| &n.id == id)
    }

    /// The trace as JSON: `{"root", "direction", "as_of", "nodes": [{"key", "kind", "role", "depth", "state"}],
    /// "edges": [{"from", "to", "kind", "rel", "event_id", "time", "seq"}], "truncated"}` (keys as
    /// [`key_text`]; states as [`state_json`] or null).
    ///
    /// ```
    /// use tracecode::store::MemoryStore;
    /// use tracecode::trace::{trace_back, TraceOptions};
    /// let t = trace_back(&MemoryStore::new(), "(01)09506000134352(21)X", &TraceOptions::new())?;
    /// let v = t.to_json();
    /// assert_eq!(v["root"], "01/09506000134352/21/X");
    /// assert_eq!(v["nodes"][0]["kind"], "item");
    /// assert_eq!(v["truncated"], false);
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn to_json(&self) -> Value {
        json!({
            "root": key_text(&self.root),
            "direction": self.direction.as_str(),
            "as_of": time_json(self.as_of),
            "nodes": self.nodes.iter().map(|n| json!({
                "key": key_text(&n.id),
                "kind": n.kind.as_str(),
                "role": n.role.as_str(),
                "depth": n.depth,
                "state": n.state.as_ref().map_or(Value::Null, state_json),
            })).collect::<Vec<_>>(),
            "edges": self.edges.iter().map(TraceEdge::to_json).collect::<Vec<_>>(),
            "truncated": self.truncated,
        })
    }
}

/// Reads a trace root: scanner input in any spelling the code parser accepts, or an EPCIS identifier (EPC URN,
/// Digital Link, any other URI).
///
/// # Errors
/// The code parser's error (typed, positioned) when the input is neither a code nor a URI.
///
/// ```
/// use tracecode::trace::parse_root;
/// let a = parse_root("(01)09506000134352(21)XYZ789")?;
/// let b = parse_root("https://id.gs1.org/01/09506000134352/21/XYZ789")?;
/// assert_eq!(a, b);
/// assert!(parse_root("urn:example:lot:42").is_ok());
/// assert!(parse_root("(01)09506000134353").is_err()); // bad check digit
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn parse_root(input: &str) -> Result<Id, Error> {
    match crate::code::parse(input).and_then(|c| c.trace_key()) {
        Ok(k) => Ok(Id::Key(k)),
        Err(code_err) => Id::parse(input).map_err(|_| code_err),
    }
}

fn state_of<S: TraceStore + ?Sized>(store: &S, id: &Id, as_of: Option<Timestamp>) -> Result<Option<State>, Error> {
    match as_of {
        Some(t) => store.state_at(id, t),
        None => Ok(store.resolve_id(id)?.map(|r| r.state.clone())),
    }
}

/// Collects a [`walk`] from `root` into a [`Trace`], with states when [`TraceOptions::with_state`] asks (or by
/// default for forward traces). Parties and locations reached by hand-overs get no state.
///
/// # Errors
/// As [`walk`].
///
/// ```
/// use tracecode::event::Id;
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace, Direction, TraceOptions};
/// let t = trace(&MemoryStore::new(), &Id::parse("urn:example:x")?, Direction::Back, &TraceOptions::new())?;
/// assert_eq!(t.nodes.len(), 1);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
) -> Result<Trace, Error> {
    // The walk and the states it collects read one state of the store.
    if let Some(view) = store.pinned() {
        return trace(&*view, root, dir, opts);
    }
    collect(store, root, dir, opts, &mut |sink| walk(store, root, dir, opts, sink))
}

/// Runs a walk into the sink it is given.
type Runner<'r> = dyn FnMut(&mut dyn FnMut(Step<'_>) -> ControlFlow<()>) -> Result<WalkSummary, Error> + 'r;

/// A walk, run by `run` with a sink, collected into a [`Trace`] (states from `store`).
fn collect<S: TraceStore + ?Sized>(
    store: &S,
    root: &Id,
    dir: Direction,
    opts: &TraceOptions,
    run: &mut Runner<'_>,
) -> Result<Trace, Error> {
    let mut nodes: Vec<TraceNode> = Vec::new();
    // Built only when a node is announced again (rare), so most traces never pay for it.
    let mut index: Option<HashMap<Id, usize, FastState>> = None;
    let mut edges: Vec<TraceEdge> = Vec::new();
    let summary = run(&mut |step| {
        match step {
            Step::Node { id, kind, role, depth, again: false } => {
                if let Some(ix) = &mut index {
                    ix.insert(id.clone(), nodes.len());
                }
                nodes.push(TraceNode { id: id.clone(), kind, role, depth, state: None });
            }
            Step::Node { id, kind, role, again: true, .. } => {
                let ix =
                    index.get_or_insert_with(|| nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect());
                if let Some(n) = ix.get(id).and_then(|&i| nodes.get_mut(i)) {
                    n.kind = kind;
                    n.role = role;
                }
            }
            Step::Edge(e) => edges.push(e.to_owned()),
        }
        ControlFlow::Continue(())
    })?;
    if opts.with_state.unwrap_or(dir == Direction::Forward) {
        for n in &mut nodes {
            if n.role != NodeRole::HandOver {
                n.state = state_of(store, &n.id, opts.as_of)?;
            }
        }
    }
    Ok(Trace { root: root.clone(), direction: dir, as_of: opts.as_of, nodes, edges, truncated: summary.truncated })
}

/// Traces scanner input back to its sources: every upstream item, lot and container, and the parties and
/// locations that handled them.
///
/// # Errors
/// The parse error for bad input ([`parse_root`]); otherwise as [`walk`].
///
/// ```
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace_back, TraceOptions};
/// let t = trace_back(&MemoryStore::new(), "]d2010950600013435221XYZ789", &TraceOptions::new())?;
/// assert_eq!(t.root.to_string(), "https://id.gs1.org/01/09506000134352/21/XYZ789");
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace_back<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &TraceOptions) -> Result<Trace, Error> {
    trace(store, &parse_root(input)?, Direction::Back, opts)
}

/// Traces scanner input forward: every downstream item, lot and container, with where each is now and who
/// holds it (states on by default).
///
/// # Errors
/// The parse error for bad input ([`parse_root`]); otherwise as [`walk`].
///
/// ```
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::{trace_forward, TraceOptions};
/// let t = trace_forward(&MemoryStore::new(), "(01)09506000134352(10)LOT7", &TraceOptions::new())?;
/// assert_eq!(t.nodes[0].kind, tracecode::trace::NodeKind::Lot);
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn trace_forward<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &TraceOptions) -> Result<Trace, Error> {
    trace(store, &parse_root(input)?, Direction::Forward, opts)
}

/// The state of scanner input's node at time `at` (container, location, owning and possessing party,
/// disposition, persistent dispositions), or `None` when the store has never seen it. A thin wrapper over
/// [`TraceStore::state_at`].
///
/// # Errors
/// The parse error for bad input; otherwise the store's.
///
/// ```
/// use tracecode::event::Timestamp;
/// use tracecode::store::MemoryStore;
/// use tracecode::trace::state_at;
/// assert!(state_at(&MemoryStore::new(), "(01)09506000134352(21)X", Timestamp(0))?.is_none());
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn state_at<S: TraceStore + ?Sized>(store: &S, input: &str, at: Timestamp) -> Result<Option<State>, Error> {
    store.state_at(&parse_root(input)?, at)
}

// ------------------------------------------------------------------------------------------------------------
// Recall
// ------------------------------------------------------------------------------------------------------------

/// Extension (in tracecode's [`WHO_NAMESPACE`](crate::event::WHO_NAMESPACE)) naming the root a recall event
/// was issued for.
pub const RECALL_ROOT_EXT: &str = "urn:tracecode:epcis:recallRoot";
/// Extension (in tracecode's [`WHO_NAMESPACE`](crate::event::WHO_NAMESPACE)) carrying the recall's reason
/// text.
pub const RECALL_REASON_EXT: &str = "urn:tracecode:epcis:recallReason";
/// Objects per recall event (a pallet-sized list keeps frames small and chain entries cheap).
pub const RECALL_CHUNK: usize = 100;

/// Options of a [`recall`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecallOptions {
    /// The forward trace to run (states are always attached).
    pub trace: TraceOptions,
    /// Record the recall as events, in one atomic batch.
    pub commit: bool,
    /// Event time of the recall events (also what makes a repeated commit idempotent).
    pub time: Timestamp,
    /// Offset the time is recorded with.
    pub offset: TzOffset,
    /// The party responsible for the recall (`who.party` of the events).
    pub responsible: Option<Id>,
    /// Where the recall was issued (`readPoint`).
    pub read_point: Option<Id>,
    /// Why (recorded as the [`RECALL_REASON_EXT`] extension).
    pub reason: Option<String>,
}

impl RecallOptions {
    /// A recall at `time` (UTC), not committed, historical-union forward trace.
    pub fn new(time: Timestamp) -> Self {
        Self {
            trace: TraceOptions::new(),
            commit: false,
            time,
            offset: TzOffset::UTC,
            responsible: None,
            read_point: None,
            reason: None,
        }
    }
}

/// One affected node of a recall, with where it is and who holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Affected {
    /// The node.
    pub id: Id,
    /// What it is.
    pub kind: NodeKind,
    /// Its state (at the trace's `as_of`, or now); `None` if the store has no events about it.
    pub state: Option<State>,
    /// Who has it: the possessing party, else the owning party.
    pub holder: Option<Id>,
    /// Where it is: business location, else read point.
    pub location: Option<Id>,
}

/// A party seen along the way, with the events that name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Responsible {
    /// The party (a `who.party`, or an owning/possessing source or destination).
    pub party: Id,
    /// The events of the trace naming it, sorted, no duplicates.
    pub events: Vec<EventId>,
}

/// The answer to a [`recall`].
#[derive(Clone, Debug, PartialEq)]
pub struct Recall {
    /// The forward trace it was computed from.
    pub trace: Trace,
    /// Everything downstream of the root (the root included; containers that merely held affected things are in
    /// `containers` instead), sorted by store key.
    pub affected: Vec<Affected>,
    /// Containers that held affected things (reached upward only), sorted by store key.
    pub containers: Vec<Affected>,
    /// Parties responsible along the way, sorted by store key.
    pub responsible: Vec<Responsible>,
    /// The recall events built (one per [`RECALL_CHUNK`] objects), whether committed or not.
    pub events: Vec<Event>,
    /// The ingest report when committed.
    pub committed: Option<IngestReport>,
}

fn affected_of(n: &TraceNode) -> Affected {
    let st = n.state.as_ref();
    Affected {
        id: n.id.clone(),
        kind: n.kind,
        state: n.state.clone(),
        holder: st.and_then(|s| s.possessor.clone().or_else(|| s.owner.clone())),
        location: st.and_then(|s| s.biz_location.clone().or_else(|| s.read_point.clone())),
    }
}

/// The recall events for `affected`: ObjectEvents, action OBSERVE, bizStep `holding`, disposition `recalled` and
/// persistent disposition `recalled` set, instances in `epcList` and classes in `quantityList`, at most
/// [`RECALL_CHUNK`] objects each, in store-key order (so the same recall gives the same events and event ids).
///
/// Why these terms: CBV has no "recalling" step; `holding` is the CBV step for goods held back from their normal
/// flow, and it is one of the recall-relevant steps the CBV lists. `recalled` is the CBV disposition for exactly
/// this, and setting it as a *persistent* disposition keeps it on each object across later routine events (a
/// later `in_transit` does not clear it) until it is explicitly unset.
pub fn recall_events(root: &Id, affected: &[Affected], opts: &RecallOptions) -> Vec<Event> {
    let mut template = Event::new(EventType::Object, opts.time, opts.offset);
    template.action = Some(Action::Observe);
    template.biz_step = Some(BizStep::Holding);
    template.disposition = Some(Disposition::Recalled);
    template.persistent_disposition =
        Some(PersistentDisposition { set: vec![Disposition::Recalled], unset: Vec::new() });
    template.read_point = opts.read_point.clone().map(|id| Place { id, extensions: Vec::new() });
    template.who.party.clone_from(&opts.responsible);
    template
        .extensions
        .push(Extension { name: RECALL_ROOT_EXT.into(), value: ExtValue::String(key_text(root).into()) });
    if let Some(r) = &opts.reason {
        template
            .extensions
            .push(Extension { name: RECALL_REASON_EXT.into(), value: ExtValue::String(r.as_str().into()) });
    }
    let is_class = |id: &Id| id.key().is_some_and(|k| k.kind() == KeyKind::Class);
    let (classes, instances): (Vec<&Affected>, Vec<&Affected>) = affected
        .iter()
        .filter(|a| !matches!(a.kind, NodeKind::Party | NodeKind::Location))
        .partition(|a| is_class(&a.id));
    let mut out = Vec::new();
    for chunk in instances.chunks(RECALL_CHUNK) {
        let mut e = template.clone();
        e.epc_list = chunk.iter().map(|a| a.id.clone()).collect();
        out.push(e);
    }
    for chunk in classes.chunks(RECALL_CHUNK) {
        let mut e = template.clone();
        e.quantity_list = chunk.iter().map(|a| Quantity { class: a.id.clone(), quantity: None, uom: None }).collect();
        out.push(e);
    }
    out
}

/// Recall from a defective lot, item or input material: the full affected downstream set with each item's
/// current holder and location, the containers they travel in, and the responsible parties along the way;
/// with [`RecallOptions::commit`], the recall is also recorded ([`recall_events`]) in **one** ingest call (one
/// atomic batch), so the recall itself is traceable. Committing the same recall again at the same time is
/// idempotent: the same events, reported as duplicates.
///
/// # Errors
/// As [`trace_forward`]; with `commit`, what [`TraceStore::ingest`] returns (nothing is written then).
///
/// ```
/// use tracecode::event::{Action, Disposition, Event, EventType, Id, Timestamp, TzOffset};
/// use tracecode::store::{MemoryStore, TraceStore};
/// use tracecode::trace::{recall, RecallOptions};
///
/// let store = MemoryStore::new();
/// let mut add = Event::new(EventType::Object, Timestamp(1), TzOffset::UTC);
/// add.action = Some(Action::Add);
/// add.epc_list.push(Id::parse("https://id.gs1.org/01/09506000134352/21/A")?);
/// store.ingest(vec![add])?;
/// let mut o = RecallOptions::new(Timestamp(100));
/// o.commit = true;
/// let r = recall(&store, "(01)09506000134352(21)A", &o)?;
/// assert_eq!(r.affected.len(), 1);
/// assert_eq!(r.committed.as_ref().map(|c| c.accepted), Some(1));
/// let s = store.resolve("(01)09506000134352(21)A")?.unwrap();
/// assert_eq!(s.state.disposition, Some(Disposition::Recalled));
/// assert_eq!(recall(&store, "(01)09506000134352(21)A", &o)?.committed.map(|c| c.duplicates), Some(1));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn recall<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &RecallOptions) -> Result<Recall, Error> {
    let root = parse_root(input)?;
    recall_id(store, &root, opts)
}

/// [`recall`] from an identifier.
///
/// # Errors
/// As [`recall`].
pub fn recall_id<S: TraceStore + ?Sized>(store: &S, root: &Id, opts: &RecallOptions) -> Result<Recall, Error> {
    // The trace and the parties it names are read from one state of the store; the recall events are
    // committed to the store itself.
    let mut r = match store.pinned() {
        Some(view) => recall_plan(&*view, root, opts)?,
        None => recall_plan(store, root, opts)?,
    };
    if opts.commit && !r.events.is_empty() {
        r.committed = Some(store.ingest(r.events.clone())?);
    }
    Ok(r)
}

/// A recall read from `store`, not yet committed.
fn recall_plan<S: TraceStore + ?Sized>(store: &S, root: &Id, opts: &RecallOptions) -> Result<Recall, Error> {
    let topts = TraceOptions { with_state: Some(true), ..opts.trace.clone() };
    let t = trace(store, root, Direction::Forward, &topts)?;
    let mut affected: Vec<Affected> = Vec::new();
    let mut containers: Vec<Affected> = Vec::new();
    for n in &t.nodes {
        match n.role {
            NodeRole::Root | NodeRole::Lineage => affected.push(affected_of(n)),
            NodeRole::Holder => containers.push(affected_of(n)),
            NodeRole::HandOver => {}
        }
    }
    affected.sort_by_cached_key(|a| keys::node_key(&a.id));
    containers.sort_by_cached_key(|a| keys::node_key(&a.id));
    let responsible = responsible_parties(store, &t)?;
    let events = recall_events(root, &affected, opts);
    Ok(Recall { trace: t, affected, containers, responsible, events, committed: None })
}

/// Parties named by the events of a trace's edges: `who.party`, and owning/possessing sources and destinations.
fn responsible_parties<S: TraceStore + ?Sized>(store: &S, t: &Trace) -> Result<Vec<Responsible>, Error> {
    let mut ids: Vec<EventId> = t.edges.iter().map(|e| e.event).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found: BTreeMap<Vec<u8>, Responsible> = BTreeMap::new();
    let mut add = |party: &Id, ev: EventId| {
        let r = found
            .entry(keys::node_key(party))
            .or_insert_with(|| Responsible { party: party.clone(), events: Vec::new() });
        if r.events.last() != Some(&ev) {
            r.events.push(ev);
        }
    };
    for ev in ids {
        let Some((_, e)) = store.event(&ev)? else { continue };
        if let Some(p) = &e.who.party {
            add(p, ev);
        }
        for sd in e.sources.iter().chain(&e.destinations) {
            if matches!(sd.kind, SourceDestType::OwningParty | SourceDestType::PossessingParty) {
                add(&sd.id, ev);
            }
        }
    }
    Ok(found.into_values().collect())
}

impl Recall {
    /// The recall as JSON: `{"trace", "affected": [{"key", "kind", "holder", "location", "container",
    /// "disposition", "retired"}], "containers": [...same...], "responsible": [{"party", "events"}],
    /// "committed": {"accepted", "duplicates", "event_ids"} | null}`.
    pub fn to_json(&self) -> Value {
        let aff = |a: &Affected| {
            json!({
                "key": key_text(&a.id),
                "kind": a.kind.as_str(),
                "holder": id_json(a.holder.as_ref()),
                "location": id_json(a.location.as_ref()),
                "container": id_json(a.state.as_ref().and_then(|s| s.container.as_ref())),
                "disposition": a.state.as_ref().and_then(|s| s.disposition.as_ref()).map(Disposition::term),
                "retired": a.state.as_ref().is_some_and(|s| s.retired),
            })
        };
        json!({
            "trace": self.trace.to_json(),
            "affected": self.affected.iter().map(aff).collect::<Vec<_>>(),
            "containers": self.containers.iter().map(aff).collect::<Vec<_>>(),
            "responsible": self.responsible.iter().map(|r| json!({
                "party": key_text(&r.party),
                "events": r.events.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "committed": self.committed.as_ref().map_or(Value::Null, |c| json!({
                "accepted": c.accepted,
                "duplicates": c.duplicates,
                "event_ids": c.outcomes.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
            })),
        })
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ------------------------------------------------------------------------------------------------------------
// In-memory adjacency
// ------------------------------------------------------------------------------------------------------------

/// The far end of an "unpack all" marker.
const NO_NODE: u32 = u32::MAX;

/// One edge in the adjacency: like [`Edge`], with the far end, relation and event interned.
#[derive(Clone, Copy, Debug)]
struct AdjEdge {
    to: u32,
    rel: u16,
    kind: EdgeKind,
    action: Option<Action>,
    event: u32,
    time: Timestamp,
    seq: Seq,
}

/// What an [`Adjacency::walk_compact`] reports: like [`Step`], with nodes as adjacency numbers and edges as
/// positions ([`Adjacency::edge`]), so a walk of millions of nodes allocates nothing per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactStep {
    /// A node (see [`Step::Node`]).
    Node {
        /// Its number ([`Adjacency::id`]).
        node: u32,
        /// What it is.
        kind: NodeKind,
        /// How it was reached.
        role: NodeRole,
        /// Edges from the root at first discovery.
        depth: usize,
        /// The node was announced before (this is a role upgrade).
        again: bool,
    },
    /// An edge followed.
    Edge {
        /// The node it was followed from.
        from: u32,
        /// The node it leads to.
        to: u32,
        /// Its position ([`Adjacency::edge`]).
        edge: usize,
    },
}

/// An in-memory copy of a store's genealogy edges in compressed sparse rows (nodes numbered `u32` in store-key
/// order, each node's edges contiguous and in [`TraceStore::neighbours`] order), for repeated or very large
/// walks: a walk over it gives exactly the steps, in the same order, as [`walk`] over the store it was loaded
/// from (as of loading), without a store read per node.
///
/// [`Adjacency::load`] copies what walks from some roots can reach (every edge of every node reachable over
/// genealogy edges; parties and locations at the end of hand-overs are kept as leaves); [`Adjacency::load_all`]
/// copies every node of the store. Memory is about 40 bytes per edge plus the identifiers.
///
/// ```
/// use tracecode::event::{Event, EventType, Id, Quantity, Timestamp, TzOffset};
/// use tracecode::store::{MemoryStore, TraceStore};
/// use tracecode::trace::{trace, Adjacency, Direction, TraceOptions};
///
/// let store = MemoryStore::new();
/// let raw = Id::parse("https://id.gs1.org/01/09506000134352/10/RAW1")?;
/// let mut make = Event::new(EventType::Transformation, Timestamp(10), TzOffset::UTC);
/// make.input_quantity_list.push(Quantity { class: raw.clone(), quantity: None, uom: None });
/// make.output_epc_list.push(Id::parse("https://id.gs1.org/01/09506000134352/21/JAR1")?);
/// store.ingest(vec![make])?;
///
/// let adj = Adjacency::load(&store, &[raw.clone()])?;
/// let opts = TraceOptions::new().state(false);
/// assert_eq!(adj.trace(&store, &raw, Direction::Forward, &opts)?, trace(&store, &raw, Direction::Forward, &opts)?);
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Adjacency {
    ids: Vec<Id>,
    index: HashMap<Id, u32, FastState>,
    base: Vec<Base>,
    loaded: Vec<bool>,
    children: Vec<bool>,
    offsets: Vec<usize>,
    edges: Vec<AdjEdge>,
    rels: Vec<Rel>,
    events: Vec<EventId>,
}

/// Collects nodes and edge lists, numbering as it goes; [`Builder::finish`] renumbers in store-key order.
#[derive(Default)]
struct Builder {
    ids: Vec<Id>,
    index: HashMap<Id, u32, FastState>,
    /// Per node: its edges once loaded.
    lists: Vec<Option<Vec<AdjEdge>>>,
    /// Per node: already waiting to be loaded.
    queued: Vec<bool>,
    rels: Vec<Rel>,
    events: Vec<EventId>,
    event_index: HashMap<EventId, u32, FastState>,
}

fn too_many(what: &str) -> Error {
    Error::new(ErrorKind::Length, 0, 0, format!("adjacency holds at most 2^32 - 1 {what}"))
}

impl Builder {
    fn intern(&mut self, id: &Id) -> Result<u32, Error> {
        if let Some(&n) = self.index.get(id) {
            return Ok(n);
        }
        let n = u32::try_from(self.ids.len()).ok().filter(|&n| n != NO_NODE).ok_or_else(|| too_many("nodes"))?;
        self.ids.push(id.clone());
        self.index.insert(id.clone(), n);
        self.lists.push(None);
        self.queued.push(false);
        Ok(n)
    }

    /// Marks node `n` to be loaded; false when it already was.
    fn enqueue(&mut self, n: u32) -> bool {
        match self.queued.get_mut(n as usize) {
            Some(q) if !*q => {
                *q = true;
                true
            }
            _ => false,
        }
    }

    /// Loads node `me`'s edges from the store; pushes far ends reached over genealogy edges onto `todo`.
    fn load<S: TraceStore + ?Sized>(
        &mut self,
        store: &S,
        me: u32,
        buf: &mut Vec<Edge>,
        todo: &mut Vec<u32>,
    ) -> Result<(), Error> {
        buf.clear();
        {
            let Some(id) = self.ids.get(me as usize) else { return Ok(()) };
            store.neighbours(id, buf)?;
        }
        let mut list = Vec::with_capacity(buf.len());
        for e in buf.iter() {
            let to = match &e.to {
                Some(t) => {
                    let n = self.intern(t)?;
                    if !is_hand_over(&e.rel) && self.enqueue(n) {
                        todo.push(n);
                    }
                    n
                }
                None => NO_NODE,
            };
            let rel = if let Some(p) = self.rels.iter().position(|r| r == &e.rel) {
                p
            } else {
                self.rels.push(e.rel.clone());
                self.rels.len() - 1
            };
            let rel = u16::try_from(rel).map_err(|_| too_many("relation types"))?;
            let event = if let Some(&x) = self.event_index.get(&e.event) {
                x
            } else {
                let x = u32::try_from(self.events.len()).map_err(|_| too_many("events"))?;
                self.events.push(e.event);
                self.event_index.insert(e.event, x);
                x
            };
            list.push(AdjEdge { to, rel, kind: e.kind, action: e.action, event, time: e.time, seq: e.seq });
        }
        if let Some(slot) = self.lists.get_mut(me as usize) {
            *slot = Some(list);
        }
        Ok(())
    }

    /// Loads `roots` and everything reachable from them over genealogy edges.
    fn load_from<S: TraceStore + ?Sized>(&mut self, store: &S, roots: &[Id]) -> Result<(), Error> {
        let mut todo: Vec<u32> = Vec::new();
        for r in roots {
            let n = self.intern(r)?;
            if self.enqueue(n) {
                todo.push(n);
            }
        }
        let mut buf = Vec::new();
        while let Some(n) = todo.pop() {
            self.load(store, n, &mut buf, &mut todo)?;
        }
        Ok(())
    }

    fn finish(self) -> Adjacency {
        let Self { ids, mut index, lists, rels, events, .. } = self;
        // Number nodes in store-key order, so sorting a frontier by number is sorting it by key.
        let mut order: Vec<u32> = (0..u32::try_from(ids.len()).unwrap_or(NO_NODE)).collect();
        order.sort_unstable_by(|&a, &b| match (ids.get(a as usize), ids.get(b as usize)) {
            (Some(x), Some(y)) => node_order(x, y),
            _ => a.cmp(&b),
        });
        let mut renumber = vec![0u32; ids.len()];
        for (new, &old) in order.iter().enumerate() {
            if let Some(r) = renumber.get_mut(old as usize) {
                *r = u32::try_from(new).unwrap_or(NO_NODE);
            }
        }
        let map = |n: u32| if n == NO_NODE { NO_NODE } else { renumber.get(n as usize).copied().unwrap_or(NO_NODE) };
        for v in index.values_mut() {
            *v = map(*v);
        }
        let mut slots: Vec<Option<Id>> = ids.into_iter().map(Some).collect();
        let mut out_ids = Vec::with_capacity(order.len());
        let mut base = Vec::with_capacity(order.len());
        let mut loaded = Vec::with_capacity(order.len());
        let mut children = Vec::with_capacity(order.len());
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let mut edges = Vec::with_capacity(lists.iter().flatten().map(Vec::len).sum());
        offsets.push(0);
        for &old in &order {
            let Some(id) = slots.get_mut(old as usize).and_then(Option::take) else { continue };
            base.push(base_of(&id));
            out_ids.push(id);
            let list = lists.get(old as usize).and_then(Option::as_ref);
            loaded.push(list.is_some());
            let mut kids = false;
            for e in list.into_iter().flatten() {
                let rel = rels.get(usize::from(e.rel));
                kids |= rel == Some(&Rel::Child)
                    && e.to != NO_NODE
                    && matches!(e.kind, EdgeKind::Aggregation | EdgeKind::Association)
                    && e.action != Some(Action::Delete);
                edges.push(AdjEdge { to: map(e.to), ..*e });
            }
            children.push(kids);
            offsets.push(edges.len());
        }
        Adjacency { ids: out_ids, index, base, loaded, children, offsets, edges, rels, events }
    }
}

/// Per-node walk state of [`Adjacency::walk_compact`], one flat array per field (zeroed pages are cheap).
struct Marks {
    /// 0 unvisited, else mode + 1.
    mode: Vec<u8>,
    /// 0 not expanded, else the mode + 1 it was expanded in.
    expanded: Vec<u8>,
    queued: Vec<bool>,
    /// 0 not announced, else role + 1.
    announced: Vec<u8>,
    depth: Vec<usize>,
    hand: Vec<u8>,
    contained: Vec<bool>,
}

const fn mode_from(code: u8) -> Option<Mode> {
    match code {
        1 => Some(Mode::Terminal),
        2 => Some(Mode::Up),
        3 => Some(Mode::Lineage),
        4 => Some(Mode::Down),
        _ => None,
    }
}

const fn mode_code(m: Mode) -> u8 {
    match m {
        Mode::Terminal => 1,
        Mode::Up => 2,
        Mode::Lineage => 3,
        Mode::Down => 4,
    }
}

const fn role_code(r: NodeRole) -> u8 {
    match r {
        NodeRole::HandOver => 1,
        NodeRole::Holder => 2,
        NodeRole::Lineage => 3,
        NodeRole::Root => 4,
    }
}

fn not_loaded() -> Error {
    Error::new(ErrorKind::InvalidArgument, 0, 0, "the adjacency was not loaded with this node's edges")
}

impl Adjacency {
    /// Copies every edge of every node reachable from `roots` over genealogy edges (containment,
    /// transformation, lot membership, in any direction); parties and locations reached by hand-overs are kept
    /// as leaves (their own edges are loaded only when they are roots).
    ///
    /// # Errors
    /// The store's errors; [`ErrorKind::Length`] beyond 2^32 - 1 nodes.
    pub fn load<S: TraceStore + ?Sized>(store: &S, roots: &[Id]) -> Result<Self, Error> {
        let mut b = Builder::default();
        b.load_from(store, roots)?;
        Ok(b.finish())
    }

    /// Copies every node the store has events about, every lot named by a lot membership, and every party and
    /// location named as a source or destination, with all their edges.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn load_all<S: TraceStore + ?Sized>(store: &S) -> Result<Self, Error> {
        let mut all: Vec<Id> = Vec::new();
        let mut seen: std::collections::HashSet<Id, FastState> = std::collections::HashSet::default();
        let mut after: Seq = 0;
        loop {
            let page = store.events_since(after, 4096)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for f in &page {
                let e = &f.event;
                for id in
                    e.subjects().chain(e.sources.iter().map(|s| &s.id)).chain(e.destinations.iter().map(|d| &d.id))
                {
                    if !seen.contains(id) {
                        seen.insert(id.clone());
                        all.push(id.clone());
                    }
                }
            }
        }
        // Lots named only by ILMD memberships are no event's subject: `load` reaches them over their edges.
        Self::load(store, &all)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when it holds no node.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The number of a node, if the adjacency holds it.
    pub fn node(&self, id: &Id) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The identifier of node `n`.
    pub fn id(&self, n: u32) -> Option<&Id> {
        self.ids.get(n as usize)
    }

    /// The edge at position `i` as a [`TraceEdge`] (`None` for a position out of range or an unpack-all
    /// marker, which walks never report).
    pub fn edge(&self, i: usize) -> Option<TraceEdge> {
        let e = self.edges.get(i)?;
        let from = self.offsets.partition_point(|&o| o <= i).checked_sub(1)?;
        Some(TraceEdge {
            from: self.ids.get(from)?.clone(),
            to: self.ids.get(e.to as usize)?.clone(),
            kind: e.kind,
            rel: self.rels.get(usize::from(e.rel))?.clone(),
            action: e.action,
            event: *self.events.get(e.event as usize)?,
            time: e.time,
            seq: e.seq,
        })
    }

    /// The edge at position `i`, followed from node `from`, borrowed.
    fn edge_ref(&self, from: u32, i: usize) -> Option<EdgeRef<'_>> {
        let e = self.edges.get(i)?;
        Some(EdgeRef {
            from: self.ids.get(from as usize)?,
            to: self.ids.get(e.to as usize)?,
            kind: e.kind,
            rel: self.rels.get(usize::from(e.rel))?,
            action: e.action,
            event: *self.events.get(e.event as usize)?,
            time: e.time,
            seq: e.seq,
        })
    }

    fn list(&self, n: u32) -> &[AdjEdge] {
        let i = n as usize;
        match (self.offsets.get(i), self.offsets.get(i.saturating_add(1))) {
            (Some(&a), Some(&b)) => self.edges.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    }

    fn rel(&self, e: &AdjEdge) -> &Rel {
        self.rels.get(usize::from(e.rel)).unwrap_or(&Rel::Parent)
    }

    fn is_loaded(&self, n: u32) -> bool {
        self.loaded.get(n as usize).copied().unwrap_or(false)
    }

    fn unpacked(&self, parent: u32, kind: EdgeKind, at: (Timestamp, Seq), opts: &TraceOptions) -> Result<bool, Error> {
        if !self.is_loaded(parent) {
            return Err(not_loaded());
        }
        Ok(self.list(parent).iter().any(|m| {
            m.to == NO_NODE
                && m.action == Some(Action::Delete)
                && m.kind == kind
                && opts.time_ok(m.time)
                && (m.time, m.seq) > at
        }))
    }

    /// [`Walker::select`] over the adjacency.
    #[allow(clippy::too_many_arguments, reason = "the walk's state, passed down rather than bundled for one call")]
    fn select(
        &self,
        v: u32,
        dir: Direction,
        opts: &TraceOptions,
        mode: Mode,
        before: Option<Mode>,
        latest: &mut HashMap<(bool, EdgeKind, u32), (Timestamp, Seq), FastState>,
        out: &mut Vec<usize>,
    ) -> Result<(), Error> {
        out.clear();
        let list = self.list(v);
        let as_of = opts.as_of.is_some();
        if as_of {
            latest.clear();
            for e in list {
                if e.to != NO_NODE && opts.kinds.contains(&e.kind) && opts.time_ok(e.time) {
                    let rel = self.rel(e);
                    if matches!(e.kind, EdgeKind::Aggregation | EdgeKind::Association)
                        && matches!(rel, Rel::Parent | Rel::Child)
                    {
                        let x = latest.entry((*rel == Rel::Child, e.kind, e.to)).or_insert((e.time, e.seq));
                        *x = (*x).max((e.time, e.seq));
                    }
                }
            }
        }
        for (i, e) in list.iter().enumerate() {
            if e.to == NO_NODE || !opts.kinds.contains(&e.kind) || !opts.time_ok(e.time) {
                continue;
            }
            let rel = self.rel(e);
            if !follows(dir, mode, rel) || before.is_some_and(|b| follows(dir, b, rel)) {
                continue;
            }
            if matches!(e.kind, EdgeKind::Aggregation | EdgeKind::Association)
                && matches!(rel, Rel::Parent | Rel::Child)
            {
                if !matches!(e.action, Some(Action::Add | Action::Observe)) {
                    continue;
                }
                if as_of {
                    if latest.get(&(*rel == Rel::Child, e.kind, e.to)) != Some(&(e.time, e.seq)) {
                        continue;
                    }
                    let parent = if *rel == Rel::Child { v } else { e.to };
                    if self.unpacked(parent, e.kind, (e.time, e.seq), opts)? {
                        continue;
                    }
                }
            }
            out.push(i);
        }
        Ok(())
    }

    /// [`walk`] over the adjacency from node number `root`, reporting [`CompactStep`]s.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] when `root` (or a node the walk must expand) was not loaded.
    #[allow(clippy::too_many_lines, reason = "one BFS loop, the same shape as the store walk's")]
    pub fn walk_compact(
        &self,
        root: u32,
        dir: Direction,
        opts: &TraceOptions,
        sink: &mut dyn FnMut(CompactStep) -> ControlFlow<()>,
    ) -> Result<WalkSummary, Error> {
        let n = self.ids.len();
        if !self.is_loaded(root) {
            return Err(not_loaded());
        }
        let max_nodes = opts.max_nodes.unwrap_or(usize::MAX).max(1);
        let mut k = Marks {
            mode: vec![0; n],
            expanded: vec![0; n],
            queued: vec![false; n],
            announced: vec![0; n],
            depth: vec![0; n],
            hand: vec![0; n],
            contained: vec![false; n],
        };
        let r = root as usize;
        if let (Some(m), Some(q)) = (k.mode.get_mut(r), k.queued.get_mut(r)) {
            *m = mode_code(root_mode(dir));
            *q = true;
        }
        let mut summary = WalkSummary { nodes: 1, ..WalkSummary::default() };
        let mut level = vec![root];
        let mut depth = 0usize;
        let mut chosen: Vec<usize> = Vec::new();
        let mut latest = HashMap::default();
        let mut full = false;
        while !level.is_empty() {
            level.sort_unstable();
            summary.depth = summary.depth.max(depth);
            let within_depth = opts.max_depth.is_none_or(|m| depth < m);
            let mut next: Vec<u32> = Vec::new();
            for &v in &level {
                let i = v as usize;
                if let Some(q) = k.queued.get_mut(i) {
                    *q = false;
                }
                let Some(mode) = k.mode.get(i).copied().and_then(mode_from) else { continue };
                let before = k.expanded.get(i).copied().and_then(mode_from);
                let read = mode != Mode::Terminal && !full && before.is_none_or(|b| b < mode);
                if read && !self.is_loaded(v) {
                    return Err(not_loaded());
                }
                let role = role_of(mode, v == root);
                if k.announced.get(i).copied() != Some(role_code(role)) {
                    let again = k.announced.get_mut(i).is_some_and(|a| std::mem::replace(a, role_code(role)) != 0);
                    let container = k.contained.get(i).copied().unwrap_or(false)
                        || (read && self.children.get(i).copied().unwrap_or(false));
                    let hand_only = mode == Mode::Terminal && v != root;
                    let base = self.base.get(i).copied().unwrap_or(Base::Uri);
                    let kind = kind_of(base, hand_only, k.hand.get(i).copied().unwrap_or(HAND_NONE), container);
                    let d = k.depth.get(i).copied().unwrap_or(0);
                    if sink(CompactStep::Node { node: v, kind, role, depth: d, again }).is_break() {
                        summary.stopped = true;
                        return Ok(summary);
                    }
                }
                if !read {
                    continue;
                }
                self.select(v, dir, opts, mode, before, &mut latest, &mut chosen)?;
                if !within_depth {
                    summary.truncated |= !chosen.is_empty();
                    continue;
                }
                if let Some(x) = k.expanded.get_mut(i) {
                    *x = mode_code(mode);
                }
                let start = self.offsets.get(i).copied().unwrap_or(0);
                let list = self.list(v);
                for &c in &chosen {
                    let Some(e) = list.get(c) else { continue };
                    let to = e.to as usize;
                    let rel = self.rel(e);
                    let tm = target_mode(dir, rel);
                    let hand = hand_code(rel);
                    if let Some(cur) = k.mode.get(to).copied().and_then(mode_from) {
                        if tm > cur {
                            if let Some(m) = k.mode.get_mut(to) {
                                *m = mode_code(tm);
                            }
                            if let Some(q) = k.queued.get_mut(to)
                                && !*q
                            {
                                *q = true;
                                next.push(e.to);
                            }
                        }
                        if let Some(x) = k.contained.get_mut(to) {
                            *x |= *rel == Rel::Parent;
                        }
                        if let Some(h) = k.hand.get_mut(to)
                            && *h == HAND_NONE
                        {
                            *h = hand;
                        }
                    } else {
                        if summary.nodes >= max_nodes {
                            summary.truncated = true;
                            full = true;
                            continue;
                        }
                        summary.nodes += 1;
                        if let Some(m) = k.mode.get_mut(to) {
                            *m = mode_code(tm);
                        }
                        if let Some(q) = k.queued.get_mut(to) {
                            *q = true;
                        }
                        if let Some(d) = k.depth.get_mut(to) {
                            *d = depth.saturating_add(1);
                        }
                        if let Some(h) = k.hand.get_mut(to) {
                            *h = hand;
                        }
                        if let Some(x) = k.contained.get_mut(to) {
                            *x = *rel == Rel::Parent;
                        }
                        next.push(e.to);
                    }
                    summary.edges += 1;
                    if sink(CompactStep::Edge { from: v, to: e.to, edge: start.saturating_add(c) }).is_break() {
                        summary.stopped = true;
                        return Ok(summary);
                    }
                }
            }
            level = next;
            depth = depth.saturating_add(1);
        }
        Ok(summary)
    }

    /// [`walk`] over the adjacency: the same steps, in the same order, as the store walk. A root the adjacency
    /// does not hold at all is a trace of itself (as for a store that never saw it).
    ///
    /// # Errors
    /// As [`Self::walk_compact`].
    pub fn walk(
        &self,
        root: &Id,
        dir: Direction,
        opts: &TraceOptions,
        sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
    ) -> Result<WalkSummary, Error> {
        let Some(r) = self.node(root) else {
            let kind = kind_of(base_of(root), false, HAND_NONE, false);
            let stopped = sink(Step::Node { id: root, kind, role: NodeRole::Root, depth: 0, again: false }).is_break();
            return Ok(WalkSummary { nodes: 1, stopped, ..WalkSummary::default() });
        };
        let mut failed = false;
        let summary = self.walk_compact(r, dir, opts, &mut |step| match step {
            CompactStep::Node { node, kind, role, depth, again } => {
                if let Some(id) = self.id(node) {
                    sink(Step::Node { id, kind, role, depth, again })
                } else {
                    failed = true;
                    ControlFlow::Break(())
                }
            }
            CompactStep::Edge { from, edge, .. } => {
                if let Some(e) = self.edge_ref(from, edge) {
                    sink(Step::Edge(e))
                } else {
                    failed = true;
                    ControlFlow::Break(())
                }
            }
        })?;
        if failed {
            return Err(Error::new(ErrorKind::Corrupt, 0, 0, "adjacency numbering is inconsistent"));
        }
        Ok(summary)
    }

    /// [`trace`] over the adjacency; states (when asked for) come from `store`.
    ///
    /// # Errors
    /// As [`Self::walk`], and the store's errors when reading states.
    pub fn trace<S: TraceStore + ?Sized>(
        &self,
        store: &S,
        root: &Id,
        dir: Direction,
        opts: &TraceOptions,
    ) -> Result<Trace, Error> {
        collect(store, root, dir, opts, &mut |sink| self.walk(root, dir, opts, sink))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hasher};

    const RELS: [Rel; 10] = [
        Rel::Parent,
        Rel::Child,
        Rel::Input,
        Rel::Output,
        Rel::Lot,
        Rel::Member,
        Rel::Source(SourceDestType::Location),
        Rel::Destination(SourceDestType::OwningParty),
        Rel::Sent(SourceDestType::PossessingParty),
        Rel::Received(SourceDestType::Location),
    ];

    #[test]
    fn stronger_modes_follow_more() {
        // Re-expansion on a role upgrade relies on each mode following a superset of the weaker ones.
        for dir in [Direction::Back, Direction::Forward] {
            for (weak, strong) in [(Mode::Terminal, Mode::Up), (Mode::Up, Mode::Lineage), (Mode::Lineage, Mode::Down)] {
                for r in &RELS {
                    assert!(!follows(dir, weak, r) || follows(dir, strong, r), "{dir:?} {weak:?} {strong:?} {r:?}");
                }
            }
            assert!(RELS.iter().all(|r| !follows(dir, Mode::Terminal, r)));
        }
        // Forward never goes upstream, backward never downstream, except upward into containers.
        for r in &RELS {
            if follows(Direction::Forward, Mode::Lineage, r) && !is_hand_over(r) && *r != Rel::Parent {
                assert!(r.is_forward(), "{r:?}");
            }
            if follows(Direction::Back, Mode::Down, r) && !is_hand_over(r) && *r != Rel::Child {
                assert!(!r.is_forward(), "{r:?}");
            }
        }
        assert_eq!(target_mode(Direction::Back, &Rel::Child), Mode::Down);
        assert_eq!(target_mode(Direction::Forward, &Rel::Child), Mode::Lineage);
        assert_eq!(target_mode(Direction::Forward, &Rel::Parent), Mode::Up);
    }

    #[test]
    fn relations_a_walk_does_not_keep_are_never_followed() {
        for dir in [Direction::Back, Direction::Forward] {
            for i in BufSpec::new(&FastState::new(), dir).unused {
                let r = &RELS[i];
                assert!(!matches!(r, Rel::Parent | Rel::Child) && !is_hand_over(r), "{r:?}");
                for mode in [Mode::Terminal, Mode::Up, Mode::Lineage, Mode::Down] {
                    assert!(!follows(dir, mode, r), "{dir:?} {mode:?} {r:?}");
                }
            }
        }
    }

    #[test]
    fn kinds_from_keys_and_hints() {
        let sscc = Id::parse("urn:epc:id:sscc:0614141.1234567890").unwrap();
        let item = Id::parse("https://id.gs1.org/01/09506000134352/21/A").unwrap();
        let lot = Id::parse("https://id.gs1.org/01/09506000134352/10/L").unwrap();
        let uri = Id::parse("urn:example:x").unwrap();
        assert_eq!(kind_of(base_of(&sscc), false, HAND_NONE, false), NodeKind::Container);
        assert_eq!(kind_of(base_of(&item), false, HAND_NONE, false), NodeKind::Item);
        assert_eq!(kind_of(base_of(&item), false, HAND_NONE, true), NodeKind::Container);
        assert_eq!(kind_of(base_of(&lot), false, HAND_NONE, false), NodeKind::Lot);
        assert_eq!(kind_of(base_of(&uri), false, HAND_NONE, false), NodeKind::Other);
        assert_eq!(kind_of(base_of(&uri), true, HAND_PARTY, false), NodeKind::Party);
        assert_eq!(kind_of(base_of(&uri), true, HAND_LOCATION, false), NodeKind::Location);
        assert_eq!(kind_of(base_of(&uri), true, HAND_OTHER, false), NodeKind::Other);
        // A hint only counts for nodes reached by hand-overs alone.
        assert_eq!(kind_of(base_of(&item), false, HAND_PARTY, false), NodeKind::Item);
    }

    #[test]
    fn fast_hasher_is_keyed_and_deterministic_per_key() {
        let (a, b) = (FastState::new(), FastState::new());
        let h = |s: &FastState, x: &[u8]| {
            let mut h = s.build_hasher();
            h.write(x);
            h.finish()
        };
        assert_eq!(h(&a, b"0123456789abcdef!"), h(&a, b"0123456789abcdef!"));
        assert_ne!(h(&a, b"0123456789abcdef!"), h(&a, b"0123456789abcdef?"));
        assert_ne!(h(&a, b""), h(&a, b"\0"), "the tail length is mixed in");
        assert_ne!(h(&a, b"x"), h(&b, b"x"), "two maps draw two keys");
    }

    fn any_id() -> impl proptest::strategy::Strategy<Value = Id> {
        use proptest::prelude::*;
        prop_oneof![
            "[A-Z0-9]{1,20}".prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/{s}")).unwrap()),
            "[A-Z0-9]{1,20}".prop_map(|s| Id::parse(&format!("https://id.gs1.org/01/09506000134352/10/{s}")).unwrap()),
            (0u32..1000).prop_map(|n| Id::parse(&format!("urn:epc:id:sscc:0614141.1{n:09}")).unwrap()),
            "[a-z]{1,300}".prop_map(|s| Id::Uri(format!("urn:x:{s}").into())),
        ]
    }

    proptest::proptest! {
        /// Sorting frontiers without building keys gives exactly the store-key order.
        #[test]
        fn node_order_is_store_key_order(a in any_id(), b in any_id()) {
            let want = keys::node_key(&a).cmp(&keys::node_key(&b));
            proptest::prop_assert_eq!(node_order(&a, &b), want);
        }
    }

    #[test]
    fn recall_events_chunk_instances_and_classes() {
        let root = Id::parse("https://id.gs1.org/01/09506000134352/10/L").unwrap();
        let mut affected: Vec<Affected> = (0..=RECALL_CHUNK)
            .map(|i| Affected {
                id: Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/S{i}")).unwrap(),
                kind: NodeKind::Item,
                state: None,
                holder: None,
                location: None,
            })
            .collect();
        affected.push(Affected { id: root.clone(), kind: NodeKind::Lot, state: None, holder: None, location: None });
        let events = recall_events(&root, &affected, &RecallOptions::new(Timestamp(5)));
        assert_eq!(events.len(), 3);
        assert_eq!(events.iter().map(|e| e.epc_list.len()).collect::<Vec<_>>(), vec![RECALL_CHUNK, 1, 0]);
        assert_eq!(events[2].quantity_list.len(), 1);
        for e in &events {
            assert!(e.validate().is_ok());
            assert_eq!(e.disposition, Some(Disposition::Recalled));
            assert_eq!(e.biz_step, Some(BizStep::Holding));
            assert_eq!(e.persistent_disposition.as_ref().map(|p| p.set.clone()), Some(vec![Disposition::Recalled]));
        }
    }

    // --------------------------------------------------------------------------------------------------------
    // The read-ahead, on a store that lends readers (the in-memory model behind an `EdgeSource`)
    // --------------------------------------------------------------------------------------------------------

    use crate::store::{Checkpoint, FeedItem, Hit, MemoryStore, Page, Query, Resolution, Stats, VerifyReport};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The in-memory model with every node's edges computed once, lent as an [`EdgeSource`]. With
    /// `fail_helpers`, every second reader made (a walk makes its own first, then its reading thread's) panics, as a
    /// bug in a reading thread would.
    struct Lender {
        mem: MemoryStore,
        edges: HashMap<Vec<u8>, Vec<Edge>>,
        readers: AtomicUsize,
        fail_helpers: bool,
        /// Whether it lends readers at all (off: walks use `neighbours`, the reference).
        lend: std::sync::atomic::AtomicBool,
        /// A node whose edges read as damaged.
        bad: Option<Vec<u8>>,
    }

    impl Lender {
        /// Every node's edges, computed once for all tests (the model answers by scanning every event).
        fn edges_of(mem: &MemoryStore, events: &[Event]) -> HashMap<Vec<u8>, Vec<Edge>> {
            let mut ids: Vec<Id> = Vec::new();
            for e in events {
                ids.extend(e.subjects().cloned());
                ids.extend(e.sources.iter().chain(&e.destinations).map(|s| s.id.clone()));
            }
            let mut edges = HashMap::new();
            while let Some(id) = ids.pop() {
                let k = keys::node_key(&id);
                if edges.contains_key(&k) {
                    continue;
                }
                let mut v = Vec::new();
                mem.neighbours(&id, &mut v).unwrap();
                ids.extend(v.iter().filter_map(|e| e.to.clone()));
                edges.insert(k, v);
            }
            edges
        }

        fn new(events: &[Event], fail_helpers: bool) -> Self {
            static EDGES: OnceLock<HashMap<Vec<u8>, Vec<Edge>>> = OnceLock::new();
            let mem = MemoryStore::new();
            mem.ingest(events.to_vec()).unwrap();
            let edges = EDGES.get_or_init(|| Self::edges_of(&mem, events)).clone();
            let lend = std::sync::atomic::AtomicBool::new(true);
            Self { mem, edges, readers: AtomicUsize::new(0), fail_helpers, lend, bad: None }
        }
    }

    struct LentReader<'a> {
        lender: &'a Lender,
        fails: bool,
    }

    impl EdgeReader for LentReader<'_> {
        fn visit_edges(
            &mut self,
            node_key: &[u8],
            f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>,
        ) -> Result<(), Error> {
            assert!(!self.fails, "a reading thread fails (as the test wants)");
            if self.lender.bad.as_deref() == Some(node_key) {
                return Err(Error::new(ErrorKind::Corrupt, 0, 0, "damaged (test)"));
            }
            for e in self.lender.edges.get(node_key).into_iter().flatten() {
                if f(EdgeView::of(e)).is_break() {
                    break;
                }
            }
            Ok(())
        }
    }

    impl EdgeSource for Lender {
        fn edge_reader(&self) -> Box<dyn EdgeReader + '_> {
            let n = self.readers.fetch_add(1, Ordering::SeqCst);
            Box::new(LentReader { lender: self, fails: self.fail_helpers && n % 2 == 1 })
        }
    }

    impl TraceStore for Lender {
        fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
            self.mem.ingest(events)
        }
        fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
            self.mem.resolve_id(id)
        }
        fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
            self.mem.state_at(id, at)
        }
        fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
            self.mem.event(id)
        }
        fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
            self.mem.events_since(after, limit)
        }
        fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
            self.mem.query(q)
        }
        fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
            self.mem.instances(class, after, limit)
        }
        fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
            let k = keys::node_key(node);
            if self.bad.as_ref() == Some(&k) {
                return Err(Error::new(ErrorKind::Corrupt, 0, 0, "damaged (test)"));
            }
            out.extend(self.edges.get(&k).into_iter().flatten().cloned());
            Ok(())
        }
        fn edge_source(&self) -> Option<&dyn EdgeSource> {
            self.lend.load(Ordering::SeqCst).then_some(self as &dyn EdgeSource)
        }
        fn checkpoint(&self) -> Result<Checkpoint, Error> {
            self.mem.checkpoint()
        }
        fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
            self.mem.verify_checkpoint(cp)
        }
        fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
            self.mem.verify(id)
        }
        fn verify_all(&self) -> Result<VerifyReport, Error> {
            self.mem.verify_all()
        }
        fn stats(&self) -> Result<Stats, Error> {
            self.mem.stats()
        }
    }

    /// A walk's steps as text, in order, with its summary.
    fn steps_of(run: impl FnOnce(&mut dyn FnMut(Step<'_>) -> ControlFlow<()>) -> WalkSummary) -> Vec<String> {
        let mut out = Vec::new();
        let s = run(&mut |step| {
            out.push(match step {
                Step::Node { id, kind, role, depth, again } => format!("node {id} {kind:?} {role:?} {depth} {again}"),
                Step::Edge(e) => format!("edge {e:?}"),
            });
            ControlFlow::Continue(())
        });
        out.push(format!("{s:?}"));
        out
    }

    /// A genealogy (transformations, joins, lot memberships, cases, pallets) plus a few hand-overs, an
    /// unpack-all and a re-pack, and the roots to walk from.
    fn lent_fixture(fail_helpers: bool) -> (Lender, Vec<Id>) {
        let (root, batches) = crate::synth::genealogy(600, 3, 5, Timestamp(1_000_000));
        let mut events: Vec<Event> = batches.flatten().collect();
        let case = events.iter().rev().find_map(|e| e.parent_id.clone()).unwrap();
        let item = events.iter().find_map(|e| e.epc_list.first().cloned()).unwrap();
        let mut ship = Event::new(EventType::Object, Timestamp(9_000_000), TzOffset::UTC);
        ship.action = Some(Action::Observe);
        ship.epc_list = vec![case.clone(), item.clone()];
        ship.sources.push(crate::event::SourceDest {
            kind: SourceDestType::OwningParty,
            id: Id::parse("urn:x:party:1").unwrap(),
        });
        ship.destinations.push(crate::event::SourceDest {
            kind: SourceDestType::Other("urn:x:sdt:dock".into()),
            id: Id::parse("urn:x:place:1").unwrap(),
        });
        // A node whose key is a hash (its identifier is too long for a key): walks must still report it as itself.
        let long = Id::Uri(format!("urn:x:long:{}", "y".repeat(300)).into());
        let mut make = Event::new(EventType::Transformation, Timestamp(9_100_000), TzOffset::UTC);
        make.input_epc_list.push(item.clone());
        make.output_epc_list.push(long.clone());
        events.push(make);
        let mut unpack = Event::new(EventType::Aggregation, Timestamp(9_500_000), TzOffset::UTC);
        unpack.action = Some(Action::Delete);
        unpack.parent_id = Some(case.clone());
        events.push(ship);
        events.push(unpack);
        let roots = vec![Id::Key(root), case, item, Id::parse("urn:x:party:1").unwrap(), long];
        (Lender::new(&events, fail_helpers), roots)
    }

    #[test]
    fn read_ahead_on_two_threads_gives_the_same_steps() {
        let (lender, roots) = lent_fixture(false);
        let options = [
            TraceOptions::new(),
            TraceOptions::new().as_of(Timestamp(9_200_000)),
            TraceOptions::new().as_of(Timestamp(9_600_000)),
            TraceOptions::new().nodes(40),
            TraceOptions::new().depth(2),
            TraceOptions::new().kinds(&[EdgeKind::Transformation, EdgeKind::Membership]),
        ];
        let tunings = [
            WalkTuning { chunk: 1, parallel_min: 0, threads: 2 },
            WalkTuning { chunk: 3, parallel_min: 0, threads: 2 },
            WalkTuning { chunk: 64, parallel_min: 10, threads: 2 },
            WalkTuning { chunk: 7, parallel_min: 0, threads: 1 },
        ];
        let mut sizes = Vec::new();
        for o in &options {
            for root in &roots {
                for dir in [Direction::Forward, Direction::Back] {
                    // The reference: the same edges through `neighbours`, no read-ahead (the model itself once).
                    lender.lend.store(false, Ordering::SeqCst);
                    let want = steps_of(|sink| walk(&lender, root, dir, o, sink).unwrap());
                    lender.lend.store(true, Ordering::SeqCst);
                    if o.as_of.is_none() && o.max_nodes.is_none() {
                        assert_eq!(steps_of(|sink| walk(&lender.mem, root, dir, o, sink).unwrap()), want);
                    }
                    for t in tunings {
                        let got = steps_of(|sink| walk_tuned(&lender, root, dir, o, t, sink).unwrap());
                        assert_eq!(got, want, "{root} {dir} {o:?} {t:?}");
                    }
                    sizes.push(want.len());
                }
            }
        }
        assert!(sizes.iter().any(|&n| n > 1000), "the fixture makes large walks: {sizes:?}");
        // Identifiers are rebuilt from the walk's arena, hashed node keys included.
        let o = TraceOptions::new().state(false);
        let t = trace(&lender, &roots[2], Direction::Forward, &o).unwrap();
        assert!(t.node(&roots[4]).is_some() && t.edges.iter().any(|e| e.to == roots[4]));
        let t = trace(&lender, &roots[4], Direction::Back, &o).unwrap();
        assert_eq!(t.nodes[0].id, roots[4]);
        assert!(t.node(&roots[2]).is_some());
        assert!(lender.readers.load(Ordering::SeqCst) > 2 * options.len(), "reading threads were started");
    }

    #[test]
    fn a_failing_reading_thread_does_not_change_the_walk() {
        let (plain, roots) = lent_fixture(false);
        let (lender, _) = lent_fixture(true);
        for chunk in [1, 2, 50] {
            let t = WalkTuning { chunk, parallel_min: 0, threads: 2 };
            for root in &roots {
                let o = TraceOptions::new();
                let want = steps_of(|sink| walk(&plain, root, Direction::Forward, &o, sink).unwrap());
                let got = steps_of(|sink| walk_tuned(&lender, root, Direction::Forward, &o, t, sink).unwrap());
                assert_eq!(got, want);
            }
        }
        assert!(lender.readers.load(Ordering::SeqCst) >= 2 * 3 * roots.len());
    }

    #[test]
    fn read_ahead_stops_with_the_sink() {
        let (lender, roots) = lent_fixture(false);
        let t = WalkTuning { chunk: 2, parallel_min: 0, threads: 2 };
        for stop in [1, 5, 50, 500] {
            let mut n = 0;
            let s = walk_tuned(&lender, &roots[0], Direction::Forward, &TraceOptions::new(), t, &mut |_| {
                n += 1;
                if n >= stop { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .unwrap();
            assert!(s.stopped);
            assert_eq!(n, stop);
        }
        // A panicking sink unwinds out of the walk (the reading thread is stopped, not waited for forever).
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut n = 0;
            walk_tuned(&lender, &roots[0], Direction::Forward, &TraceOptions::new(), t, &mut |_| {
                n += 1;
                assert!(n < 100, "the sink fails (as the test wants)");
                ControlFlow::Continue(())
            })
        }));
        assert!(r.is_err());
    }

    #[test]
    fn a_read_error_surfaces_when_and_only_when_the_node_is_read() {
        let (mut lender, roots) = lent_fixture(false);
        let t = WalkTuning { chunk: 3, parallel_min: 0, threads: 2 };
        let o = TraceOptions::new().state(false);
        let full = trace(&lender.mem, &roots[0], Direction::Forward, &o).unwrap();
        let deep = full.nodes.iter().rev().find(|n| n.depth >= 3 && n.role == NodeRole::Lineage).unwrap();
        lender.bad = Some(keys::node_key(&deep.id));
        for tuning in [t, WalkTuning { threads: 1, ..t }] {
            let e = walk_tuned(&lender, &roots[0], Direction::Forward, &o, tuning, &mut |_| ControlFlow::Continue(()));
            assert_eq!(e.unwrap_err().kind(), ErrorKind::Corrupt);
            // Not reached, not read: no error.
            let shallow = o.clone().depth(deep.depth - 1);
            let s =
                walk_tuned(
                    &lender,
                    &roots[0],
                    Direction::Forward,
                    &shallow,
                    tuning,
                    &mut |_| ControlFlow::Continue(()),
                );
            assert!(s.is_ok());
        }
    }
}
