//! Random scripts of every kind of line (monitor, guest, faults, host, stepping) on the real
//! world: nothing panics, and replaying the whole timeline from event 0 reproduces every event.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::trace::hash::TraceHash;
use balloon_sim::view::{BalloonView, ConfigView, QueueView};
use balloon_sim::{Session, StepSize};
use proptest::prelude::*;

/// Seeks to event 0 and replays every event one step at a time, so that no snapshot stands in
/// for the replay (`seek(len)` would restore the last one and replay only what follows it).
/// History::step checks each replayed event against the record and stops at a difference.
/// Returns the hash of the replayed events, recomputed here rather than read from the session.
fn replay_from_zero(s: &mut Session) -> Result<u64, TestCaseError> {
    let len = s.event_count();
    s.seek(0).unwrap();
    let mut h = TraceHash::default();
    while s.current_index() < len {
        let i = s.current_index();
        s.step(StepSize::Op);
        prop_assert_eq!(s.current_index(), i + 1, "replay stopped at event {}", i);
        h.feed(&s.events().get(i as usize).unwrap());
    }
    Ok(h.0)
}

fn frame(s: &Session) -> (BalloonView, ConfigView, Vec<QueueView>) {
    (s.balloon(), s.config_view(), s.queue_views())
}

fn line(op: u8, arg: u32) -> String {
    const FAULTS: [&str; 8] = [
        "device-writable",
        "odd-length",
        "oversized",
        "pfn-outside-ram",
        "avail-idx-jump",
        "head-out-of-range",
        "desc-loop",
        "zero-length",
    ];
    match op % 16 {
        0 => format!("balloon {}", arg % 300),
        1 => format!("{{\"execute\": \"balloon\", \"arguments\": {{\"value\": {}}}}}", i64::from(arg) * 4096 - 4096),
        2 => "info balloon".to_owned(),
        3 => "{\"execute\": \"query-balloon\"}".to_owned(),
        4 => format!("{{\"execute\": \"qom-set\", \"arguments\": {{\"path\": \"device[0]\", \"property\": \"guest-stats-polling-interval\", \"value\": {}}}}}", arg % 4),
        5 => "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"device[0]\", \"property\": \"guest-stats\"}}".to_owned(),
        6 => format!("guest alloc {}M", 1 + arg % 128),
        7 => format!("guest free {}M", 1 + arg % 128),
        8 => format!("guest cache {}M", 1 + arg % 64),
        9 => format!("guest touch {}M", 1 + arg % 64),
        10 => format!("fault ivq {}", FAULTS[arg as usize % FAULTS.len()]),
        11 => ["host hint start", "host hint stop", "host hint done"][arg as usize % 3].to_owned(),
        12 => format!("step {}", 1 + arg % 50),
        13 => format!("step message {}", 1 + arg % 3),
        14 => format!("run {}ms", 1 + arg % 4000),
        _ => "run".to_owned(),
    }
}

use proptest_cases::config;

proptest! {
    #![proptest_config(config(32))]
    #[test]
    fn random_scripts_never_panic_and_replay_exactly(
        machine in 0u8..4,
        ops in prop::collection::vec((0u8..16, 0u32..100_000), 1..14),
    ) {
        let dev = match machine {
            0 => "virtio-balloon",
            1 => "virtio-balloon,deflate-on-oom=on",
            2 => "virtio-balloon,free-page-reporting=on,page-poison=off",
            _ => "virtio-balloon,free-page-hint=on,iothread=io0,deflate-on-oom=on",
        };
        let mut text = format!("-m 128M -device {dev} -seed {machine}\nrun\n");
        for (op, arg) in &ops {
            text += &line(*op, *arg);
            text.push('\n');
        }
        let (mut s, _) = Session::from_script(&text).unwrap();
        let hash = s.trace_hash();
        let end = frame(&s);
        prop_assert_eq!(replay_from_zero(&mut s)?, hash);
        prop_assert_eq!(frame(&s), end);
    }
}
