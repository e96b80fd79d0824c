//! The crash-test harness (`tracecode torture crash`, see `src/bin/tracecode/torture_cmd.rs`) at a small scale:
//! a child ingesting batches is killed with SIGKILL at random moments, including while it recovers from the last
//! kill; after each kill every acknowledged batch must be present, no batch partial, the log equal to the
//! model's and `verify_all` clean. `TRACECODE_CRASH_TRIALS` sets the number of kills (default 6); the closing
//! notes give a run of 100 or more.

use std::process::Command;

#[test]
fn kill_nine_loses_no_acknowledged_batch() {
    let trials: u64 = std::env::var("TRACECODE_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let out = Command::new(env!("CARGO_BIN_EXE_tracecode"))
        .args(["torture", "crash", "--trials", &trials.to_string(), "--seed", "7", "--max-ms", "300"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(out.status.success(), "{summary}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(summary["failures"].as_array().map(Vec::len), Some(0), "{summary}");
    assert_eq!(summary["lost_acknowledged_batches"], 0);
    assert!(summary["acknowledged_batches"].as_u64().unwrap() > 0, "no batch was acknowledged: {summary}");
    eprintln!("crash trials: {summary}");
}
