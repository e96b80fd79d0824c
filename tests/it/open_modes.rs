//! Opening modes and store operations (issue 14):
//! - a read-only store opened beside a live writer reads the state as of its open (stats, resolve, query, feed,
//!   verify), refuses writes with `ReadOnly`, and sees the writer's new events after `catch_up`;
//! - the kinds of a failed open: `NotFound` for a missing path, an empty directory and a file (nothing is
//!   created), `Locked` with RocksDB's error as the `source()` (`Version`: `store::format_version_is_checked_on_open`;
//!   `NoSpace`: `durability::full_disk_and_read_only_file_system`);
//! - `close` reports, makes the last durability point, and leaves nothing for `Drop`;
//! - the feed and query iterators give what the pages give, on the RocksDB store and the memory model;
//! - `stats().disk_bytes` is the size of the store's directory.

use std::path::Path;

use tracecode::ErrorKind;
use tracecode::event::{Action, BizStep, Event, EventType, Id, Timestamp, TzOffset};
use tracecode::store::{Index, MemoryStore, Options, Query, Store, TraceStore, TraceStoreExt};

use crate::tmp::TempDir;

fn opts() -> Options {
    Options::default().block_cache_bytes(8 << 20)
}

fn item(n: usize) -> Id {
    Id::parse(&format!("https://id.gs1.org/01/09506000134352/21/M{n}")).unwrap()
}

fn event(n: usize) -> Event {
    let mut e = Event::new(EventType::Object, Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap()), TzOffset::UTC);
    e.action = Some(Action::Add);
    e.biz_step = Some(if n.is_multiple_of(3) { BizStep::Shipping } else { BizStep::Commissioning });
    e.epc_list = vec![item(n)];
    e
}

fn events(r: std::ops::Range<usize>) -> Vec<Event> {
    r.map(event).collect()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

#[test]
fn a_reader_beside_a_live_writer_catches_up() {
    let dir = TempDir::new("reader");
    let d = dir.sub("store");
    let w = Store::open(&d, opts()).unwrap();
    w.ingest(events(0..50)).unwrap();
    let mut r = Store::open(&d, opts().read_only(true)).unwrap();
    w.ingest(events(50..80)).unwrap();
    w.sync().unwrap();

    // The state as of the open, on every read path.
    assert_eq!(r.checkpoint().unwrap().seq, 50);
    assert_eq!(r.stats().unwrap().events, 50);
    assert!(r.resolve_id(&item(10)).unwrap().is_some());
    assert!(r.resolve_id(&item(60)).unwrap().is_none(), "an event committed after the open");
    assert_eq!(r.feed(0).count(), 50);
    assert_eq!(r.query_iter(&Query::new(Index::Time)).count(), 50);
    assert!(r.verify_all().unwrap().is_ok());
    assert!(r.verify(&item(3)).unwrap().is_ok());
    assert_eq!(r.session().stats().unwrap().events, 50);

    // Writes are refused.
    assert_eq!(r.ingest(events(100..101)).unwrap_err().kind(), ErrorKind::ReadOnly);
    assert_eq!(r.sync().unwrap_err().kind(), ErrorKind::ReadOnly);
    assert_eq!(r.flush().unwrap_err().kind(), ErrorKind::ReadOnly);
    assert_eq!(r.compact().unwrap_err().kind(), ErrorKind::ReadOnly);

    // Catching up shows the writer's commits, also those only in its write-ahead log and not yet marked.
    assert_eq!(r.catch_up().unwrap(), w.checkpoint().unwrap());
    assert!(r.resolve_id(&item(60)).unwrap().is_some());
    w.ingest(events(80..90)).unwrap();
    assert_eq!(r.catch_up().unwrap().seq, 90);
    assert!(r.resolve_id(&item(85)).unwrap().is_some(), "the known-node filter knows the new nodes");
    assert_eq!(r.stats().unwrap().events, 90);
    let feed: Vec<_> = r.feed(0).map(|i| i.unwrap().seq).collect();
    assert_eq!(feed, (1..=90).collect::<Vec<u64>>());
    assert_eq!(r.query_iter(&Query::new(Index::BizStep(BizStep::Shipping))).count(), 30);
    assert!(r.verify_all().unwrap().is_ok());
    assert_eq!(r.ingest(events(100..101)).unwrap_err().kind(), ErrorKind::ReadOnly);
    r.close().unwrap();

    // A writer's catch_up is its checkpoint; the writer keeps writing after readers came and went.
    let mut w = w;
    assert_eq!(w.catch_up().unwrap().seq, 90);
    w.ingest(events(90..91)).unwrap();
    w.close().unwrap();
    let again = Store::open(&d, opts().read_only(true)).unwrap();
    assert_eq!(again.checkpoint().unwrap().seq, 91);
}

#[test]
fn paths_without_a_store_are_not_found_and_not_created() {
    let dir = TempDir::new("notfound");
    std::fs::create_dir_all(dir.path()).unwrap();
    let missing = dir.sub("missing").join("deeper");
    for o in [opts().read_only(true), opts().create_if_missing(false), opts().read_only(true).create_if_missing(true)] {
        let e = Store::open(&missing, o.clone()).err().expect("no store there");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{o:?}: {e}");
        assert!(e.message().contains("missing"), "the message names the path: {e}");
        assert!(std::error::Error::source(&e).is_some(), "the operating system's error is kept");
        assert!(!dir.sub("missing").exists(), "{o:?}: a directory was created");
    }
    let empty = dir.sub("empty");
    std::fs::create_dir(&empty).unwrap();
    for o in [opts().read_only(true), opts().create_if_missing(false)] {
        let e = Store::open(&empty, o.clone()).err().expect("an empty directory");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{o:?}: {e}");
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "{o:?}: something was written");
    }
    let file = dir.sub("file");
    std::fs::write(&file, b"not a store").unwrap();
    for o in [opts().read_only(true), opts().create_if_missing(false), opts()] {
        let e = Store::open(&file, o.clone()).err().expect("a file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{o:?}: {e}");
        assert!(e.message().contains("is a file"), "{e}");
        assert!(std::error::Error::source(&e).is_some(), "the operating system's error is kept");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a store");
    // A writer creates a store where there is none (the default).
    let st = Store::open(dir.sub("new").join("store"), opts()).unwrap();
    st.close().unwrap();
    Store::open(dir.sub("new").join("store"), opts().create_if_missing(false)).unwrap();
}

#[test]
fn a_second_writer_is_locked_with_rocksdbs_error_as_source() {
    let dir = TempDir::new("locked");
    let d = dir.sub("store");
    let w = Store::open(&d, opts()).unwrap();
    let e = Store::open(&d, opts()).err().expect("two writers");
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    assert!(e.message().contains("read-only"), "says what to do: {e}");
    let source = std::error::Error::source(&e).expect("RocksDB's error is kept");
    assert!(source.to_string().contains("lock"), "{source}");
    drop(w);
    Store::open(&d, opts()).unwrap();
}

#[test]
fn close_reports_and_leaves_nothing_to_drop() {
    let dir = TempDir::new("close");
    let d = dir.sub("store");
    let st = Store::open(&d, opts()).unwrap();
    st.ingest(events(0..200)).unwrap();
    let cp = st.checkpoint().unwrap();
    st.close().unwrap();
    // The last durability point covers every event.
    let mark = std::fs::read(d.join("TRACECODE-DURABLE")).unwrap();
    assert_eq!(mark.get(8..16).unwrap(), cp.seq.to_be_bytes());
    // A read-only close writes nothing.
    let before = listing(&d);
    let r = Store::open(&d, opts().read_only(true)).unwrap();
    assert_eq!(r.checkpoint().unwrap(), cp);
    r.close().unwrap();
    assert_eq!(listing(&d), before);
    // The store reopens whole after close.
    let st = Store::open(&d, opts().create_if_missing(false)).unwrap();
    assert_eq!(st.checkpoint().unwrap(), cp);
    assert!(st.verify_all().unwrap().is_ok());
    assert!(st.resolve_id(&item(199)).unwrap().is_some());
}

fn listing(dir: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut v: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap()).map(|e| (e.path(), e.metadata().unwrap().len())).collect();
    v.sort();
    v
}

#[test]
fn iterators_give_what_the_pages_give() {
    let dir = TempDir::new("iter");
    let st = Store::open(dir.sub("store"), opts()).unwrap();
    let mem = MemoryStore::new();
    for batch in [0..40, 40..41, 41..100] {
        st.ingest(events(batch.clone())).unwrap();
        mem.ingest(events(batch)).unwrap();
    }
    let stores: [&dyn TraceStore; 2] = [&st, &mem];
    let whole = mem.events_since(0, 1000).unwrap();
    assert_eq!(whole.len(), 100);
    for s in stores {
        for page in [1, 7, 100, 1000] {
            for after in [0, 1, 55, 100, 200] {
                let got: Vec<_> = s.feed(after).page_size(page).map(Result::unwrap).collect();
                let want: Vec<_> = whole.iter().filter(|i| i.seq > after).cloned().collect();
                assert_eq!(got, want, "page {page}, after {after}");
            }
        }
        let mut f = s.feed(10).page_size(3);
        assert_eq!(f.position(), 10);
        f.next().unwrap().unwrap();
        f.next().unwrap().unwrap();
        assert_eq!(f.position(), 12);
        for index in [Index::Time, Index::BizStep(BizStep::Shipping), Index::BizStep(BizStep::Receiving)] {
            let one = Query { limit: 1000, ..Query::new(index.clone()) };
            let want = mem.query(&one).unwrap().items;
            for limit in [1, 4, 33, 1000] {
                let q = Query { limit, ..Query::new(index.clone()) };
                let got: Vec<_> = s.query_iter(&q).map(Result::unwrap).collect();
                assert_eq!(got, want, "{index:?}, limit {limit}");
                let bounded = Query { from: Some(Timestamp(1_700_000_000_020)), ..q.clone() };
                let want_b: Vec<_> = want.iter().filter(|h| h.time.0 >= 1_700_000_000_020).copied().collect();
                assert_eq!(s.query_iter(&bounded).map(Result::unwrap).collect::<Vec<_>>(), want_b);
            }
        }
    }
}

#[test]
fn stats_count_the_directory_on_disk() {
    let dir = TempDir::new("stats");
    let d = dir.sub("store");
    let st = Store::open(&d, opts()).unwrap();
    for n in (0..3000).step_by(500) {
        st.ingest(events(n..n + 500)).unwrap();
    }
    let s = st.stats().unwrap();
    let real = dir_bytes(&d);
    // Every event is in the write-ahead log; the memtables are counted on their own.
    assert!(s.memtable_bytes > 0);
    assert!(s.disk_bytes.abs_diff(real) <= real / 10, "reported {} for a {real}-byte directory", s.disk_bytes);
    st.flush().unwrap();
    let s = st.stats().unwrap();
    let real = dir_bytes(&d);
    assert!(s.disk_bytes.abs_diff(real) <= real / 10, "reported {} for a {real}-byte directory", s.disk_bytes);
    assert!(s.disk_bytes < 64 << 20, "memtable arenas are not disk bytes: {}", s.disk_bytes);
    assert_eq!(MemoryStore::new().stats().unwrap().disk_bytes, 0);
}

/// A reader catching up again and again while the writer ingests, flushes and compacts: every catch-up opens,
/// sees a whole prefix of the log and verifies.
#[test]
fn catching_up_during_flushes_and_compactions() {
    let dir = TempDir::new("race");
    let d = dir.sub("store");
    let mut o = opts();
    o.write_buffer_bytes = 256 << 10;
    let w = Store::open(&d, o.clone()).unwrap();
    w.ingest(events(0..100)).unwrap();
    let mut r = Store::open(&d, o.clone().read_only(true)).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for n in 1..20 {
                w.ingest(events(n * 100..(n + 1) * 100)).unwrap();
                if n % 5 == 0 {
                    w.flush().unwrap();
                    w.compact().unwrap();
                }
            }
        });
        let mut last = 0;
        for _ in 0..15 {
            let cp = r.catch_up().unwrap();
            assert!(cp.seq >= last && cp.seq.is_multiple_of(100), "{} after {last}", cp.seq);
            last = cp.seq;
            let n = usize::try_from(cp.seq).unwrap() - 1;
            assert!(r.resolve_id(&item(n)).unwrap().is_some(), "the last event seen, {n}");
            assert_eq!(r.feed(cp.seq.saturating_sub(150)).count(), 150.min(n + 1));
        }
    });
    assert_eq!(r.catch_up().unwrap().seq, 2000);
    assert!(r.verify_all().unwrap().is_ok());
}
