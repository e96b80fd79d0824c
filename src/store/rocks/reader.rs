//! Reading: [`Reader`], a per-thread handle with reused iterators (resolutions, states, neighbours), and the
//! [`View`] it reads, one consistent state of the store shared with the hot tier.

use std::sync::Arc;

use rocksdb::{DB, DBRawIterator, ReadOptions, SnapshotWithThreadMode};

use super::Store;
use super::edges::{decode_bundle, decode_edge_value};
use super::error::io;
use crate::Error;
use crate::code::TraceKey;
use crate::event::digest::{EventId, Link};
use crate::event::frame;
use crate::event::{Event, Id, Timestamp};
use crate::store::keys::{self, Cur, UNPACK_ALL, corrupt, unseal};
use crate::store::state::Fold;
use crate::store::{Chain, ChainBuilder, Edge, EdgeKind, Resolution, Seq, State, derive_state};

/// One consistent state of the store: a RocksDB snapshot and the hot-tier epoch it was taken at. Shared (an
/// `Arc`) by a session's reader and the readers it lends to a walk's threads, so a whole trace reads one state.
#[derive(Clone)]
pub(crate) struct View<'s> {
    snap: Arc<SnapshotWithThreadMode<'s, DB>>,
    /// The hot-tier epoch read just before the snapshot was taken.
    epoch: u64,
    /// True when no commit was in progress or began while the snapshot was taken (the epoch was even and did not
    /// move): the snapshot is then exactly the state of `epoch`, and tier entries stamped at or before it are
    /// answers from this state. Otherwise the view reads RocksDB only.
    hot_ok: bool,
}

impl<'s> View<'s> {
    pub(super) fn take(store: &'s Store) -> Self {
        let e1 = store.hot.epoch();
        let snap = store.db.snapshot();
        let e2 = store.hot.epoch();
        Self { snap: Arc::new(snap), epoch: e1, hot_ok: e1 == e2 && e1.is_multiple_of(2) }
    }

    /// Read options over this view's snapshot.
    pub(super) fn read_options(&self, mut ro: ReadOptions) -> ReadOptions {
        ro.set_snapshot(&*self.snap);
        ro
    }

    /// `ro` over `view`'s snapshot, or over the latest state for `None`.
    pub(super) fn options(view: Option<&Self>, ro: ReadOptions) -> ReadOptions {
        match view {
            Some(v) => v.read_options(ro),
            None => ro,
        }
    }

    /// The hot tier's answer for `node` as of this view, if it has one.
    fn hot_get(&self, store: &Store, node: &[u8]) -> Option<Arc<Resolution>> {
        if self.hot_ok { store.hot.get_at(node, self.epoch) } else { None }
    }
}

impl Store {
    /// A reader that reuses its RocksDB iterators across calls — the fast path for a worker thread resolving
    /// many codes. It stays coherent with ingest (its iterators are refreshed after every commit). See "Which
    /// handle to read with" in the [`store`](crate::store) docs.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("tracecode-reader-{}", std::process::id()));
    /// use tracecode::store::{Options, Store};
    /// let store = Store::open(&dir, Options::default())?;
    /// let mut reader = store.reader();
    /// for scan in ["(01)09506000134352(21)A1", "(01)09506000134352(21)A2"] {
    ///     assert!(reader.resolve(scan)?.is_none()); // an empty store knows no code
    /// }
    /// # drop(reader); drop(store); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(self, None)
    }
}

/// A per-thread reading handle with reused iterators ([`Store::reader`]).
///
/// Each call sees every ingest that returned before it, and never part of a batch: a batch is visible to a
/// reader all at once or not at all, and once a reader has seen it, later calls see it too. A reader
/// [pinned](Self::pin) reads one snapshot across calls (what a session and a trace do).
pub struct Reader<'s> {
    store: &'s Store,
    // The iterators are declared before the view whose snapshot they read, so they are dropped first.
    chain: Option<DBRawIterator<'s>>,
    edge: Option<DBRawIterator<'s>>,
    /// The one state both iterators read, so an answer that uses chains and edges (a state at a time, a
    /// trace step) never mixes two commits, whichever iterator is created first.
    pub(super) view: Option<View<'s>>,
    /// Keep `view` across calls instead of moving to the latest commit.
    pinned: bool,
}

impl<'s> Reader<'s> {
    pub(super) fn new(store: &'s Store, view: Option<View<'s>>) -> Self {
        let pinned = view.is_some();
        Self { store, chain: None, edge: None, view, pinned }
    }

    /// Moves an unpinned reader to the latest state when a commit began since its view was taken (dropping its
    /// iterators), so reads see every ingest that returned; returns the view.
    pub(super) fn freshen(&mut self) -> &View<'s> {
        let current = self.store.hot.epoch();
        let stale = match &self.view {
            None => true,
            Some(v) => !self.pinned && v.epoch != current,
        };
        if stale {
            self.chain = None;
            self.edge = None;
            self.view = None;
        }
        let store = self.store;
        self.view.get_or_insert_with(|| View::take(store))
    }

    /// From now on reads one snapshot, the state as of this call, until [`Self::unpin`]: an answer assembled
    /// from several calls (a trace, a batch of resolutions) then never mixes two commits.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("tracecode-pin-{}", std::process::id()));
    /// use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
    /// use tracecode::store::{Options, Store, TraceStore};
    /// let store = Store::open(&dir, Options::default())?;
    /// let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000), TzOffset::UTC);
    /// e.action = Some(Action::Add);
    /// e.epc_list.push(Id::parse("urn:epc:id:sgtin:0614141.107346.1")?);
    /// let mut r = store.reader();
    /// r.pin();
    /// store.ingest(vec![e])?;
    /// assert!(r.resolve("urn:epc:id:sgtin:0614141.107346.1")?.is_none()); // still the pinned state
    /// r.unpin();
    /// assert!(r.resolve("urn:epc:id:sgtin:0614141.107346.1")?.is_some());
    /// # drop(r); drop(store); std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn pin(&mut self) {
        self.chain = None;
        self.edge = None;
        self.view = Some(View::take(self.store));
        self.pinned = true;
    }

    /// Returns to reading the latest state on every call.
    pub fn unpin(&mut self) {
        self.pinned = false;
    }

    /// The cached answer for `node` this reader may use: any cached answer when unpinned (it is always the
    /// committed one), one from no later than the view when pinned.
    fn hot_get(&self, node: &[u8]) -> Option<Arc<Resolution>> {
        if self.pinned {
            self.view.as_ref().and_then(|v| v.hot_get(self.store, node))
        } else {
            self.store.hot.get(node)
        }
    }

    /// Prefix-scan options reading the reader's view (taken now if there is none). Never moves to a newer
    /// view: only a call's entry point does ([`Self::freshen`]), so one call reads one state.
    fn snapshot_options(&mut self) -> ReadOptions {
        let store = self.store;
        self.view.get_or_insert_with(|| View::take(store)).read_options(Store::prefix_read_options())
    }

    fn chain_it(&mut self) -> Result<&mut DBRawIterator<'s>, Error> {
        if self.chain.is_none() {
            let cf = self.store.cf("chain")?;
            let ro = self.snapshot_options();
            self.chain = Some(self.store.db.raw_iterator_cf_opt(cf, ro));
        }
        self.chain.as_mut().ok_or_else(|| corrupt("chain", "iterator"))
    }

    pub(super) fn edge_it(&mut self) -> Result<&mut DBRawIterator<'s>, Error> {
        if self.edge.is_none() {
            let cf = self.store.cf("edge")?;
            let ro = self.snapshot_options();
            self.edge = Some(self.store.db.raw_iterator_cf_opt(cf, ro));
        }
        self.edge.as_mut().ok_or_else(|| corrupt("edge", "iterator"))
    }

    /// Reads a node's chain (frames fetched from `event` when not inline) and its state record: one prefix
    /// scan, no frame decoded.
    pub(super) fn scan(&mut self, node: &[u8]) -> Result<(Chain, Option<(Link, Fold)>), Error> {
        // Sized for a typical chain (about nine entries of ~300 bytes), so it rarely regrows.
        let mut b = ChainBuilder::with_capacity(16, 4096);
        let mut missing = Vec::new();
        let mut record = None;
        {
            let it = self.chain_it()?;
            it.seek(node);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                // Node keys carry their length, so every key starting with `node` is this node's.
                let Some(suffix) = k.strip_prefix(node) else { break };
                if let Ok(seq) = <[u8; 8]>::try_from(suffix) {
                    let mut c = Cur::new(unseal(k, v, "chain")?, "chain");
                    let inline = c.u8()? & 1 == 1;
                    let link = Link(c.arr()?);
                    let id = c.event_id()?;
                    if !inline {
                        missing.push(b.len());
                    }
                    b.push(u64::from_be_bytes(seq), id, link, if inline { c.rest() } else { &[] })?;
                } else if suffix == keys::STATE_SUFFIX {
                    record = Some(keys::decode_state(unseal(k, v, "state")?)?);
                    break;
                } else {
                    break;
                }
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        let chain = b.build();
        if missing.is_empty() {
            Ok((chain, record))
        } else {
            Ok((self.store.fill_frames(&chain, &missing, self.view.as_ref())?, record))
        }
    }

    /// A chain's events decoded with the store's decoder (the record CRC already covered the frames).
    pub(super) fn decoded(chain: &Chain) -> Result<Vec<(Seq, EventId, Event)>, Error> {
        let mut out = Vec::with_capacity(chain.len());
        for (i, e) in chain.entries().iter().enumerate() {
            let f = chain.frame(i).ok_or_else(|| corrupt("chain", "frame range"))?;
            out.push((e.seq, e.id, frame::decode_stored(f).map_err(|x| corrupt("chain", &x.to_string()))?));
        }
        Ok(out)
    }

    /// The identifier of the node whose key is `node`, from its chain's decoded events (the chain stores node
    /// keys, which a long URI's hash makes irreversible).
    pub(super) fn chain_node(node: &[u8], events: &[(Seq, EventId, Event)]) -> Result<Id, Error> {
        events
            .iter()
            .flat_map(|(_, _, e)| crate::store::derive::nodes(e))
            .find(|n| keys::node_key(n) == node)
            .cloned()
            .ok_or_else(|| corrupt("chain", "no event of the chain is about its node"))
    }

    /// Does `container` have an "unpack all" aggregation DELETE after (t, q) and at or before `at`?
    pub(super) fn unpacked_after(
        &mut self,
        container: &Id,
        t: Timestamp,
        q: Seq,
        at: Option<Timestamp>,
    ) -> Result<bool, Error> {
        let mut start = keys::node_key(container);
        start.push(UNPACK_ALL);
        let it = self.edge_it()?;
        it.seek(&start);
        let mut found = false;
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&start) {
                break;
            }
            let seq = u64::from_be_bytes(k.get(start.len()..).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
            let e = decode_edge_value(k, v, UNPACK_ALL, seq)?;
            if e.kind == EdgeKind::Aggregation && (e.time, e.seq) > (t, q) && at.is_none_or(|a| e.time <= a) {
                found = true;
                break;
            }
            it.next();
        }
        Ok(found)
    }

    /// Resolves a node given its node key.
    fn resolve_node(&mut self, node: &[u8], id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        if let Some(r) = self.hot_get(node) {
            return Ok(Some(r));
        }
        self.resolve_cold(node, id)
    }

    /// Resolves from RocksDB (the hot tier missed) and caches the answer: one prefix scan for the chain and
    /// the materialised state.
    fn resolve_cold(&mut self, node: &[u8], id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.read_node(node, id, true)
    }

    /// Reads a node from RocksDB, offering the answer to the hot tier when `cache`.
    pub(super) fn read_node(&mut self, node: &[u8], id: &Id, cache: bool) -> Result<Option<Arc<Resolution>>, Error> {
        if !self.store.known.may_contain(node) {
            return Ok(None);
        }
        let epoch = self.freshen().epoch;
        let (chain, record) = self.scan(node)?;
        if chain.is_empty() {
            return if record.is_some() { Err(corrupt("state", "a state record without a chain")) } else { Ok(None) };
        }
        let Some((head, fold)) = record else { return Err(corrupt("state", "a chain without its state record")) };
        if Some(head) != chain.head() {
            return Err(corrupt("state", "the state record's head is not the chain's last link"));
        }
        // The record is complete: ingest keeps "unpacked as a whole" materialised in it. A store of an older
        // format opened read-only has records folded by older rules: derive the state afresh instead.
        let state = if self.store.stale_states { self.refold(node, &chain)?.state } else { fold.state };
        let charge = std::mem::size_of::<Resolution>() + 64 + node.len() + state_heap(&state) + chain.heap_bytes();
        let r = Arc::new(Resolution { id: id.clone(), state, chain });
        if cache {
            self.store.hot.insert(node, Arc::clone(&r), charge, epoch);
        }
        Ok(Some(r))
    }

    /// [`TraceStore::resolve_key`](crate::store::TraceStore::resolve_key) through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    pub fn resolve_key(&mut self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        // The hot path: the node key built on the stack, one probe of the hot tier, no allocation.
        let b = key.as_bytes();
        let mut buf = [0u8; 256];
        if let (Ok(len), Some(dst)) = (u8::try_from(b.len()), buf.get_mut(1..=b.len())) {
            dst.copy_from_slice(b);
            buf[0] = len;
            if let Some(node) = buf.get(..=b.len()) {
                return match self.hot_get(node) {
                    Some(r) => Ok(Some(r)),
                    None => self.resolve_cold(node, &Id::Key(key.clone())),
                };
            }
        }
        // Keys over 255 bytes use the hashed node form.
        self.resolve_node(&keys::key_node(key), &Id::Key(key.clone()))
    }

    /// [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id) through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    pub fn resolve_id(&mut self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.resolve_node(&keys::node_key(id), id)
    }

    /// [`TraceStore::resolve`](crate::store::TraceStore::resolve) (parse, then resolve) through this reader's
    /// iterators.
    ///
    /// # Errors
    /// The parse error for bad input; otherwise as [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    pub fn resolve(&mut self, input: &str) -> Result<Option<Arc<Resolution>>, Error> {
        let key = crate::code::scan_key(input)?;
        self.resolve_key(&key)
    }

    /// [`TraceStore::state_at`](crate::store::TraceStore::state_at) through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    pub fn state_at(&mut self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.freshen();
        let (chain, _) = self.scan(&keys::node_key(id))?;
        if chain.is_empty() {
            return Ok(None);
        }
        let events = Self::decoded(&chain)?;
        derive_state(id, events.iter().map(|(q, i, e)| (*q, *i, e)), Some(at), &mut |c, t, q| {
            self.unpacked_after(c, t, q, Some(at))
        })
        .map(Some)
    }

    /// [`TraceStore::neighbours`](crate::store::TraceStore::neighbours) through this reader's iterators.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    pub fn neighbours(&mut self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.freshen();
        let nk = keys::node_key(node);
        let start = out.len();
        let mut bundles = false;
        let it = self.edge_it()?;
        it.seek(&nk);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if keys::node_prefix(k) != nk.as_slice() || k.len() < nk.len() + 9 {
                break;
            }
            let rel = k.get(nk.len()).copied().unwrap_or(0);
            let seq =
                u64::from_be_bytes(k.get(nk.len() + 1..nk.len() + 9).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
            if rel == keys::HANDOVER || rel == keys::HANDED {
                bundles = true;
                decode_bundle(k, v, seq, out)?;
            } else {
                out.push(decode_edge_value(k, v, rel, seq)?);
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        if bundles {
            // Bundled hand-overs sort after the per-edge records; restore the documented (rel, seq, ...) order.
            if let Some(mine) = out.get_mut(start..) {
                mine.sort_by_cached_key(keys::edge_suffix);
            }
        }
        Ok(())
    }
}

/// Heap bytes of a state's ids and terms (the hot tier's charge for them).
fn state_heap(s: &State) -> usize {
    let id = |i: &Option<Id>| match i {
        None => 0,
        Some(Id::Key(k)) => 24 + k.as_bytes().len(),
        Some(Id::Uri(u)) => 24 + u.len(),
    };
    [&s.read_point, &s.biz_location, &s.container, &s.owner, &s.possessor, &s.responsible]
        .into_iter()
        .map(id)
        .sum::<usize>()
        + s.persistent.len() * std::mem::size_of::<crate::event::Disposition>()
}
