//! Ring work takes virtual time, calibrated to a real QEMU 7.2 (TCG, q35, `-m 1024`) +
//! Linux 6.1 pair. The figures below are that pair's, measured with QMP timestamps and QEMU's
//! `virtio_balloon_set_config` trace point; the model gets them from per-page and
//! per-interrupt costs, never from the figures. Each must hold within ±25 %, on both backends.
#![cfg(not(target_arch = "wasm32"))]

use balloon_driver::DriverEvent;
use balloon_sim::command::parse_script;
use balloon_sim::world::{Detail, TraceEvent};
use balloon_sim::{Reply, Runner};
use virtq::{Backend, Portable, RustVmm};

const MS: f64 = 1e6;

/// What a run shows about time: when the monitor's `balloon` ran, when each `actual` was
/// written (`update_balloon_size` → `virtio_balloon_set_config`), and every reply.
struct Timed {
    command_ns: Vec<u64>,
    set_config_ns: Vec<u64>,
    replies: Vec<Reply>,
}

fn run<B: Backend>(text: &str) -> Timed {
    let script = parse_script(text).expect("script parses");
    let mut runner = Runner::<B>::new(&script).expect("machine builds");
    let mut t = Timed {
        command_ns: Vec::new(),
        set_config_ns: Vec::new(),
        replies: Vec::new(),
    };
    let mut events: Vec<(u64, bool, bool)> = Vec::new();
    let mut observe = |ev: &TraceEvent| {
        let balloon_command = matches!(&ev.detail, Detail::Monitor(m)
            if m.request.starts_with("balloon") || m.request.contains("\"balloon\""));
        let set_config = matches!(
            &ev.detail,
            Detail::Driver {
                event: DriverEvent::ActualWritten { .. },
                ..
            }
        );
        events.push((ev.time_ns, balloon_command, set_config));
    };
    runner.run_script(&script, &mut observe, &mut |r| t.replies.push(r));
    for (time, command, set_config) in events {
        if command {
            t.command_ns.push(time);
        }
        if set_config {
            t.set_config_ns.push(time);
        }
    }
    t
}

fn within(what: &str, got_ns: u64, want_ms: f64) {
    let got = got_ns as f64 / MS;
    assert!(
        (got - want_ms).abs() <= want_ms * 0.25,
        "{what}: {got:.3} ms, the real pair {want_ms} ms"
    );
}

const BOOTED: &str = "-m 1G -device virtio-balloon -seed 1\nrun\n";

fn inflate_half<B: Backend>() {
    let t = run::<B>(&format!(
        "{BOOTED}balloon 512\nrun\n{}",
        r#"{"execute": "balloon", "arguments": {"value": 1073741824}}"#
    ));
    let start = t.command_ns[0];
    assert_eq!(t.set_config_ns.len(), 512);
    within("first actual", t.set_config_ns[0] - start, 3.5);
    within("last actual", t.set_config_ns[511] - start, 710.0);
}

fn query_sees_intermediate<B: Backend>() {
    let t = run::<B>(&format!(
        "{BOOTED}{}\nrun 500ms\n{}\n",
        r#"{"execute": "balloon", "arguments": {"value": 536870912}}"#,
        r#"{"execute": "query-balloon"}"#
    ));
    let actual = t
        .replies
        .iter()
        .rev()
        .find_map(|r| match r {
            Reply::QmpReturn { value, .. } => value["actual"].as_i64(),
            _ => None,
        })
        .expect("query-balloon answers");
    // The real pair answered 704643072 (672 MiB) at 0.5 s: between the two sizes.
    assert!(
        actual > 536_870_912 && actual < 1_073_741_824,
        "query-balloon 0.5 s in: {actual}"
    );
    // And within a quarter of the real figure's progress (369 of 512 messages).
    let done = (1_073_741_824 - actual) as f64;
    let real = (1_073_741_824_i64 - 704_643_072) as f64;
    assert!((done - real).abs() <= real * 0.25, "{actual}");
}

fn deflate<B: Backend>() {
    let t = run::<B>(&format!("{BOOTED}balloon 512\nrun\nballoon 1024\nrun\n"));
    let start = t.command_ns[1];
    assert_eq!(t.set_config_ns.len(), 1024);
    within(
        "last actual of the deflate",
        t.set_config_ns[1023] - start,
        260.0,
    );
}

fn thousand_pages<B: Backend>() {
    let target = 1_073_741_824 - 1000 * 4096;
    let t = run::<B>(&format!(
        "{BOOTED}{{\"execute\": \"balloon\", \"arguments\": {{\"value\": {target}}}}}\nrun\n"
    ));
    assert_eq!(t.set_config_ns.len(), 4);
    within("four messages", t.set_config_ns[3] - t.command_ns[0], 8.0);
}

/// The throttle holds the last BALLOON_CHANGE until its window closes, and QEMU stamps the
/// event when it was raised: the last `actual`, 0.71 s in, not the window's end at 1 s.
fn held_event_keeps_its_time<B: Backend>() {
    let t = run::<B>(&format!("{BOOTED}balloon 512\nrun 2s\n"));
    let changes: Vec<(u64, i64)> = t
        .replies
        .iter()
        .filter_map(|r| match r {
            Reply::QmpEvent { data, time_ns, .. } => Some((*time_ns, data["actual"].as_i64()?)),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[1].1, 536_870_912);
    assert_eq!(changes[1].0, t.set_config_ns[511]);
    within("held event's time", changes[1].0 - t.command_ns[0], 710.0);
}

fn all<B: Backend>() {
    inflate_half::<B>();
    query_sees_intermediate::<B>();
    deflate::<B>();
    thousand_pages::<B>();
    held_event_keeps_its_time::<B>();
}

#[test]
fn ring_work_takes_the_real_pairs_time_portable() {
    all::<Portable>();
}

#[test]
fn ring_work_takes_the_real_pairs_time_rust_vmm() {
    all::<RustVmm>();
}
