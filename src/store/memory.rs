//! The reference model: every event in a `Vec`, every answer computed by scanning them.
//!
//! Deliberately naive — no indexes, no caches — so it is easy to see that it is right; the RocksDB store is
//! tested against it on random workloads. Good for unit tests of code built on a store, not for volume.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use crate::code::TraceKey;
use crate::event::digest::{EventId, GENESIS, Link, chain_step, event_id};
use crate::event::{Action, Event, EventType, Id, SourceDestType, Timestamp};
use crate::{Error, ErrorKind};

use super::derive::{self, Why};
use super::event_query::{run_naive, with_master_data};
use super::{
    ChainBuilder, ChainEvent, Checkpoint, Cursor, Edge, FeedItem, Hit, Index, IngestReport, LOG_GENESIS, Outcome, Page,
    Query, Resolution, Seq, State, Stats, TraceStore, VerifyReport, derive_state, keys, log_step,
};
use super::{EventPage, EventQuery};
use crate::masterdata::{ElementVersion, MasterDataReport, Vocabulary};

#[derive(Clone, Default)]
struct Inner {
    /// The log: entry `seq` is at index `seq - 1`. An error declaration's entry holds a copy of its event.
    events: Vec<(EventId, Event)>,
    /// Indexes of `events` that are error declarations, not captured events.
    declarations: BTreeSet<usize>,
    by_id: HashMap<EventId, Seq>,
    /// Master data: every version of each element, by `keys::vocab_element_key` (the RocksDB store's order).
    vocab: std::collections::BTreeMap<Vec<u8>, (Box<str>, Vec<crate::masterdata::VocabularyElement>)>,
}

/// The in-memory reference implementation of [`TraceStore`] (see the [module docs](super)).
///
/// ```
/// use tracecode::store::{MemoryStore, TraceStore};
/// let s = MemoryStore::new();
/// assert_eq!(s.stats()?.events, 0);
/// # Ok::<(), tracecode::Error>(())
/// ```
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
    /// A copy made by [`TraceStore::pinned`]: already one state, so it pins no further.
    frozen: bool,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated (ingest mutates only after all
        // checks), so a poisoned lock's data is still consistent.
        self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Validates a batch and computes ids; shared shape of both stores' ingest.
pub(crate) fn prepare(events: &[Event]) -> Result<Vec<EventId>, Error> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            validate_in_batch(e, i)?;
            event_id(e)
        })
        .collect()
}

/// [`Event::validate`] for the `i`-th event of a batch: both stores reject a batch the same way.
pub(crate) fn validate_in_batch(e: &Event, i: usize) -> Result<(), Error> {
    e.validate()
        .map_err(|x| Error::new(ErrorKind::InvalidArgument, i, 1, format!("event {i} of the batch is invalid: {x}")))
}

fn is_unpack_all(e: &Event, container: &Id) -> bool {
    matches!(e.kind, EventType::Aggregation)
        && e.action == Some(Action::Delete)
        && e.parent_id.as_ref() == Some(container)
        && e.child_epcs.iter().chain(e.child_quantity_list.iter().map(|q| &q.class)).all(|c| c == container)
}

impl Inner {
    /// Distinct stored edges, counted as the RocksDB store counts its `edge` records.
    fn edge_count(&self) -> u64 {
        let mut edges = self.all_edges();
        edges.sort_by_cached_key(|(n, e)| (keys::node_key(n), keys::edge_suffix(e)));
        edges.dedup_by(|a, b| {
            keys::node_key(&a.0) == keys::node_key(&b.0) && keys::edge_suffix(&a.1) == keys::edge_suffix(&b.1)
        });
        edges.len() as u64
    }

    /// The captured events with their log indexes (error declarations' log entries left out).
    fn captured(&self) -> impl Iterator<Item = (usize, &(EventId, Event))> {
        self.events.iter().enumerate().filter(|(i, _)| !self.declarations.contains(i))
    }

    fn chain(&self, id: &Id) -> Vec<ChainEvent> {
        let mut link = GENESIS;
        let mut out = Vec::new();
        for (i, (eid, e)) in self.captured() {
            if derive::nodes(e).contains(&id) {
                link = chain_step(&link, eid);
                out.push(ChainEvent { seq: seq_of(i), id: *eid, link, event: e.clone() });
            }
        }
        out
    }

    fn state(&self, id: &Id, chain: &[ChainEvent], at: Option<Timestamp>) -> Result<State, Error> {
        derive_state(id, chain.iter().map(|c| (c.seq, c.id, &c.event)), at, &mut |c, t, q| {
            Ok(self.captured().any(|(i, (_, e))| {
                is_unpack_all(e, c) && (e.event_time, seq_of(i)) > (t, q) && at.is_none_or(|a| e.event_time <= a)
            }))
        })
    }

    fn all_edges(&self) -> Vec<(Id, Edge)> {
        let mut out = Vec::new();
        for (i, (eid, e)) in self.captured() {
            out.extend(derive::edges(e, seq_of(i), *eid));
        }
        // Transformation joins: events sharing a transformationID are one transformation.
        for (i, (_, a)) in self.captured() {
            let Some(tid) = &a.transformation_id else { continue };
            for (j, (bid, b)) in self.captured().filter(|(j, _)| *j > i) {
                if b.transformation_id.as_ref() != Some(tid) || b.kind != EventType::Transformation {
                    continue;
                }
                if a.kind != EventType::Transformation {
                    continue;
                }
                let why = Why { seq: seq_of(j), id: *bid, time: a.event_time.max(b.event_time) };
                let (ai, ao) = derive::transformation_sides(a);
                let (bi, bo) = derive::transformation_sides(b);
                derive::transformation_edges(&mut out, &ai, &bo, why);
                derive::transformation_edges(&mut out, &bi, &ao, why);
            }
        }
        out
    }

    fn nodes(&self) -> BTreeSet<Vec<u8>> {
        self.captured().flat_map(|(_, (_, e))| derive::nodes(e).into_iter().map(keys::node_key)).collect()
    }
}

fn seq_of(index: usize) -> Seq {
    u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1)
}

fn matches(q: &Index, e: &Event) -> bool {
    let sd_is = |list: &[crate::event::SourceDest], kinds: &[SourceDestType], id: &Id| {
        list.iter().any(|s| kinds.contains(&s.kind) && &s.id == id)
    };
    match q {
        Index::Time => true,
        Index::Location(l) => {
            e.read_point.as_ref().is_some_and(|p| &p.id == l)
                || e.biz_location.as_ref().is_some_and(|p| &p.id == l)
                || sd_is(&e.sources, &[SourceDestType::Location], l)
                || sd_is(&e.destinations, &[SourceDestType::Location], l)
        }
        Index::Party(p) => {
            let kinds = [SourceDestType::OwningParty, SourceDestType::PossessingParty];
            e.who.party.as_ref() == Some(p) || sd_is(&e.sources, &kinds, p) || sd_is(&e.destinations, &kinds, p)
        }
        Index::BizStep(b) => e.biz_step.as_ref() == Some(b),
        Index::Disposition(d) => e.disposition.as_ref() == Some(d),
        Index::Parent(p) => e.parent_id.as_ref() == Some(p),
    }
}

impl TraceStore for MemoryStore {
    fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, Error> {
        let ids = prepare(&events)?;
        let mut g = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut report = IngestReport::default();
        for (e, id) in events.into_iter().zip(ids) {
            if let Some(&s) = g.by_id.get(&id) {
                let at = usize::try_from(s - 1).unwrap_or(usize::MAX);
                match (e.error_declaration, g.events.get_mut(at)) {
                    (Some(d), Some((_, stored))) if stored.error_declaration.is_none() => {
                        stored.error_declaration = Some(d);
                        let copy = stored.clone();
                        let n = g.events.len();
                        g.declarations.insert(n);
                        g.events.push((id, copy));
                        report.declared += 1;
                        report.outcomes.push((id, Outcome::Declared(seq_of(n))));
                    }
                    _ => {
                        report.duplicates += 1;
                        report.outcomes.push((id, Outcome::Duplicate(s)));
                    }
                }
            } else {
                let s = seq_of(g.events.len());
                g.by_id.insert(id, s);
                g.events.push((id, e));
                report.accepted += 1;
                report.outcomes.push((id, Outcome::Accepted(s)));
            }
        }
        Ok(report)
    }

    fn resolve_id(&self, id: &Id) -> Result<Option<Arc<Resolution>>, Error> {
        let g = self.read();
        let chain = g.chain(id);
        if chain.is_empty() {
            return Ok(None);
        }
        let state = g.state(id, &chain, None)?;
        let mut b = ChainBuilder::with_capacity(chain.len(), chain.len() * 256);
        for c in &chain {
            b.push(c.seq, c.id, c.link, &crate::event::frame::encode(&c.event)?)?;
        }
        Ok(Some(Arc::new(Resolution { id: id.clone(), state, chain: b.build() })))
    }

    fn state_at(&self, id: &Id, at: Timestamp) -> Result<Option<State>, Error> {
        let g = self.read();
        let chain = g.chain(id);
        if chain.is_empty() {
            return Ok(None);
        }
        g.state(id, &chain, Some(at)).map(Some)
    }

    fn event(&self, id: &EventId) -> Result<Option<(Seq, Event)>, Error> {
        let g = self.read();
        Ok(g.by_id.get(id).and_then(|&s| {
            let i = usize::try_from(s - 1).ok()?;
            g.events.get(i).map(|(_, e)| (s, e.clone()))
        }))
    }

    fn events_since(&self, after: Seq, limit: usize) -> Result<Vec<FeedItem>, Error> {
        let g = self.read();
        let skip = usize::try_from(after).unwrap_or(usize::MAX);
        Ok(g.events
            .iter()
            .enumerate()
            .skip(skip)
            .take(limit.max(1))
            .map(|(i, (id, e))| {
                let mut event = e.clone();
                // An event declared after its capture is fed as captured at its own entry; the declaration is
                // the later entry's.
                let declared_later = !g.declarations.contains(&i)
                    && g.declarations.iter().any(|&j| g.events.get(j).is_some_and(|(x, _)| x == id));
                if declared_later {
                    event.error_declaration = None;
                }
                FeedItem { seq: seq_of(i), id: *id, event }
            })
            .collect())
    }

    fn query(&self, q: &Query) -> Result<Page<Hit>, Error> {
        let g = self.read();
        let mut hits: Vec<Hit> = g
            .captured()
            .filter(|(_, (_, e))| matches(&q.index, e))
            .map(|(i, (id, e))| Hit { time: e.event_time, seq: seq_of(i), id: *id })
            .filter(|h| q.from.is_none_or(|f| h.time >= f) && q.until.is_none_or(|u| h.time < u))
            .filter(|h| q.after.is_none_or(|c| (h.time, h.seq) > (c.time, c.seq)))
            .collect();
        hits.sort_by_key(|h| (h.time, h.seq));
        let limit = q.limit.max(1);
        let more = hits.len() > limit;
        hits.truncate(limit);
        let next = if more { hits.last().map(|h| Cursor { time: h.time, seq: h.seq }) } else { None };
        Ok(Page { items: hits, next })
    }

    fn event_query(&self, q: &EventQuery) -> Result<EventPage, Error> {
        with_master_data(
            q,
            || self.master_data_versions(),
            |md| {
                let g = self.read();
                run_naive(q, md, g.captured().map(|(i, (id, e))| (seq_of(i), *id, e)))
            },
        )
    }

    fn put_master_data(&self, vocabularies: &[Vocabulary]) -> Result<MasterDataReport, Error> {
        let mut g = self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut report = MasterDataReport::default();
        for v in vocabularies {
            for e in &v.elements {
                let versions = g
                    .vocab
                    .entry(keys::vocab_element_key(&e.key(), &v.kind))
                    .or_insert_with(|| (v.kind.clone(), Vec::new()));
                if let Some(next) = report.next_version(versions.1.last(), e) {
                    versions.1.push(next);
                }
            }
        }
        Ok(report)
    }

    fn master_data_versions(&self) -> Result<Vec<ElementVersion>, Error> {
        let g = self.read();
        Ok(g.vocab
            .values()
            .flat_map(|(kind, versions)| {
                versions.iter().enumerate().map(|(i, e)| ElementVersion {
                    kind: kind.clone(),
                    version: i as u64 + 1,
                    element: e.clone(),
                })
            })
            .collect())
    }

    fn instances(&self, class: &TraceKey, after: Option<&TraceKey>, limit: usize) -> Result<Vec<TraceKey>, Error> {
        let g = self.read();
        let mut found = BTreeSet::new();
        if class.instances_prefix().is_some() && class.gtin_class().as_ref() == Some(class) {
            for (_, (_, e)) in g.captured() {
                for n in derive::nodes(e) {
                    if let Id::Key(k) = n
                        && k.gtin_class().as_ref() == Some(class)
                        && k.kind() == crate::code::KeyKind::Instance
                    {
                        found.insert(k.clone());
                    }
                }
            }
        } else if class.gtin_class().is_some() && class.kind() == crate::code::KeyKind::Class {
            for (_, (_, e)) in g.captured() {
                for (lot, inst) in derive::memberships(e) {
                    if &lot == class {
                        found.insert(inst);
                    }
                }
            }
        } else {
            return Err(Error::msg(ErrorKind::InvalidArgument, "not a GTIN or GTIN + lot class key"));
        }
        Ok(found.into_iter().filter(|k| after.is_none_or(|a| k > a)).take(limit.max(1)).collect())
    }

    fn neighbours(&self, node: &Id, out: &mut Vec<Edge>) -> Result<(), Error> {
        let g = self.read();
        let mut mine: Vec<Edge> = g.all_edges().into_iter().filter(|(n, _)| n == node).map(|(_, e)| e).collect();
        mine.sort_by_cached_key(keys::edge_suffix);
        mine.dedup_by(|a, b| keys::edge_suffix(a) == keys::edge_suffix(b));
        out.extend(mine);
        Ok(())
    }

    fn checkpoint(&self) -> Result<Checkpoint, Error> {
        let g = self.read();
        let mut h = LOG_GENESIS;
        for (i, (id, _)) in g.events.iter().enumerate() {
            h = log_step(&h, seq_of(i), id);
        }
        Ok(Checkpoint { seq: seq_of(g.events.len()) - 1, hash: h })
    }

    fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<bool, Error> {
        let g = self.read();
        if cp.seq > seq_of(g.events.len()) - 1 {
            return Err(Error::msg(ErrorKind::InvalidArgument, "checkpoint is beyond the end of the log"));
        }
        let mut h: Link = LOG_GENESIS;
        for (i, (id, _)) in g.events.iter().enumerate().take(usize::try_from(cp.seq).unwrap_or(usize::MAX)) {
            h = log_step(&h, seq_of(i), id);
        }
        Ok(h == cp.hash)
    }

    fn verify(&self, id: &Id) -> Result<VerifyReport, Error> {
        let g = self.read();
        let n = u64::try_from(g.chain(id).len()).unwrap_or(u64::MAX);
        Ok(VerifyReport { chains: u64::from(n > 0), chain_entries: n, ..VerifyReport::default() })
    }

    /// A copy of the model as it is now: a walk over it never sees a batch ingested meanwhile.
    fn pinned(&self) -> Option<Box<dyn TraceStore + '_>> {
        (!self.frozen)
            .then(|| Box::new(Self { inner: RwLock::new(self.read().clone()), frozen: true }) as Box<dyn TraceStore>)
    }

    fn verify_all(&self) -> Result<VerifyReport, Error> {
        let g = self.read();
        let log_entries = u64::try_from(g.events.len()).unwrap_or(u64::MAX);
        let events = g.captured().count() as u64;
        let chain_entries = g.captured().map(|(_, (_, e))| derive::nodes(e).len() as u64).sum();
        let chains = g.nodes().len() as u64;
        Ok(VerifyReport { log_entries, events, chains, chain_entries, edges: g.edge_count(), first_bad: None })
    }

    fn stats(&self) -> Result<Stats, Error> {
        let g = self.read();
        Ok(Stats {
            events: g.events.len() as u64,
            nodes: g.nodes().len() as u64,
            chain_entries: g.captured().map(|(_, (_, e))| derive::nodes(e).len() as u64).sum(),
            edges: g.edge_count(),
            ..Stats::default()
        })
    }
}
