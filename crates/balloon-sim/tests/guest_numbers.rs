//! The guest's numbers as the monitor reads them, on both backends, against the measured
//! pair: QEMU 7.2 (TCG, q35, `-m 1024`, `deflate-on-oom=on`) and Linux 6.1, after the guest
//! booted to a shell (`qom-get guest-stats` with polling on), and under deflate-on-OOM.
#![cfg(not(target_arch = "wasm32"))]

use balloon_driver::DriverEvent;
use balloon_sim::command::parse_script;
use balloon_sim::world::{Detail, TraceEvent};
use balloon_sim::{Reply, Runner};
use virtq::{Backend, Portable, RustVmm};

const MIB: i64 = 1 << 20;

fn run<B: Backend>(text: &str) -> (Vec<Reply>, usize) {
    let script = parse_script(text).expect("script parses");
    let mut runner = Runner::<B>::new(&script).expect("machine builds");
    let mut replies = Vec::new();
    let mut notifies = 0;
    let mut observe = |ev: &TraceEvent| {
        if matches!(
            &ev.detail,
            Detail::Driver {
                event: DriverEvent::OomNotify { .. },
                ..
            }
        ) {
            notifies += 1;
        }
    };
    runner.run_script(&script, &mut observe, &mut |r| replies.push(r));
    (replies, notifies)
}

fn returns(replies: &[Reply]) -> Vec<serde_json::Value> {
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::QmpReturn { value, .. } => Some(value.clone()),
            _ => None,
        })
        .collect()
}

const BOOTED: &str = "-m 1G -device virtio-balloon,id=balloon0,deflate-on-oom=on -seed 1\nrun\n";

/// `stat-total-memory`, `stat-free-memory`, `stat-available-memory`, `stat-disk-caches` read
/// on the measured pair after boot; each must hold within ±2 %.
fn stats_after_boot<B: Backend>() {
    let (replies, _) = run::<B>(&format!(
        "{BOOTED}{}\nrun 3s\n{}\n",
        r#"{"execute": "qom-set", "arguments": {"path": "balloon0", "property": "guest-stats-polling-interval", "value": 2}}"#,
        r#"{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}"#
    ));
    let stats = returns(&replies)
        .into_iter()
        .find_map(|v| v.get("stats").cloned())
        .expect("guest-stats answers");
    for (key, want) in [
        ("stat-total-memory", 1_020_538_880_i64),
        ("stat-free-memory", 982_036_480),
        ("stat-available-memory", 913_588_224),
        ("stat-disk-caches", 2_273_280),
    ] {
        let got = stats[key].as_i64().expect(key);
        assert!(
            (got - want).abs() as f64 <= want as f64 * 0.02,
            "{key}: {got}, measured {want}"
        );
    }
}

/// A 512 MiB balloon, then the guest writes 600 MiB: measured 239 OOM deflates of 256 pages
/// with `actual` stalled at 751 MiB and no re-inflate (a second run: 270, 782 MiB).
fn oom_stall<B: Backend>() {
    let query = r#"{"execute": "query-balloon"}"#;
    let (replies, notifies) = run::<B>(&format!(
        "{BOOTED}balloon 512\nrun\nguest alloc 600M\nrun\nrun 2s\n{query}\nrun 10s\n{query}\n"
    ));
    assert!((215..=300).contains(&notifies), "{notifies} OOM deflates");
    let actual: Vec<i64> = returns(&replies)
        .iter()
        .filter_map(|v| v["actual"].as_i64())
        .collect();
    let stall = actual[actual.len() - 2] / MIB;
    assert!((730..=800).contains(&stall), "stalled at {stall} MiB");
    assert_eq!(
        actual[actual.len() - 1],
        actual[actual.len() - 2],
        "no re-inflate"
    );
}

#[test]
fn the_guests_numbers_match_the_measured_pair_portable() {
    stats_after_boot::<Portable>();
    oom_stall::<Portable>();
}

#[test]
fn the_guests_numbers_match_the_measured_pair_rust_vmm() {
    stats_after_boot::<RustVmm>();
    oom_stall::<RustVmm>();
}
