//! Error declarations (EPCIS 2.0: an event re-captured with an `errorDeclaration`) of events stored by an
//! earlier batch or earlier in the same one: where the declared event's frame lives, and the records that
//! attach the declaration to it (see `docs/STORE.md`).

use rocksdb::ReadOptions;

use super::Store;
use super::batch::Pending;
use super::error::io;
use super::events::{EventRecord, RecordHome, put_event_record};
use super::open::cfi;
use super::prepare::Prepared;
use crate::event::Event;
use crate::event::digest::{EventId, Link};
use crate::event::frame;
use crate::store::keys::{self, Cur, corrupt, unseal};
use crate::store::{Seq, derive};
use crate::{Error, ErrorKind};

/// An error declaration of the batch ([`Outcome::Declared`](crate::store::Outcome::Declared)): the declaring
/// event's index in the batch, its log entry's seq and log hash, and the event it declares erroneous.
pub(super) struct Declared {
    pub(super) i: usize,
    pub(super) seq: Seq,
    pub(super) log_hash: Link,
    pub(super) target: Target,
}

/// The event an error declaration is attached to.
pub(super) enum Target {
    /// Accepted earlier in the same batch, at this index: its frame is re-encoded before any record is built.
    Batch(usize),
    /// Stored by an earlier batch: its frame is rewritten where it lives.
    Stored(Box<StoredEvent>),
}

/// A stored event, where its frame lives, and the nodes whose cached answers show it.
pub(super) struct StoredEvent {
    seq: Seq,
    home: FrameHome,
    pub(super) event: Event,
    pub(super) nodes: Vec<Vec<u8>>,
}

/// Where a stored frame lives (since format 3): in the `event` record, or inline in the event's chain entries.
enum FrameHome {
    Event,
    /// The node the `event` record points at, and each chain entry's key, flags and link (kept as they are
    /// when the frame is rewritten).
    Chain {
        first: Vec<u8>,
        entries: Vec<(Vec<u8>, u8, Link)>,
    },
}

/// The error for a declaration whose event, with the declaration attached, has no frame (too large).
pub(super) fn too_big_declared(i: usize, e: &Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        i,
        1,
        format!("event {i} of the batch declares a stored event that cannot be stored with the declaration: {e}"),
    )
}

impl Store {
    /// A stored event with the place its frame lives, for attaching an error declaration to it; `None` when
    /// it is not stored.
    pub(super) fn stored_event(&self, id: &EventId) -> Result<Option<StoredEvent>, Error> {
        let Some(v) = self.db.get_pinned_cf(self.cf("event")?, id.0).map_err(|e| io(&e))? else {
            return Ok(None);
        };
        let rec = EventRecord::parse(id, &v)?;
        // `frames` checks the pointer of an inline frame.
        let f = self
            .frames(std::slice::from_ref(id), None)?
            .pop()
            .flatten()
            .ok_or_else(|| corrupt("event", "an event vanished while it was read"))?;
        let event = frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?;
        let nodes: Vec<Vec<u8>> = derive::nodes(&event).into_iter().map(keys::node_key).collect();
        let RecordHome::Chain(first) = rec.home else {
            return Ok(Some(StoredEvent { seq: rec.seq, home: FrameHome::Event, event, nodes }));
        };
        // An inline frame is in the chain entry of every node of the event: each one is rewritten.
        let keys: Vec<Vec<u8>> = nodes.iter().map(|n| [&n[..], &rec.seq.to_be_bytes()[..]].concat()).collect();
        let got = self.db.batched_multi_get_cf_opt(self.cf("chain")?, keys.iter(), false, &ReadOptions::default());
        let mut entries = Vec::with_capacity(keys.len());
        for (key, v) in keys.into_iter().zip(got) {
            let v = v.map_err(|e| io(&e))?.ok_or_else(|| corrupt("chain", "an event's chain entry is missing"))?;
            let mut c = Cur::new(unseal(&key, &v, "chain")?, "chain");
            let flags = c.u8()?;
            let link = Link(c.arr()?);
            if c.event_id()? != *id {
                return Err(corrupt("chain", "a chain entry holds another event"));
            }
            if flags & 1 == 1 {
                entries.push((key, flags, link));
            }
        }
        let home = FrameHome::Chain { first: first.to_vec(), entries };
        Ok(Some(StoredEvent { seq: rec.seq, home, event, nodes }))
    }

    /// The records of the batch's error declarations: each one's log entry, and for an event stored earlier
    /// its `event` record (now naming the declaration's seq) and its frame rewritten where it lives, with the
    /// declaration (same keys, seq, id and links).
    pub(super) fn declaration_records(
        p: &mut Pending,
        events: &[Event],
        prepared: &[Prepared<'_>],
        declared: &[Declared],
    ) -> Result<(), Error> {
        for d in declared {
            let (Some(e), Some(Prepared { id, .. })) = (events.get(d.i), prepared.get(d.i)) else { continue };
            p.put(cfi::LOG, &d.seq.to_be_bytes(), &[&id.0[..], &d.log_hash.0[..]].concat());
            let Target::Stored(st) = &d.target else { continue };
            let mut merged = st.event.clone();
            merged.error_declaration.clone_from(&e.error_declaration);
            let fr = frame::encode(&merged).map_err(|x| too_big_declared(d.i, &x))?;
            match &st.home {
                FrameHome::Event => put_event_record(p, id, st.seq, Some(d.seq), RecordHome::Frame(&fr)),
                FrameHome::Chain { first, entries } => {
                    put_event_record(p, id, st.seq, Some(d.seq), RecordHome::Chain(first));
                    for (key, flags, link) in entries {
                        let k0 = p.arena.len();
                        p.arena.extend_from_slice(key);
                        let v0 = p.arena.len();
                        p.arena.push(*flags);
                        p.arena.extend_from_slice(&link.0);
                        p.arena.extend_from_slice(&id.0);
                        p.arena.extend_from_slice(&fr);
                        p.close(cfi::CHAIN, k0, v0);
                    }
                }
            }
        }
        p.sort();
        Ok(())
    }
}
