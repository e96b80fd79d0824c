//! The durability mark: what the store has acknowledged, kept outside RocksDB's write-ahead log, so that a
//! recovery that comes back with less is refused instead of silently rolling acknowledged events back.
//!
//! RocksDB recovers a damaged or truncated write-ahead log to the last consistent point before the damage
//! (`PointInTime` recovery) and reports success: a flipped bit in a log holding the last hour of ingest gives
//! back a store that opens, verifies and answers, an hour short. The store therefore writes, at every
//! durability point (after the log is `fsync`ed), the [`Checkpoint`] it has reached to the file
//! [`MARK_FILE`] beside RocksDB's files, and on open compares it with the log it recovered:
//! - the recovered log ends before the mark: events were lost ([`ErrorKind::Corrupt`] naming the range);
//! - the recovered log's hash at the mark's sequence differs: history was rewritten (also `Corrupt`).
//!
//! The file is `magic (8) ‖ seq (8, big-endian) ‖ log hash (32) ‖ CRC-32 of the preceding bytes (4, big-endian)`,
//! replaced atomically (written to a temporary file, `fsync`ed, renamed over the mark, directory `fsync`ed).
//! A loss the operator accepts ([`crate::store::Options::accept_loss`]) is recorded in the store as a
//! [`Loss`] and the mark moves to what was recovered.

use std::io::Write;
use std::path::Path;

use super::error::os;
use crate::event::digest::Link;
use crate::store::keys::{Cur, corrupt, seal, unseal};
use crate::store::{Checkpoint, Seq};
use crate::{Error, ErrorKind};

/// The mark's file name in the store's directory.
pub const MARK_FILE: &str = "TRACECODE-DURABLE";

const MAGIC: &[u8; 8] = b"TCDURBL1";
const LEN: usize = 8 + 8 + 32 + 4;

/// The `default` column family's key prefix of loss records: prefix ‖ the recovered seq (8, big-endian) ‖ when
/// the loss was accepted (8, ms since the epoch, big-endian).
pub(super) const LOSS_PREFIX: &[u8] = b"tracecode.loss.";

/// The `default` column family's key that says the store has had a durability mark (body: the seq of its first
/// mark, 8 bytes): a mark missing from such a store was lost, not never written.
pub(super) const MARKED_KEY: &[u8] = b"tracecode.marked";

/// The durability mark as found on disk, read before RocksDB opens (so a writer beside a read-only open cannot
/// move it past what that open's replay of the log saw).
#[derive(Debug)]
pub(super) enum Found {
    /// No mark file.
    Missing,
    /// A mark.
    Mark(Checkpoint),
    /// A mark file that is damaged.
    Damaged(Error),
}

/// An accepted loss of acknowledged events, recorded in the store when it was opened with
/// [`crate::store::Options::accept_loss`] after its recovery came back short of its durability mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// What recovery found: the log continued from here, so later events reuse the lost sequence numbers.
    pub recovered: Checkpoint,
    /// What the store had acknowledged at its last durability point: sequence numbers after
    /// `recovered.seq` up to `acknowledged.seq` held events that are gone (a checkpoint an auditor holds
    /// from that range no longer verifies). `None` when the durability mark itself was missing or damaged,
    /// so what had been acknowledged is unknown.
    pub acknowledged: Option<Checkpoint>,
    /// When the loss was accepted: milliseconds since the Unix epoch.
    pub accepted_at_ms: u64,
}

impl Loss {
    /// The sequence numbers whose acknowledged events are known to be lost: after what was recovered, up to
    /// what was acknowledged (empty when the log was rewritten at the same length, or the mark was unreadable).
    pub fn lost(&self) -> std::ops::RangeInclusive<Seq> {
        let last = self.acknowledged.map_or(0, |a| a.seq);
        self.recovered.seq.saturating_add(1)..=last
    }

    /// True when the recovered log reaches the acknowledged sequence but holds other events up to it: its
    /// history was rewritten (which events differ is not known).
    pub fn rewritten(&self) -> bool {
        self.acknowledged.is_some_and(|a| self.recovered.seq >= a.seq)
    }

    pub(super) fn key(&self) -> Vec<u8> {
        [LOSS_PREFIX, &self.recovered.seq.to_be_bytes()[..], &self.accepted_at_ms.to_be_bytes()[..]].concat()
    }

    /// `recovered seq (8) ‖ hash (32) ‖ 0, or 1 ‖ acknowledged seq (8) ‖ hash (32) ‖ accepted at (8)` and the CRC.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + 32 + 1 + 8 + 32 + 8 + 4);
        v.extend_from_slice(&self.recovered.seq.to_be_bytes());
        v.extend_from_slice(&self.recovered.hash.0);
        match &self.acknowledged {
            None => v.push(0),
            Some(a) => {
                v.push(1);
                v.extend_from_slice(&a.seq.to_be_bytes());
                v.extend_from_slice(&a.hash.0);
            }
        }
        v.extend_from_slice(&self.accepted_at_ms.to_be_bytes());
        seal(&self.key(), &mut v);
        v
    }

    pub(super) fn decode(key: &[u8], value: &[u8]) -> Result<Self, Error> {
        let mut c = Cur::new(unseal(key, value, "loss record")?, "loss record");
        let recovered = Checkpoint { seq: c.u64()?, hash: Link(c.arr()?) };
        let acknowledged = match c.u8()? {
            0 => None,
            1 => Some(Checkpoint { seq: c.u64()?, hash: Link(c.arr()?) }),
            _ => return Err(corrupt("loss record", "bad form")),
        };
        Ok(Self { recovered, acknowledged, accepted_at_ms: c.u64()? })
    }
}

/// The mark's bytes.
pub(super) fn encode(cp: &Checkpoint) -> [u8; LEN] {
    let mut b = [0u8; LEN];
    let mut v = Vec::with_capacity(LEN);
    v.extend_from_slice(MAGIC);
    v.extend_from_slice(&cp.seq.to_be_bytes());
    v.extend_from_slice(&cp.hash.0);
    let crc = crc32fast::hash(&v);
    v.extend_from_slice(&crc.to_be_bytes());
    b.copy_from_slice(&v);
    b
}

/// Parses a mark's bytes.
///
/// # Errors
/// [`ErrorKind::Corrupt`] for a wrong length, magic or CRC.
pub(super) fn decode(b: &[u8]) -> Result<Checkpoint, Error> {
    if b.len() != LEN || b.get(..8) != Some(&MAGIC[..]) {
        return Err(corrupt("durability mark", "not a tracecode durability mark"));
    }
    let (body, crc) = b.split_at(LEN - 4);
    if crc32fast::hash(body).to_be_bytes() != crc {
        return Err(corrupt("durability mark", "checksum mismatch"));
    }
    let mut c = Cur::new(body.get(8..).unwrap_or_default(), "durability mark");
    Ok(Checkpoint { seq: c.u64()?, hash: Link(c.arr()?) })
}

/// The mark in `dir`.
///
/// # Errors
/// The kinds of [`os`] when it cannot be read (a damaged mark is [`Found::Damaged`]).
pub(super) fn read(dir: &Path) -> Result<Found, Error> {
    let path = dir.join(MARK_FILE);
    match std::fs::read(&path) {
        Ok(b) => Ok(decode(&b).map_or_else(Found::Damaged, Found::Mark)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found::Missing),
        Err(e) => Err(os("reading", &path, e)),
    }
}

/// Replaces the mark in `dir` atomically and durably.
///
/// # Errors
/// The kinds of [`os`].
pub(super) fn write(dir: &Path, cp: &Checkpoint) -> Result<(), Error> {
    let tmp = dir.join(format!("{MARK_FILE}.tmp"));
    let path = dir.join(MARK_FILE);
    let mut f = std::fs::File::create(&tmp).map_err(|e| os("creating", &tmp, e))?;
    f.write_all(&encode(cp)).map_err(|e| os("writing", &tmp, e))?;
    f.sync_all().map_err(|e| os("syncing", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| os("renaming", &tmp, e))?;
    // The rename is durable once the directory is (directories open as files on Unix only).
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| os("syncing", dir, e))?;
    Ok(())
}

/// What recovery found against the mark: `Ok(None)` when it holds everything the mark acknowledged, the loss
/// otherwise. `hash_at` reads the recovered log's hash at a sequence (`None` when the log has no entry there).
///
/// # Errors
/// What `hash_at` returns.
pub(super) fn compare(
    mark: &Checkpoint,
    recovered: &Checkpoint,
    hash_at: impl FnOnce(Seq) -> Result<Option<Link>, Error>,
) -> Result<Option<Loss>, Error> {
    let intact = match recovered.seq.cmp(&mark.seq) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => recovered.hash == mark.hash,
        std::cmp::Ordering::Greater => mark.seq == 0 || hash_at(mark.seq)? == Some(mark.hash),
    };
    if intact {
        return Ok(None);
    }
    Ok(Some(Loss { recovered: *recovered, acknowledged: Some(*mark), accepted_at_ms: now_ms() }))
}

/// Milliseconds since the Unix epoch.
pub(super) fn now_ms() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    u64::try_from(now).unwrap_or(u64::MAX)
}

/// The error an open without `accept_loss` returns for `loss`; `why` says what is wrong with the mark when
/// there is no acknowledged checkpoint to compare with.
pub(super) fn loss_error(dir: &Path, loss: &Loss, why: &str) -> Error {
    let what = match loss.acknowledged {
        None => format!(
            "{why}, so what the store acknowledged cannot be checked (recovery found the log up to {})",
            loss.recovered.seq
        ),
        Some(a) if loss.recovered.seq < a.seq => format!(
            "events {}..={} acknowledged before the last durability point are gone: recovery found the log only up \
             to {}",
            loss.recovered.seq.saturating_add(1),
            a.seq,
            loss.recovered.seq
        ),
        Some(a) => format!(
            "the recovered log's checkpoint hash at {} is not the one acknowledged there: its history was rewritten",
            a.seq
        ),
    };
    Error::msg(
        ErrorKind::Corrupt,
        format!(
            "store {}: {what} (a damaged or missing write-ahead log or table file). Restore a backup, or open \
             with accept_loss (`tracecode recover --accept-loss`) to continue from what was recovered and record \
             the loss",
            dir.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(seq: Seq, b: u8) -> Checkpoint {
        Checkpoint { seq, hash: Link([b; 32]) }
    }

    /// Golden bytes: the mark's layout is an on-disk format.
    #[test]
    fn mark_bytes_are_pinned() {
        let b = encode(&cp(0x0102, 0xAB));
        assert_eq!(&b[..8], b"TCDURBL1");
        assert_eq!(&b[8..16], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(&b[16..48], &[0xAB; 32]);
        assert_eq!(&b[48..], &crc32fast::hash(&b[..48]).to_be_bytes());
        assert_eq!(decode(&b).unwrap(), cp(0x0102, 0xAB));
    }

    #[test]
    fn every_damaged_mark_is_refused() {
        let b = encode(&cp(7, 1));
        for i in 0..b.len() {
            let mut d = b;
            d[i] ^= 0x10;
            assert_eq!(decode(&d).unwrap_err().kind(), ErrorKind::Corrupt, "flip at {i}");
        }
        assert_eq!(decode(&b[..LEN - 1]).unwrap_err().kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn compare_finds_short_and_rewritten_logs() {
        let never = |_| -> Result<Option<Link>, Error> { panic!("not needed") };
        assert!(compare(&cp(5, 1), &cp(5, 1), never).unwrap().is_none());
        let short = compare(&cp(5, 1), &cp(3, 2), never).unwrap().unwrap();
        assert_eq!(short.lost(), 4..=5);
        assert!(!short.rewritten());
        let rewritten = compare(&cp(5, 1), &cp(5, 2), never).unwrap().expect("same length, other history");
        assert!(rewritten.rewritten() && rewritten.lost().is_empty());
        assert!(compare(&cp(5, 1), &cp(9, 2), |s| Ok((s == 5).then_some(Link([1; 32])))).unwrap().is_none());
        assert!(compare(&cp(5, 1), &cp(9, 2), |_| Ok(Some(Link([3; 32])))).unwrap().is_some());
        assert!(compare(&cp(5, 1), &cp(9, 2), |_| Ok(None)).unwrap().is_some(), "the marked entry is gone");
        assert!(compare(&cp(0, 0), &cp(9, 2), never).unwrap().is_none());
    }

    #[test]
    fn loss_records_round_trip() {
        for acknowledged in [Some(cp(9, 2)), None] {
            let l = Loss { recovered: cp(3, 1), acknowledged, accepted_at_ms: 1_700_000_000_000 };
            assert_eq!(Loss::decode(&l.key(), &l.encode()).unwrap(), l);
            let mut bad = l.encode();
            bad[0] ^= 1;
            assert_eq!(Loss::decode(&l.key(), &bad).unwrap_err().kind(), ErrorKind::Corrupt);
        }
        let l = Loss { recovered: cp(u64::MAX, 1), acknowledged: Some(cp(9, 2)), accepted_at_ms: 0 };
        assert!(l.lost().is_empty(), "no overflow");
    }

    /// Golden bytes of a loss record (an on-disk format).
    #[test]
    fn loss_record_bytes_are_pinned() {
        let l = Loss { recovered: cp(3, 0x11), acknowledged: Some(cp(9, 0x22)), accepted_at_ms: 0x0102 };
        let key = l.key();
        assert_eq!(key, [&b"tracecode.loss."[..], &[0, 0, 0, 0, 0, 0, 0, 3], &[0, 0, 0, 0, 0, 0, 1, 2]].concat());
        let v = l.encode();
        assert_eq!(&v[..8], &[0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(&v[8..40], &[0x11; 32]);
        assert_eq!(v[40], 1);
        assert_eq!(&v[41..49], &[0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(&v[49..81], &[0x22; 32]);
        assert_eq!(&v[81..89], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(v.len(), 93);
    }
}
