//! The first step of ingest, before the writer lock: every event validated and encoded (frame, content id,
//! nodes), on two threads for a large batch.

use crate::event::frame;
use crate::event::id::{EventId, event_id};
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
        (first, h.join().unwrap_or_else(|_| Err(helper_panicked())))
    });
    let mut out = first?;
    out.extend(second?);
    Ok(out)
}

/// The stored frame and the content id of an event, encoding once when the event has no capture metadata.
fn frame_and_id(e: &Event) -> Result<(Vec<u8>, EventId), Error> {
    let f = frame::encode(e)?;
    if e.record_time.is_none() && e.event_id.is_none() && e.error_declaration.is_none() {
        let id = EventId(*blake3::hash(&f).as_bytes());
        Ok((f, id))
    } else {
        Ok((f, event_id(e)?))
    }
}

/// The error of a batch whose helper thread (preparing events or building records) panicked.
pub(super) fn helper_panicked() -> Error {
    Error::msg(ErrorKind::Panicked, "ingest: a preparation thread panicked (a bug; nothing was written)")
}
