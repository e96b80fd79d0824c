//! The item index space: the run cycle, where item `i` is, and [`Synth`] itself (O(1) item addressing).

use crate::code::TraceKey;

use super::config::{Category, SynthConfig};
use super::consts::MIN;
use super::num::{ns, u, us};
use super::province::Directory;
use super::rng::{GOLDEN, mix64};

/// Production runs start this far apart.
const RUN_SPACING: i64 = 15 * MIN;

/// The interleaving of production runs: (category, items per run). One cycle holds 2 400 items: food 40%,
/// drugs 25%, agricultural inputs 10%, explosives 10%, gas cylinders 10%, elevators 5%. Consumables have about
/// 3 events per item and assets 30 to 40, which makes the ~8 events per item of the mix.
const CYCLE: [(Category, u32); 15] = [
    (Category::Food, 240),
    (Category::GasCylinder, 60),
    (Category::Drug, 300),
    (Category::Elevator, 40),
    (Category::Food, 240),
    (Category::AgriInput, 240),
    (Category::GasCylinder, 60),
    (Category::Food, 240),
    (Category::Explosive, 240),
    (Category::GasCylinder, 60),
    (Category::Drug, 300),
    (Category::Elevator, 40),
    (Category::Food, 240),
    (Category::GasCylinder, 60),
    (Category::Elevator, 40),
];
const CYCLE_RUNS: u64 = 15;

/// One position of the run cycle.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    pub(super) cat: Category,
    size: u32,
    /// First item of the slot within a cycle.
    pub(super) start: u64,
    /// Items of the same category in earlier slots of the cycle.
    base: u64,
    /// Items of the slot's category per cycle.
    per_cycle: u64,
}

const FALLBACK_SLOT: Slot = Slot { cat: Category::Food, size: 240, start: 0, base: 0, per_cycle: 960 };

/// Where item `i` is.
#[derive(Clone, Copy, Debug)]
pub(super) struct Loc {
    pub(super) run: u64,
    pub(super) cat: Category,
    /// Position within the run.
    pub(super) offset: u64,
    /// Index of the item among the items of its category (codes are derived from it, so they are unique).
    pub(super) ordinal: u64,
}

/// One production run.
#[derive(Clone, Copy, Debug)]
pub(super) struct RunInfo {
    pub(super) run: u64,
    pub(super) cat: Category,
    /// Items in the run (the last run of a data set may be short).
    pub(super) len: u64,
    /// Ordinal of the run's first item within its category.
    pub(super) ord0: u64,
    /// Start of the run.
    pub(super) t0: i64,
}

/// The deterministic workload generator. See the [module docs](crate::synth).
#[derive(Clone, Debug)]
pub struct Synth {
    pub(super) cfg: SynthConfig,
    pub(super) key: u64,
    pub(super) dir: Directory,
    pub(super) slots: [Slot; 15],
    cycle_items: u64,
}

impl Synth {
    /// A generator for `cfg`. Cheap: only the province's few hundred firms are built up front.
    pub fn new(cfg: SynthConfig) -> Self {
        let key = mix64(cfg.seed ^ 0x7472_6163_6563_6F64);
        let slots: [Slot; 15] = std::array::from_fn(|e| {
            let (cat, size) = CYCLE.get(e).copied().unwrap_or((Category::Food, 240));
            let before = || CYCLE.iter().take(e);
            Slot {
                cat,
                size,
                start: before().map(|&(_, s)| u64::from(s)).sum(),
                base: before().filter(|(c, _)| *c == cat).map(|&(_, s)| u64::from(s)).sum(),
                per_cycle: CYCLE.iter().filter(|(c, _)| *c == cat).map(|&(_, s)| u64::from(s)).sum(),
            }
        });
        let cycle_items = CYCLE.iter().map(|&(_, s)| u64::from(s)).sum();
        Self { cfg, key, dir: Directory::new(key), slots, cycle_items }
    }

    /// The configuration.
    pub const fn config(&self) -> &SynthConfig {
        &self.cfg
    }

    /// Number of items (as configured).
    pub const fn item_count(&self) -> u64 {
        self.cfg.items
    }

    /// A pseudo-random choice derived from (seed, `a`, `b`): the same every time it is asked.
    pub(super) const fn pick(&self, a: u64, b: u64) -> u64 {
        mix64(self.key ^ mix64(a.wrapping_mul(GOLDEN) ^ b))
    }

    fn slot(&self, e: u64) -> Slot {
        self.slots.get(us(e)).copied().unwrap_or(FALLBACK_SLOT)
    }

    pub(super) fn locate(&self, i: u64) -> Loc {
        let cycle = i / self.cycle_items;
        let off = i % self.cycle_items;
        let (e, slot) = self
            .slots
            .iter()
            .enumerate()
            .find(|(_, s)| off < s.start + u64::from(s.size))
            .map_or((0, FALLBACK_SLOT), |(e, s)| (u(e), *s));
        let offset = off.saturating_sub(slot.start);
        Loc {
            run: cycle.saturating_mul(CYCLE_RUNS).saturating_add(e),
            cat: slot.cat,
            offset,
            ordinal: cycle.saturating_mul(slot.per_cycle).saturating_add(slot.base).saturating_add(offset),
        }
    }

    pub(super) fn run_info(&self, run: u64) -> RunInfo {
        let cycle = run / CYCLE_RUNS;
        let slot = self.slot(run % CYCLE_RUNS);
        let first = cycle.saturating_mul(self.cycle_items).saturating_add(slot.start);
        let len = self.cfg.items.saturating_sub(first).min(u64::from(slot.size));
        RunInfo {
            run,
            cat: slot.cat,
            len: if first >= self.cfg.items { u64::from(slot.size) } else { len },
            ord0: cycle.saturating_mul(slot.per_cycle).saturating_add(slot.base),
            t0: self.run_start(run),
        }
    }

    /// Start of a run, kept within ±2^62 ns (years 1824–2116) so that offsets inside a run (at most a few years)
    /// can never overflow, whatever the configuration.
    pub(super) fn run_start(&self, run: u64) -> i64 {
        const LIMIT: i64 = 1 << 62;
        self.cfg.start.0.saturating_add(ns(run).saturating_mul(RUN_SPACING)).clamp(-LIMIT, LIMIT)
    }

    pub(super) fn run_count(&self) -> u64 {
        if self.cfg.items == 0 {
            return 0;
        }
        self.locate(self.cfg.items - 1).run.saturating_add(1)
    }

    /// The category of item `i` (the run pattern continues past [`Self::item_count`]).
    ///
    /// ```
    /// use tracecode::synth::{Category, Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// assert_eq!(synth.category_of(0), Category::Food);
    /// ```
    pub fn category_of(&self, i: u64) -> Category {
        self.locate(i).cat
    }

    /// The key of item `i`, `None` past [`Self::item_count`]. O(1): no event is generated.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// assert!(synth.item_key(9_999).is_some());
    /// assert!(synth.item_key(10_000).is_none());
    /// ```
    pub fn item_key(&self, i: u64) -> Option<TraceKey> {
        (i < self.cfg.items).then(|| self.key_at(self.locate(i))).flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::code::KeyKind;
    use crate::synth::tests::synth;

    #[test]
    fn item_index_space() {
        let s = synth(10_000, 1);
        assert_eq!(s.item_count(), 10_000);
        assert!(s.item_key(10_000).is_none() && s.item_key(u64::MAX).is_none());
        let keys: HashSet<TraceKey> = (0..10_000).map(|i| s.item_key(i).unwrap()).collect();
        assert_eq!(keys.len(), 10_000, "item keys are unique");
        let mut per_cat: HashMap<Category, u64> = HashMap::new();
        for i in 0..10_000 {
            *per_cat.entry(s.category_of(i)).or_default() += 1;
            let k = s.item_key(i).unwrap();
            assert_eq!(k.kind(), KeyKind::Instance);
            assert_eq!(k.to_string().parse::<TraceKey>().unwrap(), k, "item {i}: {k}");
        }
        assert_eq!(per_cat.len(), 6, "{per_cat:?}");
        assert_eq!(per_cat[&Category::Food], 4 * 960 + 240);
        // Far past the configured count the pattern continues without overflow.
        let _ = s.category_of(u64::MAX);
        let _ = s.scan_of(u64::MAX);
        let _ = s.unknown_scan(u64::MAX);
    }
}
