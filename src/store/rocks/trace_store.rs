//! The [`TraceStore`] implementation of [`Store`]: ingest (the pipeline is in `ingest`), resolutions through
//! a [`Reader`](super::Reader), and the reads over one view that a [`Session`](super::Session) shares:
//! checkpoints, events, the feed, index queries, class instances.

use std::collections::HashMap;
use std::sync::Arc;

use rocksdb::ReadOptions;

use super::Store;
use super::error::{io, os};
use super::reader::View;
use crate::code::TraceKey;
use crate::event::digest::{EventId, Link};
use crate::event::frame;
use crate::event::{Event, Id, Timestamp};
use crate::store::keys::{self, CF_NAMES, Cur, corrupt, unseal};
use crate::store::{
    Checkpoint, Cursor, Edge, EdgeSource, EventPage, EventQuery, FeedItem, Hit, Index, IngestReport, LOG_GENESIS, Page,
    Query, Resolution, Seq, State, Stats, TraceStore, VerifyReport, log_step,
};
use crate::{Error, ErrorKind};

impl TraceStore for Store {
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
        self.ingest_events(&events)
    }

    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader().resolve_id(id)
    }

    fn resolve_key(&self, key: &TraceKey) -> Result<Option<Arc<Resolution>>, Error> {
        self.reader().resolve_key(key)
    }

    /// Parses every input, then resolves the keys in key order through one reader (sorted seeks touch
    /// neighbouring blocks one after another), and returns the answers in input order.
    fn resolve_many(&self, inputs: &[&str]) -> Vec<Result<Option<Arc<Resolution>>, Error>> {
        let mut out: Vec<Result<Option<Arc<Resolution>>, Error>> = Vec::with_capacity(inputs.len());
        let mut order: Vec<(TraceKey, usize)> = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            match crate::code::scan_key(input) {
                Ok(k) => {
                    order.push((k, i));
                    out.push(Ok(None));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        order.sort_unstable();
        // One view for the whole batch: the answers never mix two commits.
        let mut r = self.reader();
        r.pin();
        for (k, i) in order {
            if let Some(slot) = out.get_mut(i) {
                *slot = r.resolve_key(&k);
            }
        }
        out
    }

    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        self.reader().state_at(id, at)
    }

    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
        self.event_in(id, &View::take(self))
    }

    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
        self.events_since_in(after, limit, &View::take(self))
    }

    fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
        self.query_in(q, &View::take(self))
    }

    fn event_query(&self, q: &EventQuery) -> Result<EventPage, Error> {
        self.event_query_in(q, &View::take(self))
    }

    fn put_master_data(
        &self,
        vocabularies: &[crate::masterdata::Vocabulary],
    ) -> Result<crate::masterdata::MasterDataReport, Error> {
        self.put_vocabularies(vocabularies)
    }

    fn master_data_versions(&self) -> Result<Vec<crate::masterdata::ElementVersion>, Error> {
        self.vocab_versions(&View::take(self))
    }

    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
        self.instances_in(class, after, limit, &View::take(self))
    }

    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        self.reader().neighbours(node, out)
    }

    fn edge_source(&self) -> Option<&dyn EdgeSource> {
        Some(self)
    }

    fn pinned(&self) -> Option<Box<dyn TraceStore + '_>> {
        Some(Box::new(self.session()))
    }

    fn checkpoint(&self) -> Result<Checkpoint, Error> {
        let w = self.lock_writer();
        Ok(Checkpoint { seq: w.last_seq, hash: w.log_hash })
    }

    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
        if cp.seq > self.lock_writer().last_seq {
            return Err(Error::msg(ErrorKind::InvalidArgument, "checkpoint is beyond the end of the log"));
        }
        let mut h = LOG_GENESIS;
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, Self::scan_read_options());
        it.seek_to_first();
        let mut expect = 1;
        while expect <= cp.seq {
            let (Some(k), Some(v)) = (it.key(), it.value()) else {
                it.status().map_err(|e| io(&e))?;
                return Err(corrupt("log", "entries missing"));
            };
            let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
            if seq != expect {
                return Err(corrupt("log", "sequence gap"));
            }
            let id = Cur::new(unseal(k, v, "log")?, "log").event_id()?;
            h = log_step(&h, seq, &id);
            expect += 1;
            it.next();
        }
        Ok(h == cp.hash)
    }

    fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
        self.verify_node(id)
    }

    fn verify_all(&self) -> Result<VerifyReport, Error> {
        self.verify_everything()
    }

    fn stats(&self) -> Result<Stats, Error> {
        let w = self.lock_writer();
        let mut memtable_bytes = 0;
        for n in CF_NAMES {
            let cf = self.cf(n)?;
            memtable_bytes +=
                self.db.property_int_value_cf(cf, "rocksdb.size-all-mem-tables").map_err(|e| io(&e))?.unwrap_or(0);
        }
        let (hot_entries, hot_bytes) = self.hot.usage();
        Ok(Stats {
            events: w.last_seq,
            nodes: w.counters[0],
            chain_entries: w.counters[1],
            edges: w.counters[2],
            disk_bytes: self.disk_bytes()?,
            memtable_bytes,
            hot_entries,
            hot_bytes,
        })
    }
}

impl Store {
    /// The bytes of the files in the store's directory (table files, write-ahead logs, manifests, RocksDB's
    /// info logs, the durability mark): what the store takes on disk, as `du` would count it less the file
    /// systems' block rounding. A file RocksDB deletes while this counts is skipped.
    fn disk_bytes(&self) -> Result<u64, Error> {
        let rd = std::fs::read_dir(&self.path).map_err(|e| os("reading the directory", &self.path, e))?;
        let mut total = 0;
        for entry in rd {
            let Ok(entry) = entry else { continue };
            if let Ok(m) = entry.metadata()
                && m.is_file()
            {
                total += m.len();
            }
        }
        Ok(total)
    }
}

/// Reads over one view: what the [`TraceStore`] methods of [`Store`] (each over a view of its own) and of a
/// [`Session`](super::Session) (over the session's) answer from.
impl Store {
    /// The checkpoint of `view`: its last log entry (seq and hash).
    pub(super) fn checkpoint_in(&self, view: &View<'_>) -> Result<Checkpoint, Error> {
        let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, view.read_options(Self::scan_read_options()));
        it.seek_to_last();
        let cp = match (it.key(), it.value()) {
            (Some(k), Some(v)) => {
                let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
                let mut c = Cur::new(unseal(k, v, "log")?, "log");
                c.event_id()?;
                Checkpoint { seq, hash: Link(c.arr()?) }
            }
            _ => Checkpoint { seq: 0, hash: LOG_GENESIS },
        };
        it.status().map_err(|e| io(&e))?;
        Ok(cp)
    }

    pub(super) fn event_in(&self, id: &EventId, view: &View<'_>) -> Result<Option<(Seq, Event)>, Error> {
        match self.frames(std::slice::from_ref(id), Some(view))?.pop().flatten() {
            Some(f) => Ok(Some((f.seq, frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?))),
            None => Ok(None),
        }
    }

    pub(super) fn events_since_in(&self, after: Seq, limit: usize, view: &View<'_>) -> Result<Vec<FeedItem>, Error> {
        let limit = limit.max(1);
        let mut ids = Vec::new();
        {
            let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, view.read_options(Self::scan_read_options()));
            it.seek(after.saturating_add(1).to_be_bytes());
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if ids.len() >= limit {
                    break;
                }
                let seq = u64::from_be_bytes(k.try_into().map_err(|_| corrupt("log", "key length"))?);
                let mut c = Cur::new(unseal(k, v, "log")?, "log");
                ids.push((seq, c.event_id()?));
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        let evs = self.fetch_events(&ids.iter().map(|(_, i)| *i).collect::<Vec<_>>(), Some(view))?;
        ids.into_iter()
            .zip(evs)
            .map(|((seq, id), (s2, declared, mut event))| {
                // The event's own entry shows it as captured; a declaration attached later is fed at its own
                // entry, so replaying the feed into another store rebuilds the same log.
                if s2 == seq {
                    if declared.is_some() {
                        event.error_declaration = None;
                    }
                    Ok(FeedItem { seq, id, event })
                } else if declared == Some(seq) {
                    Ok(FeedItem { seq, id, event })
                } else {
                    Err(corrupt("log", "sequence mismatch"))
                }
            })
            .collect()
    }

    pub(super) fn query_in(&self, q: &Query, view: &View<'_>) -> Result<Page<Hit>, Error> {
        use keys::idx;
        let mut prefix = Vec::new();
        match &q.index {
            Index::Time => prefix.push(idx::TIME),
            Index::Location(l) => {
                prefix.push(idx::LOCATION);
                keys::push_node(&mut prefix, l);
            }
            Index::Party(l) => {
                prefix.push(idx::PARTY);
                keys::push_node(&mut prefix, l);
            }
            Index::Parent(l) => {
                prefix.push(idx::PARENT);
                keys::push_node(&mut prefix, l);
            }
            Index::BizStep(b) => {
                prefix.push(idx::BIZ_STEP);
                keys::push_u16_bytes(&mut prefix, b.term().as_bytes());
            }
            Index::Disposition(d) => {
                prefix.push(idx::DISPOSITION);
                keys::push_u16_bytes(&mut prefix, d.term().as_bytes());
            }
        }
        let mut start = prefix.clone();
        start.extend_from_slice(&keys::time_bytes(q.from.unwrap_or(Timestamp(i64::MIN))));
        start.extend_from_slice(&0u64.to_be_bytes());
        if let Some(c) = q.after {
            let mut s = prefix.clone();
            s.extend_from_slice(&keys::time_bytes(c.time));
            s.extend_from_slice(&c.seq.to_be_bytes());
            s.push(0); // strictly after the cursor's key
            if s > start {
                start = s;
            }
        }
        let mut end = None;
        if let Some(u) = q.until {
            let mut e = prefix.clone();
            e.extend_from_slice(&keys::time_bytes(u));
            end = Some(e);
        }
        let limit = q.limit.max(1);
        let mut items = Vec::new();
        let mut more = false;
        let mut it = self.db.raw_iterator_cf_opt(self.cf("idx")?, view.read_options(Self::scan_read_options()));
        it.seek(&start);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&prefix) || k.len() != prefix.len() + 16 || end.as_deref().is_some_and(|e| k >= e) {
                break;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            let tail = k.get(prefix.len()..).unwrap_or_default();
            let time = keys::time_from(tail.get(..8).and_then(|t| t.try_into().ok()).unwrap_or([0; 8]));
            let seq = u64::from_be_bytes(tail.get(8..).and_then(|t| t.try_into().ok()).unwrap_or([0; 8]));
            if !unseal(k, v, "idx")?.is_empty() {
                return Err(corrupt("idx", "an index entry has a body"));
            }
            items.push(Hit { time, seq, id: EventId([0; 32]) });
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        // The ids, from the log (one batched read; seqs in key order).
        let mut seqs: Vec<[u8; 8]> = items.iter().map(|h| h.seq.to_be_bytes()).collect();
        seqs.sort_unstable();
        let ro = view.read_options(ReadOptions::default());
        let got = self.db.batched_multi_get_cf_opt(self.cf("log")?, seqs.iter(), true, &ro);
        let mut ids = HashMap::with_capacity(seqs.len());
        for (k, r) in seqs.iter().zip(got) {
            let v = r.map_err(|e| io(&e))?.ok_or_else(|| corrupt("idx", "an index entry names a seq the log lacks"))?;
            ids.insert(u64::from_be_bytes(*k), Cur::new(unseal(k, &v, "log")?, "log").event_id()?);
        }
        for h in &mut items {
            h.id = *ids.get(&h.seq).ok_or_else(|| corrupt("idx", "an index entry names a seq the log lacks"))?;
        }
        let next = if more { items.last().map(|h| Cursor { time: h.time, seq: h.seq }) } else { None };
        Ok(Page { items, next })
    }

    pub(super) fn instances_in(
        &self,
        class: &TraceKey,
        after: Option<&TraceKey>,
        limit: usize,
        view: &View<'_>,
    ) -> Result<Vec<TraceKey>, Error> {
        let mut prefix = Vec::with_capacity(40);
        if class.instances_prefix().is_some() && class.gtin_class().as_ref() == Some(class) {
            prefix.push(keys::class::GTIN);
        } else if class.gtin_class().is_some() && class.kind() == crate::code::KeyKind::Class {
            prefix.push(keys::class::LOT);
        } else {
            return Err(Error::msg(ErrorKind::InvalidArgument, "not a GTIN or GTIN + lot class key"));
        }
        prefix.extend_from_slice(class.as_bytes());
        let mut it = self.db.raw_iterator_cf_opt(self.cf("class")?, view.read_options(Self::scan_read_options()));
        it.seek(&prefix);
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(&prefix) || out.len() >= limit.max(1) {
                break;
            }
            let inst = TraceKey::from_bytes(unseal(k, v, "class")?).map_err(|_| corrupt("class", "bad key"))?;
            if after.is_none_or(|a| &inst > a) {
                out.push(inst);
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }
}
