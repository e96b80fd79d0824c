//! Civil explosives: factory → depot → blasting site, a test before every blast.

use crate::event::{BizStep, Disposition};

use super::RunGen;
use crate::synth::codes::sscc;
use crate::synth::consts::{DAY, HOUR, MIN, SEC, STEP_BLASTING, salt};
use crate::synth::fields::other_step;
use crate::synth::num::{ns, u, us};

impl RunGen<'_> {
    pub(super) fn explosive(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let maker = &s.explosive_maker(run).site;
        let depot = s.dir.depots.get(s.pick(run, salt::FARM));
        let quarry = s.dir.blast_sites.get(s.pick(run, salt::CLASS));
        let mut ready = Vec::with_capacity(us(info.len));
        for j in 0..info.len {
            let item = self.item(j);
            let t = info.t0 + ns(j) * 2 * SEC;
            self.commission(&item, t, maker, 0, Vec::new(), None, 0);
            ready.push((item, t));
        }
        let boxes = self.pack(ready, 20, |k| sscc(&maker.gcp, 4, run.wrapping_mul(64).wrapping_add(k)), maker, 1);
        let stored = Disposition::SellableNotAccessible;
        for (b, bx) in boxes.iter().enumerate() {
            self.observe(bx.t + HOUR, maker, 2, BizStep::Storing, stored.clone(), &bx.id);
            let bid = std::slice::from_ref(&bx.id);
            let ts = info.t0 + DAY + self.rng.span(0, 2 * DAY) + ns(u(b)) * MIN;
            let tr = self.hand_over(bid, &[], maker, depot, ts, (2 * HOUR, 6 * HOUR), stored.clone());
            self.observe(tr + 30 * MIN, depot, 1, BizStep::Storing, stored.clone(), &bx.id);
            let ts = tr + self.rng.span(DAY, 20 * DAY);
            let tr = self.hand_over(bid, &[], depot, quarry, ts, (HOUR, 3 * HOUR), stored.clone());
            let tu = self.unpack(bx, tr, (10 * MIN, 20 * MIN), quarry, 0, 0);
            // Every detonator is tested before the blast; a failed one is destroyed, never used.
            for det in &bx.children {
                let tt = tu + self.rng.span(30 * MIN, 2 * HOUR);
                let t_end = tt + self.rng.span(HOUR, 3 * HOUR);
                if self.rng.per_mille(985) {
                    self.observe(tt, quarry, 1, BizStep::Inspecting, Disposition::Conformant, det);
                    self.observe(t_end, quarry, 1, other_step(STEP_BLASTING), Disposition::Destroyed, det);
                } else {
                    self.observe(tt, quarry, 1, BizStep::Inspecting, Disposition::NonConformant, det);
                    self.observe(t_end, quarry, 0, BizStep::Destroying, Disposition::Destroyed, det);
                }
            }
        }
    }
}
