//! Production runs: one run's events are generated together (per category in the submodules, from the shared
//! steps of [`steps`]), then yielded in capture order; [`Synth::batches`] streams the runs.

use crate::event::{Event, Id};

use super::codes::id;
use super::config::Category;
use super::consts::{HOUR, SEC, salt};
use super::index::{Loc, RunInfo, Synth};
use super::rng::Rng;

mod agri;
mod drug;
mod elevator;
mod explosive;
mod food;
mod gas;
mod steps;

/// Largest batch [`Synth::batches`] yields (memory bound).
const MAX_BATCH: usize = 1 << 20;

/// Events captured late (a scanner that synchronised hours later), per mille. About half of them arrive after a
/// later event of the same code, so about 1% of events arrive out of event-time order.
const LATE_PER_MILLE: u64 = 20;

/// A packed container: its key, when it was closed, its contents.
struct Packed {
    id: Id,
    t: i64,
    children: Vec<Id>,
}

/// The events of one production run, built per item and container, then put in capture order.
pub(super) struct RunGen<'a> {
    s: &'a Synth,
    info: RunInfo,
    rng: Rng,
    events: Vec<Option<Event>>,
    /// (capture time, index in `events`).
    order: Vec<(i64, u32)>,
    /// Hand-over counter, for business-transaction numbers.
    legs: u64,
}

/// A run's events in generation order, and the order to yield them in: reused from run to run, so a long stream
/// allocates its buffers once.
#[derive(Default)]
struct RunBuf {
    events: Vec<Option<Event>>,
    /// (capture time, index in `events`), sorted once the run is complete.
    order: Vec<(i64, u32)>,
    /// How much of `order` has been yielded.
    next: usize,
}

impl RunBuf {
    fn is_done(&self) -> bool {
        self.next >= self.order.len()
    }

    /// The next `n` events in capture order (fewer when the run ends); ties keep generation order.
    fn take(&mut self, n: usize) -> impl Iterator<Item = Event> + '_ {
        let from = self.next.min(self.order.len());
        let to = from.saturating_add(n).min(self.order.len());
        self.next = to;
        let events = &mut self.events;
        self.order
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .filter_map(|&(_, k)| events.get_mut(usize::try_from(k).ok()?).and_then(Option::take))
    }
}

impl<'a> RunGen<'a> {
    /// Generates the run into `buf` (emptied first), ordered for [`RunBuf::take`].
    fn fill(s: &'a Synth, info: RunInfo, buf: RunBuf) -> RunBuf {
        let RunBuf { mut events, mut order, .. } = buf;
        events.clear();
        order.clear();
        let mut g = Self { s, info, rng: Rng::new(s.pick(info.run, salt::RUN_RNG)), events, order, legs: 0 };
        if info.len > 0 {
            match info.cat {
                Category::Food => g.food(),
                Category::Drug => g.drug(),
                Category::AgriInput => g.agri(),
                Category::GasCylinder => g.gas(),
                Category::Elevator => g.elevator(),
                Category::Explosive => g.explosive(),
            }
        }
        g.order.sort_unstable();
        RunBuf { events: g.events, order: g.order, next: 0 }
    }

    /// The run's events in capture order.
    pub(super) fn generate(s: &'a Synth, info: RunInfo) -> Vec<Event> {
        let mut buf = Self::fill(s, info, RunBuf::default());
        buf.take(usize::MAX).collect()
    }

    /// Records `e`, captured within a second of when it happened (online scanners) — or, for about
    /// 2% of events, hours later.
    fn push(&mut self, e: Event) {
        let delay =
            if self.rng.per_mille(LATE_PER_MILLE) { self.rng.span(2 * HOUR, 48 * HOUR) } else { self.rng.span(0, SEC) };
        let capture = e.event_time.0.saturating_add(delay);
        self.order.push((capture, u32::try_from(self.events.len()).unwrap_or(u32::MAX)));
        self.events.push(Some(e));
    }

    fn item(&self, j: u64) -> Id {
        let info = self.info;
        let loc = Loc { run: info.run, cat: info.cat, offset: j, ordinal: info.ord0.saturating_add(j) };
        id(self.s.key_at(loc))
    }
}

impl Synth {
    /// All events, in capture order within each production run, in batches of `batch_events` (the last batch may
    /// be shorter; 0 is read as 1, and sizes above 2^20 as 2^20). Memory stays bounded by one production run plus
    /// one batch.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig { items: 2_400, ..SynthConfig::default() });
    /// for batch in synth.batches(1_000) {
    ///     assert!(batch.len() <= 1_000);
    ///     assert!(batch.iter().all(|e| e.validate().is_ok()));
    /// }
    /// ```
    pub fn batches(&self, batch_events: usize) -> impl Iterator<Item = Vec<Event>> + '_ {
        let batch = batch_events.clamp(1, MAX_BATCH);
        let runs = self.run_count();
        let mut next_run = 0u64;
        let mut buf = RunBuf::default();
        // Each event is moved once from the run buffer into its batch.
        std::iter::from_fn(move || {
            let mut out = Vec::with_capacity(batch.min(1 << 16));
            while out.len() < batch {
                if buf.is_done() {
                    if next_run >= runs {
                        break;
                    }
                    buf = RunGen::fill(self, self.run_info(next_run), std::mem::take(&mut buf));
                    next_run += 1;
                    continue;
                }
                out.extend(buf.take(batch - out.len()));
            }
            (!out.is_empty()).then_some(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::code::{KeyKind, TraceKey};
    use crate::event::{Action, BizStep, EventType};
    use crate::synth::codes::placeholder_key;
    use crate::synth::consts::{CST, LOT_NUMBER, STEP_BLASTING, STEP_FILLING, STEP_MAINTAINING};
    use crate::synth::tests::{all, key_of, synth};

    #[test]
    fn batches_are_bounded() {
        let s = synth(2_400, 1);
        let total = all(&s).len();
        let sizes: Vec<usize> = s.batches(777).map(|b| b.len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), total);
        let (last, rest) = sizes.split_last().unwrap();
        assert!(rest.iter().all(|&n| n == 777));
        assert!(*last > 0 && *last <= 777);
        let tiny = synth(30, 1);
        assert!(tiny.batches(0).all(|b| b.len() == 1));
        assert_eq!(synth(0, 1).batches(10).count(), 0);
        assert_eq!(synth(300, 1).batches(usize::MAX).count(), 1);
    }

    /// The whole default workload: validity, mix, linkage, field realism, capture order.
    #[test]
    #[allow(clippy::too_many_lines, reason = "one pass over the generated events checks many properties")]
    fn workload_of_ten_thousand_items() {
        let s = synth(10_000, 1);
        let events = all(&s);
        let per_thousand_items = events.len() / 10;
        assert!((7_000..9_000).contains(&per_thousand_items), "{per_thousand_items} events per 1000 items");

        let items: HashMap<TraceKey, u64> = (0..10_000).map(|i| (s.item_key(i).unwrap(), i)).collect();
        let mut seen_items = HashSet::new();
        let mut subjects = HashSet::new();
        let mut steps = HashSet::new();
        let mut last_time: HashMap<&Id, i64> = HashMap::new();
        let (mut late, mut split_tf, mut parent_only, mut with_bt, mut ilmd_lots) = (0, 0, 0, 0, 0);
        let mut per_cat: HashMap<Category, usize> = HashMap::new();
        for e in &events {
            e.validate().unwrap();
            assert!(e.who.party.is_some() && e.who.operator.is_some() && e.who.device.is_some());
            assert_eq!(key_of(&e.read_point.as_ref().unwrap().id).kind(), KeyKind::Location);
            assert_eq!(key_of(&e.biz_location.as_ref().unwrap().id).kind(), KeyKind::Location);
            assert_eq!(e.event_time_zone_offset, CST);
            assert!(e.record_time.is_none());
            let step = e.biz_step.clone().unwrap();
            if matches!(step, BizStep::Shipping | BizStep::Receiving) {
                assert!(e.sources.len().min(e.destinations.len()) >= 2, "{e:?}");
            }
            with_bt += usize::from(!e.biz_transactions.is_empty());
            split_tf += usize::from(e.transformation_id.is_some());
            parent_only += usize::from(e.kind == EventType::Aggregation && e.child_epcs.is_empty());
            if e.ilmd.iter().any(|x| &*x.name == LOT_NUMBER) {
                assert_eq!(e.action, Some(Action::Add));
                ilmd_lots += 1;
            }
            steps.insert(step.term().to_owned());
            let mut out_of_order = false;
            let mut cat = None;
            for sub in e.subjects() {
                let k = key_of(sub);
                assert_ne!(k, &placeholder_key());
                if let Some(&i) = items.get(k) {
                    seen_items.insert(i);
                    cat = Some(s.category_of(i));
                }
                subjects.insert(k.clone());
                let t = last_time.entry(sub).or_insert(i64::MIN);
                out_of_order |= e.event_time.0 < *t;
                *t = (*t).max(e.event_time.0);
            }
            late += usize::from(out_of_order);
            if let Some(c) = cat {
                *per_cat.entry(c).or_default() += 1;
            }
        }
        assert_eq!(seen_items.len(), 10_000, "every item key is a subject of some event");
        assert_eq!(per_cat.len(), 6, "{per_cat:?}");
        for k in &subjects {
            assert_eq!(&k.to_string().parse::<TraceKey>().unwrap(), k, "subject {k} is valid key text");
        }
        let late = late * 10_000 / events.len();
        assert!((50..200).contains(&late), "{late} basis points of events arrive after a later event of their subject");
        assert!(split_tf >= 2 && parent_only > 0 && ilmd_lots > 3_000, "{split_tf} {parent_only} {ilmd_lots}");
        assert!(with_bt > events.len() / 20, "{with_bt}");
        for term in [
            "commissioning",
            "inspecting",
            "packing",
            "unpacking",
            "shipping",
            "receiving",
            "retail_selling",
            "dispensing",
            "repairing",
            "destroying",
            "installing",
            "storing",
            "creating_class_instance",
            STEP_FILLING,
            STEP_MAINTAINING,
            STEP_BLASTING,
        ] {
            assert!(steps.contains(term), "no {term} event");
        }
    }
}
