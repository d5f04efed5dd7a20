//! The whole protocol against a hand-written ring, on both backends, with identical traces:
//! inflate 1000 PFNs (256/256/256/232), deflate 300, a stats round, a hinting round, a report
//! of 32 x 2 MiB ranges.

mod common;

use balloon_device::consts::{bit, status};
use balloon_device::{
    BalloonProps, DeviceEvent, HintStatus, Interrupt, PfnRun, PrecopyNotifyReason, QueueKind,
};
use common::{BUF_BASE, Guest, RAM, readable, writable};
use virtq::{Backend, GuestRam, Portable};

/// Linux `update_balloon_stats` order with hugetlb: 16 entries, tags not in numeric order.
const LINUX_ORDER: [u16; 16] = [0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 8, 9, 4, 5, 6, 7];

fn props() -> BalloonProps {
    BalloonProps {
        free_page_hint: true,
        iothread: true,
        free_page_reporting: true,
        ..BalloonProps::default()
    }
}

fn kinds(evs: &[DeviceEvent]) -> Vec<&'static str> {
    evs.iter().map(|e| e.function()).collect()
}

/// Sends one PFN message on `q` and checks the ring moves and the interrupt.
fn message<B: Backend>(g: &mut Guest<B>, q: u16, pfns: &[u32], k: u16) -> Vec<DeviceEvent> {
    let seg = g.pfn_buffer(BUF_BASE, pfns);
    let head = g.send(q, &[seg]);
    assert_eq!(g.avail_idx(q), k + 1);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        [
            "virtqueue_pop",
            if q == 0 {
                "balloon_inflate_page"
            } else {
                "balloon_deflate_page"
            },
            "virtqueue_push",
            "virtio_notify",
            "virtqueue_pop"
        ]
    );
    match &evs[0] {
        DeviceEvent::Popped {
            head: h,
            next_avail,
            readable_bytes,
            ..
        } => {
            assert_eq!(*h, head);
            assert_eq!(*next_avail, (k, k + 1));
            assert_eq!(*readable_bytes, 4 * pfns.len() as u64);
        }
        e => panic!("{e:?}"),
    }
    match &evs[2] {
        DeviceEvent::UsedPushed {
            head: h,
            len,
            used_idx,
            ..
        } => {
            assert_eq!((*h, *len, *used_idx), (head, 0, (k, k + 1)));
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(g.used_idx(q), k + 1);
    assert_eq!(g.used_elem(q, k), (u32::from(head), 0));
    assert_eq!(g.interrupts(), vec![Interrupt::Used(q)]);
    let used = g.qs[usize::from(q)].get_used(&mut g.ram).unwrap().unwrap();
    assert_eq!((used.id, used.len), (head, 0));
    evs
}

fn scenario<B: Backend>() -> Vec<String> {
    let mut trace = Vec::new();
    let (_, init) = Guest::<B>::realize(props());
    assert_eq!(
        kinds(&init),
        [
            "type_register_static",
            "virtio_balloon_class_init",
            "virtio_balloon_instance_init",
            "virtio_init",
            "virtio_add_queue",
            "virtio_add_queue",
            "virtio_add_queue",
            "virtio_add_queue",
            "virtio_add_queue",
            "virtio_balloon_device_realize"
        ]
    );
    let sizes: Vec<u16> = init
        .iter()
        .filter_map(|e| match e {
            DeviceEvent::QueueAdded { size, .. } => Some(*size),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [128, 128, 128, 1024, 32]);
    trace.extend(init.iter().map(|e| e.sentence()));

    let mut g = Guest::<B>::boot(props(), u64::MAX);
    assert_eq!(g.dev.config_size(), 16);
    assert_eq!(g.dev.queue_index(QueueKind::Reporting), Some(4));

    // Linux queues the first stats buffer in init_vqs, before DRIVER_OK.
    let stats_addr = BUF_BASE + 0x1_0000;
    let entries: Vec<(u16, u64)> = LINUX_ORDER.iter().map(|t| (*t, 0)).collect();
    g.ram
        .write(stats_addr, &balloon_device::stats::encode_entries(&entries))
        .unwrap();
    let stats_head = g.send(2, &[readable(stats_addr, 160)]);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        ["virtqueue_pop", "virtio_balloon_receive_stats"]
    );
    assert_eq!(g.dev.stats_held(), Some(stats_head));
    assert_eq!(g.dev.queue_info(2).unwrap().next_avail, 1);
    assert_eq!(g.used_idx(2), 0);
    g.driver_ok();
    trace.extend(g.run().iter().map(|e| e.sentence()));

    // Resize: 1000 pages.
    let ev = g.dev.balloon((RAM - 1000 * 4096) as i64).unwrap();
    assert!(matches!(
        ev,
        DeviceEvent::TargetSet {
            num_pages: (0, 1000),
            config_interrupt: true,
            ..
        }
    ));
    assert_eq!(g.interrupts(), vec![Interrupt::Config]);
    assert_eq!(
        g.config_bytes(),
        [0xe8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );

    // Inflate: descending PFNs from the top of RAM, like Linux.
    let top = (RAM >> 12) as u32 - 1;
    let all: Vec<u32> = (0..1000).map(|i| top - i).collect();
    let mut actual = 0u32;
    for (k, chunk) in all.chunks(256).enumerate() {
        let evs = message(&mut g, 0, chunk, k as u16);
        match &evs[1] {
            DeviceEvent::Inflated {
                pfns,
                frames_discarded,
                bad_pfns,
                ..
            } => {
                assert_eq!(
                    *pfns,
                    vec![PfnRun {
                        first: u64::from(*chunk.last().unwrap()),
                        count: chunk.len() as u64
                    }]
                );
                assert_eq!(*frames_discarded, chunk.len() as u64);
                assert!(bad_pfns.is_empty());
            }
            e => panic!("{e:?}"),
        }
        actual += chunk.len() as u32;
        let ev = g.write_actual(actual);
        assert!(matches!(ev, DeviceEvent::ConfigWritten { .. }));
        let mut b = [0u8; 4];
        g.dev.read_config(4, &mut b);
        assert_eq!(u32::from_le_bytes(b), actual);
        trace.extend(evs.iter().map(|e| e.sentence()));
        trace.push(ev.sentence());
    }
    assert_eq!([256, 512, 768, 1000], [256, 512, 768, actual]);
    assert_eq!(g.dev.memory().discarded_frames(), 1000);
    assert_eq!(g.dev.memory().resident_bytes(), RAM - 1000 * 4096);
    assert_eq!(g.dev.queue_info(0).unwrap().next_avail, 4);
    assert_eq!(g.dev.queue_info(0).unwrap().used_idx, 4);
    assert_eq!(
        g.dev.query_balloon().unwrap().actual,
        (RAM - 1000 * 4096) as i64
    );
    assert_eq!(
        g.config_bytes(),
        [0xe8, 3, 0, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );

    // Deflate 300 (256 + 44), target back to 700.
    g.dev.balloon((RAM - 700 * 4096) as i64).unwrap();
    assert_eq!(g.interrupts(), vec![Interrupt::Config]);
    let back: Vec<u32> = all[700..].to_vec();
    for (k, chunk) in back.chunks(256).enumerate() {
        let evs = message(&mut g, 1, chunk, k as u16);
        match &evs[1] {
            DeviceEvent::Deflated {
                frames_undiscarded, ..
            } => assert_eq!(*frames_undiscarded, chunk.len() as u64),
            e => panic!("{e:?}"),
        }
        actual -= chunk.len() as u32;
        trace.extend(evs.iter().map(|e| e.sentence()));
        trace.push(g.write_actual(actual).sentence());
    }
    assert_eq!(actual, 700);
    assert_eq!(g.dev.memory().discarded_frames(), 700);
    assert_eq!(
        g.config_bytes(),
        [0xbc, 2, 0, 0, 0xbc, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );

    // Seven writes of actual at time 0: the first BALLOON_CHANGE went out, the last waits for
    // the one-second window to close.
    assert_eq!(g.dev.next_timer(), Some(1_000_000_000));
    let ev = g.dev.fire_timer(1_000_000_000).unwrap();
    assert_eq!(
        ev,
        DeviceEvent::BalloonChangeFlushed {
            actual: (RAM - 700 * 4096) as i64,
            raised_ns: 0,
        }
    );
    assert_eq!(g.dev.next_timer(), None);
    trace.push(ev.sentence());

    // Stats round: polling on, the timer returns the held buffer, the guest refills it.
    g.now = 5_000_000_000;
    g.dev.qom_set_polling_interval(2, g.now).unwrap();
    assert_eq!(g.dev.next_timer(), Some(g.now));
    let ev = g.dev.fire_timer(g.now).unwrap();
    assert!(matches!(ev, DeviceEvent::StatsPollFired { held: Some(h), .. } if h == stats_head));
    let evs = g.run();
    assert_eq!(kinds(&evs), ["virtqueue_push", "virtio_notify"]);
    assert_eq!(g.used_idx(2), 1);
    assert_eq!(g.interrupts(), vec![Interrupt::Used(2)]);
    assert_eq!(
        g.qs[2].get_used(&mut g.ram).unwrap().unwrap().id,
        stats_head
    );
    let entries: Vec<(u16, u64)> = LINUX_ORDER
        .iter()
        .map(|t| (*t, 1000 + u64::from(*t)))
        .collect();
    g.ram
        .write(stats_addr, &balloon_device::stats::encode_entries(&entries))
        .unwrap();
    let head2 = g.send(2, &[readable(stats_addr, 160)]);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        ["virtqueue_pop", "virtio_balloon_receive_stats"]
    );
    match &evs[1] {
        DeviceEvent::StatsReceived {
            parse,
            timer,
            last_update,
            ..
        } => {
            // A Linux 6.12 guest's six newer tags are unknown to QEMU 7.2 (S_NR = 10).
            assert_eq!(
                (parse.entries, parse.unknown_tags, parse.tail_bytes),
                (16, 6, 0)
            );
            assert_eq!(*timer, Some(g.now + 2_000_000_000));
            assert_eq!(*last_update, 5);
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(g.dev.stats_held(), Some(head2));
    let gs = serde_json::to_value(g.dev.qom_get_guest_stats()).unwrap();
    assert_eq!(gs["stats"]["stat-swap-in"], 1000);
    assert_eq!(gs["stats"].get("stat-oom-kills"), None);
    assert_eq!(gs["stats"].as_object().map(|m| m.len()), Some(10));
    assert_eq!(gs["stats"]["stat-disk-caches"], 1007);
    assert_eq!(gs["last-update"], 5);
    trace.extend(evs.iter().map(|e| e.sentence()));

    // Hinting round.
    let ev = g
        .dev
        .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: true })
        .unwrap();
    assert!(matches!(
        ev,
        DeviceEvent::HintStatusChanged {
            new: HintStatus::Requested,
            cmd_id: 0x8000_0001,
            config_interrupt: true,
            ..
        }
    ));
    assert_eq!(g.interrupts(), vec![Interrupt::Config]);
    assert_eq!(&g.config_bytes()[8..12], &0x8000_0001u32.to_le_bytes());
    let cmd_addr = BUF_BASE + 0x2_0000;
    g.ram.write_u32(cmd_addr, 0x8000_0001).unwrap();
    g.send(3, &[readable(cmd_addr, 4)]);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        [
            "virtqueue_pop",
            "get_free_page_hints",
            "virtqueue_push",
            "virtio_notify",
            "virtqueue_pop"
        ]
    );
    assert_eq!(g.dev.hint().status, HintStatus::Start);
    assert_eq!(&g.config_bytes()[8..12], &[0, 0, 0, 0]);
    trace.extend(evs.iter().map(|e| e.sentence()));
    for block in [0x1000_0000u64, 0x1040_0000] {
        g.send(3, &[writable(block, 4 << 20)]);
        let evs = g.run();
        match &evs[1] {
            DeviceEvent::HintRanges {
                taken: true,
                newly_hinted: 1024,
                runs,
                ..
            } => {
                assert_eq!(
                    *runs,
                    vec![PfnRun {
                        first: block >> 12,
                        count: 1024
                    }]
                );
            }
            e => panic!("{e:?}"),
        }
        trace.extend(evs.iter().map(|e| e.sentence()));
    }
    assert_eq!(g.dev.memory().hinted_frames(), 2048);
    g.ram.write_u32(cmd_addr + 4, 0).unwrap();
    g.send(3, &[readable(cmd_addr + 4, 4)]);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        [
            "virtqueue_pop",
            "get_free_page_hints",
            "virtqueue_push",
            "virtio_notify"
        ]
    );
    assert_eq!(g.dev.hint().status, HintStatus::Stop);
    assert_eq!(g.used_idx(3), 4);
    // EVENT_IDX: the guest has not moved used_event since the first element, so only the
    // first of the four pushes interrupts.
    assert_eq!(g.interrupts(), vec![Interrupt::Used(3)]);
    let ev = g.dev.precopy_notify(PrecopyNotifyReason::Cleanup).unwrap();
    assert!(matches!(
        ev,
        DeviceEvent::HintStatusChanged {
            new: HintStatus::Done,
            ..
        }
    ));
    assert_eq!(&g.config_bytes()[8..12], &[1, 0, 0, 0]);
    assert_eq!(g.interrupts(), vec![Interrupt::Config]);
    trace.extend(evs.iter().map(|e| e.sentence()));

    // Free page reporting: one chain of 32 device-writable 2 MiB ranges.
    let base = 0x2000_0000u64;
    let segs: Vec<_> = (0..32)
        .map(|k| writable(base + k * (2 << 20), 2 << 20))
        .collect();
    let head = g.send(4, &segs);
    let evs = g.run();
    assert_eq!(
        kinds(&evs),
        [
            "virtqueue_pop",
            "virtio_balloon_handle_report",
            "virtqueue_push",
            "virtio_notify",
            "virtqueue_pop"
        ]
    );
    assert!(matches!(
        evs[0],
        DeviceEvent::Popped {
            descriptors: 32,
            writable_bytes: 0x400_0000,
            ..
        }
    ));
    match &evs[1] {
        DeviceEvent::Reported {
            discarded,
            frames_discarded,
            misaligned: 0,
            skipped_for_poison: None,
            ..
        } => {
            assert_eq!(
                *discarded,
                vec![PfnRun {
                    first: base >> 12,
                    count: 16384
                }]
            );
            assert_eq!(*frames_discarded, 16384);
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(g.used_elem(4, 0), (u32::from(head), 0));
    assert_eq!(g.interrupts(), vec![Interrupt::Used(4)]);
    assert_eq!(g.dev.memory().discarded_frames(), 700 + 16384);
    trace.extend(evs.iter().map(|e| e.sentence()));

    assert_eq!(g.dev.status() & status::DRIVER_OK, status::DRIVER_OK);
    assert!(!g.dev.is_broken());
    assert_eq!(
        g.dev.driver_features() & bit(0),
        0,
        "QEMU never offers MUST_TELL_HOST"
    );
    for q in 0..5 {
        let info = g.dev.queue_info(q).unwrap();
        trace.push(format!(
            "{:?} next_avail {} used_idx {} used.idx {}",
            info.queue.kind,
            info.next_avail,
            info.used_idx,
            g.used_idx(q)
        ));
    }
    trace
}

#[test]
fn whole_protocol_on_the_portable_ring() {
    let t = scenario::<Portable>();
    assert!(t.len() > 60);
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn whole_protocol_identical_on_rust_vmm() {
    assert_eq!(scenario::<Portable>(), scenario::<virtq::RustVmm>());
}
