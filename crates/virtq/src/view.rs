//! Read-only views of a queue for the UI: every field as the guest's memory holds it, plus the
//! private indices of each side (the device's next_avail, the driver's last_used).

use serde::Serialize;

use crate::driver::DriverQueue;
use crate::error::QueueError;
use crate::layout::{Descriptor, QueueLayout};
use crate::memory::GuestRam;

/// Who holds a descriptor right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DescState {
    /// On the driver's free list.
    Free,
    /// Part of a chain the driver added and the device has not returned yet.
    InFlight,
    /// Part of a chain the device put in the used ring that the driver has not collected.
    Used,
}

/// One descriptor as guest memory holds it, and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DescView {
    /// Index in the descriptor table.
    pub index: u16,
    /// The fields read from guest memory.
    pub desc: Descriptor,
    /// Free, in flight or used.
    pub state: DescState,
    /// The head of the chain it belongs to, when not free.
    pub head: Option<u16>,
}

/// The avail ring (driver-written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailView {
    /// avail.flags (VIRTQ_AVAIL_F_NO_INTERRUPT).
    pub flags: u16,
    /// avail.idx.
    pub idx: u16,
    /// avail.ring\[0..N\]: descriptor heads.
    pub ring: Vec<u16>,
    /// avail.used_event (meaningful with EVENT_IDX).
    pub used_event: u16,
}

/// One used ring element as written by the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsedEntry {
    /// The head id (le32 on the wire).
    pub id: u32,
    /// Bytes the device wrote.
    pub len: u32,
}

/// The used ring (device-written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsedView {
    /// used.flags (VIRTQ_USED_F_NO_NOTIFY).
    pub flags: u16,
    /// used.idx.
    pub idx: u16,
    /// used.ring\[0..N\].
    pub ring: Vec<UsedEntry>,
    /// used.avail_event (meaningful with EVENT_IDX).
    pub avail_event: u16,
}

/// Everything the UI shows about one queue, read from guest memory plus each side's private
/// indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// Where the parts live.
    pub layout: QueueLayout,
    /// VIRTIO_F_EVENT_IDX negotiated.
    pub event_idx: bool,
    /// Every descriptor.
    pub descriptors: Vec<DescView>,
    /// The avail ring.
    pub avail: AvailView,
    /// The used ring.
    pub used: UsedView,
    /// The device's next avail index (QEMU `last_avail_idx`).
    pub next_avail: u16,
    /// The driver's next used index (Linux `last_used_idx`).
    pub last_used: u16,
    /// Published chains the device has not popped: avail.idx - next_avail.
    pub pending_avail: u16,
    /// Used elements the driver has not collected: used.idx - last_used.
    pub pending_used: u16,
    /// Free descriptors (driver's count).
    pub num_free: u16,
}

impl QueueView {
    /// Reads the queue of `driver` from `ram`; `next_avail` is the device's index.
    pub fn new(
        driver: &DriverQueue,
        next_avail: u16,
        ram: &impl GuestRam,
    ) -> Result<Self, QueueError> {
        let l = driver.layout();
        let n = l.size;
        let avail = AvailView {
            flags: ram.read_u16(l.avail_flags_addr())?,
            idx: ram.read_u16(l.avail_idx_addr()?)?,
            ring: (0..n)
                .map(|i| ram.read_u16(l.avail_entry_addr(i)?))
                .collect::<Result<_, _>>()?,
            used_event: ram.read_u16(l.used_event_addr()?)?,
        };
        let used = UsedView {
            flags: ram.read_u16(l.used_flags_addr())?,
            idx: ram.read_u16(l.used_idx_addr()?)?,
            ring: (0..n)
                .map(|i| {
                    let a = l.used_elem_addr(i)?;
                    Ok(UsedEntry {
                        id: ram.read_u32(a)?,
                        len: ram.read_u32(a + 4)?,
                    })
                })
                .collect::<Result<_, crate::error::MemError>>()?,
            avail_event: ram.read_u16(l.avail_event_addr()?)?,
        };
        let mut owner: Vec<Option<(u16, DescState)>> = vec![None; usize::from(n)];
        for head in driver.heads_in_flight() {
            for i in driver.chain_of(head) {
                owner[usize::from(i)] = Some((head, DescState::InFlight));
            }
        }
        let pending_used = used.idx.wrapping_sub(driver.last_used());
        // A device that moved used.idx more than N ahead is malformed; show one lap at most.
        for k in 0..pending_used.min(n) {
            let slot = driver.last_used().wrapping_add(k) % n;
            let id = used.ring[usize::from(slot)].id;
            let Ok(head) = u16::try_from(id) else {
                continue;
            };
            for i in driver.chain_of(head) {
                owner[usize::from(i)] = Some((head, DescState::Used));
            }
        }
        let descriptors = (0..n)
            .map(|i| {
                let mut b = [0u8; 16];
                ram.read(l.desc_addr(i)?, &mut b)?;
                let o = owner[usize::from(i)];
                Ok(DescView {
                    index: i,
                    desc: Descriptor::from_bytes(&b),
                    state: o.map_or(DescState::Free, |o| o.1),
                    head: o.map(|o| o.0),
                })
            })
            .collect::<Result<_, crate::error::MemError>>()?;
        Ok(Self {
            layout: l,
            event_idx: driver.event_idx(),
            descriptors,
            pending_avail: avail.idx.wrapping_sub(next_avail),
            avail,
            used,
            next_avail,
            last_used: driver.last_used(),
            pending_used,
            num_free: driver.num_free(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{DeviceQueue, PortableQueue};
    use crate::driver::Segment;
    use crate::memory::SparseRam;

    #[test]
    fn shows_free_in_flight_and_used_descriptors() {
        let mut ram = SparseRam::new(1 << 20);
        let l = QueueLayout::contiguous(0x1000, 4);
        let mut drv = DriverQueue::new(&mut ram, l, true).unwrap();
        let mut dev = PortableQueue::new(4).unwrap();
        dev.configure(l, true).unwrap();
        let seg = |addr| Segment {
            addr,
            len: 8,
            writable: false,
        };
        let a = drv
            .add_buf(&mut ram, &[seg(0x8000), seg(0x8100)], None)
            .unwrap();
        drv.publish(&mut ram, a).unwrap();
        let b = drv.add_buf(&mut ram, &[seg(0x9000)], None).unwrap();
        drv.publish(&mut ram, b).unwrap();
        let c = dev.pop(&ram).unwrap().unwrap();
        dev.add_used(&mut ram, c.head, 0).unwrap();
        let v = QueueView::new(&drv, dev.next_avail(), &ram).unwrap();
        let states: Vec<_> = v.descriptors.iter().map(|d| d.state).collect();
        assert_eq!(
            states,
            [
                DescState::Used,
                DescState::Used,
                DescState::InFlight,
                DescState::Free
            ]
        );
        assert_eq!(v.descriptors[1].desc.addr, 0x8100);
        assert_eq!(v.descriptors[1].head, Some(0));
        assert_eq!(
            (v.avail.idx, v.avail.ring[1], v.next_avail, v.pending_avail),
            (2, 2, 1, 1)
        );
        assert_eq!(
            (v.used.idx, v.used.ring[0], v.pending_used),
            (1, UsedEntry { id: 0, len: 0 }, 1)
        );
        assert_eq!(v.num_free, 1);
        drv.get_used(&mut ram).unwrap().unwrap();
        let v = QueueView::new(&drv, dev.next_avail(), &ram).unwrap();
        assert_eq!(v.descriptors[0].state, DescState::Free);
        assert_eq!((v.last_used, v.avail.used_event), (1, 1));
        assert_eq!(v.used.avail_event, 0);
    }
}
