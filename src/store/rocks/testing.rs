//! Bench and test hooks, behind the non-default feature `testing` (the `cli` feature turns it on for
//! `tracecode bench`): raw RocksDB baselines for the ingest and lookup benchmarks, a cold path that bypasses the
//! hot tier, a settled-store probe, and fault injection. None of it is part of the supported API.

use rocksdb::DBRawIterator;
use rocksdb::{WriteBatch, WriteOptions};
use std::sync::Arc;

use super::Store;
use super::error::io;
use super::reader::Reader;
use crate::code::TraceKey;
use crate::event::Id;
use crate::store::keys;
use crate::store::{Resolution, keys::CF_NAMES};
use crate::{Error, ErrorKind};

/// The hooks' state in the writer ([`Store::record_batches`], [`Store::inject_write_failure`]).
#[derive(Default)]
pub(super) struct Hooks {
    /// Make the next commit fail as if the disk write had failed.
    fail_next: bool,
    /// Bytes still to record, and the recorded batches.
    recording: Option<(usize, Vec<Vec<u8>>)>,
}

impl Hooks {
    /// Keeps a copy of the write batch about to be committed, while recording and within the budget.
    pub(super) fn record(&mut self, rep: &[u8]) {
        if let Some((left, kept)) = &mut self.recording
            && *left >= rep.len()
        {
            *left -= rep.len();
            kept.push(rep.to_vec());
        }
    }

    /// The injected failure, once: what the commit reports instead of writing.
    pub(super) fn injected_failure(&mut self) -> Option<Error> {
        std::mem::take(&mut self.fail_next).then(|| Error::msg(ErrorKind::Io, "storage: injected write failure"))
    }
}

impl Store {
    /// A benchmark baseline: a reused raw RocksDB iterator that prefix-scans a node's chain entries and
    /// returns (entries, value bytes) without checking or decoding anything — the engine's own floor for what
    /// a resolution reads.
    #[doc(hidden)]
    pub fn raw_chain_scanner(&self) -> Result<RawScanner<'_>, Error> {
        Ok(RawScanner { it: self.db.raw_iterator_cf_opt(self.cf("chain")?, Self::prefix_read_options()) })
    }

    /// True while RocksDB has flushes or compactions running or pending (benchmarks wait for a settled store
    /// before measuring reads).
    #[doc(hidden)]
    pub fn background_busy(&self) -> Result<bool, Error> {
        for n in CF_NAMES {
            let cf = self.cf(n)?;
            for prop in [
                "rocksdb.compaction-pending",
                "rocksdb.num-running-compactions",
                "rocksdb.num-running-flushes",
                "rocksdb.mem-table-flush-pending",
            ] {
                if self.db.property_int_value_cf(cf, prop).map_err(|e| io(&e))?.unwrap_or(0) > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Benchmark support: from now on keep a copy of every committed write batch, until `budget` bytes are
    /// held. With [`Self::write_raw_batches`] on a fresh store this gives ingest a same-run baseline: RocksDB
    /// committing exactly the records ingest produced, without any of the work that produced them.
    #[doc(hidden)]
    pub fn record_batches(&self, budget: usize) {
        self.lock_writer().hooks.recording = Some((budget, Vec::new()));
    }

    /// Benchmark support: the batches recorded since [`Self::record_batches`] (recording stops).
    #[doc(hidden)]
    pub fn take_recorded_batches(&self) -> Vec<Vec<u8>> {
        self.lock_writer().hooks.recording.take().map(|(_, b)| b).unwrap_or_default()
    }

    /// Benchmark support: commits raw write batches (as recorded by [`Self::record_batches`] on a store with
    /// the same column families) with this store's write options, one `write` each, and returns the seconds
    /// spent in RocksDB. The store's own bookkeeping is not updated: use a scratch store and drop it.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when a write fails.
    #[doc(hidden)]
    pub fn write_raw_batches(&self, batches: &[Vec<u8>]) -> Result<f64, Error> {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.opts.sync);
        let mut busy = 0.0;
        for b in batches {
            let batch = WriteBatch::from_data(b);
            let t = std::time::Instant::now();
            self.db.write_opt(batch, &wo).map_err(|e| io(&e))?;
            busy += t.elapsed().as_secs_f64();
        }
        Ok(busy)
    }

    /// Makes the next ingest fail as if the disk write had failed (fault injection for tests of the
    /// poisoned state).
    #[doc(hidden)]
    pub fn inject_write_failure(&self) {
        self.lock_writer().hooks.fail_next = true;
    }
}

/// See `Store::raw_chain_scanner` (feature `testing`).
#[doc(hidden)]
pub struct RawScanner<'s> {
    it: DBRawIterator<'s>,
}

impl RawScanner<'_> {
    /// Scans the chain of `key` and its state record (every key of the node's prefix, the bytes a resolve
    /// reads): (records, value bytes).
    pub fn scan(&mut self, key: &TraceKey) -> (usize, usize) {
        let node = keys::key_node(key);
        self.it.seek(&node);
        let (mut n, mut bytes) = (0, 0);
        while let (Some(k), Some(v)) = (self.it.key(), self.it.value()) {
            if !k.starts_with(&node) {
                break;
            }
            n += 1;
            bytes += v.len();
            self.it.next();
        }
        (n, bytes)
    }
}

impl Reader<'_> {
    /// Resolves `key` from RocksDB alone, neither reading nor filling the hot tier: the cold path, for
    /// benchmarks that compare it with a raw scan of the same bytes.
    ///
    /// # Errors
    /// As [`TraceStore::resolve_id`](crate::store::TraceStore::resolve_id).
    #[doc(hidden)]
    pub fn resolve_key_uncached(&mut self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.read_node(&keys::key_node(key), &Id::Key(key.clone()), false)
    }
}
