//! The driver side of a split virtqueue: what the guest (Linux `drivers/virtio/virtio_ring.c`)
//! does. Each method is one ring operation, so the simulation can show them one at a time:
//! [`DriverQueue::add_buf`] writes descriptors (`virtqueue_add`), [`DriverQueue::publish`]
//! writes the avail entry and bumps avail.idx, [`DriverQueue::kick_needed`] decides the notify
//! (`virtqueue_kick_prepare`), [`DriverQueue::get_used`] collects (`virtqueue_get_buf`).

use crate::error::QueueError;
use crate::layout::QueueLayout;
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

/// The guest's view of one queue: free list, shadow indices, event-idx negotiation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Per head: how many descriptors its chain holds (0 = not in flight).
    in_flight: Vec<u16>,
}
