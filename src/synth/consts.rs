//! Constants shared across the generator: time units, the province's time zone and areas, vocabulary URIs,
//! and the salts that keep the pseudo-random choices independent.

use crate::event::TzOffset;

pub(super) const SEC: i64 = 1_000_000_000;
pub(super) const MIN: i64 = 60 * SEC;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;
/// China Standard Time, where the province is.
pub(super) const CST: TzOffset = TzOffset(480);

/// GB/T 2260 area codes of one province (Fujian, 35): where firms are registered and elevators installed.
pub(super) const AREAS: [&str; 15] = [
    "350102", "350103", "350104", "350111", "350203", "350205", "350206", "350211", "350302", "350402", "350502",
    "350503", "350602", "350702", "350802",
];

pub(super) const LOT_NUMBER: &str = "urn:epcglobal:cbv:mda:lotNumber";
pub(super) const EXPIRY: &str = "urn:epcglobal:cbv:mda:itemExpirationDate";
/// Business steps CBV 2.0 has no term for (vocabularies are open).
pub(super) const STEP_FILLING: &str = "urn:tracecode:bizstep:filling";
pub(super) const STEP_MAINTAINING: &str = "urn:tracecode:bizstep:maintaining";
pub(super) const STEP_BLASTING: &str = "urn:tracecode:bizstep:blasting";

/// Salts that separate the independent pseudo-random choices derived from (seed, run or item).
pub(super) mod salt {
    pub const PRODUCT: u64 = 1;
    pub const FARM: u64 = 2;
    pub const HUB: u64 = 3;
    pub const RUN_RNG: u64 = 4;
    pub const SCAN: u64 = 5;
    pub const FOOD_SERIAL: u64 = 6;
    pub const AGRI_SERIAL: u64 = 7;
    pub const DRUG: u64 = 8;
    pub const VET: u64 = 9;
    pub const PEST: u64 = 10;
    pub const CHECK4: u64 = 11;
    pub const CLASS: u64 = 12;
    pub const GENEALOGY: u64 = 13;
}
