//! A stepping line that never ends: `run` on a guest that never goes quiet stops at its budget
//! of events (`--max-events`) with an error naming the line, and loses nothing: the lines after
//! it still run and the summary is printed.
#![cfg(not(target_arch = "wasm32"))]

use std::process::Output;

#[path = "support/cli_run.rs"]
mod cli_run;
use cli_run::run_stdin as run;

/// Two stats buffers in flight: QEMU's `virtio_balloon_receive_stats` pushes the held one back
/// and `stats_request` re-adds it, so the stats queue always has work and `run` never goes
/// quiet (the `malformed-stats-second-buffer` preset shows it for 10 ms only).
const NEVER_QUIET: &str = "-m 1G -device virtio-balloon,id=balloon0 -seed 26\n\
                           run\n\
                           fault svq second-buffer\n\
                           run\n\
                           {\"execute\": \"query-balloon\"}\n";

/// Asserts the run failed (exit status 1) with `error` on stderr; returns stderr.
fn failed_with(out: &Output, error: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(error), "{stderr}");
    stderr
}

fn summary(out: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().expect("a summary line");
    serde_json::from_str::<serde_json::Value>(last).expect(last)["summary"].clone()
}

#[test]
fn a_run_that_never_goes_quiet_stops_at_its_budget_and_says_which_line() {
    let out = run(
        &["run", "-", "--format", "json", "--max-events", "20000"],
        NEVER_QUIET,
    );
    failed_with(&out, "line 4: `run` stopped after 20000 events");
    // The line after it ran: its reply is there, and so is the summary.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"actual\""), "{stdout}");
    let s = summary(&out);
    let events = s["event_count"].as_u64().unwrap();
    // The boot `run` went quiet under the budget; the stuck one made exactly its budget.
    assert!((20_000..40_000).contains(&events), "{s}");
}

#[test]
fn the_same_guest_bounded_by_virtual_time_ends_cleanly() {
    let script = NEVER_QUIET.replace(
        "fault svq second-buffer\nrun\n",
        "fault svq second-buffer\nrun 10ms\n",
    );
    let out = run(&["run", "-", "--format", "json"], &script);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    assert!(summary(&out)["time_ns"].as_u64().unwrap() >= 10_000_000);
}

#[test]
fn a_host_vm_that_never_goes_quiet_stops_the_host_run_at_its_budget() {
    let script = "host ram 4G\n-name db -m 1G\nrun\n@db fault svq second-buffer\nrun\n\
                  @db {\"execute\": \"query-balloon\"}\n";
    let out = run(
        &["run", "-", "--format", "json", "--max-events", "20000"],
        script,
    );
    failed_with(&out, "line 5: `run` stopped after 20000 events");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["vm"] == "db" && v["reply"]["return"]["actual"].is_u64()),
        "{stdout}"
    );
    assert!(summary(&out)["host"].is_object());
}

/// `compare` takes the same budget: the stuck line ends the comparison with its error, on the
/// first side that spent it. It once ran 50,000,000 events a side whatever `--max-events` said.
#[test]
fn a_compare_that_never_goes_quiet_stops_at_its_budget() {
    let out = run(
        &[
            "compare",
            "-",
            "--profiles",
            "qemu,firecracker",
            "--max-events",
            "20000",
        ],
        NEVER_QUIET,
    );
    let stderr = failed_with(&out, "line 4: `run` stopped after 20000 events");
    assert!(stderr.contains("(on qemu)"), "{stderr}");
}

#[test]
fn max_events_must_be_a_positive_number() {
    for bad in ["0", "-1", "many"] {
        let out = run(&["run", "-", "--max-events", bad], NEVER_QUIET);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --max-events"));
    }
}
