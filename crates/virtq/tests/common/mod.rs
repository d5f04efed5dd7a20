//! A raw ring writer shared by the integration tests: the same byte writes are applied to both
//! backends' memories, and the device side is run on each.
#![allow(dead_code)]

use virtq::{
    Backend, DescriptorChain, DeviceQueue, GuestRam, Portable, QueueError, QueueLayout, RustVmm,
};

/// Raw memory writes describing a guest's ring (and anything else in its memory).
#[derive(Debug, Clone)]
pub struct Ring {
    /// Queue layout.
    pub layout: QueueLayout,
    /// Guest RAM size.
    pub ram_size: u64,
    /// EVENT_IDX negotiated.
    pub event_idx: bool,
    /// Writes in order.
    pub writes: Vec<(u64, Vec<u8>)>,
}

impl Ring {
    pub fn new(size: u16) -> Self {
        Self {
            layout: QueueLayout::contiguous(0x1000, size),
            ram_size: 1 << 20,
            event_idx: false,
            writes: Vec::new(),
        }
    }
    pub fn write(&mut self, addr: u64, bytes: &[u8]) -> &mut Self {
        self.writes.push((addr, bytes.to_vec()));
        self
    }
    /// Descriptor `i` of the ring's table.
    pub fn desc(&mut self, i: u16, addr: u64, len: u32, flags: u16, next: u16) -> &mut Self {
        let at = self.layout.desc_addr(i).unwrap();
        self.table_desc(at, addr, len, flags, next)
    }
    /// A descriptor at an arbitrary address (an indirect table entry).
    pub fn table_desc(&mut self, at: u64, addr: u64, len: u32, flags: u16, next: u16) -> &mut Self {
        let d = virtq::Descriptor {
            addr,
            len,
            flags,
            next,
        };
        self.write(at, &d.to_bytes())
    }
    /// Puts `heads` in avail.ring[0..] and sets avail.idx to `idx`.
    pub fn avail(&mut self, heads: &[u16], idx: u16) -> &mut Self {
        for (k, h) in heads.iter().enumerate() {
            let at = self
                .layout
                .avail_entry_addr(k as u16 % self.layout.size)
                .unwrap();
            self.write(at, &h.to_le_bytes());
        }
        let at = self.layout.avail_idx_addr().unwrap();
        self.write(at, &idx.to_le_bytes())
    }
    /// Builds RAM and a configured queue for backend `B`.
    pub fn build<B: Backend>(&self) -> (B::Ram, B::Queue) {
        let mut ram = B::new_ram(self.ram_size).unwrap();
        for (addr, bytes) in &self.writes {
            ram.write(*addr, bytes).unwrap();
        }
        let mut q = B::new_queue(self.layout.size).unwrap();
        q.configure(self.layout, self.event_idx).unwrap();
        (ram, q)
    }
    /// One pop on backend `B`: the result and next_avail after it.
    pub fn pop<B: Backend>(&self) -> (Result<Option<DescriptorChain>, QueueError>, u16) {
        let (ram, mut q) = self.build::<B>();
        let r = q.pop(&ram);
        (r, q.next_avail())
    }
    /// One pop on both backends, asserting they agree; returns the portable result.
    pub fn pop_both(&self) -> Result<Option<DescriptorChain>, QueueError> {
        let p = self.pop::<Portable>();
        let r = self.pop::<RustVmm>();
        assert_eq!(p, r, "portable vs rust-vmm");
        p.0
    }
}
