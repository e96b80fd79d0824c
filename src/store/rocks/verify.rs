//! Integrity verification: [`TraceStore::verify`](crate::store::TraceStore::verify) of one node and
//! [`TraceStore::verify_all`](crate::store::TraceStore::verify_all) of everything.
//!
//! `verify_all` reads one snapshot (so it can run beside ingest) and every record of every column family, each
//! read through RocksDB's block checksums and checked against its own CRC:
//! 1. the log in order: sequence numbers, the checkpoint chain, every event it names (decoded, hashed to its
//!    id), every chain entry the event implies; and from each event, the `idx`, `edge` and `xform` records
//!    ingest derives from it, rebuilt by the same code ingest runs;
//! 2. every chain, node by node: links, inline frames, the state record against the fold of its events;
//! 3. the derived families, `idx`, `edge`, `xform` and `class`, record by record: each must be exactly one of
//!    the records rebuilt in pass 1 (compared as a multiset digest: a count and a sum of 128-bit BLAKE3 hashes
//!    of key and value, so the comparison takes no memory per record); the `event` family must hold exactly
//!    the logged events; the `default` family only its known keys (master data records each decoded);
//! 4. the counters (nodes, chain entries, edges) against what was counted;
//! 5. the index and filter blocks of every table file, by a read at each file's first key (the full scans of
//!    pass 3 read every data block but no filter; RocksDB reads past a filter it cannot load, as "may match",
//!    so a damaged filter costs speed, never answers).

use std::collections::HashSet;

use rocksdb::ReadOptions;

use super::admin::KNOWN_KEY;
use super::batch::Pending;
use super::error::io;
use super::events::EventRecord;
use super::ingest::Accepted;
use super::open::cfi;
use super::prepare::Prepared;
use super::reader::{Reader, View};
use super::{Store, durable};
use crate::code::TraceKey;
use crate::event::digest::{EventId, GENESIS, Link, chain_step, event_id};
use crate::event::frame;
use crate::event::{Event, Id};
use crate::store::derive;
use crate::store::keys::{self, CF_NAMES, COUNTERS_KEY, Cur, FORMAT_KEY, corrupt, seal, unseal};
use crate::store::known::KnownNodes;
use crate::store::state::Fold;
use crate::store::{BadRecord, LOG_GENESIS, Seq, VerifyReport, log_step};
use crate::{Error, ErrorKind};

/// What [`Store::scan_family`] hands each record to.
type Visit<'f> = dyn FnMut(&[u8], &[u8]) -> Result<(), Error> + 'f;

/// A multiset digest of records: equal digests mean equal multisets of (key, value) but for a 2^-128 chance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Digest {
    count: u64,
    sum: u128,
}

impl Digest {
    fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut h = blake3::Hasher::new();
        h.update(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(key);
        h.update(value);
        let mut b = [0u8; 16];
        b.copy_from_slice(h.finalize().as_bytes().get(..16).unwrap_or(&[0; 16]));
        self.count += 1;
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(b));
    }
}

/// The derived families whose records pass 1 rebuilds, by index in `CF_NAMES`. `xform` first: a missing
/// transformation record also changes the join edges rebuilt from it, and the report should name the cause.
const DERIVED: [(u8, &str); 3] = [(cfi::XFORM, "xform"), (cfi::IDX, "idx"), (cfi::EDGE, "edge")];

impl Store {
    /// [`TraceStore::verify`](crate::store::TraceStore::verify): one node's chain, links and state record.
    pub(super) fn verify_node(&self, id: &Id) -> Result<VerifyReport, Error> {
        let view = View::take(self);
        let mut r = VerifyReport::default();
        let node = keys::node_key(id);
        let mut it = self.db.raw_iterator_cf_opt(self.cf("chain")?, view.read_options(Self::prefix_read_options()));
        it.seek(&node);
        let mut link = GENESIS;
        let mut events = Vec::new();
        let bad = |seq: Option<Seq>, area: &'static str, e: &Error| BadRecord {
            area,
            node: Some(id.to_string()),
            seq,
            message: e.to_string(),
        };
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let Some(seq) = k.strip_prefix(node.as_slice()).and_then(|s| <[u8; 8]>::try_from(s).ok()) else { break };
            let seq = u64::from_be_bytes(seq);
            r.chains = 1;
            let checked = self.check_chain_entry(k, v, &view).and_then(|(stored, eid, ev)| {
                link = chain_step(&link, &eid);
                if link != stored {
                    return Err(corrupt("chain", "hash-chain link does not match"));
                }
                events.extend(ev.map(|e| (seq, eid, e)));
                Ok(())
            });
            if let Err(e) = checked {
                if e.kind() != ErrorKind::Corrupt {
                    return Err(e);
                }
                r.first_bad = Some(bad(Some(seq), "chain", &e));
                return Ok(r);
            }
            r.chain_entries += 1;
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        let sk = keys::state_key(&node);
        let record = match (it.key(), it.value()) {
            (Some(k), Some(v)) if k == sk.as_slice() => Some((k, v)),
            _ => None,
        };
        let checked = match (r.chain_entries, record) {
            (0, None) => Ok(()),
            (0, Some(_)) => Err(corrupt("state", "a state record without a chain")),
            _ => self.check_state(&node, record, link, &events, &view),
        };
        if let Err(e) = checked {
            if e.kind() != ErrorKind::Corrupt {
                return Err(e);
            }
            r.first_bad = Some(bad(None, "state", &e));
        }
        Ok(r)
    }

    /// [`TraceStore::verify_all`](crate::store::TraceStore::verify_all): every record of every family (see the module docs). Damage met inside a
    /// step that reports it as an error (a record read to rebuild another) is reported like any other, naming
    /// the family of the damaged record.
    pub(super) fn verify_everything(&self) -> Result<VerifyReport, Error> {
        match self.verify_passes() {
            Err(e) if e.kind() == ErrorKind::Corrupt => Ok(VerifyReport {
                first_bad: Some(store_wide(damaged_area(e.message()), e.to_string())),
                ..VerifyReport::default()
            }),
            other => other,
        }
    }

    #[allow(clippy::too_many_lines, reason = "the passes over the store, each read top to bottom")]
    fn verify_passes(&self) -> Result<VerifyReport, Error> {
        let view = View::take(self);
        let mut r = VerifyReport::default();
        // What pass 1 rebuilds: the derived families' digests, the class entries of lot memberships (a set: two
        // events may name the same membership), the edges counted as ingest counts them.
        let mut want = [Digest::default(); 3];
        let mut lots: HashSet<(Vec<u8>, Vec<u8>)> = HashSet::new();
        let mut edges = 0u64;
        // Sequence numbers event records name as their declaration's log entry, not yet met in the log.
        let mut declarations: HashSet<Seq> = HashSet::new();
        // 1. The log and its checkpoint chain, every event record it names, and that event's chain entries.
        let chain_cf = self.cf("chain")?;
        let mut expected_entries = 0u64;
        let mut h = LOG_GENESIS;
        let mut expect = 1;
        {
            let mut it = self.db.raw_iterator_cf_opt(self.cf("log")?, view.read_options(Self::scan_read_options()));
            it.seek_to_first();
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                let seq = u64::from_be_bytes(k.try_into().unwrap_or([0; 8]));
                let bad = |m: String| BadRecord { area: "log", node: None, seq: Some(seq), message: m };
                let bad_event = |m: String| BadRecord { area: "event", node: None, seq: Some(seq), message: m };
                if seq != expect {
                    r.first_bad = Some(bad(format!("sequence {seq} where {expect} was expected")));
                    return Ok(r);
                }
                let body = match unseal(k, v, "log") {
                    Ok(b) => b,
                    Err(e) => {
                        r.first_bad = Some(bad(e.to_string()));
                        return Ok(r);
                    }
                };
                let mut c = Cur::new(body, "log");
                let id = c.event_id()?;
                let stored = Link(c.arr()?);
                h = log_step(&h, seq, &id);
                if stored != h {
                    r.first_bad = Some(bad("log hash does not match the recomputed checkpoint chain".into()));
                    return Ok(r);
                }
                let home = match super::events::log_home(body) {
                    Ok(h) => h,
                    Err(e) => {
                        r.first_bad = Some(bad(e.to_string()));
                        return Ok(r);
                    }
                };
                r.log_entries += 1;
                let stored = match self.frames(&[id], Some(&view)) {
                    Ok(mut f) => f.pop().flatten(),
                    Err(e) => {
                        r.first_bad = Some(bad_event(e.to_string()));
                        return Ok(r);
                    }
                };
                match stored {
                    None => {
                        r.first_bad = Some(bad_event("missing".to_owned()));
                        return Ok(r);
                    }
                    Some(f) => match frame::decode(&f.frame) {
                        Err(e) => {
                            r.first_bad = Some(bad_event(e.to_string()));
                            return Ok(r);
                        }
                        Ok(e) if event_id(&e).ok() != Some(id) || f.seq > seq => {
                            r.first_bad = Some(bad_event("stored event does not hash to its id".to_owned()));
                            return Ok(r);
                        }
                        // A later log entry for a stored event is only its error declaration, at the seq its
                        // record names: the event itself was checked at its own entry.
                        Ok(e) if f.seq < seq => {
                            declarations.remove(&seq);
                            if f.declared != Some(seq) || e.error_declaration.is_none() {
                                r.first_bad = Some(bad(format!(
                                    "a second log entry for the event of seq {}, which names no error declaration \
                                     logged here",
                                    f.seq
                                )));
                                return Ok(r);
                            }
                        }
                        Ok(e) => {
                            if f.declared.is_some() && e.error_declaration.is_none() {
                                r.first_bad = Some(bad_event(
                                    "declared erroneous, but the stored frame has no declaration".to_owned(),
                                ));
                                return Ok(r);
                            }
                            if let Some(d) = f.declared {
                                if d <= seq {
                                    r.first_bad = Some(bad_event(format!(
                                        "its record names declaration entry {d}, which is not after the event"
                                    )));
                                    return Ok(r);
                                }
                                declarations.insert(d);
                            }
                            // A home node the log names is where the event record says the frame is (checked once
                            // the event record itself is sound, so damage there is reported there).
                            if let Some(node) = home {
                                let rec = self
                                    .db
                                    .get_pinned_cf_opt(
                                        self.cf("event")?,
                                        id.0,
                                        &view.read_options(ReadOptions::default()),
                                    )
                                    .map_err(|e| io(&e))?;
                                let at_home =
                                    rec.as_deref().and_then(|rv| EventRecord::parse(&id, rv).ok()).is_some_and(
                                        |er| matches!(er.home, super::events::RecordHome::Chain(n) if n == node),
                                    );
                                if !at_home {
                                    r.first_bad = Some(bad(
                                        "the home node the log names is not where the event's frame is".into(),
                                    ));
                                    return Ok(r);
                                }
                            }
                            r.events += 1;
                            // Every node the event is about must hold a chain entry for it, and every copy of
                            // an inline frame must be the event's frame (a declaration rewrites them all).
                            for n in derive::nodes(&e) {
                                let mut ck = keys::node_key(n);
                                ck.extend_from_slice(&seq.to_be_bytes());
                                expected_entries += 1;
                                let entry = self
                                    .db
                                    .get_pinned_cf_opt(chain_cf, &ck, &view.read_options(ReadOptions::default()))
                                    .map_err(|e| io(&e))?;
                                let problem = match entry.as_deref().map(|v| unseal(&ck, v, "chain")) {
                                    None => Some("the log's event has no entry in this node's chain".to_owned()),
                                    Some(Err(e)) => Some(e.to_string()),
                                    Some(Ok(body)) => (body.first().is_some_and(|flags| flags & 1 == 1)
                                        && body.get(65..) != Some(&f.frame[..]))
                                    .then(|| "an inline copy of the event's frame differs from the event's".to_owned()),
                                };
                                if let Some(message) = problem {
                                    r.first_bad = Some(BadRecord {
                                        area: "chain",
                                        node: Some(n.to_uri(crate::event::IdForm::KeyText)),
                                        seq: Some(seq),
                                        message,
                                    });
                                    return Ok(r);
                                }
                            }
                            // The records ingest derives from the event, rebuilt by the same code.
                            let mut p = Pending::new((Vec::new(), Vec::new()), 1, [0; 3]);
                            let prepared =
                                [Prepared { frame: f.frame, id, declared: f.declared, nodes: derive::nodes(&e) }];
                            let accepted = [Accepted { i: 0, seq, log_hash: h }];
                            self.event_records(&mut p, std::slice::from_ref(&e), &prepared, &accepted, Some(&view))?;
                            for entry in &p.entries {
                                if let Some(i) = DERIVED.iter().position(|(cf, _)| *cf == entry.cf)
                                    && let Some(d) = want.get_mut(i)
                                {
                                    d.add(p.slice(entry.key), p.slice(entry.value));
                                }
                            }
                            edges += p.counters[2];
                            for (lot, inst) in derive::memberships(&e) {
                                if let Some(m) = TraceKey::lot_member_key(&lot, &inst) {
                                    let key = [&[keys::class::LOT][..], &m[..]].concat();
                                    let mut v = inst.as_bytes().to_vec();
                                    seal(&key, &mut v);
                                    lots.insert((key, v));
                                }
                            }
                        }
                    },
                }
                expect += 1;
                it.next();
            }
            it.status().map_err(|e| io(&e))?;
        }
        if let Some(d) = declarations.iter().min() {
            r.first_bad = Some(BadRecord {
                area: "event",
                node: None,
                seq: Some(*d),
                message: "an event record names this log entry as its error declaration, which it is not".into(),
            });
            return Ok(r);
        }
        // 2. Every chain, node by node, and its state record (the last key of the node). The saved known-node
        // filter (what the next open starts from) must hold every node whose chain began by the seq it covers.
        let saved = match self.db.get_pinned_opt(KNOWN_KEY, &view.read_options(ReadOptions::default())) {
            Ok(Some(v)) => {
                let mut c = Cur::new(unseal(KNOWN_KEY, &v, "known-node filter")?, "known-node filter");
                let seq = c.u64()?;
                Some((seq, KnownNodes::decode(c.rest())?))
            }
            Ok(None) => None,
            Err(e) => return Err(io(&e)),
        };
        let mut first_entry = false;
        let mut class_want = Digest::default();
        let mut it = self.db.raw_iterator_cf_opt(self.cf("chain")?, view.read_options(Self::scan_read_options()));
        it.seek_to_first();
        let mut current: Option<Vec<u8>> = None;
        let mut link = GENESIS;
        let mut events = Vec::new();
        let mut has_record = true;
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let node = keys::node_prefix(k);
            let suffix = k.get(node.len()..).unwrap_or_default();
            let seq = <[u8; 8]>::try_from(suffix).ok().map(u64::from_be_bytes);
            if current.as_deref() != Some(node) {
                if !has_record {
                    r.first_bad = Some(no_state_record(current.as_deref()));
                    return Ok(r);
                }
                if !self.known.may_contain(node) {
                    // A node the filter does not know would resolve as "never seen".
                    r.first_bad = Some(BadRecord {
                        area: "known",
                        node: Some(hex_node(node)),
                        seq: None,
                        message: "the known-node filter does not hold this stored node".into(),
                    });
                    return Ok(r);
                }
                // A GTIN instance has a class entry (written when its chain began).
                if let Some(body) = node.get(1..).filter(|b| b.first().is_some_and(|&f| f < 0xFE))
                    && let Ok(k) = TraceKey::from_bytes(body)
                    && k.gtin_class().is_some()
                    && k.kind() == crate::code::KeyKind::Instance
                {
                    let key = [&[keys::class::GTIN][..], body].concat();
                    let mut v = body.to_vec();
                    seal(&key, &mut v);
                    class_want.add(&key, &v);
                }
                current = Some(node.to_vec());
                first_entry = true;
                link = GENESIS;
                events.clear();
                has_record = false;
                r.chains += 1;
            }
            let bad = |area, m: String| BadRecord { area, node: Some(hex_node(node)), seq, message: m };
            let Some(seq) = seq else {
                let checked = if suffix == keys::STATE_SUFFIX && !events.is_empty() {
                    self.check_state(node, Some((k, v)), link, &events, &view)
                } else {
                    Err(corrupt("state", "a record without a chain, or an unknown key"))
                };
                if let Err(e) = checked {
                    r.first_bad = Some(bad("state", e.to_string()));
                    return Ok(r);
                }
                has_record = true;
                it.next();
                continue;
            };
            if std::mem::take(&mut first_entry)
                && let Some((covered, filter)) = &saved
                && seq <= *covered
                && !filter.may_contain(node)
            {
                r.first_bad = Some(bad("known", "the saved known-node filter does not hold this node".into()));
                return Ok(r);
            }
            // The inline frame must be the event its id names (a forged frame with the right link and id
            // would otherwise be served by `resolve`); events stored outside the chain are read for the state
            // check (the log pass checked them against their ids).
            let (stored, id, ev) = match self.check_chain_entry(k, v, &view) {
                Ok(x) => x,
                Err(e) => {
                    r.first_bad = Some(bad("chain", e.to_string()));
                    return Ok(r);
                }
            };
            link = chain_step(&link, &id);
            if link != stored {
                r.first_bad = Some(bad("chain", "hash-chain link does not match".into()));
                return Ok(r);
            }
            events.extend(ev.map(|e| (seq, id, e)));
            r.chain_entries += 1;
            it.next();
        }
        it.status().map_err(|e| io(&e))?;
        if !has_record {
            r.first_bad = Some(no_state_record(current.as_deref()));
            return Ok(r);
        }
        if r.chain_entries != expected_entries {
            r.first_bad = Some(store_wide(
                "chain",
                format!("{} chain entries stored, the log implies {expected_entries}", r.chain_entries),
            ));
            return Ok(r);
        }
        r.edges = edges;
        // 3. The derived families, record by record, against what the events imply.
        for (i, (cf, name)) in DERIVED.into_iter().enumerate() {
            let mut got = Digest::default();
            if let Some(bad) = self.scan_family(name, &view, &mut |k, v| {
                unseal(k, v, name)?;
                got.add(k, v);
                Ok(())
            })? {
                r.first_bad = Some(bad);
                return Ok(r);
            }
            let want = want.get(i).copied().unwrap_or_default();
            if got != want {
                r.first_bad = Some(differs(name, got, want));
                return Ok(r);
            }
            debug_assert_eq!(CF_NAMES.get(usize::from(cf)), Some(&name));
        }
        let mut got = Digest::default();
        if let Some(bad) = self.scan_family("class", &view, &mut |k, v| {
            unseal(k, v, "class")?;
            got.add(k, v);
            Ok(())
        })? {
            r.first_bad = Some(bad);
            return Ok(r);
        }
        for (key, value) in &lots {
            class_want.add(key, value);
        }
        if got != class_want {
            r.first_bad = Some(differs("class", got, class_want));
            return Ok(r);
        }
        // The `event` family holds exactly the logged events (pass 1 found each one).
        let mut stored_events = 0u64;
        if let Some(bad) = self.scan_family("event", &view, &mut |k, v| {
            let id = EventId(k.try_into().map_err(|_| corrupt("event", "key length"))?);
            EventRecord::parse(&id, v)?;
            stored_events += 1;
            Ok(())
        })? {
            r.first_bad = Some(bad);
            return Ok(r);
        }
        if stored_events != r.events {
            r.first_bad =
                Some(store_wide("event", format!("{stored_events} event records stored, the log names {}", r.events)));
            return Ok(r);
        }
        // The `default` family: the format marker, the counters, the known-node filter, the "has had a mark"
        // record, loss records.
        let mut counters = None;
        if let Some(bad) = self.scan_family("default", &view, &mut |k, v| {
            if k == COUNTERS_KEY {
                let mut c = Cur::new(unseal(k, v, "counters")?, "counters");
                counters = Some([c.u64()?, c.u64()?, c.u64()?]);
            } else if k == FORMAT_KEY || k == KNOWN_KEY || k == durable::MARKED_KEY {
                unseal(k, v, "default")?;
            } else if k.starts_with(durable::LOSS_PREFIX) {
                durable::Loss::decode(k, v)?;
            } else if k.starts_with(super::masterdata::VOCAB_PREFIX) {
                super::masterdata::decode(k, v)?;
            } else {
                return Err(corrupt("default", "an unknown key"));
            }
            Ok(())
        })? {
            r.first_bad = Some(bad);
            return Ok(r);
        }
        // 4. The counters.
        let counted = [r.chains, r.chain_entries, edges];
        if counters.unwrap_or_default() != counted && (r.log_entries > 0 || counters.is_some()) {
            r.first_bad = Some(store_wide(
                "counters",
                format!(
                    "the counters say (nodes, chain entries, edges) = {:?}, the store holds {counted:?}",
                    counters.unwrap_or_default()
                ),
            ));
            return Ok(r);
        }
        // 5. Every table file's filter and index blocks.
        if let Some(bad) = self.touch_table_files(&view)? {
            r.first_bad = Some(bad);
        }
        Ok(r)
    }

    /// Reads every record of family `name` as of `view` (every data block through its checksum) into `f`.
    /// Damage, found by RocksDB or by `f` ([`ErrorKind::Corrupt`]), is the returned record; other failures are
    /// errors.
    fn scan_family(&self, name: &'static str, view: &View<'_>, f: &mut Visit<'_>) -> Result<Option<BadRecord>, Error> {
        let cf = if name == "default" { None } else { Some(self.cf(name)?) };
        let ro = view.read_options(Self::scan_read_options());
        let mut it = match cf {
            Some(cf) => self.db.raw_iterator_cf_opt(cf, ro),
            None => self.db.raw_iterator_opt(ro),
        };
        it.seek_to_first();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            match f(k, v) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Corrupt => {
                    return Ok(Some(BadRecord {
                        area: name,
                        node: Some(hex_key(k)),
                        seq: None,
                        message: e.to_string(),
                    }));
                }
                Err(e) => return Err(e),
            }
            it.next();
        }
        match it.status().map_err(|e| io(&e)) {
            Err(e) if e.kind() == ErrorKind::Corrupt => Ok(Some(store_wide(name, e.to_string()))),
            Err(e) => Err(e),
            Ok(()) => Ok(None),
        }
    }

    /// Loads the index and filter blocks of every table file (through their checksums) by reading each file's
    /// first key: a full scan reads data blocks only.
    fn touch_table_files(&self, view: &View<'_>) -> Result<Option<BadRecord>, Error> {
        let files = self.db.live_files().map_err(|e| io(&e))?;
        for f in files {
            let Some(start) = &f.start_key else { continue };
            let name = CF_NAMES.iter().copied().find(|n| *n == f.column_family_name);
            let ro = view.read_options(ReadOptions::default());
            let got = match name {
                Some(n) => {
                    let cf = self.cf(n)?;
                    // The prefix families filter by node prefix: a seek loads the filter, a get may not.
                    let mut it = self.db.raw_iterator_cf_opt(cf, view.read_options(Self::prefix_read_options()));
                    it.seek(start);
                    it.status().and_then(|()| self.db.get_pinned_cf_opt(cf, start, &ro).map(|_| ()))
                }
                None => self.db.get_pinned_opt(start, &ro).map(|_| ()),
            };
            if let Err(e) = got.map_err(|e| io(&e)) {
                if e.kind() != ErrorKind::Corrupt {
                    return Err(e);
                }
                let area = name.unwrap_or("default");
                return Ok(Some(store_wide(area, format!("table file {}: {e}", f.name))));
            }
        }
        Ok(None)
    }

    /// Checks one chain record: its CRC, and that its event (the inline frame, decoded in full, or the record in
    /// `event` as of `view`) hashes to the entry's id. Returns (stored link, event id, event).
    fn check_chain_entry(&self, k: &[u8], v: &[u8], view: &View<'_>) -> Result<(Link, EventId, Option<Event>), Error> {
        let mut c = Cur::new(unseal(k, v, "chain")?, "chain");
        let flags = c.u8()?;
        let link = Link(c.arr()?);
        let id = c.event_id()?;
        let ev = if flags & 1 == 1 {
            Some(frame::decode(c.rest()).map_err(|x| corrupt("chain", &x.to_string()))?)
        } else {
            Some(
                self.fetch_events(&[id], Some(view))?
                    .pop()
                    .map(|(_, _, e)| e)
                    .ok_or_else(|| corrupt("event", "missing"))?,
            )
        };
        if let Some(ev) = &ev
            && event_id(ev)? != id
        {
            return Err(corrupt("chain", "the event does not hash to the id in its chain entry"));
        }
        Ok((link, id, ev))
    }

    /// Checks a node's state record against its chain: the head must be the last link and the fold must be
    /// the one its events give. `events` are the node's (seq, id, event) in record order.
    fn check_state(
        &self,
        node: &[u8],
        record: Option<(&[u8], &[u8])>,
        link: Link,
        events: &[(Seq, EventId, Event)],
        view: &View<'_>,
    ) -> Result<(), Error> {
        let Some((k, v)) = record else { return Err(corrupt("state", "the chain has no state record")) };
        let (head, fold) = keys::decode_state(unseal(k, v, "state")?)?;
        if head != link {
            return Err(corrupt("state", "the state record's head is not the chain's last link"));
        }
        let id = Reader::chain_node(node, events)?;
        let mut reader = Reader::new(self, Some(view.clone()));
        let want = Fold::materialised(&id, events.iter().map(|(q, i, e)| (*q, *i, e)), &mut |c, t, q| {
            reader.unpacked_after(c, t, q, None)
        })?;
        // A store of an older format opened read-only keeps the states its writer's rules gave (reads re-derive
        // them, see `Store::stale_states`); only the head is compared then.
        if want != fold && !self.stale_states {
            return Err(corrupt("state", "the materialised state differs from the state the chain gives"));
        }
        Ok(())
    }
}

/// A fault of a whole family or count rather than of one record.
fn store_wide(area: &'static str, message: impl Into<String>) -> BadRecord {
    BadRecord { area, node: None, seq: None, message: message.into() }
}

/// The report of a derived family whose records are not the ones the events imply.
fn differs(area: &'static str, got: Digest, want: Digest) -> BadRecord {
    store_wide(
        area,
        if got.count == want.count {
            format!("{} records, as the events imply, but not the records they imply", got.count)
        } else {
            format!("{} records stored, the events imply {}", got.count, want.count)
        },
    )
}

/// The family (or record kind) a [`corrupt`] error's message names, for the report's area.
fn damaged_area(message: &str) -> &'static str {
    const AREAS: [&str; 13] = [
        "event",
        "log",
        "chain",
        "edge",
        "idx",
        "class",
        "xform",
        "state",
        "counters",
        "format",
        "default",
        "known-node filter",
        "loss record",
    ];
    let what = message.strip_prefix("stored ").and_then(|m| m.split(" record is damaged").next()).unwrap_or("");
    AREAS.iter().copied().find(|a| *a == what).unwrap_or("store")
}

/// A record key as hex, at most 64 bytes of it (for reports about records that do not decode).
fn hex_key(k: &[u8]) -> String {
    crate::hex::encode(k.get(..64).unwrap_or(k))
}

/// The report of a chain whose state record is missing.
fn no_state_record(node: Option<&[u8]>) -> BadRecord {
    BadRecord { area: "state", node: node.map(hex_node), seq: None, message: "the chain has no state record".into() }
}

/// A node key as hex (for reports about damaged records whose key may not decode).
fn hex_node(node: &[u8]) -> String {
    let body = node.get(1..).unwrap_or_default();
    match TraceKey::from_bytes(body) {
        Ok(k) => k.to_string(),
        Err(_) => body.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        }),
    }
}
