//! What the page, the embed, the CLI summary and the tests read: plain data computed from the
//! world's state, never the world itself.
//!
//! One name per field from the spec through every layer: the device side of a queue is
//! `next_avail` (QEMU `last_avail_idx`) and `used_idx` (used.idx as the device published it),
//! the driver side is `avail_idx` (avail.idx as the driver published it) and `last_used`
//! (Linux `last_used_idx`).
//!
//! The virtio vocabulary the views speak ([`features`], [`status`], [`PAGE_SIZE`], [`PfnRun`])
//! and the ring layout types ([`RingView`], [`DescView`], ...) are re-exported here, so that a
//! view's reader needs no other crate.

pub mod bytes;
pub mod host;
pub(crate) mod init;
mod payload;

use serde::Serialize;

pub use self::host::{HostPart, HostSegment, HostView, VmCardView};
pub use self::init::{InitStageView, StageState};
pub use self::payload::{Payload, decode_payload};
use crate::command::QueueName;
pub use balloon_spec::runs::PfnRun;
pub use balloon_spec::{PAGE_SIZE, features, status};
pub use virtq::layout::{VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};
pub use virtq::{
    AvailView, DescState, DescView, Descriptor, QueueLayout, QueueView as RingView, UsedEntry,
    UsedView,
};

/// Most PFNs one inflate or deflate buffer carries (Linux `VIRTIO_BALLOON_ARRAY_PFNS_MAX`).
pub const ARRAY_PFNS_MAX: usize = 256;

/// The balloon's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalloonView {
    /// Guest RAM in bytes (`-m`).
    pub ram_size: u64,
    /// Target balloon size in pages (config `num_pages`).
    pub num_pages: u32,
    /// Balloon size the guest reported, in pages (config `actual`).
    pub actual: u32,
    /// The operator's target guest size in bytes (`ram_size - num_pages * PAGE_SIZE`).
    pub target_bytes: u64,
    /// What `query-balloon` says: `ram_size - actual * PAGE_SIZE`.
    pub logical_bytes: i64,
    /// Balloon pages the host discarded (inflate, reporting).
    pub discarded_frames: u64,
    /// Host resident size of the guest's RAM in bytes: the frames the guest has written and no
    /// discard has dropped since (anonymous memory is resident only after its first write).
    pub host_resident_bytes: u64,
    /// The VMM process's own resident memory besides guest RAM.
    pub vmm_overhead_bytes: u64,
    /// What discards (the balloon, free page reporting) took back from the host's resident
    /// memory and the guest has not written again: never more than what had been resident.
    pub saved_bytes: u64,
    /// Pages the guest holds in its balloon (acked).
    pub guest_ballooned_pages: u64,
    /// The device status byte.
    pub status: u8,
    /// Whether the device is broken (`virtio_error`).
    pub broken: bool,
    /// Virtual time in ns.
    pub now_ns: u64,
}

impl BalloonView {
    /// Guest RAM in balloon pages.
    pub fn ram_pages(&self) -> u64 {
        self.ram_size / PAGE_SIZE
    }
}

/// The balloon's config space as the device holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigView {
    /// `num_pages`.
    pub num_pages: u32,
    /// `actual`.
    pub actual: u32,
    /// `free_page_hint_cmd_id`.
    pub free_page_hint_cmd_id: u32,
    /// `poison_val`.
    pub poison_val: u32,
    /// Config size in bytes (QEMU 8, 12 or 16; Cloud Hypervisor 8, Firecracker 12, crosvm 20).
    pub size: usize,
    /// The `size` bytes a config read returns, little-endian (crosvm's `ws_num_bins` and
    /// reserved bytes past the 16 standard ones).
    pub image: Vec<u8>,
    /// Device features offered.
    pub device_features: u64,
    /// Features the driver accepted.
    pub driver_features: u64,
    /// Status byte.
    pub status: u8,
}

impl ConfigView {
    /// crosvm's `ws_num_bins`, the byte after the 16 standard ones, when the config has it.
    pub fn ws_num_bins(&self) -> Option<u8> {
        self.image
            .get(balloon_device::config::WS_NUM_BINS as usize)
            .copied()
    }
}

/// The driver's half of a queue's indices, once the driver set the queue up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DriverIndices {
    /// avail.idx as the driver published it.
    pub avail_idx: u16,
    /// The driver's next used index (Linux `last_used_idx`).
    pub last_used: u16,
}

/// One virtqueue as both sides see it: the device's private indices, the driver's, the ring
/// in guest memory and what each buffer in flight holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// Linux name.
    pub name: QueueName,
    /// Transport index.
    pub index: u16,
    /// Maximum size offered.
    pub max_size: u16,
    /// Configured and enabled.
    pub ready: bool,
    /// The device's next_avail (QEMU `last_avail_idx`).
    pub next_avail: u16,
    /// used.idx as the device last published it.
    pub used_idx: u16,
    /// A kick is pending.
    pub kicked: bool,
    /// The handler is mid-way.
    pub busy: bool,
    /// The driver's indices, once it set the queue up.
    pub driver: Option<DriverIndices>,
    /// Kicks and interrupts so far.
    pub counts: QueueCounts,
    /// The ring read from guest memory, once the driver set it up (and while it reads).
    #[serde(skip)]
    pub ring: Option<RingView>,
    /// What the buffer of each descriptor that is not free holds, by descriptor index.
    #[serde(skip)]
    pub payloads: Vec<(u16, Payload)>,
}

impl QueueView {
    /// Buffers made available that the device has not popped yet (avail.idx − next_avail).
    pub fn waiting_for_device(&self) -> Option<u16> {
        self.driver
            .map(|d| d.avail_idx.wrapping_sub(self.next_avail))
    }

    /// Buffers the device popped and has not returned (next_avail − used.idx): the stats
    /// buffer QEMU holds between polls, or one a broken device will never return.
    pub fn held_by_device(&self) -> u16 {
        self.next_avail.wrapping_sub(self.used_idx)
    }

    /// Buffers the device returned that the driver has not collected (used.idx − last_used).
    pub fn waiting_for_driver(&self) -> Option<u16> {
        self.driver.map(|d| self.used_idx.wrapping_sub(d.last_used))
    }
}

/// How often a queue was notified each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    /// Kicks (driver to device notifications) the device accepted.
    pub kicks: u64,
    /// Used-buffer interrupts (device to driver notifications) the device raised.
    pub interrupts: u64,
}

/// One cell of the guest memory map: how many pages of a slice of guest RAM are in each state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryCell {
    /// First PFN of the cell.
    pub first_pfn: u64,
    /// Pages in the cell.
    pub pages: u64,
    /// Pages per state, in `balloon_driver::PageState::ALL` order (free, used, cache,
    /// ballooned, reported, hinted, inflating, reporting).
    pub states: [u64; 8],
    /// Frames the host discarded in the cell.
    pub discarded: u64,
}
