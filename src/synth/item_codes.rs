//! The codes of items, derived from their run and their ordinal within their category (so unique by
//! construction); probes take the halves of the code spaces items never use.

use std::fmt::Write as _;

use crate::code::{Scheme, TraceKey};

use super::codes::{code_ymd, gs1_key, national_key, yymmdd};
use super::config::Category;
use super::consts::{AREAS, DAY, salt};
use super::index::{Loc, Synth};
use super::num::{ns, u, us};
use super::perm::{b32, perm_bits, perm_dec};
use super::province::{AgriKind, AgriProduct, DrugProduct, ExplosiveMaker, FoodProduct, Station};
use super::rng::mix64;

/// Detonator feature letters (GA 441: letters except C O S U V W X Z).
const FEATURE_LETTERS: &[u8; 18] = b"ABDEFGHIJKLMNPQRTY";

impl Synth {
    /// The key of the item at `loc`, whether or not it is within the configured item count.
    pub(super) fn key_at(&self, loc: Loc) -> Option<TraceKey> {
        match loc.cat {
            Category::Food => {
                let p = self.food_product(loc.run);
                gs1_key(&[("01", &p.gtin), ("21", &self.food_serial(loc.ordinal))])
            }
            Category::Drug => national_key(Scheme::CnDrug20, self.drug_code(loc.run, loc.ordinal, false)),
            Category::AgriInput => self.agri_key(loc.run, loc.ordinal, false),
            Category::GasCylinder => national_key(Scheme::GasCylinder, self.gas_code(loc.run, loc.ordinal)),
            Category::Elevator => {
                national_key(Scheme::EquipmentRegistration, self.elevator_code(loc.run, loc.ordinal, false))
            }
            Category::Explosive => national_key(Scheme::Detonator, self.detonator_code(loc.run, loc.ordinal, false)),
        }
    }

    pub(super) fn food_product(&self, run: u64) -> &FoodProduct {
        self.dir.food.get(self.pick(run, salt::PRODUCT))
    }

    /// 10 base-32 characters from a bijection of 50-bit numbers: items use the lower half of the domain,
    /// counterfeit probes the upper half, so they can never coincide.
    pub(super) fn food_serial(&self, ordinal: u64) -> String {
        b32(perm_bits(ordinal, self.key ^ salt::FOOD_SERIAL, 50), 10)
    }

    /// Product lot `k` (0 or 1) of a food run.
    pub(super) fn food_lot(&self, run: u64, k: u64) -> String {
        format!("{}{}{:05}", yymmdd(self.run_start(run)), k + 1, run % 100_000)
    }

    pub(super) fn food_expiry(&self, run: u64) -> i64 {
        self.run_start(run).saturating_add(self.food_product(run).shelf_days * DAY)
    }

    /// Harvest lot `k` (0–2) of a food run.
    pub(super) fn raw_lot_text(&self, run: u64, k: u64) -> String {
        format!("H{}{}{:05}", yymmdd(self.run_start(run).saturating_sub(2 * DAY)), k + 1, run % 100_000)
    }

    pub(super) fn drug_product(&self, run: u64) -> &DrugProduct {
        self.dir.drugs.get(self.pick(run, salt::PRODUCT))
    }

    /// Product (7) + serial (9) + 4 check digits. The platform's check algorithm is not public: these come from a
    /// keyed hash, like [`crate::code::issue::KeyedCheck4`] but cheaper. Items use serial permutation inputs
    /// below 5·10^8, probes above.
    pub(super) fn drug_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let p = self.drug_product(run);
        let x = if probe { 500_000_000 + ordinal % 500_000_000 } else { ordinal };
        self.drug20(&p.item7, perm_dec(x, self.key ^ salt::DRUG, 9))
    }

    pub(super) fn drug20(&self, product7: &str, serial9: u64) -> String {
        let mut s = String::with_capacity(20);
        let _ = write!(s, "{product7}{serial9:09}");
        let h = s.bytes().fold(self.key ^ salt::CHECK4, |acc, b| mix64(acc ^ u64::from(b)));
        let _ = write!(s, "{:04}", h % 10_000);
        s
    }

    pub(super) fn agri_product(&self, run: u64) -> &AgriProduct {
        self.dir.agri.get(self.pick(run, salt::PRODUCT))
    }

    fn agri_key(&self, run: u64, ordinal: u64, probe: bool) -> Option<TraceKey> {
        match &self.agri_product(run).kind {
            AgriKind::Pesticide(head) => national_key(Scheme::Pesticide, self.pesticide_code(head, ordinal, probe)),
            AgriKind::VetDrug(ent) => national_key(Scheme::VetDrug, self.vet_code(run, ent, ordinal, probe)),
            AgriKind::Gtin(gtin) => gs1_key(&[("01", gtin), ("21", &self.agri_serial(ordinal, probe))]),
        }
    }

    /// Head (11 digits) + a lead digit (0–4 for items, 5–9 for probes) + 20 digits of a bijection of `u64`
    /// (unique per ordinal).
    pub(super) fn pesticide_code(&self, head: &str, ordinal: u64, probe: bool) -> String {
        let tail = mix64(ordinal ^ self.key ^ salt::PEST);
        let lead = tail % 5 + if probe { 5 } else { 0 };
        format!("{head}{lead}{tail:020}")
    }

    /// Application date (8) + enterprise (5) + 11 random digits (items below 5·10^10 in the permutation, probes
    /// above).
    pub(super) fn vet_code(&self, run: u64, enterprise: &str, ordinal: u64, probe: bool) -> String {
        let (y, m, d) = code_ymd(self.run_start(run));
        let x = if probe { 50_000_000_000 + ordinal % 50_000_000_000 } else { ordinal };
        format!("{y:04}{m:02}{d:02}{enterprise}{:011}", perm_dec(x, self.key ^ salt::VET, 11))
    }

    pub(super) fn agri_serial(&self, ordinal: u64, probe: bool) -> String {
        let x = if probe { (1 << 49) | ordinal } else { ordinal & ((1 << 49) - 1) };
        b32(perm_bits(x, self.key ^ salt::AGRI_SERIAL, 50), 10)
    }

    pub(super) fn station(&self, run: u64) -> &Station {
        self.dir.stations.get(self.pick(run, salt::HUB))
    }

    /// Variety + province 35 + unit + sequence. The sequence always starts with a letter (`A00000`… as the
    /// layout allows): an all-digit code of this length reads first as a GTIN-12 or an Ecode.
    pub(super) fn gas_code(&self, run: u64, ordinal: u64) -> String {
        let st = self.station(run);
        Self::gas_text(st.variety, &st.unit, ordinal)
    }

    pub(super) fn gas_text(variety: char, unit: &str, ordinal: u64) -> String {
        let letter = b'A'.saturating_add(u8::try_from(ordinal / 100_000 % 26).unwrap_or(0));
        format!("{variety}35{unit}{}{:05}", char::from(letter), ordinal % 100_000)
    }

    /// Classification + area + registration YYYYMM + sequence 0001–8999 (9000–9999 are left for probes).
    pub(super) fn elevator_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let classes = ["3110", "3120", "3310", "3320"];
        let class = classes.get(us(self.pick(run, salt::CLASS) % 4)).copied().unwrap_or("3110");
        let areas = u(AREAS.len());
        let area = AREAS.get(us(ordinal % areas)).copied().unwrap_or("350102");
        let q = ordinal / areas;
        let (y, m, _) = code_ymd(self.cfg.start.0);
        let months = (y * 12 + i64::from(m) - 1).saturating_add(ns(q / 8_999 % 1_000));
        let (ry, rm) = (months.div_euclid(12).min(2099), months.rem_euclid(12) + 1);
        let seq = if probe { 9_000 + q % 1_000 } else { 1 + q % 8_999 };
        format!("{class}{area}{ry:04}{rm:02}{seq:04}")
    }

    pub(super) fn explosive_maker(&self, run: u64) -> &ExplosiveMaker {
        self.dir.explosive_makers.get(self.pick(run, salt::HUB))
    }

    /// Manufacturer + year digit + month + day + feature letter + sequence. Within one maker and day the
    /// (feature, sequence) pair comes from the ordinal, unique for 1.8 million detonators a day.
    pub(super) fn detonator_code(&self, run: u64, ordinal: u64, probe: bool) -> String {
        let maker = if probe { 90 + ordinal % 10 } else { self.explosive_maker(run).code };
        let (y, m, d) = code_ymd(self.run_start(run));
        let feature = FEATURE_LETTERS.get(us(ordinal / 100_000 % 18)).copied().unwrap_or(b'A');
        format!("{maker:02}{}{m:02}{d:02}{}{:05}", y.rem_euclid(10), char::from(feature), ordinal % 100_000)
    }
}
