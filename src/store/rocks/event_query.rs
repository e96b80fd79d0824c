//! EPCIS queries over the RocksDB store: a plan over the indexes, the same answer as a filter over every event.
//!
//! Plans, in order of preference (`docs/QUERY.md`):
//! 1. **Chains**: a `MATCH_` condition whose values are identifiers (or a GTIN with few enough items) names
//!    the nodes whose chains hold every event that can match; their events are read, tested and sorted.
//! 2. **Index streams**: each condition an `idx` family answers (business step, disposition, read point and
//!    business location, parent, party source/destination) is a union of index ranges, all in (event time,
//!    sequence) order and bounded by the event-time conditions; the streams are intersected by leapfrog
//!    seeking, so the most selective one drives the scan whatever the order of the conditions. Without such a
//!    condition the time index, bounded by the event-time conditions, is the stream.
//!
//! Every candidate is then tested against the whole query ([`Prepared::matches`]), so an index only has to
//! hold a superset of the matches. Ordered by event time, a page stops reading at its last event; any other
//! order reads every match, then sorts.

use std::collections::BTreeMap;

use rocksdb::{DB, DBRawIteratorWithThreadMode};

use super::Store;
use super::error::io;
use super::reader::{Reader, View};
use crate::Error;
use crate::event::digest::EventId;
use crate::event::{Event, Id, SourceDestType};
use crate::store::Seq;
use crate::store::event_query::naive::{cursor_after, limit_left, page_room, too_large};
use crate::store::event_query::{
    Cmp, Cond, Direction, EpcField, EpcMatch, EventPage, EventQuery, FieldScope, FieldTest, OrderBy, Prepared,
    QueryEvent, ValueKind, finish, run_prepared, with_master_data,
};
use crate::store::keys::{self, corrupt, idx, unseal};

/// Most items of one GTIN whose chains a `MATCH_` on the GTIN reads rather than scanning an index.
const GTIN_ITEMS_MAX: usize = 4096;

/// Most (place, step) pairs one query's union of the place-and-step family may hold.
const MAX_PAIRS: usize = 256;

/// Most candidates fetched per batch from an index stream (one batched read of each family per batch).
const BATCH: usize = 256;

/// The candidates to fetch next: when the page stops at its last event (`bounded`), what the events still
/// wanted need at the match rate seen so far (all of them, at first: an index stream's candidates usually all
/// match), at least 8; otherwise a full batch.
fn batch_size(bounded: bool, wanted: usize, matched: u64, examined: u64) -> usize {
    if !bounded {
        return BATCH;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss, reason = "a size")]
    let n = {
        let rate = if examined == 0 { 1.0 } else { (matched as f64 / examined as f64).max(0.02) };
        (wanted as f64 / rate).ceil() as usize
    };
    n.clamp(8, BATCH)
}

/// A position in an index range: event time (8 order-preserving bytes) ‖ sequence (8, big-endian).
type Pos = [u8; 16];

fn pos_seq(p: &Pos) -> Seq {
    u64::from_be_bytes(p[8..].try_into().unwrap_or([0; 8]))
}

/// The next position after `p` in `dir` (`None` past the end).
fn step(p: Pos, dir: Direction) -> Option<Pos> {
    let n = u128::from_be_bytes(p);
    match dir {
        Direction::Asc => n.checked_add(1),
        Direction::Desc => n.checked_sub(1),
    }
    .map(u128::to_be_bytes)
}

/// Whether `a` comes before `b` in `dir`.
fn before(a: &Pos, b: &Pos, dir: Direction) -> bool {
    match dir {
        Direction::Asc => a < b,
        Direction::Desc => a > b,
    }
}

/// One index range (`prefix ‖ pos`), walked in `dir` within `[lo, hi)`.
struct Range<'a> {
    it: DBRawIteratorWithThreadMode<'a, DB>,
    prefix: Vec<u8>,
    lo: Pos,
    hi: Pos,
    dir: Direction,
    /// The last answer of `seek` and the target it answered (`None` answer: exhausted from that target on).
    at: Option<(Pos, Option<Pos>)>,
}

/// Steps tried before a seek when the target is just ahead of the iterator: a step is an order of magnitude
/// cheaper than a seek, and in a dense stream the next match is usually a few entries on.
const STEPS_BEFORE_SEEK: usize = 8;

impl Range<'_> {
    /// The position of the iterator's entry when it is one of this range's (in the prefix, within bounds);
    /// `Err(true)` past the prefix or bounds in the walk's direction.
    fn here(&self) -> Result<Option<Pos>, Error> {
        match (self.it.key(), self.it.value()) {
            (Some(k), Some(v)) if k.len() == self.prefix.len() + 16 && k.starts_with(&self.prefix) => {
                if !unseal(k, v, "idx")?.is_empty() {
                    return Err(corrupt("idx", "an index entry has a body"));
                }
                let mut p = [0u8; 16];
                p.copy_from_slice(k.get(self.prefix.len()..).unwrap_or_default());
                Ok((p >= self.lo && p < self.hi).then_some(p))
            }
            _ => Ok(None),
        }
    }

    /// The first position at or after `target` in `dir` (within bounds), if any.
    fn seek(&mut self, target: Pos) -> Result<Option<Pos>, Error> {
        if let Some((t, ans)) = self.at {
            // Still valid when the target has not moved past the answer.
            let fresh = match ans {
                Some(a) => !before(&a, &target, self.dir) && !before(&target, &t, self.dir),
                None => !before(&target, &t, self.dir),
            };
            if fresh {
                return Ok(ans);
            }
            // The iterator sits on the last answer, behind the target: step towards it a few times.
            if ans.is_some() {
                for _ in 0..STEPS_BEFORE_SEEK {
                    match self.dir {
                        Direction::Asc => self.it.next(),
                        Direction::Desc => self.it.prev(),
                    }
                    let here = self.here()?;
                    match here {
                        Some(p) if before(&p, &target, self.dir) => {}
                        _ => {
                            self.it.status().map_err(|e| io(&e))?;
                            self.at = Some((target, here));
                            return Ok(here);
                        }
                    }
                }
            }
        }
        let mut key = self.prefix.clone();
        key.extend_from_slice(&target);
        match self.dir {
            Direction::Asc => self.it.seek(&key),
            Direction::Desc => self.it.seek_for_prev(&key),
        }
        let ans = self.here()?;
        self.it.status().map_err(|e| io(&e))?;
        self.at = Some((target, ans));
        Ok(ans)
    }
}

/// A union of ranges (the values of one condition): the first position at or after a target in any of them.
struct Union<'a> {
    ranges: Vec<Range<'a>>,
    dir: Direction,
}

impl Union<'_> {
    fn seek(&mut self, target: Pos) -> Result<Option<Pos>, Error> {
        let mut best: Option<Pos> = None;
        for r in &mut self.ranges {
            if let Some(p) = r.seek(target)?
                && best.is_none_or(|b| before(&p, &b, self.dir))
            {
                best = Some(p);
            }
        }
        Ok(best)
    }
}

/// The intersection of unions, by leapfrog: seek each to the furthest position any has reached until all
/// agree.
struct Leapfrog<'a> {
    parts: Vec<Union<'a>>,
    dir: Direction,
    next: Option<Pos>,
}

impl Leapfrog<'_> {
    fn next(&mut self) -> Result<Option<Pos>, Error> {
        let Some(mut target) = self.next else { return Ok(None) };
        'outer: loop {
            for part in &mut self.parts {
                match part.seek(target)? {
                    None => {
                        self.next = None;
                        return Ok(None);
                    }
                    Some(p) if p != target => {
                        target = p;
                        continue 'outer;
                    }
                    Some(_) => {}
                }
            }
            self.next = step(target, self.dir);
            return Ok(Some(target));
        }
    }
}

/// A place condition with a business-step condition: the index of the place condition, and the union of
/// (place, step) pairs that stands for both, when there are few enough pairs.
fn place_step_union(q: &EventQuery, prepared: &Prepared<'_>) -> Option<(usize, Vec<Vec<u8>>)> {
    let steps = q.conds.iter().find_map(|c| match c {
        Cond::BizStep(bs) => Some(bs),
        _ => None,
    })?;
    q.conds.iter().enumerate().find_map(|(i, c)| {
        if !matches!(c, Cond::Place { .. }) {
            return None;
        }
        let places = prepared.places_of(i).unwrap_or_default();
        (places.len() * steps.len() <= MAX_PAIRS).then(|| {
            let union =
                places.iter().flat_map(|p| steps.iter().map(move |b| keys::place_step_term(p, b.term()))).collect();
            (i, union)
        })
    })
}

/// The GTIN class whose `CLASS` index entries hold every event a `MATCH_` value can match: the GTIN of a
/// GTIN value, or of a GTIN-based identifier.
fn gtin_of(v: &EpcMatch) -> Option<crate::code::TraceKey> {
    match v {
        EpcMatch::Gtin(g) => Some(g.clone()),
        EpcMatch::Exact(Id::Key(k)) => k.gtin_class(),
        _ => None,
    }
}

/// The event-time conditions as positions: `[lo, hi)`.
fn time_bounds(q: &EventQuery) -> (Pos, Pos) {
    let (mut lo, mut hi) = ([0u8; 16], [0xFF; 16]);
    for c in &q.conds {
        if let Cond::EventTime(cmp, t) = c {
            let mut p = [0u8; 16];
            p[..8].copy_from_slice(&keys::time_bytes(*t));
            match cmp {
                Cmp::Ge if p > lo => lo = p,
                Cmp::Lt if p < hi => hi = p,
                _ => {}
            }
        }
    }
    (lo, hi)
}

impl Store {
    pub(super) fn event_query_in(&self, q: &EventQuery, view: &View<'_>) -> Result<EventPage, Error> {
        with_master_data(
            q,
            || self.vocab_versions(view),
            |md| {
                let prepared = Prepared::new(q, md);
                if let Some(nodes) = self.chain_nodes(q, view)? {
                    return self.answer_from_chains(q, &prepared, &nodes, view);
                }
                // Without a time budget the answer is always complete.
                Ok(self.answer_from_streams(q, &prepared, view, None)?.unwrap_or_else(EventPage::empty))
            },
        )
    }

    /// The answer without the planner: the time index (bounded by the event-time conditions) filtered, the
    /// same-run baseline of `tracecode bench query`; `None` when it takes longer than `budget`. Bench hook, not
    /// a supported API.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn event_query_scan(&self, q: &EventQuery, budget: std::time::Duration) -> Result<Option<EventPage>, Error> {
        let view = View::take(self);
        with_master_data(
            q,
            || self.vocab_versions(&view),
            |md| {
                let prepared = Prepared::new(q, md);
                self.answer_from_streams(q, &prepared, &view, Some(std::time::Instant::now() + budget))
            },
        )
    }

    /// The nodes whose chains hold every event that can match, when a `MATCH_` condition names few enough:
    /// the smallest such set among the conditions.
    fn chain_nodes(&self, q: &EventQuery, view: &View<'_>) -> Result<Option<Vec<Id>>, Error> {
        let mut best: Option<Vec<Id>> = None;
        for c in &q.conds {
            let Cond::Epc { field, values } = c else { continue };
            let mut nodes: Vec<Id> = Vec::new();
            let mut ok = true;
            for v in values {
                match v {
                    // A GTIN key in a class field also matches the class written as a pattern URI, whose spellings
                    // cannot be listed: not plannable.
                    EpcMatch::Exact(Id::Key(k)) if field.is_class() && k.gtin_class().as_ref() == Some(k) => ok = false,
                    EpcMatch::Exact(id) => nodes.push(id.clone()),
                    EpcMatch::Gtin(g) if !field.is_class() && !self.query_index => {
                        let items = self.instances_in(g, None, GTIN_ITEMS_MAX + 1, view)?;
                        if items.len() > GTIN_ITEMS_MAX {
                            ok = false;
                        } else {
                            nodes.extend(items.into_iter().map(Id::Key));
                        }
                    }
                    _ => ok = false,
                }
                if !ok {
                    break;
                }
            }
            if ok && best.as_ref().is_none_or(|b| nodes.len() < b.len()) {
                best = Some(nodes);
            }
        }
        Ok(best)
    }

    fn answer_from_chains(
        &self,
        q: &EventQuery,
        prepared: &Prepared<'_>,
        nodes: &[Id],
        view: &View<'_>,
    ) -> Result<EventPage, Error> {
        let mut reader = Reader::new(self, Some(view.clone()));
        let mut cands: BTreeMap<Seq, EventId> = BTreeMap::new();
        for n in nodes {
            let (chain, _) = reader.scan(&keys::node_key(n))?;
            for e in chain.entries() {
                cands.insert(e.seq, e.id);
            }
        }
        let ids: Vec<EventId> = cands.values().copied().collect();
        let events = self.fetch_events(&ids, Some(view))?;
        run_prepared(q, prepared, cands.into_iter().zip(&events).map(|((seq, id), (_, _, e))| (seq, id, e)))
    }

    /// The index ranges of the conditions an `idx` family answers, one union per condition (the query index
    /// families of format 6 only when the store has them).
    fn stream_terms(&self, q: &EventQuery, prepared: &Prepared<'_>) -> Vec<Vec<Vec<u8>>> {
        let qi = self.query_index;
        let mut parts = Vec::new();
        let paired = if qi { place_step_union(q, prepared) } else { None };
        if let Some((_, union)) = &paired {
            parts.push(union.clone());
        }
        for (i, c) in q.conds.iter().enumerate() {
            if paired.as_ref().is_some_and(|(pi, _)| *pi == i) || (paired.is_some() && matches!(c, Cond::BizStep(_))) {
                continue;
            }
            let mut prefixes: Vec<Vec<u8>> = Vec::new();
            let mut term = |tag: u8, f: &dyn Fn(&mut Vec<u8>)| {
                let mut p = vec![tag];
                f(&mut p);
                if !prefixes.contains(&p) {
                    prefixes.push(p);
                }
            };
            match c {
                Cond::BizStep(bs) => {
                    for b in bs {
                        term(idx::BIZ_STEP, &|p| keys::push_u16_bytes(p, b.term().as_bytes()));
                    }
                }
                Cond::Disposition(ds) => {
                    for d in ds {
                        term(idx::DISPOSITION, &|p| keys::push_u16_bytes(p, d.term().as_bytes()));
                    }
                }
                Cond::Place { .. } => {
                    for id in prepared.places_of(i).unwrap_or_default() {
                        term(idx::LOCATION, &|p| keys::push_node(p, id));
                    }
                }
                Cond::Epc { field: EpcField::ParentId, values } if values.iter().all(|v| v.exact().is_some()) => {
                    values
                        .iter()
                        .filter_map(EpcMatch::exact)
                        .for_each(|id| term(idx::PARENT, &|p| keys::push_node(p, id)));
                }
                Cond::EventType(ts) if qi => {
                    for t in ts {
                        prefixes.push(keys::type_term(t.as_str()));
                    }
                }
                Cond::Epc { values, .. } if qi && values.iter().all(|v| gtin_of(v).is_some()) => {
                    for g in values.iter().filter_map(gtin_of) {
                        let t = keys::class_term(&g);
                        if !prefixes.contains(&t) {
                            prefixes.push(t);
                        }
                    }
                }
                Cond::Field { scope: FieldScope::Ilmd, inner: false, name, test: FieldTest::Cmp(Cmp::Eq, values) }
                    if qi
                        && name.iris().is_some()
                        && values
                            .iter()
                            .all(|v| v.kind == ValueKind::Number || v.text.len() <= keys::ILMD_INDEX_MAX) =>
                {
                    for iri in name.iris().unwrap_or_default() {
                        for v in values {
                            for k in v.keys() {
                                prefixes.push(keys::ilmd_term(iri, &k));
                            }
                        }
                    }
                }
                Cond::SourceDest { kind, values, .. } => {
                    let tag = match kind {
                        SourceDestType::Location => idx::LOCATION,
                        SourceDestType::OwningParty | SourceDestType::PossessingParty => idx::PARTY,
                        SourceDestType::Other(_) => continue,
                    };
                    for id in values {
                        term(tag, &|p| keys::push_node(p, id));
                    }
                }
                _ => continue,
            }
            parts.push(prefixes);
        }
        parts
    }

    fn answer_from_streams(
        &self,
        q: &EventQuery,
        prepared: &Prepared<'_>,
        view: &View<'_>,
        scan_until: Option<std::time::Instant>,
    ) -> Result<Option<EventPage>, Error> {
        let (by, dir) = q.order();
        let mut terms = if scan_until.is_some() { Vec::new() } else { self.stream_terms(q, prepared) };
        if terms.is_empty() {
            terms.push(vec![vec![idx::TIME]]);
        }
        let (lo, hi) = time_bounds(q);
        let streamed = by == OrderBy::EventTime;
        // Resume after the cursor when the stream is in the answer's order.
        let mut start = match dir {
            Direction::Asc => Some(lo),
            Direction::Desc => step(hi, Direction::Desc),
        };
        if streamed && let Some(c) = &q.after {
            let mut p = [0u8; 16];
            if let Some(k) = c.key.as_deref().filter(|k| k.len() == 8) {
                p[..8].copy_from_slice(k);
            }
            p[8..].copy_from_slice(&c.seq.to_be_bytes());
            // Strictly after the cursor, and not before the bounds: the later of the two in `dir`.
            start = match (start, step(p, dir)) {
                (Some(s), Some(r)) => Some(if before(&r, &s, dir) { s } else { r }),
                _ => None,
            };
        }
        let cf = self.cf("idx")?;
        let parts: Vec<Union<'_>> = terms
            .into_iter()
            .map(|prefixes| Union {
                ranges: prefixes
                    .into_iter()
                    .map(|prefix| Range {
                        it: self.db.raw_iterator_cf_opt(cf, view.read_options(Self::scan_read_options())),
                        prefix,
                        lo,
                        hi,
                        dir,
                        at: None,
                    })
                    .collect(),
                dir,
            })
            .collect();
        let mut frog = Leapfrog { parts, dir, next: if lo < hi { start } else { None } };
        let returned = q.after.as_ref().map_or(0, |c| c.returned);
        let room = page_room(q, returned);
        let count_all = !streamed || (q.after.is_none() && q.max_event_count.is_some());
        let mut examined = 0u64;
        let mut hits: Vec<(crate::store::event_query::order::SortKey, EventId, Event)> = Vec::new();
        let mut matched = 0u64;
        let mut more = false;
        loop {
            let size = batch_size(streamed && !count_all, room + 1 - hits.len().min(room), matched, examined);
            let mut batch: Vec<Seq> = Vec::with_capacity(size);
            while batch.len() < size {
                match frog.next()? {
                    Some(p) => batch.push(pos_seq(&p)),
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            if scan_until.is_some_and(|u| std::time::Instant::now() > u) {
                return Ok(None);
            }
            examined += batch.len() as u64;
            for (&seq, (id, e)) in batch.iter().zip(self.events_by_seq(&batch, view)?) {
                if !prepared.matches(&e) {
                    continue;
                }
                matched += 1;
                if let Some(max) = q.max_event_count
                    && q.after.is_none()
                    && matched > max
                {
                    return Err(too_large(max));
                }
                if !streamed || hits.len() < room {
                    hits.push((by.key(&e, seq), id, e));
                } else {
                    more = true;
                    if !count_all {
                        break;
                    }
                }
            }
            if more && !count_all {
                break;
            }
        }
        let mut page = if streamed {
            let events: Vec<QueryEvent> =
                hits.into_iter().map(|((_, seq), id, event)| QueryEvent { seq, id, event }).collect();
            let more = more && limit_left(q, returned + events.len() as u64);
            let next = if more { cursor_after(q, &events, returned) } else { None };
            EventPage { events, next, examined: 0 }
        } else {
            finish(q, hits)?
        };
        page.examined = examined;
        Ok(Some(page))
    }
}
