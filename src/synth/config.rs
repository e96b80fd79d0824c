//! What to generate ([`SynthConfig`]) and the public types of the workload ([`Category`], [`Sample`]).

use crate::event::Timestamp;

use super::consts::DAY;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of items (all categories together). 10 thousand to 10 million is the intended range; the
    /// events number about 8 per item. Item codes are unique up to 26 million items (the gas-cylinder
    /// sequences of one filling unit, 2.6 million, bound it first).
    pub items: u64,
    /// The seed: the same seed gives the same data set.
    pub seed: u64,
    /// When the first production run starts.
    pub start: Timestamp,
}

impl Default for SynthConfig {
    /// 10 000 items, seed 1, starting 2026-01-01T00:00:00Z.
    fn default() -> Self {
        // 2026-01-01T00:00:00Z = 20 454 days after the epoch.
        Self { items: 10_000, seed: 1, start: Timestamp(20_454 * DAY) }
    }
}

/// The six regulated categories of the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Agricultural products and food, farm to table.
    Food,
    /// Drugs with item / case / pallet aggregation.
    Drug,
    /// Agricultural inputs: pesticides, veterinary drugs, seeds, fertilisers.
    AgriInput,
    /// Gas cylinders with filling and inspection cycles.
    GasCylinder,
    /// Elevators with installation and maintenance.
    Elevator,
    /// Civil explosives (industrial detonators), production to use or destruction.
    Explosive,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Self; 6] =
        [Self::Food, Self::Drug, Self::AgriInput, Self::GasCylinder, Self::Elevator, Self::Explosive];

    /// A stable lower-case name (`"food"`, `"gas-cylinder"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Food => "food",
            Self::Drug => "drug",
            Self::AgriInput => "agri-input",
            Self::GasCylinder => "gas-cylinder",
            Self::Elevator => "elevator",
            Self::Explosive => "explosive",
        }
    }
}

/// A realistic scan for the demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The category of the scanned thing.
    pub category: Category,
    /// The scanner string (as [`crate::code::parse`] receives it).
    pub scan: String,
    /// What it is, in a few words.
    pub what: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TzOffset;

    #[test]
    fn default_config() {
        let c = SynthConfig::default();
        assert_eq!((c.items, c.seed), (10_000, 1));
        assert_eq!(c.start.to_rfc3339(TzOffset::UTC, 0), "2026-01-01T00:00:00Z");
        assert_eq!(
            Category::ALL.map(Category::as_str),
            ["food", "drug", "agri-input", "gas-cylinder", "elevator", "explosive"]
        );
    }
}
