//! The hot tier: a bounded in-memory cache of resolutions in front of RocksDB.
//!
//! Why our own map rather than RocksDB's row cache: a row cache holds `Get` results only, while a resolution is
//! a prefix scan plus copying the chain's frames and decoding the state record; caching the finished answer is
//! what makes a hot resolve a hash probe and an `Arc` clone.
//!
//! - **Sharded** (`RwLock` per shard) so the two cores' readers rarely touch the same lock; hits take a read
//!   lock only (the CLOCK reference bit is an atomic).
//! - **Bounded** by an estimated byte charge per entry; eviction is CLOCK (second chance), which approximates LRU
//!   without reordering on every hit.
//! - **Coherent with ingest, and never torn**, by an epoch that is odd while a commit is in progress
//!   ([`HotTier::begin_commit`], [`HotTier::end_commit`]). The writer makes the epoch odd, removes every node
//!   the batch changes, writes the batch to RocksDB, and makes the epoch even again. A reader records the epoch
//!   *before* reading RocksDB and inserts its answer only if that epoch is even and still current (checked
//!   under the shard lock). So while a batch is being written no entry can be added, and every entry it
//!   changes is already gone before RocksDB shows it: an entry present in the tier is always the committed
//!   answer, and a reader that has seen a batch through RocksDB cannot then be handed a cached answer from
//!   before it. (Removing after the write, as an earlier version did, let a reader see one node of a batch
//!   in RocksDB and another from the tier as it was before the batch.)
//! - **Stamped** with the epoch an entry was read at, so a reader pinned to one snapshot (a trace, a
//!   `resolve_many`, a session) takes from the tier only entries read at or before its snapshot's epoch
//!   ([`HotTier::get_at`]): nothing newer than the state it reads from RocksDB.
//! - **Free admission until full, then admission on the second miss**: until the first eviction every miss is
//!   cached (nothing is evicted for it). From then on, a key is cached only when it misses twice within a window (a
//!   lock-free "doorkeeper" Bloom filter, two bits per key, cleared after about as many new keys as the tier
//!   can hold). Measured on 200 000 items with uniform keys, admitting
//!   every miss made cold resolves 2.7× slower than no tier at all: each miss paid an insert, an eviction and
//!   the freeing of another thread's allocations, for entries that were never read again. Zipf-hot keys miss
//!   twice quickly and are admitted.
//! - Hash: a multiply–xorshift fold of the key's 8-byte words, keyed with random seeds drawn from std's
//!   `RandomState` at start-up. Codes come from outside, so the hash is keyed (collision floods need the seed);
//!   it is not SipHash because a hot hit hashes its key twice (shard, then map) and SipHash's ~20 ns for a
//!   20-byte key was a measurable part of a hit.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::Resolution;
use crate::hash::Keyed;

const SHARDS: usize = 16;

/// Doorkeeper slots per byte of budget: one slot per 8 KiB, about a third of the entries a full tier holds (a
/// resolution of the synthetic province charges ~3 KiB), so a key is admitted only if it misses twice within
/// that many distinct misses. A window of one tier's worth of entries admitted too many one-off keys: each
/// admission of a full tier is an insert, an eviction and a free (measured at 200 000 items with a 64 MiB
/// tier: Zipf resolves 380 k/s with the longer window, against 676 k/s).
const DOOR_BYTES_PER_SLOT: usize = 8 << 10;

struct Slot {
    key: Box<[u8]>,
    value: Arc<Resolution>,
    charge: usize,
    referenced: AtomicBool,
    /// The (even) epoch the value was read at: it is the node's answer from then until it is removed.
    stamp: u64,
}

#[derive(Default)]
struct Shard {
    map: HashMap<Box<[u8]>, usize, Keyed>,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    hand: usize,
    bytes: usize,
}

impl Shard {
    fn take(&mut self, key: &[u8]) -> Option<Slot> {
        let i = self.map.remove(key)?;
        let slot = self.slots.get_mut(i).and_then(Option::take)?;
        self.bytes = self.bytes.saturating_sub(slot.charge);
        self.free.push(i);
        Some(slot)
    }

    /// Evicts one entry by CLOCK, returning it (dropped by the caller after the lock is released: freeing a
    /// decoded chain is the slow part); `None` when the shard is empty.
    fn evict_one(&mut self) -> Option<Slot> {
        if self.map.is_empty() {
            return None;
        }
        let n = self.slots.len();
        // Two full sweeps always find a victim: the first clears every reference bit.
        for _ in 0..=(2 * n) {
            let i = self.hand % n.max(1);
            self.hand = i + 1;
            let victim = match self.slots.get(i) {
                Some(Some(s)) => !s.referenced.swap(false, Ordering::Relaxed),
                _ => false,
            };
            if victim {
                let key = self.slots.get(i).and_then(Option::as_ref).map(|s| s.key.clone());
                if let Some(k) = key {
                    return self.take(&k);
                }
            }
        }
        None
    }
}

/// See the [module docs](self).
pub(crate) struct HotTier {
    shards: Box<[RwLock<Shard>]>,
    /// Seeds for shard choice and the doorkeeper (the shard maps have their own).
    hasher: Keyed,
    door_hasher: Keyed,
    /// Doorkeeper: a Bloom filter (two bits per key) of recently missed keys, cleared after `door_limit` new
    /// keys so it describes a recent window. Bits are only ever set or cleared together, so two keys sharing a
    /// bit cannot keep each other out (a single-slot table let colliding keys evict each other forever).
    door: Box<[AtomicU64]>,
    door_count: AtomicU64,
    door_limit: u64,
    epoch: AtomicU64,
    budget_per_shard: usize,
    /// Set at the first eviction: from then on admission goes through the doorkeeper.
    filled: AtomicBool,
}

fn lock_read(l: &RwLock<Shard>) -> std::sync::RwLockReadGuard<'_, Shard> {
    // A panic inside a shard operation leaves the map and slots consistent (updates are single statements),
    // so a poisoned lock's data is usable.
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock_write(l: &RwLock<Shard>) -> std::sync::RwLockWriteGuard<'_, Shard> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HotTier {
    /// A tier holding at most about `budget` bytes (0 disables it).
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            hasher: Keyed::default(),
            door_hasher: Keyed::default(),
            // 8 bits per remembered key keeps false admissions near 5 %.
            door: (0..if budget > 0 { (budget / DOOR_BYTES_PER_SLOT).clamp(1024, 1 << 20) / 8 } else { 0 })
                .map(|_| AtomicU64::new(0))
                .collect(),
            door_count: AtomicU64::new(0),
            door_limit: (budget / DOOR_BYTES_PER_SLOT).clamp(1024, 1 << 20) as u64,
            epoch: AtomicU64::new(0),
            budget_per_shard: budget / SHARDS,
            filled: AtomicBool::new(false),
        }
    }

    fn shard(&self, key: &[u8]) -> Option<&RwLock<Shard>> {
        let h = self.hasher.hash_one(key);
        let i = usize::try_from(h >> 60).unwrap_or(0) % SHARDS;
        self.shards.get(i)
    }

    pub(crate) fn enabled(&self) -> bool {
        self.budget_per_shard > 0
    }

    /// The current epoch; read it before reading RocksDB for a later [`Self::insert`]. Odd while a commit is in
    /// progress.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The cached answer for `key`: always the committed one (see the module docs), so a single read may use it
    /// whatever the epoch.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Arc<Resolution>> {
        self.get_at(key, u64::MAX)
    }

    /// The cached answer for `key` if it was read at or before epoch `pinned`: what a reader pinned to the
    /// snapshot of that epoch may use without seeing anything newer than its snapshot.
    pub(crate) fn get_at(&self, key: &[u8], pinned: u64) -> Option<Arc<Resolution>> {
        if !self.enabled() {
            return None;
        }
        let s = lock_read(self.shard(key)?);
        let slot = s.slots.get(*s.map.get(key)?)?.as_ref()?;
        if slot.stamp > pinned {
            return None;
        }
        // Write the reference bit only when it is clear: hot entries are read by every core, and an
        // unconditional store would bounce their cache line between cores on every hit.
        if !slot.referenced.load(Ordering::Relaxed) {
            slot.referenced.store(true, Ordering::Relaxed);
        }
        Some(Arc::clone(&slot.value))
    }

    /// Caches `value`, read from RocksDB at `epoch`, unless a commit was in progress then or has started since,
    /// or the value alone exceeds the shard budget.
    pub(crate) fn insert(&self, key: &[u8], value: Arc<Resolution>, charge: usize, epoch: u64) {
        if !self.enabled() || charge > self.budget_per_shard || !epoch.is_multiple_of(2) {
            return;
        }
        let Some(shard) = self.shard(key) else { return };
        // Free admission until the tier first fills (nothing is evicted for it, so nothing is lost); from then
        // on second-miss admission (see the module docs). Not "while a shard has room": after evictions a
        // shard often has a little room, and admitting every miss into it is the churn the doorkeeper stops.
        if self.filled.load(Ordering::Relaxed) && !self.admit(key) {
            return;
        }
        let mut evicted = Vec::new();
        let mut s = lock_write(shard);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        evicted.extend(s.take(key));
        while s.bytes + charge > self.budget_per_shard {
            self.filled.store(true, Ordering::Relaxed);
            match s.evict_one() {
                Some(v) => evicted.push(v),
                None => break,
            }
        }
        let slot = Slot { key: key.into(), value, charge, referenced: AtomicBool::new(false), stamp: epoch };
        let i = if let Some(i) = s.free.pop() {
            if let Some(x) = s.slots.get_mut(i) {
                *x = Some(slot);
            }
            i
        } else {
            s.slots.push(Some(slot));
            s.slots.len() - 1
        };
        s.map.insert(key.into(), i);
        s.bytes += charge;
        drop(s);
        drop(evicted); // freed outside the lock
    }

    /// True when `key` missed recently (its doorkeeper bits are set); otherwise remembers it and says no.
    fn admit(&self, key: &[u8]) -> bool {
        let nbits = (self.door.len() as u64) * 64;
        if nbits == 0 {
            return false;
        }
        let h = self.door_hasher.hash_one(key);
        let bits = [h % nbits, h.rotate_left(32) % nbits];
        let word = |b: u64| self.door.get(usize::try_from(b / 64).unwrap_or(0));
        let seen = bits.iter().all(|&b| word(b).is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (b % 64)) != 0));
        if seen {
            return true;
        }
        for &b in &bits {
            if let Some(w) = word(b) {
                w.fetch_or(1 << (b % 64), Ordering::Relaxed);
            }
        }
        if self.door_count.fetch_add(1, Ordering::Relaxed) + 1 >= self.door_limit {
            self.door_count.store(0, Ordering::Relaxed);
            for w in &*self.door {
                w.store(0, Ordering::Relaxed);
            }
        }
        false
    }

    /// Starts a commit: the epoch turns odd, so no answer read from now on is cached. Call before removing the
    /// nodes the batch changes and before writing it; [`Self::end_commit`] after the write (whether it failed
    /// or not).
    pub(crate) fn begin_commit(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Ends the commit [`Self::begin_commit`] started: the epoch turns even again.
    pub(crate) fn end_commit(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn remove(&self, key: &[u8]) {
        if self.enabled()
            && let Some(shard) = self.shard(key)
        {
            let old = lock_write(shard).take(key);
            drop(old); // freed outside the lock
        }
    }

    /// (entries, bytes charged).
    pub(crate) fn usage(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(n, b), s| {
            let s = lock_read(s);
            (n + s.map.len() as u64, b + s.bytes as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Id;

    fn res() -> Arc<Resolution> {
        Arc::new(Resolution {
            id: Id::Uri("urn:x:y".into()),
            state: super::super::State::default(),
            chain: super::super::Chain::default(),
        })
    }

    #[test]
    fn insert_get_and_epoch_guard() {
        let h = HotTier::new(16 * 1000);
        let e = h.epoch();
        h.insert(b"a", res(), 10, e);
        assert!(h.get(b"a").is_some(), "a tier with room admits on the first miss");
        h.begin_commit();
        h.insert(b"b", res(), 10, e);
        h.insert(b"b", res(), 10, e); // stale epoch: refused
        assert!(h.get(b"b").is_none());
        h.insert(b"b", res(), 10, h.epoch()); // a commit in progress: refused
        assert!(h.get(b"b").is_none());
        h.end_commit();
        h.insert(b"b", res(), 10, e); // an epoch from before the commit: refused
        assert!(h.get(b"b").is_none());
        h.remove(b"a");
        assert!(h.get(b"a").is_none());
        h.insert(b"c", res(), 10, h.epoch());
        assert!(h.get(b"c").is_some());
        h.remove(b"c");
        assert!(h.get(b"c").is_none());
        assert_eq!(h.usage(), (0, 0));
    }

    /// An entry serves a reader pinned at or after the epoch it was read at, never one pinned before it.
    #[test]
    fn stamped_entries_serve_only_later_pins() {
        let h = HotTier::new(16 * 1000);
        let before = h.epoch();
        h.begin_commit();
        h.end_commit();
        let after = h.epoch();
        h.insert(b"a", res(), 10, after);
        assert!(h.get_at(b"a", before).is_none(), "read after the pinned snapshot's epoch");
        assert!(h.get_at(b"a", after).is_some());
        assert!(h.get(b"a").is_some());
    }

    #[test]
    fn stays_within_budget() {
        let h = HotTier::new(16 * 100);
        let e = h.epoch();
        for i in 0..10_000u32 {
            h.insert(&i.to_be_bytes(), res(), 30, e);
            h.insert(&i.to_be_bytes(), res(), 30, e);
        }
        let (n, b) = h.usage();
        assert!(b <= 1600, "{b}");
        assert!(n > 0);
    }

    /// Once a shard is full, a key is admitted only on its second miss within the doorkeeper's window.
    #[test]
    fn full_tier_admits_on_the_second_miss() {
        let h = HotTier::new(16 * 100);
        let e = h.epoch();
        // Fill every shard (100 bytes each) with 50-byte entries: free admission until the first eviction,
        // then the second insert of each key gets it in.
        assert!(!h.filled.load(Ordering::Relaxed));
        let mut filled = 0;
        for i in 0..10_000u32 {
            h.insert(&i.to_be_bytes(), res(), 50, e);
            if i < 2 {
                assert!(h.get(&i.to_be_bytes()).is_some(), "an empty tier admits on the first miss");
            }
            h.insert(&i.to_be_bytes(), res(), 50, e);
            filled = i;
            if h.usage().1 >= 16 * 100 {
                break;
            }
        }
        assert_eq!(h.usage().1, 16 * 100, "filled after {filled} inserts");
        assert!(h.filled.load(Ordering::Relaxed));
        let (mut first, mut second) = (0, 0);
        for i in 20_000..20_200u32 {
            let k = i.to_be_bytes();
            h.insert(&k, res(), 50, e);
            first += usize::from(h.get(&k).is_some());
            h.insert(&k, res(), 50, e);
            second += usize::from(h.get(&k).is_some());
        }
        assert!(first <= 20, "first misses of a full tier are mostly only remembered: {first} of 200 admitted");
        assert_eq!(second, 200, "second misses are admitted");
        assert!(h.usage().1 <= 16 * 100);
    }

    #[test]
    fn disabled_tier_caches_nothing() {
        let h = HotTier::new(0);
        h.insert(b"a", res(), 1, h.epoch());
        assert!(h.get(b"a").is_none());
    }
}
