//! Every preset runs on both backends with identical replies, summaries and trace hashes, and
//! matches its golden file (`tests/golden/NAME.txt`; `BLESS=1` rewrites them).
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::presets::PRESETS;
use balloon_sim::reply::Reply;
use balloon_sim::{Summary, run_text};

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

#[test]
fn presets_match_golden_on_both_backends() {
    let bless = std::env::var_os("BLESS").is_some();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut failures = Vec::new();
    for p in PRESETS {
        let (replies, summary) =
            run_text::<virtq::Portable>(p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        let got = render(&replies, &summary);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (r2, s2) = run_text::<virtq::RustVmm>(p.text)
                .unwrap_or_else(|e| panic!("{} (rust-vmm): {e}", p.name));
            assert_eq!(
                render(&r2, &s2),
                got,
                "{}: rust-vmm differs from portable",
                p.name
            );
        }
        let path = dir.join(format!("{}.txt", p.name));
        if bless {
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{}: golden differs\n--- want\n{want}--- got\n{got}",
                p.name
            )),
            Err(_) => failures.push(format!(
                "{}: no golden file (run with BLESS=1)\n{got}",
                p.name
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
