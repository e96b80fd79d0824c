//! The first step of ingest, before the writer lock: every event validated and encoded (frame, content id,
//! nodes), on two threads for a large batch.

use crate::event::digest::{EventId, event_id};
use crate::event::frame;
use crate::event::{Event, Id};
use crate::store::keys::INLINE_FRAME_MAX;
use crate::store::{Seq, derive};
use crate::{Error, ErrorKind};

/// Batches of at least this many events prepare on two threads (below it a thread costs more than it saves).
pub(super) const PARALLEL_MIN: usize = 256;

/// An event of a batch, validated and encoded.
pub(super) struct Prepared<'e> {
    pub(super) frame: Vec<u8>,
    pub(super) id: EventId,
    /// The seq of an error declaration of this event later in the same batch.
    pub(super) declared: Option<Seq>,
    /// The nodes the event is about ([`derive::nodes`]), in the order their chain entries are written.
    pub(super) nodes: Vec<&'e Id>,
}

impl Prepared<'_> {
    /// Whether the frame goes inline into the event's chain entries. The one rule for both record builders:
    /// the `event` record points at the first node's entry exactly when that entry holds the frame.
    pub(super) fn inline(&self) -> bool {
        self.frame.len() <= INLINE_FRAME_MAX
    }
}

/// Validates every event and encodes its frame, content id and nodes, in batch order (on two threads for a
/// large batch); the first invalid event is the error.
pub(super) fn prepare(events: &[Event]) -> Result<Vec<Prepared<'_>>, Error> {
    fn run(from: usize, part: &[Event]) -> Result<Vec<Prepared<'_>>, Error> {
        let mut out = Vec::with_capacity(part.len());
        for (j, e) in part.iter().enumerate() {
            crate::store::memory::validate_in_batch(e, from + j)?;
            let (frame, id) = frame_and_id(e)?;
            out.push(Prepared { frame, id, declared: None, nodes: derive::nodes(e) });
        }
        Ok(out)
    }
    if events.len() < PARALLEL_MIN {
        return run(0, events);
    }
    let half = events.len() / 2;
    let (a, b) = events.split_at(half);
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| run(half, b));
        let first = run(0, a);
        (first, join_helper(h))
    });
    let mut out = first?;
    out.extend(second?);
    Ok(out)
}

/// The stored frame and the content id of an event, encoding once when the event has no capture metadata.
fn frame_and_id(e: &Event) -> Result<(Vec<u8>, EventId), Error> {
    let f = frame::encode(e)?;
    if e.record_time.is_none() && e.epcis_event_id.is_none() && e.error_declaration.is_none() {
        let id = EventId(*blake3::hash(&f).as_bytes());
        Ok((f, id))
    } else {
        Ok((f, event_id(e)?))
    }
}

/// The result of a batch's helper thread (preparing events or building records): [`ErrorKind::Panicked`] if it
/// panicked, a bug that leaves nothing written (helpers run before the commit).
pub(super) fn join_helper<T>(h: std::thread::ScopedJoinHandle<'_, Result<T, Error>>) -> Result<T, Error> {
    h.join().unwrap_or_else(|_| {
        Err(Error::msg(ErrorKind::Panicked, "ingest: a preparation thread panicked (a bug; nothing was written)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_helper_is_a_panicked_error() {
        let r: Result<(), Error> =
            std::thread::scope(|s| join_helper(s.spawn(|| panic!("a bug in a helper (as the test wants)"))));
        let e = r.unwrap_err();
        assert_eq!((e.kind(), e.offset(), e.is_input()), (ErrorKind::Panicked, None, false));
        assert!(!e.to_string().contains("(at byte"), "{e}");
        // A helper that finished hands its result through.
        assert_eq!(std::thread::scope(|s| join_helper(s.spawn(|| Ok::<_, Error>(7)))), Ok(7));
    }
}
