//! The built `balloon-sim` binary: exit codes, line:column on errors, JSON output.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli_run.rs"]
mod cli_run;
use cli_run::{bin, run_stdin};

/// What a successful run printed, as text and as JSON lines (a failed one shows its stderr).
fn json_lines(out: std::process::Output) -> (String, Vec<serde_json::Value>) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    (text, lines)
}

#[test]
fn syntax_error_on_line_3_exits_2_and_names_line_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.bpl");
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
    let (_, lines) = json_lines(out);
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

const QEMU_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/qemu-trace");

#[test]
fn import_json_ends_with_the_summary_the_library_gives() {
    let trace = format!("{QEMU_DATA}/trace-64M.log.gz");
    let qmp = format!("{QEMU_DATA}/qmp-64M.jsonl");
    let out = bin()
        .args(["import", &trace, "--qmp", &qmp, "--format", "json"])
        .output()
        .unwrap();
    let (text, lines) = json_lines(out);
    assert!(
        lines
            .iter()
            .any(|v| v["event"]["function"] == "virtqueue_pop")
    );
    let last = text.lines().last().unwrap();
    // The keys in the order issue 19 gives them.
    let keys = [
        "inflate_messages",
        "deflate_messages",
        "stats_messages",
        "reporting_messages",
        "pfns_inflated",
        "pfns_deflated",
        "num_pages",
        "actual_pages",
        "balloon_change_events",
        "duration_s",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| last.find(&format!("\"{k}\"")).expect(k))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{last}");

    let mut gz = Vec::new();
    let mut plain = String::new();
    std::io::Read::read_to_end(&mut std::fs::File::open(&trace).unwrap(), &mut gz).unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
    let qmp_text = std::fs::read_to_string(&qmp).unwrap();
    let rec =
        balloon_sim::import::import_text(&plain, Some(&qmp_text), Default::default()).unwrap();
    assert_eq!(
        lines.last().unwrap()["summary"],
        serde_json::to_value(rec.summary()).unwrap()
    );
}

#[test]
fn import_text_lists_events_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let run = |args: &[&str]| bin().arg("import").args(args).output().unwrap();

    // Plain text from stdin, one bad line among trace lines.
    let out = run_stdin(
        &["import", "-"],
        "7@1.000000:virtio_balloon_set_config actual: 256 oldactual: 0\nnot a trace line\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("virtio_balloon_set_config"), "{text}");
    assert!(text.contains("line 2: not a trace line"), "{text}");
    assert!(text.contains("actual_pages=256"), "{text}");

    let empty = write("empty.log", b"");
    let out = run(&[&empty]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));

    let binary = write("binary.log", b"\x7fELF\0\0\0\x01\n\xff\xfe\0\n");
    let out = run(&[&binary]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary"));

    // A gzip cut in half: what was read is listed, the exit status says it is incomplete.
    let gz = std::fs::read(format!("{QEMU_DATA}/trace-64M.log.gz")).unwrap();
    let cut = write("cut.log.gz", &gz[..gz.len() / 2]);
    let out = run(&[&cut]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ends early"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("summary: inflate_messages="));

    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&[&empty, "--format", "xml"]).status.code(), Some(2));
    let help = bin().arg("help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("balloon-sim import TRACE"));
}

#[test]
fn a_host_script_prints_per_vm_replies_and_the_host_summary() {
    let script = "host ram 4G\nhost own 512M\n-name db -m 2G\n-name web -m 1G\n\
                  @web balloon 512\nrun 2s\n@db guest alloc 1G\nrun 1s\n\
                  @web {\"execute\": \"query-balloon\"}\n";
    let (_, lines) = json_lines(run_stdin(&["run", "-", "--format", "json"], script));
    assert!(
        lines
            .iter()
            .any(|v| v["vm"] == "web" && v["reply"]["return"]["actual"] == 512u64 << 20)
    );
    assert!(
        lines
            .iter()
            .any(|v| v["vm"] == "web" && v["reply"]["event"] == "BALLOON_CHANGE")
    );
    let s = &lines.last().unwrap()["summary"];
    assert_eq!(s["host"]["ram"], 4u64 << 30);
    // Free: 4 GiB - 512 MiB own - two 36 MiB QEMUs - what the guests wrote.
    let held = s["vms"]["db"]["host_bytes"].as_u64().unwrap()
        + s["vms"]["web"]["host_bytes"].as_u64().unwrap();
    assert_eq!(
        s["host"]["free"].as_u64().unwrap(),
        (4u64 << 30) - (512 << 20) - held
    );
    assert!(s["vms"]["db"]["resident_bytes"].as_u64().unwrap() >= 1 << 30);
    assert_eq!(s["vms"]["web"]["ram_size"], 1u64 << 30);
    assert_eq!(s["vms"]["web"]["num_pages"], 131072);
    assert_eq!(s["vms"]["web"]["actual"], 131072);
    assert_eq!(s["vms"]["db"]["state"], "running");
    assert!(s["trace_hash"].as_str().unwrap().starts_with("0x"));
    // Text: replies after their VM's name.
    let out = run_stdin(&["run", "-"], script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("@web {\"return\": {\"actual\": 536870912}}"),
        "{text}"
    );
    // An unknown VM is a script error with its line and column.
    let out = run_stdin(&["run", "-"], "-name a -m 1G\n@b balloon 5\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:2:2: error: no VM named \"b\""));
    // Host presets are listed and run by name.
    let out = bin()
        .args([
            "run",
            "--preset",
            "host-overcommit-oom",
            "--trace",
            "message",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Out of memory: Killed process 4001 (qemu-system-x86)"),
        "{text}"
    );
    let list = String::from_utf8_lossy(&bin().arg("presets").output().unwrap().stdout).into_owned();
    assert!(list.contains("host-mom-policy"));
}

/// `--profile` builds the named VMM's device: Firecracker's realize line names its 12-byte
/// config (`ConfigSpace`, `BALLOON_CONFIG_SPACE_SIZE`), crosvm's 20 bytes.
#[test]
fn profile_flag_picks_the_vmm() {
    for (profile, bytes) in [("firecracker", "12-byte"), ("crosvm", "20-byte")] {
        let out = run_stdin(
            &["run", "-", "--profile", profile, "--trace", "ring"],
            "-m 1G\nrun\n",
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{profile}");
        assert!(
            text.contains(&format!("a {bytes} config space")),
            "{profile}: {text}"
        );
    }
    let out = run_stdin(&["run", "-", "--profile", "bochs"], "-m 1G\nrun\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile \"bochs\""));
    // The machine line can name it too, and rejects an unknown one with its column.
    let out = run_stdin(&["run", "-"], "-m 1G -profile qemu2\nrun\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:"));
}

/// `compare` names the first differing event and counts both sides: on row 10 (avail.idx
/// too far ahead) QEMU's virtio_error sets DEVICE_NEEDS_RESET while Firecracker's
/// report_balloon_event_fail panics (the VMM would abort).
#[test]
fn compare_prints_the_first_divergence_and_counts() {
    let out = bin()
        .args([
            "compare",
            "--preset",
            "malformed-avail-idx-jump",
            "--profiles",
            "qemu,firecracker",
            "--format",
            "json",
        ])
        .output()
        .expect("compare");
    let (_, lines) = json_lines(out);
    let c = &lines[0]["compare"];
    assert_eq!(c["profiles"], serde_json::json!(["qemu", "firecracker"]));
    let d = &c["first_divergence"];
    assert!(
        d["a"]["sentence"]
            .as_str()
            .unwrap()
            .contains("16-byte config")
            && d["b"]["sentence"]
                .as_str()
                .unwrap()
                .contains("12-byte config"),
        "{d}"
    );
    let row = |what: &str| {
        c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["what"] == what)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("guest errors")["a"], 1);
    assert_eq!(row("guest errors")["b"], 1);
    // QEMU sets DEVICE_NEEDS_RESET (0x40); Firecracker's status is untouched.
    assert_eq!(row("status")["a"].as_u64().unwrap() & 0x40, 0x40);
    assert_eq!(row("status")["b"].as_u64().unwrap() & 0x40, 0);
    let text = bin()
        .args([
            "compare",
            "--preset",
            "inflate-half",
            "--profiles",
            "qemu,qemu",
        ])
        .output()
        .expect("compare");
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("no divergence"));
    let bad = bin()
        .args(["compare", "--preset", "inflate-half"])
        .output()
        .expect("compare");
    assert_eq!(bad.status.code(), Some(2));
}
