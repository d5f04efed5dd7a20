//! Each VMM profile's facts, proven from what the device does (its events, the bytes it puts in
//! guest memory), on both backends. The expected numbers are the VMMs' own, read in their
//! sources (the commit is named in each profile's doc comment), never the profile's constants:
//! Cloud Hypervisor `virtio-devices/src/balloon.rs`, Firecracker
//! `src/vmm/src/devices/virtio/balloon/device.rs`, crosvm `devices/src/virtio/balloon.rs`.

#[macro_use]
mod common;

use balloon_device::consts::status;
use balloon_device::stats::encode_entries;
use balloon_device::vq::QueueKind;
use balloon_device::{BalloonProps, DeviceEvent, DeviceProfile, PfnRun, Vmm};
use common::{BUF_BASE, Guest, RAM, readable};
use virtq::{Backend, GuestRam};

const VERSION_1: u64 = 1 << 32;

fn props(reporting: bool, stats_interval: u32) -> BalloonProps {
    BalloonProps {
        free_page_reporting: reporting,
        deflate_on_oom: true,
        guest_stats_polling_interval: stats_interval,
        ..BalloonProps::default()
    }
}

/// Boots `vmm` with the driver accepting everything offered, DRIVER_OK set.
fn booted<B: Backend>(vmm: Vmm, p: BalloonProps) -> Guest<B> {
    let mut g = Guest::<B>::boot_profile(vmm.profile(), p, 4096, |o| o);
    g.driver_ok();
    g
}

fn queues_of(init: &[DeviceEvent]) -> Vec<(u16, QueueKind, u16)> {
    init.iter()
        .filter_map(|e| match e {
            DeviceEvent::QueueAdded { queue, size } => Some((queue.index, queue.kind, *size)),
            _ => None,
        })
        .collect()
}

fn realized(init: &[DeviceEvent]) -> (usize, u64) {
    init.iter()
        .find_map(|e| match e {
            DeviceEvent::Realized {
                config_size,
                features,
                ..
            } => Some((*config_size, *features)),
            _ => None,
        })
        .expect("realized")
}

fn read_all_config<B: Backend>(g: &mut Guest<B>, len: usize) -> DeviceEvent {
    let mut b = vec![0u8; len];
    g.dev.read_config(0, &mut b)
}

/// Features, queue numbering and sizes, config size: Cloud Hypervisor `Balloon::new` offers
/// VERSION_1 (+ DEFLATE_ON_OOM, REPORTING when asked), two 128-entry queues and a 32-entry
/// reporting queue at index 2, and an 8-byte `VirtioBalloonConfig`.
fn cloud_hypervisor_shape<B: Backend>() {
    let (_, init) =
        Guest::<B>::realize_profile(DeviceProfile::cloud_hypervisor(), props(true, 5), 4096);
    assert_eq!(realized(&init), (8, VERSION_1 | 1 << 2 | 1 << 5));
    assert_eq!(
        queues_of(&init),
        vec![
            (0, QueueKind::Inflate, 128),
            (1, QueueKind::Deflate, 128),
            (2, QueueKind::Reporting, 32)
        ]
    );
    let (_, init) = Guest::<B>::realize_profile(
        DeviceProfile::cloud_hypervisor(),
        BalloonProps::default(),
        4096,
    );
    assert_eq!(
        realized(&init),
        (8, VERSION_1),
        "no STATS_VQ, no PAGE_POISON"
    );
}

/// Firecracker: STATS_VQ only with a polling interval, 256-entry queues, indices compacted
/// over the offered features, a 12-byte config.
fn firecracker_shape<B: Backend>() {
    let (_, init) = Guest::<B>::realize_profile(DeviceProfile::firecracker(), props(true, 0), 4096);
    assert_eq!(realized(&init), (12, VERSION_1 | 1 << 2 | 1 << 5));
    assert_eq!(
        queues_of(&init),
        vec![
            (0, QueueKind::Inflate, 256),
            (1, QueueKind::Deflate, 256),
            (2, QueueKind::Reporting, 256)
        ]
    );
    let (_, init) = Guest::<B>::realize_profile(DeviceProfile::firecracker(), props(true, 1), 4096);
    assert_eq!(realized(&init), (12, VERSION_1 | 1 << 1 | 1 << 2 | 1 << 5));
    assert_eq!(
        queues_of(&init)[2..],
        [(2, QueueKind::Stats, 256), (3, QueueKind::Reporting, 256)]
    );
}

/// crosvm: MUST_TELL_HOST, STATS_VQ and DEFLATE_ON_OOM always, on top of `base_features`;
/// 128-entry queues; a 20-byte config whose byte 16 is `ws_num_bins` (4 by default).
fn crosvm_shape<B: Backend>() {
    let (mut g, init) =
        Guest::<B>::realize_profile(DeviceProfile::crosvm(), BalloonProps::default(), 4096);
    // virtio::base_features: VERSION_1 | RING_EVENT_IDX (29) | VIRTIO_F_SUSPEND (42).
    assert_eq!(realized(&init), (20, VERSION_1 | 1 << 29 | 1 << 42 | 0b111));
    assert_eq!(
        queues_of(&init),
        vec![
            (0, QueueKind::Inflate, 128),
            (1, QueueKind::Deflate, 128),
            (2, QueueKind::Stats, 128)
        ]
    );
    match read_all_config(&mut g, 20) {
        DeviceEvent::ConfigRead { data, .. } => assert_eq!(data[16..], [4, 0, 0, 0]),
        e => panic!("{e:?}"),
    }
}

/// Config writes (catalogue row 19): Cloud Hypervisor drops any write but a 4-byte `actual`;
/// Firecracker takes num_pages from the guest too; crosvm keeps only `actual`; QEMU keeps
/// `actual` and drops num_pages.
fn config_writes<B: Backend>() {
    for (vmm, num_pages_after) in [
        (Vmm::Qemu, 0u32),
        (Vmm::CloudHypervisor, 0),
        (Vmm::Firecracker, 77),
        (Vmm::Crosvm, 0),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let ev = g.dev.write_config(0, &[77, 0, 0, 0, 5, 0, 0, 0], 0);
        if vmm == Vmm::CloudHypervisor {
            assert!(
                matches!(ev, DeviceEvent::ConfigWriteIgnored { .. }),
                "{ev:?}"
            );
            assert!(
                ev.sentence()
                    .contains("Attempt to write to read-only field")
            );
        }
        let size = g.dev.config_size();
        match read_all_config(&mut g, size) {
            DeviceEvent::ConfigRead { data, .. } => {
                assert_eq!(data[0..4], num_pages_after.to_le_bytes(), "{vmm:?}");
                let actual = if vmm == Vmm::CloudHypervisor { 0 } else { 5u32 };
                assert_eq!(data[4..8], actual.to_le_bytes(), "{vmm:?}");
            }
            e => panic!("{e:?}"),
        }
        // Cloud Hypervisor takes the one write Linux makes.
        let ev = g.write_actual(9);
        assert!(
            matches!(ev, DeviceEvent::ConfigWritten { new, .. } if new.actual == 9),
            "{vmm:?}"
        );
    }
}

fn handled(evs: &[DeviceEvent]) -> &DeviceEvent {
    evs.iter()
        .find(|e| {
            matches!(
                e,
                DeviceEvent::Inflated { .. }
                    | DeviceEvent::Deflated { .. }
                    | DeviceEvent::ElementLost { .. }
            )
        })
        .expect("a handler event")
}

/// Deflate: QEMU and Cloud Hypervisor `MADV_WILLNEED` and crosvm `reclaim_memory` act on the
/// PFNs; Firecracker's `process_deflate_queue` only acks.
fn deflate_action<B: Backend>() {
    for (vmm, acts) in [
        (Vmm::Qemu, true),
        (Vmm::CloudHypervisor, true),
        (Vmm::Firecracker, false),
        (Vmm::Crosvm, true),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let seg = g.pfn_buffer(BUF_BASE, &[100, 101, 102]);
        g.send(0, &[seg]);
        g.run();
        let seg = g.pfn_buffer(BUF_BASE, &[100, 101, 102]);
        g.send(1, &[seg]);
        let evs = g.run();
        match handled(&evs) {
            DeviceEvent::Deflated {
                pfns,
                frames_undiscarded,
                ..
            } => {
                let want: Vec<PfnRun> = if acts {
                    vec![PfnRun {
                        first: 100,
                        count: 3,
                    }]
                } else {
                    vec![]
                };
                assert_eq!(*pfns, want, "{vmm:?}");
                assert_eq!(*frames_undiscarded, if acts { 3 } else { 0 }, "{vmm:?}");
                // The explanation names the VMM's own deflate handler, and never claims
                // MADV_WILLNEED where the VMM does nothing to host memory.
                let (function, sentence) = (handled(&evs).function(), handled(&evs).sentence());
                let want = match vmm {
                    Vmm::Firecracker => "process_deflate_queue",
                    Vmm::Crosvm => "reclaim_memory",
                    _ => "balloon_deflate_page",
                };
                assert_eq!(function, want, "{vmm:?}");
                assert!(sentence.starts_with(want), "{vmm:?}: {sentence}");
                assert_eq!(
                    sentence.contains("MADV_WILLNEED"),
                    want == "balloon_deflate_page",
                    "{vmm:?}: {sentence}"
                );
            }
            e => panic!("{vmm:?}: {e:?}"),
        }
        assert_eq!(g.used_idx(1), 1, "{vmm:?}: the deflate element is acked");
    }
}

/// 300 PFNs in one descriptor (catalogue row 3): QEMU and crosvm take them all; Cloud
/// Hypervisor skips the descriptor (> 1024 bytes) and acks; Firecracker logs "bogus page count"
/// and never returns the element (used.idx in guest memory stays 0).
fn pfn_caps<B: Backend>() {
    let list: Vec<u32> = (1000..1300).collect();
    for vmm in Vmm::ALL {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let seg = g.pfn_buffer(BUF_BASE, &list);
        g.send(0, &[seg]);
        let evs = g.run();
        match (vmm, handled(&evs)) {
            (Vmm::Qemu | Vmm::Crosvm, DeviceEvent::Inflated { pfns, .. }) => {
                assert_eq!(
                    *pfns,
                    vec![PfnRun {
                        first: 1000,
                        count: 300
                    }]
                );
                assert_eq!(g.used_idx(0), 1);
            }
            (
                Vmm::CloudHypervisor,
                DeviceEvent::Inflated {
                    pfns, tail_bytes, ..
                },
            ) => {
                assert!(pfns.is_empty());
                assert_eq!(*tail_bytes, 1200);
                assert_eq!(g.used_idx(0), 1);
            }
            (Vmm::Firecracker, DeviceEvent::ElementLost { head, message, .. }) => {
                assert_eq!(*head, 0);
                assert!(message.contains("bogus page count 300 > 256"), "{message}");
                assert_eq!(g.used_idx(0), 0);
            }
            (_, e) => panic!("{vmm:?}: {e:?}"),
        }
    }
}

/// Which descriptors carry PFNs (rows 2, 6, 7): Firecracker reads the head only and drops
/// duplicates; Cloud Hypervisor skips a descriptor whose length is not a multiple of 4.
fn pfn_descriptors<B: Backend>() {
    // Two descriptors, 3 PFNs then 2 (one a duplicate of the first).
    for (vmm, want) in [
        (
            Vmm::Qemu,
            vec![
                PfnRun { first: 7, count: 3 },
                PfnRun {
                    first: 20,
                    count: 1,
                },
            ],
        ),
        (Vmm::Firecracker, vec![PfnRun { first: 7, count: 3 }]),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        g.pfn_buffer(BUF_BASE, &[7, 8, 9, 7, 20]);
        g.send(0, &[readable(BUF_BASE, 12), readable(BUF_BASE + 12, 8)]);
        let evs = g.run();
        match handled(&evs) {
            DeviceEvent::Inflated { pfns, .. } => assert_eq!(*pfns, want, "{vmm:?}"),
            e => panic!("{e:?}"),
        }
    }
    // A duplicate PFN: QEMU discards it twice (balloon_inflate_page per PFN); Firecracker's
    // compact_page_frame_numbers skips it.
    for (vmm, per_pfn) in [(Vmm::Qemu, 4), (Vmm::Firecracker, 3)] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let seg = g.pfn_buffer(BUF_BASE, &[7, 8, 7, 9]);
        g.send(0, &[seg]);
        match handled(&g.run()) {
            DeviceEvent::Inflated {
                host_pages_discarded,
                frames_discarded,
                ..
            } => assert_eq!(
                (*host_pages_discarded, *frames_discarded),
                (per_pfn, 3),
                "{vmm:?}"
            ),
            e => panic!("{e:?}"),
        }
    }
    // A 6-byte descriptor then a 4-byte one.
    for (vmm, want) in [
        // QEMU reads one stream: 7, then 08 00 | 09 00 = 0x90008, past the 1 GiB guest.
        (Vmm::Qemu, vec![PfnRun { first: 7, count: 1 }]),
        (Vmm::CloudHypervisor, vec![PfnRun { first: 9, count: 1 }]),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        g.pfn_buffer(BUF_BASE, &[7, 8, 9]);
        g.send(0, &[readable(BUF_BASE, 6), readable(BUF_BASE + 8, 4)]);
        match handled(&g.run()) {
            DeviceEvent::Inflated { pfns, .. } => assert_eq!(*pfns, want, "{vmm:?}"),
            e => panic!("{e:?}"),
        }
    }
}

/// Two stats samples, the second without tag 0 (swap-in): QEMU's `reset_stats` makes it
/// u64::MAX, Firecracker keeps 11, crosvm's fresh `BalloonStats` has `None` (shown as unset).
/// QEMU 7.2 (its headers stop at `VIRTIO_BALLOON_S_NR` 10) and crosvm do not know tag 10
/// (oom-kills); Firecracker does.
fn missing_stats<B: Backend>() {
    for (vmm, swap_in_after) in [
        (Vmm::Qemu, None),
        (Vmm::Firecracker, Some(11)),
        (Vmm::Crosvm, None),
    ] {
        let mut g = booted::<B>(vmm, props(false, 1));
        let svq = g.dev.queue_index(QueueKind::Stats).expect("statsq");
        let first = encode_entries(&[(0, 11), (4, 4096), (10, 3)]);
        g.ram.write(BUF_BASE, &first).unwrap();
        g.send(svq, &[readable(BUF_BASE, first.len() as u32)]);
        let evs = g.run();
        let (stats1, unknown) = evs
            .iter()
            .find_map(|e| match e {
                DeviceEvent::StatsReceived { stats, parse, .. } => {
                    Some((*stats, parse.unknown_tags))
                }
                _ => None,
            })
            .expect("stats");
        assert_eq!(stats1.get(0), Some(11), "{vmm:?}");
        if vmm != Vmm::Firecracker {
            assert_eq!(
                (stats1.get(10), unknown),
                (None, 1),
                "{vmm:?} ignores tag 10"
            );
        } else {
            assert_eq!((stats1.get(10), unknown), (Some(3), 0), "{vmm:?}");
        }
        // The poll timer returns the buffer; the guest refills it without swap-in.
        g.now = 1_000_000_000;
        g.dev.fire_timer(g.now);
        g.run();
        let second = encode_entries(&[(4, 2048)]);
        g.ram.write(BUF_BASE, &second).unwrap();
        g.send(svq, &[readable(BUF_BASE, second.len() as u32)]);
        let stats2 = g
            .run()
            .iter()
            .find_map(|e| match e {
                DeviceEvent::StatsReceived { stats, .. } => Some(*stats),
                _ => None,
            })
            .expect("second sample");
        assert_eq!(stats2.get(4), Some(2048), "{vmm:?}");
        assert_eq!(stats2.get(0), swap_in_after, "{vmm:?}");
    }
}

/// Used length on the reporting queue: Cloud Hypervisor's `process_reporting_queue` writes the
/// sum of the descriptor lengths, the others 0 (read back from the used ring in guest memory).
fn reporting_used_len<B: Backend>() {
    for (vmm, len) in [
        (Vmm::Qemu, 0),
        (Vmm::CloudHypervisor, 3 << 20),
        (Vmm::Firecracker, 0),
        (Vmm::Crosvm, 0),
    ] {
        let mut g = booted::<B>(vmm, props(true, 0));
        let q = g
            .dev
            .queue_index(QueueKind::Reporting)
            .expect("reporting_vq");
        let seg = |addr: u64, len: u32| virtq::driver::Segment {
            addr,
            len,
            writable: true,
        };
        g.send(q, &[seg(4 << 20, 2 << 20), seg(8 << 20, 1 << 20)]);
        g.run();
        assert_eq!(g.used_idx(q), 1, "{vmm:?}");
        assert_eq!(g.used_elem(q, 0), (0, len), "{vmm:?}");
    }
}

fn reaction(evs: &[DeviceEvent]) -> &'static str {
    for e in evs {
        match e {
            DeviceEvent::VirtioError { .. } => return "needs-reset",
            DeviceEvent::VmmAborted { .. } => return "abort",
            DeviceEvent::QueueStalled { .. } => return "stall",
            DeviceEvent::ElementLost { .. } => return "lost",
            DeviceEvent::UsedPushed { .. } => return "acked",
            DeviceEvent::BufferSkipped { .. } => return "skipped+acked",
            _ => {}
        }
    }
    "nothing"
}

/// Catalogue rows 5, 10, 11, 12 per VMM (reference section 8 and the sources named in the
/// profiles): avail.idx too far ahead, a head out of range, a PFN array past the end of RAM,
/// a zero-length descriptor, a descriptor whose `next` is itself (Firecracker's
/// `checked_new` lets it through and reads the head; crosvm's `DescriptorChain::new` refuses).
fn malformed_reactions<B: Backend>() {
    let table = [
        (
            Vmm::Qemu,
            [
                "needs-reset",
                "needs-reset",
                "needs-reset",
                "needs-reset",
                "needs-reset",
            ],
        ),
        (
            Vmm::CloudHypervisor,
            [
                "stall",
                "needs-reset",
                "skipped+acked",
                "skipped+acked",
                "acked",
            ],
        ),
        (
            Vmm::Firecracker,
            ["abort", "stall", "lost", "skipped+acked", "acked"],
        ),
        (
            Vmm::Crosvm,
            ["stall", "stall", "skipped+acked", "skipped+acked", "stall"],
        ),
    ];
    for (vmm, want) in table {
        let mut got = Vec::new();
        // Row 10: avail.idx the queue size + 72 past next_avail.
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let l = g.qs[0].layout();
        g.ram
            .write_u16(l.avail_idx_addr().unwrap(), l.size + 72)
            .unwrap();
        g.dev.notify(0);
        got.push(reaction(&g.run()));
        if vmm == Vmm::Firecracker {
            assert!(g.dev.is_aborted());
            // The VM is gone: a kick does nothing any more.
            g.dev.notify(0);
            assert!(g.run().is_empty());
        }
        // Row 11: a head index past the table.
        let mut g = booted::<B>(vmm, BalloonProps::default());
        let l = g.qs[0].layout();
        g.ram
            .write_u16(l.avail_entry_addr(0).unwrap(), 300)
            .unwrap();
        g.ram.write_u16(l.avail_idx_addr().unwrap(), 1).unwrap();
        g.dev.notify(0);
        got.push(reaction(&g.run()));
        if got[1] == "stall" {
            // Stalled for good: a second kick pops nothing, and used.idx never moves.
            g.dev.notify(0);
            let evs = g.run();
            assert_eq!(reaction(&evs), "nothing", "{vmm:?}");
            assert_eq!(g.used_idx(0), 0);
        }
        // Row 5: the PFN array straddles the end of RAM. Row 12: a zero-length descriptor.
        for seg in [readable(RAM - 8, 16), readable(BUF_BASE, 0)] {
            let mut g = booted::<B>(vmm, BalloonProps::default());
            g.send(0, &[seg]);
            got.push(reaction(&g.run()));
            // Acked means the used ring in guest memory holds the element.
            let returned = got.last().is_some_and(|r| r.ends_with("acked"));
            assert_eq!(g.used_idx(0), u16::from(returned), "{vmm:?}");
        }
        // Row 11: a descriptor with NEXT pointing at itself, holding PFN 7.
        let mut g = booted::<B>(vmm, BalloonProps::default());
        g.pfn_buffer(BUF_BASE, &[7]);
        g.send_looping_chain();
        let evs = g.run();
        got.push(reaction(&evs));
        if got[4] == "acked" {
            assert!(
                matches!(handled(&evs), DeviceEvent::Inflated { pfns, .. } if *pfns == vec![PfnRun { first: 7, count: 1 }]),
                "{vmm:?}: the head's PFN is ballooned"
            );
        }
        assert_eq!(got, want, "{vmm:?}");
    }
}

/// Device reset: QEMU, Cloud Hypervisor and crosvm keep num_pages and actual; Firecracker's
/// `_reset` zeroes actual and keeps num_pages.
fn reset_keeps_or_zeroes_actual<B: Backend>() {
    for (vmm, actual_after) in [
        (Vmm::Qemu, 256),
        (Vmm::CloudHypervisor, 256),
        (Vmm::Firecracker, 0),
        (Vmm::Crosvm, 256),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        g.dev
            .vmm_resize(match vmm {
                Vmm::Qemu => 512 << 20,
                Vmm::Firecracker => 512,
                _ => 512 << 20,
            })
            .unwrap();
        g.write_actual(256);
        match g.dev.set_status(0) {
            DeviceEvent::DeviceReset {
                num_pages, actual, ..
            } => assert_eq!((num_pages, actual), (131072, actual_after), "{vmm:?}"),
            e => panic!("{e:?}"),
        }
        let size = g.dev.config_size();
        match read_all_config(&mut g, size) {
            DeviceEvent::ConfigRead { data, .. } => {
                assert_eq!(data[0..4], 131072u32.to_le_bytes(), "{vmm:?}");
                assert_eq!(data[4..8], actual_after.to_le_bytes(), "{vmm:?}");
            }
            e => panic!("{e:?}"),
        }
    }
}

/// The operators' units: Cloud Hypervisor `desired_balloon` bytes, Firecracker `amount_mib`,
/// crosvm bytes rounded down to 4 KiB; each names the balloon, not the guest. Firecracker
/// refuses before activation and above the guest's size, in its own words.
fn operator_units<B: Backend>() {
    let (mut g, _) =
        Guest::<B>::realize_profile(DeviceProfile::firecracker(), BalloonProps::default(), 4096);
    assert_eq!(
        g.dev.vmm_resize(512).unwrap_err().to_string(),
        "Device not activated yet."
    );
    for (vmm, value) in [
        (Vmm::CloudHypervisor, (512u64 << 20) + 100),
        (Vmm::Firecracker, 512),
        (Vmm::Crosvm, (512 << 20) + 4095),
    ] {
        let mut g = booted::<B>(vmm, BalloonProps::default());
        match g.dev.vmm_resize(value).unwrap() {
            DeviceEvent::VmmResized {
                num_pages,
                config_interrupt,
                ..
            } => assert_eq!(
                (num_pages, config_interrupt),
                ((0, 131072), true),
                "{vmm:?}"
            ),
            e => panic!("{e:?}"),
        }
    }
    let mut g = booted::<B>(Vmm::Firecracker, BalloonProps::default());
    assert_eq!(
        g.dev.vmm_resize(2048).unwrap_err().to_string(),
        "Requested memory should be less than 2048MiB"
    );
    assert_eq!(g.dev.status() & status::DRIVER_OK, status::DRIVER_OK);
}

both!(
    cloud_hypervisor_shape,
    firecracker_shape,
    crosvm_shape,
    config_writes,
    deflate_action,
    pfn_caps,
    pfn_descriptors,
    missing_stats,
    reporting_used_len,
    malformed_reactions,
    reset_keeps_or_zeroes_actual,
    operator_units,
);
