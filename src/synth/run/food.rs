//! Food, farm to table: harvest lots, processing transformations into product lots, retail items through
//! cases and pallets to stores and shoppers.

use crate::event::{Action, BizStep, Disposition, EventType, Id};

use super::RunGen;
use crate::synth::codes::{gs1_key, id, iso_date, sscc};
use crate::synth::consts::{DAY, EXPIRY, HOUR, LOT_NUMBER, MIN, SEC, salt};
use crate::synth::fields::{KGM, ext, qty};
use crate::synth::num::{ns, u, us};
use crate::synth::province::Site;

impl RunGen<'_> {
    /// Harvest, residue test and delivery of raw lot `k` from a farm to the processing plant.
    fn harvest(&mut self, farm_k: u64, k: u64, plant: &Site) -> (Id, u64) {
        let s = self.s;
        let farm = s.dir.farms.get(farm_k);
        let raw = id(gs1_key(&[("01", &farm.produce), ("10", &s.raw_lot_text(self.info.run, k))]));
        let kg = 800 + self.rng.below(2_200);
        let th = self.info.t0.saturating_sub(2 * DAY).saturating_add(self.rng.span(0, 6 * HOUR));
        let mut e = self.ev(EventType::Object, th, &farm.site, k % 2, BizStep::Commissioning, Disposition::Active);
        e.action = Some(Action::Add);
        e.quantity_list = vec![qty(&raw, Some(kg), KGM)];
        self.push(e);
        let mut e =
            self.ev(EventType::Object, th + 2 * HOUR, &farm.site, 2, BizStep::Inspecting, Disposition::Conformant);
        e.action = Some(Action::Observe);
        e.quantity_list = vec![qty(&raw, None, None)];
        self.push(e);
        let q = [qty(&raw, Some(kg), KGM)];
        self.hand_over(&[], &q, &farm.site, plant, th + 4 * HOUR, (3 * HOUR, 6 * HOUR), Disposition::InProgress);
        (raw, kg)
    }

    /// A deterministic UUID-shaped transformation id.
    fn uuid(&mut self) -> Box<str> {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        format!(
            "urn:uuid:{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        )
        .into()
    }

    pub(super) fn food(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.food_product(run);
        let plant = s.dir.processors.get(product.processor);
        let (n, n1) = (info.len, info.len.div_ceil(2));
        let lots = [s.food_lot(run, 0), s.food_lot(run, 1)];
        let [p1, p2] = lots.each_ref().map(|l| id(gs1_key(&[("01", &product.gtin), ("10", l)])));
        let first_farm = s.pick(run, salt::FARM);
        let [(a, akg), (b, bkg), (c, ckg)]: [(Id, u64); 3] =
            std::array::from_fn(|k| self.harvest(first_farm.wrapping_add(u(k)), u(k), plant));

        // Processing: product lot 1 from raw lots A and B; lot 2 from the rest of B and C, sometimes recorded as
        // two events joined by a transformationID (inputs first, outputs when the lot is closed).
        let t_tf = info.t0 + HOUR;
        let mut e =
            self.ev(EventType::Transformation, t_tf, plant, 1, BizStep::CreatingClassInstance, Disposition::Active);
        e.input_quantity_list = vec![qty(&a, Some(akg), KGM), qty(&b, Some(bkg / 2), KGM)];
        e.output_quantity_list = vec![qty(&p1, Some(n1), None)];
        self.push(e);
        if n > n1 {
            let ins = vec![qty(&b, Some(bkg - bkg / 2), KGM), qty(&c, Some(ckg), KGM)];
            let outs = vec![qty(&p2, Some(n - n1), None)];
            let step = || BizStep::CreatingClassInstance;
            if self.rng.per_mille(500) {
                let tid = self.uuid();
                let mut e = self.ev(EventType::Transformation, t_tf + 30 * MIN, plant, 1, step(), Disposition::Active);
                e.input_quantity_list = ins;
                e.transformation_id = Some(tid.clone());
                self.push(e);
                let mut e = self.ev(EventType::Transformation, t_tf + 2 * HOUR, plant, 1, step(), Disposition::Active);
                e.output_quantity_list = outs;
                e.transformation_id = Some(tid);
                self.push(e);
            } else {
                let mut e = self.ev(EventType::Transformation, t_tf + 30 * MIN, plant, 1, step(), Disposition::Active);
                e.input_quantity_list = ins;
                e.output_quantity_list = outs;
                self.push(e);
            }
        }

        // Serialised retail items, commissioned into their product lot, checked on the line.
        let expiry_t = s.food_expiry(run);
        let expiry = iso_date(expiry_t);
        let mut ready = Vec::with_capacity(us(n));
        for j in 0..n {
            let item = self.item(j);
            let lot = if j < n1 { &lots[0] } else { &lots[1] };
            let ilmd = vec![ext(LOT_NUMBER, lot), ext(EXPIRY, &expiry)];
            let t = info.t0 + 4 * HOUR + ns(j) * 8 * SEC;
            if let Some(tc) = self.commission(&item, t, plant, 1, ilmd, Some(20 * SEC), 5) {
                ready.push((item, tc));
            }
        }
        let cases = self.pack(ready, 12, |k| sscc(&plant.gcp, 1, run.wrapping_mul(64).wrapping_add(k)), plant, 3);
        let pallets = self.pack(
            cases.iter().map(|c| (c.id.clone(), c.t)),
            10,
            |k| sscc(&plant.gcp, 3, run.wrapping_mul(64).wrapping_add(32 + k)),
            plant,
            3,
        );

        // Plant → distribution centre (pallets) → stores (cases) → shoppers (items).
        let dc = s.dir.dcs.get(s.pick(run, salt::HUB));
        for ((p, pallet), group) in pallets.iter().enumerate().zip(cases.chunks(10)) {
            let ts = info.t0 + DAY + ns(u(p)) * 10 * MIN;
            let pid = std::slice::from_ref(&pallet.id);
            let tr = self.hand_over(pid, &[], plant, dc, ts, (3 * HOUR, 8 * HOUR), Disposition::SellableNotAccessible);
            let tu = self.unpack(pallet, tr, (2 * HOUR, 12 * HOUR), dc, 2, 300);
            for case in group {
                let store = s.dir.stores.get(self.rng.below(1 << 20));
                let ts = tu + self.rng.span(12 * HOUR, 36 * HOUR);
                let cid = std::slice::from_ref(&case.id);
                let tr =
                    self.hand_over(cid, &[], dc, store, ts, (2 * HOUR, 8 * HOUR), Disposition::SellableNotAccessible);
                let tu = self.unpack(case, tr, (HOUR, 24 * HOUR), store, 0, 250);
                // Sold before the expiry date, or destroyed after it.
                let last_sale = expiry_t.saturating_sub(DAY).clamp(tu + 2 * HOUR, tu + 12 * DAY);
                for item in &case.children {
                    match self.rng.below(1000) {
                        0..950 => {
                            let t = self.rng.span(tu + HOUR, last_sale);
                            self.observe(t, store, 1, BizStep::RetailSelling, Disposition::RetailSold, item);
                        }
                        950..975 => {
                            let t = expiry_t.max(tu + HOUR) + self.rng.span(0, 2 * DAY);
                            self.observe(t, store, 0, BizStep::Destroying, Disposition::Destroyed, item);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
