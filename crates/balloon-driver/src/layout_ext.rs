//! Raw ring writes that bypass `DriverQueue` (only the misbehaving guest uses them).

use virtq::layout::VIRTQ_DESC_F_NEXT;
use virtq::{Descriptor, GuestRam, QueueLayout};

use crate::error::Error;

/// avail.ring[slot % N] = head; avail.idx = idx.
pub(crate) fn raw_avail(
    ram: &mut impl GuestRam,
    l: &QueueLayout,
    slot: u16,
    head: u16,
    idx: u16,
) -> Result<(), Error> {
    ram.write_u16(l.avail_entry_addr(slot % l.size)?, head)?;
    ram.write_u16(l.avail_idx_addr()?, idx)?;
    Ok(())
}

/// Sets NEXT on descriptor `head` and points it at itself.
pub(crate) fn desc_next_loop(
    ram: &mut impl GuestRam,
    l: &QueueLayout,
    head: u16,
) -> Result<(), Error> {
    let addr = l.desc_addr(head)?;
    let mut b = [0u8; 16];
    ram.read(addr, &mut b)?;
    let mut d = Descriptor::from_bytes(&b);
    d.flags |= VIRTQ_DESC_F_NEXT;
    d.next = head;
    ram.write(addr, &d.to_bytes())?;
    Ok(())
}
