//! Elevators: install, accept, maintain.

use crate::event::{Action, BizStep, Disposition};

use super::RunGen;
use crate::synth::consts::{DAY, HOUR, MIN, STEP_MAINTAINING, salt};
use crate::synth::fields::other_step;
use crate::synth::num::ns;

impl RunGen<'_> {
    pub(super) fn elevator(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let maker = s.dir.elevator_makers.get(s.pick(run, salt::HUB));
        let service = s.dir.maintainers.get(s.pick(run, salt::FARM));
        let institute = s.dir.institutes.get(s.pick(run, salt::CLASS));
        for j in 0..info.len {
            let lift = self.item(j);
            let building = s.dir.buildings.get(self.rng.below(1 << 20));
            let tc = info.t0 + ns(j) * 30 * MIN;
            self.commission(&lift, tc, maker, 0, Vec::new(), None, 0);
            let ts = tc + self.rng.span(2 * DAY, 10 * DAY);
            let tr = self.hand_over(
                std::slice::from_ref(&lift),
                &[],
                maker,
                building,
                ts,
                (DAY, 3 * DAY),
                Disposition::InProgress,
            );
            let mut t = tr + self.rng.span(5 * DAY, 30 * DAY);
            let one = || vec![lift.clone()];
            self.object(Action::Observe, t, building, 0, service, BizStep::Installing, Disposition::Active, one());
            // Acceptance inspection by the special-equipment inspection institute.
            t += self.rng.span(2 * DAY, 10 * DAY);
            if !self.rng.per_mille(950) {
                self.object(
                    Action::Observe,
                    t,
                    building,
                    0,
                    institute,
                    BizStep::Inspecting,
                    Disposition::NonConformant,
                    one(),
                );
                t += 2 * DAY;
                self.object(Action::Observe, t, building, 0, service, BizStep::Repairing, Disposition::Active, one());
                t += 3 * DAY;
            }
            self.object(
                Action::Observe,
                t,
                building,
                0,
                institute,
                BizStep::Inspecting,
                Disposition::Conformant,
                one(),
            );
            // Maintenance at least every 15 days; faults repaired; the annual periodic inspection.
            let visits = 24 + self.rng.below(12);
            for k in 0..visits {
                t += self.rng.span(14 * DAY, 16 * DAY);
                self.object(
                    Action::Observe,
                    t,
                    building,
                    0,
                    service,
                    other_step(STEP_MAINTAINING),
                    Disposition::Active,
                    one(),
                );
                if self.rng.per_mille(40) {
                    let tf = t + self.rng.span(HOUR, 2 * DAY);
                    self.object(
                        Action::Observe,
                        tf,
                        building,
                        1,
                        service,
                        BizStep::Repairing,
                        Disposition::Active,
                        one(),
                    );
                }
                if k == 23 {
                    let ta = t + self.rng.span(DAY, 3 * DAY);
                    self.object(
                        Action::Observe,
                        ta,
                        building,
                        0,
                        institute,
                        BizStep::Inspecting,
                        Disposition::Conformant,
                        one(),
                    );
                }
            }
        }
    }
}
