//! Walking one descriptor chain on the device side (direct, or through one indirect table).
//!
//! The walk follows rust-vmm's `DescriptorChain` iterator step for step (same time-to-live, same
//! table switch, same u32 length check), but where rust-vmm silently ends the chain this
//! returns the reason as a [`QueueError`], like QEMU's `virtqueue_split_pop` does with
//! `virtio_error`.

use crate::device::ChainDescriptor;
use crate::error::QueueError;
use crate::layout::{DESC_SIZE, Descriptor, QueueLayout};
use crate::memory::GuestRam;

/// Largest indirect table rust-vmm accepts (`switch_to_indirect_table`: `len / 16 <= u16::MAX`).
const MAX_INDIRECT_ENTRIES: u32 = u16::MAX as u32;

/// Reads descriptor `index` of the table at `table`.
pub(crate) fn read_desc<R: GuestRam + ?Sized>(
    ram: &R,
    table: u64,
    index: u16,
) -> Result<Descriptor, crate::error::MemError> {
    let addr = table.checked_add(DESC_SIZE * u64::from(index)).ok_or(
        crate::error::MemError::Overflow {
            addr: table,
            len: DESC_SIZE * u64::from(index),
        },
    )?;
    let mut b = [0u8; 16];
    ram.read(addr, &mut b)?;
    Ok(Descriptor::from_bytes(&b))
}

/// The checks a device makes on each buffer it would hand to its handler, in chain order. They
/// need no knowledge of how the chain was reached, so the rust-vmm backend applies them to the
/// descriptors rust-vmm yields.
pub(crate) fn check_buffer<R: GuestRam + ?Sized>(
    ram: &R,
    head: u16,
    position: u32,
    d: &ChainDescriptor,
    seen_write: bool,
) -> Result<(), QueueError> {
    if d.len == 0 {
        return Err(QueueError::ZeroLengthDescriptor { head, position });
    }
    ram.check_range(d.addr, u64::from(d.len))
        .map_err(QueueError::BadBuffer)?;
    if seen_write && !d.writable {
        return Err(QueueError::ReadableAfterWritable { head });
    }
    Ok(())
}

/// Walks the chain from `head`, appending its buffers to `out`. Returns whether the head
/// descriptor was an indirect one.
pub(crate) fn walk_chain<R: GuestRam + ?Sized>(
    ram: &R,
    layout: &QueueLayout,
    head: u16,
    out: &mut Vec<ChainDescriptor>,
) -> Result<bool, QueueError> {
    walk_chain_to(ram, layout, head, out, &mut None)
}

/// [`walk_chain`], also telling where it stopped: `next_after` is left at the `next` field of
/// the last buffer appended (`None` if none was), the same position rust-vmm's iterator reports
/// through `Descriptor::next`, so that the rust-vmm backend can compare the two walks' stops.
pub(crate) fn walk_chain_to<R: GuestRam + ?Sized>(
    ram: &R,
    layout: &QueueLayout,
    head: u16,
    out: &mut Vec<ChainDescriptor>,
    next_after: &mut Option<u16>,
) -> Result<bool, QueueError> {
    let mut index = head;
    let mut table = layout.desc_table;
    let mut table_size = layout.size;
    // Like rust-vmm's `ttl`: how many more NEXT links may be followed in this table.
    let mut ttl = layout.size;
    let mut in_table = false;
    let mut head_indirect = false;
    let mut total: u32 = 0;
    let mut seen_write = false;
    let mut position: u32 = 0;
    loop {
        if ttl == 0 {
            return Err(QueueError::ChainTooLong {
                head,
                limit: u32::from(table_size),
            });
        }
        if index >= table_size {
            if position == 0 && !in_table {
                return Err(QueueError::InvalidHead {
                    head,
                    size: table_size,
                });
            }
            return Err(QueueError::InvalidDescriptorIndex {
                index,
                size: table_size,
            });
        }
        let desc = read_desc(ram, table, index).map_err(|e| {
            if in_table {
                QueueError::BadBuffer(e)
            } else {
                QueueError::Memory(e)
            }
        })?;
        if desc.is_indirect() {
            if in_table {
                return Err(QueueError::NestedIndirect { head });
            }
            let entries = desc.len / DESC_SIZE as u32;
            if desc.len == 0 || desc.len % DESC_SIZE as u32 != 0 || entries > MAX_INDIRECT_ENTRIES {
                return Err(QueueError::InvalidIndirectLength { len: desc.len });
            }
            head_indirect = position == 0;
            // The indirect descriptor's own NEXT and WRITE flags are ignored, as in QEMU and
            // rust-vmm: the table replaces the rest of the chain.
            table = desc.addr;
            table_size = entries as u16;
            ttl = table_size;
            index = 0;
            in_table = true;
            continue;
        }
        total = total
            .checked_add(desc.len)
            .ok_or(QueueError::LengthOverflow { head })?;
        let d = ChainDescriptor {
            addr: desc.addr,
            len: desc.len,
            writable: desc.is_write(),
        };
        check_buffer(ram, head, position, &d, seen_write)?;
        seen_write |= d.writable;
        out.push(d);
        *next_after = Some(desc.next);
        position += 1;
        if !desc.has_next() {
            return Ok(head_indirect);
        }
        index = desc.next;
        ttl -= 1;
    }
}
