//! The `tracecode` binary's argument layer (feature `cli`; the store cases also `rocksdb`): every command has a
//! `--help` that names its flags (exit 0), a usage error is one line and a hint on stderr (exit 2, nothing on
//! stdout), `--db=DIR` and `--db DIR` are the same, numbers accept digit groups (`1_000_000`), `completions`
//! prints a script, and `resolve` exits 0 found, 1 not found, 2 bad input, with a table format for people.

use std::process::{Command, Output, Stdio};

fn tc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracecode"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("tracecode binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every command (and sub-command) with flags its help must mention.
const HELP: &[(&[&str], &[&str])] = &[
    (&[], &["parse", "import", "resolve", "completions", "EXIT STATUS"]),
    (&["parse"], &["--candidates", "--lines", "--lenient", "EXIT STATUS"]),
    (&["issue"], &["gtin", "sgtin", "sscc", "national20"]),
    (&["issue", "sgtin"], &["--gtin", "--lot", "--count", "--seed", "--key", "--sequential", "--gcp-len"]),
    (&["issue", "sscc"], &["--gcp", "--ext", "--start", "--count"]),
    (&["issue", "national20"], &["--product", "--key", "--start"]),
    (&["issue", "gtin"], &["BODY"]),
    (&["demo"], &["--db", "--items", "--tour"]),
    (&["epcis"], &["check", "hash", "roundtrip"]),
    (&["epcis", "roundtrip"], &["--urn", "--gcp-len", "FILE"]),
    (&["import"], &["--db", "--atomic", "--atomic-max-events", "--lenient", "--verbose", "FILE", "EXIT STATUS"]),
    (&["resolve"], &["--db", "--read-only", "--format", "--state-only", "EXIT STATUS"]),
    (&["verify"], &["--db", "--read-only", "INPUT"]),
    (&["stats"], &["--db", "--read-only"]),
    (&["feed"], &["--db", "--since", "--limit"]),
    (&["export"], &["--db", "--since", "--limit"]),
    (&["trace"], &["--db", "--back", "--forward", "--depth", "--max-nodes", "--as-of", "--kinds", "EXIT STATUS"]),
    (&["recall"], &["--db", "--commit", "--time", "--party", "--read-point", "--reason"]),
    (&["recover"], &["--db", "--accept-loss"]),
    (&["bench"], &["lookup", "trace"]),
    (&["bench", "lookup"], &["--items", "--threads", "--ops", "--hot-mb", "--db", "--json"]),
    (&["bench", "trace"], &["--nodes", "--db", "--json"]),
    (&["torture"], &["crash"]),
    (&["torture", "crash"], &["--trials", "--seed", "--max-ms", "--db"]),
    (&["completions"], &["bash", "zsh", "fish"]),
];

#[test]
fn every_command_has_help() {
    for (cmd, flags) in HELP {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = tc(&args);
        let help = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        for f in *flags {
            assert!(help.contains(f), "{args:?} --help does not mention {f}:\n{help}");
        }
    }
    // `-h` too, and `help CMD`.
    assert_eq!(tc(&["import", "-h"]).status.code(), Some(0));
    assert!(text(&tc(&["help", "import"]).stdout).contains("--db"));
}

#[test]
fn usage_errors_are_one_line_and_a_hint() {
    for args in [
        &["import", "x.json"][..],
        &["parse", "--bogus", "x"],
        &["frobnicate"],
        &[],
        &["issue"],
        &["demo", "--items", "many"],
        &["trace", "--db", "d", "X"],
        &["feed", "--db", "d", "--limit", "1__0"],
        &["issue", "sgtin", "--gtin", "09506000134352", "--key", "abc"],
    ] {
        let out = tc(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: usage errors print nothing on stdout");
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: one line and a hint, got:\n{err}");
        assert!(lines[0].starts_with("tracecode: "), "{args:?}: {err}");
        assert!(lines[1].starts_with("hint: ") && lines[1].contains("--help"), "{args:?}: {err}");
    }
    // The hint names the command the error belongs to.
    let err = text(&tc(&["import", "x.json"]).stderr);
    assert!(err.contains("'tracecode import --help'"), "{err}");
}

#[test]
fn digit_groups_are_accepted() {
    let out = tc(&["issue", "sscc", "--gcp", "0614141", "--start", "1_000_000", "--count", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let plain = tc(&["issue", "sscc", "--gcp", "0614141", "--start", "1000000", "--count", "2"]);
    assert_eq!(out.stdout, plain.stdout);
    // A misplaced group separator is a usage error.
    assert_eq!(tc(&["issue", "sscc", "--gcp", "0614141", "--start", "_1"]).status.code(), Some(2));
}

#[test]
fn completions_print_a_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = tc(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains("tracecode") && script.contains("resolve"), "{shell}: {script}");
    }
    assert_eq!(tc(&["completions", "nosuchshell"]).status.code(), Some(2));
}

#[test]
fn parse_check_is_snake_case() {
    let out = tc(&["parse", "81234567890123456789"]);
    assert!(text(&out.stdout).contains("\"check\":\"not_verifiable_offline\""), "{}", text(&out.stdout));
}

#[cfg(feature = "rocksdb")]
mod store {
    use super::{tc, text};
    use serde_json::Value;

    /// A store with the EPCIS fixture `all_types.json`, in a scratch directory removed on drop.
    struct Db(std::path::PathBuf);

    impl Db {
        fn new(name: &str) -> Self {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
            let dir = std::env::temp_dir().join(format!("tc-cli-args-{name}-{}-{nanos}", std::process::id()));
            let db = Self(dir);
            let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis/all_types.json");
            // `--db=DIR` on import.
            let out = tc(&["import", &format!("--db={}", db.path()), fixture.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            db
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for Db {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const FOUND: &str = "(01)09506000134352(21)XYZ789";
    const NEVER: &str = "(01)09506000134352(21)NEVER";

    #[test]
    fn db_equals_form_everywhere() {
        let db = Db::new("eq");
        let eq = format!("--db={}", db.path());
        for cmd in [&["stats"][..], &["verify"], &["feed", "--limit", "1"], &["export", "--limit", "1"]] {
            let mut a = cmd.to_vec();
            a.push(&eq);
            let with_eq = tc(&a);
            assert_eq!(with_eq.status.code(), Some(0), "{a:?}: {}", text(&with_eq.stderr));
            let mut b = cmd.to_vec();
            b.extend(["--db", db.path()]);
            let spaced = tc(&b);
            // (export's document carries its creation time; stats and verify the path given.)
            if cmd[0] == "feed" {
                assert_eq!(with_eq.stdout, spaced.stdout, "{a:?}");
            }
        }
        let out = tc(&["resolve", &eq, FOUND]);
        assert_eq!(out.status.code(), Some(0));
        let out = tc(&["trace", &eq, "--forward", FOUND]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let out = tc(&["feed", &eq, "--since", "0", "--limit", "1_000"]);
        assert_eq!(text(&out.stdout).lines().count(), 6);
    }

    #[test]
    fn resolve_exit_codes() {
        let db = Db::new("exit");
        let d = db.path();
        assert_eq!(tc(&["resolve", "--db", d, FOUND]).status.code(), Some(0));
        assert_eq!(tc(&["resolve", "--db", d, NEVER]).status.code(), Some(1), "not found");
        assert_eq!(tc(&["resolve", "--db", d, "garbage!!"]).status.code(), Some(2), "bad input");
        assert_eq!(tc(&["resolve", "--db", d, FOUND, NEVER]).status.code(), Some(1));
        assert_eq!(tc(&["resolve", "--db", d, NEVER, "garbage!!"]).status.code(), Some(2), "errors win");
        assert_eq!(tc(&["resolve", "--db", d]).status.code(), Some(2), "usage");
        // Arguments are checked before a store is opened or created.
        let missing = format!("{d}-never-created");
        assert_eq!(tc(&["import", "--db", &missing, "--bogus", "x.json"]).status.code(), Some(2));
        assert!(!std::path::Path::new(&missing).exists(), "a usage error created a store");
        assert_eq!(tc(&["trace", "--db", &missing, "--back", "(01)09506000134353(21)X"]).status.code(), Some(2));
        assert!(!std::path::Path::new(&missing).exists());
        // Only import creates a store: resolving in a directory that holds none is an error and creates no store
        // (RocksDB itself leaves its LOCK and LOG files behind).
        assert_eq!(tc(&["resolve", "--db", &missing, FOUND]).status.code(), Some(2));
        assert!(!std::path::Path::new(&missing).join("CURRENT").exists(), "resolve created a store");
        let _ = std::fs::remove_dir_all(&missing);
    }

    #[test]
    fn resolve_table_and_state_only() {
        let db = Db::new("table");
        let d = db.path();
        let out = tc(&["resolve", "--db", d, "--format", "table", FOUND, NEVER]);
        assert_eq!(out.status.code(), Some(1));
        let t = text(&out.stdout);
        assert!(t.contains("key    01/09506000134352/21/XYZ789  (instance)"), "{t}");
        assert!(t.contains("state  disposition recalled"), "{t}");
        assert!(t.contains("chain  4 events"), "{t}");
        assert!(t.contains("not found"), "{t}");
        let out = tc(&["resolve", "--db", d, "--state-only", FOUND]);
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
        assert_eq!(v["found"], true);
        assert_eq!(v["state"]["disposition"], "recalled");
        assert!(v.get("chain").is_none() && v.get("head").is_none(), "{v}");
        let full: Value = serde_json::from_str(text(&tc(&["resolve", "--db", d, FOUND]).stdout).trim()).unwrap();
        assert_eq!((&v["identity"], &v["state"]), (&full["identity"], &full["state"]));
        let t = text(&tc(&["resolve", "--db", d, "--format", "table", "--state-only", FOUND]).stdout);
        assert!(t.contains("state  ") && !t.contains("chain  "), "{t}");
    }
}
