//! Every malformed-ring case of the issue, on both backends: a typed error, the same on each,
//! never a panic or a hang, and the same next_avail afterwards.
#![cfg(not(target_arch = "wasm32"))] // rust-vmm, the reference, is native only

mod common;

use common::Ring;
use virtq::layout::{
    VIRTQ_DESC_F_INDIRECT as IND, VIRTQ_DESC_F_NEXT as NEXT, VIRTQ_DESC_F_WRITE as W,
};
use virtq::{MemError, Portable, QueueError, RustVmm};

const BUF: u64 = 0x8000;
const TABLE: u64 = 0x7000;

fn expect_err(ring: &Ring, want: QueueError, next_avail: u16) {
    assert_eq!(ring.pop_both(), Err(want.clone()));
    assert_eq!(ring.pop::<Portable>().1, next_avail);
    assert_eq!(ring.pop::<RustVmm>().1, next_avail);
    assert!(!want.to_string().is_empty());
}

#[test]
fn avail_idx_more_than_n_ahead() {
    let mut r = Ring::new(8);
    r.desc(0, BUF, 4, 0, 0).avail(&[0], 9);
    let want = QueueError::InvalidAvailRingIndex {
        avail_idx: 9,
        next_avail: 0,
        ahead: 9,
        size: 8,
    };
    // Not consumed: the ring state is unchanged, as rust-vmm leaves it.
    expect_err(&r, want, 0);
}

#[test]
fn avail_idx_exactly_n_ahead_is_fine() {
    let mut r = Ring::new(8);
    for i in 0..8 {
        r.desc(i, BUF, 4, 0, 0);
    }
    r.avail(&[0, 1, 2, 3, 4, 5, 6, 7], 8);
    assert_eq!(r.pop_both().unwrap().unwrap().head, 0);
}

#[test]
fn head_at_or_past_queue_size() {
    let mut r = Ring::new(8);
    r.avail(&[8], 1);
    let want = QueueError::InvalidHead { head: 8, size: 8 };
    assert_eq!(
        want.qemu_message().unwrap(),
        "Guest says index 8 is available"
    );
    expect_err(&r, want, 1);
}

#[test]
fn next_at_or_past_queue_size() {
    let mut r = Ring::new(8);
    r.desc(0, BUF, 4, NEXT, 200).avail(&[0], 1);
    expect_err(
        &r,
        QueueError::InvalidDescriptorIndex {
            index: 200,
            size: 8,
        },
        1,
    );
}

#[test]
fn chain_loop() {
    let mut r = Ring::new(8);
    r.desc(0, BUF, 4, NEXT, 1)
        .desc(1, BUF, 4, NEXT, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::ChainTooLong { head: 0, limit: 8 }, 1);
}

#[test]
fn chain_of_n_is_fine_and_longer_is_not() {
    let mut r = Ring::new(8);
    for i in 0..8 {
        r.desc(i, BUF, 4, if i < 7 { NEXT } else { 0 }, i + 1);
    }
    r.avail(&[0], 1);
    assert_eq!(r.pop_both().unwrap().unwrap().descriptors.len(), 8);
    // Descriptor 7 now links back to 0: every descriptor once, then a ninth.
    r.desc(7, BUF, 4, NEXT, 0);
    expect_err(&r, QueueError::ChainTooLong { head: 0, limit: 8 }, 1);
}

#[test]
fn loop_inside_indirect_table() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 32, IND, 0)
        .table_desc(TABLE, BUF, 4, NEXT, 1)
        .table_desc(TABLE + 16, BUF, 4, NEXT, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::ChainTooLong { head: 0, limit: 2 }, 1);
}

#[test]
fn nested_indirect_table() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 16, IND, 0)
        .table_desc(TABLE, TABLE + 0x100, 16, IND, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::NestedIndirect { head: 0 }, 1);
}

#[test]
fn indirect_length_not_a_multiple_of_16() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 24, IND, 0)
        .table_desc(TABLE, BUF, 4, 0, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::InvalidIndirectLength { len: 24 }, 1);
}

#[test]
fn indirect_length_zero() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 0, IND, 0).avail(&[0], 1);
    expect_err(&r, QueueError::InvalidIndirectLength { len: 0 }, 1);
}

#[test]
fn indirect_table_with_more_than_65535_entries() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 16 * 65536, IND, 0).avail(&[0], 1);
    r.ram_size = 4 << 20;
    expect_err(&r, QueueError::InvalidIndirectLength { len: 16 * 65536 }, 1);
}

#[test]
fn indirect_table_past_end_of_memory() {
    let mut r = Ring::new(8);
    r.desc(0, (1 << 20) - 8, 16, IND, 0).avail(&[0], 1);
    let e = MemError::OutOfRange {
        addr: (1 << 20) - 8,
        len: 16,
        size: 1 << 20,
    };
    expect_err(&r, QueueError::BadBuffer(e), 1);
}

#[test]
fn zero_length_descriptor() {
    let mut r = Ring::new(8);
    r.desc(0, BUF, 4, NEXT, 1)
        .desc(1, BUF, 0, W, 0)
        .avail(&[0], 1);
    expect_err(
        &r,
        QueueError::ZeroLengthDescriptor {
            head: 0,
            position: 1,
        },
        1,
    );
}

#[test]
fn buffer_past_end_of_memory() {
    let mut r = Ring::new(8);
    r.desc(3, (1 << 20) - 2, 4, 0, 0).avail(&[3], 1);
    let e = MemError::OutOfRange {
        addr: (1 << 20) - 2,
        len: 4,
        size: 1 << 20,
    };
    expect_err(&r, QueueError::BadBuffer(e), 1);
}

#[test]
fn buffer_address_overflows_u64() {
    let mut r = Ring::new(8);
    r.desc(0, u64::MAX - 1, 4, 0, 0).avail(&[0], 1);
    expect_err(
        &r,
        QueueError::BadBuffer(MemError::Overflow {
            addr: u64::MAX - 1,
            len: 4,
        }),
        1,
    );
}

#[test]
fn total_length_overflows_u32() {
    let mut r = Ring::new(8);
    r.ram_size = 8 << 30;
    r.desc(0, 0x1_0000_0000, u32::MAX, NEXT, 1)
        .desc(1, BUF, 1, 0, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::LengthOverflow { head: 0 }, 1);
}

#[test]
fn readable_after_writable() {
    let mut r = Ring::new(8);
    r.desc(0, BUF, 4, NEXT | W, 1)
        .desc(1, BUF, 4, 0, 0)
        .avail(&[0], 1);
    expect_err(&r, QueueError::ReadableAfterWritable { head: 0 }, 1);
}

#[test]
fn avail_ring_past_end_of_memory() {
    let mut r = Ring::new(8);
    r.layout.avail_ring = (1 << 20) - 2;
    let e = MemError::OutOfRange {
        addr: r.layout.avail_ring + 2,
        len: 2,
        size: 1 << 20,
    };
    expect_err(&r, QueueError::Memory(e), 0);
}

#[test]
fn descriptor_table_past_end_of_memory() {
    let mut r = Ring::new(8);
    r.avail(&[5], 1);
    r.layout.desc_table = (1 << 20) - 64;
    let e = MemError::OutOfRange {
        addr: (1 << 20) + 16,
        len: 16,
        size: 1 << 20,
    };
    expect_err(&r, QueueError::Memory(e), 1);
}

#[test]
fn indirect_next_and_write_flags_are_ignored() {
    let mut r = Ring::new(8);
    r.desc(0, TABLE, 32, IND | NEXT | W, 5)
        .table_desc(TABLE, BUF, 4, NEXT, 1)
        .table_desc(TABLE + 16, BUF + 4, 8, W, 0)
        .avail(&[0], 1);
    let c = r.pop_both().unwrap().unwrap();
    assert!(c.indirect);
    assert_eq!(c.descriptors.len(), 2);
    assert!(c.descriptors[1].writable);
}

#[test]
fn empty_ring_is_not_an_error() {
    let r = Ring::new(8);
    assert_eq!(r.pop_both(), Ok(None));
}
