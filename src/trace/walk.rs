//! The store walk: breadth-first over a [`TraceStore`], each level sorted by store key, visited nodes in an
//! open-addressing table over the walk's own arena of node-key bytes.
//!
//! # Why the store walk is built the way it is
//! A million-node walk over RocksDB spent most of its time outside RocksDB: every edge became an owned [`Edge`]
//! (an allocated far-end identifier, a parsed source/destination type), then was hashed and cloned into a
//! `HashMap<Id, _>` visited set, and every node cost a seek. Now, on a store with an
//! [`EdgeSource`](crate::store::EdgeSource) (the RocksDB [`Store`](crate::store::Store) and its sessions):
//! - edges are read zero-copy ([`EdgeView`](crate::store::EdgeView); every record's CRC still checked) into
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

use std::collections::HashMap;
use std::ops::ControlFlow;

use super::edges::{BufSpec, EdgeBuf, FAR_NONE, FAR_URI, ReadEdge};
use super::model::{Direction, EdgeRef, Step, TraceOptions, WalkSummary};
use super::read_ahead::{KeyList, ReadAhead, Shared, TOUCH_AHEAD, WalkTuning};
use super::rules::{self, Facts, Info, Mode, base_of, classify};
use crate::code::TraceKey;
use crate::event::{Action, Id, Timestamp};
use crate::hash::FastState;
use crate::store::{Edge, EdgeKind, IdRef, Seq, TraceStore, keys};
use crate::{Error, ErrorKind};

/// Sorts a frontier by store key. The first 32 key bytes are compared as two integers held next to the node
/// number, so a million-node level is sorted without following a pointer per comparison; equal prefixes fall
/// back to the whole keys.
pub(super) fn sort_level(nodes: &[Visited], arena: &[u8], level: &mut Vec<u32>, keyed: &mut Vec<(u128, u128, u32)>) {
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
pub(super) struct Visited {
    pub(super) key: (usize, usize),
    pub(super) id: (usize, usize),
    pub(super) uri: bool,
    pub(super) info: Info,
}

/// The hash a [`NodeTable`] files a node key under.
pub(super) fn hash_key(hasher: &FastState, key: &[u8]) -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

/// Node key → position in [`Walker::nodes`]: open addressing over the walk's own key arena, so a lookup compares
/// bytes the walk already holds and a new node costs no second copy of its key. Each slot keeps the high half of
/// its key's hash, and the slot position is taken from its top bits, so growing never rehashes a key.
pub(super) struct NodeTable {
    /// (high half of the hash, position + 1); 0 marks an empty slot.
    pub(super) slots: Vec<(u32, u32)>,
    /// `slots.len() == 1 << bits`.
    pub(super) bits: u32,
    pub(super) len: usize,
    pub(super) hasher: FastState,
}

/// Most nodes a walk holds (the table stays at most half full of 2^32 slots).
pub(super) const MAX_WALK_NODES: usize = 1 << 31;

impl NodeTable {
    pub(super) fn new() -> Self {
        Self { slots: vec![(0, 0); 64], bits: 6, len: 0, hasher: FastState::default() }
    }

    #[allow(clippy::cast_possible_truncation, reason = "the tag is the high half of the hash")]
    pub(super) const fn tag(h: u64) -> u32 {
        (h >> 32) as u32
    }

    pub(super) const fn home(&self, tag: u32) -> usize {
        (tag >> (32 - self.bits)) as usize
    }

    /// Reads the slot a hash goes to, so a later [`Self::find`] finds it in cache (touching many ahead overlaps
    /// their memory latencies).
    pub(super) fn touch(&self, h: u64) -> u32 {
        self.slots.get(self.home(Self::tag(h))).map_or(0, |s| s.1)
    }

    /// The node with this key, or the empty slot where it would go.
    pub(super) fn find(&self, key: &[u8], h: u64, nodes: &[Visited], arena: &[u8]) -> Result<u32, usize> {
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
    pub(super) fn insert(&mut self, h: u64, j: u32) {
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

    pub(super) fn place(&mut self, tag: u32, n: u32) {
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

pub(super) struct Walker<'s, S: TraceStore + ?Sized> {
    pub(super) store: &'s S,
    pub(super) dir: Direction,
    pub(super) opts: &'s TraceOptions,
    /// Node keys of `nodes`, back to back.
    pub(super) arena: Vec<u8>,
    pub(super) table: NodeTable,
    pub(super) nodes: Vec<Visited>,
    /// "Unpack all" markers of containers met as parents (as-of walks only), by node key: (kind, time, seq).
    pub(super) markers: HashMap<Vec<u8>, Vec<(EdgeKind, Timestamp, Seq)>, FastState>,
    pub(super) scratch: Vec<Edge>,
    pub(super) summary: WalkSummary,
}

/// What [`Walker::visit`] is given of the level loop's state.
pub(super) struct Level<'l> {
    pub(super) within_depth: bool,
    pub(super) depth: usize,
    pub(super) max_nodes: usize,
    pub(super) next: &'l mut Vec<u32>,
    pub(super) full: &'l mut bool,
    pub(super) chosen: &'l mut Vec<usize>,
}

impl<S: TraceStore + ?Sized> Walker<'_, S> {
    /// Whether the parent at the far end of `e` was unpacked entirely (a DELETE naming no children) after `at`
    /// and within the filters (its markers read once per walk).
    pub(super) fn unpacked_far(
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

    /// Indices of the edges in `edges` to follow in `mode`, leaving out what `before` already followed
    /// ([`rules::select`] over the edges as read).
    pub(super) fn select(
        &mut self,
        buf: &EdgeBuf,
        edges: &[ReadEdge],
        mode: Mode,
        before: Option<Mode>,
        out: &mut Vec<usize>,
    ) -> Result<(), Error> {
        let (dir, opts) = (self.dir, self.opts);
        let facts = |e: &ReadEdge| Facts {
            far: (e.to != FAR_NONE).then(|| buf.far_key(e)),
            rel: buf.rel(e),
            kind: e.kind,
            action: e.action,
            time: e.time,
            seq: e.seq,
        };
        rules::select(edges, facts, dir, opts, mode, before, |e, kind, at| self.unpacked_far(buf, e, kind, at), out)
    }

    /// Adds a new node: its key and identifier bytes go to the arena (the identifier is the key's tail unless the
    /// key is a hash); the caller has checked the limits.
    pub(super) fn add(&mut self, key: &[u8], id: &[u8], uri: bool, h: u64, info: Info) -> Option<u32> {
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
    pub(super) fn id_of(&self, v: u32) -> Result<Id, Error> {
        let n = self.nodes.get(v as usize).ok_or_else(|| Error::msg(ErrorKind::Corrupt, "walk node"))?;
        let b = self.arena.get(n.id.0..n.id.1).unwrap_or_default();
        Ok(if n.uri {
            Id::Uri(std::str::from_utf8(b).map_err(|_| Error::msg(ErrorKind::Corrupt, "walk node"))?.into())
        } else {
            Id::Key(TraceKey::from_stored(b))
        })
    }

    /// Adds the far end of `e` (the rules' [`Info::reached`]), or strengthens it if visited; returns its
    /// position (and its identifier when it is new), or `None` when `max_nodes` refuses a new node. Pushes the
    /// node to `next` when it must be processed again.
    pub(super) fn reach(
        &mut self,
        buf: &EdgeBuf,
        e: &ReadEdge,
        depth: usize,
        max_nodes: usize,
        next: &mut Vec<u32>,
    ) -> Result<Option<(u32, Option<Id>)>, Error> {
        let rel = buf.rel(e);
        let key = buf.far_key(e);
        let h = e.hash;
        if let Ok(j) = self.table.find(key, h, &self.nodes, &self.arena) {
            if let Some(t) = self.nodes.get_mut(j as usize)
                && t.info.reached_again(self.dir, rel)
            {
                next.push(j);
            }
            return Ok(Some((j, None)));
        }
        if self.summary.nodes >= max_nodes {
            return Ok(None);
        }
        let Some(id) = buf.far_id(e)? else { return Ok(None) };
        let info = Info::reached(self.dir, rel, depth, base_of(&id));
        let id_bytes = buf.bytes.get(e.id.0..e.id.1).unwrap_or_default();
        let Some(j) = self.add(key, id_bytes, e.to == FAR_URI, h, info) else { return Ok(None) };
        self.summary.nodes += 1;
        next.push(j);
        Ok(Some((j, Some(id))))
    }

    /// Loads the table slots the far ends of spans `from..to` of `buf` hash to. A walk looks most far ends up soon
    /// after; loading their slots a few nodes ahead, independently of each other, overlaps the cache and TLB
    /// misses of a table too large for the caches instead of taking them one at a time.
    pub(super) fn touch(&self, buf: &EdgeBuf, from: usize, to: usize) {
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
    pub(super) fn plan(&self, level: &[u32], full: bool, ahead: &mut ReadAhead<'_, '_>) -> Vec<u32> {
        let mut plan = Vec::new();
        let mut list = KeyList::default();
        for &v in level {
            let Some(n) = self.nodes.get(v as usize) else { continue };
            if n.info.to_read(full) {
                plan.push(v);
                list.bytes.extend_from_slice(self.arena.get(n.key.0..n.key.1).unwrap_or_default());
                list.ends.push(list.bytes.len());
            }
        }
        ahead.start(list);
        plan
    }

    /// Reads a node's edges on this thread into `own` (a node not read ahead): its span there.
    pub(super) fn read_now(
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

    pub(super) fn run(
        mut self,
        root: &Id,
        mut ahead: Option<&mut ReadAhead<'_, '_>>,
        sink: &mut dyn FnMut(Step<'_>) -> ControlFlow<()>,
    ) -> Result<WalkSummary, Error> {
        let max_nodes = self.opts.max_nodes.unwrap_or(usize::MAX).max(1);
        let root_key = keys::node_key(root);
        let info = Info::root(self.dir, base_of(root));
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
                let read = node.info.to_read(full);
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
    pub(super) fn visit(
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
        if let Some((role, again)) = info.announce() {
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
            let Some((j, new)) = self.reach(buf, e, lv.depth, lv.max_nodes, lv.next)? else {
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
/// (see the [module docs](super) for what is followed); return [`ControlFlow::Break`] from the sink to stop.
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
        markers: HashMap::with_hasher(FastState::default()),
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
