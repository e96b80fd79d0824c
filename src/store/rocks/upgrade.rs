//! Format upgrades: what a read-write open of an older store rewrites before it raises the format marker, and
//! how a read-only open reads such a store meanwhile (it may not write).
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

impl Store {
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
