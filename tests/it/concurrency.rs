//! Readers racing writers, and several writers at once, on real stores:
//! - **no torn batches**: every event names two codes of a pair, so the two chains always have the same length
//!   in any committed state. Readers resolve the pair through every read path (the store's calls, a long-lived
//!   `Reader`, `resolve_many`, a session, a trace, `state_at`, the feed and the index) while a writer commits;
//!   a batch must be visible all at once: a code read after its partner never shows fewer events, and an answer
//!   assembled in one call (or one session) shows both chains equal;
//! - **several writers**: threads ingesting at once get distinct, consecutive sequence numbers, lose nothing,
//!   and leave a store that verifies and answers like the in-memory model fed the same log.
//!
//! Both run for a bounded number of batches (about a second each in a debug build).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tracecode::event::{Action, Event, EventType, Id, Timestamp, TzOffset};
use tracecode::store::{Index, MemoryStore, Options, Outcome, Query, Store, TraceStore};
use tracecode::synth::SplitMix64;
use tracecode::trace::{Direction, TraceOptions, trace};

use crate::tmp::TempDir;

const GTIN: &str = "09506000134352";

fn code(pair: usize, side: usize) -> Id {
    Id::parse(&format!("https://id.gs1.org/01/{GTIN}/21/P{pair}S{side}")).unwrap()
}

/// An aggregation OBSERVE of `pair`: its first code the container, its second the content, so both chains grow
/// by one event and a trace from the container reaches the content; `n` makes every event distinct.
fn pair_event(pair: usize, n: u64) -> Event {
    let t = Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap());
    let mut e = Event::new(EventType::Aggregation, t, TzOffset::UTC);
    e.action = Some(Action::Observe);
    e.parent_id = Some(code(pair, 0));
    e.child_epcs = vec![code(pair, 1)];
    e
}

fn len(store: &dyn TraceStore, id: &Id) -> usize {
    store.resolve_id(id).unwrap().map_or(0, |r| r.chain.len())
}

/// Opens a store with the hot tier on (where torn reads came from), small enough that it is full and codes come
/// and go: one code of a pair can be cached while the other is read from RocksDB.
fn open(dir: &TempDir) -> Store {
    Store::open(dir.path(), Options::default().block_cache_bytes(8 << 20).hot_tier_bytes(256 << 10)).unwrap()
}

const PAIRS: usize = 256;

/// A pair, drawn from a deterministic stream (the readers' and the writer's choices).
fn pick(rng: &mut SplitMix64) -> usize {
    usize::try_from(rng.below(PAIRS as u64)).unwrap()
}

/// Readers on every path against one writer: never part of a batch.
#[test]
fn readers_never_see_part_of_a_batch() {
    let dir = TempDir::new("torn");
    let st = open(&dir);
    let done = AtomicBool::new(false);
    let checks = AtomicU64::new(0);
    // Batches of many events: the window between a batch's write and the last of its invalidations is long.
    let (batches, per_batch) = (400u64, 32u64);
    std::thread::scope(|s| {
        // Sequential reads, through the store and through one long-lived reader: the second code of a pair,
        // read after the first, never shows fewer events (monotonic reads), in both orders.
        for t in 0..2u64 {
            let (st, done, checks) = (&st, &done, &checks);
            s.spawn(move || {
                let mut reader = st.reader();
                let mut round = 0usize;
                let mut rng = SplitMix64::new(t);
                while !done.load(Ordering::SeqCst) {
                    let pair = pick(&mut rng);
                    let (a, b) = if round.is_multiple_of(2) {
                        (code(pair, 0), code(pair, 1))
                    } else {
                        (code(pair, 1), code(pair, 0))
                    };
                    let (first, second) = if t == 0 {
                        (len(st, &a), len(st, &b))
                    } else {
                        let n = |r: &mut tracecode::store::Reader<'_>, id: &Id| {
                            r.resolve_id(id).unwrap().map_or(0, |x| x.chain.len())
                        };
                        (n(&mut reader, &a), n(&mut reader, &b))
                    };
                    assert!(second >= first, "thread {t}: {a} showed {first} events, then {b} only {second}");
                    checks.fetch_add(1, Ordering::Relaxed);
                    round += 1;
                }
            });
        }
        // Answers assembled in one call or one session: both chains equal.
        let (st, done, checks) = (&st, &done, &checks);
        s.spawn(move || {
            let mut round = 0usize;
            let mut rng = SplitMix64::new(99);
            while !done.load(Ordering::SeqCst) {
                let pair = pick(&mut rng);
                let (a, b) = (code(pair, 0), code(pair, 1));
                let texts = [a.to_string(), b.to_string()];
                let many = st.resolve_many(&[texts[0].as_str(), texts[1].as_str()]);
                let n: Vec<usize> = many.into_iter().map(|r| r.unwrap().map_or(0, |x| x.chain.len())).collect();
                assert_eq!(n[0], n[1], "resolve_many showed part of a batch");
                match round % 16 {
                    0 => {
                        let session = st.session();
                        let (x, y) = (len(&session, &a), len(&session, &b));
                        assert_eq!(x, y, "a session showed part of a batch");
                        let far = Timestamp(i64::MAX / 2);
                        let sx = session.state_at(&a, far).unwrap().map(|s| s.last_event);
                        let sy = session.state_at(&b, far).unwrap().map(|s| s.last_event);
                        assert_eq!(sx, sy, "states at a time from one session disagree");
                        // The feed and the time index of the same session hold every event of both chains.
                        let feed = session.events_since(0, usize::MAX).unwrap();
                        let named = feed.iter().filter(|f| f.event.parent_id.as_ref() == Some(&a)).count();
                        assert_eq!(named, x, "the session's feed and its chains disagree");
                        let q = Query { index: Index::Time, from: None, until: None, after: None, limit: usize::MAX };
                        assert_eq!(session.query(&q).unwrap().items.len(), feed.len());
                    }
                    1 => {
                        // A trace from the container reads its edges and both nodes' states: from one state of
                        // the store, the two show the same latest event, and the content is reached exactly
                        // when the container has events.
                        let opts = TraceOptions { with_state: Some(true), ..TraceOptions::new() };
                        let t = trace(st, &a, Direction::Forward, &opts).unwrap();
                        let last = |id: &Id| {
                            t.nodes.iter().find(|n| &n.id == id).map(|n| n.state.as_ref().map(|s| s.last_event))
                        };
                        let root = last(&a).flatten();
                        match last(&b) {
                            Some(content) => assert_eq!(content, root, "a trace showed part of a batch"),
                            None => assert_eq!(root, None, "a trace reached no content from a container with events"),
                        }
                    }
                    _ => {}
                }
                checks.fetch_add(1, Ordering::Relaxed);
                round += 1;
            }
        });
        let mut rng = SplitMix64::new(7);
        let mut counts = vec![0usize; PAIRS];
        for n in 0..batches {
            let batch: Vec<Event> = (0..per_batch)
                .map(|i| {
                    let pair = pick(&mut rng);
                    counts[pair] += 1;
                    pair_event(pair, n * per_batch + i)
                })
                .collect();
            st.ingest(batch).unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for (pair, want) in counts.into_iter().enumerate() {
            assert_eq!((len(st, &code(pair, 0)), len(st, &code(pair, 1))), (want, want));
        }
    });
    assert!(checks.load(Ordering::Relaxed) > 100, "the readers ran only {} checks", checks.load(Ordering::Relaxed));
    eprintln!("torn-read checks: {} pair checks, none torn", checks.load(Ordering::Relaxed));
    assert!(st.verify_all().unwrap().is_ok());
}

/// Several threads ingest at once: distinct consecutive sequence numbers, nothing lost, and a store that
/// answers like the model fed the same log.
#[test]
fn several_writers_at_once() {
    let dir = TempDir::new("writers");
    let st = open(&dir);
    let writers = 4usize;
    let per_writer = 150u64;
    let outcomes: Vec<Vec<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let st = &st;
                s.spawn(move || {
                    let mut got = Vec::new();
                    for n in 0..per_writer {
                        // Each writer's own pairs, plus one pair every writer touches.
                        let pair =
                            if n % 3 == 0 { PAIRS + 100 } else { PAIRS * (w + 1) + usize::try_from(n).unwrap() % 2 };
                        let e = pair_event(pair, n * 16 + u64::try_from(w).unwrap());
                        // Every third batch repeats its event: a duplicate must not take a sequence number.
                        let batch = if n % 3 == 1 { vec![e.clone(), e] } else { vec![e] };
                        let r = st.ingest(batch).unwrap();
                        got.extend(r.outcomes.into_iter().map(|(_, o)| o));
                    }
                    got
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seqs: Vec<u64> =
        outcomes.iter().flatten().filter_map(|o| if let Outcome::Accepted(s) = o { Some(*s) } else { None }).collect();
    let accepted = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), accepted, "two accepted events share a sequence number");
    assert_eq!(seqs, (1..=u64::try_from(accepted).unwrap()).collect::<Vec<_>>(), "sequence numbers have gaps");
    assert_eq!(accepted, writers * usize::try_from(per_writer).unwrap(), "an acknowledged event is missing");
    assert!(st.verify_all().unwrap().is_ok());
    // The model, fed the log in sequence order, answers the same.
    let feed = st.events_since(0, usize::MAX).unwrap();
    assert_eq!(feed.len(), accepted);
    let mem = MemoryStore::new();
    for f in &feed {
        mem.ingest(vec![f.event.clone()]).unwrap();
    }
    assert_eq!(mem.checkpoint().unwrap(), st.checkpoint().unwrap());
    assert_eq!(mem.stats().unwrap().events, st.stats().unwrap().events);
    let mut pairs: Vec<usize> = vec![PAIRS + 100];
    pairs.extend((0..writers).flat_map(|w| [PAIRS * (w + 1), PAIRS * (w + 1) + 1]));
    for pair in pairs {
        for side in 0..2 {
            let id = code(pair, side);
            assert_eq!(st.resolve_id(&id).unwrap(), mem.resolve_id(&id).unwrap(), "{id}");
        }
    }
}
