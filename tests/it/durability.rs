//! Durability on real stores: what the store acknowledged is never silently rolled back.
//! - a cleanly closed store whose recent events are only in the write-ahead log, with the log truncated or a
//!   bit flipped in it, is refused on open with `ErrorKind::Corrupt` naming the lost sequence numbers (RocksDB
//!   alone recovers the consistent part and opens as if nothing happened);
//! - `accept_loss` opens it anyway, records the loss, and the store verifies and takes new events;
//! - a read-only open writes nothing (not even the durability mark), reads, verifies and refuses writes with
//!   `ErrorKind::ReadOnly`, also while another handle holds the store open for writing; a second writer is
//!   `ErrorKind::Locked`.

use std::path::{Path, PathBuf};

use tracecode::ErrorKind;
use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
use tracecode::store::{Options, Store, TraceStore};

use crate::tmp::{TempDir, copy_dir};

fn opts() -> Options {
    Options::default().block_cache_bytes(8 << 20)
}

fn item(n: usize) -> Id {
    Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/D{n}")).unwrap()
}

fn event(n: usize) -> Event {
    let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap()), TzOffset::UTC);
    e.action = Some(Action::Add);
    e.epc_list = vec![item(n)];
    e
}

/// A store of `n` events in batches of 100, closed cleanly: everything is still only in the write-ahead log
/// (the memtables are far from full).
fn closed_store(dir: &Path, n: usize) {
    let st = Store::open(dir, opts()).unwrap();
    for start in (0..n).step_by(100) {
        st.ingest((start..(start + 100).min(n)).map(event).collect()).unwrap();
    }
    assert_eq!(st.checkpoint().unwrap().seq, u64::try_from(n).unwrap());
}

fn wal_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    v.sort();
    v
}

/// The damage cases: the biggest write-ahead log truncated to a fifth, or one bit flipped there (the events come
/// first; the known-node filter saved on close is the log's last, large record).
fn damage(dir: &Path, how: &str) {
    let wal = wal_files(dir).into_iter().max_by_key(|p| std::fs::metadata(p).unwrap().len()).expect("a WAL file");
    let mut bytes = std::fs::read(&wal).unwrap();
    assert!(bytes.len() > 10_000, "the events are in the WAL: {} bytes", bytes.len());
    let mid = bytes.len() / 5;
    match how {
        "truncate" => bytes.truncate(mid),
        "flip" => bytes[mid] ^= 0x04,
        _ => unreachable!(),
    }
    std::fs::write(&wal, bytes).unwrap();
}

#[test]
fn damaged_wal_is_refused_not_rolled_back() {
    let dir = TempDir::new("wal");
    let clean = dir.sub("clean");
    closed_store(&clean, 3000);
    for how in ["truncate", "flip"] {
        let d = dir.sub(how);
        copy_dir(&clean, &d);
        damage(&d, how);
        let err = Store::open(&d, opts()).err().unwrap_or_else(|| panic!("{how}: a damaged WAL opened silently"));
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{how}: {err}");
        if err.message().contains("acknowledged") {
            assert!(err.message().contains("..=3000"), "{how}: the lost range is named: {err}");
        }
        // Read-only opens refuse it too.
        let ro = Store::open(&d, opts().read_only(true)).err().expect("read-only open of a damaged store");
        assert_eq!(ro.kind(), ErrorKind::Corrupt);
        // Accepting the loss opens it, records the loss, and the store is whole again.
        let st = match Store::open(&d, opts().accept_loss(true)) {
            Ok(st) => st,
            // RocksDB itself refused the log (it stops at a bad record only in PointInTime mode): nothing was
            // lost silently, which is what this test is about.
            Err(e) if how == "flip" && e.kind() == ErrorKind::Corrupt => continue,
            Err(e) => panic!("{how}: accept_loss: {e}"),
        };
        let cp = st.checkpoint().unwrap();
        assert!(cp.seq < 3000, "{how}: recovered {}", cp.seq);
        let losses = st.losses().unwrap();
        assert_eq!(losses.len(), 1, "{how}");
        assert_eq!(*losses[0].lost().end(), 3000);
        assert!(!losses[0].rewritten());
        assert_eq!(losses[0].recovered, cp);
        let v = st.verify_all().unwrap();
        assert!(v.is_ok(), "{how}: {:?}", v.first_bad);
        // New events continue the recovered log; the next open is clean.
        st.ingest(vec![event(5000)]).unwrap();
        assert_eq!(st.checkpoint().unwrap().seq, cp.seq + 1);
        drop(st);
        let st = Store::open(&d, opts()).unwrap();
        assert_eq!(st.checkpoint().unwrap().seq, cp.seq + 1);
        assert_eq!(st.losses().unwrap().len(), 1, "the loss record stays");
    }
    // The undamaged copy opens with everything.
    let st = Store::open(&clean, opts()).unwrap();
    assert_eq!(st.checkpoint().unwrap().seq, 3000);
    assert!(st.losses().unwrap().is_empty());
}

#[test]
fn a_lost_table_file_is_refused() {
    let dir = TempDir::new("sst");
    let d = dir.sub("store");
    {
        let st = Store::open(&d, opts()).unwrap();
        st.ingest((0..500).map(event).collect()).unwrap();
        st.flush().unwrap();
    }
    let ssts: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sst"))
        .collect();
    assert!(!ssts.is_empty());
    for (i, sst) in ssts.iter().enumerate() {
        let copy = dir.sub(&format!("copy{i}"));
        copy_dir(&d, &copy);
        std::fs::remove_file(copy.join(sst.file_name().unwrap())).unwrap();
        let err =
            Store::open(&copy, opts()).err().unwrap_or_else(|| panic!("{} deleted, yet it opened", sst.display()));
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{}: {err}", sst.display());
    }
}

#[test]
fn read_only_opens_write_nothing_and_refuse_writes() {
    let dir = TempDir::new("ro");
    let d = dir.sub("store");
    closed_store(&d, 300);
    let before: Vec<(PathBuf, u64)> = listing(&d);
    {
        let st = Store::open(&d, opts().read_only(true)).unwrap();
        assert_eq!(st.checkpoint().unwrap().seq, 300);
        assert!(st.resolve_id(&item(7)).unwrap().is_some());
        assert!(st.verify_all().unwrap().is_ok());
        assert_eq!(st.ingest(vec![event(9999)]).unwrap_err().kind(), ErrorKind::ReadOnly);
        assert_eq!(st.sync().unwrap_err().kind(), ErrorKind::ReadOnly);
        assert_eq!(st.flush().unwrap_err().kind(), ErrorKind::ReadOnly);
    }
    assert_eq!(listing(&d), before, "a read-only open and close changed the store's files");
    // Beside a writer: the writer holds the lock, a second writer is refused, a reader opens.
    let w = Store::open(&d, opts()).unwrap();
    let second = Store::open(&d, opts()).err().expect("two writers");
    assert_eq!(second.kind(), ErrorKind::Locked, "{second}");
    let r = Store::open(&d, opts().read_only(true)).unwrap();
    assert_eq!(r.checkpoint().unwrap().seq, 300);
    w.ingest(vec![event(1000)]).unwrap();
    assert_eq!(r.checkpoint().unwrap().seq, 300, "a read-only handle reads the state as of its open");
    // Durability points of the writer never make a read-only open beside it look like a loss.
    for n in 0..5 {
        w.ingest(vec![event(2000 + n)]).unwrap();
        w.sync().unwrap();
        let again = Store::open(&d, opts().read_only(true)).unwrap();
        assert_eq!(again.checkpoint().unwrap().seq, 302 + u64::try_from(n).unwrap());
    }
    // A directory that holds no store is not created read-only.
    let none = Store::open(dir.sub("none"), opts().read_only(true)).err().expect("no store");
    assert_eq!(none.kind(), ErrorKind::NotFound, "{none}");
    assert!(!dir.sub("none").exists(), "a read-only open created a directory");
}

/// Names and sizes of the files in `dir` (what a write would change).
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut v: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.path(), e.metadata().unwrap().len())
        })
        .collect();
    v.sort();
    v
}

/// A tmpfs of `mb` MiB mounted on a fresh directory, unmounted on drop; `None` where this process may not mount
/// (not root, no CAP_SYS_ADMIN): the test then says so and checks nothing.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, mb: u32) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }

    fn remount_read_only(&self) {
        let s = std::process::Command::new("mount").args(["-o", "remount,ro"]).arg(&self.0).status().unwrap();
        assert!(s.success());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// On a full disk, ingest fails with `NoSpace` and nothing is half-written; the store can still be opened
/// read-only (stats, verify, every resolve). On a read-only file system an open for writing is `ReadOnly` and
/// a read-only open works.
#[test]
fn full_disk_and_read_only_file_system() {
    let dir = TempDir::new("fulldisk");
    let Some(mount) = Mount::tmpfs(&dir.sub("mnt"), 24) else {
        eprintln!("full_disk_and_read_only_file_system: cannot mount a tmpfs here (needs root); not run");
        return;
    };
    let db = mount.0.join("store");
    let mut o = opts();
    o.write_buffer_bytes = 1 << 20;
    let mut acknowledged = 0u64;
    let err = {
        let st = Store::open(&db, o.clone()).unwrap();
        let mut n = 0;
        loop {
            match st.ingest((n..n + 200).map(event).collect()) {
                Ok(r) => acknowledged += u64::try_from(r.accepted).unwrap(),
                Err(e) => break e,
            }
            n += 200;
            assert!(n < 2_000_000, "a 24 MiB disk never filled");
        }
    };
    assert_eq!(err.kind(), ErrorKind::NoSpace, "{err}");
    let st = Store::open(&db, o.clone().read_only(true)).unwrap();
    let cp = st.checkpoint().unwrap();
    assert!(cp.seq >= acknowledged, "read-only sees {} of {acknowledged} acknowledged events", cp.seq);
    assert_eq!(cp.seq % 200, 0, "a partial batch");
    assert!(st.verify_all().unwrap().is_ok());
    assert!(st.resolve_id(&item(0)).unwrap().is_some());
    drop(st);
    mount.remount_read_only();
    let rw = Store::open(&db, o.clone()).err().expect("an open for writing on a read-only file system");
    assert!(matches!(rw.kind(), ErrorKind::ReadOnly | ErrorKind::NoSpace), "{rw}");
    let st = Store::open(&db, o.read_only(true)).unwrap();
    assert_eq!(st.checkpoint().unwrap(), cp);
    assert!(st.verify_all().unwrap().is_ok());
}

/// The mark itself damaged or deleted: on a store that has had a mark, both are refused (what was acknowledged
/// can no longer be checked); `accept_loss` opens it and records a loss of unknown extent.
#[test]
fn a_missing_or_damaged_mark_is_refused() {
    let dir = TempDir::new("mark");
    let clean = dir.sub("clean");
    closed_store(&clean, 300);
    for how in ["delete", "flip"] {
        let d = dir.sub(how);
        copy_dir(&clean, &d);
        let mark = d.join("TRACECODE-DURABLE");
        if how == "delete" {
            std::fs::remove_file(&mark).unwrap();
        } else {
            let mut b = std::fs::read(&mark).unwrap();
            b[20] ^= 0x01;
            std::fs::write(&mark, b).unwrap();
        }
        let err = Store::open(&d, opts()).err().unwrap_or_else(|| panic!("{how}: opened"));
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{how}: {err}");
        assert!(err.message().contains("durability mark"), "{how}: {err}");
        let st = Store::open(&d, opts().accept_loss(true)).unwrap();
        let losses = st.losses().unwrap();
        assert_eq!(losses.len(), 1);
        assert_eq!((losses[0].acknowledged, losses[0].recovered.seq), (None, 300));
        assert!(st.verify_all().unwrap().is_ok());
        drop(st);
        Store::open(&d, opts()).unwrap();
    }
}
