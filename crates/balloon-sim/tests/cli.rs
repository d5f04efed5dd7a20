//! The built `balloon-sim` binary: exit codes, line:column on errors, JSON output.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_balloon-sim"))
}

fn run_stdin(args: &[&str], script: &str) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn balloon-sim");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    child.wait_with_output().expect("wait")
}

#[test]
fn syntax_error_on_line_3_exits_2_and_names_line_3() {
    let dir = std::env::temp_dir().join(format!("balloon-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.bpl");
    std::fs::write(&path, "-m 1G\nrun\nballon 512\nrun\n").unwrap();
    let out = bin()
        .args(["run", path.to_str().unwrap()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.bpl:3:1:"), "{err}");
    assert!(err.contains("ballon"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing runs before the whole script parsed"
    );
}

#[test]
fn json_output_has_replies_events_trace_and_summary() {
    let out = run_stdin(
        &[
            "run", "-", "--format", "json", "--trace", "message", "--seed", "3",
        ],
        "-m 1G\nrun\n{\"execute\": \"balloon\", \"arguments\": {\"value\": 1040187392}}\nrun\nrun 2s\n{\"execute\": \"query-balloon\"}\n",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert!(lines.iter().any(|v| v.get("return").is_some()));
    assert!(lines.iter().any(|v| v["event"] == "BALLOON_CHANGE"));
    assert!(lines.iter().any(|v| v.get("trace").is_some()));
    assert!(lines.iter().any(|v| v["return"]["actual"] == 1040187392));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["ram_size"], 1u64 << 30);
    assert_eq!(summary["num_pages"], 8192);
    assert_eq!(summary["actual"], 8192);
    assert_eq!(summary["pages_ballooned_by_guest"], 8192);
    assert!(summary["trace_hash"].as_str().unwrap().starts_with("0x"));
}

#[test]
fn presets_list_and_preset_run() {
    let out = bin().arg("presets").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("inflate-half") && text.contains("bulk-64g"),
        "{text}"
    );
    let out = bin()
        .args(["run", "--preset", "inflate-half"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("balloon: actual=512"));
    let out = bin().args(["run", "--preset", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(bin().args(["run"]).output().unwrap().status.code(), Some(2));
    assert_eq!(
        bin()
            .args(["run", "-", "--trace", "all"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bin().args(["frobnicate"]).output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn run_help_prints_the_usage_and_succeeds() {
    for flag in ["--help", "-h"] {
        let out = bin().args(["run", flag]).output().expect("run --help");
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("balloon-sim run --preset NAME"), "{text}");
    }
}
