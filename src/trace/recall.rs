//! Recall: a forward trace turned into the affected items, their holders and the responsible parties, and
//! optionally recorded as recall events in one atomic batch.

use std::collections::BTreeMap;

use super::collect::{parse_root, trace};
use super::model::{Direction, NodeKind, NodeRole, Trace, TraceNode, TraceOptions, key_text};
use crate::Error;
use crate::code::KeyKind;
use crate::event::digest::EventId;
use crate::event::{
    Action, BizStep, Disposition, Event, EventType, ExtValue, Extension, Id, PersistentDisposition, Place, Quantity,
    SourceDestType, Timestamp, TzOffset,
};
use crate::store::{IngestReport, State, TraceStore, keys};

/// Extension (in tracecode's [`WHO_NAMESPACE`](crate::event::WHO_NAMESPACE)) naming the root a recall event
/// was issued for.
pub const RECALL_ROOT_EXT: &str = "urn:tracecode:epcis:recallRoot";
/// Extension (in tracecode's [`WHO_NAMESPACE`](crate::event::WHO_NAMESPACE)) carrying the recall's reason
/// text.
pub const RECALL_REASON_EXT: &str = "urn:tracecode:epcis:recallReason";
/// Objects per recall event (a pallet-sized list keeps frames small and chain entries cheap).
pub const RECALL_CHUNK: usize = 100;

/// Options of a [`recall`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecallOptions {
    /// The forward trace to run (states are always attached).
    pub trace: TraceOptions,
    /// Record the recall as events, in one atomic batch.
    pub commit: bool,
    /// Event time of the recall events (also what makes a repeated commit idempotent).
    pub time: Timestamp,
    /// Offset the time is recorded with.
    pub offset: TzOffset,
    /// The party responsible for the recall (`who.party` of the events).
    pub responsible: Option<Id>,
    /// Where the recall was issued (`readPoint`).
    pub read_point: Option<Id>,
    /// Why (recorded as the [`RECALL_REASON_EXT`] extension).
    pub reason: Option<String>,
}

impl RecallOptions {
    /// A recall at `time` (UTC), not committed, historical-union forward trace.
    pub fn new(time: Timestamp) -> Self {
        Self {
            trace: TraceOptions::new(),
            commit: false,
            time,
            offset: TzOffset::UTC,
            responsible: None,
            read_point: None,
            reason: None,
        }
    }
}

/// One affected node of a recall, with where it is and who holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Affected {
    /// The node.
    pub id: Id,
    /// What it is.
    pub kind: NodeKind,
    /// Its state (at the trace's `as_of`, or now); `None` if the store has no events about it.
    pub state: Option<State>,
    /// Who has it: the possessing party, else the owning party.
    pub holder: Option<Id>,
    /// Where it is: business location, else read point.
    pub location: Option<Id>,
}

/// A party seen along the way, with the events that name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Responsible {
    /// The party (a `who.party`, or an owning/possessing source or destination).
    pub party: Id,
    /// The events of the trace naming it, sorted, no duplicates.
    pub events: Vec<EventId>,
}

/// The answer to a [`recall`].
#[derive(Clone, Debug, PartialEq)]
pub struct Recall {
    /// The forward trace it was computed from.
    pub trace: Trace,
    /// Everything downstream of the root (the root included; containers that merely held affected things are in
    /// `containers` instead), sorted by store key.
    pub affected: Vec<Affected>,
    /// Containers that held affected things (reached upward only), sorted by store key.
    pub containers: Vec<Affected>,
    /// Parties responsible along the way, sorted by store key.
    pub responsible: Vec<Responsible>,
    /// The recall events built (one per [`RECALL_CHUNK`] objects), whether committed or not.
    pub events: Vec<Event>,
    /// The ingest report when committed.
    pub committed: Option<IngestReport>,
}

pub(super) fn affected_of(n: &TraceNode) -> Affected {
    let st = n.state.as_ref();
    Affected {
        id: n.id.clone(),
        kind: n.kind,
        state: n.state.clone(),
        holder: st.and_then(|s| s.possessor.clone().or_else(|| s.owner.clone())),
        location: st.and_then(|s| s.biz_location.clone().or_else(|| s.read_point.clone())),
    }
}

/// The recall events for `affected`: ObjectEvents, action OBSERVE, bizStep `holding`, disposition `recalled` and
/// persistent disposition `recalled` set, instances in `epcList` and classes in `quantityList`, at most
/// [`RECALL_CHUNK`] objects each, in store-key order (so the same recall gives the same events and event ids).
///
/// Why these terms: CBV has no "recalling" step; `holding` is the CBV step for goods held back from their normal
/// flow, and it is one of the recall-relevant steps the CBV lists. `recalled` is the CBV disposition for exactly
/// this, and setting it as a *persistent* disposition keeps it on each object across later routine events (a
/// later `in_transit` does not clear it) until it is explicitly unset.
pub fn recall_events(root: &Id, affected: &[Affected], opts: &RecallOptions) -> Vec<Event> {
    let mut template = Event::new(EventType::Object, opts.time, opts.offset);
    template.action = Some(Action::Observe);
    template.biz_step = Some(BizStep::Holding);
    template.disposition = Some(Disposition::Recalled);
    template.persistent_disposition =
        Some(PersistentDisposition { set: vec![Disposition::Recalled], unset: Vec::new() });
    template.read_point = opts.read_point.clone().map(|id| Place { id, extensions: Vec::new() });
    template.who.party.clone_from(&opts.responsible);
    template
        .extensions
        .push(Extension { name: RECALL_ROOT_EXT.into(), value: ExtValue::String(key_text(root).into()) });
    if let Some(r) = &opts.reason {
        template
            .extensions
            .push(Extension { name: RECALL_REASON_EXT.into(), value: ExtValue::String(r.as_str().into()) });
    }
    let is_class = |id: &Id| id.key().is_some_and(|k| k.kind() == KeyKind::Class);
    let (classes, instances): (Vec<&Affected>, Vec<&Affected>) = affected
        .iter()
        .filter(|a| !matches!(a.kind, NodeKind::Party | NodeKind::Location))
        .partition(|a| is_class(&a.id));
    let mut out = Vec::new();
    for chunk in instances.chunks(RECALL_CHUNK) {
        let mut e = template.clone();
        e.epc_list = chunk.iter().map(|a| a.id.clone()).collect();
        out.push(e);
    }
    for chunk in classes.chunks(RECALL_CHUNK) {
        let mut e = template.clone();
        e.quantity_list = chunk.iter().map(|a| Quantity { class: a.id.clone(), quantity: None, uom: None }).collect();
        out.push(e);
    }
    out
}

/// Recall from a defective lot, item or input material: the full affected downstream set with each item's
/// current holder and location, the containers they travel in, and the responsible parties along the way;
/// with [`RecallOptions::commit`], the recall is also recorded ([`recall_events`]) in **one** ingest call (one
/// atomic batch), so the recall itself is traceable. Committing the same recall again at the same time is
/// idempotent: the same events, reported as duplicates.
///
/// # Errors
/// As [`trace_forward`](super::trace_forward()); with `commit`, what [`TraceStore::ingest`] returns (nothing is written then).
///
/// ```
/// use tracecode::event::{Action, Disposition, Event, EventType, Id, Timestamp, TzOffset};
/// use tracecode::store::{MemoryStore, TraceStore};
/// use tracecode::trace::{recall, RecallOptions};
///
/// let store = MemoryStore::new();
/// let mut add = Event::new(EventType::Object, Timestamp(1), TzOffset::UTC);
/// add.action = Some(Action::Add);
/// add.epc_list.push(Id::parse("https://id.gs1.org/01/09506000134352/21/A")?);
/// store.ingest(vec![add])?;
/// let mut o = RecallOptions::new(Timestamp(100));
/// o.commit = true;
/// let r = recall(&store, "(01)09506000134352(21)A", &o)?;
/// assert_eq!(r.affected.len(), 1);
/// assert_eq!(r.committed.as_ref().map(|c| c.accepted), Some(1));
/// let s = store.resolve("(01)09506000134352(21)A")?.unwrap();
/// assert_eq!(s.state.disposition, Some(Disposition::Recalled));
/// assert_eq!(recall(&store, "(01)09506000134352(21)A", &o)?.committed.map(|c| c.duplicates), Some(1));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn recall<S: TraceStore + ?Sized>(store: &S, input: &str, opts: &RecallOptions) -> Result<Recall, Error> {
    let root = parse_root(input)?;
    recall_id(store, &root, opts)
}

/// [`recall`] from an identifier.
///
/// # Errors
/// As [`recall`].
pub fn recall_id<S: TraceStore + ?Sized>(store: &S, root: &Id, opts: &RecallOptions) -> Result<Recall, Error> {
    // The trace and the parties it names are read from one state of the store; the recall events are
    // committed to the store itself.
    let mut r = match store.pinned() {
        Some(view) => recall_plan(&*view, root, opts)?,
        None => recall_plan(store, root, opts)?,
    };
    if opts.commit && !r.events.is_empty() {
        r.committed = Some(store.ingest(r.events.clone())?);
    }
    Ok(r)
}

/// A recall read from `store`, not yet committed.
pub(super) fn recall_plan<S: TraceStore + ?Sized>(store: &S, root: &Id, opts: &RecallOptions) -> Result<Recall, Error> {
    let topts = TraceOptions { with_state: Some(true), ..opts.trace.clone() };
    let t = trace(store, root, Direction::Forward, &topts)?;
    let mut affected: Vec<Affected> = Vec::new();
    let mut containers: Vec<Affected> = Vec::new();
    for n in &t.nodes {
        match n.role {
            NodeRole::Root | NodeRole::Lineage => affected.push(affected_of(n)),
            NodeRole::Holder => containers.push(affected_of(n)),
            NodeRole::HandOver => {}
        }
    }
    affected.sort_by_cached_key(|a| keys::node_key(&a.id));
    containers.sort_by_cached_key(|a| keys::node_key(&a.id));
    let responsible = responsible_parties(store, &t)?;
    let events = recall_events(root, &affected, opts);
    Ok(Recall { trace: t, affected, containers, responsible, events, committed: None })
}

/// Parties named by the events of a trace's edges: `who.party`, and owning/possessing sources and destinations.
pub(super) fn responsible_parties<S: TraceStore + ?Sized>(store: &S, t: &Trace) -> Result<Vec<Responsible>, Error> {
    let mut ids: Vec<EventId> = t.edges.iter().map(|e| e.event).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found: BTreeMap<Vec<u8>, Responsible> = BTreeMap::new();
    let mut add = |party: &Id, ev: EventId| {
        let r = found
            .entry(keys::node_key(party))
            .or_insert_with(|| Responsible { party: party.clone(), events: Vec::new() });
        if r.events.last() != Some(&ev) {
            r.events.push(ev);
        }
    };
    for ev in ids {
        let Some((_, e)) = store.event(&ev)? else { continue };
        if let Some(p) = &e.who.party {
            add(p, ev);
        }
        for sd in e.sources.iter().chain(&e.destinations) {
            if matches!(sd.kind, SourceDestType::OwningParty | SourceDestType::PossessingParty) {
                add(&sd.id, ev);
            }
        }
    }
    Ok(found.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::event::{BizStep, Disposition, Id, Timestamp};

    use crate::trace::model::NodeKind;

    #[test]
    fn recall_events_chunk_instances_and_classes() {
        let root = Id::parse("https://id.gs1.org/01/09506000134352/10/L").unwrap();
        let mut affected: Vec<Affected> = (0..=RECALL_CHUNK)
            .map(|i| Affected {
                id: Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/S{i}")).unwrap(),
                kind: NodeKind::Item,
                state: None,
                holder: None,
                location: None,
            })
            .collect();
        affected.push(Affected { id: root.clone(), kind: NodeKind::Lot, state: None, holder: None, location: None });
        let events = recall_events(&root, &affected, &RecallOptions::new(Timestamp(5)));
        assert_eq!(events.len(), 3);
        assert_eq!(events.iter().map(|e| e.epc_list.len()).collect::<Vec<_>>(), vec![RECALL_CHUNK, 1, 0]);
        assert_eq!(events[2].quantity_list.len(), 1);
        for e in &events {
            assert!(e.validate().is_ok());
            assert_eq!(e.disposition, Some(Disposition::Recalled));
            assert_eq!(e.biz_step, Some(BizStep::Holding));
            assert_eq!(e.persistent_disposition.as_ref().map(|p| p.set.clone()), Some(vec![Disposition::Recalled]));
        }
    }
}
