//! `tracecode import` beyond the basic summary (see `tracecode import --help`), and how the store commands
//! report a `--db` that holds no store (features `cli`, `rocksdb`).

use super::cli_store::{Tmp, tc};

/// Every command that opens an existing store, and the exit status each documents for a store it cannot open.
const STORE_COMMANDS: &[(&[&str], i32)] = &[
    (&["stats"], 1),
    (&["verify"], 1),
    (&["feed", "--since", "0"], 1),
    (&["export", "--since", "0"], 1),
    (&["recover"], 1),
    (&["resolve", "(01)09506000134352(21)A1"], 2),
    (&["trace", "--back", "(01)09506000134352(21)A1"], 2),
    (&["recall", "(01)09506000134352(21)A1"], 2),
    (&["recall", "--commit", "(01)09506000134352(21)A1"], 2),
];

#[test]
fn a_db_without_a_store_is_one_line_with_a_hint() {
    let t = Tmp::new("no-store");
    let empty = t.at("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for dir in [t.at("missing"), empty] {
        for (cmd, code) in STORE_COMMANDS {
            let mut args = cmd.to_vec();
            args.extend(["--db", &dir]);
            let r = tc(&args);
            assert_eq!(r.code, Some(*code), "{args:?}: {}", r.stderr);
            assert_eq!(r.stdout, "", "{args:?}");
            assert_eq!(
                r.stderr,
                format!(
                    "tracecode: no tracecode store at {dir} (create one with `tracecode import --db {dir} FILE...`)\n"
                ),
                "{args:?}"
            );
            assert!(!std::path::Path::new(&dir).join("CURRENT").exists(), "{args:?} created a store");
        }
    }
    // A file where the store directory should be: import (which creates stores) and a reader say so.
    let file = t.write("file", "not a store");
    let doc = t.write("doc.json", &super::cli_store::epcis_doc(&super::cli_store::object_events(1, "F")));
    for (args, code) in [(vec!["import", "--db", &file, &doc], 2), (vec!["stats", "--db", &file], 1)] {
        let r = tc(&args);
        assert_eq!(r.code, Some(code), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("{file} is a file, not a tracecode store directory")), "{}", r.stderr);
    }
}
