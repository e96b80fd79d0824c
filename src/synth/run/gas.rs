//! Gas cylinders: fill, deliver, return; a periodic inspection.

use crate::event::{Action, BizStep, Disposition, EventType, Id, SourceDestType};

use super::RunGen;
use crate::synth::consts::{DAY, HOUR, MIN, STEP_FILLING, salt};
use crate::synth::fields::{other_step, sd};
use crate::synth::num::ns;
use crate::synth::province::Site;

impl RunGen<'_> {
    pub(super) fn gas(&mut self) {
        let (s, info) = (self.s, self.info);
        let run = info.run;
        let station = &s.station(run).site;
        let inspector = s.dir.cylinder_inspectors.get(s.pick(run, salt::CLASS));
        for j in 0..info.len {
            let cyl = self.item(j);
            let mut t = info.t0 + ns(j) * 5 * MIN;
            self.commission(&cyl, t, station, 0, Vec::new(), None, 0);
            let cycles = 5 + self.rng.below(3);
            let periodic = self.rng.below(cycles);
            for c in 0..cycles {
                t += self.rng.span(HOUR, 2 * DAY);
                if self.rng.per_mille(995) {
                    self.observe(t, station, 0, BizStep::Inspecting, Disposition::Conformant, &cyl);
                } else {
                    self.observe(t, station, 0, BizStep::Inspecting, Disposition::NonConformant, &cyl);
                    t += HOUR;
                    self.observe(t, station, 0, BizStep::Repairing, Disposition::Active, &cyl);
                }
                t += 15 * MIN;
                self.observe(t, station, 1, other_step(STEP_FILLING), Disposition::Active, &cyl);
                let customer = s.dir.gas_customers.get(self.rng.below(1 << 20));
                let ts = t + self.rng.span(HOUR, 24 * HOUR);
                let tr = self.hand_over(
                    std::slice::from_ref(&cyl),
                    &[],
                    station,
                    customer,
                    ts,
                    (HOUR, 4 * HOUR),
                    Disposition::Active,
                );
                // The empty cylinder is collected and received back at the station.
                t = tr + self.rng.span(7 * DAY, 30 * DAY);
                let mut e = self.ev(EventType::Object, t, station, 2, BizStep::Receiving, Disposition::Returned);
                e.action = Some(Action::Observe);
                e.epc_list = vec![cyl.clone()];
                e.sources = vec![
                    sd(SourceDestType::PossessingParty, &customer.party),
                    sd(SourceDestType::Location, &customer.location),
                ];
                e.destinations = vec![
                    sd(SourceDestType::PossessingParty, &station.party),
                    sd(SourceDestType::Location, &station.location),
                ];
                self.push(e);
                if c == periodic && !self.periodic_inspection(&cyl, &mut t, station, inspector) {
                    break;
                }
            }
        }
    }

    /// The periodic inspection at an inspection body: passed, passed after repair, or scrapped (returns false).
    fn periodic_inspection(&mut self, cyl: &Id, t: &mut i64, station: &Site, inspector: &Site) -> bool {
        *t += self.rng.span(DAY, 5 * DAY);
        let outcome = self.rng.below(1000);
        let disp = if outcome < 960 { Disposition::Conformant } else { Disposition::NonConformant };
        self.object(Action::Observe, *t, station, 0, inspector, BizStep::Inspecting, disp, vec![cyl.clone()]);
        match outcome {
            0..960 => true,
            960..990 => {
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Repairing,
                    Disposition::Active,
                    vec![cyl.clone()],
                );
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Inspecting,
                    Disposition::Conformant,
                    vec![cyl.clone()],
                );
                true
            }
            _ => {
                *t += DAY;
                self.object(
                    Action::Observe,
                    *t,
                    station,
                    0,
                    inspector,
                    BizStep::Destroying,
                    Disposition::Destroyed,
                    vec![cyl.clone()],
                );
                false
            }
        }
    }
}
