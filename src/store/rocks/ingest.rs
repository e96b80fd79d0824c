//! The ingest pipeline ([`TraceStore::ingest`](crate::store::TraceStore::ingest) of a [`Store`]): duplicates,
//! error declarations, sequence numbers and the log's hash chain under the writer lock; the records built
//! (`records`, `edges`, `events`, `declare`) and encoded into one write batch (`batch`); the commit, with the
//! hot tier's epoch guard around it; and the writer's state the commit advances.

use std::collections::HashMap;
use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use rocksdb::{ReadOptions, WriteBatch, WriteOptions};

use super::Store;
use super::admin::{KNOWN_KEY, KNOWN_SAVE_EVERY};
use super::batch::{self, Entry, Pending};
use super::declare::{Declared, Target, too_big_declared};
use super::error::io;
use super::events::event_record_seq;
use super::open::cfi;
use super::prepare::{PARALLEL_MIN, join_helper, prepare};
use crate::event::Event;
use crate::event::digest::{EventId, Link};
use crate::event::frame;
use crate::hash::Keyed;
use crate::store::hot::HotTier;
use crate::store::keys::{self, COUNTERS_KEY, seal};
use crate::store::{IngestReport, LOG_GENESIS, Outcome, Seq, log_step};
use crate::{Error, ErrorKind};

/// A commit in progress on the hot tier ([`HotTier::begin_commit`]); ends it when dropped, so an early return or
/// a panic between the two cannot leave the tier refusing entries forever.
struct Commit<'h>(&'h HotTier);

impl<'h> Commit<'h> {
    fn begin(hot: &'h HotTier) -> Self {
        hot.begin_commit();
        Self(hot)
    }
}

impl Drop for Commit<'_> {
    fn drop(&mut self) {
        self.0.end_commit();
    }
}

/// The writer's state, behind [`Store`]'s writer lock: where the log ends, and what ingest keeps between batches.
pub(super) struct Writer {
    pub(super) last_seq: Seq,
    pub(super) log_hash: Link,
    /// Recently written state records (node → body), so ingest reads a busy node's head without RocksDB.
    pub(super) heads: HashMap<Vec<u8>, Box<[u8]>, Keyed>,
    pub(super) counters: [u64; 3],
    /// The log sequence the last saved known-node filter covers.
    pub(super) known_seq: Seq,
    /// The log sequence of the durability mark on disk, and when it was written.
    pub(super) marked_seq: Seq,
    pub(super) marked_at: std::time::Instant,
    /// The store has had a mark ([`durable::MARKED_KEY`](super::durable::MARKED_KEY)).
    pub(super) marked_before: bool,
    /// The state of the bench and test hooks ([`testing`](super::testing)).
    #[cfg(feature = "testing")]
    pub(super) hooks: super::testing::Hooks,
    /// The record buffers of the last batch, kept for the next.
    buffers: Buffers,
}

impl Writer {
    /// The state of an empty store (open then reads the log's).
    pub(super) fn new() -> Self {
        Self {
            last_seq: 0,
            log_hash: LOG_GENESIS,
            heads: HashMap::default(),
            counters: [0; 3],
            known_seq: 0,
            marked_seq: 0,
            marked_at: std::time::Instant::now(),
            marked_before: false,
            #[cfg(feature = "testing")]
            hooks: super::testing::Hooks::default(),
            buffers: Buffers::default(),
        }
    }
}

/// The reused buffers of ingest (see [`KEEP_BUFFER_BYTES`]).
#[derive(Default)]
struct Buffers {
    /// Arena and entries of the nodes' records.
    nodes: (Vec<u8>, Vec<Entry>),
    /// Arena and entries of the events' own records.
    own: (Vec<u8>, Vec<Entry>),
    /// The write-batch representation.
    rep: Vec<u8>,
}

/// An event of the batch that is not a duplicate: its index in the batch, its seq and the log hash after it.
pub(super) struct Accepted {
    pub(super) i: usize,
    pub(super) seq: Seq,
    pub(super) log_hash: Link,
}

/// Record buffers up to this size are kept for the next batch; a bigger one (from an unusually large batch)
/// is freed rather than held for the life of the store.
const KEEP_BUFFER_BYTES: usize = 64 << 20;

impl Store {
    pub(super) fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // Writer state is only updated after a successful commit, in one place; a panic elsewhere leaves it
        // consistent with the disk.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn poisoned_error() -> Error {
        Error::msg(ErrorKind::Poisoned, "an earlier write failed; reopen the store before writing again")
    }

    /// [`TraceStore::ingest`](crate::store::TraceStore::ingest): one batch, committed whole or not at all.
    #[allow(clippy::too_many_lines, reason = "one transaction, read top to bottom")]
    pub(super) fn ingest_events(&self, events: &[Event]) -> Result<IngestReport, Error> {
        // CPU work (validation, encoding, hashing) happens before taking the writer lock, so concurrent
        // ingest calls overlap it with each other's commits; a large batch splits it over two threads.
        self.writable()?;
        let mut prepared = prepare(events)?;
        if self.is_poisoned() {
            return Err(Self::poisoned_error());
        }
        let mut w = self.lock_writer();
        let event_cf = self.cf("event")?;
        let ro = ReadOptions::default();
        let existing = self.db.batched_multi_get_cf_opt(event_cf, prepared.iter().map(|p| &p.id.0[..]), false, &ro);
        let mut report = IngestReport::default();
        // Events accepted by this batch: id → (seq, index in the batch).
        let mut in_batch: HashMap<EventId, (Seq, usize), Keyed> = HashMap::default();
        // 1. Duplicates, error declarations, sequence numbers and the log's hash chain, in batch order.
        let mut accepted: Vec<Accepted> = Vec::with_capacity(events.len());
        let mut declared: Vec<Declared> = Vec::new();
        let mut seq = w.last_seq;
        let mut log_hash = w.log_hash;
        for (i, (id, found)) in prepared.iter().map(|p| &p.id).zip(existing).enumerate() {
            let declaring = events.get(i).is_some_and(|e| e.error_declaration.is_some())
                && !declared.iter().any(|d| prepared.get(d.i).is_some_and(|p| p.id == *id));
            let (dup, target) = if let Some(v) = found.map_err(|x| io(&x))? {
                let s = event_record_seq(&id.0, &v)?;
                // Only a declaring event pays for reading the stored frame.
                let stored = if declaring { self.stored_event(id)? } else { None };
                (
                    Some(s),
                    stored.filter(|st| st.event.error_declaration.is_none()).map(|st| Target::Stored(Box::new(st))),
                )
            } else if let Some(&(s, j)) = in_batch.get(id) {
                let undeclared = events.get(j).is_some_and(|e| e.error_declaration.is_none());
                (Some(s), (declaring && undeclared).then_some(Target::Batch(j)))
            } else {
                (None, None)
            };
            if let Some(target) = target {
                seq += 1;
                log_hash = log_step(&log_hash, seq, id);
                report.declared += 1;
                report.outcomes.push((*id, Outcome::Declared(seq)));
                declared.push(Declared { i, seq, log_hash, target });
                continue;
            }
            if let Some(s) = dup {
                report.duplicates += 1;
                report.outcomes.push((*id, Outcome::Duplicate(s)));
                continue;
            }
            seq += 1;
            in_batch.insert(*id, (seq, i));
            report.accepted += 1;
            report.outcomes.push((*id, Outcome::Accepted(seq)));
            log_hash = log_step(&log_hash, seq, id);
            accepted.push(Accepted { i, seq, log_hash });
        }
        if accepted.is_empty() && declared.is_empty() {
            return Ok(report);
        }
        // A declaration of an event earlier in this batch goes into that event's frame before it is written.
        for d in &declared {
            if let (Target::Batch(j), Some(decl)) = (&d.target, events.get(d.i))
                && let (Some(e), Some(p)) = (events.get(*j), prepared.get_mut(*j))
            {
                let mut merged = e.clone();
                merged.error_declaration.clone_from(&decl.error_declaration);
                p.frame = frame::encode(&merged).map_err(|x| too_big_declared(d.i, &x))?;
                p.declared = Some(d.seq);
            }
        }
        // 2. The records. The event's own records (event, log, index, edges, transformation joins) and the
        // nodes' records (chain entries, heads and state, class) are built into two arenas, on two threads for
        // a large batch: their families are disjoint, so neither needs the other's output until the unpack
        // check.
        let mut bufs = std::mem::take(&mut w.buffers);
        let mut own = Pending::new(std::mem::take(&mut bufs.own), events.len(), [0; 3]);
        let mut p = Pending::new(std::mem::take(&mut bufs.nodes), events.len(), w.counters);
        let (side, main) = std::thread::scope(|s| {
            let work = |own: &mut Pending| self.event_records(own, events, &prepared, &accepted, None);
            if accepted.len() >= PARALLEL_MIN {
                let mine = &mut own;
                let h = s.spawn(move || work(mine));
                let main = self.node_records(&mut p, &w, events, &prepared, &accepted);
                (join_helper(h), main)
            } else {
                let main = self.node_records(&mut p, &w, events, &prepared, &accepted);
                (work(&mut own), main)
            }
        });
        side?;
        main?;
        if !declared.is_empty() {
            Self::declaration_records(&mut own, events, &prepared, &declared)?;
        }
        p.counters[2] += own.counters[2];
        p.unpacks.append(&mut own.unpacks);
        p.unpack_parents.append(&mut own.unpack_parents);
        // State records: one per node this batch touched, rebuilt in full where an event arrived out of order.
        for (nk, head) in &mut p.heads {
            if head.stale {
                head.fold = self.rebuild_fold(nk, head, events)?;
            }
        }
        self.apply_unpacks(&mut p, &w)?;
        let mut records = Vec::with_capacity(p.heads.len());
        for (nk, head) in &p.heads {
            records.push((nk.clone(), keys::encode_state(&head.link, &head.fold)));
        }
        for (nk, body) in &records {
            let k0 = p.arena.len();
            p.arena.extend_from_slice(nk);
            p.arena.extend_from_slice(&keys::STATE_SUFFIX);
            let v0 = p.arena.len();
            p.arena.extend_from_slice(body);
            p.close(cfi::CHAIN, k0, v0);
        }
        p.sort();
        let mut c = Vec::with_capacity(28);
        for x in p.counters {
            c.extend_from_slice(&x.to_be_bytes());
        }
        seal(COUNTERS_KEY, &mut c);
        // Save the known-node filter with the batch every so often, so a reopen after a crash replays at most
        // that many events into it.
        let save_known = seq.saturating_sub(w.known_seq) >= KNOWN_SAVE_EVERY;
        let known = save_known.then(|| self.known_record(seq));
        let mut defaults: Vec<(&[u8], &[u8])> = vec![(COUNTERS_KEY, &c)];
        if let Some(k) = &known {
            defaults.push((KNOWN_KEY, k));
        }
        let mut rep = std::mem::take(&mut bufs.rep);
        batch::encode(&mut rep, &defaults, [&own, &p], &self.cf_ids)?;
        let batch = WriteBatch::from_data(&rep);
        let mut wo = WriteOptions::default();
        wo.set_sync(self.opts.sync);
        #[cfg(feature = "testing")]
        w.hooks.record(&rep);
        // Every node whose answer this batch changes leaves the hot tier before RocksDB shows the batch, while the
        // tier refuses new entries (an odd epoch): a reader can then never combine a node of this batch read
        // from RocksDB with another node's cached answer from before it (see the hot tier's docs). The children
        // of unpacked containers are listed now, before the write, so a failure to list them fails the batch
        // instead of leaving stale answers behind a committed one.
        let mut stale: Vec<Vec<u8>> = Vec::new();
        if self.hot.enabled() {
            for parent in &p.unpack_parents {
                stale.extend(self.child_nodes(parent)?);
            }
            for d in &declared {
                if let Target::Stored(st) = &d.target {
                    stale.extend(st.nodes.iter().cloned());
                }
            }
        }
        let commit = Commit::begin(&self.hot);
        for (n, head) in &p.heads {
            if head.touched {
                self.hot.remove(n);
            }
        }
        for n in &stale {
            self.hot.remove(n);
        }
        #[cfg(feature = "testing")]
        let injected = w.hooks.injected_failure();
        #[cfg(not(feature = "testing"))]
        let injected = None;
        let result = match injected {
            Some(e) => Err(e),
            None => self.db.write_opt(batch, &wo).map_err(|e| io(&e)),
        };
        if let Err(e) = result {
            self.poisoned.store(true, Ordering::SeqCst);
            return Err(e);
        }
        w.last_seq = seq;
        w.log_hash = log_hash;
        if save_known {
            w.known_seq = seq;
        }
        w.counters = p.counters;
        drop(commit);
        if w.heads.len() + records.len() > self.opts.head_cache_entries {
            w.heads.clear();
        }
        w.heads.extend(records.into_iter().map(|(k, v)| (k, v.into_boxed_slice())));
        // A durability point at most `durable_interval` after the last. The batch is committed whatever happens
        // here: a failure leaves the mark where it was (the next point retries; closing reports nothing lost).
        if w.marked_at.elapsed() >= self.opts.durable_interval {
            let _ = self.mark(&mut w);
        }
        if rep.capacity() <= KEEP_BUFFER_BYTES {
            w.buffers = Buffers { nodes: p.into_buffers(), own: own.into_buffers(), rep };
        }
        drop(w);
        Ok(report)
    }
}
