//! The device side of a split virtqueue: what a VMM does with the guest's ring.

use crate::chain::walk_chain;
use crate::error::QueueError;
use crate::layout::{
    MAX_QUEUE_SIZE, QueueLayout, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY,
    vring_need_event,
};
use crate::memory::{GuestRam, SparseRam};

/// One descriptor of a popped chain, after indirect tables have been followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainDescriptor {
    /// Guest physical address of the buffer.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// Device-writable (VIRTQ_DESC_F_WRITE).
    pub writable: bool,
}

/// A descriptor chain popped from the avail ring.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DescriptorChain {
    /// Head index (the id to put in the used element).
    pub head: u16,
    /// The buffers, in chain order; readable ones first.
    pub descriptors: Vec<ChainDescriptor>,
    /// Whether the head was an indirect descriptor.
    pub indirect: bool,
}

impl DescriptorChain {
    /// The device-readable buffers.
    pub fn readable(&self) -> impl Iterator<Item = &ChainDescriptor> {
        self.descriptors.iter().filter(|d| !d.writable)
    }
    /// The device-writable buffers.
    pub fn writable(&self) -> impl Iterator<Item = &ChainDescriptor> {
        self.descriptors.iter().filter(|d| d.writable)
    }
}

/// The seam between device logic and a queue implementation. Device code is generic over this,
/// so the same handler runs on [`PortableQueue`] (every target) and on rust-vmm's
/// `virtio_queue::Queue` (native only).
pub trait DeviceQueue {
    /// The guest memory this queue reads.
    type Ram: GuestRam;

    /// The largest size the device offers for this queue.
    fn max_size(&self) -> u16;
    /// Applies the driver's layout (size and addresses) and EVENT_IDX negotiation, and marks the
    /// queue ready.
    fn configure(&mut self, layout: QueueLayout, event_idx: bool) -> Result<(), QueueError>;
    /// The layout applied by [`DeviceQueue::configure`], if any.
    fn layout(&self) -> Option<QueueLayout>;
    /// Whether the queue is ready.
    fn ready(&self) -> bool;
    /// Back to the unconfigured state (device reset).
    fn reset(&mut self);
    /// Pops the next available chain: `Ok(None)` when the ring is empty.
    fn pop(&mut self, ram: &Self::Ram) -> Result<Option<DescriptorChain>, QueueError>;
    /// Puts `{head, len}` in the used ring and publishes used.idx.
    fn add_used(&mut self, ram: &mut Self::Ram, head: u16, len: u32) -> Result<(), QueueError>;
    /// Whether the driver wants a used-buffer notification now (EVENT_IDX or NO_INTERRUPT).
    fn needs_notification(&mut self, ram: &Self::Ram) -> Result<bool, QueueError>;
    /// Asks for kicks again; returns true if more buffers arrived meanwhile.
    fn enable_notification(&mut self, ram: &mut Self::Ram) -> Result<bool, QueueError>;
    /// Asks the driver not to kick.
    fn disable_notification(&mut self, ram: &mut Self::Ram) -> Result<(), QueueError>;
    /// The device's next avail index.
    fn next_avail(&self) -> u16;
    /// The device's next used index.
    fn next_used(&self) -> u16;
    /// Pushes the last popped chain back (QEMU's `virtqueue_unpop` / rust-vmm `go_to_previous_position`).
    fn unpop(&mut self);
}

/// The portable device-side queue: QEMU's `VirtQueue` bookkeeping (last_avail_idx,
/// used_idx) with rust-vmm's `Queue` semantics, so the two backends agree step by step.
#[derive(Debug, Clone)]
pub struct PortableQueue {
    max_size: u16,
    layout: Option<QueueLayout>,
    event_idx: bool,
    next_avail: u16,
    next_used: u16,
    /// Used elements added since the last [`DeviceQueue::needs_notification`] (rust-vmm's
    /// `num_added`; QEMU keeps `signalled_used` instead, which is the same old index).
    num_added: u16,
}

impl PortableQueue {
    /// A queue the device offers with `max_size` entries.
    pub fn new(max_size: u16) -> Result<Self, QueueError> {
        if max_size == 0 || !max_size.is_power_of_two() || max_size > MAX_QUEUE_SIZE {
            return Err(QueueError::InvalidSize(max_size));
        }
        Ok(Self {
            max_size,
            layout: None,
            event_idx: false,
            next_avail: 0,
            next_used: 0,
            num_added: 0,
        })
    }

    fn ring(&self) -> Result<&QueueLayout, QueueError> {
        self.layout.as_ref().ok_or(QueueError::NotReady)
    }
}

impl DeviceQueue for PortableQueue {
    type Ram = SparseRam;

    fn max_size(&self) -> u16 {
        self.max_size
    }

    fn configure(&mut self, layout: QueueLayout, event_idx: bool) -> Result<(), QueueError> {
        layout.validate(self.max_size)?;
        self.layout = Some(layout);
        self.event_idx = event_idx;
        Ok(())
    }

    fn layout(&self) -> Option<QueueLayout> {
        self.layout
    }

    fn ready(&self) -> bool {
        self.layout.is_some()
    }

    fn reset(&mut self) {
        self.layout = None;
        self.event_idx = false;
        self.next_avail = 0;
        self.next_used = 0;
        self.num_added = 0;
    }

    fn pop(&mut self, ram: &SparseRam) -> Result<Option<DescriptorChain>, QueueError> {
        let l = *self.ring()?;
        // rust-vmm's `QueueOwnedT::iter` refuses an avail ring at 0 the same way.
        if l.avail_ring == 0 {
            return Err(QueueError::NotReady);
        }
        let avail_idx = ram.read_u16(l.avail_idx_addr()?)?;
        let ahead = avail_idx.wrapping_sub(self.next_avail);
        if ahead > l.size {
            return Err(QueueError::InvalidAvailRingIndex {
                avail_idx,
                next_avail: self.next_avail,
                ahead,
                size: l.size,
            });
        }
        if ahead == 0 {
            return Ok(None);
        }
        let head = ram.read_u16(l.avail_entry_addr(self.next_avail % l.size)?)?;
        // The entry is consumed even if its chain is broken (QEMU's `last_avail_idx++` in
        // `virtqueue_get_head`, rust-vmm's `AvailIter::next`).
        self.next_avail = self.next_avail.wrapping_add(1);
        let mut descriptors = Vec::with_capacity(1);
        let indirect = walk_chain(ram, &l, head, &mut descriptors)?;
        Ok(Some(DescriptorChain {
            head,
            descriptors,
            indirect,
        }))
    }

    fn add_used(&mut self, ram: &mut SparseRam, head: u16, len: u32) -> Result<(), QueueError> {
        let l = *self.ring()?;
        if head >= l.size {
            return Err(QueueError::InvalidDescriptorIndex {
                index: head,
                size: l.size,
            });
        }
        let mut elem = [0u8; 8];
        elem[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        elem[4..].copy_from_slice(&len.to_le_bytes());
        ram.write(l.used_elem_addr(self.next_used % l.size)?, &elem)?;
        self.next_used = self.next_used.wrapping_add(1);
        self.num_added = self.num_added.wrapping_add(1);
        ram.write_u16(l.used_idx_addr()?, self.next_used)?;
        Ok(())
    }

    fn needs_notification(&mut self, ram: &SparseRam) -> Result<bool, QueueError> {
        let l = *self.ring()?;
        if self.event_idx {
            let used_event = ram.read_u16(l.used_event_addr()?)?;
            let old = self.next_used.wrapping_sub(self.num_added);
            self.num_added = 0;
            return Ok(vring_need_event(used_event, self.next_used, old));
        }
        let flags = ram.read_u16(l.avail_flags_addr())?;
        Ok(flags & VIRTQ_AVAIL_F_NO_INTERRUPT == 0)
    }

    fn enable_notification(&mut self, ram: &mut SparseRam) -> Result<bool, QueueError> {
        let l = *self.ring()?;
        if self.event_idx {
            ram.write_u16(l.avail_event_addr()?, self.next_avail)?;
        } else {
            ram.write_u16(l.used_flags_addr(), 0)?;
        }
        let avail_idx = ram.read_u16(l.avail_idx_addr()?)?;
        Ok(avail_idx != self.next_avail)
    }

    fn disable_notification(&mut self, ram: &mut SparseRam) -> Result<(), QueueError> {
        let l = *self.ring()?;
        // With EVENT_IDX, avail_event already stops kicks once passed (QEMU and rust-vmm both
        // leave it alone here).
        if !self.event_idx {
            ram.write_u16(l.used_flags_addr(), VIRTQ_USED_F_NO_NOTIFY)?;
        }
        Ok(())
    }

    fn next_avail(&self) -> u16 {
        self.next_avail
    }

    fn next_used(&self) -> u16 {
        self.next_used
    }

    fn unpop(&mut self) {
        self.next_avail = self.next_avail.wrapping_sub(1);
    }
}
