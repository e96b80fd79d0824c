//! Answering a query from a set of candidate events: test each, sort the matches, cut the page. The in-memory
//! store answers every query this way over all its events; the RocksDB store does so over the candidates of a
//! plan that materialises them (identifier chains, an event id).

use super::matcher::Prepared;
use super::order::{SortKey, compare};
use super::{EventPage, EventQuery, MasterDataView, QueryCursor, QueryEvent};
use crate::event::Event;
use crate::event::digest::EventId;
use crate::store::Seq;
use crate::{Error, ErrorKind};

/// The page of `q` over `events` (each tested; any order; no event twice).
pub(crate) fn run_naive<'e>(
    q: &EventQuery,
    md: &dyn MasterDataView,
    events: impl IntoIterator<Item = (Seq, EventId, &'e Event)>,
) -> Result<EventPage, Error> {
    run_prepared(q, &Prepared::new(q, md), events)
}

/// [`run_naive`] with the query already prepared: the page of the events that match, `examined` counting
/// every event given.
pub(crate) fn run_prepared<'e>(
    q: &EventQuery,
    prepared: &Prepared<'_>,
    events: impl IntoIterator<Item = (Seq, EventId, &'e Event)>,
) -> Result<EventPage, Error> {
    let (by, _) = q.order();
    let mut examined = 0u64;
    let mut hits: Vec<(SortKey, EventId, &Event)> = Vec::new();
    for (seq, id, e) in events {
        examined += 1;
        if prepared.matches(e) {
            hits.push((by.key(e, seq), id, e));
        }
    }
    let mut page = finish(q, hits.into_iter().map(|(k, id, e)| (k, id, e.clone())).collect())?;
    page.examined = examined;
    Ok(page)
}

/// The page of `q` from all of its matches (unsorted): sorted, resumed after the cursor, limited.
pub(crate) fn finish(q: &EventQuery, mut hits: Vec<(SortKey, EventId, Event)>) -> Result<EventPage, Error> {
    let (_, dir) = q.order();
    if q.after.is_none()
        && let Some(max) = q.max_event_count
        && u64::try_from(hits.len()).unwrap_or(u64::MAX) > max
    {
        return Err(too_large(max));
    }
    hits.sort_by(|a, b| compare(&a.0, &b.0, dir));
    let after = q.after.as_ref().map(|c| (c.key.clone(), c.seq));
    let start = after.map_or(0, |a| hits.partition_point(|h| compare(&h.0, &a, dir).is_le()));
    let returned = q.after.as_ref().map_or(0, |c| c.returned);
    let room = page_room(q, returned);
    let rest = hits.len().saturating_sub(start);
    let take = rest.min(room);
    let more = rest > take && limit_left(q, returned + take as u64);
    let events: Vec<QueryEvent> =
        hits.into_iter().skip(start).take(take).map(|((_, seq), id, event)| QueryEvent { seq, id, event }).collect();
    let next = if more { cursor_after(q, &events, returned) } else { None };
    Ok(EventPage { events, next, examined: 0 })
}

/// Events this page may hold: the page size, less what `eventCountLimit` has already used.
pub(crate) fn page_room(q: &EventQuery, returned: u64) -> usize {
    let page = q.page_size.max(1);
    match q.event_count_limit {
        Some(l) => page.min(usize::try_from(l.saturating_sub(returned)).unwrap_or(usize::MAX)),
        None => page,
    }
}

/// Whether `eventCountLimit` leaves room after `returned` events.
pub(crate) fn limit_left(q: &EventQuery, returned: u64) -> bool {
    q.event_count_limit.is_none_or(|l| returned < l)
}

/// The cursor after the last event of a page.
pub(crate) fn cursor_after(q: &EventQuery, events: &[QueryEvent], returned: u64) -> Option<QueryCursor> {
    let (by, _) = q.order();
    events.last().map(|last| {
        let (key, seq) = by.key(&last.event, last.seq);
        QueryCursor { key, seq, returned: returned + events.len() as u64 }
    })
}

/// `QueryTooLargeException`.
pub(crate) fn too_large(max: u64) -> Error {
    Error::msg(ErrorKind::QueryTooLarge, format!("the query matches more than maxEventCount = {max} events"))
}
