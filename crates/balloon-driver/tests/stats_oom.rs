//! Stats buffers and deflate-on-OOM against a scripted device.

mod common;

use balloon_driver::features::{
    Role, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_VERSION_1, bit,
};
use balloon_driver::stats::tag;
use balloon_driver::{DriverEvent, GuestConfig, Purpose, Workload};
use common::{GIB, MIB, Seen, boot, run_no_timers};

const QEMU: u64 = bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1);

fn stats_seen(dev: &common::Dev) -> Vec<Vec<(u16, u64)>> {
    dev.seen
        .iter()
        .filter_map(|s| {
            if let Seen::Stats(v) = s {
                Some(v.clone())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn stats_entries_follow_linux_order_and_one_buffer_is_in_flight() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), QEMU);
    let first = stats_seen(&dev);
    assert_eq!(first.len(), 1);
    let tags: Vec<u16> = first[0].iter().map(|e| e.0).collect();
    assert_eq!(
        tags,
        vec![0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 8, 9, 4, 5, 6, 7]
    );
    let get = |v: &[(u16, u64)], t: u16| v.iter().find(|e| e.0 == t).unwrap().1;
    assert_eq!(get(&first[0], tag::MEMTOT), drv.mm().total_pages() * 4096);
    assert_eq!(get(&first[0], tag::MEMFREE), drv.mm().free_pages() * 4096);
    // The device holds it; nothing happens until it gives it back.
    assert!(!drv.has_work());
    dev.num_pages = 1000;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let q = dev.release_stats(&mut ram).unwrap();
    drv.on_used_interrupt(q);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let f: Vec<&str> = evs.iter().map(|e| e.function()).collect();
    assert_eq!(
        f,
        vec![
            "update_balloon_stats",
            "virtqueue_get_buf",
            "virtqueue_add_split",
            "virtqueue_add_split",
            "virtqueue_kick"
        ]
    );
    let second = stats_seen(&dev);
    assert_eq!(second.len(), 2);
    // Without DEFLATE_ON_OOM MemTotal dropped by the balloon.
    assert_eq!(
        get(&first[0], tag::MEMTOT) - get(&second[1], tag::MEMTOT),
        1000 * 4096
    );
    assert!(drv.violations().is_empty());
    // The descriptor is 10 bytes an entry.
    let Some(DriverEvent::BufferAdded { segments, .. }) = evs
        .iter()
        .find(|e| matches!(e, DriverEvent::BufferAdded { .. }))
    else {
        panic!()
    };
    assert_eq!(segments[0].len, 160);
}

#[test]
fn linux_6_1_without_hugetlb_sends_eight_entries_and_6_1_with_it_ten() {
    let mut cfg = GuestConfig::new(GIB);
    cfg.stats_v612 = false;
    let (_, dev, _) = boot(cfg.clone(), QEMU);
    assert_eq!(
        stats_seen(&dev)[0].iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 8, 9, 4, 5, 6, 7]
    );
    cfg.hugetlb = false;
    let (_, dev, _) = boot(cfg, QEMU);
    assert_eq!(stats_seen(&dev)[0].len(), 8);
}

#[test]
fn oom_deflates_256_pages_per_call_and_leaves_the_target_alone() {
    let (mut drv, mut dev, mut ram) = boot(
        GuestConfig::new(GIB),
        QEMU | bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
    );
    let target = (512 * MIB / 4096) as u32;
    dev.num_pages = target;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    assert_eq!(dev.actual, target);
    let inflates = dev.messages(Role::Inflate).len();
    assert_eq!(inflates, 512);
    drv.alloc_mib(600);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    let defl = dev.messages(Role::Deflate);
    assert!(!defl.is_empty());
    assert!(
        defl.iter().all(|m| m.len() == 256),
        "VIRTIO_BALLOON_OOM_NR_PAGES each time"
    );
    let notifies = evs
        .iter()
        .filter(|e| matches!(e, DriverEvent::OomNotify { .. }))
        .count();
    assert_eq!(notifies, defl.len());
    assert!(evs.iter().any(|e| matches!(
        e,
        DriverEvent::PagesDequeued {
            purpose: Purpose::Oom,
            ..
        }
    )));
    // The target is untouched; actual stays below it; no re-inflate without a config change.
    assert_eq!(dev.num_pages, target);
    assert_eq!(dev.actual, target - 256 * defl.len() as u32);
    assert_eq!(dev.messages(Role::Inflate).len(), inflates);
    assert!(!drv.has_work());
    assert_eq!(drv.mm().app_pages().0, 600 * 256);
    assert_eq!(drv.mm().events.oom_kill, 0);
    println!(
        "600 MiB against a 512 MiB balloon in 1 GiB: {} OOM deflates",
        defl.len()
    );
    // Once the workload lets go, the next config change re-inflates to the target.
    drv.free_mib(600);
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    assert_eq!(dev.messages(Role::Inflate).len(), inflates + defl.len());
    assert_eq!(dev.actual, target);
}

#[test]
fn without_deflate_on_oom_the_oom_killer_runs() {
    let (mut drv, mut dev, mut ram) = boot(GuestConfig::new(GIB), QEMU);
    dev.num_pages = (512 * MIB / 4096) as u32;
    drv.on_config_change();
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100_000);
    drv.alloc_mib(600);
    let evs = run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    assert!(evs.iter().any(|e| matches!(e, DriverEvent::OomKill { .. })));
    assert!(dev.messages(Role::Deflate).is_empty());
    assert_eq!(drv.mm().events.oom_kill, 1);
    assert_eq!(drv.mm().app_pages(), (0, 0));
}

#[test]
fn pressure_reclaims_cache_then_swaps_then_stalls_are_counted() {
    let mut cfg = GuestConfig::new(GIB);
    cfg.swap_bytes = 512 * MIB;
    let (mut drv, mut dev, mut ram) = boot(cfg, QEMU);
    drv.run(Workload::ReadFile { pages: 200 * 256 });
    drv.run(Workload::Ramp {
        step: 64 * 256,
        left: 1100 * 256,
    });
    drv.run(Workload::Touch { pages: 1100 * 256 });
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 1000);
    let e = drv.mm().events.clone();
    assert!(
        e.pgsteal_direct + e.pgsteal_kswapd >= 200 * 256,
        "cache reclaimed: {e:?}"
    );
    assert!(e.pswpout > 0 && e.pswpin > 0 && e.pgmajfault > 0, "{e:?}");
    assert!(e.allocstall > 0 && e.pgscan_direct >= e.pgsteal_direct);
    assert_eq!(drv.mm().cache_pages(), 0);
    let q = dev.release_stats(&mut ram).unwrap();
    drv.on_used_interrupt(q);
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    let last = stats_seen(&dev).pop().unwrap();
    let get = |t: u16| last.iter().find(|x| x.0 == t).unwrap().1;
    assert_eq!(get(tag::SWAP_OUT), e.pswpout * 4096);
    assert_eq!(get(tag::ALLOC_STALL), e.allocstall);
}
