//! Inflate, deflate, out of puff, MemTotal: the driver against a scripted device.

mod common;

use balloon_driver::features::{
    Role, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_MUST_TELL_HOST,
    VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_VERSION_1, bit, status,
};
use balloon_driver::{DriverEvent, GuestConfig, PageState, StateSet, Workload};
use common::{GIB, MIB, Seen, boot, run, run_no_timers};

const QEMU: u64 = bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1);

#[test]
fn probe_writes_status_in_linux_order_and_kicks_stats_before_driver_ok() {
    let (drv, dev, _ram) = boot(GuestConfig::new(GIB), QEMU);
    let statuses: Vec<u8> = dev
        .seen
        .iter()
        .filter_map(|s| {
            if let Seen::Status(v) = s {
                Some(*v)
            } else {
                None
            }
        })
        .collect();
    use status::*;
    assert_eq!(
        statuses,
        vec![
            0,
            ACKNOWLEDGE,
            ACKNOWLEDGE | DRIVER,
            ACKNOWLEDGE | DRIVER | FEATURES_OK,
            ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
        ]
    );
    let stats_kick = dev.seen.iter().position(|s| *s == Seen::Notify(2)).unwrap();
    let driver_ok = dev
        .seen
        .iter()
        .position(|s| *s == Seen::Status(15))
        .unwrap();
    assert!(
        stats_kick < driver_ok,
        "init_vqs kicks the first stats buffer before DRIVER_OK"
    );
    assert_eq!(drv.features(), QEMU);
    assert_eq!(
        dev.set_queue_calls.iter().map(|c| c.0).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

#[test]
fn a_1000_page_target_inflates_in_256_256_256_232_with_actual_after_each_ack() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), QEMU);
    let free_before = drv.mm().free_pages();
    dev.num_pages = 1000;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let msgs = dev.messages(Role::Inflate);
    assert_eq!(
        msgs.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![256, 256, 256, 232]
    );
    for m in &msgs {
        assert!(
            m.windows(2).all(|w| w[0] == w[1] + 1),
            "descending, contiguous on a fresh guest"
        );
    }
    // Linux's allocator hands out the lowest free pages first and fill_balloon lists each
    // message backwards: the first message ends at the lowest free page (right above the
    // first MiB and what the running system allocated; the kernel's reservations are at the
    // top), and each next message starts where the one before began.
    let b = drv.mm().boot_layout();
    assert_eq!(
        *msgs[0].last().unwrap() as u64,
        b.first_mib + b.runtime_used + b.cache
    );
    for w in msgs.windows(2) {
        assert_eq!(*w[1].last().unwrap(), w[0][0] + 1, "climbing");
    }
    // Each message: PFNs, ack, then actual.
    let order: Vec<&Seen> = dev
        .seen
        .iter()
        .filter(|s| matches!(s, Seen::Pfns(..) | Seen::Ack(_) | Seen::Actual(_)))
        .collect();
    let mut expect = Vec::new();
    for (i, a) in [256, 512, 768, 1000].into_iter().enumerate() {
        expect.push(Seen::Pfns(Role::Inflate, msgs[i].clone()));
        expect.push(Seen::Ack(Role::Inflate));
        expect.push(Seen::Actual(a));
    }
    assert_eq!(order.into_iter().cloned().collect::<Vec<_>>(), expect);
    assert_eq!(drv.num_pages(), 1000);
    assert_eq!(drv.mm().map().count(PageState::Ballooned), 1000);
    assert_eq!(drv.mm().free_pages(), free_before - 1000);
    assert!(!drv.has_work());
}

#[test]
fn every_step_is_one_operation_and_pages_are_unusable_until_the_inflate_ack() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), QEMU);
    dev.num_pages = 10;
    dev.manual_ack = true;
    drv.on_config_change();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let names: Vec<&str> = evs.iter().map(|e| e.function()).collect();
    assert_eq!(
        names,
        vec![
            "towards_target",
            "fill_balloon",
            "virtqueue_add_split",
            "virtqueue_add_split",
            "virtqueue_kick"
        ]
    );
    assert!(evs.iter().all(|e| !e.sentence().is_empty()));
    assert_eq!(drv.mm().map().count(PageState::Inflating), 10);
    assert_eq!(drv.mm().map().count(PageState::Ballooned), 0);
    // Memory pressure cannot take the in-flight pages.
    let msgs = dev.messages(Role::Inflate);
    let lowest = u64::from(*msgs[0].last().unwrap());
    assert_eq!(
        drv.mm()
            .map()
            .count_in(lowest, 10, StateSet::ALLOCATABLE)
            .unwrap(),
        0
    );
    let Some(Seen::Chain(_, chain)) = dev.seen.last().cloned() else {
        panic!()
    };
    dev.push(&mut ram, 0, chain.head);
    drv.on_used_interrupt(0);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert!(matches!(&evs[0], DriverEvent::UsedCollected { pages, .. } if pages.pages() == 10));
    assert!(matches!(evs[1], DriverEvent::ActualWritten { actual: 10 }));
    assert_eq!(drv.mm().map().count(PageState::Ballooned), 10);
}

#[test]
fn deflate_tells_the_host_before_pages_are_freed() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        QEMU | bit(VIRTIO_BALLOON_F_MUST_TELL_HOST),
    );
    dev.num_pages = 1000;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let inflated = dev.messages(Role::Inflate);
    dev.num_pages = 700;
    dev.manual_ack = true;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let defl = dev.messages(Role::Deflate);
    assert_eq!(defl.len(), 1);
    assert_eq!(defl[0].len(), 256);
    // LIFO: the last inflated pages (lowest of the last message) come back first, ascending.
    let mut lifo: Vec<u32> = inflated[3].iter().rev().copied().collect();
    lifo.extend(inflated[2].iter().rev());
    assert_eq!(defl[0], lifo[..256].to_vec());
    // Before the ack: still in the balloon, not free; num_pages already down, actual not.
    for &p in &defl[0] {
        assert_eq!(
            drv.mm().map().state(p as u64).unwrap(),
            PageState::Ballooned
        );
    }
    assert_eq!(drv.num_pages(), 744);
    assert_eq!(dev.actual, 1000);
    let Some(Seen::Chain(_, chain)) = dev.seen.last().cloned() else {
        panic!()
    };
    dev.push(&mut ram, 1, chain.head);
    drv.on_used_interrupt(1);
    dev.manual_ack = false;
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let rel = evs
        .iter()
        .position(|e| matches!(e, DriverEvent::PagesReleased { .. }))
        .unwrap();
    let got = evs
        .iter()
        .position(|e| matches!(e, DriverEvent::UsedCollected { .. }))
        .unwrap();
    assert!(got < rel);
    assert_eq!(
        drv.mm().map().state(defl[0][0] as u64).unwrap(),
        PageState::Free
    );
    assert_eq!(dev.actual_writes(), vec![256, 512, 768, 1000, 744, 700]);
    assert_eq!(drv.mm().map().count(PageState::Ballooned), 700);
}

#[test]
fn memtotal_shrinks_with_the_balloon_unless_deflate_on_oom() {
    for (offered, shrinks) in [
        (QEMU, true),
        (QEMU | bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM), false),
    ] {
        let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), offered);
        let total = drv.mm().total_pages();
        dev.num_pages = 1000;
        drv.on_config_change();
        run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
        assert_eq!(
            drv.mm().total_pages(),
            if shrinks { total - 1000 } else { total }
        );
        dev.num_pages = 0;
        drv.on_config_change();
        run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
        assert_eq!(drv.mm().total_pages(), total);
    }
}

#[test]
fn out_of_puff_sleeps_200_ms_and_retries() {
    let mut cfg = GuestConfig::new(64 * MIB);
    cfg.seed = 7;
    let (mut drv, mut dev, mut ram) = boot(cfg, QEMU);
    drv.run(Workload::Alloc { pages: 100 });
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 10);
    dev.num_pages = (64 * MIB / 4096) as u32; // all of RAM: cannot succeed
    drv.on_config_change();
    let mut now = 0;
    let evs = run(&mut drv, &mut dev, &mut ram, &mut now, 1000);
    let puffs: Vec<(u64, u64)> = evs
        .iter()
        .filter_map(|e| {
            if let DriverEvent::OutOfPuff {
                got, retry_at_ns, ..
            } = e
            {
                Some((*got, *retry_at_ns))
            } else {
                None
            }
        })
        .collect();
    assert!(puffs.len() >= 2, "{puffs:?}");
    assert!(
        puffs[0].0 > 0,
        "the first failure sends what it got: {puffs:?}"
    );
    assert_eq!(puffs[1].0, 0);
    assert_eq!(puffs[2].1 - puffs[1].1, 200_000_000);
    // The guest kept its min watermark free.
    let (min, _, _) = drv.mm().watermarks();
    assert!(drv.mm().free_pages() >= min);
    assert_eq!(dev.actual as u64, drv.num_pages());
}

#[test]
fn a_16_tib_guest_inflates_with_a_bounded_model() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(16 << 40), QEMU);
    dev.num_pages = 300;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let msgs = dev.messages(Role::Inflate);
    // From the lowest free page up: above the first MiB and the boot allocations; the
    // 16 TiB guest's 256 GiB memmap is at the top, where memblock put it.
    let b = drv.mm().boot_layout();
    assert_eq!(
        u64::from(msgs[0][255]),
        b.first_mib + b.runtime_used + b.cache
    );
    let top = drv.mm().nr_pages() - b.reserved_top();
    assert_eq!(
        drv.mm()
            .map()
            .count_in(top, b.reserved_top(), StateSet::one(PageState::Used)),
        Ok(b.reserved_top())
    );
    assert_eq!(msgs.iter().map(Vec::len).collect::<Vec<_>>(), vec![256, 44]);
    assert!(drv.mm().heap_bytes() < 16 << 20);
}

#[test]
fn a_64_gib_guest_inflates_8_gib_in_8192_messages() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(64 * GIB), QEMU);
    dev.num_pages = 8 * 262_144;
    drv.on_config_change();
    let t = std::time::Instant::now();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1_000_000);
    println!("{} driver steps in {:?}", evs.len(), t.elapsed());
    assert_eq!(dev.messages(Role::Inflate).len(), 8192);
    assert_eq!(dev.actual, 8 * 262_144);
    assert_eq!(evs.len(), 8192 * 7);
}

#[test]
fn with_event_idx_the_driver_still_gets_every_ack() {
    use balloon_driver::features::{VIRTIO_F_EVENT_IDX, bit};
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), QEMU | bit(VIRTIO_F_EVENT_IDX));
    assert!(drv.has(bit(VIRTIO_F_EVENT_IDX)));
    dev.num_pages = 1000;
    drv.on_config_change();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    assert_eq!(dev.actual_writes(), vec![256, 512, 768, 1000]);
    let kicks = evs
        .iter()
        .filter(|e| matches!(e, DriverEvent::Kicked { notified: true, .. }))
        .count();
    println!("{kicks} notifies for 4 messages with EVENT_IDX");
}
