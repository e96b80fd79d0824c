//! The `edge` family: per-edge records and hand-over bundles, written by ingest and decoded for reads.

use super::Store;
use super::batch::Pending;
use super::error::io;
use super::open::cfi;
use crate::Error;
use crate::event::{Event, Id, SourceDestType};
use crate::store::derive::Why;
use crate::store::keys::{self, Cur, UNPACK_ALL, corrupt, unseal};
use crate::store::{Edge, EdgeKind, Rel, Seq};

/// A hand-over bundle: (rel code, source/destination type, far end).
type Bundle<'a> = Vec<(u8, &'a SourceDestType, &'a Id)>;

impl Store {
    pub(super) fn put_edge(p: &mut Pending, node: &Id, e: &Edge) {
        let k0 = p.arena.len();
        keys::push_node(&mut p.arena, node);
        keys::push_edge_suffix(&mut p.arena, e);
        let key = p.arena.get(k0..).unwrap_or_default();
        if p.edge_keys.contains(key) {
            p.arena.truncate(k0);
            return; // the same edge twice in one batch (a repeated source, say): stored once
        }
        p.edge_keys.insert(key.to_vec());
        let v0 = p.arena.len();
        let v = &mut p.arena;
        v.push(keys::kind_code(e.kind));
        v.push(keys::action_code(e.action));
        v.extend_from_slice(&keys::time_bytes(e.time));
        v.extend_from_slice(&e.event.0);
        keys::push_full_id(v, e.to.as_ref());
        keys::push_u16_bytes(v, keys::rel_sdt(&e.rel).map_or("", |t| t.term()).as_bytes());
        p.close(cfi::EDGE, k0, v0);
        if e.to.is_none() {
            p.unpack_parents.push(keys::node_key(node));
            if e.kind == EdgeKind::Aggregation {
                p.unpacks.push((keys::node_key(node), (e.time, e.seq)));
            }
        }
        p.counters[2] += 1;
    }

    /// Hand-overs as bundles: one `edge` record per subject listing the event's sources and destinations
    /// (rel byte 11), and one per source/destination listing the subjects (rel byte 12) — instead of one record
    /// per (subject, party) pair in each direction, which multiplied the writes of every shipping event.
    /// [`Reader::neighbours`](super::Reader::neighbours) expands them into the same [`Edge`]s.
    pub(super) fn put_handovers(p: &mut Pending, nodes: &[&Id], e: &Event, why: Why) {
        if e.sources.is_empty() && e.destinations.is_empty() {
            return;
        }
        let sds: Vec<(u8, &SourceDestType, &Id)> = e
            .sources
            .iter()
            .map(|x| (7u8, &x.kind, &x.id))
            .chain(e.destinations.iter().map(|x| (8u8, &x.kind, &x.id)))
            .collect();
        let mut reverse: Vec<(&Id, Bundle<'_>)> = Vec::new();
        for subject in nodes {
            let mut list: Vec<(u8, &SourceDestType, &Id)> = Vec::new();
            for &(role, t, id) in &sds {
                if id != *subject && !list.iter().any(|&(r, tt, ii)| r == role && tt == t && ii == id) {
                    list.push((role, t, id));
                    let back = role + 2; // source → sent, destination → received
                    match reverse.iter_mut().find(|(n, _)| *n == id) {
                        Some((_, l)) => l.push((back, t, subject)),
                        None => reverse.push((id, vec![(back, t, subject)])),
                    }
                }
            }
            if list.is_empty() {
                continue;
            }
            p.counters[2] += 2 * list.len() as u64;
            Self::put_bundle(p, subject, keys::HANDOVER, e, why, &list);
        }
        for (node, list) in reverse {
            Self::put_bundle(p, node, keys::HANDED, e, why, &list);
        }
    }

    /// Writes one hand-over bundle record under `node` (rel byte `rel`).
    fn put_bundle(p: &mut Pending, node: &Id, rel: u8, e: &Event, why: Why, list: &[(u8, &SourceDestType, &Id)]) {
        let k0 = p.arena.len();
        let k = &mut p.arena;
        keys::push_node(k, node);
        k.push(rel);
        k.extend_from_slice(&why.seq.to_be_bytes());
        let v0 = k.len();
        k.push(keys::kind_code(EdgeKind::HandOver));
        k.push(keys::action_code(e.action));
        k.extend_from_slice(&keys::time_bytes(why.time));
        k.extend_from_slice(&why.id.0);
        encode_bundle(k, list);
        p.close(cfi::EDGE, k0, v0);
    }

    /// Children currently recorded under `parent` (for hot-tier invalidation after an "unpack all").
    pub(super) fn child_nodes(&self, parent: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let mut it = self.db.raw_iterator_cf_opt(self.cf("edge")?, Self::prefix_read_options());
        let mut start = parent.to_vec();
        start.push(keys::rel_code(&Rel::Child));
        it.seek(&start);
        let mut out = Vec::new();
        while let Some(k) = it.key() {
            if !k.starts_with(&start) {
                break;
            }
            if let Some(far) = k.get(start.len() + 8..) {
                out.push(keys::node_prefix(far).to_vec());
            }
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        Ok(out)
    }
}

fn encode_bundle(v: &mut Vec<u8>, list: &[(u8, &SourceDestType, &Id)]) {
    v.extend_from_slice(&u16::try_from(list.len()).unwrap_or(u16::MAX).to_be_bytes());
    for (rel, t, id) in list.iter().take(usize::from(u16::MAX)) {
        v.push(*rel);
        keys::push_u16_bytes(v, t.term().as_bytes());
        keys::push_full_id(v, Some(id));
    }
}

/// Decodes an `edge` value.
pub(super) fn decode_edge_value(k: &[u8], v: &[u8], rel: u8, seq: Seq) -> Result<Edge, Error> {
    let mut c = Cur::new(unseal(k, v, "edge")?, "edge");
    let kind = keys::kind_from(c.u8()?).ok_or_else(|| corrupt("edge", "kind"))?;
    let action = keys::action_from(c.u8()?).ok_or_else(|| corrupt("edge", "action"))?;
    let time = keys::time_from(c.arr()?);
    let event = c.event_id()?;
    let to = c.full_id()?;
    let sdt = c.sdt()?;
    let rel = if rel == UNPACK_ALL { Some(Rel::Child) } else { keys::rel_from(rel, sdt) };
    let rel = rel.ok_or_else(|| corrupt("edge", "relation"))?;
    Ok(Edge { to, kind, rel, action, time, seq, event })
}

/// Expands a hand-over bundle into edges.
pub(super) fn decode_bundle(k: &[u8], v: &[u8], seq: Seq, out: &mut Vec<Edge>) -> Result<(), Error> {
    let mut c = Cur::new(unseal(k, v, "edge")?, "edge");
    let kind = keys::kind_from(c.u8()?).ok_or_else(|| corrupt("edge", "kind"))?;
    let action = keys::action_from(c.u8()?).ok_or_else(|| corrupt("edge", "action"))?;
    let time = keys::time_from(c.arr()?);
    let event = c.event_id()?;
    let n = u16::from_be_bytes(c.arr()?);
    for _ in 0..n {
        let code = c.u8()?;
        let t = std::str::from_utf8(c.u16_bytes()?).map_err(|_| corrupt("edge", "type"))?;
        let t = SourceDestType::parse(t).map_err(|_| corrupt("edge", "type"))?;
        let rel = keys::rel_from(code, Some(t)).ok_or_else(|| corrupt("edge", "relation"))?;
        let to = c.full_id()?;
        out.push(Edge { to, kind, rel, action, time, seq, event });
    }
    Ok(())
}
