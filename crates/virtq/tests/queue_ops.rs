//! Device-side operations other than pop, on both backends: readiness, add_used, notification
//! suppression, unpop, reset; and the driver side's own errors.
#![cfg(not(target_arch = "wasm32"))] // rust-vmm, the reference, is native only

mod common;

use common::Ring;
use virtq::layout::{VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY};
use virtq::{
    Backend, DeviceQueue, DriverQueue, GuestRam, Portable, QueueError, QueueLayout, RustVmm,
    Segment, SparseRam,
};

fn not_ready<B: Backend>() {
    let ram = B::new_ram(1 << 20).unwrap();
    let mut q = B::new_queue(8).unwrap();
    assert_eq!(q.pop(&ram), Err(QueueError::NotReady));
    let mut l = QueueLayout::contiguous(0x1000, 8);
    l.avail_ring = 0;
    q.configure(l, false).unwrap();
    assert_eq!(q.pop(&ram), Err(QueueError::NotReady), "avail ring at 0");
    q.configure(QueueLayout::contiguous(0x1000, 8), false)
        .unwrap();
    assert!(q.ready());
    q.reset();
    assert!(!q.ready());
    assert_eq!(q.pop(&ram), Err(QueueError::NotReady));
}

#[test]
fn not_ready_until_configured_and_after_reset() {
    not_ready::<Portable>();
    not_ready::<RustVmm>();
}

fn bad_config<B: Backend>() {
    let mut q = B::new_queue(8).unwrap();
    let l = QueueLayout::contiguous(0x1000, 8);
    assert_eq!(
        q.configure(QueueLayout { size: 6, ..l }, false),
        Err(QueueError::InvalidSize(6))
    );
    assert_eq!(
        q.configure(QueueLayout { size: 16, ..l }, false),
        Err(QueueError::InvalidSize(16))
    );
    let e = q
        .configure(
            QueueLayout {
                desc_table: 0x1008,
                ..l
            },
            false,
        )
        .unwrap_err();
    assert!(
        matches!(e, QueueError::InvalidRingAddress { addr: 0x1008, .. }),
        "{e}"
    );
    let e = q
        .configure(
            QueueLayout {
                avail_ring: 0x1081,
                ..l
            },
            false,
        )
        .unwrap_err();
    assert!(
        matches!(e, QueueError::InvalidRingAddress { addr: 0x1081, .. }),
        "{e}"
    );
    let e = q
        .configure(
            QueueLayout {
                used_ring: 0x1102,
                ..l
            },
            false,
        )
        .unwrap_err();
    assert!(
        matches!(e, QueueError::InvalidRingAddress { addr: 0x1102, .. }),
        "{e}"
    );
    assert_eq!(B::new_queue(12).unwrap_err(), QueueError::InvalidSize(12));
}

#[test]
fn bad_sizes_and_alignments_are_refused() {
    bad_config::<Portable>();
    bad_config::<RustVmm>();
}

fn used_ring<B: Backend>() -> Vec<u8> {
    let r = Ring::new(8);
    let (mut ram, mut q) = r.build::<B>();
    assert_eq!(
        q.add_used(&mut ram, 8, 1),
        Err(QueueError::InvalidDescriptorIndex { index: 8, size: 8 })
    );
    for i in 0..10u16 {
        q.add_used(&mut ram, i % 8, 100 + u32::from(i)).unwrap();
    }
    assert_eq!(q.next_used(), 10);
    let mut b = vec![0; QueueLayout::used_ring_bytes(8) as usize];
    ram.read(r.layout.used_ring, &mut b).unwrap();
    b
}

#[test]
fn add_used_writes_identical_used_rings() {
    let p = used_ring::<Portable>();
    assert_eq!(p, used_ring::<RustVmm>());
    assert_eq!(u16::from_le_bytes([p[2], p[3]]), 10, "used.idx");
    // Element 9 wrapped to slot 1: id 1, len 109.
    assert_eq!(&p[4 + 8..4 + 16], &[1, 0, 0, 0, 109, 0, 0, 0]);
}

fn notifications<B: Backend>(event_idx: bool) -> Vec<bool> {
    let mut r = Ring::new(8);
    r.event_idx = event_idx;
    let (mut ram, mut q) = r.build::<B>();
    let l = r.layout;
    let mut out = Vec::new();
    q.disable_notification(&mut ram).unwrap();
    out.push(ram.read_u16(l.used_flags_addr()).unwrap() == VIRTQ_USED_F_NO_NOTIFY);
    out.push(q.enable_notification(&mut ram).unwrap());
    out.push(ram.read_u16(l.used_flags_addr()).unwrap() == VIRTQ_USED_F_NO_NOTIFY);
    ram.write_u16(l.avail_idx_addr().unwrap(), 1).unwrap();
    out.push(q.enable_notification(&mut ram).unwrap());
    // used_event = 2: interrupt when used.idx passes 2, i.e. on the third add_used.
    ram.write_u16(l.used_event_addr().unwrap(), 2).unwrap();
    for _ in 0..4 {
        q.add_used(&mut ram, 0, 0).unwrap();
        out.push(q.needs_notification(&ram).unwrap());
    }
    ram.write_u16(l.avail_flags_addr(), VIRTQ_AVAIL_F_NO_INTERRUPT)
        .unwrap();
    q.add_used(&mut ram, 0, 0).unwrap();
    out.push(q.needs_notification(&ram).unwrap());
    out
}

#[test]
fn notification_suppression_agrees() {
    let p = notifications::<Portable>(false);
    assert_eq!(p, notifications::<RustVmm>(false));
    assert_eq!(p, [true, false, false, true, true, true, true, true, false]);
    let p = notifications::<Portable>(true);
    assert_eq!(p, notifications::<RustVmm>(true));
    assert_eq!(
        p,
        [false, false, false, true, false, false, true, false, false]
    );
}

fn unpop<B: Backend>() {
    let mut r = Ring::new(8);
    r.desc(2, 0x8000, 4, 0, 0).avail(&[2], 1);
    let (ram, mut q) = r.build::<B>();
    assert_eq!(q.pop(&ram).unwrap().unwrap().head, 2);
    assert_eq!(q.pop(&ram), Ok(None));
    q.unpop();
    assert_eq!(q.next_avail(), 0);
    assert_eq!(q.pop(&ram).unwrap().unwrap().head, 2);
}

#[test]
fn unpop_gives_the_chain_back() {
    unpop::<Portable>();
    unpop::<RustVmm>();
}

#[test]
fn clone_keeps_the_queue_state_and_the_used_ring() {
    let mut r = Ring::new(8);
    r.desc(2, 0x8000, 4, 0, 0).avail(&[2, 2], 2);
    let (mut ram, mut q) = r.build::<RustVmm>();
    q.pop(&ram).unwrap();
    q.add_used(&mut ram, 2, 77).unwrap();
    let mut c = q.clone();
    assert_eq!(c.next_avail(), 1);
    assert_eq!(c.layout(), Some(r.layout));
    let ram2 = ram.clone();
    assert_eq!(c.pop(&ram2).unwrap().unwrap().head, 2);
    let used = r.layout.used_ring;
    let (mut a, mut b) = (vec![0; 22], vec![0; 22]);
    ram.read(used, &mut a).unwrap();
    ram2.read(used, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(ram2.read_u32(used + 8).unwrap(), 77, "used.ring[0].len");
}

#[test]
fn driver_errors() {
    let mut ram = SparseRam::new(1 << 20);
    let l = QueueLayout::contiguous(0x1000, 4);
    let mut d = DriverQueue::new(&mut ram, l, false).unwrap();
    assert_eq!(d.add_buf(&mut ram, &[], None), Err(QueueError::NoSegments));
    let seg = Segment {
        addr: 0x8000,
        len: 4,
        writable: false,
    };
    assert_eq!(
        d.add_buf(&mut ram, &[seg; 5], None),
        Err(QueueError::NoFreeDescriptors { needed: 5, free: 4 })
    );
    let h = d.add_buf(&mut ram, &[seg; 3], None).unwrap();
    assert_eq!(d.chain_of(h), [0, 1, 2]);
    d.publish(&mut ram, h).unwrap();
    // A device returning an id that is not a head in flight.
    ram.write_u32(l.used_elem_addr(0).unwrap(), 1).unwrap();
    ram.write_u16(l.used_idx_addr().unwrap(), 1).unwrap();
    assert_eq!(
        d.get_used(&mut ram),
        Err(QueueError::UnexpectedUsedId { id: 1 })
    );
    ram.write_u32(l.used_elem_addr(0).unwrap(), 70_000).unwrap();
    assert_eq!(
        d.get_used(&mut ram),
        Err(QueueError::UnexpectedUsedId { id: 70_000 })
    );
    assert_eq!(d.last_used(), 0, "not consumed");
    ram.write_u32(l.used_elem_addr(0).unwrap(), 0).unwrap();
    assert_eq!(d.get_used(&mut ram).unwrap().unwrap().id, 0);
    assert_eq!(d.num_free(), 4);
    // Freed descriptors are reused, most recent chain first (Linux detach_buf_split).
    let h2 = d.add_buf(&mut ram, &[seg; 4], None).unwrap();
    assert_eq!(d.chain_of(h2), [0, 1, 2, 3]);
}

#[test]
fn driver_kick_and_callback_suppression() {
    let mut ram = SparseRam::new(1 << 20);
    let l = QueueLayout::contiguous(0x1000, 4);
    let mut d = DriverQueue::new(&mut ram, l, true).unwrap();
    let seg = Segment {
        addr: 0x8000,
        len: 4,
        writable: true,
    };
    for _ in 0..2 {
        let h = d.add_buf(&mut ram, &[seg], None).unwrap();
        d.publish(&mut ram, h).unwrap();
    }
    // avail_event 0: crossing 0 -> 2 passes it.
    assert!(d.kick_needed(&mut ram).unwrap());
    ram.write_u16(l.avail_event_addr().unwrap(), 5).unwrap();
    let h = d.add_buf(&mut ram, &[seg], None).unwrap();
    d.publish(&mut ram, h).unwrap();
    assert!(!d.kick_needed(&mut ram).unwrap(), "2 -> 3 does not pass 5");
    d.disable_cb(&mut ram).unwrap();
    assert!(d.cb_disabled());
    assert_eq!(ram.read_u16(l.used_event_addr().unwrap()).unwrap(), 0);
    ram.write_u16(l.used_idx_addr().unwrap(), 1).unwrap();
    assert!(!d.enable_cb(&mut ram).unwrap(), "a used buffer is pending");
    assert_eq!(ram.read_u16(l.used_event_addr().unwrap()).unwrap(), 0);
    let mut no_event =
        DriverQueue::new(&mut ram, QueueLayout::contiguous(0x4000, 4), false).unwrap();
    no_event.disable_cb(&mut ram).unwrap();
    assert_eq!(
        ram.read_u16(0x4000 + 64).unwrap(),
        VIRTQ_AVAIL_F_NO_INTERRUPT
    );
    ram.write_u16(0x4000 + 64 + 16, VIRTQ_USED_F_NO_NOTIFY)
        .unwrap();
    let h = no_event.add_buf(&mut ram, &[seg], None).unwrap();
    no_event.publish(&mut ram, h).unwrap();
    assert!(!no_event.kick_needed(&mut ram).unwrap());
}
