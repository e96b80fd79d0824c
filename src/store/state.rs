//! Deriving a node's [`State`] from its events.

use crate::Error;
use crate::event::digest::EventId;
use crate::event::{Action, Disposition, Event, EventType, Id, SourceDestType, Timestamp};

use super::{Seq, State};

/// Folds a node's events into its state at time `at` (all events when `None`).
///
/// Events are applied in event-time order, ties broken by record sequence, so an event captured late lands
/// where it happened. For each event with time ≤ `at`:
/// - `disposition`, `bizStep`, `readPoint`, `bizLocation`, `who.party`: the latest stated value wins;
/// - persistent dispositions: `set` adds, `unset` removes;
/// - container: an AggregationEvent listing the node as a child with ADD or OBSERVE sets its parent; DELETE of
///   that parent clears it; a later DELETE of the parent that names no children ("unpack all") clears it too —
///   the store answers that through `unpacked_after(container, time, seq)`, which must say whether the container
///   has such an event after (time, seq) and at or before `at`;
/// - destinations of type `owning_party`, `possessing_party` set the owner and the possessor;
/// - retired: set by an ObjectEvent DELETE or one of the terminal dispositions `destroyed`, `disposed`,
///   `retail_sold`, `dispensed`, `stolen`. A terminal state stays terminal: a later event with another
///   disposition (a recall reaching an item already destroyed, say) updates `disposition` but does not put the
///   item back in circulation. Only re-commissioning — an ObjectEvent ADD without a terminal disposition, as
///   when a gas cylinder or another returnable asset is refilled and reissued under its code — revives it.
///
/// # Errors
/// Only what `unpacked_after` returns.
///
/// ```
/// use tracecode::event::{Action, Disposition, Event, EventType, Id, Timestamp, TzOffset};
/// use tracecode::event::digest::EventId;
/// use tracecode::store::derive_state;
///
/// let item = Id::parse("urn:epc:id:sgtin:0614141.107346.1")?;
/// let mut a = Event::new(EventType::Object, Timestamp(20), TzOffset(0));
/// a.action = Some(Action::Observe);
/// a.disposition = Some(Disposition::InTransit);
/// let mut b = a.clone();
/// b.event_time = Timestamp(10); // captured later, happened earlier
/// b.disposition = Some(Disposition::InProgress);
/// let events = [(1, EventId([1; 32]), &a), (2, EventId([2; 32]), &b)];
/// let s = derive_state(&item, events, None, &mut |_, _, _| Ok(false))?;
/// assert_eq!(s.disposition, Some(Disposition::InTransit));
/// assert_eq!(s.last_event.map(|e| e.0), Some(1));
/// # Ok::<(), tracecode::Error>(())
/// ```
pub fn derive_state<'a, I>(
    node: &Id,
    events: I,
    at: Option<Timestamp>,
    unpacked_after: &mut dyn FnMut(&Id, Timestamp, Seq) -> Result<bool, Error>,
) -> Result<State, Error>
where
    I: IntoIterator<Item = (Seq, EventId, &'a Event)>,
{
    Fold::of(node, events.into_iter().filter(|(_, _, e)| at.is_none_or(|t| e.event_time <= t))).finish(unpacked_after)
}

/// The running fold behind [`derive_state`]: the state after the events applied so far, plus what a later event
/// or the read needs to continue it. Applying events in (time, seq) order to a fold gives the same state as
/// [`derive_state`] over all of them, which is what lets the RocksDB store keep each node's fold materialised
/// and extend it at ingest instead of decoding the chain at every resolve.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Fold {
    /// The state so far (persistent dispositions kept sorted; the container before the unpack-all check).
    pub state: State,
    /// When the current container was set: (event time, seq), for the unpack-all check at read time.
    pub packed_at: Option<(Timestamp, Seq)>,
}

impl Fold {
    /// The (time, seq) of the last event applied, the order key a next event must exceed to be appended.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "used by the RocksDB store"))]
    pub fn last(&self) -> Option<(Timestamp, Seq)> {
        Some((self.state.last_seen?, self.state.last_event?.0))
    }

    /// Applies one event about `node`; events must come in (time, seq) order.
    pub fn apply(&mut self, node: &Id, seq: Seq, id: EventId, e: &Event) {
        let s = &mut self.state;
        if s.first_seen.is_none() {
            s.first_seen = Some(e.event_time);
        }
        s.last_seen = Some(e.event_time);
        s.last_event = Some((seq, id));
        if let Some(d) = &e.disposition {
            // Sticky: another disposition never revives (see `derive_state`); only re-commissioning does.
            s.retired |= is_terminal(d);
            s.disposition = Some(d.clone());
        }
        if e.kind == EventType::Object {
            match e.action {
                Some(Action::Delete) => s.retired = true,
                Some(Action::Add) if e.disposition.as_ref().is_none_or(|d| !is_terminal(d)) => s.retired = false,
                _ => {}
            }
        }
        if let Some(p) = &e.persistent_disposition {
            for d in &p.set {
                if let Err(i) = s.persistent.binary_search(d) {
                    s.persistent.insert(i, d.clone());
                }
            }
            s.persistent.retain(|d| !p.unset.contains(d));
        }
        if let Some(b) = &e.biz_step {
            s.last_biz_step = Some(b.clone());
        }
        if let Some(r) = &e.read_point {
            s.read_point = Some(r.id.clone());
        }
        if let Some(l) = &e.biz_location {
            s.biz_location = Some(l.id.clone());
        }
        if let Some(p) = &e.who.party {
            s.responsible = Some(p.clone());
        }
        for d in &e.destinations {
            match d.kind {
                SourceDestType::OwningParty => s.owner = Some(d.id.clone()),
                SourceDestType::PossessingParty => s.possessor = Some(d.id.clone()),
                _ => {}
            }
        }
        if e.kind == EventType::Aggregation
            && let Some(parent) = &e.parent_id
            && parent != node
            && (e.child_epcs.contains(node) || e.child_quantity_list.iter().any(|q| &q.class == node))
        {
            match e.action {
                Some(Action::Add | Action::Observe) => {
                    s.container = Some(parent.clone());
                    self.packed_at = Some((e.event_time, seq));
                }
                Some(Action::Delete) if s.container.as_ref() == Some(parent) => {
                    s.container = None;
                    self.packed_at = None;
                }
                _ => {}
            }
        }
    }

    /// The fold of a node's `events` (in any order): applied in (time, seq) order.
    pub fn of<'a>(node: &Id, events: impl IntoIterator<Item = (Seq, EventId, &'a Event)>) -> Self {
        let mut evs: Vec<(Seq, EventId, &Event)> = events.into_iter().collect();
        evs.sort_by_key(|(q, _, e)| (e.event_time, *q));
        let mut f = Self::default();
        for (q, i, e) in evs {
            f.apply(node, q, i, e);
        }
        f
    }

    /// The fold of all of a node's `events` (in any order) as the RocksDB store keeps it materialised: applied
    /// in (time, seq) order, and the container (with its packing time) cleared when `unpacked_after` says it
    /// was unpacked as a whole after the packing. What verification compares a state record with, and what a
    /// format upgrade rewrites one to.
    ///
    /// # Errors
    /// Only what `unpacked_after` returns.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code, reason = "used by the RocksDB store"))]
    pub fn materialised<'a>(
        node: &Id,
        events: impl IntoIterator<Item = (Seq, EventId, &'a Event)>,
        unpacked_after: &mut dyn FnMut(&Id, Timestamp, Seq) -> Result<bool, Error>,
    ) -> Result<Self, Error> {
        let mut f = Self::of(node, events);
        if let (Some(c), Some((t, q))) = (&f.state.container, f.packed_at)
            && unpacked_after(c, t, q)?
        {
            f.state.container = None;
            f.packed_at = None;
        }
        Ok(f)
    }

    /// The state: the fold's, with the container cleared when it was unpacked as a whole after packing.
    ///
    /// # Errors
    /// Only what `unpacked_after` returns.
    pub fn finish(
        self,
        unpacked_after: &mut dyn FnMut(&Id, Timestamp, Seq) -> Result<bool, Error>,
    ) -> Result<State, Error> {
        let mut s = self.state;
        if let (Some(c), Some((t, q))) = (&s.container, self.packed_at)
            && unpacked_after(c, t, q)?
        {
            s.container = None;
        }
        Ok(s)
    }
}

/// Dispositions after which an item is out of circulation.
fn is_terminal(d: &Disposition) -> bool {
    matches!(
        d,
        Disposition::Destroyed
            | Disposition::Disposed
            | Disposition::RetailSold
            | Disposition::Dispensed
            | Disposition::Stolen
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{PersistentDisposition, SourceDest, TzOffset};

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    fn ev(kind: EventType, t: i64, action: Action) -> Event {
        let mut e = Event::new(kind, Timestamp(t), TzOffset(0));
        e.action = Some(action);
        e
    }

    #[test]
    fn container_follows_add_and_delete_in_time_order() {
        let item = id("urn:epc:id:sgtin:0614141.107346.1");
        let case = id("urn:epc:id:sscc:0614141.1234567890");
        let mut add = ev(EventType::Aggregation, 10, Action::Add);
        add.parent_id = Some(case.clone());
        add.child_epcs.push(item.clone());
        let mut del = add.clone();
        del.action = Some(Action::Delete);
        del.event_time = Timestamp(20);
        let none = &mut |_: &Id, _, _| Ok(false);
        // Captured in reverse order: the DELETE (time 20) still wins.
        let s = derive_state(&item, [(1, EventId([1; 32]), &del), (2, EventId([2; 32]), &add)], None, none).unwrap();
        assert_eq!(s.container, None);
        let s =
            derive_state(&item, [(1, EventId([1; 32]), &del), (2, EventId([2; 32]), &add)], Some(Timestamp(15)), none)
                .unwrap();
        assert_eq!(s.container, Some(case.clone()));
        // Unpack-all of the container after packing clears it.
        let s = derive_state(&item, [(2, EventId([2; 32]), &add)], None, &mut |c, t, q| {
            assert_eq!((c, t, q), (&case, Timestamp(10), 2));
            Ok(true)
        })
        .unwrap();
        assert_eq!(s.container, None);
    }

    #[test]
    fn persistent_dispositions_and_parties() {
        let item = id("urn:epc:id:sgtin:0614141.107346.1");
        let mut a = ev(EventType::Object, 1, Action::Observe);
        a.persistent_disposition = Some(PersistentDisposition {
            set: vec![Disposition::NeedsReplacement, Disposition::Damaged],
            unset: vec![],
        });
        a.destinations
            .push(SourceDest { kind: SourceDestType::OwningParty, id: id("https://id.gs1.org/417/9506000134352") });
        let mut b = ev(EventType::Object, 2, Action::Observe);
        b.persistent_disposition = Some(PersistentDisposition { set: vec![], unset: vec![Disposition::Damaged] });
        let s =
            derive_state(&item, [(1, EventId([1; 32]), &a), (2, EventId([2; 32]), &b)], None, &mut |_, _, _| Ok(false))
                .unwrap();
        assert_eq!(s.persistent, vec![Disposition::NeedsReplacement]);
        assert_eq!(s.owner, Some(id("https://id.gs1.org/417/9506000134352")));
        assert_eq!(s.first_seen, Some(Timestamp(1)));
        assert_eq!(s.last_seen, Some(Timestamp(2)));
    }

    #[test]
    fn decommissioning_retires() {
        let item = id("urn:epc:id:sgtin:0614141.107346.1");
        let a = ev(EventType::Object, 1, Action::Add);
        let d = ev(EventType::Object, 2, Action::Delete);
        let s =
            derive_state(&item, [(1, EventId([1; 32]), &a), (2, EventId([2; 32]), &d)], None, &mut |_, _, _| Ok(false))
                .unwrap();
        assert!(s.retired);
    }

    /// Folds `events` (given in time order) over all time.
    fn fold_all(item: &Id, events: &[Event]) -> State {
        let ids: Vec<(Seq, EventId, &Event)> =
            events.iter().zip(1u8..).map(|(e, i)| (Seq::from(i), EventId([i; 32]), e)).collect();
        derive_state(item, ids, None, &mut |_, _, _| Ok(false)).unwrap()
    }

    fn disposed(t: i64, d: Disposition) -> Event {
        let mut e = ev(EventType::Object, t, Action::Observe);
        e.disposition = Some(d);
        e
    }

    #[test]
    fn a_terminal_state_stays_terminal_until_recommissioned() {
        let item = id("urn:epc:id:sgtin:0614141.107346.1");
        let add = ev(EventType::Object, 1, Action::Add);
        // The demo's defect: a recall after destruction showed `retired: false`.
        let s =
            fold_all(&item, &[add.clone(), disposed(2, Disposition::Destroyed), disposed(3, Disposition::Recalled)]);
        assert_eq!((s.disposition, s.retired), (Some(Disposition::Recalled), true));
        // The same after a decommissioning DELETE, and whatever non-terminal word follows.
        let del = ev(EventType::Object, 2, Action::Delete);
        let s = fold_all(&item, &[add.clone(), del.clone(), disposed(3, Disposition::InTransit)]);
        assert!(s.retired);
        // Re-commissioning (an ADD, say a refilled gas cylinder reissued under its code) revives ...
        let s = fold_all(&item, &[add.clone(), del, ev(EventType::Object, 3, Action::Add)]);
        assert!(!s.retired);
        // ... unless the ADD itself states a terminal disposition.
        let mut dead_add = ev(EventType::Object, 3, Action::Add);
        dead_add.disposition = Some(Disposition::Destroyed);
        let s = fold_all(&item, &[add.clone(), dead_add]);
        assert!(s.retired);
        // A non-terminal disposition on a live item leaves it live; a recall does not retire.
        let s = fold_all(&item, &[add, disposed(2, Disposition::Recalled)]);
        assert!(!s.retired);
    }
}
