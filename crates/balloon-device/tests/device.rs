//! Init flow, features, status, operator commands, timers and host page sizes.

mod common;

use balloon_device::consts::{
    VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_F_PAGE_POISON,
    VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_RESET,
    VIRTIO_F_VERSION_1, bit, status,
};
use balloon_device::{
    BalloonDevice, BalloonProps, DeviceEvent, DeviceProfile, Error, InitStage, Interrupt,
    PrecopyNotifyReason, QueueKind,
};
use common::{BUF_BASE, Guest, RAM, readable};
use virtq::{Backend, GuestRam, Portable};

#[test]
fn default_props_three_queues_sixteen_byte_config() {
    let (g, init) = Guest::<Portable>::realize(BalloonProps::default());
    assert_eq!(init.len(), 4 + 3 + 1);
    assert_eq!(g.dev.num_queues(), 3);
    assert_eq!(g.dev.config_size(), 16);
    assert_eq!(
        g.dev.device_features(),
        bit(VIRTIO_BALLOON_F_STATS_VQ)
            | bit(VIRTIO_BALLOON_F_PAGE_POISON)
            | bit(VIRTIO_F_VERSION_1)
            | bit(VIRTIO_F_EVENT_IDX)
            | bit(VIRTIO_F_INDIRECT_DESC)
            | bit(VIRTIO_F_RING_RESET)
    );
    for e in &init {
        assert!(!e.sentence().is_empty());
    }
    assert!(matches!(
        init[3],
        DeviceEvent::Realized {
            device_id: 5,
            config_size: 16,
            ..
        }
    ));
}

#[test]
fn config_size_eight_and_twelve() {
    let props = BalloonProps {
        page_poison: false,
        ..BalloonProps::default()
    };
    let (g, _) = Guest::<Portable>::realize(props.clone());
    assert_eq!(g.dev.config_size(), 8);
    let props = BalloonProps {
        free_page_hint: true,
        iothread: true,
        ..props
    };
    let (g, _) = Guest::<Portable>::realize(props);
    assert_eq!(g.dev.config_size(), 12);
    assert_eq!(g.dev.queue_index(QueueKind::FreePage), Some(3));
    assert_eq!(g.dev.queue_max_size(3), 1024);
}

#[test]
fn reporting_without_hinting_is_queue_three() {
    let props = BalloonProps {
        free_page_reporting: true,
        ..BalloonProps::default()
    };
    let (g, _) = Guest::<Portable>::realize(props);
    assert_eq!(g.dev.queue_index(QueueKind::Reporting), Some(3));
    assert_eq!(g.dev.queue_max_size(3), 32);
    assert_eq!(g.dev.queue_max_size(4), 0);
}

#[test]
fn free_page_hint_without_iothread_fails_realize() {
    let props = BalloonProps {
        free_page_hint: true,
        ..BalloonProps::default()
    };
    let (mut g, init) = Guest::<Portable>::realize(props);
    assert!(
        matches!(init.last(), Some(DeviceEvent::RealizeFailed { message }) if message == "'free-page-hint' requires 'iothread' to be set")
    );
    assert_eq!(g.dev.init_stage(), InitStage::Failed);
    assert_eq!(g.dev.balloon(1), Err(Error::NoBalloonDevice));
}

#[test]
fn operator_errors_use_qemu_words() {
    let mut dev =
        BalloonDevice::<Portable>::new(DeviceProfile::qemu(), BalloonProps::default(), RAM, 4096)
            .unwrap();
    let e = dev.balloon(512 << 20).unwrap_err();
    assert_eq!(e.to_string(), "No balloon device has been activated");
    assert_eq!(e.qmp_class(), "DeviceNotActive");
    while dev.init_step().is_some() {}
    assert_eq!(
        dev.balloon(0).unwrap_err().to_string(),
        "Parameter 'target' expects a size"
    );
    assert_eq!(
        dev.balloon(-5).unwrap_err().to_string(),
        "Parameter 'target' expects a size"
    );
    assert_eq!(
        dev.qom_set_polling_interval(-1, 0).unwrap_err().to_string(),
        "timer value must be greater than zero"
    );
    assert_eq!(
        dev.qom_set_polling_interval(5_000_000_000, 0)
            .unwrap_err()
            .to_string(),
        "timer value is too big"
    );
    // Above RAM is clamped: num_pages 0, and no interrupt before DRIVER_OK.
    assert!(matches!(
        dev.balloon(i64::MAX).unwrap(),
        DeviceEvent::TargetSet {
            target: RAM,
            num_pages: (0, 0),
            config_interrupt: false,
            ..
        }
    ));
    assert_eq!(dev.hmp_info_balloon().unwrap(), "balloon: actual=1024");
    let j = serde_json::to_value(dev.qom_get_guest_stats()).unwrap();
    assert_eq!(j["stats"]["stat-free-memory"], u64::MAX);
    assert_eq!(j["last-update"], 0);
    assert!(
        BalloonDevice::<Portable>::new(DeviceProfile::qemu(), BalloonProps::default(), RAM, 8192)
            .is_err()
    );
    assert!(
        BalloonDevice::<Portable>::new(
            DeviceProfile::qemu(),
            BalloonProps::default(),
            4096,
            2 << 20
        )
        .is_err()
    );
}

#[test]
fn features_frozen_after_features_ok() {
    let (mut g, _) = Guest::<Portable>::realize(BalloonProps::default());
    g.dev.set_status(status::ACKNOWLEDGE | status::DRIVER);
    let ev = g.dev.set_driver_features(u64::MAX);
    assert!(
        matches!(ev, DeviceEvent::DriverFeaturesSet { accepted, applied: true, .. } if accepted == g.dev.device_features())
    );
    g.dev
        .set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
    let ev = g
        .dev
        .set_driver_features(bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
    assert!(matches!(
        ev,
        DeviceEvent::DriverFeaturesSet { applied: false, .. }
    ));
    assert_eq!(g.dev.driver_features(), g.dev.device_features());
}

#[test]
fn poll_timer_rearms_without_a_buffer_and_stops_at_zero() {
    let mut g = Guest::<Portable>::boot(BalloonProps::default(), u64::MAX);
    g.driver_ok();
    g.dev.qom_set_polling_interval(3, 1_000).unwrap();
    assert_eq!(g.dev.next_timer(), Some(1_000));
    let ev = g.dev.fire_timer(1_000).unwrap();
    assert!(
        matches!(ev, DeviceEvent::StatsPollFired { held: None, rearmed: Some(t) } if t == 3_000_001_000)
    );
    assert_eq!(g.dev.fire_timer(2_000), None, "not due");
    // Changing the interval re-arms from now.
    g.dev.qom_set_polling_interval(10, 5_000).unwrap();
    assert_eq!(g.dev.next_timer(), Some(10_000_005_000));
    g.dev.qom_set_polling_interval(0, 6_000).unwrap();
    assert_eq!(g.dev.next_timer(), None);
    assert_eq!(g.dev.qom_get_polling_interval(), 0);
}

#[test]
fn polling_interval_prop_arms_the_timer_at_realize() {
    let props = BalloonProps {
        guest_stats_polling_interval: 2,
        ..BalloonProps::default()
    };
    let (g, _) = Guest::<Portable>::realize(props);
    assert_eq!(g.dev.next_timer(), Some(0));
}

fn huge_pages<B: Backend>(host_page: u64) -> (u64, u64) {
    let mut dev = BalloonDevice::<B>::new(
        DeviceProfile::qemu(),
        BalloonProps::default(),
        RAM,
        host_page,
    )
    .unwrap();
    while dev.init_step().is_some() {}
    let mut g = Guest::<B> {
        ram: B::new_ram(RAM).unwrap(),
        dev,
        qs: Vec::new(),
        now: 0,
        log: Vec::new(),
    };
    g.dev.set_status(status::ACKNOWLEDGE | status::DRIVER);
    g.dev.set_driver_features(u64::MAX);
    g.dev
        .set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
    let layout = virtq::QueueLayout::contiguous(common::RING_BASE, 128);
    g.qs.push(virtq::DriverQueue::new(&mut g.ram, layout, true).unwrap());
    g.dev.set_queue(0, layout);
    // Linux: 2048 descending PFNs in messages of 256.
    let top = (RAM >> 12) as u32;
    let pfns: Vec<u32> = (1..=2048).map(|i| top - i).collect();
    let mut lost = 0;
    for chunk in pfns.chunks(256) {
        let seg = g.pfn_buffer(BUF_BASE, chunk);
        g.send(0, &[seg]);
        for e in g.run() {
            if let DeviceEvent::Inflated {
                partial_subpages_lost,
                ..
            } = e
            {
                lost += partial_subpages_lost;
            }
        }
    }
    (g.dev.memory().discarded_frames(), lost)
}

#[test]
fn sixty_four_k_host_pages_discard_whole_pages() {
    assert_eq!(huge_pages::<Portable>(64 << 10), (2048, 0));
}

#[test]
fn two_mib_host_pages_never_discard_with_256_pfn_messages() {
    // QEMU's PartiallyBalloonedPage lives for one element: 256 PFNs never fill 512 subpages.
    assert_eq!(huge_pages::<Portable>(2 << 20), (0, 2048));
    #[cfg(not(target_arch = "wasm32"))]
    assert_eq!(huge_pages::<virtq::RustVmm>(2 << 20), (0, 2048));
}

#[test]
fn hinting_ignores_notifier_without_negotiation_and_stops_on_resize() {
    let props = BalloonProps {
        free_page_hint: true,
        iothread: true,
        ..BalloonProps::default()
    };
    let mut g = Guest::<Portable>::boot(props.clone(), !bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT));
    assert_eq!(
        g.dev
            .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: true }),
        None
    );
    let mut g = Guest::<Portable>::boot(props, u64::MAX);
    g.driver_ok();
    g.dev
        .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: true })
        .unwrap();
    let ev = g
        .dev
        .precopy_notify(PrecopyNotifyReason::BeforeBitmapSync)
        .unwrap();
    assert!(matches!(
        ev,
        DeviceEvent::HintStatusChanged {
            config_interrupt: true,
            ..
        }
    ));
    assert_eq!(g.interrupts(), vec![Interrupt::Config, Interrupt::Config]);
    assert_eq!(g.dev.config().free_page_hint_cmd_id, 0);
    // Last iteration with the VM stopped: DONE.
    g.dev
        .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: false })
        .unwrap();
    assert_eq!(g.dev.config().free_page_hint_cmd_id, 1);
}

#[test]
fn snapshot_clone_replays_identically() {
    let mut g = Guest::<Portable>::boot(BalloonProps::default(), u64::MAX);
    g.driver_ok();
    let seg = g.pfn_buffer(BUF_BASE, &[1, 2, 3]);
    g.send(0, &[seg]);
    let snap_dev = g.dev.clone();
    let snap_ram = g.ram.clone();
    let a: Vec<String> = g.run().iter().map(|e| e.sentence()).collect();
    g.dev = snap_dev;
    g.ram = snap_ram;
    let b: Vec<String> = g.run().iter().map(|e| e.sentence()).collect();
    assert_eq!(a, b);
    assert_eq!(g.dev.memory().discarded_frames(), 3);
}

#[test]
fn every_event_names_a_function_and_serializes() {
    let mut g = Guest::<Portable>::boot(BalloonProps::default(), u64::MAX);
    g.driver_ok();
    g.ram.write(BUF_BASE, &[0u8; 20]).unwrap();
    g.send(2, &[readable(BUF_BASE, 20)]);
    for e in g.run() {
        assert!(!e.function().is_empty());
        assert!(e.sentence().ends_with('.'), "{}", e.sentence());
        serde_json::to_string(&e).unwrap();
    }
}

#[test]
fn unrealize_removes_the_balloon_handler() {
    let mut g = Guest::<Portable>::boot(BalloonProps::default(), u64::MAX);
    g.dev.qom_set_polling_interval(5, 0).unwrap();
    let ev = g.dev.unrealize();
    assert!(matches!(ev, DeviceEvent::Unrealized { queues_deleted: 3 }));
    assert_eq!(g.dev.num_queues(), 0);
    assert_eq!(g.dev.next_timer(), None);
    assert_eq!(g.dev.query_balloon(), Err(Error::NoBalloonDevice));
    assert!(g.dev.init_step().is_none());
    assert!(!g.dev.has_work());
}

#[test]
fn inhibited_discards_only_acknowledge() {
    let props = BalloonProps {
        free_page_reporting: true,
        ..BalloonProps::default()
    };
    let mut g = Guest::<Portable>::boot(props, u64::MAX);
    g.driver_ok();
    g.dev.set_discard_inhibited(true);
    let seg = g.pfn_buffer(BUF_BASE, &[10, 11]);
    g.send(0, &[seg]);
    let evs = g.run();
    assert!(matches!(
        evs[1],
        DeviceEvent::Inflated {
            inhibited: true,
            frames_discarded: 0,
            ..
        }
    ));
    g.send(3, &[common::writable(0x2000_0000, 2 << 20)]);
    let evs = g.run();
    assert!(matches!(
        evs[1],
        DeviceEvent::Reported {
            inhibited: true,
            frames_discarded: 0,
            ..
        }
    ));
    assert_eq!(g.dev.memory().discarded_frames(), 0);
    assert_eq!(g.used_idx(0), 1);
    assert_eq!(g.used_idx(3), 1);
}
