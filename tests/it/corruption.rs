//! Corruption injection on copies of a closed store: bytes flipped in every family's table files, in the
//! MANIFEST and in the write-ahead log, the log truncated, files deleted. Every case must end in a typed
//! `ErrorKind::Corrupt` (at open, from `verify_all`, or at the read that touches the damage) or be proven
//! harmless (the damaged store verifies and answers every question exactly like the in-memory model fed the
//! same events): never wrong data, never silent loss.
//!
//! `TRACECODE_CORRUPTION_FLIPS` sets the flips per table file (default 2; the full run in the closing notes
//! used more), spread over each file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tracecode::ErrorKind;
use tracecode::event::{Event, Id};
use tracecode::store::{MemoryStore, Options, Store, TraceStore, keys};
use tracecode::synth::{Synth, SynthConfig};

use crate::tmp::{TempDir, copy_dir};

fn opts() -> Options {
    Options::default().block_cache_bytes(4 << 20).hot_tier_bytes(0)
}

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Caught {
    Open,
    Verify,
    Read,
    Harmless,
}

/// Every answer the model can check, from `st`: `Err` with the first error a read returned.
fn answers(st: &dyn TraceStore, nodes: &[Id]) -> Result<Vec<String>, tracecode::Error> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(format!("{:?}", st.resolve_id(n)?));
    }
    for f in st.events_since(0, usize::MAX)? {
        out.push(format!("{} {} {:?}", f.seq, f.id, f.event));
    }
    out.push(format!("{:?}", st.checkpoint()?));
    Ok(out)
}

/// Opens the damaged copy and classifies the outcome; panics on wrong data or an untyped failure.
fn judge(dir: &Path, case: &str, nodes: &[Id], want: &[String]) -> Caught {
    let st = match Store::open(dir, opts()) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{case}: open failed with a non-corruption kind: {e}");
            return Caught::Open;
        }
        Ok(st) => st,
    };
    match st.verify_all() {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{case}: verify_all failed with a non-corruption kind: {e}");
            return Caught::Verify;
        }
        Ok(v) if v.first_bad.is_some() => return Caught::Verify,
        Ok(_) => {}
    }
    match answers(&st, nodes) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{case}: a read failed with a non-corruption kind: {e}");
            Caught::Read
        }
        Ok(got) => {
            let diff = got.iter().zip(want).position(|(a, b)| a != b);
            assert!(
                got.len() == want.len() && diff.is_none(),
                "{case}: verify_all passed and the store answers differently from the model (first difference at \
                 answer {diff:?})"
            );
            Caught::Harmless
        }
    }
}

/// One way to damage a copy of the store.
struct Case {
    name: String,
    damage: Box<dyn Fn(&Path)>,
}

fn extension(name: &str) -> &str {
    Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("")
}

/// Flips one byte of `file` at `at` (counted from the end when `from_end`).
fn flip_at(name: String, file: &str, at: usize, from_end: bool) -> Case {
    let file = file.to_owned();
    Case {
        name,
        damage: Box::new(move |d: &Path| {
            let p = d.join(&file);
            let mut b = std::fs::read(&p).unwrap();
            let i = if from_end { b.len() - at } else { at };
            b[i] ^= if from_end { 0x01 } else { 0x5A };
            std::fs::write(&p, b).unwrap();
        }),
    }
}

/// The damage cases for the files of `clean`: `flips` flips spread over each table file (the WAL's start more
/// densely: its events come first, the known-node filter saved on close last), two in the MANIFEST, a footer
/// flip and a deletion per table file, and the WAL truncated to half.
fn cases(clean: &Path, flips: usize, families: &BTreeMap<String, String>) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(clean).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let len = usize::try_from(std::fs::metadata(f).unwrap().len()).unwrap();
        let kind = match extension(&name) {
            "sst" => families.get(&name).cloned().unwrap_or_else(|| "sst?".into()),
            "log" if len > 0 => "wal".into(),
            _ if name.starts_with("MANIFEST") => "manifest".into(),
            _ => continue,
        };
        let at_list: Vec<usize> = if kind == "wal" {
            [20, 8, 3].iter().map(|d| len / d).chain((0..flips).map(|i| len * (2 * i + 1) / (2 * flips + 1))).collect()
        } else {
            let n = if kind == "manifest" { flips.max(2) } else { flips };
            (0..n).map(|i| len * (2 * i + 1) / (2 * n + 1)).collect()
        };
        for at in at_list {
            out.push(flip_at(format!("{kind} {name} flip at {at}/{len}"), &name, at, false));
        }
        if kind == "wal" {
            let file = name.clone();
            out.push(Case {
                name: format!("wal {name} truncated to half"),
                damage: Box::new(move |d: &Path| {
                    let p = d.join(&file);
                    let b = std::fs::read(&p).unwrap();
                    std::fs::write(&p, &b[..b.len() / 2]).unwrap();
                }),
            });
        } else if extension(&name) == "sst" {
            out.push(flip_at(format!("{kind} {name} footer flip"), &name, 20, true));
            let file = name.clone();
            out.push(Case {
                name: format!("{kind} {name} deleted"),
                damage: Box::new(move |d: &Path| std::fs::remove_file(d.join(&file)).unwrap()),
            });
        }
    }
    out
}

#[test]
fn every_damage_is_caught_or_harmless() {
    let flips: usize = std::env::var("TRACECODE_CORRUPTION_FLIPS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let dir = TempDir::new("corrupt");
    let clean = dir.sub("clean");
    // A small province: every family written; most of it flushed to table files, the rest only in the WAL.
    let synth = Synth::new(SynthConfig { items: 150, ..SynthConfig::default() });
    let batches: Vec<Vec<Event>> = synth.batches(200).collect();
    let mem = MemoryStore::new();
    {
        let st = Store::open(&clean, opts()).unwrap();
        let split = batches.len() * 3 / 4;
        for (i, b) in batches.iter().enumerate() {
            st.ingest(b.clone()).unwrap();
            mem.ingest(b.clone()).unwrap();
            if i + 1 == split {
                st.flush().unwrap();
            }
        }
    }
    let mut nodes: Vec<Id> = batches.iter().flatten().flat_map(|e| e.subjects().cloned().collect::<Vec<_>>()).collect();
    nodes.sort_by_cached_key(keys::node_key);
    nodes.dedup();
    let want = answers(&mem, &nodes).unwrap();
    // Which family each table file holds (learned on a throwaway copy: opening writes to it).
    let families: BTreeMap<String, String> = {
        let probe = dir.sub("probe");
        copy_dir(&clean, &probe);
        let names = keys::CF_NAMES.iter().copied().chain(["default"]);
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &probe, names).unwrap();
        db.live_files()
            .unwrap()
            .into_iter()
            .map(|f| (f.name.trim_start_matches('/').to_owned(), f.column_family_name))
            .collect()
    };
    let cases = cases(&clean, flips, &families);
    assert!(cases.len() > 10, "{} cases", cases.len());
    let mut tally: BTreeMap<(String, Caught), usize> = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        let d = dir.sub(&format!("case{i}"));
        copy_dir(&clean, &d);
        (case.damage)(&d);
        let caught = judge(&d, &case.name, &nodes, &want);
        if caught == Caught::Harmless {
            eprintln!("harmless: {}", case.name);
        }
        let family = case.name.split(' ').next().unwrap_or("").to_owned();
        *tally.entry((family, caught)).or_default() += 1;
        std::fs::remove_dir_all(&d).unwrap();
    }
    eprintln!("corruption cases: {} — {:?}", cases.len(), tally);
    // Every family's table files were damaged at least once.
    for cf in keys::CF_NAMES {
        assert!(tally.keys().any(|(f, _)| f == cf), "no table file of {cf} was damaged");
    }
    // Damage to the WAL's events (its first part holds the last quarter of the events) was caught.
    assert!(tally.contains_key(&("wal".to_owned(), Caught::Open)), "{tally:?}");
}
