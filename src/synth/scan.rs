//! Scanner strings: what a scanner delivers for item `i`, counterfeit probes, demo samples and demo keys.

use crate::code::TraceKey;
use crate::event::{BizStep, Id};

use super::codes::{gs1_key, placeholder_key, yymmdd};
use super::config::{Category, Sample};
use super::consts::salt;
use super::index::Synth;
use super::perm::{b32, perm_bits, perm_dec};
use super::province::AgriKind;
use super::run::RunGen;

/// Trace QR codes of Chinese platforms often wrap the code in a URL (codes.md §7); the host is fictitious.
const TRACE_URL: &str = "https://trace.example.cn/q?code=";

impl Synth {
    /// A realistic scanner string for item `i`, as a scanner or camera app delivers it: a GS1 DataMatrix with
    /// its AIM identifier, expiry, lot and GS separator (most food items), a GS1 Digital Link or an EPC URI (some
    /// food items), bracketed GS1 text as a person types it, GS1-128 for seed and fertiliser, bare 20-digit drug
    /// codes (some grouped as printed, some inside a trace URL), and the national codes as printed.
    /// [`crate::code::parse`] reads it to exactly [`Self::item_key`]`(i)`.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// for i in [0, 250, 300, 700, 1_000, 2_000] {
    ///     let key = tracecode::code::parse(synth.scan_of(i))?.trace_key()?;
    ///     assert_eq!(Some(key), synth.item_key(i));
    /// }
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn scan_of(&self, i: u64) -> String {
        self.scan_variant(i, self.pick(i, salt::SCAN) % 10)
    }

    fn scan_variant(&self, i: u64, v: u64) -> String {
        let loc = self.locate(i);
        match loc.cat {
            Category::Food => {
                let info = self.run_info(loc.run);
                let k = u64::from(loc.offset >= info.len.div_ceil(2));
                self.food_scan(loc.run, k, &self.food_serial(loc.ordinal), v)
            }
            Category::Drug => Self::drug_scan(self.drug_code(loc.run, loc.ordinal, false), v),
            Category::AgriInput => match &self.agri_product(loc.run).kind {
                AgriKind::Pesticide(head) => {
                    let code = self.pesticide_code(head, loc.ordinal, false);
                    if v < 5 { format!("{TRACE_URL}{code}") } else { code }
                }
                AgriKind::VetDrug(ent) => self.vet_code(loc.run, ent, loc.ordinal, false),
                AgriKind::Gtin(gtin) => {
                    let serial = self.agri_serial(loc.ordinal, false);
                    if v < 5 { format!("]C101{gtin}21{serial}") } else { format!("(01){gtin}(21){serial}") }
                }
            },
            Category::GasCylinder => self.gas_code(loc.run, loc.ordinal),
            Category::Elevator => self.elevator_code(loc.run, loc.ordinal, false),
            Category::Explosive => self.detonator_code(loc.run, loc.ordinal, false),
        }
    }

    fn food_scan(&self, run: u64, lot_k: u64, serial: &str, v: u64) -> String {
        let p = self.food_product(run);
        let lot = self.food_lot(run, lot_k);
        let exp = yymmdd(self.food_expiry(run));
        let gtin = &p.gtin;
        match v {
            0..=5 => format!("]d201{gtin}17{exp}10{lot}\u{1d}21{serial}"),
            6 | 7 => format!("https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}?17={exp}"),
            8 => format!("urn:epc:id:sgtin:{}.{}.{serial}", p.gcp, p.item_ref),
            _ => format!("(01){gtin}(17){exp}(10){lot}(21){serial}"),
        }
    }

    fn drug_scan(code: String, v: u64) -> String {
        match v {
            0..=5 => code,
            6 | 7 => {
                // Printed HRI groups the digits in fours.
                let mut s = String::with_capacity(24);
                for (k, c) in code.chars().enumerate() {
                    if k > 0 && k % 4 == 0 {
                        s.push(' ');
                    }
                    s.push(c);
                }
                s
            }
            _ => format!("{TRACE_URL}{code}"),
        }
    }

    /// A well-formed code (valid check digits, valid fields) that the generator never issues, whatever the item
    /// count: a counterfeit probe. Cycles through food (a genuine GTIN with an unissued serial), drug,
    /// pesticide / veterinary drug, gas cylinder, elevator and detonator codes.
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// let probe = tracecode::code::parse(synth.unknown_scan(0))?.trace_key()?;
    /// assert!((0..synth.item_count()).all(|i| synth.item_key(i) != Some(probe.clone())));
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn unknown_scan(&self, i: u64) -> String {
        let n = i / 6;
        match i % 6 {
            0 => {
                let p = self.dir.food.get(n);
                let serial = b32(perm_bits((1 << 49) | n, self.key ^ salt::FOOD_SERIAL, 50), 10);
                format!("]d201{}21{serial}", p.gtin)
            }
            1 => {
                let p = self.dir.drugs.get(n);
                self.drug20(&p.item7, perm_dec(500_000_000 + n % 500_000_000, self.key ^ salt::DRUG, 9))
            }
            2 => match &self.dir.agri.get(n % 3).kind {
                AgriKind::Pesticide(head) => self.pesticide_code(head, n, true),
                AgriKind::VetDrug(ent) => self.vet_code(n, ent, n, true),
                AgriKind::Gtin(gtin) => format!("(01){gtin}(21){}", self.agri_serial(n, true)),
            },
            // Filling units 900–999 are never assigned to a station.
            3 => Self::gas_text('1', &format!("{}", 900 + n % 100), n),
            4 => self.elevator_code(n, n, true),
            _ => self.detonator_code(n, n, true),
        }
    }

    /// One realistic scan per category (for the categories the configured item count reaches), then a food
    /// retail item that was sold in a store (its back trace reaches its farm lots; see [`Self::retail_item`]) and
    /// a raw-material farm lot label (for a recall; see [`Self::raw_lot`]).
    ///
    /// ```
    /// use tracecode::synth::{Synth, SynthConfig};
    /// let synth = Synth::new(SynthConfig::default());
    /// for s in synth.samples() {
    ///     tracecode::code::parse(&s.scan)?;
    /// }
    /// # Ok::<(), tracecode::Error>(())
    /// ```
    pub fn samples(&self) -> Vec<Sample> {
        let mut out = Vec::with_capacity(8);
        for cat in Category::ALL {
            let Some(slot) = self.slots.iter().find(|s| s.cat == cat) else { continue };
            if slot.start >= self.cfg.items {
                continue;
            }
            let i = slot.start;
            let what = match cat {
                Category::Food => "retail food item: GS1 DataMatrix with expiry and lot",
                Category::Drug => "drug box: China 20-digit drug trace code",
                Category::AgriInput => match self.agri_product(self.locate(i).run).kind {
                    AgriKind::Pesticide(_) => "pesticide label: trace URL wrapping the 32-digit unit code",
                    AgriKind::VetDrug(_) => "veterinary drug: 24-digit trace code",
                    AgriKind::Gtin(_) => "seed or fertiliser bag: GS1-128 GTIN + serial",
                },
                Category::GasCylinder => "gas cylinder: use-registration code",
                Category::Elevator => "elevator: special-equipment registration code",
                Category::Explosive => "industrial detonator: GA 441 shell code",
            };
            out.push(Sample { category: cat, scan: self.scan_variant(i, 0), what });
        }
        if self.cfg.items > 0 {
            let i = self.retail_index();
            out.push(Sample {
                category: Category::Food,
                scan: self.scan_variant(i, 6),
                what: "food item sold in a store: its back trace reaches the farm lots (Digital Link)",
            });
        }
        let (produce, lot) = self.raw_lot_parts();
        out.push(Sample {
            category: Category::Food,
            scan: format!("]C101{produce}10{lot}"),
            what: "raw-material farm lot (GS1-128 crate label): recall it",
        });
        out
    }

    /// A food retail item that was sold in a store, from the first production run: its back trace goes through
    /// its product lot (ILMD) and the processing transformation to two farm harvest lots.
    pub fn retail_item(&self) -> TraceKey {
        self.key_at(self.locate(self.retail_index())).unwrap_or_else(placeholder_key)
    }

    /// The index of [`Self::retail_item`]: the first item of run 0 with a retail sale.
    fn retail_index(&self) -> u64 {
        let info = self.run_info(0);
        let events = RunGen::generate(self, info);
        let sold = events.iter().find(|e| e.biz_step == Some(BizStep::RetailSelling)).and_then(|e| e.epc_list.first());
        (0..info.len)
            .find(|&j| sold.is_some_and(|s| Some(s) == self.key_at(self.locate(j)).map(Id::Key).as_ref()))
            .unwrap_or(0)
    }

    /// A raw-material farm lot (GTIN + lot) of the first production run that went into both of its product lots:
    /// recalling it reaches every item of the run.
    pub fn raw_lot(&self) -> TraceKey {
        let (produce, lot) = self.raw_lot_parts();
        gs1_key(&[("01", &produce), ("10", &lot)]).unwrap_or_else(placeholder_key)
    }

    fn raw_lot_parts(&self) -> (Box<str>, String) {
        let farm = self.dir.farms.get(self.pick(0, salt::FARM).wrapping_add(1));
        (farm.produce.clone(), self.raw_lot_text(0, 1))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::code::{KeyKind, Scheme, parse};
    use crate::event::{Action, EventType, ExtValue};
    use crate::synth::consts::LOT_NUMBER;
    use crate::synth::tests::synth;

    #[test]
    fn scans_read_back_to_item_keys() {
        let s = synth(100_000, 1);
        let mut schemes = HashSet::new();
        for i in (0..100_000).step_by(37).chain(0..50) {
            let scan = s.scan_of(i);
            let code = parse(&scan).unwrap_or_else(|e| panic!("item {i}: {scan:?}: {e}"));
            assert_eq!(Some(code.trace_key().unwrap()), s.item_key(i), "item {i}: {scan:?}");
            schemes.insert(code.scheme());
        }
        assert!(schemes.len() >= 10, "{schemes:?}");
        assert!(schemes.contains(&Scheme::VetDrug) && !schemes.contains(&Scheme::Gs1Key));
    }

    #[test]
    fn unknown_scans_are_well_formed_and_never_issued() {
        let s = synth(10_000, 1);
        let issued: HashSet<TraceKey> = (0..10_000).map(|i| s.item_key(i).unwrap()).collect();
        let mut probes = HashSet::new();
        for i in 0..1_200 {
            let scan = s.unknown_scan(i);
            let key = parse(&scan).unwrap_or_else(|e| panic!("probe {i}: {scan:?}: {e}")).trace_key().unwrap();
            assert_eq!(key.kind(), KeyKind::Instance);
            assert!(!issued.contains(&key), "probe {i} {scan:?} was issued");
            probes.insert(key);
        }
        assert_eq!(probes.len(), 1_200);
    }

    #[test]
    fn samples_and_demo_keys() {
        let s = synth(10_000, 1);
        let samples = s.samples();
        assert_eq!(samples.len(), 8);
        for c in Category::ALL {
            assert!(samples.iter().any(|x| x.category == c));
        }
        for x in &samples {
            parse(&x.scan).unwrap_or_else(|e| panic!("{x:?}: {e}"));
        }
        let retail = s.retail_item();
        let raw = s.raw_lot();
        assert_eq!(parse(&samples[6].scan).unwrap().trace_key().unwrap(), retail);
        assert_eq!(parse(&samples[7].scan).unwrap().trace_key().unwrap(), raw);
        assert_eq!(raw.kind(), KeyKind::Class);

        // Back trace by hand over the first run's events: sold item → ILMD lot → transformation → farm lots.
        let run0 = RunGen::generate(&s, s.run_info(0));
        let item = Id::Key(retail.clone());
        assert!(run0.iter().any(|e| e.biz_step == Some(BizStep::RetailSelling) && e.epc_list.contains(&item)));
        let lot_text = run0
            .iter()
            .find(|e| e.action == Some(Action::Add) && e.epc_list.contains(&item))
            .and_then(|e| e.ilmd.iter().find(|x| &*x.name == LOT_NUMBER))
            .map(|x| x.value.clone())
            .unwrap();
        let ExtValue::String(lot_text) = lot_text else { panic!("lot number is a string") };
        let lot = Id::Key(format!("{}/10/{lot_text}", retail.gtin_class().unwrap()).parse().unwrap());
        let tf_ids: Vec<_> = run0
            .iter()
            .filter(|e| e.output_quantity_list.iter().any(|q| q.class == lot))
            .map(|e| e.transformation_id.clone())
            .collect();
        let inputs: HashSet<&Id> = run0
            .iter()
            .filter(|e| {
                e.output_quantity_list.iter().any(|q| q.class == lot)
                    || (e.transformation_id.is_some() && tf_ids.contains(&e.transformation_id))
            })
            .flat_map(|e| e.input_quantity_list.iter().map(|q| &q.class))
            .collect();
        assert!(inputs.len() == 2 && inputs.contains(&Id::Key(raw.clone())), "{inputs:?}");
        for farm_lot in inputs {
            assert!(
                run0.iter().any(|e| e.biz_step == Some(BizStep::Commissioning)
                    && e.quantity_list.iter().any(|q| &q.class == farm_lot))
            );
        }
        // The raw lot went into both product lots (a recall reaches the whole run).
        let outputs = run0
            .iter()
            .filter(|e| {
                e.kind == EventType::Transformation
                    && e.input_quantity_list.iter().any(|q| q.class == Id::Key(raw.clone()))
            })
            .count();
        assert!(outputs >= 2);
        // A tiny data set still has its demo keys.
        let tiny = synth(1, 1);
        assert_eq!(tiny.samples().len(), 3);
        assert_eq!(tiny.retail_item().kind(), KeyKind::Instance);
    }

    proptest::proptest! {
        #[test]
        fn any_item_scan_reads_back(seed in 0u64..1_000, i in 0u64..100_000_000) {
            let s = synth(100_000_000, seed);
            let scan = s.scan_of(i);
            let code = parse(&scan).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{scan:?}: {e}")))?;
            proptest::prop_assert_eq!(Some(code.trace_key().unwrap()), s.item_key(i), "{}", scan);
        }

        #[test]
        fn probes_differ_from_items_of_the_same_category(seed in 0u64..1_000, i in 0u64..1_000_000, j in 0u64..100_000_000) {
            let s = synth(100_000_000, seed);
            let probe = parse(s.unknown_scan(i)).unwrap().trace_key().unwrap();
            proptest::prop_assert_ne!(Some(probe), s.item_key(j));
        }
    }
}
