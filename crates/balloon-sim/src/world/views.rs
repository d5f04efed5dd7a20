//! The world's state as the plain-data views of [`crate::view`].

use balloon_spec::PAGE_SIZE;
use virtq::{Backend, DescState};

use super::{World, queue_name};
use crate::command::QueueName;
use crate::view::{
    BalloonView, ConfigView, DriverIndices, InitStageView, MemoryCell, QueueCounts, QueueView,
    RingView, decode_payload,
};

impl<B: Backend> World<B> {
    /// The balloon's numbers.
    pub fn balloon_view(&self) -> BalloonView {
        let c = self.device.config();
        let ram = self.machine.ram_size;
        BalloonView {
            ram_size: ram,
            num_pages: c.num_pages,
            actual: c.actual,
            target_bytes: ram.saturating_sub(u64::from(c.num_pages) * PAGE_SIZE),
            logical_bytes: ram.wrapping_sub(u64::from(c.actual) * PAGE_SIZE) as i64,
            discarded_frames: self.device.memory().discarded_frames(),
            host_resident_bytes: self.device.memory().resident_bytes(),
            vmm_overhead_bytes: self.device.profile().process_overhead_bytes,
            saved_bytes: self.device.memory().saved_bytes(),
            guest_ballooned_pages: self.guest.ballooned_pages(),
            status: self.device.status(),
            broken: self.device.is_broken(),
            now_ns: self.now_ns,
        }
    }

    /// The config space.
    pub fn config_view(&self) -> ConfigView {
        let c = self.device.config();
        ConfigView {
            num_pages: c.num_pages,
            actual: c.actual,
            free_page_hint_cmd_id: c.free_page_hint_cmd_id,
            poison_val: c.poison_val,
            size: self.device.config_size(),
            image: self.device.config_image(),
            device_features: self.device.device_features(),
            driver_features: self.device.driver_features(),
            status: self.device.status(),
        }
    }

    /// Every queue the device created, in transport order, with both sides' indices, the ring
    /// read from guest memory and the payload of every descriptor in flight. O(ring sizes).
    pub fn queue_views(&self) -> Vec<QueueView> {
        (0..self.device.num_queues())
            .filter_map(|i| self.device.queue_info(i))
            .map(|q| {
                let name = queue_name(q.queue.kind);
                let driver_q = self
                    .guest
                    .driver()
                    .vqs()
                    .iter()
                    .find(|vq| vq.index == q.queue.index)
                    .map(|vq| &vq.queue);
                let ring = driver_q.and_then(|dq| RingView::new(dq, q.next_avail, &self.ram).ok());
                let payloads = ring
                    .as_ref()
                    .map(|r| {
                        r.descriptors
                            .iter()
                            .filter(|d| d.state != DescState::Free)
                            .map(|d| {
                                let p = decode_payload(name, d.desc.addr, d.desc.len, &self.ram);
                                (d.index, p)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                QueueView {
                    name,
                    index: q.queue.index,
                    max_size: q.max_size,
                    ready: q.ready,
                    next_avail: q.next_avail,
                    used_idx: q.used_idx,
                    kicked: q.kicked,
                    busy: q.busy,
                    driver: driver_q.map(|dq| DriverIndices {
                        avail_idx: dq.avail_idx(),
                        last_used: dq.last_used(),
                    }),
                    counts: self.queue_counts(name),
                    ring,
                    payloads,
                }
            })
            .collect()
    }

    /// Kicks the device accepted and used-buffer interrupts it raised on `queue` so far.
    pub fn queue_counts(&self, queue: QueueName) -> QueueCounts {
        QueueName::ALL
            .iter()
            .position(|n| *n == queue)
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// The init flow from type registration to DRIVER_OK.
    pub fn init_flow(&self) -> Vec<InitStageView> {
        crate::view::init::init_flow(self.device.init_stage(), self.device.status())
    }

    /// The guest memory map in `cells` cells (at most 4096); the cost depends on the number of
    /// cells, not on the guest's size.
    pub fn memory_map(&self, cells: usize) -> Vec<MemoryCell> {
        let total = self.machine.ram_size / PAGE_SIZE;
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
}
