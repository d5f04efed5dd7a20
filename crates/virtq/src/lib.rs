//! A portable VIRTIO 1.x split virtqueue.
//!
//! `vm-memory` and `virtio-queue` (rust-vmm) do not build for `wasm32`, so the browser runs this
//! ring; natively the same device code can run on `virtio_queue::Queue` instead (the
//! [`Backend`] seam), and a differential test proves the two agree.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backend;
mod chain;
pub mod device;
pub mod driver;
pub mod error;
pub mod layout;
pub mod memory;
#[cfg(not(target_arch = "wasm32"))]
pub mod rustvmm;
pub mod transport;
pub mod view;
#[cfg(not(target_arch = "wasm32"))]
pub mod vmram;

#[cfg(not(target_arch = "wasm32"))]
pub use backend::RustVmm;
pub use backend::{Backend, Portable};
pub use device::{ChainDescriptor, DescriptorChain, DeviceQueue, PortableQueue};
pub use driver::{DriverQueue, Segment, UsedElem};
pub use error::{MemError, QueueError};
pub use layout::{Descriptor, QueueLayout};
pub use memory::{GuestRam, PAGE_SIZE, SparseRam};
#[cfg(not(target_arch = "wasm32"))]
pub use rustvmm::RustVmmQueue;
pub use transport::Transport;
pub use view::{AvailView, DescState, DescView, QueueView, UsedEntry, UsedView};
#[cfg(not(target_arch = "wasm32"))]
pub use vmram::VmRam;
