//! Drugs: manufacturer → distributor → pharmacy, with item / case / pallet aggregation.

use crate::code::Scheme;
use crate::event::{BizStep, Disposition};

use super::RunGen;
use crate::synth::codes::{code_ymd, iso_date, national_key, sscc};
use crate::synth::consts::{DAY, EXPIRY, HOUR, LOT_NUMBER, MIN, SEC, salt};
use crate::synth::fields::ext;
use crate::synth::num::{ns, u, us};
use crate::synth::perm::perm_dec;

impl RunGen<'_> {
    pub(super) fn drug(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.drug_product(run);
        let maker = s.dir.drug_makers.get(product.maker);
        let distributor = s.dir.distributors.get(s.pick(run, salt::HUB));
        let (y, m, _) = code_ymd(info.t0);
        let batch = format!("{:02}{m:02}{:05}", y.rem_euclid(100), run % 100_000);
        let expiry = iso_date(info.t0.saturating_add(730 * DAY));
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let ilmd = vec![ext(LOT_NUMBER, &batch), ext(EXPIRY, &expiry)];
            if let Some(tc) = self.commission(&item, info.t0 + ns(j) * 3 * SEC, maker, 0, ilmd, Some(2 * SEC), 3) {
                ready.push((item, tc));
            }
        }
        // Cases carry their own 20-digit codes (case-level product code); pallets SSCCs.
        let case_key = |k: u64| {
            let serial = perm_dec(run.wrapping_mul(16).wrapping_add(k), s.key ^ salt::DRUG ^ 1, 9);
            national_key(Scheme::CnDrug20, s.drug20(&product.case7, serial))
        };
        let cases = self.pack(ready, 20, case_key, maker, 2);
        let pallets = self.pack(
            cases.iter().map(|c| (c.id.clone(), c.t)),
            5,
            |k| sscc(&maker.gcp, 0, run.wrapping_mul(16).wrapping_add(k)),
            maker,
            2,
        );
        for ((p, pallet), group) in pallets.iter().enumerate().zip(cases.chunks(5)) {
            let ts = info.t0 + self.rng.span(2 * DAY, 5 * DAY) + ns(u(p)) * 5 * MIN;
            let pid = std::slice::from_ref(&pallet.id);
            let disp = Disposition::SellableNotAccessible;
            let tr = self.hand_over(pid, &[], maker, distributor, ts, (6 * HOUR, 30 * HOUR), disp.clone());
            let tu = self.unpack(pallet, tr, (HOUR, 48 * HOUR), distributor, 1, 400);
            for case in group {
                let pharmacy = s.dir.pharmacies.get(self.rng.below(1 << 20));
                let ts = tu + self.rng.span(DAY, 10 * DAY);
                let cid = std::slice::from_ref(&case.id);
                let tr = self.hand_over(cid, &[], distributor, pharmacy, ts, (4 * HOUR, 24 * HOUR), disp.clone());
                let tu = self.unpack(case, tr, (0, 72 * HOUR), pharmacy, 0, 300);
                for item in &case.children {
                    match self.rng.below(1000) {
                        0..985 => {
                            let t = self.rng.span(tu + HOUR, tu + 60 * DAY);
                            self.observe(t, pharmacy, 1, BizStep::Dispensing, Disposition::Dispensed, item);
                        }
                        985..995 => {
                            let t = self.rng.span(tu + 30 * DAY, tu + 90 * DAY);
                            self.observe(t, pharmacy, 0, BizStep::Destroying, Disposition::Destroyed, item);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}
