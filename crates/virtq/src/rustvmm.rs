//! rust-vmm's `virtio_queue::Queue` behind [`DeviceQueue`] (native only).
//!
//! rust-vmm does the ring work (avail iteration, chain walking, used ring writes, EVENT_IDX).
//! Where it only logs and returns `None`, this wrapper reads the ring itself to name the error
//! the portable queue reports; see the differences table in the crate docs.

use virtio_queue::{Error as VqError, Queue, QueueOwnedT, QueueT};
use vm_memory::GuestAddress;

use crate::chain::{check_buffer, read_desc, walk_chain_to};
use crate::device::{ChainDescriptor, DescriptorChain, DeviceQueue};
use crate::error::QueueError;
use crate::layout::{QueueLayout, VIRTQ_AVAIL_F_NO_INTERRUPT};
use crate::memory::GuestRam;
use crate::vmram::VmRam;

/// `virtio_queue::Queue` with the [`DeviceQueue`] interface.
#[derive(Debug)]
pub struct RustVmmQueue {
    queue: Queue,
    layout: Option<QueueLayout>,
    early_stop: Option<EarlyStop>,
}

/// Where one walk of a chain stopped short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainStop {
    /// Buffers yielded before the stop.
    pub yielded: u32,
    /// The `next` field of the last buffer yielded (an index into the descriptor table, or into
    /// the indirect table once switched to); `None` when none was yielded.
    pub next: Option<u16>,
}

/// A chain rust-vmm's iterator ended early, as rust-vmm walked it and as the portable walk that
/// names the error walked it. The two walks are independent; a difference between them is a
/// bug in one of them, which the differential test reports (the device still gets `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyStop {
    /// Head of the chain.
    pub head: u16,
    /// What rust-vmm's `DescriptorChain` iterator yielded before returning `None`.
    pub rust_vmm: ChainStop,
    /// What the portable walk yielded before its error.
    pub portable: ChainStop,
    /// The error the queue returned.
    pub error: QueueError,
}

impl Clone for RustVmmQueue {
    fn clone(&self) -> Self {
        // `Queue` is not Clone; its saved state round-trips except `num_added` (reset to 0, so
        // a clone taken between add_used and needs_notification may skip one interrupt).
        let queue = Queue::try_from(self.queue.state()).unwrap_or_default();
        Self {
            queue,
            layout: self.layout,
            early_stop: self.early_stop.clone(),
        }
    }
}

impl RustVmmQueue {
    /// A queue the device offers with `max_size` entries.
    pub fn new(max_size: u16) -> Result<Self, QueueError> {
        let queue = Queue::new(max_size).map_err(|_| QueueError::InvalidSize(max_size))?;
        Ok(Self {
            queue,
            layout: None,
            early_stop: None,
        })
    }

    /// The last pop's early stop of rust-vmm's chain iterator, if that pop had one (cleared by
    /// every pop).
    pub fn early_stop(&self) -> Option<&EarlyStop> {
        self.early_stop.as_ref()
    }

    /// The wrapped rust-vmm queue.
    pub fn inner(&self) -> &Queue {
        &self.queue
    }

    fn ring(&self) -> Result<QueueLayout, QueueError> {
        self.layout
            .filter(|_| self.queue.ready())
            .ok_or(QueueError::NotReady)
    }
}

/// Names a rust-vmm error. Memory errors are re-derived from the ranges the operation touches,
/// so they carry the same address and length as the portable queue's.
fn name_error(e: VqError, ram: &VmRam, l: &QueueLayout, touched: &[(u64, u64)]) -> QueueError {
    match e {
        VqError::QueueNotReady => QueueError::NotReady,
        VqError::InvalidDescriptorIndex => QueueError::InvalidDescriptorIndex {
            index: u16::MAX,
            size: l.size,
        },
        _ => touched
            .iter()
            .find_map(|&(addr, len)| ram.check_range(addr, len).err())
            .map(QueueError::Memory)
            .unwrap_or(QueueError::Memory(crate::error::MemError::OutOfRange {
                addr: l.used_ring,
                len: 0,
                size: ram.size(),
            })),
    }
}

impl DeviceQueue for RustVmmQueue {
    type Ram = VmRam;

    fn max_size(&self) -> u16 {
        self.queue.max_size()
    }

    fn configure(&mut self, layout: QueueLayout, event_idx: bool) -> Result<(), QueueError> {
        layout.validate(self.queue.max_size())?;
        let q = &mut self.queue;
        let bad = |addr, why| QueueError::InvalidRingAddress { addr, why };
        q.try_set_size(layout.size)
            .map_err(|_| QueueError::InvalidSize(layout.size))?;
        q.try_set_desc_table_address(GuestAddress(layout.desc_table))
            .map_err(|_| bad(layout.desc_table, "rejected by rust-vmm"))?;
        q.try_set_avail_ring_address(GuestAddress(layout.avail_ring))
            .map_err(|_| bad(layout.avail_ring, "rejected by rust-vmm"))?;
        q.try_set_used_ring_address(GuestAddress(layout.used_ring))
            .map_err(|_| bad(layout.used_ring, "rejected by rust-vmm"))?;
        q.set_event_idx(event_idx);
        q.set_ready(true);
        self.layout = Some(layout);
        Ok(())
    }

    fn layout(&self) -> Option<QueueLayout> {
        self.layout
    }

    fn ready(&self) -> bool {
        self.queue.ready()
    }

    fn reset(&mut self) {
        self.queue.reset();
        self.layout = None;
    }

    fn pop(&mut self, ram: &VmRam) -> Result<Option<DescriptorChain>, QueueError> {
        self.early_stop = None;
        let l = self.ring()?;
        if l.avail_ring == 0 {
            return Err(QueueError::NotReady);
        }
        // rust-vmm logs "Iterator error" and returns None on a bad avail.idx; read it here so
        // the device can tell a broken ring from an empty one.
        let avail_idx = ram.read_u16(l.avail_idx_addr()?)?;
        let next_avail = self.queue.next_avail();
        let ahead = avail_idx.wrapping_sub(next_avail);
        if ahead > l.size {
            return Err(QueueError::InvalidAvailRingIndex {
                avail_idx,
                next_avail,
                ahead,
                size: l.size,
            });
        }
        let Some(chain) = self.queue.pop_descriptor_chain(ram.memory()) else {
            if ahead == 0 {
                return Ok(None);
            }
            // The avail entry itself could not be read.
            ram.read_u16(l.avail_entry_addr(next_avail % l.size)?)?;
            return Err(QueueError::ChainEndedEarly {
                head: u16::MAX,
                yielded: 0,
            });
        };
        let head = chain.head_index();
        let mut descriptors = Vec::with_capacity(1);
        let mut ends_with_next = false;
        let mut next = None;
        for d in chain {
            ends_with_next = d.has_next();
            next = Some(d.next());
            descriptors.push(ChainDescriptor {
                addr: d.addr().0,
                len: d.len(),
                writable: d.is_write_only(),
            });
        }
        let mut seen_write = false;
        for (position, d) in descriptors.iter().enumerate() {
            check_buffer(ram, head, position as u32, d, seen_write)?;
            seen_write |= d.writable;
        }
        if descriptors.is_empty() || ends_with_next {
            // rust-vmm ended the chain early without saying why: re-read the ring to name it,
            // and keep both walks' stops so a disagreement shows (see `early_stop`).
            let rust_vmm = ChainStop {
                yielded: descriptors.len() as u32,
                next,
            };
            let mut walked = Vec::new();
            let mut next = None;
            let named = walk_chain_to(ram, &l, head, &mut walked, &mut next);
            let portable = ChainStop {
                yielded: walked.len() as u32,
                next,
            };
            let error = named.err().unwrap_or(QueueError::ChainEndedEarly {
                head,
                yielded: rust_vmm.yielded,
            });
            self.early_stop = Some(EarlyStop {
                head,
                rust_vmm,
                portable,
                error: error.clone(),
            });
            return Err(error);
        }
        let indirect = read_desc(ram, l.desc_table, head).is_ok_and(|d| d.is_indirect());
        Ok(Some(DescriptorChain {
            head,
            descriptors,
            indirect,
        }))
    }

    fn add_used(&mut self, ram: &mut VmRam, head: u16, len: u32) -> Result<(), QueueError> {
        let l = self.ring()?;
        let slot = self.queue.next_used() % l.size;
        let touched = [(l.used_elem_addr(slot)?, 8), (l.used_idx_addr()?, 2)];
        touched.iter().for_each(|&(a, n)| ram.mark(a, n));
        self.queue
            .add_used(ram.memory(), head, len)
            .map_err(|e| match e {
                VqError::InvalidDescriptorIndex => QueueError::InvalidDescriptorIndex {
                    index: head,
                    size: l.size,
                },
                e => name_error(e, ram, &l, &touched),
            })
    }

    fn needs_notification(&mut self, ram: &VmRam) -> Result<bool, QueueError> {
        let l = self.ring()?;
        if self.queue.event_idx_enabled() {
            let touched = [(l.used_event_addr()?, 2)];
            return self
                .queue
                .needs_notification(ram.memory())
                .map_err(|e| name_error(e, ram, &l, &touched));
        }
        // rust-vmm: "The VRING_AVAIL_F_NO_INTERRUPT flag isn't supported yet." QEMU honours it.
        let flags = ram.read_u16(l.avail_flags_addr())?;
        Ok(flags & VIRTQ_AVAIL_F_NO_INTERRUPT == 0)
    }

    fn enable_notification(&mut self, ram: &mut VmRam) -> Result<bool, QueueError> {
        let l = self.ring()?;
        let touched = [
            (l.avail_event_addr()?, 2),
            (l.used_flags_addr(), 2),
            (l.avail_idx_addr()?, 2),
        ];
        touched[..2].iter().for_each(|&(a, n)| ram.mark(a, n));
        self.queue
            .enable_notification(ram.memory())
            .map_err(|e| name_error(e, ram, &l, &touched))
    }

    fn disable_notification(&mut self, ram: &mut VmRam) -> Result<(), QueueError> {
        let l = self.ring()?;
        let touched = [(l.used_flags_addr(), 2)];
        ram.mark(l.used_flags_addr(), 2);
        self.queue
            .disable_notification(ram.memory())
            .map_err(|e| name_error(e, ram, &l, &touched))
    }

    fn next_avail(&self) -> u16 {
        self.queue.next_avail()
    }

    fn next_used(&self) -> u16 {
        self.queue.next_used()
    }

    fn unpop(&mut self) {
        self.queue.go_to_previous_position();
    }
}
