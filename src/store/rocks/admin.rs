//! An open store's housekeeping: accessors, durability points ([`Store::sync`] and the mark behind it),
//! flush, compaction, backups, the losses accepted on open, the saved known-node filter, and what closing does.

use std::path::Path;
use std::sync::atomic::Ordering;

use rocksdb::WriteOptions;

use super::error::io;
use super::ingest::Writer;
use super::open::Options;
use super::{Store, durable};
use crate::store::keys::{CF_NAMES, seal};
use crate::store::{Checkpoint, Seq};
use crate::{Error, ErrorKind};

/// The `default` column family key of the saved known-node filter: log seq it covers (8) ‖ filter.
pub(super) const KNOWN_KEY: &[u8] = b"tracecode.known";

/// Events between saves of the known-node filter inside ingest batches.
pub(super) const KNOWN_SAVE_EVERY: Seq = 1 << 16;

impl Store {
    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options the store was opened with.
    pub const fn options(&self) -> &Options {
        &self.opts
    }

    /// True after a failed write: ingest is refused until the store is reopened (reads keep working).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    /// [`ErrorKind::ReadOnly`] when the store was opened read-only.
    pub(super) fn writable(&self) -> Result<(), Error> {
        if self.opts.read_only {
            return Err(Error::msg(ErrorKind::ReadOnly, "the store was opened read-only"));
        }
        Ok(())
    }

    /// A durability point: writes and `fsync`s the write-ahead log, so every ingest that returned survives a
    /// machine crash, and moves the durability mark there, so an open that recovers less is refused.
    ///
    /// # Errors
    /// [`ErrorKind::ReadOnly`] on a read-only store; storage kinds.
    pub fn sync(&self) -> Result<(), Error> {
        self.writable()?;
        let mut w = self.lock_writer();
        self.mark(&mut w)
    }

    /// A durability point: `fsync`s the write-ahead log (unless every commit already did), then moves the
    /// durability mark to the last commit. The caller holds the writer lock, so no commit runs in between.
    pub(super) fn mark(&self, w: &mut Writer) -> Result<(), Error> {
        // Tried again one interval later, not at every commit, when it fails (a full disk, say).
        w.marked_at = std::time::Instant::now();
        if !w.marked_before {
            // Before the first mark: from now on a missing mark is a loss, not a store from before marks.
            let mut wo = WriteOptions::default();
            wo.set_sync(true);
            let mut v = w.last_seq.to_be_bytes().to_vec();
            seal(durable::MARKED_KEY, &mut v);
            self.db.put_opt(durable::MARKED_KEY, v, &wo).map_err(|e| io(&e))?;
            w.marked_before = true;
        }
        if !self.opts.sync {
            self.db.flush_wal(true).map_err(|e| io(&e))?;
        }
        durable::write(&self.path, &Checkpoint { seq: w.last_seq, hash: w.log_hash })?;
        w.marked_seq = w.last_seq;
        w.marked_at = std::time::Instant::now();
        Ok(())
    }

    /// Flushes memtables to SST files (e.g. before measuring reads from a settled store).
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn flush(&self) -> Result<(), Error> {
        self.writable()?;
        self.save_known()?;
        for n in CF_NAMES {
            self.db.flush_cf(self.cf(n)?).map_err(|e| io(&e))?;
        }
        let mut w = self.lock_writer();
        self.mark(&mut w)
    }

    /// Compacts every column family fully (slow; for benchmarks and after bulk loads).
    ///
    /// # Errors
    /// [`ErrorKind::Io`].
    pub fn compact(&self) -> Result<(), Error> {
        self.writable()?;
        for n in CF_NAMES {
            self.db.compact_range_cf(self.cf(n)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Writes a consistent, openable copy of the store into `dir` (which must not exist), using hard links
    /// where the file system allows: a backup that costs little space and no downtime.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] (e.g. `dir` exists).
    pub fn backup_to(&self, dir: impl AsRef<Path>) -> Result<(), Error> {
        // With the writer lock held no commit runs, so the copy holds exactly the last commit: its mark says so.
        let w = self.lock_writer();
        let cp = rocksdb::checkpoint::Checkpoint::new(&self.db).map_err(|e| io(&e))?;
        cp.create_checkpoint(dir.as_ref()).map_err(|e| io(&e))?;
        durable::write(dir.as_ref(), &Checkpoint { seq: w.last_seq, hash: w.log_hash })
    }

    /// Every loss of acknowledged events accepted on open ([`Options::accept_loss`]), oldest first.
    ///
    /// # Errors
    /// [`ErrorKind::Corrupt`] for a damaged loss record; storage kinds.
    pub fn losses(&self) -> Result<Vec<durable::Loss>, Error> {
        let mut it = self.db.raw_iterator_opt(Self::scan_read_options());
        it.seek(durable::LOSS_PREFIX);
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(durable::LOSS_PREFIX) {
                break;
            }
            out.push(durable::Loss::decode(k, v)?);
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }

    /// The saved form of the known-node filter as of log sequence `seq`.
    pub(super) fn known_record(&self, seq: Seq) -> Vec<u8> {
        let mut v = seq.to_be_bytes().to_vec();
        v.extend_from_slice(&self.known.encode());
        seal(KNOWN_KEY, &mut v);
        v
    }

    /// Saves the known-node filter if the log moved since it was last saved.
    pub(super) fn save_known(&self) -> Result<(), Error> {
        let mut w = self.lock_writer();
        if w.known_seq == w.last_seq || self.is_poisoned() || self.opts.read_only {
            return Ok(());
        }
        self.db.put(KNOWN_KEY, self.known_record(w.last_seq)).map_err(|e| io(&e))?;
        w.known_seq = w.last_seq;
        Ok(())
    }

    /// A [read-only](Options::read_only) store reopens to see what writers committed since it was opened (or
    /// last caught up), with every check of [`Store::open`] made again; the hot tier and the known-node filter
    /// start afresh. Returns the checkpoint now seen. A store open for writing sees its own commits already:
    /// for it this is [`TraceStore::checkpoint`](crate::store::TraceStore::checkpoint).
    ///
    /// It takes `&mut self`, so no [`Reader`](super::Reader) or [`Session`](super::Session) of the old state is
    /// alive; share a reader that catches up behind a lock (`RwLock<Store>`), or open a new one.
    ///
    /// # Errors
    /// As [`Store::open`]; on an error the store keeps its old state and stays usable.
    pub fn catch_up(&mut self) -> Result<Checkpoint, Error> {
        if self.opts.read_only {
            // Opened beside the old instance (read-only instances take no lock), so a failure leaves it intact.
            *self = Self::open(&self.path, self.opts.clone())?;
        }
        let w = self.lock_writer();
        Ok(Checkpoint { seq: w.last_seq, hash: w.log_hash })
    }

    /// Closes the store, reporting what [`Drop`] would ignore: saves the known-node filter, so the next open
    /// does not replay the log into it, and makes a last durability point, so the next open refuses a recovery
    /// that comes back with less. Memtables are not flushed (the write-ahead log holds them). A read-only store
    /// closes without writing anything. Dropping a store without calling `close` does the same, on a best-effort
    /// basis.
    ///
    /// # Errors
    /// [`ErrorKind::Poisoned`] for a store that refused writes after a failed one (nothing is written then:
    /// the last durability point stays where it was); storage kinds ([`ErrorKind::NoSpace`], ...) when the
    /// filter or the mark cannot be written (the events themselves are in the write-ahead log).
    pub fn close(mut self) -> Result<(), Error> {
        let r = self.shut();
        // Drop then has nothing left to do (and does not try a failed write again).
        self.opened = false;
        r
    }

    /// What closing writes; nothing for a read-only store or one whose open failed.
    fn shut(&self) -> Result<(), Error> {
        if self.opts.read_only || !self.opened {
            return Ok(());
        }
        if self.is_poisoned() {
            return Err(Error::msg(
                ErrorKind::Poisoned,
                "the store refused writes after a failed write: closed without a last durability point",
            ));
        }
        self.save_known()?;
        let mut w = self.lock_writer();
        if w.marked_seq != w.last_seq {
            self.mark(&mut w)?;
        }
        Ok(())
    }
}

impl Drop for Store {
    /// What [`Store::close`] does, best effort (errors are ignored), unless `close` was called.
    fn drop(&mut self) {
        let _ = self.shut();
    }
}
