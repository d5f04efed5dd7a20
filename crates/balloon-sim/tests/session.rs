//! The web app's API: stepping granularities, replies, views, errors that change nothing.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::command::{MachineConfig, QueueName};
use balloon_sim::trace::{Actor, Move};
use balloon_sim::{Session, StepSize};

fn booted() -> Session {
    let mut s = Session::new(MachineConfig::default()).unwrap();
    s.step(StepSize::UntilQuiet);
    s
}

#[test]
fn boot_walks_the_device_init_then_the_driver_probe() {
    let mut s = Session::new(MachineConfig::default()).unwrap();
    s.step(StepSize::Op);
    assert_eq!(
        s.events().get(0).unwrap().function(),
        "type_register_static"
    );
    assert_eq!(s.events().get(0).unwrap().actor, Actor::HostDevice);
    s.step(StepSize::UntilQuiet);
    assert_eq!(s.config_view().status, 0x0f, "DRIVER_OK after probe");
    let queues = s.queue_views();
    assert_eq!(
        queues.iter().map(|q| q.name).collect::<Vec<_>>(),
        [QueueName::Ivq, QueueName::Dvq, QueueName::Svq]
    );
    assert!(queues.iter().all(|q| q.ready));
    assert_eq!(queues[2].next_avail, 1, "the first stats buffer is held");
}

#[test]
fn step_message_ends_at_the_drivers_get_buf() {
    let mut s = booted();
    s.apply_line("balloon 1000").unwrap();
    let before = s.current_index();
    s.step(StepSize::Message);
    let last = &s.events().get(s.current_index() as usize - 1).unwrap();
    assert_eq!(last.function(), "virtqueue_get_buf");
    assert!(
        last.moves()
            .iter()
            .any(|m| matches!(m, Move::LastUsed { from: 0, to: 1 }))
    );
    let msg: Vec<_> = s
        .events()
        .range(before as usize, s.current_index() as usize)
        .collect();
    assert!(msg.iter().any(|e| e.function() == "balloon_inflate_page"
        && e.pfns().iter().map(|r| r.count).sum::<u64>() == 256));
    assert!(
        msg.iter()
            .any(|e| e.moves().contains(&Move::AvailIdx { from: 0, to: 1 }))
    );
    assert!(
        msg.iter()
            .any(|e| e.moves().contains(&Move::UsedIdx { from: 0, to: 1 }))
    );
}

#[test]
fn step_back_message_returns_to_the_previous_round_trip() {
    let mut s = booted();
    s.apply_line("balloon 1000").unwrap();
    s.step(StepSize::Message);
    let first_end = s.current_index();
    s.step(StepSize::Message);
    s.step(StepSize::Op);
    s.step_back_message();
    assert!(
        s.events()
            .get(s.current_index() as usize - 1)
            .unwrap()
            .ends_message()
    );
    s.step_back_message();
    assert_eq!(s.current_index(), first_end);
}

#[test]
fn step_message_in_a_quiet_world_stops() {
    let mut s = booted();
    let n = s.current_index();
    s.step(StepSize::Message);
    assert!(s.current_index() - n <= 1, "at most the one timer step");
}

#[test]
fn run_for_fires_timers_and_advances_virtual_time() {
    let mut s = booted();
    s.apply_line(r#"{"execute": "qom-set", "arguments": {"path": "/machine/peripheral-anon/device[0]", "property": "guest-stats-polling-interval", "value": 1}}"#).unwrap();
    s.step(StepSize::For(3_500_000_000));
    assert_eq!(s.balloon().now_ns, 3_500_000_000);
    assert!(s.stats_series().len() >= 3, "{:?}", s.stats_series().len());
    let times: Vec<u64> = s.stats_series().iter().map(|x| x.time_ns).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_bad_line_changes_nothing() {
    let mut s = booted();
    let (n, h) = (s.event_count(), s.trace_hash());
    let e = s
        .apply_line("info balloon\nballoon 512\nguest alloc lots")
        .unwrap_err();
    assert_eq!((e.line, e.column), (3, 13));
    assert_eq!((s.event_count(), s.trace_hash()), (n, h));
    assert!(s.apply_line("-m 2G").is_err());
}

#[test]
fn balloon_change_events_are_throttled_in_virtual_time() {
    let mut s = booted();
    let mut replies = s.apply_line("balloon 512").unwrap();
    replies.extend(s.apply_line("run\nrun 2s").unwrap());
    let events: Vec<String> = replies
        .iter()
        .map(|r| r.to_line())
        .filter(|l| l.contains("BALLOON_CHANGE"))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    // The held event goes out when the window closes, 1 s after the first, stamped with the
    // time it was raised: the last `actual`, 0.71 s in.
    assert!(events[0].contains("\"seconds\": 0") && events[1].contains("\"seconds\": 0"));
    assert!(events[1].contains("536870912"));
}

#[test]
fn memory_map_cells_add_up_and_cost_does_not_grow_with_the_guest() {
    let mut s = booted();
    s.apply_line("balloon 768\nrun").unwrap();
    let cells = s.memory_map(64);
    assert_eq!(cells.len(), 64);
    let pages: u64 = cells.iter().map(|c| c.pages).sum();
    assert_eq!(pages, 1 << 18);
    for c in &cells {
        assert_eq!(c.states.iter().sum::<u64>(), c.pages);
    }
    let ballooned: u64 = cells.iter().map(|c| c.states[3]).sum();
    assert_eq!(ballooned, 65536);
    assert_eq!(cells.iter().map(|c| c.discarded).sum::<u64>(), 65536);

    let big = MachineConfig {
        ram_size: 1 << 40,
        ..MachineConfig::default()
    };
    let mut s = Session::new(big).unwrap();
    s.step(StepSize::UntilQuiet);
    let t = std::time::Instant::now();
    let cells = s.memory_map(256);
    assert_eq!(cells.iter().map(|c| c.pages).sum::<u64>(), 1 << 28);
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn script_text_replays_to_the_same_hash() {
    let mut s = booted();
    s.apply_line("balloon 900\nrun\nguest alloc 10M\nrun 1s\ninfo balloon")
        .unwrap();
    let (again, _) = Session::from_script(&s.script_text()).unwrap();
    assert_eq!(again.trace_hash(), s.trace_hash());
    assert_eq!(again.event_count(), s.event_count());
}

/// Regression: the tampered avail.idx bypassed the driver's shadow index, so the guest never
/// kicked and the device never saw the jump. QEMU's `virtqueue_num_heads` answers an avail.idx
/// more than the queue size ahead with `virtio_error` ("Guest moved used index from ...").
#[test]
fn an_avail_idx_jump_is_kicked_and_puts_the_device_in_needs_reset() {
    let mut s = booted();
    s.apply_line("fault ivq avail-idx-jump").unwrap();
    s.apply_line(r#"{"execute": "balloon", "arguments": {"value": 1006632960}}"#)
        .unwrap();
    s.step(StepSize::UntilQuiet);
    assert_eq!(s.config_view().status & 0x40, 0x40, "DEVICE_NEEDS_RESET");
}

#[test]
fn queue_counts_follow_kicks_and_interrupts_and_time_travel() {
    let mut s = booted();
    let counts = |s: &Session, q: QueueName| {
        s.queue_views()
            .into_iter()
            .find(|v| v.name == q)
            .map(|v| v.counts)
            .unwrap_or_default()
    };
    let ivq = |s: &Session| counts(s, QueueName::Ivq);
    assert_eq!(ivq(&s).kicks, 0);
    s.apply_line("balloon 1000").unwrap();
    s.step(StepSize::Message);
    let one = ivq(&s);
    assert_eq!((one.kicks, one.interrupts), (1, 1));
    s.step(StepSize::Message);
    assert_eq!(ivq(&s).kicks, 2);
    s.step_back_message();
    assert_eq!(
        ivq(&s),
        one,
        "the counts are part of the state a seek restores"
    );
    assert_eq!(counts(&s, QueueName::Dvq).kicks, 0);
}
