//! Same script and seed ⇒ the same trace in wasm32 as natively: the presets' trace hashes and
//! summaries, computed in wasm, equal the golden files the native test checks.
//!
//! `cargo xtask test` runs it in headless Chromium and headless Firefox; by hand:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p balloon-sim --target
//! wasm32-unknown-unknown --test wasm_hash` (or `GECKODRIVER=...`), from `crates/balloon-sim`.
#![cfg(target_arch = "wasm32")]

use balloon_sim::presets;
use balloon_sim::run_text;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

// The browsers are where the playground runs, so that is where the hashes must agree.
wasm_bindgen_test_configure!(run_in_browser);

macro_rules! golden {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("golden/", $name, ".txt")))),*]
    };
}

/// Every preset but the 64 GiB bulk one (too slow for a wasm test run).
const GOLDEN: &[(&str, &str)] = golden!(
    "inflate-half",
    "deflate",
    "stats-polling",
    "deflate-on-oom",
    "free-page-reporting",
    "free-page-hinting",
    "malformed-needs-reset",
    "malformed-tolerated",
    "monitor-errors",
);

#[wasm_bindgen_test]
fn presets_hash_in_wasm_as_natively() {
    for (name, golden) in GOLDEN {
        let p = presets::get(name).expect("preset exists");
        let (replies, summary) = run_text::<virtq::Portable>(p.text).expect("preset runs");
        let mut got = String::new();
        for r in &replies {
            got += &r.to_line();
            got.push('\n');
        }
        got += &serde_json::to_string_pretty(&summary).expect("summary serialises");
        got.push('\n');
        assert_eq!(
            &got, golden,
            "{name}: wasm32 differs from the native golden file"
        );
    }
}

/// Host presets small enough for a wasm test run (the MoM ones run tens of thousands of
/// events): several VMs on one clock hash the same in the browser.
const HOST_GOLDEN: &[(&str, &str)] =
    golden!("host/host-overcommit-oom", "host/host-free-page-reporting",);

#[wasm_bindgen_test]
fn host_presets_hash_in_wasm_as_natively() {
    for (path, golden) in HOST_GOLDEN {
        let name = path.trim_start_matches("host/");
        let p = balloon_sim::host::presets::get(name).expect("host preset exists");
        let (replies, summary) =
            balloon_sim::host::run_host_text::<virtq::Portable>(p.text).expect("preset runs");
        let got = balloon_sim::host::transcript(&replies, &summary);
        assert_eq!(
            &got, golden,
            "{name}: wasm32 differs from the native golden file"
        );
    }
}
