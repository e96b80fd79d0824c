//! The `event` family: the four forms of an event record (written and parsed; `docs/STORE.md`), and stored
//! events read by id, their frames taken from the record or from the chain entry it points at.

use std::collections::HashMap;

use rocksdb::ReadOptions;

use super::Store;
use super::batch::Pending;
use super::error::io;
use super::open::cfi;
use super::reader::View;
use crate::Error;
use crate::event::Event;
use crate::event::digest::EventId;
use crate::event::frame;
use crate::store::keys::{self, Cur, corrupt, unseal};
use crate::store::{Chain, ChainBuilder, Seq};

/// Where an `event` record says the frame is.
#[derive(Clone, Copy)]
pub(super) enum RecordHome<'a> {
    /// In the record: the frame.
    Frame(&'a [u8]),
    /// Inline in the chain entry `node ‖ seq` of this node.
    Chain(&'a [u8]),
}

/// An `event` record, parsed (the four forms of `docs/STORE.md`).
pub(super) struct EventRecord<'a> {
    pub(super) seq: Seq,
    declared: Option<Seq>,
    pub(super) home: RecordHome<'a>,
}

impl<'a> EventRecord<'a> {
    pub(super) fn parse(id: &EventId, v: &'a [u8]) -> Result<Self, Error> {
        let mut c = Cur::new(unseal(&id.0, v, "event")?, "event");
        let seq = c.u64()?;
        let form = c.u8()?;
        let declared = match form {
            keys::EVENT_FRAME_DECLARED | keys::EVENT_IN_CHAIN_DECLARED => Some(c.u64()?),
            _ => None,
        };
        let home = match form {
            keys::EVENT_FRAME | keys::EVENT_FRAME_DECLARED => RecordHome::Frame(c.rest()),
            keys::EVENT_IN_CHAIN | keys::EVENT_IN_CHAIN_DECLARED => {
                let node = c.rest();
                if node.is_empty() || keys::node_prefix(node).len() != node.len() {
                    return Err(corrupt("event", "malformed chain pointer"));
                }
                RecordHome::Chain(node)
            }
            _ => return Err(corrupt("event", "unknown record form")),
        };
        if declared.is_some_and(|d| d <= seq) {
            return Err(corrupt("event", "an error declaration logged before its event"));
        }
        Ok(Self { seq, declared, home })
    }
}

/// The frame's home node a `log` record names after the id and the checkpoint hash (records of events whose
/// frame is inline in a chain entry, written since the format-6 builds of this change); `None` for a record
/// without one.
///
/// # Errors
/// [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) for bytes after the hash that are not one whole node.
pub(super) fn log_home(body: &[u8]) -> Result<Option<&[u8]>, Error> {
    let rest = body.get(64..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(None);
    }
    if keys::node_prefix(rest).len() != rest.len() || rest.len() < 2 {
        return Err(corrupt("log", "malformed home node"));
    }
    Ok(Some(rest))
}

/// Writes an `event` record's value up to its frame or node: seq, form, and the declaration's seq.
pub(super) fn event_record_head(arena: &mut Vec<u8>, seq: Seq, in_chain: bool, declared: Option<Seq>) {
    arena.extend_from_slice(&seq.to_be_bytes());
    arena.push(match (in_chain, declared) {
        (false, None) => keys::EVENT_FRAME,
        (true, None) => keys::EVENT_IN_CHAIN,
        (false, Some(_)) => keys::EVENT_FRAME_DECLARED,
        (true, Some(_)) => keys::EVENT_IN_CHAIN_DECLARED,
    });
    if let Some(d) = declared {
        arena.extend_from_slice(&d.to_be_bytes());
    }
}

/// Lists an `event` record (the inverse of [`EventRecord::parse`]).
pub(super) fn put_event_record(p: &mut Pending, id: &EventId, seq: Seq, declared: Option<Seq>, home: RecordHome<'_>) {
    let k0 = p.arena.len();
    p.arena.extend_from_slice(&id.0);
    let v0 = p.arena.len();
    event_record_head(&mut p.arena, seq, matches!(home, RecordHome::Chain(_)), declared);
    match home {
        RecordHome::Frame(f) => p.arena.extend_from_slice(f),
        RecordHome::Chain(node) => p.arena.extend_from_slice(node),
    }
    p.close(cfi::EVENT, k0, v0);
}

/// The seq of an `event` family record (the duplicate check of ingest needs nothing else).
pub(super) fn event_record_seq(key: &[u8], v: &[u8]) -> Result<Seq, Error> {
    Cur::new(unseal(key, v, "event")?, "event").u64()
}

/// An event's stored frame, its seq, and the seq of its error declaration's log entry.
pub(super) struct StoredFrame {
    pub(super) seq: Seq,
    pub(super) declared: Option<Seq>,
    pub(super) frame: Vec<u8>,
}

impl Store {
    /// The stored frames of events by id, `None` for an id not stored: from the `event` record, or from the
    /// chain entry it points to (formats 3 and 4 store a frame of at most
    /// [`INLINE_FRAME_MAX`](keys::INLINE_FRAME_MAX) bytes once, in the chain of the event's first node). Two
    /// batched reads at most. A damaged record, or a pointer to a chain entry that is missing, is not inline, or
    /// names another event, is [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt).
    pub(super) fn frames(&self, ids: &[EventId], view: Option<&View<'_>>) -> Result<Vec<Option<StoredFrame>>, Error> {
        let ro = View::options(view, ReadOptions::default());
        let got = self.db.batched_multi_get_cf_opt(self.cf("event")?, ids.iter().map(|i| &i.0[..]), false, &ro);
        let mut out = Vec::with_capacity(ids.len());
        // (index in `out`, chain key) of the frames kept in chains.
        let mut in_chain: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, (id, r)) in ids.iter().zip(got).enumerate() {
            let Some(v) = r.map_err(|e| io(&e))? else {
                out.push(None);
                continue;
            };
            let rec = EventRecord::parse(id, &v)?;
            let frame = match rec.home {
                RecordHome::Frame(f) => f.to_vec(),
                RecordHome::Chain(node) => {
                    in_chain.push((i, [node, &rec.seq.to_be_bytes()[..]].concat()));
                    Vec::new()
                }
            };
            out.push(Some(StoredFrame { seq: rec.seq, declared: rec.declared, frame }));
        }
        for (i, frame) in self.inline_frames(&in_chain, ids, "event", &ro)? {
            if let Some(Some(f)) = out.get_mut(i) {
                f.frame = frame;
            }
        }
        Ok(out)
    }

    /// The inline frames of the chain entries `wanted` (index into `ids`, chain key), each checked to hold the
    /// event `ids` names there; a missing entry, one not inline or of another event is corruption of `area`
    /// (the record that pointed there).
    fn inline_frames(
        &self,
        wanted: &[(usize, Vec<u8>)],
        ids: &[EventId],
        area: &str,
        ro: &ReadOptions,
    ) -> Result<Vec<(usize, Vec<u8>)>, Error> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let got = self.db.batched_multi_get_cf_opt(self.cf("chain")?, wanted.iter().map(|(_, k)| &k[..]), false, ro);
        let mut out = Vec::with_capacity(wanted.len());
        for ((i, k), r) in wanted.iter().zip(got) {
            let v =
                r.map_err(|e| io(&e))?.ok_or_else(|| corrupt(area, "the chain entry holding the frame is missing"))?;
            let mut c = Cur::new(unseal(k, &v, "chain")?, "chain");
            let inline = c.u8()? & 1 == 1;
            c.arr::<32>()?;
            let id = c.event_id()?;
            if !inline || ids.get(*i) != Some(&id) {
                return Err(corrupt(area, "the chain entry it points to holds another event"));
            }
            out.push((*i, c.rest().to_vec()));
        }
        Ok(out)
    }

    /// Events by their log seqs (captured events: the seqs of their own log entries), decoded, with their ids,
    /// in the order given. A log record that names the frame's home is followed to the chain entry directly
    /// (one batched read of each family); the others are read by id ([`Self::fetch_events`]).
    pub(super) fn events_by_seq(&self, seqs: &[Seq], view: &View<'_>) -> Result<Vec<(EventId, Event)>, Error> {
        let log_keys: Vec<[u8; 8]> = seqs.iter().map(|s| s.to_be_bytes()).collect();
        let ro = view.read_options(ReadOptions::default());
        let got = self.db.batched_multi_get_cf_opt(self.cf("log")?, log_keys.iter(), false, &ro);
        let mut ids = Vec::with_capacity(seqs.len());
        // (index, chain key) of the events read through their home.
        let mut homes: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut by_id: Vec<usize> = Vec::new();
        for (i, (k, r)) in log_keys.iter().zip(got).enumerate() {
            let v = r.map_err(|e| io(&e))?.ok_or_else(|| corrupt("log", "an index entry names a seq the log lacks"))?;
            let body = unseal(k, &v, "log")?;
            ids.push(Cur::new(body, "log").event_id()?);
            match log_home(body)? {
                Some(node) => homes.push((i, [node, &k[..]].concat())),
                None => by_id.push(i),
            }
        }
        let mut out: Vec<Option<Event>> = vec![None; seqs.len()];
        for (i, frame) in self.inline_frames(&homes, &ids, "log", &ro)? {
            let e = frame::decode_stored(&frame).map_err(|x| corrupt("chain", &x.to_string()))?;
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(e);
            }
        }
        if !by_id.is_empty() {
            let want: Vec<EventId> = by_id.iter().filter_map(|&i| ids.get(i).copied()).collect();
            for (&i, (_, _, e)) in by_id.iter().zip(self.fetch_events(&want, Some(view))?) {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(e);
                }
            }
        }
        ids.into_iter()
            .zip(out)
            .map(|(id, e)| e.map(|e| (id, e)).ok_or_else(|| corrupt("log", "an event could not be read")))
            .collect()
    }

    /// Events by id, decoded, with their seq and the seq of their error declaration's log entry; every id
    /// must be stored.
    pub(super) fn fetch_events(
        &self,
        ids: &[EventId],
        view: Option<&View<'_>>,
    ) -> Result<Vec<(Seq, Option<Seq>, Event)>, Error> {
        self.frames(ids, view)?
            .into_iter()
            .map(|f| {
                let f = f.ok_or_else(|| corrupt("event", "an event the store refers to is missing"))?;
                Ok((f.seq, f.declared, frame::decode_stored(&f.frame).map_err(|x| corrupt("event", &x.to_string()))?))
            })
            .collect()
    }

    /// A copy of `chain` with the frames of the entries at `missing` (stored outside the chain) read from
    /// `event`.
    pub(super) fn fill_frames(
        &self,
        chain: &Chain,
        missing: &[usize],
        view: Option<&View<'_>>,
    ) -> Result<Chain, Error> {
        let ids: Vec<EventId> = missing.iter().filter_map(|&i| chain.entries().get(i).map(|e| e.id)).collect();
        let mut fetched = HashMap::with_capacity(ids.len());
        for (id, f) in ids.iter().zip(self.frames(&ids, view)?) {
            let f = f.ok_or_else(|| corrupt("event", "a chain entry names a missing event"))?;
            fetched.insert(*id, f.frame);
        }
        let mut b = ChainBuilder::with_capacity(chain.len(), chain.heap_bytes());
        for (i, e) in chain.entries().iter().enumerate() {
            let f = match fetched.get(&e.id) {
                Some(f) if missing.contains(&i) => f.as_slice(),
                _ => chain.frame(i).unwrap_or_default(),
            };
            b.push(e.seq, e.id, e.link, f)?;
        }
        Ok(b.build())
    }
}

#[cfg(test)]
mod tests {
    use super::cfi;

    /// Golden bytes of the four `event` record forms (docs/STORE.md): a change here is a format change. Each
    /// parses back to what was written.
    #[test]
    fn event_record_golden_bytes() {
        use super::{EventId, EventRecord, Pending, RecordHome, put_event_record};
        let id = EventId([7; 32]);
        let node: &[u8] = &[3, 0xAA, 0xBB, 0xCC];
        let frame: &[u8] = &[0xF7, 0x54, 1];
        let cases: [(Option<u64>, RecordHome<'_>, &[u8]); 4] = [
            (None, RecordHome::Frame(frame), &[0, 0, 0, 0, 0, 0, 0, 5, 0, 0xF7, 0x54, 1]),
            (None, RecordHome::Chain(node), &[0, 0, 0, 0, 0, 0, 0, 5, 1, 3, 0xAA, 0xBB, 0xCC]),
            (Some(9), RecordHome::Frame(frame), &[0, 0, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0, 9, 0xF7, 0x54, 1]),
            (
                Some(9),
                RecordHome::Chain(node),
                &[0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 0, 0, 0, 0, 0, 0, 9, 3, 0xAA, 0xBB, 0xCC],
            ),
        ];
        for (declared, home, body) in cases {
            let want_home = match home {
                RecordHome::Frame(f) => (false, f.to_vec()),
                RecordHome::Chain(n) => (true, n.to_vec()),
            };
            let mut p = Pending::new((Vec::new(), Vec::new()), 1, [0; 3]);
            put_event_record(&mut p, &id, 5, declared, home);
            let e = &p.entries[0];
            assert_eq!((e.cf, p.slice(e.key)), (cfi::EVENT, &id.0[..]));
            let crc = crc32fast::hash(&[&id.0[..], body].concat()).to_be_bytes();
            let value = p.slice(e.value);
            assert_eq!(value, [body, &crc[..]].concat());
            let rec = EventRecord::parse(&id, value).unwrap();
            let got_home = match rec.home {
                RecordHome::Frame(f) => (false, f.to_vec()),
                RecordHome::Chain(n) => (true, n.to_vec()),
            };
            assert_eq!((rec.seq, rec.declared, got_home), (5, declared, want_home));
        }
        // A declaration logged before its event is corruption, as is an unknown form.
        let mut p = Pending::new((Vec::new(), Vec::new()), 1, [0; 3]);
        put_event_record(&mut p, &id, 5, Some(5), RecordHome::Frame(frame));
        let e = &p.entries[0];
        assert_eq!(EventRecord::parse(&id, p.slice(e.value)).err().map(|e| e.kind()), Some(crate::ErrorKind::Corrupt));
        let body = [&5u64.to_be_bytes()[..], &[4]].concat();
        let v = [&body[..], &crc32fast::hash(&[&id.0[..], &body].concat()).to_be_bytes()[..]].concat();
        assert_eq!(EventRecord::parse(&id, &v).err().map(|e| e.kind()), Some(crate::ErrorKind::Corrupt));
    }
}
