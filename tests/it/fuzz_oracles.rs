//! The fuzz targets' oracles (`tracecode::fuzzing`) run here on every `cargo test`: over the conformance inputs
//! (real-world spellings, valid and invalid) and over property-generated mutations of them, so a round-trip bug
//! fails CI even when nobody runs the fuzzer.

use std::path::Path;

use proptest::prelude::*;
use tracecode::fuzzing;

/// Every input column of the conformance data files, unescaped (`\x1D` → GS).
fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("tsv") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(input) = line.split('\t').nth(1) {
                out.push(input.replace("\\x1D", "\u{1d}").replace("\\t", "\t").into_bytes());
            }
        }
    }
    assert!(out.len() > 100, "conformance corpus not found or too small");
    out
}

fn all_oracles(data: &[u8]) {
    fuzzing::element_string(data);
    fuzzing::digital_link(data);
    fuzzing::epc_uri(data);
    fuzzing::epc_binary(data);
    fuzzing::auto_detect(data);
    fuzzing::scan_key(data);
}

#[test]
fn oracles_hold_on_the_conformance_corpus() {
    for input in corpus() {
        all_oracles(&input);
        // Scanner payload without its AIM identifier, as the raw element-string parser sees it.
        if let Some(rest) = input.strip_prefix(b"]") {
            all_oracles(rest.get(2..).unwrap_or_default());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Byte-level mutations of real inputs: one byte replaced, or the input cut short.
    #[test]
    fn oracles_hold_on_mutations(pick in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let corpus = corpus();
        let mut input = pick.get(&corpus).clone();
        if !input.is_empty() {
            let at = pos.index(input.len());
            if cut { input.truncate(at); } else { input[at] = byte; }
        }
        all_oracles(&input);
    }
}

#[cfg(feature = "rocksdb")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The store-against-model oracle on random operation sequences (each case opens a real store); the fuzz
    /// target `store_model` runs the same oracle coverage-guided.
    #[test]
    fn store_model_oracle_holds(ops in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::store_model(&ops);
    }
}

/// The kept fuzz corpus of `store_model`, replayed: the 48 largest inputs (each opens a real store, about a
/// second each in a debug build, so not all of them; the fuzz target replays them all).
#[cfg(feature = "rocksdb")]
#[test]
fn store_model_oracle_holds_on_the_kept_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/store_model");
    let mut inputs: Vec<Vec<u8>> =
        std::fs::read_dir(dir).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    assert!(!inputs.is_empty(), "the store_model corpus is kept in the repository");
    inputs.sort_by_key(|i| std::cmp::Reverse(i.len()));
    for input in inputs.iter().take(48) {
        fuzzing::store_model(input);
    }
}

/// The EPCIS XML oracle on the hand-written pair, the shared XML documents (when present) and mutations of the
/// pair: no panic, accepted events survive the JSON round trip, the importer agrees with the reader.
#[test]
fn xml_oracle_holds_on_documents() {
    let pair = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis/pair.xml")).unwrap();
    fuzzing::xml_event(&pair);
    for sub in ["2.0-xml/Capture/Documents", "2.0-xml/Capture/Invalid", "1.2-xml/Capture/Documents"] {
        let Ok(entries) = std::fs::read_dir(Path::new("/work/shared/data/epcis-xml").join(sub)) else { continue };
        for e in entries.flatten() {
            fuzzing::xml_event(&std::fs::read(e.path()).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Mutations of the XML pair (a byte replaced, inserted or the document cut).
    #[test]
    fn xml_oracle_holds_on_mutations(pos in any::<prop::sample::Index>(), byte in any::<u8>(), how in 0u8..3) {
        let mut doc = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis/pair.xml")).unwrap();
        let at = pos.index(doc.len());
        match how {
            0 => doc[at] = byte,
            1 => doc.insert(at, byte),
            _ => doc.truncate(at),
        }
        fuzzing::xml_event(&doc);
    }
}
