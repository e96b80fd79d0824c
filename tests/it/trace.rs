//! Genealogy (`tracecode::trace`) through the public API, against an **oracle**: a naive implementation that
//! reads the raw events back from the store's change feed and re-derives every relation and the as-of
//! containment rules directly from the events — without `store::derive` or `TraceStore::neighbours` — then
//! walks them as a plain fixpoint. On random supply chains (aggregation ADD/OBSERVE/DELETE including
//! parent-only unpacking, associations, transformations including two events sharing a transformationID,
//! commissioning into ILMD lots, hand-overs, event times shuffled against capture order) the store walk and the
//! oracle must agree on the node set and the edge set (from, to, relation, event) for every root, both
//! directions, and several `as_of` times, windows and edge-kind filters. Deterministic tests pin the semantics
//! (siblings are not affected, provenance of a container, as-of containment, unpack-all, cycles, limits,
//! hand-overs, role upgrades, JSON shape, recall commit and its idempotency).

// Scenario events are written with `&[x.clone()]` lists: clearer here than `slice::from_ref`.
#![allow(clippy::cloned_ref_to_slice_refs)]

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use proptest::prelude::*;
use tracecode::event::digest::EventId;
use tracecode::event::{
    Action, Disposition, Event, EventType, ExtValue, Extension, Id, Quantity, SourceDest, SourceDestType, Timestamp,
    TzOffset,
};
use tracecode::store::{EdgeKind, MemoryStore, Rel, TraceStore};
use tracecode::trace::{
    self, ALL_KINDS, Adjacency, CompactStep, Direction, NodeKind, NodeRole, RecallOptions, Step, TraceOptions, recall,
    trace_back, trace_forward, walk,
};

const GTIN: &str = "09506000134352";
const LOT_NUMBER: &str = "urn:epcglobal:cbv:mda:lotNumber";

fn id(s: &str) -> Id {
    Id::parse(s).unwrap()
}
fn item(n: usize) -> Id {
    id(&format!("https://id.gs1.org/01/{GTIN}/21/S{n}"))
}
fn case(n: usize) -> Id {
    id(&format!("urn:epc:id:sscc:0614141.100000000{n}"))
}
fn lot(n: usize) -> Id {
    id(&format!("https://id.gs1.org/01/{GTIN}/10/L{n}"))
}
fn party(n: usize) -> Id {
    id(&format!("urn:example:party:{n}"))
}
fn place(n: usize) -> Id {
    id(&format!("urn:example:loc:{n}"))
}
fn ts(t: i64) -> Timestamp {
    Timestamp(t * 1000)
}
fn ev(kind: EventType, t: i64, action: Option<Action>) -> Event {
    let mut e = Event::new(kind, ts(t), TzOffset::UTC);
    e.action = action;
    e
}
fn pack(parent: &Id, children: &[Id], action: Action, t: i64) -> Event {
    let mut e = ev(EventType::Aggregation, t, Some(action));
    e.parent_id = Some(parent.clone());
    e.child_epcs = children.to_vec();
    e
}
fn unpack_all(parent: &Id, t: i64) -> Event {
    let mut e = ev(EventType::Aggregation, t, Some(Action::Delete));
    e.parent_id = Some(parent.clone());
    e
}
fn qty(class: &Id) -> Quantity {
    Quantity { class: class.clone(), quantity: None, uom: None }
}
/// Instances go to the EPC lists, lots to the quantity lists.
fn transform(ins: &[Id], outs: &[Id], t: i64) -> Event {
    let mut e = ev(EventType::Transformation, t, None);
    for i in ins {
        if is_lot(i) { e.input_quantity_list.push(qty(i)) } else { e.input_epc_list.push(i.clone()) }
    }
    for o in outs {
        if is_lot(o) { e.output_quantity_list.push(qty(o)) } else { e.output_epc_list.push(o.clone()) }
    }
    e
}
fn is_lot(i: &Id) -> bool {
    trace::key_text(i).contains("/10/")
}
fn commission(items: &[Id], lot_text: Option<&str>, t: i64) -> Event {
    let mut e = ev(EventType::Object, t, Some(Action::Add));
    e.epc_list = items.to_vec();
    if let Some(l) = lot_text {
        e.ilmd.push(Extension { name: LOT_NUMBER.into(), value: ExtValue::String(l.into()) });
    }
    e
}
fn ship(items: &[Id], from: Option<(SourceDestType, Id)>, to: Option<(SourceDestType, Id)>, t: i64) -> Event {
    let mut e = ev(EventType::Object, t, Some(Action::Observe));
    e.epc_list = items.to_vec();
    if let Some((kind, id)) = from {
        e.sources.push(SourceDest { kind, id });
    }
    if let Some((kind, id)) = to {
        e.destinations.push(SourceDest { kind, id });
    }
    e
}

// ------------------------------------------------------------------------------------------------------------
// The oracle
// ------------------------------------------------------------------------------------------------------------

/// One directed relation as the oracle sees it: `to` is `rel` relative to `from`; `to: None` is an unpack-all.
#[derive(Clone, Debug)]
struct ORel {
    from: Id,
    to: Option<Id>,
    kind: EdgeKind,
    rel: Rel,
    action: Option<Action>,
    time: Timestamp,
    seq: u64,
    event: EventId,
}

type EdgeSet = BTreeSet<(String, String, String, String)>;

fn edge_key(from: &Id, to: &Id, rel: &Rel, event: &EventId) -> (String, String, String, String) {
    (trace::key_text(from), trace::key_text(to), format!("{rel:?}"), event.to_string())
}

fn dedup(v: &[Id]) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::new();
    for x in v {
        if !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

fn ins_outs(e: &Event) -> (Vec<Id>, Vec<Id>) {
    let ins: Vec<Id> =
        e.input_epc_list.iter().cloned().chain(e.input_quantity_list.iter().map(|q| q.class.clone())).collect();
    let outs: Vec<Id> =
        e.output_epc_list.iter().cloned().chain(e.output_quantity_list.iter().map(|q| q.class.clone())).collect();
    (dedup(&ins), dedup(&outs))
}

/// Every relation the events imply, in both directions, re-derived from the raw events.
#[allow(clippy::too_many_lines, reason = "one pass per relation kind, kept side by side to read as a spec")]
fn oracle_relations(store: &MemoryStore) -> Vec<ORel> {
    let feed = store.events_since(0, usize::MAX).unwrap();
    let mut out = Vec::new();
    let push2 = |out: &mut Vec<ORel>, a: &Id, b: &Id, kind, rel: Rel, inv: Rel, action, time, seq, event| {
        out.push(ORel { from: a.clone(), to: Some(b.clone()), kind, rel, action, time, seq, event });
        out.push(ORel { from: b.clone(), to: Some(a.clone()), kind, rel: inv, action, time, seq, event });
    };
    for f in &feed {
        let e = &f.event;
        let (seq, eid, time) = (f.seq, f.id, e.event_time);
        let contain = match e.kind {
            EventType::Aggregation => Some(EdgeKind::Aggregation),
            EventType::Association => Some(EdgeKind::Association),
            _ => None,
        };
        if let (Some(kind), Some(p)) = (contain, &e.parent_id) {
            let kids: Vec<Id> =
                e.child_epcs.iter().cloned().chain(e.child_quantity_list.iter().map(|q| q.class.clone())).collect();
            let kids: Vec<Id> = dedup(&kids).into_iter().filter(|c| c != p).collect();
            if kids.is_empty() && e.action == Some(Action::Delete) {
                out.push(ORel {
                    from: p.clone(),
                    to: None,
                    kind,
                    rel: Rel::Child,
                    action: e.action,
                    time,
                    seq,
                    event: eid,
                });
            }
            for c in &kids {
                push2(&mut out, p, c, kind, Rel::Child, Rel::Parent, e.action, time, seq, eid);
            }
        }
        if e.kind == EventType::Transformation {
            let (ins, outs) = ins_outs(e);
            for i in &ins {
                for o in outs.iter().filter(|o| *o != i) {
                    push2(&mut out, i, o, EdgeKind::Transformation, Rel::Output, Rel::Input, None, time, seq, eid);
                }
            }
        }
        // ILMD lot: serialised GTIN instances of an ObjectEvent ADD or a transformation's outputs join the lot.
        let lot_text = e.ilmd.iter().find_map(|x| match &x.value {
            ExtValue::String(s) if &*x.name == LOT_NUMBER && !s.is_empty() => Some(s.to_string()),
            _ => None,
        });
        let listed: &[Id] = match e.kind {
            EventType::Object if e.action == Some(Action::Add) => &e.epc_list,
            EventType::Transformation => &e.output_epc_list,
            _ => &[],
        };
        if let Some(l) = lot_text {
            for inst in dedup(listed) {
                let text = trace::key_text(&inst);
                let parts: Vec<&str> = text.split('/').collect();
                if let ["01", gtin, "21", _] = parts.as_slice() {
                    let lot_id = id(&format!("https://id.gs1.org/01/{gtin}/10/{l}"));
                    push2(
                        &mut out,
                        &lot_id,
                        &inst,
                        EdgeKind::Membership,
                        Rel::Member,
                        Rel::Lot,
                        Some(Action::Add),
                        time,
                        seq,
                        eid,
                    );
                }
            }
        }
        // Hand-overs: every subject with every source and destination.
        let mut subjects: Vec<Id> = e.parent_id.iter().cloned().collect();
        subjects.extend(e.epc_list.iter().cloned());
        subjects.extend(e.child_epcs.iter().cloned());
        subjects.extend(e.input_epc_list.iter().cloned());
        subjects.extend(e.output_epc_list.iter().cloned());
        for q in e
            .quantity_list
            .iter()
            .chain(&e.child_quantity_list)
            .chain(&e.input_quantity_list)
            .chain(&e.output_quantity_list)
        {
            subjects.push(q.class.clone());
        }
        for s in dedup(&subjects) {
            for sd in &e.sources {
                if sd.id != s {
                    let (r, inv) = (Rel::Source(sd.kind.clone()), Rel::Sent(sd.kind.clone()));
                    push2(&mut out, &s, &sd.id, EdgeKind::HandOver, r, inv, e.action, time, seq, eid);
                }
            }
            for sd in &e.destinations {
                if sd.id != s {
                    let (r, inv) = (Rel::Destination(sd.kind.clone()), Rel::Received(sd.kind.clone()));
                    push2(&mut out, &s, &sd.id, EdgeKind::HandOver, r, inv, e.action, time, seq, eid);
                }
            }
        }
    }
    // Events sharing a transformationID are one transformation: earlier inputs × later outputs and vice versa,
    // justified by the later-recorded event at the later of the two times.
    for (i, a) in feed.iter().enumerate() {
        for b in feed.iter().skip(i + 1) {
            let (ea, eb) = (&a.event, &b.event);
            if ea.kind != EventType::Transformation || eb.kind != EventType::Transformation {
                continue;
            }
            if ea.transformation_id.is_none() || ea.transformation_id != eb.transformation_id {
                continue;
            }
            let time = ea.event_time.max(eb.event_time);
            let (ai, ao) = ins_outs(ea);
            let (bi, bo) = ins_outs(eb);
            for (ins, outs) in [(&ai, &bo), (&bi, &ao)] {
                for x in ins {
                    for o in outs.iter().filter(|o| *o != x) {
                        push2(
                            &mut out,
                            x,
                            o,
                            EdgeKind::Transformation,
                            Rel::Output,
                            Rel::Input,
                            None,
                            time,
                            b.seq,
                            b.id,
                        );
                    }
                }
            }
        }
    }
    out
}

/// The spec of what each role follows, written out independently of the library.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum OMode {
    Party,
    Up,
    Lineage,
    Down,
}

fn o_follows(dir: Direction, m: OMode, rel: &Rel) -> bool {
    let hand = matches!(rel, Rel::Source(_) | Rel::Destination(_) | Rel::Sent(_) | Rel::Received(_));
    match (dir, m) {
        (_, OMode::Party) => false,
        (_, OMode::Up) => hand || rel == &Rel::Parent,
        (Direction::Forward, _) => hand || matches!(rel, Rel::Output | Rel::Member | Rel::Child | Rel::Parent),
        (Direction::Back, OMode::Lineage) => hand || matches!(rel, Rel::Input | Rel::Lot | Rel::Parent),
        (Direction::Back, OMode::Down) => hand || matches!(rel, Rel::Input | Rel::Lot | Rel::Parent | Rel::Child),
    }
}

fn o_target(dir: Direction, rel: &Rel) -> OMode {
    match rel {
        Rel::Parent => OMode::Up,
        Rel::Child if dir == Direction::Back => OMode::Down,
        Rel::Child | Rel::Input | Rel::Output | Rel::Lot | Rel::Member => OMode::Lineage,
        _ => OMode::Party,
    }
}

fn o_time_ok(o: &TraceOptions, t: Timestamp) -> bool {
    o.from.is_none_or(|f| t >= f) && o.until.is_none_or(|u| t < u) && o.as_of.is_none_or(|a| t <= a)
}

fn o_valid(all: &[ORel], r: &ORel, o: &TraceOptions) -> bool {
    let containment = matches!(r.kind, EdgeKind::Aggregation | EdgeKind::Association);
    if !containment {
        return true;
    }
    if !matches!(r.action, Some(Action::Add | Action::Observe)) {
        return false;
    }
    if o.as_of.is_none() {
        return true;
    }
    let latest = all
        .iter()
        .filter(|x| x.from == r.from && x.to == r.to && x.rel == r.rel && x.kind == r.kind && o_time_ok(o, x.time))
        .map(|x| (x.time, x.seq))
        .max();
    if latest != Some((r.time, r.seq)) {
        return false;
    }
    let parent = if r.rel == Rel::Child { &r.from } else { r.to.as_ref().unwrap() };
    !all.iter().any(|m| {
        &m.from == parent
            && m.to.is_none()
            && m.kind == r.kind
            && m.action == Some(Action::Delete)
            && o_time_ok(o, m.time)
            && (m.time, m.seq) > (r.time, r.seq)
    })
}

/// Node set (key texts) and edge set of a walk, computed as a fixpoint over (node, role).
fn oracle_walk(all: &[ORel], root: &Id, dir: Direction, o: &TraceOptions) -> (BTreeSet<String>, EdgeSet) {
    let mut best: HashMap<Id, OMode> = HashMap::new();
    let root_mode = if dir == Direction::Back { OMode::Down } else { OMode::Lineage };
    best.insert(root.clone(), root_mode);
    let mut work = vec![(root.clone(), root_mode)];
    let mut edges = EdgeSet::new();
    while let Some((n, m)) = work.pop() {
        for r in all.iter().filter(|r| r.from == n) {
            let Some(to) = &r.to else { continue };
            if !o.kinds.contains(&r.kind) || !o_time_ok(o, r.time) || !o_follows(dir, m, &r.rel) || !o_valid(all, r, o)
            {
                continue;
            }
            edges.insert(edge_key(&n, to, &r.rel, &r.event));
            let tm = o_target(dir, &r.rel);
            if best.get(to).is_none_or(|&b| tm > b) {
                best.insert(to.clone(), tm);
                work.push((to.clone(), tm));
            }
        }
    }
    (best.keys().map(trace::key_text).collect(), edges)
}

fn store_walk(store: &MemoryStore, root: &Id, dir: Direction, o: &TraceOptions) -> (BTreeSet<String>, EdgeSet) {
    let t = trace::trace(store, root, dir, &TraceOptions { with_state: Some(false), ..o.clone() }).unwrap();
    assert!(!t.truncated);
    let nodes: BTreeSet<String> = t.nodes.iter().map(|n| trace::key_text(&n.id)).collect();
    assert_eq!(nodes.len(), t.nodes.len(), "a node listed twice");
    let edges: EdgeSet = t.edges.iter().map(|e| edge_key(&e.from, &e.to, &e.rel, &e.event)).collect();
    assert_eq!(edges.len(), t.edges.len(), "an edge reported twice");
    // Every edge starts at a node of the trace and ends at one.
    for e in &t.edges {
        assert!(nodes.contains(&trace::key_text(&e.from)) && nodes.contains(&trace::key_text(&e.to)));
    }
    (nodes, edges)
}

// ------------------------------------------------------------------------------------------------------------
// Random supply chains
// ------------------------------------------------------------------------------------------------------------

const ITEMS: usize = 8;
const CASES: usize = 4;
const LOTS: usize = 3;

/// Node pool: items, then cases, then lots.
fn pool(i: usize) -> Id {
    let i = i % (ITEMS + CASES + LOTS);
    if i < ITEMS {
        item(i)
    } else if i < ITEMS + CASES {
        case(i - ITEMS)
    } else {
        lot(i - ITEMS - CASES)
    }
}

fn instance(i: usize) -> Id {
    pool(i % (ITEMS + CASES))
}

#[derive(Clone, Debug)]
enum Op {
    Commission { items: Vec<usize>, lot: Option<usize>, t: i64 },
    Pack { parent: usize, children: Vec<usize>, action: u8, assoc: bool, t: i64 },
    UnpackAll { parent: usize, assoc: bool, t: i64 },
    Transform { ins: Vec<usize>, outs: Vec<usize>, lot: Option<usize>, t: i64 },
    Split { ins: Vec<usize>, outs: Vec<usize>, t1: i64, t2: i64 },
    HandOver { subjects: Vec<usize>, src: Option<(usize, u8)>, dst: Option<(usize, u8)>, t: i64 },
}

fn sdt(k: u8) -> SourceDestType {
    match k % 4 {
        0 => SourceDestType::OwningParty,
        1 => SourceDestType::PossessingParty,
        2 => SourceDestType::Location,
        _ => SourceDestType::Other("urn:example:sdt:carrier".into()),
    }
}

fn sd_id(n: usize, k: u8) -> Id {
    if k % 4 == 2 { place(n % 3) } else { party(n % 3) }
}

fn op() -> impl Strategy<Value = Op> {
    let n = ITEMS + CASES + LOTS;
    let t = 0i64..20;
    let list = |max: usize, len: usize| prop::collection::vec(0..max, 1..=len);
    prop_oneof![
        1 => (list(ITEMS, 3), prop::option::of(0..LOTS), t.clone()).prop_map(|(items, lot, t)| Op::Commission { items, lot, t }),
        3 => (0..ITEMS + CASES, list(ITEMS + CASES, 3), 0u8..3, prop::bool::weighted(0.2), t.clone())
            .prop_map(|(parent, children, action, assoc, t)| Op::Pack { parent, children, action, assoc, t }),
        1 => (0..ITEMS + CASES, prop::bool::weighted(0.2), t.clone()).prop_map(|(parent, assoc, t)| Op::UnpackAll { parent, assoc, t }),
        2 => (list(n, 2), list(n, 2), prop::option::of(0..LOTS), t.clone())
            .prop_map(|(ins, outs, lot, t)| Op::Transform { ins, outs, lot, t }),
        1 => (list(n, 2), list(n, 2), t.clone(), t.clone())
            .prop_map(|(ins, outs, t1, t2)| Op::Split { ins, outs, t1, t2 }),
        1 => (list(n, 2), prop::option::of((0usize..3, 0u8..4)), prop::option::of((0usize..3, 0u8..4)), t)
            .prop_map(|(subjects, src, dst, t)| Op::HandOver { subjects, src, dst, t }),
    ]
}

fn build((index, op): (usize, &Op)) -> Vec<Event> {
    let ids = |v: &[usize]| v.iter().map(|&i| pool(i)).collect::<Vec<_>>();
    match op {
        Op::Commission { items, lot, t } => {
            let its: Vec<Id> = items.iter().map(|&i| item(i)).collect();
            vec![commission(&its, lot.map(|l| format!("L{l}")).as_deref(), *t)]
        }
        Op::Pack { parent, children, action, assoc, t } => {
            let a = [Action::Add, Action::Observe, Action::Delete][usize::from(*action)];
            let kids: Vec<Id> = children.iter().map(|&i| instance(i)).collect();
            let mut e = pack(&instance(*parent), &kids, a, *t);
            if *assoc {
                e.kind = EventType::Association;
            }
            vec![e]
        }
        Op::UnpackAll { parent, assoc, t } => {
            let mut e = unpack_all(&instance(*parent), *t);
            if *assoc {
                e.kind = EventType::Association;
            }
            vec![e]
        }
        Op::Transform { ins, outs, lot, t } => {
            let mut e = transform(&ids(ins), &ids(outs), *t);
            if let Some(l) = lot {
                e.ilmd.push(Extension { name: LOT_NUMBER.into(), value: ExtValue::String(format!("L{l}").into()) });
            }
            vec![e]
        }
        Op::Split { ins, outs, t1, t2 } => {
            // Inputs in one event, outputs in another, one transformationID per pair. (Three or more events of
            // one transformationID can justify one edge — same later event, same ends — at two different
            // times; which time a store keeps is the store's business, not the walk's, so it is not drawn here.)
            let mut a = transform(&ids(ins), &[], *t1);
            let mut b = transform(&[], &ids(outs), *t2);
            a.transformation_id = Some(format!("urn:example:xform:{index}").into());
            b.transformation_id = a.transformation_id.clone();
            vec![a, b]
        }
        Op::HandOver { subjects, src, dst, t } => {
            let f = src.map(|(n, k)| (sdt(k), sd_id(n, k)));
            let d = dst.map(|(n, k)| (sdt(k), sd_id(n, k)));
            vec![ship(&ids(subjects), f, d, *t)]
        }
    }
}

fn options() -> impl Strategy<Value = TraceOptions> {
    (
        prop::option::of(0i64..21),
        prop::option::of((0i64..20, 1i64..21)),
        prop::bool::weighted(0.25),
        prop::collection::vec(prop::bool::ANY, 5),
    )
        .prop_map(|(as_of, window, filter, mask)| {
            let mut o = TraceOptions::new();
            o.as_of = as_of.map(|t| Timestamp(t * 1000 + if t % 3 == 0 { 500 } else { 0 }));
            if let Some((a, b)) = window.filter(|_| filter) {
                o.from = Some(ts(a));
                o.until = Some(ts(a + b));
            }
            if filter {
                o.kinds = ALL_KINDS.iter().zip(&mask).filter(|(_, m)| **m).map(|(k, _)| *k).collect();
            }
            o
        })
}

fn all_roots() -> Vec<Id> {
    let mut r: Vec<Id> = (0..ITEMS + CASES + LOTS).map(pool).collect();
    r.push(party(0));
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The store walk equals the oracle for every root, both directions and every option set drawn.
    #[test]
    fn walk_equals_oracle(ops in prop::collection::vec(op(), 1..24), opts in prop::collection::vec(options(), 3)) {
        let store = MemoryStore::new();
        let events: Vec<Event> = ops.iter().enumerate().flat_map(build).collect();
        store.ingest(events).unwrap();
        let rels = oracle_relations(&store);
        let mut all_opts = vec![TraceOptions::new()];
        all_opts.extend(opts);
        for o in &all_opts {
            for root in all_roots() {
                for dir in [Direction::Back, Direction::Forward] {
                    let got = store_walk(&store, &root, dir, o);
                    let want = oracle_walk(&rels, &root, dir, o);
                    prop_assert_eq!(&got.0, &want.0, "nodes: root {} {:?} {:?}", trace::key_text(&root), dir, o);
                    prop_assert_eq!(&got.1, &want.1, "edges: root {} {:?} {:?}", trace::key_text(&root), dir, o);
                }
            }
        }
    }

    /// Limits only ever cut a walk: a limited walk is a subset of the full one, and says so when it is smaller.
    #[test]
    fn limits_give_a_prefix(ops in prop::collection::vec(op(), 1..24), depth in 0usize..4, nodes in 1usize..8, root in 0usize..15) {
        let store = MemoryStore::new();
        store.ingest(ops.iter().enumerate().flat_map(build).collect()).unwrap();
        let root = pool(root);
        for dir in [Direction::Back, Direction::Forward] {
            let full = store_walk(&store, &root, dir, &TraceOptions::new());
            for o in [TraceOptions::new().depth(depth), TraceOptions::new().nodes(nodes)] {
                let t = trace::trace(&store, &root, dir, &o.clone().state(false)).unwrap();
                let got: BTreeSet<String> = t.nodes.iter().map(|n| trace::key_text(&n.id)).collect();
                prop_assert!(got.is_subset(&full.0));
                let edges: EdgeSet = t.edges.iter().map(|e| edge_key(&e.from, &e.to, &e.rel, &e.event)).collect();
                prop_assert!(edges.is_subset(&full.1));
                if got.len() < full.0.len() || edges.len() < full.1.len() {
                    prop_assert!(t.truncated);
                } else {
                    prop_assert!(!t.truncated);
                }
                prop_assert!(t.nodes.len() <= o.max_nodes.unwrap_or(usize::MAX));
                prop_assert!(t.nodes.iter().all(|n| n.depth <= o.max_depth.unwrap_or(usize::MAX)));
            }
        }
    }
}

/// A walk as a list of printable steps, in order.
fn steps(
    run: impl FnOnce(&mut dyn FnMut(Step<'_>) -> ControlFlow<()>) -> trace::WalkSummary,
) -> (Vec<String>, trace::WalkSummary) {
    let mut out = Vec::new();
    let s = run(&mut |step| {
        out.push(match step {
            Step::Node { id, kind, role, depth, again } => {
                format!("node {} {kind:?} {role:?} {depth} {again}", trace::key_text(id))
            }
            Step::Edge(e) => format!("edge {e:?}"),
        });
        ControlFlow::Continue(())
    });
    (out, s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The in-memory adjacency gives exactly the store walk's steps, in order, for any options (limits too).
    #[test]
    fn adjacency_walk_equals_store_walk(
        ops in prop::collection::vec(op(), 1..24),
        opts in prop::collection::vec(options(), 2),
        depth in prop::option::of(0usize..4),
        nodes in prop::option::of(1usize..8),
        roots in prop::collection::vec(0usize..15, 1..3),
    ) {
        let store = MemoryStore::new();
        store.ingest(ops.iter().enumerate().flat_map(build).collect()).unwrap();
        let roots: Vec<Id> = roots.into_iter().map(pool).collect();
        let some = Adjacency::load(&store, &roots).unwrap();
        let all = Adjacency::load_all(&store).unwrap();
        // `all` holds every node of `some` except roots the store never saw.
        let covered = (0..u32::try_from(some.len()).unwrap()).all(|n| {
            let i = some.id(n).unwrap();
            all.node(i).is_some() || roots.contains(i)
        });
        prop_assert!(covered);
        for mut o in opts {
            o.max_depth = depth;
            o.max_nodes = nodes;
            for dir in [Direction::Back, Direction::Forward] {
                for root in &roots {
                    let want = steps(|sink| walk(&store, root, dir, &o, sink).unwrap());
                    for adj in [&some, &all] {
                        let got = steps(|sink| adj.walk(root, dir, &o, sink).unwrap());
                        prop_assert_eq!(&got, &want);
                    }
                }
                let want = steps(|sink| walk(&store, &party(0), dir, &o, sink).unwrap());
                prop_assert_eq!(steps(|sink| all.walk(&party(0), dir, &o, sink).unwrap()), want);
            }
        }
    }
}

/// The RocksDB store, walked with zero-copy edge reads and levels read ahead (on two threads when forced),
/// gives exactly the in-memory model's steps, in order, for any options and limits; collected traces (states
/// included) and recalls agree too.
#[cfg(feature = "rocksdb")]
mod rocks_walk {
    use super::*;
    use crate::tmp::TempDir;
    use tracecode::store::{Options, Store};
    use tracecode::trace::{WalkTuning, walk_tuned};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn store_walk_equals_model_walk(
            ops in prop::collection::vec(op(), 1..24),
            opts in prop::collection::vec(options(), 2),
            depth in prop::option::of(0usize..4),
            nodes in prop::option::of(1usize..8),
            chunk in 1usize..4,
            batches in 1usize..4,
        ) {
            let mem = MemoryStore::new();
            let events: Vec<Event> = ops.iter().enumerate().flat_map(build).collect();
            mem.ingest(events.clone()).unwrap();
            let dir = TempDir::new("trace");
            let store = Store::open(dir.path(), Options::default().block_cache_bytes(8 << 20)).unwrap();
            // Several batches: edges spread over memtable and SST files.
            let per = events.len().div_ceil(batches).max(1);
            for b in events.chunks(per) {
                store.ingest(b.to_vec()).unwrap();
                store.flush().unwrap();
            }
            let session = store.session();
            let forced = WalkTuning { chunk, parallel_min: 0, threads: 2 };
            let mut all_opts = vec![TraceOptions::new()];
            all_opts.extend(opts);
            for mut o in all_opts {
                o.max_depth = depth;
                o.max_nodes = nodes;
                for dir in [Direction::Back, Direction::Forward] {
                    for root in all_roots() {
                        let want = steps(|sink| walk(&mem, &root, dir, &o, sink).unwrap());
                        prop_assert_eq!(&steps(|sink| walk(&store, &root, dir, &o, sink).unwrap()), &want);
                        prop_assert_eq!(&steps(|sink| walk(&session, &root, dir, &o, sink).unwrap()), &want);
                        let got = steps(|sink| walk_tuned(&session, &root, dir, &o, forced, sink).unwrap());
                        prop_assert_eq!(&got, &want, "root {} {:?} {:?}", trace::key_text(&root), dir, &o);
                    }
                }
            }
            for root in [pool(0), pool(ITEMS), pool(ITEMS + CASES)] {
                let o = TraceOptions::new();
                prop_assert_eq!(
                    trace::trace(&session, &root, Direction::Forward, &o).unwrap(),
                    trace::trace(&mem, &root, Direction::Forward, &o).unwrap()
                );
                let r = RecallOptions::new(ts(30));
                let (a, b) = (trace::recall_id(&session, &root, &r).unwrap(), trace::recall_id(&mem, &root, &r).unwrap());
                prop_assert_eq!(a, b);
            }
        }
    }

    /// A walk over a genealogy big enough to be read on two threads by default (thousands of nodes per level)
    /// equals the walk of the store's adjacency, which was loaded through `neighbours`.
    #[test]
    #[cfg(feature = "synth")]
    fn large_walk_equals_adjacency_walk() {
        let (root, batches) = tracecode::synth::genealogy(6_000, 12, 3, Timestamp(1_000));
        let dir = TempDir::new("trace");
        let store = Store::open(dir.path(), Options::default().block_cache_bytes(8 << 20)).unwrap();
        for b in batches {
            store.ingest(b).unwrap();
        }
        let root = Id::Key(root);
        let adj = Adjacency::load(&store.session(), std::slice::from_ref(&root)).unwrap();
        for o in [TraceOptions::new().state(false), TraceOptions::new().nodes(3_000), TraceOptions::new().depth(3)] {
            for dir in [Direction::Forward, Direction::Back] {
                let want = steps(|sink| adj.walk(&root, dir, &o, sink).unwrap());
                assert_eq!(steps(|sink| walk(&store.session(), &root, dir, &o, sink).unwrap()), want);
                let small = WalkTuning { chunk: 5, parallel_min: 0, threads: 2 };
                assert_eq!(steps(|sink| walk_tuned(&store, &root, dir, &o, small, sink).unwrap()), want);
            }
        }
        let full = steps(|sink| adj.walk(&root, Direction::Forward, &TraceOptions::new(), sink).unwrap());
        assert!(full.1.nodes > 5_000, "{:?}", full.1);
    }
}

#[test]
fn adjacency_compact_steps_and_accessors() {
    let (raw, a, b, p) = (lot(1), item(1), item(2), case(1));
    let s = store_with(vec![
        transform(&[raw.clone()], &[a.clone(), b.clone()], 1),
        pack(&p, &[a.clone()], Action::Add, 2),
        unpack_all(&p, 3),
    ]);
    let adj = Adjacency::load(&s, &[raw.clone()]).unwrap();
    assert_eq!(adj.len(), 4);
    assert!(!adj.is_empty());
    // Numbered in store-key order.
    #[cfg(feature = "testing")]
    {
        let keys: Vec<Vec<u8>> = (0..4).map(|n| tracecode::store::keys::node_key(adj.id(n).unwrap())).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }
    let r = adj.node(&raw).unwrap();
    let mut seen = Vec::new();
    let sum = adj
        .walk_compact(r, Direction::Forward, &TraceOptions::new(), &mut |st| {
            seen.push(st);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((sum.nodes, sum.edges), (4, 3));
    let edges: Vec<_> = seen
        .iter()
        .filter_map(|st| match st {
            CompactStep::Edge { edge, .. } => adj.edge(*edge),
            CompactStep::Node { .. } => None,
        })
        .collect();
    assert_eq!(edges.len(), 3);
    assert!(edges.iter().all(|e| s.event(&e.event).unwrap().is_some()));
    // The unpack-all marker is held but never reported; as of after it, the case is not reached.
    let t = adj.trace(&s, &raw, Direction::Forward, &TraceOptions::new().as_of(ts(5))).unwrap();
    assert!(t.node(&p).is_none());
    assert_eq!(t, trace::trace(&s, &raw, Direction::Forward, &TraceOptions::new().as_of(ts(5))).unwrap());
    // A node loaded only as a hand-over leaf or not at all.
    assert_eq!(
        adj.walk(&item(7), Direction::Back, &TraceOptions::new(), &mut |_| ControlFlow::Continue(())).unwrap().nodes,
        1
    );
    assert!(adj.walk_compact(99, Direction::Back, &TraceOptions::new(), &mut |_| ControlFlow::Continue(())).is_err());
}

// ------------------------------------------------------------------------------------------------------------
// Semantics, one rule at a time
// ------------------------------------------------------------------------------------------------------------

fn store_with(events: Vec<Event>) -> MemoryStore {
    let s = MemoryStore::new();
    s.ingest(events).unwrap();
    s
}

fn has(t: &trace::Trace, i: &Id) -> bool {
    t.node(i).is_some()
}

#[test]
fn forward_reaches_containers_but_not_siblings() {
    let (a, b, p) = (item(1), item(2), case(1));
    let s = store_with(vec![pack(&p, &[a.clone(), b.clone()], Action::Add, 10)]);
    let t = trace::trace(&s, &a, Direction::Forward, &TraceOptions::new()).unwrap();
    assert!(has(&t, &p), "the case that held the item is reported");
    assert!(!has(&t, &b), "a sibling in the same case is not affected");
    let n = t.node(&p).unwrap();
    assert_eq!((n.kind, n.role, n.depth), (NodeKind::Container, NodeRole::Holder, 1));
    // Forward from the case: its contents are affected.
    let t = trace::trace(&s, &p, Direction::Forward, &TraceOptions::new()).unwrap();
    assert!(has(&t, &a) && has(&t, &b));
    assert_eq!(t.nodes[0].role, NodeRole::Root);
}

#[test]
fn backward_provenance_of_a_container_is_that_of_its_contents() {
    let (raw, a, b, p, pallet) = (lot(1), item(1), item(2), case(1), case(2));
    let s = store_with(vec![
        transform(&[raw.clone()], &[a.clone()], 5),
        commission(&[b.clone()], Some("L2"), 6),
        pack(&p, &[a.clone(), b.clone()], Action::Add, 10),
        pack(&pallet, &[p.clone()], Action::Add, 11),
    ]);
    let t = trace_back(&s, "urn:epc:id:sscc:0614141.1000000001", &TraceOptions::new()).unwrap();
    for x in [&a, &b, &raw, &lot(2), &pallet] {
        assert!(has(&t, x), "{x}");
    }
    // An item's provenance does not include what else shared its case.
    let t = trace::trace(&s, &a, Direction::Back, &TraceOptions::new()).unwrap();
    assert!(has(&t, &raw) && has(&t, &p) && has(&t, &pallet));
    assert!(!has(&t, &b) && !has(&t, &lot(2)));
    // Every edge cites an event that names both ends.
    for e in &t.edges {
        let (_, ev) = s.event(&e.event).unwrap().unwrap();
        let named: Vec<&Id> = ev.subjects().collect();
        assert!(named.contains(&&e.from) && named.contains(&&e.to), "{e:?}");
    }
}

#[test]
fn as_of_containment_follows_add_delete_and_unpack_all() {
    let (a, p) = (item(1), case(1));
    let s = store_with(vec![
        // Captured out of time order on purpose.
        pack(&p, &[a.clone()], Action::Delete, 20),
        pack(&p, &[a.clone()], Action::Add, 10),
        pack(&p, &[a.clone()], Action::Add, 25),
        unpack_all(&p, 30),
    ]);
    let at = |t: Option<i64>| {
        let mut o = TraceOptions::new();
        o.as_of = t.map(ts);
        trace::trace(&s, &a, Direction::Forward, &o).unwrap()
    };
    assert!(!has(&at(Some(5)), &p));
    assert!(has(&at(Some(15)), &p));
    assert!(!has(&at(Some(22)), &p));
    let t = at(Some(27));
    assert!(has(&t, &p));
    // The edge cited is the latest ADD, not the first.
    assert_eq!(t.edges.len(), 1);
    assert_eq!(t.edges[0].time, ts(25));
    assert!(!has(&at(Some(35)), &p), "unpack-all after the ADD empties the case");
    // Historical union: both ADDs are cited, the DELETEs ignored.
    let t = at(None);
    assert!(has(&t, &p));
    assert_eq!(t.edges.iter().filter(|e| e.rel == Rel::Parent).count(), 2);
    // The walk agrees with the store's own state derivation at each time.
    for t in [5, 15, 22, 27, 35] {
        let st = s.state_at(&a, ts(t)).unwrap().unwrap();
        assert_eq!(st.container.is_some(), has(&at(Some(t)), &p), "t = {t}");
    }
}

#[test]
fn time_window_ignores_events_outside_it() {
    let (raw, a, b) = (lot(1), item(1), item(2));
    let s = store_with(vec![transform(&[raw.clone()], &[a.clone()], 5), transform(&[a.clone()], &[b.clone()], 15)]);
    let o = TraceOptions::new().window(Some(ts(10)), None);
    let t = trace::trace(&s, &raw, Direction::Forward, &o).unwrap();
    assert_eq!(t.nodes.len(), 1);
    let t = trace::trace(&s, &a, Direction::Forward, &o).unwrap();
    assert!(has(&t, &b));
    let o = TraceOptions::new().window(None, Some(ts(15)));
    let t = trace::trace(&s, &raw, Direction::Forward, &o).unwrap();
    assert!(has(&t, &a) && !has(&t, &b), "until is exclusive");
}

#[test]
fn edge_kind_filter() {
    let (raw, a, p) = (lot(1), item(1), case(1));
    let s = store_with(vec![transform(&[raw.clone()], &[a.clone()], 5), pack(&p, &[a.clone()], Action::Add, 10)]);
    let o = TraceOptions::new().kinds(&[EdgeKind::Transformation]);
    let t = trace::trace(&s, &raw, Direction::Forward, &o).unwrap();
    assert!(has(&t, &a) && !has(&t, &p));
    let o = TraceOptions::new().kinds(&[]);
    assert_eq!(trace::trace(&s, &raw, Direction::Forward, &o).unwrap().nodes.len(), 1);
}

#[test]
fn cycles_terminate() {
    // A contains B, later B contains A: a containment cycle in the historical union.
    let (a, b) = (case(1), case(2));
    let s = store_with(vec![pack(&a, &[b.clone()], Action::Add, 10), pack(&b, &[a.clone()], Action::Add, 20)]);
    for dir in [Direction::Back, Direction::Forward] {
        let t = trace::trace(&s, &a, dir, &TraceOptions::new()).unwrap();
        assert_eq!(t.nodes.len(), 2, "{dir:?}");
        assert!(!t.truncated);
    }
    // A transformation cycle too.
    let (x, y) = (item(1), item(2));
    let s = store_with(vec![transform(&[x.clone()], &[y.clone()], 1), transform(&[y.clone()], &[x.clone()], 2)]);
    let t = trace::trace(&s, &x, Direction::Forward, &TraceOptions::new()).unwrap();
    assert_eq!((t.nodes.len(), t.edges.len()), (2, 2));
}

#[test]
fn depth_and_node_limits_truncate() {
    let chain: Vec<Id> = (0..5).map(item).collect();
    let s = store_with(
        chain.windows(2).enumerate().map(|(i, w)| transform(&w[..1], &w[1..], i64::try_from(i).unwrap())).collect(),
    );
    let t = trace::trace(&s, &chain[0], Direction::Forward, &TraceOptions::new().depth(2)).unwrap();
    assert_eq!(t.nodes.len(), 3);
    assert!(t.truncated);
    assert_eq!(t.nodes.iter().map(|n| n.depth).max(), Some(2));
    let t = trace::trace(&s, &chain[0], Direction::Forward, &TraceOptions::new().depth(4)).unwrap();
    assert_eq!(t.nodes.len(), 5);
    assert!(!t.truncated, "the last item has nothing downstream");
    let t = trace::trace(&s, &chain[0], Direction::Forward, &TraceOptions::new().nodes(2)).unwrap();
    assert_eq!(t.nodes.len(), 2);
    assert!(t.truncated);
    let t = trace::trace(&s, &chain[4], Direction::Back, &TraceOptions::new().nodes(5)).unwrap();
    assert_eq!(t.nodes.len(), 5);
    assert!(!t.truncated);
}

#[test]
fn hand_overs_add_parties_and_places_but_are_not_expanded() {
    let (a, other) = (item(1), item(2));
    let owner = party(1);
    let dc = place(1);
    let s = store_with(vec![
        ship(
            &[a.clone()],
            Some((SourceDestType::OwningParty, owner.clone())),
            Some((SourceDestType::Location, dc.clone())),
            1,
        ),
        ship(&[other.clone()], Some((SourceDestType::OwningParty, owner.clone())), None, 2),
    ]);
    let t = trace::trace(&s, &a, Direction::Back, &TraceOptions::new()).unwrap();
    assert_eq!(t.node(&owner).map(|n| (n.kind, n.role)), Some((NodeKind::Party, NodeRole::HandOver)));
    assert_eq!(t.node(&dc).map(|n| n.kind), Some(NodeKind::Location));
    assert!(!has(&t, &other), "the party's other goods are not reached through it");
    assert!(t.edges.iter().any(|e| e.rel == Rel::Source(SourceDestType::OwningParty) && e.to == owner));
    // A party as root lists what it handled, without going further.
    let t = trace::trace(&s, &owner, Direction::Forward, &TraceOptions::new()).unwrap();
    assert!(has(&t, &a) && has(&t, &other));
}

#[test]
fn stronger_role_reexpands_a_container() {
    // R is packed in carton C (C reached upward first); R is also made into pallet P, which later holds C:
    // C is then reached as contents of an affected container, so its other content D is affected too.
    let (r, d, c, p) = (item(1), item(2), case(1), case(2));
    let s = store_with(vec![
        pack(&c, &[r.clone(), d.clone()], Action::Add, 1),
        transform(&[r.clone()], &[p.clone()], 2),
        pack(&p, &[c.clone()], Action::Add, 3),
    ]);
    let t = trace::trace(&s, &r, Direction::Forward, &TraceOptions::new()).unwrap();
    assert!(has(&t, &d));
    assert_eq!(t.node(&c).map(|n| (n.role, n.depth)), Some((NodeRole::Lineage, 1)));
    let rels = oracle_relations(&s);
    assert_eq!(
        store_walk(&s, &r, Direction::Forward, &TraceOptions::new()),
        oracle_walk(&rels, &r, Direction::Forward, &TraceOptions::new())
    );
}

#[test]
fn lot_membership_both_ways() {
    let (a, b) = (item(1), item(2));
    let s = store_with(vec![commission(&[a.clone(), b.clone()], Some("L1"), 1)]);
    let t = trace_forward(&s, "(01)09506000134352(10)L1", &TraceOptions::new()).unwrap();
    assert!(has(&t, &a) && has(&t, &b));
    assert_eq!(t.nodes[0].kind, NodeKind::Lot);
    let t = trace::trace(&s, &a, Direction::Back, &TraceOptions::new()).unwrap();
    assert!(has(&t, &lot(1)) && !has(&t, &b));
}

#[test]
fn forward_trace_has_states() {
    let (a, p) = (item(1), case(1));
    let holder = party(2);
    let s = store_with(vec![
        commission(&[a.clone()], None, 1),
        pack(&p, &[a.clone()], Action::Add, 2),
        ship(&[p.clone()], None, Some((SourceDestType::PossessingParty, holder.clone())), 3),
    ]);
    let t = trace::trace(&s, &a, Direction::Forward, &TraceOptions::new()).unwrap();
    let st = t.nodes[0].state.as_ref().unwrap();
    assert_eq!(st.container.as_ref(), Some(&p));
    assert_eq!(t.node(&p).unwrap().state.as_ref().unwrap().possessor.as_ref(), Some(&holder));
    assert_eq!(trace::key_text(&t.root), "01/09506000134352/21/S1");
    assert_eq!(t.direction.as_str(), "forward");
    assert_eq!(
        t.nodes[0].state.as_ref().and_then(|s| s.container.as_ref()).map(trace::key_text),
        Some(trace::key_text(&p))
    );
    assert!(!t.edges.is_empty());
    assert_eq!(t.edges[0].event.to_string().len(), 64);
    assert!(!t.truncated);
    // Backward traces carry no states unless asked.
    let t = trace::trace(&s, &a, Direction::Back, &TraceOptions::new()).unwrap();
    assert!(t.nodes.iter().all(|n| n.state.is_none()));
    // state_at from scanner input.
    let st = trace::state_at(&s, "(01)09506000134352(21)S1", ts(1)).unwrap().unwrap();
    assert_eq!(st.container, None);
}

#[test]
fn walk_streams_and_stops_on_request() {
    let chain: Vec<Id> = (0..4).map(item).collect();
    let s = store_with(chain.windows(2).map(|w| transform(&w[..1], &w[1..], 1)).collect());
    let store: &dyn TraceStore = &s;
    let mut seen = Vec::new();
    let sum = walk(store, &chain[0], Direction::Forward, &TraceOptions::new(), &mut |step| {
        seen.push(matches!(step, Step::Node { .. }));
        if seen.len() == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .unwrap();
    assert!(sum.stopped);
    assert_eq!(seen, vec![true, false, true], "node, its edge, the next node");
    let sum =
        walk(store, &chain[0], Direction::Forward, &TraceOptions::new(), &mut |_| ControlFlow::Continue(())).unwrap();
    assert_eq!((sum.nodes, sum.edges, sum.depth, sum.truncated, sum.stopped), (4, 3, 3, false, false));
}

#[test]
fn bad_input_is_a_positioned_parse_error() {
    let e = trace_back(&MemoryStore::new(), "(01)09506000134353", &TraceOptions::new()).unwrap_err();
    assert_eq!(e.kind(), tracecode::ErrorKind::CheckDigit);
}

// ------------------------------------------------------------------------------------------------------------
// Recall
// ------------------------------------------------------------------------------------------------------------

#[test]
fn recall_lists_affected_holders_and_parties_and_commits_once() {
    let (raw, a, b, c, p) = (lot(1), item(1), item(2), item(3), case(1));
    let owner = party(1);
    let shop = party(2);
    let mut make = transform(&[raw.clone()], &[a.clone(), b.clone()], 1);
    make.who.party = Some(owner.clone());
    let s = store_with(vec![
        make,
        pack(&p, &[a.clone(), c.clone()], Action::Add, 2),
        ship(
            &[b.clone()],
            Some((SourceDestType::OwningParty, owner.clone())),
            Some((SourceDestType::PossessingParty, shop.clone())),
            3,
        ),
    ]);
    let before = s.stats().unwrap().events;
    let mut o = RecallOptions::new(ts(100));
    o.responsible = Some(party(9));
    o.reason = Some("contaminated raw material".into());
    let r = recall(&s, "(01)09506000134352(10)L1", &o).unwrap();
    let affected: Vec<&Id> = r.affected.iter().map(|x| &x.id).collect();
    assert!(affected.contains(&&raw) && affected.contains(&&a) && affected.contains(&&b));
    assert!(!affected.contains(&&c), "c only shared a case with an affected item");
    assert_eq!(r.containers.iter().map(|x| &x.id).collect::<Vec<_>>(), vec![&p]);
    let holder_of_b = r.affected.iter().find(|x| x.id == b).unwrap().holder.clone();
    assert_eq!(holder_of_b, Some(shop.clone()));
    let parties: Vec<&Id> = r.responsible.iter().map(|x| &x.party).collect();
    assert!(parties.contains(&&owner) && parties.contains(&&shop));
    assert!(r.committed.is_none());
    assert_eq!(s.stats().unwrap().events, before, "nothing written without commit");
    // Two events: the instances (a, b) and the class (the raw lot).
    assert_eq!(r.events.len(), 2);

    o.commit = true;
    let r = recall(&s, "(01)09506000134352(10)L1", &o).unwrap();
    let rep = r.committed.clone().unwrap();
    assert_eq!((rep.accepted, rep.duplicates), (2, 0));
    assert_eq!(s.stats().unwrap().events, before + 2);
    for x in [&a, &b] {
        let st = s.resolve_id(x).unwrap().unwrap().state.clone();
        assert_eq!(st.disposition, Some(Disposition::Recalled));
        assert_eq!(st.persistent, vec![Disposition::Recalled]);
        assert_eq!(st.responsible, Some(party(9)));
    }
    // The recall is traceable: the events name the root.
    let (_, e) = s.event(&rep.outcomes[0].0).unwrap().unwrap();
    assert!(e.extensions.iter().any(|x| &*x.name == trace::RECALL_ROOT_EXT));
    // Committing the same recall again changes nothing.
    let again = recall(&s, "(01)09506000134352(10)L1", &o).unwrap().committed.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 2));
    assert_eq!(s.stats().unwrap().events, before + 2);
    assert_eq!(r.committed.as_ref().map(|c| c.accepted), Some(2));
    assert_eq!(r.affected.len(), 3);
}

#[test]
fn recall_of_many_items_is_one_batch_in_chunks() {
    let items: Vec<Id> = (0..250).map(item).collect();
    let s = store_with(vec![commission(&items, Some("BIG"), 1)]);
    let mut o = RecallOptions::new(ts(5));
    o.commit = true;
    let r = recall(&s, "(01)09506000134352(10)BIG", &o).unwrap();
    assert_eq!(r.affected.len(), 251);
    // 250 instances in chunks of 100, plus the lot itself.
    assert_eq!(r.events.len(), 4);
    assert_eq!(r.committed.unwrap().accepted, 4);
    assert_eq!(s.stats().unwrap().events, 5);
}
