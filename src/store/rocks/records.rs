//! Turning accepted events into records: the nodes' chain entries, heads and state folds, index entries,
//! class entries, and transformation joins (edges have `edges`, the `event` family `events`).

use rocksdb::ReadOptions;

use super::Store;
use super::batch::Pending;
use super::error::io;
use super::events::event_record_head;
use super::ingest::{Accepted, Writer};
use super::open::cfi;
use super::prepare::Prepared;
use super::reader::{Reader, View};
use crate::Error;
use crate::code::TraceKey;
use crate::event::digest::{EventId, GENESIS, Link, chain_step};
use crate::event::{Event, EventType, Id, SourceDestType, Timestamp};
use crate::store::derive::{self, Why};
use crate::store::keys::{self, Cur, corrupt, unseal};
use crate::store::state::Fold;
use crate::store::{EdgeKind, Seq};

/// A node touched by the batch being prepared.
pub(super) struct NodeHead {
    /// The node (`None` for a node loaded only because a container it was in was unpacked).
    id: Option<Id>,
    /// The fold's `packed_at` before this batch (a change means a new container check).
    packed_before: Option<(Timestamp, Seq)>,
    pub(super) link: Link,
    pub(super) fold: Fold,
    /// An event older than the fold's last one arrived: rebuild the fold from the whole chain.
    pub(super) stale: bool,
    /// This batch's events about the node: (index in the batch, seq, id).
    batch: Vec<(usize, Seq, EventId)>,
    /// The batch added chain entries for the node (false for a node loaded only for an unpack).
    pub(super) touched: bool,
}

#[derive(Clone)]
pub(super) struct XformEntry {
    tid: Box<str>,
    why: Why,
    inputs: Vec<Id>,
    outputs: Vec<Id>,
}

fn encode_xform(x: &XformEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(&keys::time_bytes(x.why.time));
    v.extend_from_slice(&x.why.id.0);
    for side in [&x.inputs, &x.outputs] {
        v.extend_from_slice(&u32::try_from(side.len()).unwrap_or(u32::MAX).to_be_bytes());
        for id in side {
            keys::push_full_id(&mut v, Some(id));
        }
    }
    v
}

fn decode_xform(tid: &str, seq: Seq, body: &[u8]) -> Result<XformEntry, Error> {
    let mut c = Cur::new(body, "xform");
    let time = keys::time_from(c.arr()?);
    let id = c.event_id()?;
    let mut sides = [Vec::new(), Vec::new()];
    for side in &mut sides {
        let n = u32::from_be_bytes(c.arr()?);
        for _ in 0..n {
            side.push(c.full_id()?.ok_or_else(|| corrupt("xform", "empty id"))?);
        }
    }
    let [inputs, outputs] = sides;
    Ok(XformEntry { tid: tid.into(), why: Why { seq, id, time }, inputs, outputs })
}

fn xform_prefix(tid: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(tid.len() + 2);
    keys::push_u16_bytes(&mut p, tid.as_bytes());
    p
}

impl Store {
    /// One `idx` record: `tag ‖ term ‖ time ‖ seq`, and a value that is only the CRC (the log maps the seq
    /// to the event id); `term` writes the term bytes.
    fn put_idx(p: &mut Pending, tag: u8, term: impl FnOnce(&mut Vec<u8>), e: &Event, seq: Seq) {
        let k0 = p.arena.len();
        p.arena.push(tag);
        term(&mut p.arena);
        p.arena.extend_from_slice(&keys::time_bytes(e.event_time));
        p.arena.extend_from_slice(&seq.to_be_bytes());
        let v0 = p.arena.len();
        p.close(cfi::IDX, k0, v0);
    }

    /// The `idx` records of event `e` at `seq`; with `query_index` (format 6) also the query index families.
    pub(super) fn index_event(p: &mut Pending, e: &Event, seq: Seq, query_index: bool) {
        use keys::idx;
        Self::put_idx(p, idx::TIME, |_| {}, e, seq);
        if query_index {
            Self::index_query_terms(p, e, seq);
        }
        let mut locations: Vec<&Id> = Vec::new();
        let mut parties: Vec<&Id> = Vec::new();
        for place in e.read_point.iter().chain(&e.biz_location) {
            if !locations.contains(&&place.id) {
                locations.push(&place.id);
            }
        }
        for sd in e.sources.iter().chain(&e.destinations) {
            match sd.kind {
                SourceDestType::Location if !locations.contains(&&sd.id) => locations.push(&sd.id),
                SourceDestType::OwningParty | SourceDestType::PossessingParty if !parties.contains(&&sd.id) => {
                    parties.push(&sd.id);
                }
                _ => {}
            }
        }
        if let Some(w) = &e.who.party
            && !parties.contains(&w)
        {
            parties.push(w);
        }
        for l in locations {
            Self::put_idx(p, idx::LOCATION, |a| keys::push_node(a, l), e, seq);
        }
        for party in parties {
            Self::put_idx(p, idx::PARTY, |a| keys::push_node(a, party), e, seq);
        }
        if let Some(b) = &e.biz_step {
            Self::put_idx(p, idx::BIZ_STEP, |a| keys::push_u16_bytes(a, b.term().as_bytes()), e, seq);
        }
        if let Some(d) = &e.disposition {
            Self::put_idx(p, idx::DISPOSITION, |a| keys::push_u16_bytes(a, d.term().as_bytes()), e, seq);
        }
        if let Some(parent) = &e.parent_id {
            Self::put_idx(p, idx::PARENT, |a| keys::push_node(a, parent), e, seq);
        }
    }

    /// The query index records (format 6) of event `e` at `seq`.
    pub(super) fn index_query_terms(p: &mut Pending, e: &Event, seq: Seq) {
        for t in keys::query_terms(e) {
            let tag = t.first().copied().unwrap_or_default();
            Self::put_idx(p, tag, |a| a.extend_from_slice(t.get(1..).unwrap_or_default()), e, seq);
        }
    }

    fn class_entries(p: &mut Pending, nodes: &[&Id], e: &Event) {
        for n in nodes {
            if let Id::Key(k) = n
                && k.gtin_class().is_some()
                && k.kind() == crate::code::KeyKind::Instance
            {
                let mut key = vec![keys::class::GTIN];
                key.extend_from_slice(k.as_bytes());
                p.put(cfi::CLASS, &key, k.as_bytes());
            }
        }
        for (lot, inst) in derive::memberships(e) {
            if let Some(m) = TraceKey::lot_member_key(&lot, &inst) {
                let mut key = vec![keys::class::LOT];
                key.extend_from_slice(&m);
                p.put(cfi::CLASS, &key, inst.as_bytes());
            }
        }
    }

    /// Transformation joins with earlier events (stored, or earlier in this batch) sharing the transformationID.
    /// Stored entries are read from `view` (the latest state for `None`), those of later events skipped, so
    /// verification can rebuild an event's joins from a store that has grown since.
    fn join_transformation(&self, p: &mut Pending, e: &Event, why: Why, view: Option<&View<'_>>) -> Result<(), Error> {
        let Some(tid) = &e.transformation_id else { return Ok(()) };
        if e.kind != EventType::Transformation {
            return Ok(());
        }
        let (ins, outs) = derive::transformation_sides(e);
        let me = XformEntry {
            tid: tid.clone(),
            why,
            inputs: ins.iter().map(|i| (*i).clone()).collect(),
            outputs: outs.iter().map(|i| (*i).clone()).collect(),
        };
        let prefix = xform_prefix(tid);
        let mut others = Vec::new();
        {
            let mut it = self.db.raw_iterator_cf_opt(self.cf("xform")?, View::options(view, ReadOptions::default()));
            it.seek(&prefix);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if !k.starts_with(&prefix) || k.len() != prefix.len() + 8 {
                    break;
                }
                let seq = u64::from_be_bytes(k.get(prefix.len()..).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
                if seq >= why.seq {
                    break;
                }
                others.push(decode_xform(tid, seq, unseal(k, v, "xform")?)?);
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        others.extend(p.xforms.iter().filter(|x| &x.tid == tid).cloned());
        let mut edges = Vec::new();
        for o in &others {
            let j = Why { seq: why.seq, id: why.id, time: why.time.max(o.why.time) };
            let (oi, oo): (Vec<&Id>, Vec<&Id>) = (o.inputs.iter().collect(), o.outputs.iter().collect());
            derive::transformation_edges(&mut edges, &oi, &outs, j);
            derive::transformation_edges(&mut edges, &ins, &oo, j);
        }
        for (n, edge) in &edges {
            Self::put_edge(p, n, edge);
        }
        let mut k = prefix;
        k.extend_from_slice(&why.seq.to_be_bytes());
        p.put(cfi::XFORM, &k, &encode_xform(&me));
        p.xforms.push(me);
        Ok(())
    }

    /// The records of accepted events themselves: event and log records, index entries, edges and hand-over
    /// bundles, transformation joins; sorted at the end (this runs on the helper thread of a large batch).
    pub(super) fn event_records(
        &self,
        p: &mut Pending,
        events: &[Event],
        prepared: &[Prepared<'_>],
        accepted: &[Accepted],
        view: Option<&View<'_>>,
    ) -> Result<(), Error> {
        for a in accepted {
            let (Some(e), Some(pr)) = (events.get(a.i), prepared.get(a.i)) else { continue };
            let (seq, fr, id, nodes) = (a.seq, &pr.frame, &pr.id, &pr.nodes);
            // The frame is stored once: in the chain entry of the event's first node when it fits there, in
            // the event record otherwise.
            let k0 = p.arena.len();
            p.arena.extend_from_slice(&id.0);
            let v0 = p.arena.len();
            match nodes.first() {
                Some(first) if pr.inline() => {
                    event_record_head(&mut p.arena, seq, true, pr.declared);
                    keys::push_node(&mut p.arena, first);
                }
                _ => {
                    event_record_head(&mut p.arena, seq, false, pr.declared);
                    p.arena.extend_from_slice(fr);
                }
            }
            p.close(cfi::EVENT, k0, v0);
            let k0 = p.arena.len();
            p.arena.extend_from_slice(&seq.to_be_bytes());
            let v0 = p.arena.len();
            p.arena.extend_from_slice(&id.0);
            p.arena.extend_from_slice(&a.log_hash.0);
            // The frame's home node when the frame is inline: a reader by seq (a query) goes from the log
            // straight to the chain entry `node ‖ seq`, one read instead of three.
            if let Some(first) = nodes.first().filter(|_| pr.inline()) {
                keys::push_node(&mut p.arena, first);
            }
            p.close(cfi::LOG, k0, v0);
            Self::index_event(p, e, seq, self.query_index);
            for (n, edge) in derive::edges(e, seq, *id) {
                if edge.kind != EdgeKind::HandOver {
                    Self::put_edge(p, &n, &edge);
                }
            }
            Self::put_handovers(p, nodes, e, Why { seq, id: *id, time: e.event_time });
            self.join_transformation(p, e, Why { seq, id: *id, time: e.event_time }, view)?;
        }
        p.sort();
        Ok(())
    }

    /// The records of the nodes accepted events are about: one chain entry per node and event (extending the
    /// node's hash chain and state fold in `p.heads`), and class entries of nodes seen for the first time.
    pub(super) fn node_records(
        &self,
        p: &mut Pending,
        w: &Writer,
        events: &[Event],
        prepared: &[Prepared<'_>],
        accepted: &[Accepted],
    ) -> Result<(), Error> {
        let mut nk: Vec<u8> = Vec::with_capacity(64);
        for a in accepted {
            let (Some(e), Some(pr)) = (events.get(a.i), prepared.get(a.i)) else { continue };
            let (i, seq, fr, id) = (a.i, a.seq, &pr.frame, &pr.id);
            let inline = pr.inline();
            let mut new_nodes: Vec<&Id> = Vec::new();
            for n in &pr.nodes {
                nk.clear();
                keys::push_node(&mut nk, n);
                if !p.heads.contains_key(&nk) {
                    let (link, fold) = if let Some(x) = self.stored_head(w, &nk)? {
                        x
                    } else {
                        p.counters[0] += 1;
                        new_nodes.push(*n);
                        // Before the commit, so any reader that can see the chain also passes the filter.
                        self.known.insert(&nk);
                        (GENESIS, Fold::default())
                    };
                    p.heads.insert(
                        nk.clone(),
                        NodeHead {
                            id: Some((*n).clone()),
                            packed_before: fold.packed_at,
                            link,
                            fold,
                            stale: false,
                            batch: Vec::new(),
                            touched: true,
                        },
                    );
                }
                let head = p.heads.get_mut(&nk).ok_or_else(|| corrupt("chain", "head"))?;
                head.link = chain_step(&head.link, id);
                // Events in time order extend the fold; one that happened before the fold's last event makes
                // the node's fold be rebuilt from its whole chain before the commit.
                if head.fold.last().is_none_or(|last| (e.event_time, seq) > last) {
                    head.fold.apply(n, seq, *id, e);
                } else {
                    head.stale = true;
                }
                head.batch.push((i, seq, *id));
                let link = head.link;
                let k0 = p.arena.len();
                p.arena.extend_from_slice(&nk);
                p.arena.extend_from_slice(&seq.to_be_bytes());
                let v0 = p.arena.len();
                p.arena.push(u8::from(inline));
                p.arena.extend_from_slice(&link.0);
                p.arena.extend_from_slice(&id.0);
                if inline {
                    p.arena.extend_from_slice(fr);
                }
                p.close(cfi::CHAIN, k0, v0);
                p.counters[1] += 1;
            }
            Self::class_entries(p, &new_nodes, e);
        }
        Ok(())
    }

    /// A node's head link and state fold as committed: from the writer's cache of recent records, else from its
    /// state record (no lookup at all for a node the known-node filter has never seen).
    fn stored_head(&self, w: &Writer, node: &[u8]) -> Result<Option<(Link, Fold)>, Error> {
        if let Some(b) = w.heads.get(node) {
            return keys::decode_state(b).map(Some);
        }
        if !self.known.may_contain(node) {
            return Ok(None);
        }
        let sk = keys::state_key(node);
        match self.db.get_pinned_cf(self.cf("chain")?, &sk).map_err(|x| io(&x))? {
            Some(v) => keys::decode_state(unseal(&sk, &v, "state")?).map(Some),
            None => Ok(None),
        }
    }

    /// Keeps "unpacked as a whole" materialised in the folds: a node packed into a container that has an
    /// aggregation DELETE naming no children after the packing is in no container. Checked for every node whose
    /// packing changed in this batch, and for the current children of every container this batch unpacked
    /// (loaded here when the batch had no event about them).
    pub(super) fn apply_unpacks(&self, p: &mut Pending, w: &Writer) -> Result<(), Error> {
        let parents: Vec<Vec<u8>> = p.unpacks.iter().map(|(c, _)| c.clone()).collect();
        for parent in &parents {
            for child in self.child_nodes(parent)? {
                if p.heads.contains_key(&child) {
                    continue;
                }
                if let Some((link, fold)) = self.stored_head(w, &child)?
                    && fold.state.container.as_ref().is_some_and(|c| keys::node_key(c) == *parent)
                {
                    let head = NodeHead {
                        id: None,
                        packed_before: None,
                        link,
                        fold,
                        stale: false,
                        batch: Vec::new(),
                        touched: false,
                    };
                    p.heads.insert(child, head);
                }
            }
        }
        let mut reader = self.reader();
        for head in p.heads.values_mut() {
            let (Some(c), Some(k)) = (&head.fold.state.container, head.fold.packed_at) else { continue };
            let packing_changed = head.stale || head.packed_before != Some(k);
            if !packing_changed && parents.is_empty() {
                continue; // the common case: nothing this batch could have unpacked it from
            }
            let ck = keys::node_key(c);
            let unpacked_here = p.unpacks.iter().any(|(u, at)| *u == ck && *at > k);
            let recheck = packing_changed || parents.contains(&ck);
            if unpacked_here || (recheck && reader.unpacked_after(c, k.0, k.1, None)?) {
                head.fold.state.container = None;
                head.fold.packed_at = None;
            }
        }
        Ok(())
    }

    /// A node's state fold from all its events: those on disk and the batch's, in (time, seq) order.
    pub(super) fn rebuild_fold(&self, node: &[u8], head: &NodeHead, batch: &[Event]) -> Result<Fold, Error> {
        let mut r = self.reader();
        let (chain, _) = r.scan(node)?;
        let disk = Reader::decoded(&chain)?;
        let Some(n) = &head.id else { return Ok(Fold::default()) };
        let on_disk = disk.iter().map(|(q, i, e)| (*q, *i, e));
        let in_batch = head.batch.iter().filter_map(|&(i, q, id)| batch.get(i).map(|e| (q, id, e)));
        Ok(Fold::of(n, on_disk.chain(in_batch)))
    }
}
