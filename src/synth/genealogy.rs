//! The genealogy benchmark: a lot tree of about `nodes` nodes under one raw lot ([`genealogy`]).

use crate::code::TraceKey;
use crate::event::{Action, BizStep, Disposition, Event, EventType, Id, Place, Quantity, Timestamp, Who};

use super::codes::{gs1_key, id, placeholder_key, sscc};
use super::consts::{CST, LOT_NUMBER, salt};
use super::fields::{KGM, ext, qty};
use super::province::{Directory, Site};
use super::rng::mix64;

/// Events per batch of [`genealogy`] (fewer when the events are wide).
pub(super) const GENEALOGY_BATCH: usize = 4_096;
/// Items per commissioning event, case and pallet of [`genealogy`].
const COMMISSION_CHUNK: u64 = 100;
const CASE_ITEMS: u64 = 12;
/// Largest tree [`genealogy`] builds (2^40 nodes: far beyond any benchmark, and no arithmetic near overflow).
const MAX_NODES: u64 = 1 << 40;
/// Largest fan-out (one transformation event lists this many outputs).
const MAX_FANOUT: u32 = 1_000;
const PALLET_CASES: u64 = 10;

/// The shape of a genealogy tree: lot levels, then items, cases and pallets.
#[derive(Clone, Debug)]
struct Plan {
    fanout: u64,
    /// Lots per level; level 0 is the raw lot.
    levels: Vec<u64>,
    items: u64,
    cases: u64,
    pallets: u64,
}

impl Plan {
    fn new(nodes: u64, fanout: u32) -> Self {
        let nodes = nodes.min(MAX_NODES);
        let f = u64::from(fanout.clamp(2, MAX_FANOUT));
        // Nodes per item including its share of cases and pallets: 1 + 1/12 + 1/120 = 131/120.
        let per_items = |items: u64| u64::try_from(u128::from(items) * 131 / 120).unwrap_or(u64::MAX);
        let mut levels = vec![1u64];
        let mut lots = 1u64;
        // Add lot levels while each leaf lot would still get at least `fanout` items.
        while let Some(&last) = levels.last() {
            let next = last.saturating_mul(f);
            if levels.len() >= 64 || lots.saturating_add(next).saturating_add(per_items(next.saturating_mul(f))) > nodes
            {
                break;
            }
            levels.push(next);
            lots = lots.saturating_add(next);
        }
        if levels.len() == 1 && nodes > 1 {
            // Too small for a full level: a few product lots straight from the raw lot.
            let n = ((nodes - 1) / 2).clamp(1, f);
            levels.push(n);
            lots = lots.saturating_add(n);
        }
        let rest = nodes.saturating_sub(lots);
        let mut items = u64::try_from(u128::from(rest) * 120 / 131).unwrap_or(0);
        let total = |i: u64| {
            let cases = i.div_ceil(CASE_ITEMS);
            lots.saturating_add(i).saturating_add(cases).saturating_add(cases.div_ceil(PALLET_CASES))
        };
        while items > 0 && total(items) > nodes {
            items -= 1;
        }
        while items < u64::MAX && total(items + 1) <= nodes {
            items += 1;
        }
        let cases = items.div_ceil(CASE_ITEMS);
        Self { fanout: f, levels, items, cases, pallets: cases.div_ceil(PALLET_CASES) }
    }

    fn leaves(&self) -> u64 {
        self.levels.last().copied().unwrap_or(1)
    }

    /// Items of leaf lot `l`: an even split of all items over the leaves.
    fn leaf_items(&self, l: u64) -> (u64, u64) {
        let at = |x: u64| {
            u64::try_from(u128::from(x) * u128::from(self.items) / u128::from(self.leaves().max(1))).unwrap_or(0)
        };
        (at(l), at(l + 1))
    }
}

/// Where [`GenealogyIter`] is.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Root,
    /// Transformation of lot `j` at `level` into its children.
    Lots {
        level: usize,
        j: u64,
    },
    /// Commissioning of leaf lot `leaf` from item `next`.
    Items {
        leaf: u64,
        next: u64,
    },
    Cases(u64),
    Pallets(u64),
    Done,
}

/// Streams the events of a [`Plan`].
struct GenealogyIter {
    plan: Plan,
    plant: Site,
    raw_gtin: Box<str>,
    gtin: Box<str>,
    root_lot: String,
    phase: Phase,
    t0: i64,
    /// Events so far (spaces event times 1 ms apart).
    count: i64,
}

impl GenealogyIter {
    fn lot_text(&self, level: usize, j: u64) -> String {
        if level == 0 { self.root_lot.clone() } else { format!("G{level}-{j}") }
    }

    fn lot(&self, level: usize, j: u64) -> Id {
        let gtin = if level == 0 { &self.raw_gtin } else { &self.gtin };
        id(gs1_key(&[("01", gtin), ("10", &self.lot_text(level, j))]))
    }

    fn item(&self, x: u64) -> Id {
        id(gs1_key(&[("01", &self.gtin), ("21", &x.to_string())]))
    }

    fn event(&mut self, kind: EventType, step: BizStep, disp: Disposition, point: u64) -> Event {
        self.count += 1;
        let t = self.t0.saturating_add(self.count.saturating_mul(1_000_000));
        let p = &self.plant;
        let mut e = Event::new(kind, Timestamp(t), CST);
        e.biz_step = Some(step);
        e.disposition = Some(disp);
        e.read_point = Some(Place { id: p.points.get(point).clone(), extensions: Vec::new() });
        e.biz_location = Some(Place { id: p.location.clone(), extensions: Vec::new() });
        e.who = Who {
            party: Some(p.party.clone()),
            operator: Some(p.operators.get(0).clone()),
            device: Some(p.devices.get(0).clone()),
        };
        e
    }

    /// Emits the events of the next unit of work; false when everything has been emitted.
    fn step(&mut self, out: &mut Vec<Event>) -> bool {
        match self.phase {
            Phase::Root => {
                let root = self.lot(0, 0);
                let mut e = self.event(EventType::Object, BizStep::Commissioning, Disposition::Active, 0);
                e.action = Some(Action::Add);
                e.quantity_list = vec![qty(&root, Some(50_000), KGM)];
                out.push(e);
                self.phase = if self.plan.levels.len() > 1 { Phase::Lots { level: 0, j: 0 } } else { Phase::Done };
            }
            Phase::Lots { level, j } => {
                self.transform(level, j, out);
                let count = self.plan.levels.get(level).copied().unwrap_or(0);
                self.phase = if j.saturating_add(1) < count {
                    Phase::Lots { level, j: j + 1 }
                } else if level + 2 < self.plan.levels.len() {
                    Phase::Lots { level: level + 1, j: 0 }
                } else {
                    Phase::Items { leaf: 0, next: 0 }
                };
            }
            Phase::Items { leaf, next } => {
                let (lo, hi) = self.plan.leaf_items(leaf);
                let from = next.max(lo);
                let to = hi.min(from.saturating_add(COMMISSION_CHUNK));
                if from < to {
                    let items = (from..to).map(|x| self.item(x)).collect();
                    let lot = self.lot_text(self.plan.levels.len() - 1, leaf);
                    let mut e = self.event(EventType::Object, BizStep::Commissioning, Disposition::Active, 1);
                    e.action = Some(Action::Add);
                    e.epc_list = items;
                    e.ilmd = vec![ext(LOT_NUMBER, &lot)];
                    out.push(e);
                }
                self.phase = if to < hi {
                    Phase::Items { leaf, next: to }
                } else if leaf.saturating_add(1) < self.plan.leaves() {
                    Phase::Items { leaf: leaf + 1, next: 0 }
                } else {
                    Phase::Cases(0)
                };
            }
            Phase::Cases(c) => {
                if c < self.plan.cases {
                    let hi = self.plan.items.min(c.saturating_add(1).saturating_mul(CASE_ITEMS));
                    let children = (c.saturating_mul(CASE_ITEMS)..hi).map(|x| self.item(x)).collect();
                    let parent = id(sscc(&self.plant.gcp, 5, c));
                    out.push(self.packing(parent, children));
                    self.phase = Phase::Cases(c + 1);
                } else {
                    self.phase = Phase::Pallets(0);
                }
            }
            Phase::Pallets(p) => {
                if p < self.plan.pallets {
                    let hi = self.plan.cases.min(p.saturating_add(1).saturating_mul(PALLET_CASES));
                    let children =
                        (p.saturating_mul(PALLET_CASES)..hi).map(|c| id(sscc(&self.plant.gcp, 5, c))).collect();
                    let parent = id(sscc(&self.plant.gcp, 6, p));
                    out.push(self.packing(parent, children));
                    self.phase = Phase::Pallets(p + 1);
                } else {
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => return false,
        }
        true
    }

    fn packing(&mut self, parent: Id, children: Vec<Id>) -> Event {
        let mut e = self.event(EventType::Aggregation, BizStep::Packing, Disposition::InProgress, 2);
        e.action = Some(Action::Add);
        e.parent_id = Some(parent);
        e.child_epcs = children;
        e
    }

    /// Lot `j` of `level` into its children on the next level. Every 53rd lot (below the root) also takes the
    /// previous lot of its level as an input (a join); every 41st is recorded as two events sharing a
    /// transformationID.
    fn transform(&mut self, level: usize, j: u64, out: &mut Vec<Event>) {
        let next_count = self.plan.levels.get(level + 1).copied().unwrap_or(0);
        let lo = j.saturating_mul(self.plan.fanout).min(next_count);
        let hi = j.saturating_add(1).saturating_mul(self.plan.fanout).min(next_count);
        let mut inputs = vec![qty(&self.lot(level, j), Some(1_000), KGM)];
        if level > 0 && j % 53 == 1 {
            inputs.push(qty(&self.lot(level, j - 1), Some(10), KGM));
        }
        let outputs: Vec<Quantity> = (lo..hi).map(|c| qty(&self.lot(level + 1, c), None, None)).collect();
        if outputs.is_empty() {
            return;
        }
        let step = || BizStep::CreatingClassInstance;
        if j % 41 == 7 {
            let tid: Box<str> = format!("urn:tracecode:synth:transformation:{level}:{j}").into();
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.input_quantity_list = inputs;
            e.transformation_id = Some(tid.clone());
            out.push(e);
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.output_quantity_list = outputs;
            e.transformation_id = Some(tid);
            out.push(e);
        } else {
            let mut e = self.event(EventType::Transformation, step(), Disposition::Active, 1);
            e.input_quantity_list = inputs;
            e.output_quantity_list = outputs;
            out.push(e);
        }
    }
}

impl Iterator for GenealogyIter {
    type Item = Vec<Event>;

    fn next(&mut self) -> Option<Vec<Event>> {
        let mut out = Vec::with_capacity(GENEALOGY_BATCH);
        // Wide fan-outs make big events: a batch also ends after about 2^16 identifiers.
        let mut weight = 0usize;
        while out.len() < GENEALOGY_BATCH && weight < 1 << 16 {
            let before = out.len();
            if !self.step(&mut out) {
                break;
            }
            weight += out.get(before..).unwrap_or_default().iter().map(|e| e.subjects().count()).sum::<usize>();
        }
        (!out.is_empty()).then_some(out)
    }
}

/// A genealogy for the trace benchmark: a tree of about `nodes` distinct identifiers (never more; at most 2^40)
/// under one raw lot, and its events in batches. `fanout` is clamped to 2..=1000.
///
/// The raw lot (GTIN + lot) is transformed into `fanout` product lots, each of those into `fanout` more, level
/// after level (TransformationEvents; every 53rd lot also takes its neighbour as a second input, a join, and
/// every 41st is recorded as two events sharing a transformationID). The last level's lots each get at least
/// `fanout` serialised items, commissioned with ILMD `lotNumber` (lot membership); items are packed 12 to a case
/// and cases 10 to a pallet (SSCCs). About 91% of the nodes are lots and items, reached from the root by
/// transformation outputs and lot memberships; the rest are the cases and pallets that contain them. Lazy:
/// memory is one batch.
///
/// ```
/// use std::collections::HashSet;
/// use tracecode::event::Timestamp;
///
/// let (root, batches) = tracecode::synth::genealogy(10_000, 8, 1, Timestamp(0));
/// let mut nodes = HashSet::new();
/// for batch in batches {
///     for e in &batch {
///         assert!(e.validate().is_ok());
///         nodes.extend(e.subjects().cloned());
///     }
/// }
/// assert!(nodes.contains(&tracecode::event::Id::Key(root)));
/// assert!(nodes.len() > 9_500 && nodes.len() <= 10_000);
/// ```
pub fn genealogy(nodes: u64, fanout: u32, seed: u64, start: Timestamp) -> (TraceKey, impl Iterator<Item = Vec<Event>>) {
    let key = mix64(seed ^ salt::GENEALOGY);
    let dir = Directory::new(key);
    let raw_gtin = dir.farms.get(0).produce.clone();
    let gtin = dir.food.get(0).gtin.clone();
    let root_lot = format!("R{:08}", key % 100_000_000);
    let it = GenealogyIter {
        plan: Plan::new(nodes, fanout),
        plant: dir.processors.get(0).clone(),
        raw_gtin,
        gtin,
        root_lot,
        phase: Phase::Root,
        t0: start.0,
        count: 0,
    };
    let root = match it.lot(0, 0) {
        Id::Key(k) => k,
        Id::Uri(_) => placeholder_key(),
    };
    (root, it)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::event::ExtValue;
    use crate::synth::SynthConfig;
    use crate::synth::tests::key_of;

    /// A forward trace over the raw events: transformation outputs (joined by transformationID), ILMD lot
    /// memberships, and containers.
    fn forward(events: &[Event], root: &TraceKey) -> (HashSet<Id>, HashSet<Id>) {
        let mut next: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut containers: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut by_tid: HashMap<Box<str>, (Vec<Id>, Vec<Id>)> = HashMap::new();
        for e in events {
            let ins: Vec<Id> = e.input_quantity_list.iter().map(|q| q.class.clone()).collect();
            let outs: Vec<Id> = e.output_quantity_list.iter().map(|q| q.class.clone()).collect();
            if let Some(t) = &e.transformation_id {
                let entry = by_tid.entry(t.clone()).or_default();
                entry.0.extend(ins);
                entry.1.extend(outs);
            } else {
                for i in &ins {
                    next.entry(i.clone()).or_default().extend(outs.iter().cloned());
                }
            }
            if let Some(ExtValue::String(lot)) = e.ilmd.first().map(|x| &x.value) {
                for item in &e.epc_list {
                    let gtin = key_of(item).gtin_class().unwrap();
                    let lot_key: TraceKey = format!("{gtin}/10/{lot}").parse().unwrap();
                    next.entry(Id::Key(lot_key)).or_default().push(item.clone());
                }
            }
            if let Some(p) = &e.parent_id {
                for c in &e.child_epcs {
                    containers.entry(c.clone()).or_default().push(p.clone());
                }
            }
        }
        for (ins, outs) in by_tid.into_values() {
            for i in ins {
                next.entry(i).or_default().extend(outs.iter().cloned());
            }
        }
        let mut seen = HashSet::from([Id::Key(root.clone())]);
        let mut stack = vec![Id::Key(root.clone())];
        while let Some(n) = stack.pop() {
            for m in next.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        let mut with_containers = seen.clone();
        let mut stack: Vec<Id> = seen.iter().cloned().collect();
        while let Some(n) = stack.pop() {
            for m in containers.get(&n).into_iter().flatten() {
                if with_containers.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        (seen, with_containers)
    }

    #[test]
    fn genealogy_reaches_the_requested_size() {
        for (nodes, fanout) in [(0, 4), (1, 4), (5, 2), (50, 3), (1_000, 1), (10_000, 8), (60_000, 10)] {
            let (root, batches) = genealogy(nodes, fanout, 9, SynthConfig::default().start);
            let mut events = Vec::new();
            for b in batches {
                assert!(!b.is_empty() && b.len() <= GENEALOGY_BATCH);
                events.extend(b);
            }
            let mut subjects = HashSet::new();
            for e in &events {
                e.validate().unwrap();
                subjects.extend(e.subjects().cloned());
            }
            assert!(subjects.contains(&Id::Key(root.clone())));
            assert!(subjects.len() as u64 <= nodes.max(1), "{nodes}: {}", subjects.len());
            if nodes >= 50 {
                assert!(subjects.len() as u64 >= nodes * 97 / 100, "{nodes}: {}", subjects.len());
            }
            let (reached, with_containers) = forward(&events, &root);
            assert_eq!(with_containers.len(), subjects.len(), "{nodes}: everything hangs under the root");
            if nodes >= 1_000 {
                assert!(reached.len() as u64 >= nodes * 90 / 100, "{nodes}: {}", reached.len());
            }
            let splits = events.iter().filter(|e| e.transformation_id.is_some()).count();
            if nodes >= 10_000 {
                assert!(splits >= 2);
            }
        }
        let (a, _) = genealogy(100, 3, 1, Timestamp(0));
        let (b, _) = genealogy(100, 3, 2, Timestamp(0));
        assert_ne!(a, b);
    }
}
