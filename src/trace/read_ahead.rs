//! Reading a level ahead on a second thread while the walking thread follows edges.
//!
//! Steps are still reported by one thread in one deterministic order, so results do not depend on which
//! thread read what.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use super::edges::{BufSpec, EdgeBuf};
use crate::store::{EdgeReader, EdgeSource};

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

/// How many nodes ahead of the one it expands a walk loads the table slots of far ends ([`Walker::touch`](super::walk::Walker::touch)).
pub(super) const TOUCH_AHEAD: usize = 8;

/// Chunks a reading thread may run ahead of the walk (bounds the read-ahead memory).
pub(super) const WINDOW: usize = 64;

/// The node keys a level reads, back to back.
#[derive(Debug, Default)]
pub(super) struct KeyList {
    pub(super) bytes: Vec<u8>,
    pub(super) ends: Vec<usize>,
}

impl KeyList {
    pub(super) fn get(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).and_then(|j| self.ends.get(j)).copied().unwrap_or(0);
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// What the walking thread and the reading thread share.
#[derive(Default)]
pub(super) struct Pipe {
    /// The level being read (a chunk finished for an older one is dropped).
    pub(super) generation: u64,
    pub(super) keys: Arc<KeyList>,
    pub(super) chunk: usize,
    pub(super) chunks: usize,
    /// Chunks handed out to a thread, in order.
    pub(super) claimed: usize,
    /// Chunks the walk has taken.
    pub(super) taken: usize,
    pub(super) ready: Vec<Option<EdgeBuf>>,
    pub(super) spare: Vec<EdgeBuf>,
    pub(super) spec: BufSpec,
    pub(super) done: bool,
    pub(super) helper_gone: bool,
}

#[derive(Default)]
pub(super) struct Shared {
    pub(super) pipe: Mutex<Pipe>,
    pub(super) cv: Condvar,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Pipe> {
        // Every update of the pipe is a few field writes; a panic elsewhere leaves it consistent.
        self.pipe.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn wait<'a>(&self, g: MutexGuard<'a, Pipe>) -> MutexGuard<'a, Pipe> {
        self.cv.wait(g).unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Claims the next chunk if the window allows: (chunk, generation, keys, a buffer to fill).
pub(super) fn claim(p: &mut Pipe) -> Option<(usize, u64, Arc<KeyList>, EdgeBuf)> {
    if p.claimed >= p.chunks || p.claimed >= p.taken.saturating_add(WINDOW) {
        return None;
    }
    let c = p.claimed;
    p.claimed += 1;
    Some((c, p.generation, Arc::clone(&p.keys), spare(p)))
}

/// A buffer to fill: a used one, or a new one hashing with the walk's key.
pub(super) fn spare(p: &mut Pipe) -> EdgeBuf {
    p.spare.pop().unwrap_or_else(|| EdgeBuf::new(&p.spec))
}

/// Reads chunk `c` of `keys` into `buf`.
pub(super) fn fill(reader: &mut dyn EdgeReader, keys: &KeyList, chunk: usize, c: usize, buf: &mut EdgeBuf) {
    buf.clear();
    let start = c.saturating_mul(chunk);
    for i in start..start.saturating_add(chunk).min(keys.len()) {
        buf.read(reader, keys.get(i));
    }
}

/// Marks the reading thread gone when it ends (even by a panic), so the walk never waits for it in vain.
pub(super) struct Gone<'a>(&'a Shared);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.lock().helper_gone = true;
        self.0.cv.notify_all();
    }
}

/// The reading thread: fills chunks ahead of the walk until told it is done.
pub(super) fn helper(src: &dyn EdgeSource, sh: &Shared) {
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
pub(super) struct ReadAhead<'scope, 'env> {
    pub(super) src: &'env dyn EdgeSource,
    pub(super) shared: &'env Shared,
    pub(super) scope: &'scope std::thread::Scope<'scope, 'env>,
    pub(super) reader: Box<dyn EdgeReader + 'env>,
    pub(super) helper: Option<std::thread::ScopedJoinHandle<'scope, ()>>,
    /// Starting a reading thread failed once: do not try again.
    pub(super) no_helper: bool,
    pub(super) tuning: WalkTuning,
}

impl<'scope, 'env> ReadAhead<'scope, 'env> {
    pub(super) fn new(
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
    pub(super) fn start(&mut self, keys: KeyList) {
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
    pub(super) fn take(&mut self, c: usize) -> EdgeBuf {
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
    pub(super) fn recycle(&self, mut buf: EdgeBuf) {
        buf.clear();
        self.shared.lock().spare.push(buf);
    }

    /// Stops the reading thread and waits for it (also on drop, so a panicking sink unwinds out of the walk
    /// instead of leaving the scope waiting for a thread that waits for work).
    pub(super) fn finish(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::TraceKey;
    use crate::event::digest::EventId;
    use crate::event::{Action, Event, EventType, Id, SourceDestType, Timestamp, TzOffset};
    use std::collections::HashMap;
    use std::ops::ControlFlow;
    use std::sync::{Arc, OnceLock};

    use crate::store::{Edge, EdgeKind, EdgeReader, EdgeSource, EdgeView, IngestReport, Seq, State, TraceStore, keys};
    use crate::trace::collect::trace;
    use crate::trace::model::{Direction, NodeRole, Step, TraceOptions, WalkSummary};
    use crate::trace::walk::{walk, walk_tuned};
    use crate::{Error, ErrorKind};

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
                return Err(Error::msg(ErrorKind::Corrupt, "damaged (test)"));
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
        fn event_query(&self, q: &crate::store::EventQuery) -> Result<crate::store::EventPage, Error> {
            self.mem.event_query(q)
        }
        fn put_master_data(
            &self,
            v: &[crate::masterdata::Vocabulary],
        ) -> Result<crate::masterdata::MasterDataReport, Error> {
            self.mem.put_master_data(v)
        }
        fn master_data_versions(&self) -> Result<Vec<crate::masterdata::ElementVersion>, Error> {
            self.mem.master_data_versions()
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
                return Err(Error::msg(ErrorKind::Corrupt, "damaged (test)"));
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
