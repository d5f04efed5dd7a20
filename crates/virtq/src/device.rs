//! The device side of a split virtqueue: what a VMM does with the guest's ring.

use crate::error::QueueError;
use crate::layout::QueueLayout;
use crate::memory::GuestRam;

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

/// The portable device-side queue.
#[derive(Debug, Clone)]
pub struct PortableQueue {
    max_size: u16,
    layout: Option<QueueLayout>,
    event_idx: bool,
    next_avail: u16,
    next_used: u16,
    signalled_used: Option<u16>,
}

impl PortableQueue {
    /// A queue the device offers with `max_size` entries.
    pub fn new(max_size: u16) -> Result<Self, QueueError> {
        if max_size == 0 || !max_size.is_power_of_two() || max_size > crate::layout::MAX_QUEUE_SIZE {
            return Err(QueueError::InvalidSize(max_size));
        }
        Ok(Self {
            max_size,
            layout: None,
            event_idx: false,
            next_avail: 0,
            next_used: 0,
            signalled_used: None,
        })
    }
}
