//! Every preset runs on both backends with identical replies, summaries and trace hashes, and
//! matches its golden file (`tests/golden/NAME.txt`; `BLESS=1` rewrites the ones that changed
//! and names them; any other value of `BLESS`, or `BLESS=1` with `CI` set, is refused). The
//! same presets run on the Cloud Hypervisor, Firecracker and crosvm profiles too, against
//! `tests/golden/PROFILE/NAME.txt`.
#![cfg(not(target_arch = "wasm32"))]

use balloon_device::Vmm;
use balloon_sim::host::presets::HOST_PRESETS;
use balloon_sim::host::{HostSummary, run_host_text, transcript};
use balloon_sim::presets::PRESETS;
use balloon_sim::reply::Reply;
use balloon_sim::{Summary, run_text_as};

fn render(replies: &[Reply], summary: &Summary) -> String {
    let mut s = String::new();
    for r in replies {
        s += &r.to_line();
        s.push('\n');
    }
    s += &serde_json::to_string_pretty(summary).expect("summary serialises");
    s.push('\n');
    s
}

/// Whether to rewrite the goldens: only for `BLESS=1` exactly, and never on CI, where a rewrite
/// would turn every golden check into one that cannot fail. `BLESS=0` or `BLESS=yes` is refused
/// rather than read either way.
fn bless_mode(
    bless: Option<&std::ffi::OsStr>,
    ci: Option<&std::ffi::OsStr>,
) -> Result<bool, String> {
    match bless {
        None => Ok(false),
        Some(v) if v != "1" => Err(format!(
            "BLESS={} is not understood: set BLESS=1 to rewrite the goldens, or unset it",
            v.to_string_lossy()
        )),
        Some(_) if ci.is_some() => {
            Err("BLESS=1 with CI set: goldens are never rewritten on CI".to_owned())
        }
        Some(_) => Ok(true),
    }
}

#[test]
fn bless_needs_exactly_one_and_no_ci() {
    use std::ffi::OsStr;
    let one = Some(OsStr::new("1"));
    assert_eq!(bless_mode(None, None), Ok(false));
    assert_eq!(bless_mode(None, Some(OsStr::new("true"))), Ok(false));
    assert_eq!(bless_mode(one, None), Ok(true));
    assert!(bless_mode(one, Some(OsStr::new("true"))).is_err());
    assert!(bless_mode(one, Some(OsStr::new(""))).is_err());
    for v in ["0", "", "true", "yes", " 1"] {
        assert!(
            bless_mode(Some(OsStr::new(v)), None).is_err(),
            "BLESS={v:?}"
        );
    }
}

/// Each preset on the profile its machine line names (QEMU unless it says otherwise).
#[test]
fn presets_match_golden_on_both_backends() {
    check_profile(None);
}

#[test]
fn presets_match_golden_on_cloud_hypervisor() {
    check_profile(Some(Vmm::CloudHypervisor));
}

#[test]
fn presets_match_golden_on_firecracker() {
    check_profile(Some(Vmm::Firecracker));
}

#[test]
fn presets_match_golden_on_crosvm() {
    check_profile(Some(Vmm::Crosvm));
}

/// Every preset on `vmm` (or on the profile its machine line names), against
/// `tests/golden/[PROFILE/]NAME.txt`.
fn check_profile(vmm: Option<Vmm>) {
    let rendered = PRESETS
        .iter()
        .map(|p| {
            let run = |r: Result<(Vec<Reply>, Summary), _>| r.map(|(r, s)| render(&r, &s));
            let got = on_both_backends(
                p.name,
                run(run_text_as::<virtq::Portable>(p.text, vmm)),
                run(run_text_as::<virtq::RustVmm>(p.text, vmm)),
            );
            (p.name, got)
        })
        .collect::<Vec<_>>();
    let dir = vmm.map_or_else(
        || "tests/golden".to_owned(),
        |v| format!("tests/golden/{}", v.name()),
    );
    compare_goldens(&dir, &rendered);
}

#[test]
fn host_presets_match_golden_on_both_backends() {
    let rendered = HOST_PRESETS
        .iter()
        .map(|p| {
            let run = |r: Result<(Vec<(String, Reply)>, HostSummary), _>| {
                r.map(|(r, s)| transcript(&r, &s))
            };
            let got = on_both_backends(
                p.name,
                run(run_host_text::<virtq::Portable>(p.text)),
                run(run_host_text::<virtq::RustVmm>(p.text)),
            );
            (p.name, got)
        })
        .collect::<Vec<_>>();
    compare_goldens("tests/golden/host", &rendered);
}

/// The rendered run, once both backends gave the same one.
fn on_both_backends(
    name: &str,
    portable: Result<String, balloon_sim::Error>,
    rust_vmm: Result<String, balloon_sim::Error>,
) -> String {
    let got = portable.unwrap_or_else(|e| panic!("{name}: {e}"));
    let other = rust_vmm.unwrap_or_else(|e| panic!("{name} (rust-vmm): {e}"));
    assert_eq!(other, got, "{name}: rust-vmm differs from portable");
    got
}

/// Compares each `(name, text)` with `DIR/name.txt`, or rewrites them under `BLESS=1`.
fn compare_goldens(dir: &str, rendered: &[(&str, String)]) {
    let bless = bless_mode(
        std::env::var_os("BLESS").as_deref(),
        std::env::var_os("CI").as_deref(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut blessed = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut failures = Vec::new();
    for (name, got) in rendered {
        let path = dir.join(format!("{name}.txt"));
        if bless {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(got.as_str()) {
                std::fs::create_dir_all(&dir).expect("golden dir");
                std::fs::write(&path, got).expect("write golden");
                blessed.push(*name);
            }
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == *got => {}
            Ok(want) => failures.push(format!(
                "{name}: golden differs\n--- want\n{want}--- got\n{got}"
            )),
            Err(_) => failures.push(format!("{name}: no golden file (run with BLESS=1)\n{got}")),
        }
    }
    if bless {
        // Say which goldens a bless changed, so a reviewer sees them without a diff tool.
        eprintln!(
            "BLESS=1: rewrote {} golden(s): {}",
            blessed.len(),
            if blessed.is_empty() {
                "none".to_owned()
            } else {
                blessed.join(", ")
            }
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
