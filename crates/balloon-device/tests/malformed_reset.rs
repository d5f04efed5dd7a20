//! After any malformed ring that makes QEMU call virtio_error (reference section 8, rows 5, 10,
//! 11 and 12), a virtio reset and a new probe bring the device back, and the host's accounting
//! loses nothing: pages discarded before the break stay discarded (the guest still holds them
//! in its balloon), inflates after the re-probe add to them, and deflating gives back exactly
//! the frames that were discarded. Both backends.

mod common;

use std::collections::BTreeSet;

use balloon_device::consts::status;
use balloon_device::{BalloonProps, DeviceEvent};
use common::{BUF_BASE, Guest, RAM, readable};
use proptest::prelude::*;
use virtq::{Backend, Descriptor, DriverQueue, GuestRam, Portable};

use proptest_cases::config;

/// The ways a guest can make QEMU's virtio core give up on the inflate queue.
#[derive(Debug, Clone, Copy)]
enum Break {
    /// Row 5: the PFN array is not in guest memory.
    ArrayOutsideRam,
    /// Row 10: avail.idx more than the queue size ahead.
    AvailIdxJump,
    /// Row 11: a head index not below the queue size.
    HeadOutOfRange,
    /// Row 11: a descriptor chained to itself.
    Loop,
    /// Row 12: a zero-length buffer.
    ZeroLength,
}

impl Break {
    const ALL: [Break; 5] = [
        Break::ArrayOutsideRam,
        Break::AvailIdxJump,
        Break::HeadOutOfRange,
        Break::Loop,
        Break::ZeroLength,
    ];

    fn apply<B: Backend>(self, g: &mut Guest<B>) {
        let l = g.qs[0].layout();
        let avail = g.avail_idx(0);
        match self {
            Break::ArrayOutsideRam => {
                g.send(0, &[readable(RAM - 8, 16)]);
            }
            Break::ZeroLength => {
                g.send(0, &[readable(BUF_BASE, 0)]);
            }
            Break::AvailIdxJump => {
                let jump = avail.wrapping_add(l.size).wrapping_add(1);
                g.ram.write_u16(l.avail_idx_addr().unwrap(), jump).unwrap();
                g.dev.notify(0);
            }
            Break::HeadOutOfRange | Break::Loop => {
                let head = if matches!(self, Break::Loop) {
                    let d = Descriptor {
                        addr: BUF_BASE,
                        len: 4,
                        flags: virtq::layout::VIRTQ_DESC_F_NEXT,
                        next: 5,
                    };
                    g.ram.write(l.desc_addr(5).unwrap(), &d.to_bytes()).unwrap();
                    5
                } else {
                    l.size + 7
                };
                let slot = l.avail_entry_addr(avail % l.size).unwrap();
                g.ram.write_u16(slot, head).unwrap();
                g.ram
                    .write_u16(l.avail_idx_addr().unwrap(), avail.wrapping_add(1))
                    .unwrap();
                g.dev.notify(0);
            }
        }
    }
}

/// virtio_dev_probe again after the reset: handshake, fresh rings at the same places.
fn reprobe<B: Backend>(g: &mut Guest<B>) {
    g.dev.set_status(status::ACKNOWLEDGE);
    g.dev.set_status(status::ACKNOWLEDGE | status::DRIVER);
    let features = g.dev.device_features();
    g.dev.set_driver_features(features);
    g.dev
        .set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
    let event_idx = g.dev.driver_features() & (1 << 29) != 0;
    for i in 0..g.dev.num_queues() {
        let layout = g.qs[usize::from(i)].layout();
        g.qs[usize::from(i)] = DriverQueue::new(&mut g.ram, layout, event_idx).unwrap();
        g.dev.set_queue(i, layout);
    }
    g.driver_ok();
}

/// One inflate (q 0) or deflate (q 1) message, run until the device is idle; asserts the ack.
fn message<B: Backend>(g: &mut Guest<B>, q: u16, pfns: &[u32]) {
    let before = g.used_idx(q);
    let seg = g.pfn_buffer(BUF_BASE, pfns);
    g.send(q, &[seg]);
    g.run();
    assert_eq!(
        g.used_idx(q),
        before.wrapping_add(1),
        "the message is acked"
    );
}

fn discarded<B: Backend>(g: &Guest<B>) -> u64 {
    g.dev.memory().discarded_frames()
}

fn run<B: Backend>(how: Break, first: &BTreeSet<u32>, second: &BTreeSet<u32>) -> Vec<String> {
    let mut g = Guest::<B>::boot(BalloonProps::default(), u64::MAX);
    g.driver_ok();
    g.dev.balloon(1 << 29).unwrap();
    let first_v: Vec<u32> = first.iter().copied().collect();
    message(&mut g, 0, &first_v);
    assert_eq!(discarded(&g), first.len() as u64);

    how.apply(&mut g);
    let evs = g.run();
    assert!(
        evs.iter()
            .any(|e| matches!(e, DeviceEvent::VirtioError { .. })),
        "{how:?}: {evs:#?}"
    );
    assert!(g.dev.is_broken());
    assert_ne!(g.dev.status() & status::DEVICE_NEEDS_RESET, 0);
    // Breaking loses nothing the host had done.
    assert_eq!(discarded(&g), first.len() as u64, "{how:?}");
    let num_pages = g.dev.config().num_pages;

    // Linux: virtio_reset_device, then virtballoon_probe again.
    assert!(matches!(
        g.dev.set_status(0),
        DeviceEvent::DeviceReset { .. }
    ));
    reprobe(&mut g);
    assert!(!g.dev.is_broken());
    assert_eq!(
        g.dev.status(),
        status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK
    );
    assert_eq!(g.dev.config().num_pages, num_pages, "the target survives");
    assert_eq!(
        discarded(&g),
        first.len() as u64,
        "{how:?}: reset keeps the balloon"
    );

    // The new driver inflates its own pages, then gives back the old ones.
    let second_v: Vec<u32> = second.iter().copied().collect();
    message(&mut g, 0, &second_v);
    assert_eq!(discarded(&g), first.union(second).count() as u64);
    message(&mut g, 1, &first_v);
    assert_eq!(discarded(&g), second.difference(first).count() as u64);
    // Deflating repopulates nothing (MADV_WILLNEED on anonymous memory): every frame either
    // balloon ever held stays off the host until the guest writes it.
    let resident = g.dev.memory().resident_bytes();
    assert_eq!(resident, RAM - 4096 * first.union(second).count() as u64);
    g.log.push(format!("resident {resident}"));
    g.log
}

fn pfns() -> impl Strategy<Value = BTreeSet<u32>> {
    // Above the rings and buffers (the first 16 MiB), below the end of RAM.
    prop::collection::btree_set(0x1000u32..(RAM >> 12) as u32, 1..256)
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn reset_after_needs_reset_loses_nothing(
        how in prop::sample::select(Break::ALL.to_vec()),
        first in pfns(),
        second in pfns(),
    ) {
        let a = run::<Portable>(how, &first, &second);
        let b = run::<virtq::RustVmm>(how, &first, &second);
        prop_assert_eq!(a, b);
    }
}

#[test]
fn every_break_recovers_on_both_backends() {
    let first: BTreeSet<u32> = (0x3_0000..0x3_0100).collect();
    let second: BTreeSet<u32> = (0x3_0080..0x3_0180).collect();
    for how in Break::ALL {
        assert_eq!(
            run::<Portable>(how, &first, &second),
            run::<virtq::RustVmm>(how, &first, &second)
        );
    }
}
