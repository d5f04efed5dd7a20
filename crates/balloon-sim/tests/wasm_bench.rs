//! The browser half of the bulk benchmark: the bulk inflate, seeks, the host of eight VMs and
//! the slowest single event of a fragmented guest, timed with
//! `performance.now()` inside headless Chromium. `cargo xtask bench` builds it with the
//! page's profile (`--profile page`, what `trunk build --release` builds the page's wasm with)
//! and `BALLOON_BENCH_FULL=1` (the 64 GiB preset, a 100,000-event session)
//! and reads the `bench:` lines it prints; without that variable it runs a smoke size.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown
//! -p balloon-sim --test wasm_bench -- --nocapture`.
#![cfg(target_arch = "wasm32")]

use balloon_sim::command::parse_script;
use balloon_sim::{Runner, Session, presets};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const FULL: bool = option_env!("BALLOON_BENCH_FULL").is_some();

// The same scripts as the native half (benches/bulk.rs), so the runs compare.
const SMOKE_BULK: &str = include_str!("../benches/scripts/bulk-smoke.bpl");
const SEEK_FULL: &str = include_str!("../benches/scripts/seek-full.bpl");
const SEEK_SMOKE: &str = include_str!("../benches/scripts/seek-smoke.bpl");

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .expect("performance.now() in a browser window")
}

#[wasm_bindgen_test]
fn bulk_inflate_in_the_browser() {
    let text = if FULL {
        presets::get("bulk-64g").expect("preset").text
    } else {
        SMOKE_BULK
    };
    let script = parse_script(text).expect("script parses");
    let started = now_ms();
    let mut runner = Runner::<virtq::Portable>::new(&script).expect("machine");
    runner.run_script(&script, &mut |_| {}, &mut |_| {});
    let summary = runner.summary();
    let took = now_ms() - started;
    let pages = if FULL { 15 << 20 } else { 196_608 };
    assert_eq!(
        u64::from(summary.actual),
        pages,
        "the balloon holds every page"
    );
    assert_eq!(summary.pages_discarded_by_device, pages);
    if FULL {
        let golden = include_str!("golden/bulk-64g.txt");
        assert!(
            golden.contains(&format!("\"trace_hash\": \"{}\"", summary.trace_hash)),
            "the browser run's trace hash {} is not the golden one",
            summary.trace_hash
        );
    }
    console_log!("bench: bulk_inflate_browser_s={:.4}", took / 1e3);
}

#[wasm_bindgen_test]
fn seek_in_the_browser() {
    let (text, min_events, count) = if FULL {
        (SEEK_FULL, 100_000, 100)
    } else {
        (SEEK_SMOKE, 1_000, 20)
    };
    let (mut s, _) = Session::from_script(text).expect("seek script runs");
    let len = s.event_count();
    assert!(len >= min_events, "only {len} events");
    let (mut worst, mut total) = (0f64, 0f64);
    let mut k: u64 = 12_345;
    for _ in 0..count {
        k = (k
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407)
            >> 11)
            % (len + 1);
        let started = now_ms();
        s.seek(k).expect("in range");
        let took = now_ms() - started;
        assert_eq!(s.current_index(), k);
        worst = worst.max(took);
        total += took;
    }
    console_log!("bench: seek_browser_events={len}");
    console_log!("bench: seek_browser_ms={worst:.3}");
    console_log!("bench: seek_browser_mean_ms={:.3}", total / count as f64);
}

#[wasm_bindgen_test]
fn host_of_eight_vms_in_the_browser() {
    use balloon_sim::host::{HostRunner, parse_host_script};
    let text = if FULL {
        include_str!("../benches/scripts/host-8x8g.bpl")
    } else {
        include_str!("../benches/scripts/host-smoke.bpl")
    };
    let script = parse_host_script(text).expect("host script parses");
    let started = now_ms();
    let mut runner = HostRunner::<virtq::Portable>::new(&script).expect("host");
    runner.run_script(&script, &mut |_, _| {}, &mut |_, _| {});
    let summary = runner.summary();
    let took = now_ms() - started;
    for (name, vm) in &summary.vms {
        let half = u32::try_from(vm.ram_size / 2 / 4096).expect("pages");
        assert_eq!(vm.actual, Some(half), "{name} inflated to half");
    }
    console_log!("bench: host_8x8g_browser_s={:.4}", took / 1e3);
}

include!("../benches/scripts/fragmented.rs");

/// Every event of a 64 GiB guest with fragmented free memory inflating to 4 GiB, timed one by
/// one (the world's step and the trace hash): the slowest is a frame the page would drop.
/// Each event keeps its fastest of three runs (`slowest_event`, shared with the native half).
#[wasm_bindgen_test]
fn slowest_event_of_a_fragmented_guest_in_the_browser() {
    let (text, target) = if FULL {
        (fragmented_script("64G", 16_384, 4 << 30), 4u64 << 30)
    } else {
        (fragmented_script("1G", 128, 256 << 20), 256 << 20)
    };
    let slow = slowest_event(&text, target, 3, &now_ms);
    console_log!(
        "slowest event of the fragmented guest: #{} {} ({} events)",
        slow.index,
        slow.function,
        slow.events
    );
    console_log!("bench: slowest_event_browser_ms={:.3}", slow.max_ms);
    console_log!("bench: slowest_event_browser_p99_ms={:.4}", slow.p99_ms);
}
