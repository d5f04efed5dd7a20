//! Behaviour a `cargo mutants` run found unpinned, each checked against QEMU's
//! hw/virtio/virtio-balloon.c (function named at each test), on both backends.

#[macro_use]
mod common;

use balloon_device::consts::{VIRTIO_BALLOON_F_STATS_VQ, bit};
use balloon_device::stats::encode_entries;
use balloon_device::{BalloonProps, DeviceEvent, PfnRun};
use common::{BUF_BASE, Guest, readable};
use virtq::{Backend, GuestRam, QueueLayout};

const NS: u64 = 1_000_000_000;
/// 64 KiB host pages: 16 balloon pages (4 KiB) each.
const HOST_64K: u64 = 64 * 1024;
const SUB: u32 = (HOST_64K / 4096) as u32;

fn booted<B: Backend>(host_page: u64, features: u64) -> Guest<B> {
    let mut g = Guest::<B>::boot_on(BalloonProps::default(), host_page, |o| o & features);
    g.driver_ok();
    g
}

/// Sends one PFN array on queue `q` and returns the handler's event (Inflated / Deflated).
fn pfns<B: Backend>(g: &mut Guest<B>, q: u16, list: &[u32]) -> DeviceEvent {
    let seg = g.pfn_buffer(BUF_BASE, list);
    g.send(q, &[seg]);
    let evs = g.run();
    evs.into_iter()
        .find(|e| {
            matches!(
                e,
                DeviceEvent::Inflated { .. } | DeviceEvent::Deflated { .. }
            )
        })
        .expect("a balloon_inflate_page / balloon_deflate_page event")
}

/// balloon_inflate_page with a host page larger than 4 KiB: subpages are collected in a
/// PartiallyBalloonedPage, the whole host page is discarded only once every subpage was seen,
/// a PFN of another host page abandons the collected ones, and virtio_balloon_handle_output
/// frees the partial page (virtio_balloon_pbp_free) at the end of each element.
fn inflate_on_64k_host_pages_counts_pages_host_pages_and_lost_subpages<B: Backend>() {
    let mut g = booted::<B>(HOST_64K, u64::MAX);
    // Host page 1 (PFNs 16..32) whole, in descending order as Linux sends them; then 5
    // subpages of host page 4, then 3 of host page 8: the 5 are abandoned when the 8th page's
    // first PFN arrives, the 3 at the end of the element.
    let mut list: Vec<u32> = (SUB..2 * SUB).rev().collect();
    list.extend(4 * SUB..4 * SUB + 5);
    list.extend(8 * SUB..8 * SUB + 3);
    match pfns(&mut g, 0, &list) {
        DeviceEvent::Inflated {
            pfns,
            frames_discarded,
            host_pages_discarded,
            partial_subpages_lost,
            ..
        } => {
            assert_eq!(frames_discarded, u64::from(SUB));
            assert_eq!(host_pages_discarded, 1);
            assert_eq!(partial_subpages_lost, 5 + 3);
            // Every valid PFN is reported, discarded or not.
            let total: u64 = pfns.iter().map(|r| r.count).sum();
            assert_eq!(total, list.len() as u64);
        }
        e => panic!("{e:?}"),
    }
    let mem = g.dev.memory();
    assert_eq!(mem.discarded_frames(), u64::from(SUB));
    assert!((16..32).all(|f| mem.is_discarded(f)));
    assert!(!mem.is_discarded(u64::from(4 * SUB)));
    assert!(
        mem.warned_large_pages(),
        "warn_report_once on a > 4 KiB page"
    );

    // A new element starts a new partial page: the rest of host page 4 alone is not enough.
    match pfns(&mut g, 0, &(4 * SUB + 5..5 * SUB).collect::<Vec<_>>()) {
        DeviceEvent::Inflated {
            frames_discarded,
            host_pages_discarded,
            partial_subpages_lost,
            ..
        } => {
            assert_eq!((frames_discarded, host_pages_discarded), (0, 0));
            assert_eq!(partial_subpages_lost, u64::from(SUB) - 5);
        }
        e => panic!("{e:?}"),
    }
}

/// balloon_deflate_page: MADV_WILLNEED on the whole host page holding the PFN
/// (`host_addr` aligned down to `rb_page_size`), so one PFN takes all its subpages out of the
/// discarded set (they become resident when the guest writes them).
fn deflate_on_64k_host_pages_faults_in_whole_host_pages<B: Backend>() {
    let mut g = booted::<B>(HOST_64K, u64::MAX);
    let list: Vec<u32> = (SUB..3 * SUB).collect();
    pfns(&mut g, 0, &list);
    assert_eq!(g.dev.memory().discarded_frames(), 2 * u64::from(SUB));
    // One PFN in the middle of host page 2.
    match pfns(&mut g, 1, &[2 * SUB + 7]) {
        DeviceEvent::Deflated {
            pfns,
            frames_undiscarded,
            ..
        } => {
            assert_eq!(frames_undiscarded, u64::from(SUB));
            assert_eq!(
                pfns,
                vec![PfnRun {
                    first: u64::from(2 * SUB + 7),
                    count: 1
                }]
            );
        }
        e => panic!("{e:?}"),
    }
    let mem = g.dev.memory();
    assert_eq!(mem.discarded_frames(), u64::from(SUB));
    assert!((32..48).all(|f| !mem.is_discarded(f)));
    assert!((16..32).all(|f| mem.is_discarded(f)));
}

/// On 4 KiB host pages virtio_balloon_handle_output calls balloon_inflate_page once per PFN,
/// so a PFN repeated inside a run is discarded (and counted as a host page) twice, and the
/// frames newly discarded count it once.
fn a_repeated_pfn_inside_a_run_is_a_second_discard<B: Backend>() {
    let mut g = booted::<B>(4096, u64::MAX);
    match pfns(&mut g, 0, &[100, 101, 101, 102, 99]) {
        DeviceEvent::Inflated {
            pfns,
            frames_discarded,
            host_pages_discarded,
            partial_subpages_lost,
            ..
        } => {
            assert_eq!(frames_discarded, 4);
            assert_eq!(host_pages_discarded, 5);
            assert_eq!(partial_subpages_lost, 0);
            assert_eq!(
                pfns,
                vec![PfnRun {
                    first: 99,
                    count: 4
                }]
            );
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(g.dev.memory().discarded_frames(), 4);
    // Deflating the same list gives exactly those four back.
    match pfns(&mut g, 1, &[102, 101, 101, 100, 99]) {
        DeviceEvent::Deflated {
            frames_undiscarded, ..
        } => assert_eq!(frames_undiscarded, 4),
        e => panic!("{e:?}"),
    }
    assert_eq!(g.dev.memory().discarded_frames(), 0);
}

/// Descending and ascending neighbours, and separate runs: the host discards exactly the
/// listed frames, whatever order they come in.
fn runs_discard_exactly_the_listed_frames<B: Backend>() {
    let mut g = booted::<B>(4096, u64::MAX);
    let list = [205, 204, 203, 300, 301, 302, 7, 9];
    pfns(&mut g, 0, &list);
    let mem = g.dev.memory();
    assert_eq!(mem.discarded_frames(), list.len() as u64);
    for f in list {
        assert!(mem.is_discarded(u64::from(f)), "{f}");
    }
    for f in [202, 206, 299, 303, 8] {
        assert!(!mem.is_discarded(f), "{f}");
    }
}

/// Boots with a stats polling interval and hands the device one stats buffer.
fn stats_guest<B: Backend>(features: u64, interval: i64) -> Guest<B> {
    let mut g = booted::<B>(4096, features);
    g.dev.qom_set_polling_interval(interval, 0).unwrap();
    g.ram
        .write(BUF_BASE + 0x1000, &encode_entries(&[(4, 4096)]))
        .unwrap();
    g.send(2, &[readable(BUF_BASE + 0x1000, 10)]);
    g.run();
    g
}

/// virtio_balloon_receive_stats re-arms the poll timer on its way out (`out:` label) even when
/// virtqueue_pop found nothing, as long as polling is on.
fn stats_timer_is_rearmed_when_the_stats_queue_drains<B: Backend>() {
    let mut g = stats_guest::<B>(u64::MAX, 3);
    g.now = 5 * NS;
    // A kick with nothing new available.
    g.dev.notify(2);
    let evs = g.run();
    assert!(
        evs.iter()
            .any(|e| matches!(e, DeviceEvent::QueueDrained { .. })),
        "{evs:?}"
    );
    assert_eq!(g.dev.next_timer(), Some(5 * NS + 3 * NS));
}

/// balloon_stats_poll_cb: without VIRTIO_BALLOON_F_STATS_VQ (balloon_stats_supported) the
/// held element is not pushed back, the timer is re-armed instead.
fn stats_are_not_pushed_without_stats_vq<B: Backend>() {
    let mut g = stats_guest::<B>(!bit(VIRTIO_BALLOON_F_STATS_VQ), 2);
    assert_eq!(g.dev.driver_features() & bit(VIRTIO_BALLOON_F_STATS_VQ), 0);
    let held = g.dev.stats_held();
    assert!(held.is_some(), "receive_stats holds the element anyway");
    let due = g.dev.next_timer().expect("polling is on");
    match g.dev.fire_timer(due) {
        Some(DeviceEvent::StatsPollFired {
            held: None,
            rearmed,
        }) => {
            assert_eq!(rearmed, Some(due + 2 * NS));
        }
        e => panic!("{e:?}"),
    }
    assert!(g.run().is_empty(), "nothing pushed");
    assert_eq!(g.used_idx(2), 0);
    assert_eq!(g.dev.stats_held(), held);
    // With STATS_VQ the same poll returns the element.
    let mut g = stats_guest::<B>(u64::MAX, 2);
    let due = g.dev.next_timer().unwrap();
    assert!(matches!(
        g.dev.fire_timer(due),
        Some(DeviceEvent::StatsPollFired { held: Some(_), .. })
    ));
    g.run();
    assert_eq!(g.used_idx(2), 1);
}

/// balloon_stats_set_poll_interval(0) destroys the timer, and virtio_balloon_receive_stats
/// arms none while the interval is 0.
fn poll_interval_zero_arms_no_timer<B: Backend>() {
    let mut g = stats_guest::<B>(u64::MAX, 0);
    assert_eq!(g.dev.next_timer(), None);
    g.dev.notify(2);
    g.run();
    assert_eq!(g.dev.next_timer(), None);
    g.dev.qom_set_polling_interval(4, 0).unwrap();
    assert!(g.dev.next_timer().is_some());
    match g.dev.qom_set_polling_interval(0, NS).unwrap() {
        DeviceEvent::PollingIntervalSet { timer, .. } => assert_eq!(timer, None),
        e => panic!("{e:?}"),
    }
    assert_eq!(g.dev.next_timer(), None);
    assert_eq!(g.dev.fire_timer(u64::MAX), None);
}

/// The stats poll timer and the BALLOON_CHANGE throttle window (monitor_qapi_event_queue)
/// due at the same instant: both fire, one per call, and neither is lost. (QEMU runs them on
/// different clocks, so their order is not a fact to pin.)
fn two_timers_due_together_both_fire<B: Backend>() {
    let mut g = stats_guest::<B>(u64::MAX, 1);
    // Two `actual` changes: the first BALLOON_CHANGE goes out, the second waits for the window.
    g.write_actual(1);
    g.write_actual(2);
    let window = g.dev.next_timer().unwrap();
    let stats = g.dev.fire_timer(0).map(|_| ());
    assert_eq!(stats, None, "nothing due at 0 after the first poll");
    let mut fired = Vec::new();
    let at = window.max(NS) + 10 * NS;
    while let Some(e) = g.dev.fire_timer(at) {
        fired.push(e.function());
        g.run();
        assert!(fired.len() <= 2, "{fired:?}");
    }
    fired.sort_unstable();
    assert_eq!(
        fired,
        ["balloon_stats_poll_cb", "monitor_qapi_event_handler"]
    );
}

/// After a handler finishes (virtqueue_push, virtio_notify), the device is idle: nothing
/// left to do until the next kick, and another queue's kick is served.
fn a_finished_handler_leaves_the_device_idle<B: Backend>() {
    let mut g = booted::<B>(4096, u64::MAX);
    pfns(&mut g, 0, &[10]);
    assert!(!g.dev.has_work());
    assert_eq!(g.dev.step(&mut g.ram, 0), None);
    pfns(&mut g, 1, &[10]);
    assert_eq!(g.used_idx(1), 1);
    assert!(!g.dev.has_work());
}

/// virtio_balloon_reset_enter (system reset, not a wake-up): reset_stats sets every stat to
/// -1 and stats_last_update to 0.
fn system_reset_clears_stats_and_last_update<B: Backend>() {
    let mut g = stats_guest::<B>(u64::MAX, 0);
    g.now = 7 * NS;
    g.ram
        .write(BUF_BASE + 0x2000, &encode_entries(&[(5, 8192)]))
        .unwrap();
    g.send(2, &[readable(BUF_BASE + 0x2000, 10)]);
    g.run();
    let before = g.dev.qom_get_guest_stats();
    assert_eq!(before.stats.get(5), Some(8192));
    assert_eq!(before.last_update, 7);
    g.dev.system_reset();
    let after = g.dev.qom_get_guest_stats();
    assert!(
        after.stats.by_tag().iter().all(|&v| v == u64::MAX),
        "{after:?}"
    );
    assert_eq!(after.last_update, 0);
}

/// virtio_pci_common_write on a queue index the device does not have: nothing happens.
fn set_queue_and_notify_on_a_missing_queue<B: Backend>() {
    let mut g = booted::<B>(4096, u64::MAX);
    let n = g.dev.num_queues();
    let layout = QueueLayout::contiguous(0x40_0000, 64);
    assert!(matches!(
        g.dev.set_queue(n, layout),
        DeviceEvent::NoSuchQueue {
            op: "set_queue",
            ..
        }
    ));
    assert!(matches!(
        g.dev.notify(n),
        DeviceEvent::NoSuchQueue { op: "notify", .. }
    ));
    assert!(!g.dev.has_work());
    assert_eq!(g.dev.num_queues(), n);
}

/// A ring the queue layer refuses (size not a power of two; a misaligned descriptor table,
/// VIRTIO 1.x 2.7 "Virtqueue alignment": 16 bytes) is not enabled.
fn a_bad_ring_layout_fails_to_configure<B: Backend>() {
    let (mut g, _) = Guest::<B>::realize_on(BalloonProps::default(), 4096);
    let mut l = QueueLayout::contiguous(0x40_0000, 64);
    l.desc_table += 8;
    assert!(matches!(
        g.dev.set_queue(0, l),
        DeviceEvent::QueueConfigFailed { .. }
    ));
    let mut l = QueueLayout::contiguous(0x40_0000, 64);
    l.size = 48;
    assert!(matches!(
        g.dev.set_queue(0, l),
        DeviceEvent::QueueConfigFailed { .. }
    ));
    assert!(!g.dev.queue_info(0).unwrap().ready);
    assert!(matches!(
        g.dev.notify(0),
        DeviceEvent::Kicked {
            accepted: false,
            ..
        }
    ));
}

/// virtio_balloon_device_realize: free-page-hint without an iothread fails
/// ("'free-page-hint' requires 'iothread' to be set") and leaves no device to use.
fn realize_fails_for_free_page_hint_without_iothread<B: Backend>() {
    let props = BalloonProps {
        free_page_hint: true,
        iothread: false,
        ..BalloonProps::default()
    };
    let (g, init) = Guest::<B>::realize_on(props, 4096);
    assert!(
        init.iter().any(|e| matches!(e, DeviceEvent::RealizeFailed { message } if message == "'free-page-hint' requires 'iothread' to be set")),
        "{init:?}"
    );
    assert_eq!(g.dev.num_queues(), 0);
    assert!(g.dev.query_balloon().is_err());
}

both!(
    inflate_on_64k_host_pages_counts_pages_host_pages_and_lost_subpages,
    deflate_on_64k_host_pages_faults_in_whole_host_pages,
    a_repeated_pfn_inside_a_run_is_a_second_discard,
    runs_discard_exactly_the_listed_frames,
    stats_timer_is_rearmed_when_the_stats_queue_drains,
    stats_are_not_pushed_without_stats_vq,
    poll_interval_zero_arms_no_timer,
    two_timers_due_together_both_fire,
    a_finished_handler_leaves_the_device_idle,
    system_reset_clears_stats_and_last_update,
    set_queue_and_notify_on_a_missing_queue,
    a_bad_ring_layout_fails_to_configure,
    realize_fails_for_free_page_hint_without_iothread,
);
