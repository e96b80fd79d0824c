//! What one event contributes to the indexes: its nodes, its genealogy edges, its lot memberships.
//!
//! Pure functions of the event, shared by both store implementations, so the reference model and the RocksDB
//! store cannot disagree on *what* an event means — the model tests then check *how* each store keeps it.
//! (The genealogy oracle in the tests re-derives edges independently from raw events.)

use crate::code::TraceKey;
use crate::event::digest::EventId;
use crate::event::{Action, Event, EventType, ExtValue, Id, Timestamp};

use super::{Edge, EdgeKind, Rel, Seq};

/// Expanded IRIs under which an ILMD lot number is recognised (CBV master-data attribute `lotNumber`).
const LOT_NUMBER_NAMES: &[&str] = &["urn:epcglobal:cbv:mda:lotNumber", "cbvmda:lotNumber"];

/// The event's subject nodes, de-duplicated, in first-appearance order (the chains the event joins).
pub(crate) fn nodes(event: &Event) -> Vec<&Id> {
    let mut out: Vec<&Id> = Vec::with_capacity(4);
    for id in event.subjects() {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The ILMD lot number of a commissioning-style event, if any.
pub(crate) fn ilmd_lot(event: &Event) -> Option<&str> {
    event.ilmd.iter().find_map(|x| match &x.value {
        ExtValue::String(s) if LOT_NUMBER_NAMES.contains(&&*x.name) && !s.is_empty() => Some(&**s),
        _ => None,
    })
}

/// Lot memberships an event declares: (lot key, instance key) for every serialised GTIN instance listed in an
/// ObjectEvent ADD's `epcList` or a TransformationEvent's `outputEPCList` when the event's ILMD names a lot.
pub(crate) fn memberships(event: &Event) -> Vec<(TraceKey, TraceKey)> {
    let Some(lot) = ilmd_lot(event) else { return Vec::new() };
    let listed: &[Id] = match event.kind {
        EventType::Object if event.action == Some(Action::Add) => &event.epc_list,
        EventType::Transformation => &event.output_epc_list,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for id in listed {
        let Id::Key(k) = id else { continue };
        let Some(gtin) = k.gtin_class() else { continue };
        let Ok(lot_key) = lot_key(&gtin, lot) else { continue };
        if TraceKey::lot_member_key(&lot_key, k).is_some() && !out.iter().any(|(_, i)| i == k) {
            out.push((lot_key, k.clone()));
        }
    }
    out
}

/// The GTIN + lot class key for a GTIN class key and a lot text.
pub(crate) fn lot_key(gtin: &TraceKey, lot: &str) -> Result<TraceKey, crate::Error> {
    let text = gtin.to_string();
    let mut s = String::with_capacity(text.len() + 4 + lot.len() * 3);
    s.push_str(&text);
    s.push_str("/10/");
    crate::hex::percent_encode_into(&mut s, lot);
    s.parse()
}

/// The inputs and outputs of a transformation event (EPCs and quantity classes), de-duplicated.
pub(crate) fn transformation_sides(event: &Event) -> (Vec<&Id>, Vec<&Id>) {
    let mut ins: Vec<&Id> = Vec::new();
    for id in event.input_epc_list.iter().chain(event.input_quantity_list.iter().map(|q| &q.class)) {
        if !ins.contains(&id) {
            ins.push(id);
        }
    }
    let mut outs: Vec<&Id> = Vec::new();
    for id in event.output_epc_list.iter().chain(event.output_quantity_list.iter().map(|q| &q.class)) {
        if !outs.contains(&id) {
            outs.push(id);
        }
    }
    (ins, outs)
}

/// Where an edge comes from: the event that justifies it.
#[derive(Clone, Copy)]
pub(crate) struct Why {
    pub seq: Seq,
    pub id: EventId,
    pub time: Timestamp,
}

/// Pushes the edge `from → to` and its inverse `to → from`.
fn both(out: &mut Vec<(Id, Edge)>, from: &Id, to: &Id, kind: EdgeKind, rel: Rel, action: Option<Action>, why: Why) {
    let inv = rel.inverse();
    out.push((
        from.clone(),
        Edge { to: Some(to.clone()), kind, rel, action, time: why.time, seq: why.seq, event: why.id },
    ));
    out.push((
        to.clone(),
        Edge { to: Some(from.clone()), kind, rel: inv, action, time: why.time, seq: why.seq, event: why.id },
    ));
}

/// Transformation edges between `inputs` and `outputs` (both directions).
pub(crate) fn transformation_edges(out: &mut Vec<(Id, Edge)>, inputs: &[&Id], outputs: &[&Id], why: Why) {
    for i in inputs {
        for o in outputs {
            if i != o {
                both(out, i, o, EdgeKind::Transformation, Rel::Output, None, why);
            }
        }
    }
}

/// Every edge one event materialises on its own (transformation joins across events sharing a
/// transformationID are added by the store, see [`transformation_edges`]), as `(node it is stored under, edge)`.
pub(crate) fn edges(event: &Event, seq: Seq, id: EventId) -> Vec<(Id, Edge)> {
    let why = Why { seq, id, time: event.event_time };
    let mut out = Vec::new();
    // Containment and association.
    let kind = match event.kind {
        EventType::Aggregation => Some(EdgeKind::Aggregation),
        EventType::Association => Some(EdgeKind::Association),
        _ => None,
    };
    if let (Some(kind), Some(parent)) = (kind, &event.parent_id) {
        let mut children: Vec<&Id> = Vec::new();
        for c in event.child_epcs.iter().chain(event.child_quantity_list.iter().map(|q| &q.class)) {
            if c != parent && !children.contains(&c) {
                children.push(c);
            }
        }
        if children.is_empty() && event.action == Some(Action::Delete) {
            out.push((
                parent.clone(),
                Edge { to: None, kind, rel: Rel::Child, action: event.action, time: why.time, seq, event: id },
            ));
        }
        for c in children {
            both(&mut out, parent, c, kind, Rel::Child, event.action, why);
        }
    }
    // Transformation within the event.
    if event.kind == EventType::Transformation {
        let (ins, outs) = transformation_sides(event);
        transformation_edges(&mut out, &ins, &outs, why);
    }
    // Lot membership.
    for (lot, inst) in memberships(event) {
        both(&mut out, &Id::Key(lot), &Id::Key(inst), EdgeKind::Membership, Rel::Member, Some(Action::Add), why);
    }
    // Hand-overs: every subject with every source and destination.
    if !event.sources.is_empty() || !event.destinations.is_empty() {
        for subject in nodes(event) {
            for s in &event.sources {
                if &s.id != subject {
                    both(&mut out, subject, &s.id, EdgeKind::HandOver, Rel::Source(s.kind.clone()), event.action, why);
                }
            }
            for d in &event.destinations {
                if &d.id != subject {
                    let rel = Rel::Destination(d.kind.clone());
                    both(&mut out, subject, &d.id, EdgeKind::HandOver, rel, event.action, why);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Quantity, SourceDest, SourceDestType, TzOffset};

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    #[test]
    fn aggregation_edges_both_directions_and_unpack_all_marker() {
        let mut e = Event::new(EventType::Aggregation, Timestamp(10), TzOffset(0));
        e.action = Some(Action::Add);
        e.parent_id = Some(id("urn:epc:id:sscc:0614141.1234567890"));
        e.child_epcs = vec![id("urn:epc:id:sgtin:0614141.107346.1"), id("urn:epc:id:sgtin:0614141.107346.2")];
        let edges = edges(&e, 7, EventId([1; 32]));
        assert_eq!(edges.len(), 4);
        assert_eq!(edges.iter().filter(|(n, _)| Some(n) == e.parent_id.as_ref()).count(), 2);
        assert!(edges.iter().all(|(_, x)| x.seq == 7 && x.kind == EdgeKind::Aggregation));
        let mut d = Event::new(EventType::Aggregation, Timestamp(20), TzOffset(0));
        d.action = Some(Action::Delete);
        d.parent_id = e.parent_id.clone();
        let edges = super::edges(&d, 8, EventId([2; 32]));
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].1.to, None);
        assert_eq!(edges[0].1.rel, Rel::Child);
    }

    #[test]
    fn transformation_and_handover_edges() {
        let mut e = Event::new(EventType::Transformation, Timestamp(10), TzOffset(0));
        e.input_quantity_list.push(Quantity {
            class: id("https://id.gs1.org/01/09506000134352/10/RAW1"),
            quantity: None,
            uom: None,
        });
        e.output_epc_list.push(id("https://id.gs1.org/01/09506000134352/21/S1"));
        e.sources
            .push(SourceDest { kind: SourceDestType::OwningParty, id: id("https://id.gs1.org/417/9506000134352") });
        let edges = edges(&e, 1, EventId([0; 32]));
        // 2 transformation + 2 subjects × 1 source × 2 directions.
        assert_eq!(edges.len(), 6);
        assert!(edges.iter().any(|(_, x)| x.rel == Rel::Output));
        assert!(edges.iter().any(|(_, x)| x.rel == Rel::Sent(SourceDestType::OwningParty)));
    }

    #[test]
    fn ilmd_lot_makes_memberships() {
        let mut e = Event::new(EventType::Object, Timestamp(10), TzOffset(0));
        e.action = Some(Action::Add);
        e.epc_list.push(id("https://id.gs1.org/01/09506000134352/21/S1"));
        e.ilmd.push(crate::event::Extension {
            name: "urn:epcglobal:cbv:mda:lotNumber".into(),
            value: ExtValue::String("L1/2".into()),
        });
        let m = memberships(&e);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0.to_string(), "01/09506000134352/10/L1%2F2");
        e.action = Some(Action::Observe);
        assert!(memberships(&e).is_empty());
    }
}
