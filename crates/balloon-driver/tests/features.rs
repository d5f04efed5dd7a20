//! Queue numbering for every feature combination, reporting, hinting, migration, remove and
//! the misbehaving guest, against a scripted device.

mod common;

use balloon_driver::features::*;
use balloon_driver::{
    DriverEvent, GuestConfig, Misbehaviour, PagePoison, PageState, StateSet, Workload,
};
use common::{GIB, Seen, boot, run, run_no_timers};

#[test]
fn queue_indices_are_compacted_for_every_feature_combination() {
    for bits in 0u64..64 {
        let offered = bits | bit(VIRTIO_F_VERSION_1);
        let mut cfg = GuestConfig::new(256 << 20);
        cfg.poison = PagePoison::Poisoning;
        let (drv, dev, _) = boot(cfg, offered);
        let accepted = drv.features();
        // Poisoning guest: REPORTING only with PAGE_POISON (virtballoon_validate).
        let reporting = bits & bit(VIRTIO_BALLOON_F_PAGE_REPORTING) != 0
            && bits & bit(VIRTIO_BALLOON_F_PAGE_POISON) != 0;
        assert_eq!(
            accepted & bit(VIRTIO_BALLOON_F_PAGE_REPORTING) != 0,
            reporting,
            "bits {bits:#x}"
        );
        let mut expect = vec![(Role::Inflate, 0u16), (Role::Deflate, 1)];
        for (f, r) in [
            (bit(VIRTIO_BALLOON_F_STATS_VQ), Role::Stats),
            (bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT), Role::FreePage),
            (bit(VIRTIO_BALLOON_F_PAGE_REPORTING), Role::Reporting),
        ] {
            if accepted & f != 0 {
                expect.push((r, expect.len() as u16));
            }
        }
        let got: Vec<(Role, u16)> = drv.vqs().iter().map(|v| (v.role, v.index)).collect();
        assert_eq!(got, expect, "bits {bits:#x}");
        assert_eq!(
            dev.set_queue_calls.iter().map(|c| c.0).collect::<Vec<_>>(),
            (0..expect.len() as u16).collect::<Vec<_>>()
        );
        let poison: Vec<&Seen> = dev
            .seen
            .iter()
            .filter(|s| matches!(s, Seen::Poison(_)))
            .collect();
        assert_eq!(
            poison.len(),
            usize::from(bits & bit(VIRTIO_BALLOON_F_PAGE_POISON) != 0)
        );
        if bits & bit(VIRTIO_BALLOON_F_PAGE_POISON) != 0 {
            let p = dev
                .seen
                .iter()
                .position(|s| matches!(s, Seen::Poison(0xaaaa_aaaa)))
                .unwrap();
            let ok = dev
                .seen
                .iter()
                .position(|s| matches!(s, Seen::Status(v) if v & status::DRIVER_OK != 0))
                .unwrap();
            assert!(p < ok, "poison_val before DRIVER_OK");
        }
    }
}

#[test]
fn rings_do_not_overlap_and_stay_in_reserved_memory() {
    let (drv, dev, _) = boot(GuestConfig::new(GIB), 0x3f | bit(VIRTIO_F_VERSION_1));
    let mut spans: Vec<(u64, u64)> = dev
        .set_queue_calls
        .iter()
        .map(|(_, l)| (l.desc_table, l.desc_table + l.bytes()))
        .collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
    let end = spans.last().unwrap().1;
    assert_eq!(
        drv.mm()
            .map()
            .count_in(0, end.div_ceil(4096), StateSet::one(PageState::Used))
            .unwrap(),
        end.div_ceil(4096)
    );
}

#[test]
fn a_refused_features_ok_fails_probe() {
    let mut ram = virtq::SparseRam::new(GIB);
    let mut drv = balloon_driver::BalloonDriver::new(GuestConfig::new(GIB)).unwrap();
    let mut dev = common::Dev::new(bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1));
    dev.refuse_features_ok = true;
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert!(matches!(evs.last(), Some(DriverEvent::Failed { .. })));
    assert!(drv.is_failed());
}

#[test]
fn reporting_sends_chains_of_32_writable_2_mib_ranges_every_2_s() {
    let mut cfg = GuestConfig::new(GIB);
    cfg.seed = 3;
    let offered = bit(VIRTIO_BALLOON_F_STATS_VQ)
        | bit(VIRTIO_BALLOON_F_PAGE_REPORTING)
        | bit(VIRTIO_F_VERSION_1);
    let (mut drv, mut dev, mut ram) = boot(cfg, offered);
    assert_eq!(dev.index_of(Role::Reporting), Some(3));
    // Pin one page in every odd pageblock: no free order-10 blocks, only order 9 ones.
    let nr = drv.mm().nr_pages();
    for b in (1..nr / 512).step_by(2) {
        let pfn = b * 512 + 7;
        if drv.mm().map().state(pfn).unwrap() == PageState::Free {
            drv.mm_mut()
                .map_mut()
                .convert(pfn, 1, StateSet::ALLOCATABLE, PageState::Used)
                .unwrap();
        }
    }
    let mut now = 0;
    let evs = run(&mut drv, &mut dev, &mut ram, &mut now, 60);
    let chains: Vec<virtq::DescriptorChain> = dev
        .seen
        .iter()
        .filter_map(|s| {
            if let Seen::Chain(Role::Reporting, c) = s {
                Some(c.clone())
            } else {
                None
            }
        })
        .collect();
    assert!(!chains.is_empty());
    let c = &chains[0];
    assert_eq!(c.descriptors.len(), 32);
    assert!(
        c.descriptors
            .iter()
            .all(|d| d.writable && d.len == 2 << 20 && d.addr % (2 << 20) == 0)
    );
    assert!(
        evs.iter()
            .any(|e| matches!(e, DriverEvent::ReportIsolated { blocks } if blocks.len() == 32))
    );
    assert!(
        now >= 2_000_000_000,
        "the first pass waits PAGE_REPORTING_DELAY"
    );
    assert!(drv.mm().map().count(PageState::Reported) >= 32 * 512);
    assert_eq!(drv.mm().map().count(PageState::Reporting) % 512, 0);
}

#[test]
fn reporting_on_a_fresh_guest_reports_4_mib_blocks_and_reported_pages_stay_allocatable() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_PAGE_REPORTING) | bit(VIRTIO_F_VERSION_1),
    );
    let mut now = 0;
    run(&mut drv, &mut dev, &mut ram, &mut now, 2000);
    let free = drv.mm().free_pages();
    assert!(drv.mm().map().count(PageState::Reported) > free / 2);
    drv.alloc_mib(100);
    run_no_timers(&mut drv, &mut dev, &mut ram, now, 10);
    assert_eq!(drv.mm().app_pages().0, 100 * 256);
}

#[test]
fn hinting_follows_the_cmd_id_start_stop_done() {
    let offered = bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT) | bit(VIRTIO_F_VERSION_1);
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), offered);
    dev.max_sizes[3] = 8;
    let q = dev.index_of(Role::FreePage).unwrap();
    assert_eq!(q, 2);
    dev.cmd_id = 0x8000_0000;
    drv.on_config_change();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 200);
    let chains: Vec<virtq::DescriptorChain> = dev
        .seen
        .iter()
        .filter_map(|s| {
            if let Seen::Chain(Role::FreePage, c) = s {
                Some(c.clone())
            } else {
                None
            }
        })
        .collect();
    // First the 4-byte cmd id (out), then 4 MiB device-writable blocks.
    assert_eq!(chains[0].descriptors[0].len, 4);
    assert!(!chains[0].descriptors[0].writable);
    assert!(
        chains[1..6]
            .iter()
            .all(|c| c.descriptors[0].writable && c.descriptors[0].len == 4 << 20)
    );
    assert!(
        evs.iter()
            .any(|e| matches!(e, DriverEvent::HintBlock { sent: true, .. }))
    );
    let hinted = drv.mm().map().count(PageState::Hinted);
    assert!(hinted >= 5 * 1024);
    // Host says STOP: the driver sends its stop id and keeps the pages.
    dev.cmd_id = 0;
    drv.on_config_change();
    let n = dev.seen.len();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    let stop = dev.seen[n..]
        .iter()
        .rev()
        .find_map(|s| {
            if let Seen::Chain(Role::FreePage, c) = s {
                Some(c.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(stop.descriptors[0].len, 4);
    assert!(drv.mm().map().count(PageState::Hinted) > 0);
    // DONE: every hinted page goes back.
    dev.cmd_id = 1;
    drv.on_config_change();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert!(
        evs.iter()
            .any(|e| matches!(e, DriverEvent::HintsReturned { pages } if *pages > 0))
    );
    assert_eq!(drv.mm().map().count(PageState::Hinted), 0);
}

#[test]
fn the_hint_shrinker_returns_blocks_under_pressure() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(256 << 20),
        bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT) | bit(VIRTIO_F_VERSION_1),
    );
    dev.cmd_id = 0x8000_0000;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    assert!(drv.mm().map().count(PageState::Hinted) > 0);
    drv.alloc_mib(150);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 10);
    assert!(
        evs.iter().any(
            |e| matches!(e, DriverEvent::Workload { reclaim, .. } if reclaim.shrunk_hints > 0)
        )
    );
    assert_eq!(drv.mm().app_pages().0, 150 * 256);
}

#[test]
fn migration_inflates_the_new_page_then_deflates_the_old_and_keeps_actual() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
    );
    // Page cache at the top of free RAM (below the kernel's reservations) pushes the balloon
    // down; dropping it leaves room above.
    let top = drv.mm().nr_pages() - drv.mm().boot_layout().reserved_top() - 1024;
    drv.mm_mut()
        .map_mut()
        .convert(top, 1024, StateSet::ALLOCATABLE, PageState::Cache)
        .unwrap();
    dev.num_pages = 300;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    drv.run(Workload::DropCaches);
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let actual_writes = dev.actual_writes().len();
    let low = drv.balloon_runs().iter().map(|r| r.0).min().unwrap();
    drv.run(Workload::Compact);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let picked = evs.iter().find_map(|e| {
        if let DriverEvent::MigrationPicked { old, new } = e {
            Some((*old, *new))
        } else {
            None
        }
    });
    let inf = dev.messages(Role::Inflate);
    let defl = dev.messages(Role::Deflate);
    if let Some((old, new)) = picked {
        assert_eq!(old, low);
        assert_eq!(inf.last().unwrap(), &vec![new as u32]);
        assert_eq!(defl.last().unwrap(), &vec![old as u32]);
        let i = dev
            .seen
            .iter()
            .rposition(|s| matches!(s, Seen::Pfns(Role::Inflate, _)))
            .unwrap();
        let d = dev
            .seen
            .iter()
            .rposition(|s| matches!(s, Seen::Pfns(Role::Deflate, _)))
            .unwrap();
        assert!(i < d);
        assert_eq!(drv.mm().map().state(old).unwrap(), PageState::Free);
        assert_eq!(drv.mm().map().state(new).unwrap(), PageState::Ballooned);
    } else {
        panic!("no migration: {evs:?}");
    }
    assert_eq!(dev.actual_writes().len(), actual_writes);
    assert_eq!(drv.num_pages(), 300);
}

#[test]
fn remove_leaks_everything_then_resets() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
    );
    dev.num_pages = 600;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    drv.remove();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    assert!(drv.is_removed());
    assert_eq!(
        dev.messages(Role::Deflate)
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        vec![256, 256, 88]
    );
    assert_eq!(dev.actual, 0);
    assert_eq!(dev.status, 0);
    assert_eq!(drv.mm().map().count(PageState::Ballooned), 0);
    // A config change after remove does nothing.
    drv.on_config_change();
    assert!(!drv.has_work());
}

#[test]
fn a_misbehaving_guest_marks_the_pfn_buffer_device_writable_once() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
    );
    drv.set_misbehaviour(Some(Misbehaviour::WritableDescriptor));
    dev.num_pages = 300;
    dev.manual_ack = true;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let Some(Seen::Chain(_, chain)) = dev.seen.last().cloned() else {
        panic!()
    };
    assert!(chain.descriptors[0].writable);
    dev.push(&mut ram, 0, chain.head);
    drv.on_used_interrupt(0);
    dev.manual_ack = false;
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert_eq!(dev.actual, 300);
}

#[test]
fn a_misbehaving_guest_can_send_too_many_pfns() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
    );
    drv.set_misbehaviour(Some(Misbehaviour::TooManyPfns));
    dev.num_pages = 10;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert_eq!(dev.messages(Role::Inflate)[0].len(), 300);
}

#[test]
fn a_second_stats_buffer_is_recorded_as_a_violation() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
    );
    assert!(drv.violations().is_empty());
    drv.set_misbehaviour(Some(Misbehaviour::SecondStatsBuffer));
    let q = dev.index_of(Role::Stats).unwrap();
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 10);
    assert!(matches!(evs[0], DriverEvent::Misbehaved { .. }));
    assert_eq!(
        drv.violations(),
        &[balloon_driver::Violation::SecondStatsBuffer]
    );
    let stats: Vec<usize> = dev
        .seen
        .iter()
        .filter_map(|s| {
            if let Seen::Stats(v) = s {
                Some(v.len())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(stats.len(), 2);
    assert!(
        dev.seen.contains(&Seen::Ack(Role::Stats)),
        "the device returned the first one"
    );
    assert_eq!(dev.held_stats.map(|_| q), Some(q));
}

#[test]
fn ring_misbehaviours_write_the_ring_directly() {
    use virtq::DeviceQueue;
    for (m, bad) in [
        (Misbehaviour::AvailIdxJump, "InvalidAvailRingIndex"),
        (Misbehaviour::HeadOutOfRange, "InvalidHead"),
        (Misbehaviour::LoopingChain, "ChainTooLong"),
    ] {
        let (mut drv, mut dev, mut ram) = boot(
            GuestConfig::new(GIB),
            bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1),
        );
        drv.set_misbehaviour(Some(m));
        dev.num_pages = 10;
        drv.on_config_change();
        let evs = run_no_timers_no_service(&mut drv, &mut dev, &mut ram);
        assert!(
            evs.iter()
                .any(|e| matches!(e, DriverEvent::Misbehaved { .. })),
            "{m:?}"
        );
        let err = dev.queues[0].as_mut().unwrap().pop(&ram).unwrap_err();
        assert!(format!("{err:?}").starts_with(bad), "{m:?}: {err:?}");
    }
}

fn run_no_timers_no_service(
    drv: &mut balloon_driver::BalloonDriver,
    dev: &mut common::Dev,
    ram: &mut virtq::SparseRam,
) -> Vec<DriverEvent> {
    let mut evs = Vec::new();
    while drv.has_work() && evs.len() < 50 {
        evs.extend(drv.step(dev, ram, 0));
    }
    evs
}

#[test]
fn a_reporting_queue_below_32_entries_fails_probe_with_enospc() {
    let mut ram = virtq::SparseRam::new(GIB);
    let mut drv = balloon_driver::BalloonDriver::new(GuestConfig::new(GIB)).unwrap();
    let mut dev = common::Dev::new(bit(VIRTIO_BALLOON_F_PAGE_REPORTING) | bit(VIRTIO_F_VERSION_1));
    dev.max_sizes[4] = 16;
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert!(drv.is_failed());
    let Some(DriverEvent::Failed { reason }) = evs.last() else {
        panic!("{evs:?}")
    };
    assert!(reason.contains("reporting_vq"), "{reason}");
}

#[test]
fn a_target_set_before_driver_ok_is_acted_on_at_the_end_of_probe() {
    let mut ram = virtq::SparseRam::new(GIB);
    let mut drv = balloon_driver::BalloonDriver::new(GuestConfig::new(GIB)).unwrap();
    let mut dev = common::Dev::new(bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1));
    dev.num_pages = 300;
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let ok = evs
        .iter()
        .position(|e| matches!(e, DriverEvent::Status { new, .. } if new & status::DRIVER_OK != 0))
        .unwrap();
    assert!(matches!(
        evs[ok + 1],
        DriverEvent::TargetRead {
            num_pages: 300,
            diff: 300,
            ..
        }
    ));
    assert_eq!(dev.actual, 300);
}

#[test]
fn releasing_before_the_deflate_ack_breaks_must_tell_host_only_when_negotiated() {
    for (offered, violates) in [
        (
            bit(VIRTIO_BALLOON_F_MUST_TELL_HOST) | bit(VIRTIO_F_VERSION_1),
            true,
        ),
        (bit(VIRTIO_F_VERSION_1), false),
    ] {
        let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), offered);
        dev.num_pages = 100;
        drv.on_config_change();
        run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
        drv.set_misbehaviour(Some(Misbehaviour::ReleaseBeforeAck));
        dev.num_pages = 0;
        dev.manual_ack = true;
        drv.on_config_change();
        run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
        let pfn = dev.messages(Role::Deflate)[0][0] as u64;
        assert_eq!(
            drv.mm().map().state(pfn).unwrap(),
            PageState::Free,
            "freed before the ack"
        );
        assert_eq!(!drv.violations().is_empty(), violates);
        let Some(Seen::Chain(_, chain)) = dev.seen.last().cloned() else {
            panic!()
        };
        dev.push(&mut ram, 1, chain.head);
        drv.on_used_interrupt(1);
        dev.manual_ack = false;
        run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
        assert_eq!(dev.actual, 0);
        assert_eq!(drv.mm().map().count(PageState::Ballooned), 0);
    }
}
