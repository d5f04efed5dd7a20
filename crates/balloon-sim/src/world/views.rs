//! Plain-data views of the world for the UI, the CLI summary and tests.

#[cfg(doc)]
use balloon_driver::PageState;
use serde::Serialize;
use virtq::{Backend, GuestRam};

use super::{World, queue_name};
use crate::command::QueueName;

/// The balloon's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalloonView {
    /// Guest RAM in bytes.
    pub ram_size: u64,
    /// Target balloon size in pages (config `num_pages`).
    pub num_pages: u32,
    /// Balloon size the guest reported, in pages (config `actual`).
    pub actual: u32,
    /// The operator's target guest size in bytes (`ram_size - num_pages * 4096`).
    pub target_bytes: u64,
    /// What `query-balloon` says: `ram_size - actual * 4096`.
    pub logical_bytes: i64,
    /// 4 KiB frames the host discarded (inflate, reporting).
    pub discarded_frames: u64,
    /// Host resident size of the guest's RAM in bytes.
    pub host_resident_bytes: u64,
    /// Pages the guest holds in its balloon (acked).
    pub guest_ballooned_pages: u64,
    /// The device status byte.
    pub status: u8,
    /// Whether the device is broken (`virtio_error`).
    pub broken: bool,
    /// Virtual time in ns.
    pub now_ns: u64,
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
    /// Config size in bytes (8, 12 or 16).
    pub size: usize,
    /// Device features offered.
    pub device_features: u64,
    /// Features the driver accepted.
    pub driver_features: u64,
    /// Status byte.
    pub status: u8,
}

/// One virtqueue: the device's private indices and the shared ones read from guest memory.
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
    /// The device's next_avail.
    pub next_avail: u16,
    /// used.idx as the device last published it.
    pub used_idx: u16,
    /// A kick is pending.
    pub kicked: bool,
    /// The handler is mid-way.
    pub busy: bool,
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
    /// Pages per state, in [`balloon_driver::PageState::ALL`] order (free, used, cache, ballooned, reported,
    /// hinted, inflating, reporting).
    pub states: [u64; 8],
    /// Frames the host discarded in the cell.
    pub discarded: u64,
}

pub(super) fn balloon_view<B: Backend>(w: &World<B>) -> BalloonView {
    let c = w.device.config();
    let ram = w.machine.ram_size;
    BalloonView {
        ram_size: ram,
        num_pages: c.num_pages,
        actual: c.actual,
        target_bytes: ram.saturating_sub(u64::from(c.num_pages) << 12),
        logical_bytes: ram.wrapping_sub(u64::from(c.actual) << 12) as i64,
        discarded_frames: w.device.memory().discarded_frames(),
        host_resident_bytes: w.device.memory().resident_bytes(),
        guest_ballooned_pages: w.guest.ballooned_pages(),
        status: w.device.status(),
        broken: w.device.is_broken(),
        now_ns: w.now_ns,
    }
}

impl<B: Backend> World<B> {
    /// The config space.
    pub fn config_view(&self) -> ConfigView {
        let c = self.device.config();
        ConfigView {
            num_pages: c.num_pages,
            actual: c.actual,
            free_page_hint_cmd_id: c.free_page_hint_cmd_id,
            poison_val: c.poison_val,
            size: self.device.config_size(),
            device_features: self.device.device_features(),
            driver_features: self.device.driver_features(),
            status: self.device.status(),
        }
    }

    /// Every queue the device created.
    pub fn queue_views(&self) -> Vec<QueueView> {
        (0..self.device.num_queues())
            .filter_map(|i| self.device.queue_info(i))
            .map(|q| QueueView {
                name: queue_name(q.queue.kind),
                index: q.queue.index,
                max_size: q.max_size,
                ready: q.ready,
                next_avail: q.next_avail,
                used_idx: q.next_used,
                kicked: q.kicked,
                busy: q.busy,
            })
            .collect()
    }

    /// The guest memory map in `cells` cells (at most 4096); the cost depends on the number of
    /// cells, not on the guest's size.
    pub fn memory_map(&self, cells: usize) -> Vec<MemoryCell> {
        let total = self.machine.ram_size / 4096;
        let cells = (cells.clamp(1, 4096) as u64).min(total.max(1));
        let per = total.div_ceil(cells);
        let map = self.guest.mm().map();
        let mut out = Vec::with_capacity(cells as usize);
        let mut first = 0;
        while first < total {
            let pages = per.min(total - first);
            // One pass for the eight states, whole chunks from their counters.
            let states = map.histogram(first, pages).unwrap_or([0; 8]);
            let discarded = self.device.memory().discarded_in(first, pages);
            out.push(MemoryCell {
                first_pfn: first,
                pages,
                states,
                discarded,
            });
            first += pages;
        }
        out
    }

    /// Bytes of guest RAM the protocol touched (backed frames), through the RAM trait.
    pub fn ram_size(&self) -> u64 {
        self.ram.size()
    }
}
