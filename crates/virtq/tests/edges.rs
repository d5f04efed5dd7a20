//! Boundaries a `cargo mutants` run found unpinned: the largest indirect table, a used id equal
//! to the queue size, `enable_cb` without EVENT_IDX, and how the rust-vmm backend names the
//! errors rust-vmm reports (or does not report) on the avail and used rings.
#![cfg(not(target_arch = "wasm32"))] // rust-vmm, the reference, is native only

mod common;

use common::Ring;
use virtq::layout::{VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT as IND};
use virtq::{
    ChainDescriptor, DeviceQueue, DriverQueue, GuestRam, MemError, Portable, QueueError,
    QueueLayout, RustVmm, Segment, SparseRam,
};

const BUF: u64 = 0x8000;
const TABLE: u64 = 0x7000;

/// rust-vmm `switch_to_indirect_table` refuses `len / 16 > u16::MAX`, so a table of exactly
/// 65535 entries is still a table (the VIRTIO spec, 2.7.5.3.1, bounds it by nothing smaller).
#[test]
fn an_indirect_table_of_exactly_65535_entries_is_walked() {
    let mut r = Ring::new(8);
    r.ram_size = 4 << 20;
    r.desc(0, TABLE, 16 * 65535, IND, 0)
        .table_desc(TABLE, BUF, 4, 0, 0)
        .avail(&[0], 1);
    let chain = r.pop_both().unwrap().expect("a chain");
    assert!(chain.indirect);
    assert_eq!(
        chain.descriptors,
        vec![ChainDescriptor {
            addr: BUF,
            len: 4,
            writable: false
        }]
    );
}

/// avail.idx readable, the avail entry it points at not: rust-vmm's `AvailIter` returns `None`
/// (as for an empty ring), and the wrapper reads the entry itself to report the same memory
/// error as the portable queue, consuming nothing on either.
#[test]
fn an_unreadable_avail_entry_is_a_memory_error_on_both_backends() {
    let mut r = Ring::new(8);
    let ram = r.ram_size;
    r.layout.avail_ring = ram - 4;
    r.write(ram - 2, &1u16.to_le_bytes());
    let (p, p_next) = r.pop::<Portable>();
    let (v, v_next) = r.pop::<RustVmm>();
    let want = Err(QueueError::Memory(MemError::OutOfRange {
        addr: ram,
        len: 2,
        size: ram,
    }));
    assert_eq!(p, want);
    assert_eq!(v, want);
    assert_eq!((p_next, v_next), (0, 0));
}

/// add_used: an id not below the queue size is rust-vmm's `InvalidDescriptorIndex`, named
/// with the id and the size; a used ring past the end of RAM is rust-vmm's `GuestMemory`
/// error, re-derived into the portable queue's address and length.
#[test]
fn add_used_errors_are_named_alike() {
    fn both(r: &Ring, head: u16) -> Result<(), QueueError> {
        let (mut pram, mut p) = r.build::<Portable>();
        let (mut vram, mut v) = r.build::<RustVmm>();
        let got = p.add_used(&mut pram, head, 4);
        assert_eq!(v.add_used(&mut vram, head, 4), got, "head {head}");
        assert_eq!(p.next_used(), v.next_used());
        got
    }
    let r = Ring::new(8);
    assert_eq!(both(&r, 7), Ok(()));
    assert_eq!(
        both(&r, 8),
        Err(QueueError::InvalidDescriptorIndex { index: 8, size: 8 })
    );
    let mut r = Ring::new(8);
    let ram = r.ram_size;
    r.layout.used_ring = ram - 4;
    assert_eq!(
        both(&r, 0),
        Err(QueueError::Memory(MemError::OutOfRange {
            addr: ram,
            len: 8,
            size: ram,
        }))
    );
}

/// With EVENT_IDX, needs_notification reads used_event; past the end of RAM that is the same
/// named memory error on both backends.
#[test]
fn an_unreadable_used_event_is_named_alike() {
    let mut r = Ring::new(8);
    r.event_idx = true;
    let ram = r.ram_size;
    // The avail ring's tail (used_event) is the last 2 bytes of RAM plus 2.
    r.layout.avail_ring = ram - 4 - 2 * 8;
    let (pram, mut p) = r.build::<Portable>();
    let (vram, mut v) = r.build::<RustVmm>();
    let want = Err(QueueError::Memory(MemError::OutOfRange {
        addr: ram,
        len: 2,
        size: ram,
    }));
    assert_eq!(p.needs_notification(&pram), want);
    assert_eq!(v.needs_notification(&vram), want);
}

fn driver(event_idx: bool) -> (SparseRam, DriverQueue) {
    let mut ram = SparseRam::new(1 << 20);
    let layout = QueueLayout::contiguous(0x1000, 8);
    let q = DriverQueue::new(&mut ram, layout, event_idx).unwrap();
    (ram, q)
}

fn publish_one(ram: &mut SparseRam, q: &mut DriverQueue) -> u16 {
    let seg = Segment {
        addr: BUF,
        len: 4,
        writable: false,
    };
    let head = q.add_buf(ram, &[seg], None).unwrap();
    q.publish(ram, head).unwrap();
    head
}

/// The device's side of a used element, written by hand.
fn device_uses(ram: &mut SparseRam, l: QueueLayout, slot: u16, id: u32, idx: u16) {
    let at = l.used_elem_addr(slot).unwrap();
    ram.write_u32(at, id).unwrap();
    ram.write_u32(at + 4, 4).unwrap();
    ram.write_u16(l.used_idx_addr().unwrap(), idx).unwrap();
}

/// Linux `virtqueue_get_buf_ctx_split`: `if (unlikely(i >= vq->split.vring.num))
/// BAD_RING(vq, "id %u out of range")`: an id equal to the size is out of range.
#[test]
fn a_used_id_equal_to_the_queue_size_is_refused() {
    let (mut ram, mut q) = driver(false);
    let head = publish_one(&mut ram, &mut q);
    let l = q.layout();
    device_uses(&mut ram, l, 0, u32::from(l.size), 1);
    assert_eq!(
        q.get_used(&mut ram),
        Err(QueueError::UnexpectedUsedId {
            id: u32::from(l.size)
        })
    );
    device_uses(&mut ram, l, 0, u32::from(head), 1);
    assert_eq!(q.get_used(&mut ram).unwrap().map(|u| u.id), Some(head));
}

/// Linux `virtqueue_enable_cb_prepare_split` without EVENT_IDX: clears NO_INTERRUPT in
/// avail.flags (the driver's shadow flag was set by disable_cb), still writes used_event, and
/// `virtqueue_poll` says whether a used buffer is already pending.
#[test]
fn enable_cb_without_event_idx_clears_no_interrupt() {
    let (mut ram, mut q) = driver(false);
    let l = q.layout();
    let flags = |ram: &SparseRam| ram.read_u16(l.avail_flags_addr()).unwrap();
    q.disable_cb(&mut ram).unwrap();
    assert_eq!(flags(&ram), VIRTQ_AVAIL_F_NO_INTERRUPT);
    assert!(q.enable_cb(&mut ram).unwrap(), "nothing pending");
    assert_eq!(flags(&ram), 0);
    assert_eq!(ram.read_u16(l.used_event_addr().unwrap()).unwrap(), 0);

    let head = publish_one(&mut ram, &mut q);
    q.disable_cb(&mut ram).unwrap();
    device_uses(&mut ram, l, 0, u32::from(head), 1);
    assert!(!q.enable_cb(&mut ram).unwrap(), "a used buffer is pending");
    assert_eq!(flags(&ram), 0);

    // With EVENT_IDX the flags are never touched: used_event does the job.
    let (mut ram, mut q) = driver(true);
    let l = q.layout();
    q.disable_cb(&mut ram).unwrap();
    assert_eq!(ram.read_u16(l.avail_flags_addr()).unwrap(), 0);
    ram.write_u16(l.avail_flags_addr(), 0xffff).unwrap();
    assert!(q.enable_cb(&mut ram).unwrap());
    assert_eq!(ram.read_u16(l.avail_flags_addr()).unwrap(), 0xffff);
}

/// The entry the unreadable-avail-entry path names is `next_avail % size`: with entry 0
/// readable and entry 1 past the end of RAM, the second pop is a memory error at entry 1.
#[test]
fn the_second_avail_entry_unreadable_is_named_by_its_own_address() {
    let mut r = Ring::new(8);
    let ram = r.ram_size;
    r.layout.avail_ring = ram - 6;
    r.desc(0, BUF, 4, 0, 0);
    r.write(ram - 2, &0u16.to_le_bytes());
    r.write(ram - 4, &2u16.to_le_bytes());
    fn two_pops<B: virtq::Backend>(r: &Ring) -> Vec<Result<Option<u16>, QueueError>> {
        let (ram, mut q) = r.build::<B>();
        (0..2)
            .map(|_| q.pop(&ram).map(|c| c.map(|c| c.head)))
            .collect()
    }
    let want = vec![
        Ok(Some(0)),
        Err(QueueError::Memory(MemError::OutOfRange {
            addr: ram,
            len: 2,
            size: ram,
        })),
    ];
    assert_eq!(two_pops::<Portable>(&r), want);
    assert_eq!(two_pops::<RustVmm>(&r), want);
}

/// The used element add_used names in a memory error is `next_used % size`: element 0
/// readable, element 1 past the end of RAM.
#[test]
fn the_second_used_element_unwritable_is_named_by_its_own_address() {
    let mut r = Ring::new(8);
    let ram = r.ram_size;
    r.layout.used_ring = ram - 4 - 8;
    fn two_adds<B: virtq::Backend>(r: &Ring) -> Vec<Result<(), QueueError>> {
        let (mut ram, mut q) = r.build::<B>();
        (0..2).map(|h| q.add_used(&mut ram, h, 4)).collect()
    }
    let want = vec![
        Ok(()),
        Err(QueueError::Memory(MemError::OutOfRange {
            addr: ram,
            len: 8,
            size: ram,
        })),
    ];
    assert_eq!(two_adds::<Portable>(&r), want);
    assert_eq!(two_adds::<RustVmm>(&r), want);
}

/// `RustVmmQueue::inner` is the configured rust-vmm queue itself (the benchmarks drive it
/// unwrapped), not a stand-in.
#[test]
fn inner_is_the_configured_rust_vmm_queue() {
    use virtio_queue::QueueT;
    let r = Ring::new(8);
    let (_, q) = r.build::<RustVmm>();
    assert!(q.inner().ready());
    assert_eq!(q.inner().size(), 8);
    assert_eq!(q.inner().desc_table(), r.layout.desc_table);
}
