//! Zero-copy edge reads ([`EdgeReader`] on a [`Reader`], [`EdgeSource`] on a [`Store`]): the walk's inner loop.
//!
//! [`Reader::neighbours`] turns every record into an owned [`Edge`] — an allocated far-end identifier, a parsed
//! source/destination type — only for the walk to hash, compare and mostly drop them. Here each record is checked
//! (its CRC, then its layout, exactly as `neighbours` checks it) and handed to the caller as an [`EdgeView`]
//! borrowing the iterator's bytes; relations point into a static table. Hand-over bundles (rel bytes 11 and 12,
//! which sort after every per-edge record) still go through the owned decoder and are sorted into
//! `neighbours` order: they are few, and sharing that code keeps the two orders identical by construction.

use std::ops::ControlFlow;

use rocksdb::{DBRawIterator, ReadOptions};

use super::super::view::{CHILD, RELS, rel_index};
use super::super::{Edge, EdgeReader, EdgeSource, EdgeView, IdRef, Rel, Seq};
use super::Store;
use super::edges::{decode_bundle, decode_edge_value};
use super::error::io;
use super::reader::{Reader, View};
use crate::Error;
use crate::event::digest::EventId;
use crate::store::keys::{self, Cur, HANDED, HANDOVER, UNPACK_ALL, corrupt, unseal};

/// The first rel byte that is not a plain genealogy relation (hand-overs and their bundles).
const FIRST_HAND_OVER: u8 = 7;

/// A full id (`form ‖ u16 len ‖ bytes`), borrowed; the checks of `Cur::full_id`.
fn id_ref<'v>(c: &mut Cur<'v>) -> Result<Option<IdRef<'v>>, Error> {
    match c.u8()? {
        0xFF => Ok(None),
        0 => {
            let b = c.u16_bytes()?;
            if b.is_empty() {
                return Err(corrupt("edge", "empty key"));
            }
            Ok(Some(IdRef::key(b)))
        }
        1 => {
            let b = c.u16_bytes()?;
            std::str::from_utf8(b).map(|s| Some(IdRef::uri(s))).map_err(|_| corrupt("edge", "bad URI"))
        }
        _ => Err(corrupt("edge", "bad id form")),
    }
}

/// Decodes a per-edge record in place and hands it to `f` (the checks of `decode_edge_value`).
fn per_edge(
    k: &[u8],
    v: &[u8],
    code: u8,
    seq: Seq,
    f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    let mut c = Cur::new(unseal(k, v, "edge")?, "edge");
    let kind = keys::kind_from(c.u8()?).ok_or_else(|| corrupt("edge", "kind"))?;
    let action = keys::action_from(c.u8()?).ok_or_else(|| corrupt("edge", "action"))?;
    let time = keys::time_from(c.arr()?);
    let event = EventId(c.arr()?);
    let to = id_ref(&mut c)?;
    let sdt = c.sdt()?;
    // Standard relations point into the static table; a custom source/destination type is owned here.
    let owned: Rel;
    let rel: &Rel = if code == UNPACK_ALL {
        RELS.get(CHILD).ok_or_else(|| corrupt("edge", "relation"))?
    } else {
        let r = keys::rel_from(code, sdt).ok_or_else(|| corrupt("edge", "relation"))?;
        if let Some(s) = rel_index(&r).and_then(|i| RELS.get(i)) {
            s
        } else {
            owned = r;
            &owned
        }
    };
    Ok(f(EdgeView { to, kind, rel, action, time, seq, event }))
}

/// Reads the records of the node whose key is `nk`, the iterator being at the node's first record or at a key
/// before it; hands its edges to `f` in `neighbours` order. Returns true when the records ended cleanly (the
/// iterator is then at the first key after them).
fn scan(
    it: &mut DBRawIterator<'_>,
    nk: &[u8],
    f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>,
) -> Result<bool, Error> {
    let n = nk.len();
    // Records from the first hand-over on, decoded owned and put in `neighbours` order at the end.
    let mut held: Vec<Edge> = Vec::new();
    let mut bundles = false;
    let mut clean = false;
    while let Some((k, v)) = it.item() {
        // Node keys are prefix-free (their first byte is their length): the node's records are exactly the keys
        // starting with its key.
        if !k.starts_with(nk) {
            if k < nk {
                // Only when the caller positioned the iterator before the node: step on to it.
                it.next();
                continue;
            }
            clean = true;
            break;
        }
        if k.len() < n + 9 {
            break;
        }
        let code = k.get(n).copied().unwrap_or(0);
        let seq = u64::from_be_bytes(k.get(n + 1..n + 9).and_then(|s| s.try_into().ok()).unwrap_or([0; 8]));
        if code == HANDOVER || code == HANDED {
            bundles = true;
            decode_bundle(k, v, seq, &mut held)?;
        } else if code >= FIRST_HAND_OVER || !held.is_empty() {
            held.push(decode_edge_value(k, v, code, seq)?);
        } else if per_edge(k, v, code, seq, f)?.is_break() {
            it.status().map_err(|e| io(&e))?;
            return Ok(false);
        }
        it.next();
    }
    it.status().map_err(|e| io(&e))?;
    // The end of the column family is a clean end too.
    clean |= it.key().is_none();
    if bundles {
        held.sort_by_cached_key(keys::edge_suffix);
    }
    for e in &held {
        if f(EdgeView::of(e)).is_break() {
            break;
        }
    }
    Ok(clean)
}

impl EdgeReader for Reader<'_> {
    fn visit_edges(
        &mut self,
        node_key: &[u8],
        f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        self.freshen();
        let it = self.edge_it()?;
        it.seek(node_key);
        scan(it, node_key, f).map(|_| ())
    }
}

/// Records a walk's reader may step over to reach the next node before it seeks instead (a step costs a few
/// tenths of a seek).
const MAX_STEPS: usize = 8;

/// The [`EdgeReader`] a walk gets from [`Store`]'s [`EdgeSource`]: one iterator over the whole `edge` family
/// (total order: no prefix bound to fall off), left where a node's records end. A walk asks for nodes in key
/// order, and in a dense level the next node's records start right there, so most nodes cost no seek at all.
struct WalkReader<'s> {
    store: &'s Store,
    // Declared before the view whose snapshot it reads, so it is dropped first.
    it: Option<DBRawIterator<'s>>,
    /// The session's view this reader was lent with (it reads that state only); `None` for the store's own
    /// readers, which move to the latest commit.
    view: Option<View<'s>>,
    epoch: u64,
    /// The node whose records the iterator has just passed (it is at the first key after them), if `placed`.
    after: Vec<u8>,
    placed: bool,
}

/// A walk's edge reader: over `view` (a session's) for good, or over the latest commit when `None`.
pub(super) fn walk_reader<'s>(store: &'s Store, view: Option<View<'s>>) -> Box<dyn EdgeReader + 's> {
    Box::new(WalkReader { store, it: None, view, epoch: u64::MAX, after: Vec::new(), placed: false })
}

impl EdgeReader for WalkReader<'_> {
    fn visit_edges(
        &mut self,
        node_key: &[u8],
        f: &mut dyn FnMut(EdgeView<'_>) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        // Without a view, iterators older than the last commit are dropped, so reads see every ingest that
        // returned; a lent reader keeps reading its session's state.
        let e = self.store.hot.epoch();
        if self.it.is_none() || (self.view.is_none() && e != self.epoch) {
            let mut ro = ReadOptions::default();
            ro.set_total_order_seek(true);
            if let Some(v) = &self.view {
                ro = v.read_options(ro);
            }
            self.it = Some(self.store.db.raw_iterator_cf_opt(self.store.cf("edge")?, ro));
            self.epoch = e;
            self.placed = false;
        }
        let Some(it) = self.it.as_mut() else { return Err(corrupt("edge", "iterator")) };
        // Every key between the last node's records and this node's is another node's: step over a few.
        let near = self.placed && self.after.as_slice() < node_key && {
            let mut steps = 0;
            while let Some(k) = it.key()
                && k < node_key
                && steps < MAX_STEPS
            {
                it.next();
                steps += 1;
            }
            it.key().is_none_or(|k| k >= node_key)
        };
        if !near {
            it.seek(node_key);
        }
        self.placed = false;
        if scan(it, node_key, f)? {
            self.after.clear();
            self.after.extend_from_slice(node_key);
            self.placed = true;
        }
        Ok(())
    }
}

impl EdgeSource for Store {
    fn edge_reader(&self) -> Box<dyn EdgeReader + '_> {
        walk_reader(self, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceDestType;
    use crate::event::{Action, Event, EventType, Id, Quantity, SourceDest, Timestamp, TzOffset};
    use crate::store::{Options, TraceStore};

    struct Dir(std::path::PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        Dir(std::env::temp_dir().join(format!("tracecode-visit-{tag}-{}-{nanos}", std::process::id())))
    }

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn ev(kind: EventType, t: i64) -> Event {
        Event::new(kind, Timestamp(t), TzOffset::UTC)
    }

    /// Every kind of record: containment both ways, an unpack-all marker, a transformation, a lot membership,
    /// hand-over bundles (standard and custom source/destination types) on both sides, and a long URI whose
    /// node key is a hash.
    fn events() -> (Vec<Id>, Vec<Event>) {
        let case = id("urn:epc:id:sscc:0614141.1234567890");
        let items: Vec<Id> = (0..3).map(|i| id(&format!("https://id.gs1.org/01/09506000134352/21/S{i}"))).collect();
        let lot = id("https://id.gs1.org/01/09506000134352/10/L1");
        let long = Id::Uri(format!("urn:x:{}", "z".repeat(300)).into());
        let (p0, p1, loc) = (id("urn:x:party:0"), id("urn:x:party:1"), id("urn:x:place:0"));
        let mut out = Vec::new();
        let mut pack = ev(EventType::Aggregation, 10);
        pack.action = Some(Action::Add);
        pack.parent_id = Some(case.clone());
        pack.child_epcs.clone_from(&items);
        out.push(pack);
        let mut make = ev(EventType::Transformation, 5);
        make.input_quantity_list.push(Quantity { class: lot.clone(), quantity: None, uom: None });
        make.output_epc_list = vec![items[0].clone(), long.clone()];
        out.push(make);
        for (t, other) in [(20, false), (21, true)] {
            let mut ship = ev(EventType::Object, t);
            ship.action = Some(Action::Observe);
            ship.epc_list = vec![case.clone(), items[1].clone()];
            let kind = if other { SourceDestType::Other("urn:x:sdt:custom".into()) } else { SourceDestType::Location };
            ship.sources.push(SourceDest { kind: SourceDestType::OwningParty, id: p0.clone() });
            ship.destinations.push(SourceDest { kind: SourceDestType::OwningParty, id: p1.clone() });
            ship.destinations.push(SourceDest { kind, id: loc.clone() });
            out.push(ship);
        }
        let mut unpack = ev(EventType::Aggregation, 30);
        unpack.action = Some(Action::Delete);
        unpack.parent_id = Some(case.clone());
        out.push(unpack);
        let mut nodes = vec![case, lot, long, p0, p1, loc, id("urn:x:unknown")];
        nodes.extend(items);
        (nodes, out)
    }

    fn visited(r: &mut (impl EdgeReader + ?Sized), node: &Id) -> Result<Vec<Edge>, Error> {
        let mut got = Vec::new();
        r.visit_edges(&keys::node_key(node), &mut |e| {
            got.push(e.to_edge());
            ControlFlow::Continue(())
        })?;
        Ok(got)
    }

    #[test]
    fn visitor_gives_the_edges_of_neighbours_in_order() {
        let d = dir("order");
        let store = Store::open(&d.0, Options::default()).unwrap();
        let (nodes, evs) = events();
        store.ingest(evs).unwrap();
        let mut src = store.edge_reader();
        let mut r = store.reader();
        let mut kinds = std::collections::BTreeSet::new();
        for n in &nodes {
            let mut want = Vec::new();
            store.neighbours(n, &mut want).unwrap();
            assert_eq!(visited(&mut r, n).unwrap(), want, "{n:?}");
            let mut again = Vec::new();
            src.visit_edges(&keys::node_key(n), &mut |e| {
                again.push(e.to_edge());
                ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(again, want);
            kinds.extend(want.iter().map(|e| (format!("{:?}", e.rel), e.to.is_none())));
        }
        // The fixture covers what it claims: markers, hand-overs both ways, custom types.
        assert!(kinds.contains(&("Child".to_owned(), true)), "{kinds:?}");
        for rel in ["Source(OwningParty)", "Received(Location)", "Sent(OwningParty)", "Output", "Input", "Parent"] {
            assert!(kinds.contains(&(rel.to_owned(), false)), "{rel} in {kinds:?}");
        }
        assert!(kinds.iter().any(|(r, _)| r.contains("custom")), "{kinds:?}");
        // Later ingests are seen by the same reader.
        let mut more = ev(EventType::Aggregation, 40);
        more.action = Some(Action::Add);
        more.parent_id = Some(nodes[0].clone());
        more.child_epcs.push(id("https://id.gs1.org/01/09506000134352/21/S9"));
        store.ingest(vec![more]).unwrap();
        let mut want = Vec::new();
        store.neighbours(&nodes[0], &mut want).unwrap();
        assert_eq!(visited(&mut r, &nodes[0]).unwrap(), want);
    }

    /// The walk reader (which steps from node to node instead of seeking) answers like `neighbours` whatever
    /// order nodes come in: sorted (its fast path), reversed, repeated, unknown, stopped early, after an ingest.
    #[test]
    fn walk_reader_answers_like_neighbours_in_any_order() {
        let d = dir("walk-order");
        let store = Store::open(&d.0, Options::default()).unwrap();
        let (mut nodes, evs) = events();
        store.ingest(evs).unwrap();
        // Nodes with no records at all, between and around the others.
        nodes.push(id("https://id.gs1.org/01/09506000134352/21/S15"));
        nodes.push(id("urn:epc:id:sscc:0614141.0000000001"));
        nodes.push(Id::Uri("urn:zzzz:last".into()));
        nodes.sort_by_key(keys::node_key);
        let want = |n: &Id| {
            let mut v = Vec::new();
            store.neighbours(n, &mut v).unwrap();
            v
        };
        let mut reversed = nodes.clone();
        reversed.reverse();
        let repeated: Vec<Id> = nodes.iter().flat_map(|n| [n.clone(), n.clone()]).collect();
        let mut reader = store.edge_reader();
        for order in [&nodes, &reversed, &repeated, &nodes] {
            for n in order {
                let got = visited(&mut *reader, n).unwrap();
                assert_eq!(got, want(n), "{n:?}");
            }
        }
        // Stopping mid-node leaves the reader able to answer the next node in order.
        for (i, n) in nodes.iter().enumerate() {
            let mut first = None;
            reader
                .visit_edges(&keys::node_key(n), &mut |e| {
                    first = Some(e.to_edge());
                    ControlFlow::Break(())
                })
                .unwrap();
            assert_eq!(first, want(n).into_iter().next());
            if let Some(m) = nodes.get(i + 1) {
                let got = visited(&mut *reader, m).unwrap();
                assert_eq!(got, want(m));
            }
        }
        // A commit in between is seen.
        let mut more = ev(EventType::Aggregation, 50);
        more.action = Some(Action::Add);
        more.parent_id = Some(id("urn:epc:id:sscc:0614141.0000000001"));
        more.child_epcs.push(id("https://id.gs1.org/01/09506000134352/21/S15"));
        store.ingest(vec![more]).unwrap();
        for n in &nodes {
            let got = visited(&mut *reader, n).unwrap();
            assert_eq!(got, want(n), "{n:?}");
        }
        assert!(!want(&nodes[0]).is_empty() || !want(&nodes[1]).is_empty());
    }

    #[test]
    fn visitor_stops_when_asked() {
        let d = dir("stop");
        let store = Store::open(&d.0, Options::default()).unwrap();
        let (nodes, evs) = events();
        store.ingest(evs).unwrap();
        let mut r = store.reader();
        for n in &nodes {
            let mut all = Vec::new();
            store.neighbours(n, &mut all).unwrap();
            for stop in 0..all.len() {
                let mut seen = 0;
                r.visit_edges(&keys::node_key(n), &mut |_| {
                    seen += 1;
                    if seen > stop { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
                })
                .unwrap();
                assert_eq!(seen, stop + 1);
            }
        }
    }

    #[test]
    fn a_damaged_edge_value_is_a_corrupt_error() {
        let d = dir("damage");
        let store = Store::open(&d.0, Options::default()).unwrap();
        let (nodes, evs) = events();
        store.ingest(evs).unwrap();
        let cf = store.cf("edge").unwrap();
        let mut sorted: Vec<Vec<u8>> = nodes.iter().map(keys::node_key).collect();
        sorted.sort();
        for node in [&nodes[0], &nodes[3]] {
            // Damage every record of the node in turn (per-edge records and bundles alike).
            let nk = keys::node_key(node);
            let mut recs = Vec::new();
            let mut it = store.db.raw_iterator_cf(cf);
            it.seek(&nk);
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                if keys::node_prefix(k) != nk.as_slice() {
                    break;
                }
                recs.push((k.to_vec(), v.to_vec()));
                it.next();
            }
            drop(it);
            assert!(!recs.is_empty());
            for (k, v) in &recs {
                for flip in [v.len() / 2, 0, v.len() - 1] {
                    let mut bad = v.clone();
                    bad[flip] ^= 0x10;
                    store.db.put_cf(cf, k, &bad).unwrap();
                    let e = visited(&mut store.reader(), node).unwrap_err();
                    assert_eq!(e.kind(), crate::ErrorKind::Corrupt, "{e}");
                    // The walk's reader too, visiting every node in key order (stepping where it can).
                    let mut w = store.edge_reader();
                    for other in &sorted {
                        let r = w.visit_edges(other, &mut |_| ControlFlow::Continue(()));
                        if *other == nk {
                            assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::Corrupt);
                        } else {
                            r.unwrap();
                        }
                    }
                    store.db.put_cf(cf, k, v).unwrap();
                }
                // A value cut short of its checksum.
                store.db.put_cf(cf, k, &v[..2]).unwrap();
                assert_eq!(visited(&mut store.reader(), node).unwrap_err().kind(), crate::ErrorKind::Corrupt);
                store.db.put_cf(cf, k, v).unwrap();
            }
            let mut want = Vec::new();
            store.neighbours(node, &mut want).unwrap();
            assert_eq!(visited(&mut store.reader(), node).unwrap(), want);
        }
    }
}
