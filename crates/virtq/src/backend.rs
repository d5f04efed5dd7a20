//! Backends: which guest memory and which device-side queue implementation a world runs on.

use crate::device::{DeviceQueue, PortableQueue};
use crate::error::{MemError, QueueError};
use crate::memory::{GuestRam, SparseRam};

/// A pairing of guest memory and device-side queue. Device and simulation code are generic
/// over it, so the backend is chosen once, outside the device logic.
pub trait Backend: std::fmt::Debug + Clone + 'static {
    /// Guest memory.
    type Ram: GuestRam + std::fmt::Debug;
    /// Device-side queue over that memory.
    type Queue: DeviceQueue<Ram = Self::Ram> + std::fmt::Debug + Clone;
    /// Short name (`portable`, `rust-vmm`).
    const NAME: &'static str;
    /// Guest RAM of `size` bytes.
    fn new_ram(size: u64) -> Result<Self::Ram, MemError>;
    /// A device queue offering `max_size` entries.
    fn new_queue(max_size: u16) -> Result<Self::Queue, QueueError>;
}

/// Our own ring over [`SparseRam`]: every target, including wasm32.
#[derive(Debug, Clone, Copy, Default)]
pub struct Portable;

impl Backend for Portable {
    type Ram = SparseRam;
    type Queue = PortableQueue;
    const NAME: &'static str = "portable";
    fn new_ram(size: u64) -> Result<SparseRam, MemError> {
        Ok(SparseRam::new(size))
    }
    fn new_queue(max_size: u16) -> Result<PortableQueue, QueueError> {
        PortableQueue::new(max_size)
    }
}

/// rust-vmm's `virtio_queue::Queue` over `vm-memory`'s mmap-backed guest memory (native only).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy, Default)]
pub struct RustVmm;

#[cfg(not(target_arch = "wasm32"))]
impl Backend for RustVmm {
    type Ram = crate::vmram::VmRam;
    type Queue = crate::rustvmm::RustVmmQueue;
    const NAME: &'static str = "rust-vmm";
    fn new_ram(size: u64) -> Result<Self::Ram, MemError> {
        crate::vmram::VmRam::new(size)
    }
    fn new_queue(max_size: u16) -> Result<Self::Queue, QueueError> {
        crate::rustvmm::RustVmmQueue::new(max_size)
    }
}
