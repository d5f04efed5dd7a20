//! Reference section 8, QEMU's column: one test per row, on both backends.

#[macro_use]
mod common;

use balloon_device::consts::{VIRTIO_BALLOON_F_MUST_TELL_HOST, bit, status};
use balloon_device::stats::encode_entries;
use balloon_device::{
    BalloonProps, DeviceEvent, HintStatus, Interrupt, PfnRun, PrecopyNotifyReason,
};
use common::{BUF_BASE, Guest, RAM, readable, writable};
use virtq::{Backend, Descriptor, GuestRam};

const TOP: u32 = (RAM >> 12) as u32;

fn guest<B: Backend>() -> Guest<B> {
    let props = BalloonProps {
        free_page_hint: true,
        iothread: true,
        free_page_reporting: true,
        ..BalloonProps::default()
    };
    let mut g = Guest::<B>::boot(props, u64::MAX);
    g.driver_ok();
    g
}

fn find<'a>(evs: &'a [DeviceEvent], f: &str) -> &'a DeviceEvent {
    evs.iter()
        .find(|e| e.function() == f)
        .unwrap_or_else(|| panic!("no {f} in {evs:#?}"))
}

/// The element went back with len 0 and the device is fine.
fn acked<B: Backend>(g: &mut Guest<B>, q: u16, k: u16) {
    assert_eq!(g.used_idx(q), k + 1);
    assert_eq!(g.used_elem(q, k).1, 0);
    assert!(!g.dev.is_broken());
}

/// `virtio_error`: NEEDS_RESET, a config interrupt, kicks ignored until reset.
fn needs_reset<B: Backend>(g: &mut Guest<B>, evs: &[DeviceEvent], message: &str) {
    match find(evs, "virtio_error") {
        DeviceEvent::VirtioError {
            message: m,
            status,
            config_interrupt,
            ..
        } => {
            assert_eq!(m, message);
            assert_eq!(status.1, status.0 | status::DEVICE_NEEDS_RESET);
            assert!(*config_interrupt);
        }
        _ => unreachable!(),
    }
    assert!(g.dev.is_broken());
    assert_ne!(g.dev.status() & status::DEVICE_NEEDS_RESET, 0);
    assert!(g.interrupts().contains(&Interrupt::Config));
    assert!(matches!(
        g.dev.notify(0),
        DeviceEvent::Kicked {
            accepted: false,
            ..
        }
    ));
    assert!(!g.dev.has_work());
    // Reset recovers, and keeps num_pages / actual.
    let ev = g.dev.set_status(0);
    assert!(matches!(ev, DeviceEvent::DeviceReset { .. }));
    assert!(!g.dev.is_broken());
    assert_eq!(g.dev.status(), 0);
}

fn row1_writable_pfn_buffer<B: Backend>() {
    let mut g = guest::<B>();
    let seg = g.pfn_buffer(BUF_BASE, &[100, 101]);
    g.send(0, &[writable(seg.addr, seg.len)]);
    let evs = g.run();
    assert!(
        matches!(find(&evs, "balloon_inflate_page"), DeviceEvent::Inflated { pfns, .. } if pfns.is_empty())
    );
    acked(&mut g, 0, 0);
    assert_eq!(g.dev.memory().discarded_frames(), 0);
}

fn row2_length_not_multiple_of_4<B: Backend>() {
    let mut g = guest::<B>();
    g.pfn_buffer(BUF_BASE, &[100, 101, 102]);
    g.send(0, &[readable(BUF_BASE, 10)]);
    let evs = g.run();
    match find(&evs, "balloon_inflate_page") {
        DeviceEvent::Inflated {
            pfns, tail_bytes, ..
        } => {
            assert_eq!(
                *pfns,
                vec![PfnRun {
                    first: 100,
                    count: 2
                }]
            );
            assert_eq!(*tail_bytes, 2);
        }
        _ => unreachable!(),
    }
    acked(&mut g, 0, 0);
}

fn row3_more_than_256_pfns<B: Backend>() {
    let mut g = guest::<B>();
    let pfns: Vec<u32> = (1000..1512).collect();
    let seg = g.pfn_buffer(BUF_BASE, &pfns);
    g.send(0, &[seg]);
    let evs = g.run();
    assert!(matches!(
        find(&evs, "balloon_inflate_page"),
        DeviceEvent::Inflated {
            frames_discarded: 512,
            ..
        }
    ));
    acked(&mut g, 0, 0);
}

fn row4_pfn_outside_ram<B: Backend>() {
    let mut g = guest::<B>();
    let seg = g.pfn_buffer(BUF_BASE, &[TOP - 1, TOP, TOP + 1, u32::MAX]);
    g.send(0, &[seg]);
    let evs = g.run();
    match find(&evs, "balloon_inflate_page") {
        DeviceEvent::Inflated { pfns, bad_pfns, .. } => {
            assert_eq!(
                *pfns,
                vec![PfnRun {
                    first: u64::from(TOP - 1),
                    count: 1
                }]
            );
            assert_eq!(
                *bad_pfns,
                vec![
                    PfnRun {
                        first: u64::from(TOP),
                        count: 2
                    },
                    PfnRun {
                        first: u64::from(u32::MAX),
                        count: 1
                    }
                ]
            );
        }
        _ => unreachable!(),
    }
    acked(&mut g, 0, 0);
}

fn row5_pfn_array_outside_memory<B: Backend>() {
    let mut g = guest::<B>();
    g.send(0, &[readable(RAM - 8, 16)]);
    let evs = g.run();
    needs_reset(&mut g, &evs, "virtio: bogus descriptor or out of resources");
    assert_eq!(g.used_idx(0), 0, "the element is lost");
}

fn row6_chain_of_several_descriptors<B: Backend>() {
    let mut g = guest::<B>();
    g.pfn_buffer(BUF_BASE, &[7, 8, 9]);
    // A PFN split across two descriptors: 6 bytes then 6 bytes.
    g.send(0, &[readable(BUF_BASE, 6), readable(BUF_BASE + 6, 6)]);
    let evs = g.run();
    assert!(
        matches!(find(&evs, "balloon_inflate_page"), DeviceEvent::Inflated { pfns, .. } if *pfns == vec![PfnRun { first: 7, count: 3 }])
    );
    acked(&mut g, 0, 0);
}

fn row7_duplicate_pfns<B: Backend>() {
    let mut g = guest::<B>();
    let seg = g.pfn_buffer(BUF_BASE, &[50, 50, 50]);
    g.send(0, &[seg]);
    let evs = g.run();
    match find(&evs, "balloon_inflate_page") {
        DeviceEvent::Inflated {
            pfns,
            frames_discarded,
            host_pages_discarded,
            ..
        } => {
            assert_eq!(
                *pfns,
                vec![PfnRun {
                    first: 50,
                    count: 1
                }]
            );
            assert_eq!((*frames_discarded, *host_pages_discarded), (1, 3));
        }
        _ => unreachable!(),
    }
    acked(&mut g, 0, 0);
}

fn row8_deflate_never_inflated<B: Backend>() {
    let mut g = guest::<B>();
    let seg = g.pfn_buffer(BUF_BASE, &[300]);
    g.send(1, &[seg]);
    let evs = g.run();
    assert!(matches!(
        find(&evs, "balloon_deflate_page"),
        DeviceEvent::Deflated {
            frames_undiscarded: 0,
            ..
        }
    ));
    acked(&mut g, 1, 0);
}

fn row9_nonsense_actual<B: Backend>() {
    let mut g = guest::<B>();
    let ev = g.write_actual(u32::MAX);
    match ev {
        DeviceEvent::ConfigWritten {
            new,
            balloon_change: Some(c),
            ..
        } => {
            assert_eq!(new.actual, u32::MAX);
            assert_eq!(c.actual, RAM.wrapping_sub(u64::from(u32::MAX) << 12) as i64);
            assert!(c.actual < 0);
        }
        e => panic!("{e:?}"),
    }
    assert!(g.dev.query_balloon().unwrap().actual < 0);
}

fn row10_avail_idx_too_far_ahead<B: Backend>() {
    let mut g = guest::<B>();
    let l = g.qs[0].layout();
    g.ram.write_u16(l.avail_idx_addr().unwrap(), 200).unwrap();
    g.dev.notify(0);
    let evs = g.run();
    needs_reset(&mut g, &evs, "Guest moved used index from 0 to 200");
}

fn row11_head_out_of_range<B: Backend>() {
    let mut g = guest::<B>();
    let l = g.qs[0].layout();
    g.ram
        .write_u16(l.avail_entry_addr(0).unwrap(), 200)
        .unwrap();
    g.ram.write_u16(l.avail_idx_addr().unwrap(), 1).unwrap();
    g.dev.notify(0);
    let evs = g.run();
    needs_reset(&mut g, &evs, "Guest says index 200 is available");
}

fn row11_descriptor_loop<B: Backend>() {
    let mut g = guest::<B>();
    g.send_looping_chain();
    let evs = g.run();
    needs_reset(&mut g, &evs, "Looped descriptor");
}

fn row11_next_out_of_range<B: Backend>() {
    let mut g = guest::<B>();
    let l = g.qs[0].layout();
    let d = Descriptor {
        addr: BUF_BASE,
        len: 4,
        flags: virtq::layout::VIRTQ_DESC_F_NEXT,
        next: 200,
    };
    g.ram.write(l.desc_addr(0).unwrap(), &d.to_bytes()).unwrap();
    g.ram.write_u16(l.avail_entry_addr(0).unwrap(), 0).unwrap();
    g.ram.write_u16(l.avail_idx_addr().unwrap(), 1).unwrap();
    g.dev.notify(0);
    let evs = g.run();
    needs_reset(&mut g, &evs, "Desc next is 200");
}

fn row12_zero_length_descriptor<B: Backend>() {
    let mut g = guest::<B>();
    g.send(0, &[readable(BUF_BASE, 0)]);
    let evs = g.run();
    needs_reset(&mut g, &evs, "virtio: zero sized buffers are not allowed");
}

/// Boots and hands the device its first stats buffer.
fn stats_guest<B: Backend>(bytes: &[u8]) -> (Guest<B>, Vec<DeviceEvent>) {
    let mut g = guest::<B>();
    g.ram.write(BUF_BASE, bytes).unwrap();
    g.send(2, &[readable(BUF_BASE, bytes.len() as u32)]);
    let evs = g.run();
    (g, evs)
}

fn row13_stats_not_multiple_of_10<B: Backend>() {
    let mut b = encode_entries(&[(4, 4096), (5, 8192)]);
    b.extend_from_slice(&[9, 0, 1, 2, 3]);
    let (g, evs) = stats_guest::<B>(&b);
    assert!(
        matches!(find(&evs, "virtio_balloon_receive_stats"), DeviceEvent::StatsReceived { parse, .. } if (parse.entries, parse.tail_bytes) == (2, 5))
    );
    assert_eq!(g.dev.qom_get_guest_stats().stats.get(5), Some(8192));
}

fn row14_stats_very_large<B: Backend>() {
    let entries: Vec<(u16, u64)> = (0..6554u64).map(|i| ((i % 16) as u16, i)).collect();
    let (g, evs) = stats_guest::<B>(&encode_entries(&entries));
    assert!(
        matches!(find(&evs, "virtio_balloon_receive_stats"), DeviceEvent::StatsReceived { parse, .. } if parse.entries == 6554)
    );
    // The last entry for each tag wins.
    assert_eq!(g.dev.qom_get_guest_stats().stats.get(0), Some(6544));
}

fn row15_unknown_stats_tag<B: Backend>() {
    let (g, evs) = stats_guest::<B>(&encode_entries(&[(16, 1), (65535, 2), (3, 3)]));
    assert!(
        matches!(find(&evs, "virtio_balloon_receive_stats"), DeviceEvent::StatsReceived { parse, .. } if parse.unknown_tags == 2)
    );
    let s = g.dev.qom_get_guest_stats().stats;
    assert_eq!(s.get(3), Some(3));
    assert_eq!(s.by_tag().iter().filter(|v| **v == u64::MAX).count(), 15);
}

fn row16_second_stats_buffer<B: Backend>() {
    let (mut g, _) = stats_guest::<B>(&encode_entries(&[(0, 1)]));
    let first = g.dev.stats_held().unwrap();
    g.ram
        .write(BUF_BASE + 0x100, &encode_entries(&[(0, 2)]))
        .unwrap();
    let second = g.send(2, &[readable(BUF_BASE + 0x100, 10)]);
    let evs = g.run();
    let fs: Vec<_> = evs.iter().map(|e| e.function()).collect();
    assert_eq!(
        fs,
        [
            "virtqueue_pop",
            "virtqueue_push",
            "virtio_notify",
            "virtio_balloon_receive_stats"
        ]
    );
    assert!(
        matches!(evs[1], DeviceEvent::UsedPushed { head, reason: balloon_device::PushReason::StatsSuperseded, used_idx: (0, 1), .. } if head == first)
    );
    assert_eq!(g.dev.stats_held(), Some(second));
    assert_eq!(g.interrupts(), vec![Interrupt::Used(2)]);
    assert_eq!(g.dev.qom_get_guest_stats().stats.get(0), Some(2));
}

fn row17_bad_cmd_id_size<B: Backend>() {
    let mut g = guest::<B>();
    g.dev
        .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: true })
        .unwrap();
    g.ram.write_u16(BUF_BASE, 1).unwrap();
    g.send(3, &[readable(BUF_BASE, 2)]);
    let evs = g.run();
    needs_reset(&mut g, &evs, "received an incorrect cmd id");
    // A stale cmd id is not an error: ignored, acked.
    let mut g = guest::<B>();
    g.dev
        .precopy_notify(PrecopyNotifyReason::AfterBitmapSync { vm_running: true })
        .unwrap();
    g.ram.write_u32(BUF_BASE, 0x1234).unwrap();
    g.send(3, &[readable(BUF_BASE, 4)]);
    g.run();
    assert_eq!(g.dev.hint().status, HintStatus::Requested);
    acked(&mut g, 3, 0);
    // iov_to_buf reads 4 bytes of a longer buffer: only a short one is an error.
    let id = g.dev.hint().cmd_id;
    g.ram
        .write(
            BUF_BASE + 0x10,
            &[id.to_le_bytes().as_slice(), &[9, 9]].concat(),
        )
        .unwrap();
    g.send(3, &[readable(BUF_BASE + 0x10, 6)]);
    g.run();
    assert_eq!(g.dev.hint().status, HintStatus::Start);
}

fn row18_report_misaligned_or_past_ram<B: Backend>() {
    let mut g = guest::<B>();
    g.send(
        4,
        &[
            writable(0x2000_0000 + 0x800, 0x1000),
            writable(0x2010_0000, 0x1800),
            writable(0x2020_0000, 0x2000),
        ],
    );
    let evs = g.run();
    assert!(matches!(
        find(&evs, "virtio_balloon_handle_report"),
        DeviceEvent::Reported {
            misaligned: 2,
            frames_discarded: 2,
            ..
        }
    ));
    acked(&mut g, 4, 0);
    // Past the end of RAM the buffer cannot be mapped at all (virtqueue_map_desc).
    g.send(4, &[writable(RAM - 0x1000, 0x2000)]);
    let evs = g.run();
    needs_reset(&mut g, &evs, "virtio: bogus descriptor or out of resources");
}

fn report_skipped_with_poison<B: Backend>() {
    let mut g = guest::<B>();
    // Linux writes poison_val before DRIVER_OK; QEMU keeps it because PAGE_POISON is negotiated.
    g.dev.write_config(12, &0xaaaa_aaaau32.to_le_bytes(), 0);
    g.send(4, &[writable(0x2000_0000, 2 << 20)]);
    let evs = g.run();
    assert!(matches!(
        find(&evs, "virtio_balloon_handle_report"),
        DeviceEvent::Reported {
            skipped_for_poison: Some(0xaaaa_aaaa),
            frames_discarded: 0,
            ..
        }
    ));
    acked(&mut g, 4, 0);
}

fn row19_config_writes<B: Backend>() {
    let mut g = guest::<B>();
    g.dev.balloon((RAM - 4096 * 10) as i64).unwrap();
    // A write over num_pages is copied but ignored by set_config.
    let ev = g
        .dev
        .write_config(0, &[0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0], 0);
    assert!(
        matches!(ev, DeviceEvent::ConfigWritten { new, .. } if new.num_pages == 10 && new.actual == 5)
    );
    // A one-byte write of actual's high byte keeps the low bytes from the last read copy.
    let ev = g.dev.write_config(7, &[1], 0);
    assert!(matches!(ev, DeviceEvent::ConfigWritten { new, .. } if new.actual == 0x0100_0005));
    // Past the config: dropped; reads return all ones.
    assert!(matches!(
        g.dev.write_config(16, &[1, 2, 3, 4], 0),
        DeviceEvent::ConfigAccessOutOfRange { write: true, .. }
    ));
    let mut b = [0u8; 4];
    g.dev.read_config(14, &mut b);
    assert_eq!(b, [0xff; 4]);
}

fn row20_must_tell_host_not_offered<B: Backend>() {
    let g = guest::<B>();
    assert_eq!(
        g.dev.device_features() & bit(VIRTIO_BALLOON_F_MUST_TELL_HOST),
        0
    );
    // A driver that acks it anyway: QEMU's virtio_set_features_nocheck keeps
    // `val & vdev->host_features`, so the bit is dropped and the device runs exactly as for a
    // driver that did not ask (virtio-balloon.c never reads MUST_TELL_HOST: deflate is
    // balloon_deflate_page whatever the features).
    let must_tell = bit(VIRTIO_BALLOON_F_MUST_TELL_HOST);
    let run = |write: &dyn Fn(u64) -> u64| {
        let mut g = Guest::<B>::boot_writing(BalloonProps::default(), write);
        g.driver_ok();
        let seg = g.pfn_buffer(BUF_BASE, &[100, 101, 102]);
        g.send(0, &[seg]);
        let mut evs = g.run();
        assert_eq!(g.dev.memory().discarded_frames(), 3);
        g.send(1, &[seg]);
        evs.extend(g.run());
        acked(&mut g, 1, 0);
        assert_eq!(g.dev.memory().discarded_frames(), 0);
        (g.dev.driver_features(), evs)
    };
    let (acked_anyway, with) = run(&|offered| offered | must_tell);
    let (plain, without) = run(&|offered| offered);
    assert_eq!(acked_anyway & must_tell, 0);
    assert_eq!(acked_anyway, plain);
    assert_eq!(with, without);
}

fn row21_error_before_driver_ok_has_no_interrupt<B: Backend>() {
    let mut g = Guest::<B>::boot(BalloonProps::default(), u64::MAX);
    g.send(0, &[readable(BUF_BASE, 0)]);
    let evs = g.run();
    match find(&evs, "virtio_error") {
        DeviceEvent::VirtioError {
            config_interrupt,
            status,
            ..
        } => {
            assert!(!config_interrupt);
            assert_eq!(status.1 & status::DRIVER_OK, 0);
            assert_ne!(status.1 & status::DEVICE_NEEDS_RESET, 0);
        }
        _ => unreachable!(),
    }
    assert!(g.interrupts().is_empty());
}

fn row21_broken_device_drops_the_stats_push<B: Backend>() {
    let (mut g, _) = stats_guest::<B>(&encode_entries(&[(0, 1)]));
    g.send(0, &[readable(BUF_BASE, 0)]);
    g.run();
    assert!(g.dev.is_broken());
    g.dev.qom_set_polling_interval(1, 0).unwrap();
    assert!(matches!(
        g.dev.fire_timer(0),
        Some(DeviceEvent::StatsPollFired { held: Some(_), .. })
    ));
    let evs = g.run();
    assert!(matches!(evs[..], [DeviceEvent::PushDropped { .. }]));
    assert_eq!(g.used_idx(2), 0);
    assert_eq!(g.dev.stats_held(), None);
}

fn reset_unpops_held_stats_and_keeps_target<B: Backend>() {
    let (mut g, _) = stats_guest::<B>(&encode_entries(&[(0, 1)]));
    g.dev.balloon((RAM - 4096 * 3) as i64).unwrap();
    g.write_actual(3);
    let ev = g.dev.set_status(0);
    assert!(matches!(
        ev,
        DeviceEvent::DeviceReset {
            num_pages: 3,
            actual: 3,
            unpopped_stats: Some(_),
            ..
        }
    ));
    assert_eq!(g.dev.stats_held(), None);
    assert_eq!(g.dev.config().num_pages, 3);
    assert_eq!(g.dev.queue_info(2).unwrap().next_avail, 0);
}

both!(
    row1_writable_pfn_buffer,
    row2_length_not_multiple_of_4,
    row3_more_than_256_pfns,
    row4_pfn_outside_ram,
    row5_pfn_array_outside_memory,
    row6_chain_of_several_descriptors,
    row7_duplicate_pfns,
    row8_deflate_never_inflated,
    row9_nonsense_actual,
    row10_avail_idx_too_far_ahead,
    row11_head_out_of_range,
    row11_descriptor_loop,
    row11_next_out_of_range,
    row12_zero_length_descriptor,
    row13_stats_not_multiple_of_10,
    row14_stats_very_large,
    row15_unknown_stats_tag,
    row16_second_stats_buffer,
    row17_bad_cmd_id_size,
    row18_report_misaligned_or_past_ram,
    report_skipped_with_poison,
    row19_config_writes,
    row20_must_tell_host_not_offered,
    row21_error_before_driver_ok_has_no_interrupt,
    row21_broken_device_drops_the_stats_push,
    reset_unpops_held_stats_and_keeps_target,
);
