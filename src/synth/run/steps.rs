//! The building blocks of every production run: one event, packing and unpacking, hand-overs with their
//! business transactions, commissioning with a line check.

use crate::code::TraceKey;
use crate::event::{
    Action, BizStep, BizTransaction, BizTransactionType, Disposition, Event, EventType, Extension, Id, Place, Quantity,
    SourceDestType, Timestamp, Who,
};

use super::{Packed, RunGen};
use crate::synth::codes::id;
use crate::synth::consts::{CST, HOUR, SEC};
use crate::synth::fields::sd;
use crate::synth::num::u;
use crate::synth::province::Site;

impl RunGen<'_> {
    /// An event at `at` (read point `point`), the responsibility of `by`.
    #[allow(clippy::too_many_arguments, reason = "the what-where-why-who of one event")]
    fn ev_by(
        &mut self,
        kind: EventType,
        t: i64,
        at: &Site,
        point: u64,
        by: &Site,
        step: BizStep,
        disp: Disposition,
    ) -> Event {
        let mut e = Event::new(kind, Timestamp(t), CST);
        e.biz_step = Some(step);
        e.disposition = Some(disp);
        e.read_point = Some(Place { id: at.points.get(point).clone(), extensions: Vec::new() });
        e.biz_location = Some(Place { id: at.location.clone(), extensions: Vec::new() });
        let op = self.rng.below(by.operators.len());
        let dev = self.rng.below(by.devices.len());
        e.who = Who {
            party: Some(by.party.clone()),
            operator: Some(by.operators.get(op).clone()),
            device: Some(by.devices.get(dev).clone()),
        };
        e
    }

    pub(super) fn ev(
        &mut self,
        kind: EventType,
        t: i64,
        at: &Site,
        point: u64,
        step: BizStep,
        disp: Disposition,
    ) -> Event {
        self.ev_by(kind, t, at, point, at, step, disp)
    }

    /// An ObjectEvent about `epcs`, pushed.
    #[allow(clippy::too_many_arguments, reason = "the what-where-why-who of one event")]
    pub(super) fn object(
        &mut self,
        action: Action,
        t: i64,
        at: &Site,
        point: u64,
        by: &Site,
        step: BizStep,
        disp: Disposition,
        epcs: Vec<Id>,
    ) {
        let mut e = self.ev_by(EventType::Object, t, at, point, by, step, disp);
        e.action = Some(action);
        e.epc_list = epcs;
        self.push(e);
    }

    /// An OBSERVE ObjectEvent about one thing, at and by `site`.
    pub(super) fn observe(&mut self, t: i64, site: &Site, point: u64, step: BizStep, disp: Disposition, what: &Id) {
        self.object(Action::Observe, t, site, point, site, step, disp, vec![what.clone()]);
    }

    fn aggregation(&mut self, action: Action, t: i64, site: &Site, point: u64, parent: &Id, children: Vec<Id>) {
        let (step, disp) = match action {
            Action::Delete => (BizStep::Unpacking, Disposition::SellableAccessible),
            _ => (BizStep::Packing, Disposition::InProgress),
        };
        let mut e = self.ev(EventType::Aggregation, t, site, point, step, disp);
        e.action = Some(action);
        e.parent_id = Some(parent.clone());
        e.child_epcs = children;
        self.push(e);
    }

    /// Packs `things` (ready at their times) into containers of `per` things, keyed by `key(container index)`.
    pub(super) fn pack(
        &mut self,
        things: impl IntoIterator<Item = (Id, i64)>,
        per: usize,
        key: impl Fn(u64) -> Option<TraceKey>,
        site: &Site,
        point: u64,
    ) -> Vec<Packed> {
        let things: Vec<(Id, i64)> = things.into_iter().collect();
        let mut out = Vec::with_capacity(things.len().div_ceil(per.max(1)));
        for (c, chunk) in things.chunks(per.max(1)).enumerate() {
            let parent = id(key(u(c)));
            let t = chunk.iter().map(|x| x.1).max().unwrap_or(self.info.t0).saturating_add(60 * SEC);
            let children: Vec<Id> = chunk.iter().map(|x| x.0.clone()).collect();
            self.aggregation(Action::Add, t, site, point, &parent, children.clone());
            out.push(Packed { id: parent, t, children });
        }
        out
    }

    /// Unpacks a container `after` (a range) from `t` (a DELETE naming only the parent `parent_only` per mille
    /// of the time). Returns when.
    pub(super) fn unpack(
        &mut self,
        c: &Packed,
        t: i64,
        after: (i64, i64),
        site: &Site,
        point: u64,
        parent_only: u64,
    ) -> i64 {
        let t = t.saturating_add(self.rng.span(after.0, after.1));
        let children = if self.rng.per_mille(parent_only) { Vec::new() } else { c.children.clone() };
        self.aggregation(Action::Delete, t, site, point, &c.id, children);
        t
    }

    fn transactions(&mut self, from: &Site, to: &Site, shipping: bool) -> Vec<BizTransaction> {
        let leg = self.info.run.saturating_mul(1_000).saturating_add(self.legs);
        let bt = |kind: BizTransactionType, gln: &str, what: &str| BizTransaction {
            kind: Some(kind),
            value: Id::Uri(format!("urn:epcglobal:cbv:bt:{gln}:{what}-{leg}").into()),
        };
        let mut out = Vec::new();
        let (desadv, po) = if shipping { (800, 400) } else { (300, 600) };
        if self.rng.per_mille(desadv) {
            out.push(bt(BizTransactionType::Desadv, &from.gln, "DESADV"));
        }
        if self.rng.per_mille(po) {
            out.push(bt(BizTransactionType::Po, &to.gln, "PO"));
        }
        out
    }

    /// Shipping from `from` at `t`, receiving at `to` after `transit`: two events with sources, destinations and
    /// business transactions. Returns the receiving time.
    #[allow(clippy::too_many_arguments, reason = "a hand-over has many parts")]
    pub(super) fn hand_over(
        &mut self,
        epcs: &[Id],
        quantities: &[Quantity],
        from: &Site,
        to: &Site,
        t: i64,
        transit: (i64, i64),
        arrived: Disposition,
    ) -> i64 {
        let sources = vec![
            sd(SourceDestType::OwningParty, &from.party),
            sd(SourceDestType::PossessingParty, &from.party),
            sd(SourceDestType::Location, &from.location),
        ];
        let destinations = vec![
            sd(SourceDestType::OwningParty, &to.party),
            sd(SourceDestType::PossessingParty, &to.party),
            sd(SourceDestType::Location, &to.location),
        ];
        let mut e = self.ev(EventType::Object, t, from, 0, BizStep::Shipping, Disposition::InTransit);
        e.action = Some(Action::Observe);
        e.epc_list = epcs.to_vec();
        e.quantity_list = quantities.to_vec();
        e.biz_transactions = self.transactions(from, to, true);
        e.sources.clone_from(&sources);
        e.destinations.clone_from(&destinations);
        self.push(e);
        let tr = t.saturating_add(self.rng.span(transit.0, transit.1));
        let mut e = self.ev(EventType::Object, tr, to, 0, BizStep::Receiving, arrived);
        e.action = Some(Action::Observe);
        e.epc_list = epcs.to_vec();
        e.quantity_list = quantities.to_vec();
        e.biz_transactions = self.transactions(from, to, false);
        e.sources = sources;
        e.destinations = destinations;
        self.push(e);
        self.legs += 1;
        tr
    }

    /// Commissioning of item `j` at `t` (with ILMD when given) and its line check `check_after` later. Returns
    /// the check time, or `None` when the check rejected the item (`reject` per mille), which is then destroyed.
    #[allow(clippy::too_many_arguments, reason = "commissioning and line check of one item")]
    pub(super) fn commission(
        &mut self,
        item: &Id,
        t: i64,
        site: &Site,
        point: u64,
        ilmd: Vec<Extension>,
        check_after: Option<i64>,
        reject: u64,
    ) -> Option<i64> {
        let mut e = self.ev(EventType::Object, t, site, point, BizStep::Commissioning, Disposition::Active);
        e.action = Some(Action::Add);
        e.epc_list = vec![item.clone()];
        e.ilmd = ilmd;
        self.push(e);
        let Some(after) = check_after else { return Some(t) };
        let tc = t.saturating_add(after);
        if self.rng.per_mille(reject) {
            self.observe(tc, site, point + 1, BizStep::Inspecting, Disposition::NonConformant, item);
            self.observe(tc + HOUR, site, point + 1, BizStep::Destroying, Disposition::Destroyed, item);
            return None;
        }
        self.observe(tc, site, point + 1, BizStep::Inspecting, Disposition::Conformant, item);
        Some(tc)
    }
}
