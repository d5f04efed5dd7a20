//! Time travel on the real world: seek(k) then stepping to the end reproduces the straight run
//! (every replayed event is checked against the record); acting at k forks.
//!
//! The hashes compared are recomputed from the events a replay produced, never read back from
//! the session's table of prefix hashes (which a seek does not touch), and the full replays step
//! from event 0 one event at a time, so no snapshot stands in for the replay.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::trace::hash::{TraceHash, hex};
use balloon_sim::view::{BalloonView, ConfigView, QueueView};
use balloon_sim::{Session, StepSize, run_text};
use proptest::prelude::*;

/// What the page shows at one event index.
type Frame = (BalloonView, ConfigView, Vec<QueueView>);

fn frame(s: &Session) -> Frame {
    (s.balloon(), s.config_view(), s.queue_views())
}

/// Seeks to event 0 and replays every event one step at a time (History::step checks each
/// replayed event against the record and stops at the first difference), hashing the events
/// as they are replayed. Returns the hash and the frame after `at` events.
fn replay_from_zero(s: &mut Session, at: u64) -> (u64, Option<Frame>) {
    let len = s.event_count();
    s.seek(0).unwrap();
    let mut h = TraceHash::default();
    let mut seen = (at == 0).then(|| frame(s));
    while s.current_index() < len {
        let i = s.current_index();
        s.step(StepSize::Op);
        assert_eq!(s.current_index(), i + 1, "replay stopped at event {i}");
        h.feed(&s.events().get(i as usize).unwrap());
        if i + 1 == at {
            seen = Some(frame(s));
        }
    }
    (h.0, seen)
}

/// A small random script over a 256 MiB guest.
fn script(ops: &[(u8, u32)]) -> String {
    let mut s = String::from(
        "-m 256M -device virtio-balloon,deflate-on-oom=on,free-page-reporting=on -seed 11\nrun\n",
    );
    for &(op, arg) in ops {
        s += &match op % 6 {
            0 => format!("balloon {}\n", 160 + arg % 96),
            1 => format!(
                "{{\"execute\": \"balloon\", \"arguments\": {{\"value\": {}}}}}\n",
                (128 + u64::from(arg % 128)) << 20
            ),
            2 => format!("guest alloc {}M\n", 1 + arg % 64),
            3 => format!("guest free {}M\n", 1 + arg % 64),
            4 => format!("run {}ms\n", 1 + arg % 3000),
            _ => "run\n".to_owned(),
        };
    }
    s + "run\nrun 3s\n"
}

#[test]
fn seek_back_replays_and_acting_forks() {
    let text = script(&[(0, 40), (5, 0), (2, 30), (4, 2500), (1, 7)]);
    let (mut s, _) = Session::from_script(&text).unwrap();
    let len = s.event_count();
    let end_hash = s.trace_hash();
    let end_numbers = s.balloon();
    assert!(len > 100, "{len}");

    // The straight run without history, for a hash no session table holds.
    let (_, summary) = run_text::<virtq::Portable>(&text).unwrap();
    assert_eq!(hex(end_hash), summary.trace_hash);

    s.seek(len / 2).unwrap();
    assert_eq!(s.current_index(), len / 2);
    assert_eq!(s.event_count(), len, "seeking keeps the future");
    let mut h = TraceHash(s.hash_at(len / 2));
    while s.current_index() < len {
        let i = s.current_index();
        s.step(StepSize::Op);
        assert_eq!(s.current_index(), i + 1, "replay stopped at event {i}");
        h.feed(&s.events().get(i as usize).unwrap());
    }
    assert_eq!(hex(h.0), summary.trace_hash);
    assert_eq!(s.balloon(), end_numbers);

    let (replayed, _) = replay_from_zero(&mut s, 0);
    assert_eq!(hex(replayed), summary.trace_hash);
    assert_eq!(s.balloon(), end_numbers);

    s.step_back();
    assert_eq!(s.current_index(), len - 1);

    let k = len / 3;
    s.seek(k).unwrap();
    let prefix_hash = s.hash_at(k);
    assert!(s.would_fork("balloon 200"));
    s.apply_line("balloon 200").unwrap();
    assert_eq!(
        s.event_count(),
        k + 1,
        "acting in the past drops the future"
    );
    assert_eq!(s.hash_at(k), prefix_hash, "the past is untouched");
    assert!(s.events().get(k as usize).unwrap().is_operator());
}

#[test]
fn reading_commands_in_the_past_keep_the_future() {
    let text = script(&[(0, 40), (5, 0), (2, 30)]);
    let (mut s, _) = Session::from_script(&text).unwrap();
    let len = s.event_count();
    let end_hash = s.trace_hash();
    let k = len / 2;
    s.seek(k).unwrap();
    let actual_then = s.balloon().actual;
    for line in [
        "info balloon",
        "help balloon",
        r#"{"execute": "query-balloon"}"#,
        r#"{"execute": "qom-get", "arguments": {"path": "/machine/peripheral-anon/device[0]", "property": "guest-stats-polling-interval"}}"#,
        "info balloon\nhelp",
    ] {
        assert!(!s.would_fork(line), "{line}");
        let replies = s.apply_line(line).unwrap();
        assert!(!replies.is_empty(), "{line}: no answer");
        assert_eq!(s.event_count(), len, "{line} forked the timeline");
        assert_eq!(s.current_index(), k, "{line} moved the cursor");
    }
    // The answer is about the world as shown, not the end of the timeline.
    let replies = s.apply_line("info balloon").unwrap();
    let expected = format!(
        "balloon: actual={}",
        256 - u64::from(actual_then) * 4096 / (1 << 20)
    );
    assert_eq!(replies[0].to_line(), expected);
    s.seek(len).unwrap();
    assert_eq!(s.trace_hash(), end_hash, "the future changed");
    // At the end a reading command is recorded as before (the trace shows the monitor line).
    s.apply_line("info balloon").unwrap();
    assert_eq!(s.event_count(), len + 1);
}

use proptest_cases::config;

proptest! {
    #![proptest_config(config(6))]
    #[test]
    fn seek_then_run_to_end_matches_straight_run(
        ops in prop::collection::vec((0u8..6, 0u32..10_000), 1..6),
        k in 0u64..1_000_000,
    ) {
        let text = script(&ops);
        let (straight, _) = Session::from_script(&text).unwrap();
        let (mut s, _) = Session::from_script(&text).unwrap();
        let len = s.event_count();
        let k = k % (len + 1);
        s.seek(k).unwrap();
        prop_assert_eq!(s.current_index(), k);
        let at_k = frame(&s);
        // Snapshot + replay (seek) and replay from event 0 show the same state at k, and the
        // replayed events hash to the straight run's hash.
        let (replayed, seen) = replay_from_zero(&mut s, k);
        prop_assert_eq!(seen, Some(at_k));
        let (_, summary) = run_text::<virtq::Portable>(&text).unwrap();
        prop_assert_eq!(hex(replayed), summary.trace_hash);
        prop_assert_eq!(s.current_index(), len);
        prop_assert_eq!(s.balloon(), straight.balloon());
        prop_assert_eq!(s.config_view(), straight.config_view());
        prop_assert_eq!(s.queue_views(), straight.queue_views());

        // Acting at k forks: the past stays, the future is replaced.
        s.seek(k).unwrap();
        let before = s.hash_at(k);
        s.apply_line("balloon 200").unwrap();
        // Before the machine exists, a monitor command first finishes creating it (device
        // bring-up steps), as QEMU does before its monitor answers.
        let n = s.event_count();
        prop_assert!(n > k);
        prop_assert_eq!(s.hash_at(k), before);
        prop_assert_eq!(s.events().get((n - 1) as usize).unwrap().kind(), "monitor");
        for i in k..n - 1 {
            prop_assert_eq!(s.events().get(i as usize).unwrap().kind(), "boot");
        }
    }
}
