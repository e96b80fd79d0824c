//! The in-memory adjacency: a store's genealogy edges copied into compressed sparse rows and walked with the
//! same rules, in the same order, as the store walk.

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::collect::collect;
use super::model::{Direction, EdgeRef, NodeKind, NodeRole, Step, Trace, TraceEdge, TraceOptions, WalkSummary};
use super::rules::{
    Base, HAND_NONE, Mode, base_of, follows, hand_code, is_hand_over, kind_of, role_of, root_mode, target_mode,
};
use crate::event::digest::EventId;
use crate::event::{Action, Id, Timestamp};
use crate::hash::FastState;
use crate::store::{Edge, EdgeKind, Rel, Seq, TraceStore, keys};
use crate::{Error, ErrorKind};

/// Orders nodes as their store keys ([`keys::node_key`]: length byte, then body) without building the keys.
pub(super) fn node_order(a: &Id, b: &Id) -> std::cmp::Ordering {
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

/// The far end of an "unpack all" marker.
pub(super) const NO_NODE: u32 = u32::MAX;

/// One edge in the adjacency: like [`Edge`], with the far end, relation and event interned.
#[derive(Clone, Copy, Debug)]
pub(super) struct AdjEdge {
    pub(super) to: u32,
    pub(super) rel: u16,
    pub(super) kind: EdgeKind,
    pub(super) action: Option<Action>,
    pub(super) event: u32,
    pub(super) time: Timestamp,
    pub(super) seq: Seq,
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
/// walks: a walk over it gives exactly the steps, in the same order, as [`walk`](super::walk()) over the store it was loaded
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
    pub(super) ids: Vec<Id>,
    pub(super) index: HashMap<Id, u32, FastState>,
    pub(super) base: Vec<Base>,
    pub(super) loaded: Vec<bool>,
    pub(super) children: Vec<bool>,
    pub(super) offsets: Vec<usize>,
    pub(super) edges: Vec<AdjEdge>,
    pub(super) rels: Vec<Rel>,
    pub(super) events: Vec<EventId>,
}

/// Collects nodes and edge lists, numbering as it goes; [`Builder::finish`] renumbers in store-key order.
#[derive(Default)]
pub(super) struct Builder {
    pub(super) ids: Vec<Id>,
    pub(super) index: HashMap<Id, u32, FastState>,
    /// Per node: its edges once loaded.
    pub(super) lists: Vec<Option<Vec<AdjEdge>>>,
    /// Per node: already waiting to be loaded.
    pub(super) queued: Vec<bool>,
    pub(super) rels: Vec<Rel>,
    pub(super) events: Vec<EventId>,
    pub(super) event_index: HashMap<EventId, u32, FastState>,
}

pub(super) fn too_many(what: &str) -> Error {
    Error::msg(ErrorKind::Length, format!("adjacency holds at most 2^32 - 1 {what}"))
}

impl Builder {
    pub(super) fn intern(&mut self, id: &Id) -> Result<u32, Error> {
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
    pub(super) fn enqueue(&mut self, n: u32) -> bool {
        match self.queued.get_mut(n as usize) {
            Some(q) if !*q => {
                *q = true;
                true
            }
            _ => false,
        }
    }

    /// Loads node `me`'s edges from the store; pushes far ends reached over genealogy edges onto `todo`.
    pub(super) fn load<S: TraceStore + ?Sized>(
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
    pub(super) fn load_from<S: TraceStore + ?Sized>(&mut self, store: &S, roots: &[Id]) -> Result<(), Error> {
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

    pub(super) fn finish(self) -> Adjacency {
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

/// Per-node walk state of [`Adjacency::walk_compact`]: the state and transitions of [`rules::Info`](super::rules::Info)
/// (`reached`, `reached_again`, `to_read`, `announce`), kept in one flat array per field (zeroed pages are cheap):
/// a `Vec<Option<Info>>` here measured 12% slower on `tracecode bench trace`.
pub(super) struct Marks {
    /// 0 unvisited, else mode + 1.
    pub(super) mode: Vec<u8>,
    /// 0 not expanded, else the mode + 1 it was expanded in.
    pub(super) expanded: Vec<u8>,
    pub(super) queued: Vec<bool>,
    /// 0 not announced, else role + 1.
    pub(super) announced: Vec<u8>,
    pub(super) depth: Vec<usize>,
    pub(super) hand: Vec<u8>,
    pub(super) contained: Vec<bool>,
}

pub(super) const fn mode_from(code: u8) -> Option<Mode> {
    match code {
        1 => Some(Mode::Terminal),
        2 => Some(Mode::Up),
        3 => Some(Mode::Lineage),
        4 => Some(Mode::Down),
        _ => None,
    }
}

pub(super) const fn mode_code(m: Mode) -> u8 {
    match m {
        Mode::Terminal => 1,
        Mode::Up => 2,
        Mode::Lineage => 3,
        Mode::Down => 4,
    }
}

pub(super) const fn role_code(r: NodeRole) -> u8 {
    match r {
        NodeRole::HandOver => 1,
        NodeRole::Holder => 2,
        NodeRole::Lineage => 3,
        NodeRole::Root => 4,
    }
}

pub(super) fn not_loaded() -> Error {
    Error::msg(ErrorKind::InvalidArgument, "the adjacency was not loaded with this node's edges")
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
    pub(super) fn edge_ref(&self, from: u32, i: usize) -> Option<EdgeRef<'_>> {
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

    pub(super) fn list(&self, n: u32) -> &[AdjEdge] {
        let i = n as usize;
        match (self.offsets.get(i), self.offsets.get(i.saturating_add(1))) {
            (Some(&a), Some(&b)) => self.edges.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    }

    pub(super) fn rel(&self, e: &AdjEdge) -> &Rel {
        self.rels.get(usize::from(e.rel)).unwrap_or(&Rel::Parent)
    }

    pub(super) fn is_loaded(&self, n: u32) -> bool {
        self.loaded.get(n as usize).copied().unwrap_or(false)
    }

    pub(super) fn unpacked(
        &self,
        parent: u32,
        kind: EdgeKind,
        at: (Timestamp, Seq),
        opts: &TraceOptions,
    ) -> Result<bool, Error> {
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

    /// The edge filter of [`rules::select`] over the adjacency's edges of node `v`. A copy specialised to the
    /// adjacency's interned edges: calling the shared filter measured 13% slower on the adjacency walk
    /// (`tracecode bench trace`, same run; the store walk calls it at no measurable cost). The model tests
    /// (`tests/it/trace.rs`) hold the two walks to the same steps.
    #[allow(clippy::too_many_arguments, reason = "the walk's state, passed down rather than bundled for one call")]
    pub(super) fn select(
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

    /// [`walk`](super::walk()) over the adjacency from node number `root`, reporting [`CompactStep`]s.
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

    /// [`walk`](super::walk()) over the adjacency: the same steps, in the same order, as the store walk. A root the adjacency
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
            return Err(Error::msg(ErrorKind::Corrupt, "adjacency numbering is inconsistent"));
        }
        Ok(summary)
    }

    /// [`trace`](super::trace()) over the adjacency; states (when asked for) come from `store`.
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

    use crate::event::Id;

    use crate::store::keys;

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
}
