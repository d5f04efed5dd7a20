//! The driver side of a split virtqueue: what the guest (Linux `drivers/virtio/virtio_ring.c`)
//! does. Each method is one ring operation, so the simulation can show them one at a time:
//! [`DriverQueue::add_buf`] writes descriptors (`virtqueue_add`), [`DriverQueue::publish`]
//! writes the avail entry and bumps avail.idx, [`DriverQueue::kick_needed`] decides the notify
//! (`virtqueue_kick_prepare`), [`DriverQueue::get_used`] collects (`virtqueue_get_buf`).

use crate::error::QueueError;
use crate::layout::{
    DESC_SIZE, Descriptor, MAX_QUEUE_SIZE, QueueLayout, VIRTQ_AVAIL_F_NO_INTERRUPT,
    VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY,
    vring_need_event,
};
use crate::memory::GuestRam;

/// One buffer segment the driver adds: guest address, length, device-writable or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// Guest physical address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// Device-writable (an in buffer).
    pub writable: bool,
}

/// A used element the driver collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UsedElem {
    /// The head index the device returned.
    pub id: u16,
    /// The length the device wrote.
    pub len: u32,
}

/// The guest's view of one queue: free list, shadow indices, event-idx negotiation (Linux
/// `struct vring_virtqueue`, split variant).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DriverQueue {
    layout: QueueLayout,
    event_idx: bool,
    free_head: u16,
    num_free: u16,
    /// Shadow of avail.idx (what the driver last published).
    avail_idx: u16,
    /// avail.idx at the last kick decision (for EVENT_IDX `vring_need_event`).
    kicked_avail_idx: u16,
    /// The next used index the driver will read (Linux `last_used_idx`).
    last_used: u16,
    /// Linux `avail_flags_shadow`: whether callbacks are disabled.
    cb_disabled: bool,
    /// Per head: how many descriptors its chain holds (0 = not in flight).
    in_flight: Vec<u16>,
    /// Private copy of each descriptor's `next` (Linux `desc_extra[i].next`): the free list
    /// and chains are followed here, never through memory the device could scribble on.
    next: Vec<u16>,
}

impl DriverQueue {
    /// Sets up a queue at `layout`: zeroes the three parts and chains every descriptor into the
    /// free list (Linux `vring_alloc_queue_split` + `virtqueue_init`).
    pub fn new(
        ram: &mut impl GuestRam,
        layout: QueueLayout,
        event_idx: bool,
    ) -> Result<Self, QueueError> {
        layout.validate(MAX_QUEUE_SIZE)?;
        let n = layout.size;
        let zero = vec![0u8; QueueLayout::desc_table_bytes(n) as usize];
        ram.write(layout.desc_table, &zero)?;
        ram.write(
            layout.avail_ring,
            &zero[..QueueLayout::avail_ring_bytes(n) as usize],
        )?;
        let used = vec![0u8; QueueLayout::used_ring_bytes(n) as usize];
        ram.write(layout.used_ring, &used)?;
        Ok(Self {
            layout,
            event_idx,
            free_head: 0,
            num_free: n,
            avail_idx: 0,
            kicked_avail_idx: 0,
            last_used: 0,
            cb_disabled: false,
            in_flight: vec![0; usize::from(n)],
            // Descriptor i links to i + 1; the last one's link wraps and is never followed.
            next: (0..n).map(|i| i.wrapping_add(1) % n).collect(),
        })
    }

    /// Writes the descriptors for one buffer (Linux `virtqueue_add_split`): a direct chain of
    /// `segs`, or, with `indirect_table`, the segments as a table at that address (which the
    /// caller reserved, `segs.len() * 16` bytes) and one INDIRECT descriptor in the ring.
    /// Returns the head. Does not publish: see [`DriverQueue::publish`].
    pub fn add_buf(
        &mut self,
        ram: &mut impl GuestRam,
        segs: &[Segment],
        indirect_table: Option<u64>,
    ) -> Result<u16, QueueError> {
        if segs.is_empty() {
            return Err(QueueError::NoSegments);
        }
        let needed = if indirect_table.is_some() {
            1
        } else {
            segs.len()
        };
        if needed > usize::from(self.num_free) {
            return Err(QueueError::NoFreeDescriptors {
                needed: u16::try_from(needed).unwrap_or(u16::MAX),
                free: self.num_free,
            });
        }
        let flags = |s: &Segment, last: bool| {
            (if s.writable { VIRTQ_DESC_F_WRITE } else { 0 })
                | (if last { 0 } else { VIRTQ_DESC_F_NEXT })
        };
        let head = self.free_head;
        if let Some(table) = indirect_table {
            let len = u32::try_from(segs.len() as u64 * DESC_SIZE)
                .map_err(|_| QueueError::InvalidIndirectLength { len: u32::MAX })?;
            let mut bytes = Vec::with_capacity(len as usize);
            for (i, s) in segs.iter().enumerate() {
                let last = i + 1 == segs.len();
                let next = if last { 0 } else { (i + 1) as u16 };
                let d = Descriptor {
                    addr: s.addr,
                    len: s.len,
                    flags: flags(s, last),
                    next,
                };
                bytes.extend_from_slice(&d.to_bytes());
            }
            ram.write(table, &bytes)?;
            let d = Descriptor {
                addr: table,
                len,
                flags: VIRTQ_DESC_F_INDIRECT,
                next: self.next[usize::from(head)],
            };
            ram.write(self.layout.desc_addr(head)?, &d.to_bytes())?;
            self.free_head = self.next[usize::from(head)];
        } else {
            let mut i = head;
            for (k, s) in segs.iter().enumerate() {
                let last = k + 1 == segs.len();
                let next = self.next[usize::from(i)];
                let d = Descriptor {
                    addr: s.addr,
                    len: s.len,
                    flags: flags(s, last),
                    next,
                };
                ram.write(self.layout.desc_addr(i)?, &d.to_bytes())?;
                i = next;
            }
            self.free_head = i;
        }
        let used = needed as u16;
        self.num_free -= used;
        self.in_flight[usize::from(head)] = used;
        Ok(head)
    }

    /// Makes `head` available: avail.ring\[a % N\] = head, then avail.idx a -> a+1 (Linux
    /// `virtqueue_add_split`'s tail). Returns (a, a+1).
    pub fn publish(
        &mut self,
        ram: &mut impl GuestRam,
        head: u16,
    ) -> Result<(u16, u16), QueueError> {
        let a = self.avail_idx;
        ram.write_u16(self.layout.avail_entry_addr(a % self.layout.size)?, head)?;
        self.avail_idx = a.wrapping_add(1);
        ram.write_u16(self.layout.avail_idx_addr()?, self.avail_idx)?;
        Ok((a, self.avail_idx))
    }

    /// Linux `virtqueue_kick_prepare_split`: whether the device wants a notify for what was
    /// published since the last decision (VIRTQ_USED_F_NO_NOTIFY, or with EVENT_IDX
    /// `vring_need_event(avail_event, new, old)`).
    pub fn kick_needed(&mut self, ram: &mut impl GuestRam) -> Result<bool, QueueError> {
        let (old, new) = (self.kicked_avail_idx, self.avail_idx);
        self.kicked_avail_idx = new;
        if self.event_idx {
            let avail_event = ram.read_u16(self.layout.avail_event_addr()?)?;
            Ok(vring_need_event(avail_event, new, old))
        } else {
            let flags = ram.read_u16(self.layout.used_flags_addr())?;
            Ok(flags & VIRTQ_USED_F_NO_NOTIFY == 0)
        }
    }

    /// Linux `virtqueue_get_buf_ctx_split`: reads used.ring\[last_used % N\], returns its chain
    /// to the free list and advances last_used. `Ok(None)` when used.idx == last_used.
    pub fn get_used(&mut self, ram: &mut impl GuestRam) -> Result<Option<UsedElem>, QueueError> {
        let used_idx = ram.read_u16(self.layout.used_idx_addr()?)?;
        if used_idx == self.last_used {
            return Ok(None);
        }
        let slot = self.last_used % self.layout.size;
        let addr = self.layout.used_elem_addr(slot)?;
        let (id, len) = (ram.read_u32(addr)?, ram.read_u32(addr.saturating_add(4))?);
        // Linux BAD_RING("id %u out of range") / ("id %u is not a head!").
        let head = u16::try_from(id)
            .ok()
            .filter(|&h| h < self.layout.size && self.in_flight[usize::from(h)] != 0)
            .ok_or(QueueError::UnexpectedUsedId { id })?;
        self.detach(head);
        self.last_used = self.last_used.wrapping_add(1);
        if self.event_idx && !self.cb_disabled {
            // Linux tells the device where to interrupt next: right after this entry.
            ram.write_u16(self.layout.used_event_addr()?, self.last_used)?;
        }
        Ok(Some(UsedElem { id: head, len }))
    }

    /// Linux `detach_buf_split`: the chain from `head` goes back to the front of the free list.
    fn detach(&mut self, head: u16) {
        let count = std::mem::take(&mut self.in_flight[usize::from(head)]);
        let mut last = head;
        for _ in 1..count {
            last = self.next[usize::from(last)];
        }
        self.next[usize::from(last)] = self.free_head;
        self.free_head = head;
        self.num_free += count;
    }

    /// Linux `virtqueue_disable_cb_split`: asks for no used-buffer interrupts
    /// (VIRTQ_AVAIL_F_NO_INTERRUPT, or with EVENT_IDX used_event = 0 as Linux writes).
    pub fn disable_cb(&mut self, ram: &mut impl GuestRam) -> Result<(), QueueError> {
        if !self.cb_disabled {
            self.cb_disabled = true;
            if self.event_idx {
                ram.write_u16(self.layout.used_event_addr()?, 0)?;
            } else {
                ram.write_u16(self.layout.avail_flags_addr(), VIRTQ_AVAIL_F_NO_INTERRUPT)?;
            }
        }
        Ok(())
    }

    /// Linux `virtqueue_enable_cb`: asks for interrupts again (clears NO_INTERRUPT, writes
    /// used_event = last_used) and returns what Linux returns: `true` if no used buffer is
    /// already pending, `false` if the caller should poll again.
    pub fn enable_cb(&mut self, ram: &mut impl GuestRam) -> Result<bool, QueueError> {
        if self.cb_disabled {
            self.cb_disabled = false;
            if !self.event_idx {
                ram.write_u16(self.layout.avail_flags_addr(), 0)?;
            }
        }
        ram.write_u16(self.layout.used_event_addr()?, self.last_used)?;
        let used_idx = ram.read_u16(self.layout.used_idx_addr()?)?;
        Ok(used_idx == self.last_used)
    }

    /// The queue's layout.
    pub fn layout(&self) -> QueueLayout {
        self.layout
    }
    /// Whether VIRTIO_F_EVENT_IDX was negotiated.
    pub fn event_idx(&self) -> bool {
        self.event_idx
    }
    /// The avail.idx the driver last published.
    pub fn avail_idx(&self) -> u16 {
        self.avail_idx
    }
    /// The next used index the driver will read.
    pub fn last_used(&self) -> u16 {
        self.last_used
    }
    /// Free descriptors.
    pub fn num_free(&self) -> u16 {
        self.num_free
    }
    /// Whether used-buffer interrupts are currently disabled by [`DriverQueue::disable_cb`].
    pub fn cb_disabled(&self) -> bool {
        self.cb_disabled
    }
    /// Heads of the chains added and not yet collected, in index order.
    pub fn heads_in_flight(&self) -> Vec<u16> {
        (0..self.layout.size)
            .filter(|&h| self.in_flight[usize::from(h)] != 0)
            .collect()
    }
    /// The descriptor indices of the chain at `head` (empty if `head` is not in flight). An
    /// indirect chain is its one ring descriptor.
    pub fn chain_of(&self, head: u16) -> Vec<u16> {
        let count = self.in_flight.get(usize::from(head)).copied().unwrap_or(0);
        let mut out = Vec::with_capacity(usize::from(count));
        let mut i = head;
        for _ in 0..count {
            out.push(i);
            i = self.next[usize::from(i)];
        }
        out
    }
}
