//! Agricultural inputs: factory → dealer → farmer.

use crate::event::{BizStep, Disposition};

use super::RunGen;
use crate::synth::codes::{sscc, yymmdd};
use crate::synth::consts::{DAY, HOUR, LOT_NUMBER, MIN, SEC};
use crate::synth::fields::ext;
use crate::synth::num::{ns, u, us};

impl RunGen<'_> {
    pub(super) fn agri(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let product = s.agri_product(run);
        let maker = s.dir.agri_makers.get(product.maker);
        let lot = format!("{}{:05}", yymmdd(info.t0), run % 100_000);
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let ilmd = vec![ext(LOT_NUMBER, &lot)];
            if let Some(tc) = self.commission(&item, info.t0 + ns(j) * 4 * SEC, maker, 0, ilmd, Some(3 * SEC), 2) {
                ready.push((item, tc));
            }
        }
        let cartons = self.pack(ready, 20, |k| sscc(&maker.gcp, 2, run.wrapping_mul(64).wrapping_add(k)), maker, 2);
        for (c, carton) in cartons.iter().enumerate() {
            let dealer = s.dir.dealers.get(self.rng.below(1 << 20));
            let ts = info.t0 + self.rng.span(DAY, 7 * DAY) + ns(u(c)) * 2 * MIN;
            let cid = std::slice::from_ref(&carton.id);
            let tr =
                self.hand_over(cid, &[], maker, dealer, ts, (4 * HOUR, 48 * HOUR), Disposition::SellableNotAccessible);
            let tu = self.unpack(carton, tr, (HOUR, 24 * HOUR), dealer, 0, 200);
            for item in &carton.children {
                if self.rng.per_mille(970) {
                    let t = self.rng.span(tu + HOUR, tu + 90 * DAY);
                    self.observe(t, dealer, 1, BizStep::RetailSelling, Disposition::RetailSold, item);
                }
            }
        }
    }
}
