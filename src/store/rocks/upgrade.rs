//! Format upgrades: what a read-write open of an older store rewrites before it raises the format marker, and
//! how a read-only open reads such a store meanwhile (it may not write).
//!
//! Format 6 added the query index families of `idx` (`CLASS`, `ILMD`, `TYPE`: see `keys::query_terms`). The
//! upgrade writes them for every captured event, reading the log in order; a read-only open plans queries
//! without them.
//!
//! Format 5 changed one rule of the state fold: a terminal state stays terminal (a recall or any other
//! disposition after `destroyed` no longer clears `retired`; see [`derive_state`](crate::store::derive_state)).
//! A format-3 or -4 store's state records were folded by the old rule, so the upgrade re-derives every record
//! from its chain and rewrites those that differ. The events, chains and links are untouched: the rule is about
//! what the events mean, not what they are.

use rocksdb::{WriteBatch, WriteOptions};

use super::Store;
use super::error::io;
use super::reader::Reader;
use crate::Error;
use crate::store::Chain;
use crate::store::keys::{self, seal};
use crate::store::state::Fold;

/// The first format whose state records follow the sticky-retirement rule.
pub(super) const STICKY_RETIRED: u32 = 5;

/// State records rewritten per write batch: bounded memory however big the store.
const BATCH_RECORDS: usize = 4096;

/// Events whose query index records are written per write batch.
const BATCH_EVENTS: usize = 4096;

impl Store {
    /// Writes the query index records (format 6) of every captured event, from the log; returns how many
    /// events. Idempotent (the records are keyed by the event's time and seq): a crash midway leaves the old
    /// format marker, and the next read-write open writes them again.
    pub(super) fn backfill_query_index(&self) -> Result<u64, Error> {
        use super::batch::Pending;
        use crate::event::digest::EventId;
        use crate::store::keys::{Cur, unseal};
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, Self::scan_read_options());
        it.seek_to_first();
        let mut done = 0u64;
        loop {
            let mut entries: Vec<(u64, EventId)> = Vec::with_capacity(BATCH_EVENTS);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if entries.len() == BATCH_EVENTS {
                    break;
                }
                let seq =
                    u64::from_be_bytes(k.try_into().map_err(|_| crate::store::keys::corrupt("log", "key length"))?);
                entries.push((seq, Cur::new(unseal(k, v, "log")?, "log").event_id()?));
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
            if entries.is_empty() {
                break;
            }
            let ids: Vec<EventId> = entries.iter().map(|(_, id)| *id).collect();
            let mut p = Pending::new((Vec::new(), Vec::new()), entries.len(), [0; 3]);
            for ((seq, _), (stored, _, e)) in entries.iter().zip(self.fetch_events(&ids, None)?) {
                // A declaration's log entry names an event captured at an earlier seq: its records are there.
                if stored == *seq {
                    Self::index_query_terms(&mut p, &e, *seq);
                    done += 1;
                }
            }
            let cf = self.cf("idx")?;
            let mut batch = WriteBatch::default();
            for en in &p.entries {
                batch.put_cf(cf, p.slice(en.key), p.slice(en.value));
            }
            self.db.write_opt(batch, &WriteOptions::default()).map_err(|e| io(&e))?;
        }
        Ok(done)
    }

    /// Re-derives every node's state record from its chain under this build's rules and rewrites those that
    /// differ; returns how many it rewrote. Idempotent: a crash midway leaves the old format marker, so the
    /// next read-write open runs it again. A chain without its record (or the reverse) is left as it is for
    /// verification to report: an upgrade does not repair damage.
    pub(super) fn refold_states(&self) -> Result<u64, Error> {
        let cf = self.cf("chain")?;
        // Total order: the `chain` family has a prefix extractor, and stepping from one node's prefix into the
        // next is only defined under a total-order read.
        let mut it = self.db.raw_iterator_cf_opt(cf, Self::scan_read_options());
        let mut reader = Reader::new(self, None);
        let mut batch = WriteBatch::default();
        let mut rewritten = 0u64;
        it.seek_to_first();
        while let Some(k) = it.key() {
            let node = keys::node_prefix(k).to_vec();
            let (chain, record) = reader.scan(&node)?;
            if let Some((head, stored)) = record
                && !chain.is_empty()
            {
                let fold = reader.refold(&node, &chain)?;
                if fold != stored {
                    let mut v = keys::encode_state(&head, &fold);
                    let key = keys::state_key(&node);
                    seal(&key, &mut v);
                    batch.put_cf(cf, key, v);
                    rewritten += 1;
                    if batch.len() >= BATCH_RECORDS {
                        self.db.write(std::mem::take(&mut batch)).map_err(|e| io(&e))?;
                    }
                }
            }
            // Past this node's records (its state record is the last key of its prefix).
            it.seek(keys::state_key(&node));
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        // Durable before the marker is raised over it.
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo).map_err(|e| io(&e))?;
        Ok(rewritten)
    }
}

impl Reader<'_> {
    /// A node's state fold as its chain gives it under this build's rules, as the store materialises it.
    pub(super) fn refold(&mut self, node: &[u8], chain: &Chain) -> Result<Fold, Error> {
        let events = Self::decoded(chain)?;
        let id = Self::chain_node(node, &events)?;
        Fold::materialised(&id, events.iter().map(|(q, i, e)| (*q, *i, e)), &mut |c, t, q| {
            self.unpacked_after(c, t, q, None)
        })
    }
}
