//! A portable VIRTIO 1.x split virtqueue.
//!
//! `vm-memory` and `virtio-queue` (rust-vmm) do not build for `wasm32`, so the browser runs this
//! ring; natively the same device code can run on `virtio_queue::Queue` instead (the
//! [`Backend`] seam), and a differential test (`tests/differential.rs`) proves the two agree.
//!
//! - Guest memory: [`GuestRam`], [`SparseRam`] (4 KiB frames backed on first write; a 16 TiB
//!   guest costs nothing until touched), and natively [`VmRam`] over `GuestMemoryMmap`.
//! - Layout: [`QueueLayout`] (every field's address, [`QueueLayout::contiguous`] placement),
//!   [`Descriptor`], flag constants in [`layout`].
//! - Driver side (what Linux `virtio_ring.c` does), one ring operation per call:
//!   [`DriverQueue::add_buf`], [`DriverQueue::publish`], [`DriverQueue::kick_needed`],
//!   [`DriverQueue::get_used`], [`DriverQueue::disable_cb`], [`DriverQueue::enable_cb`].
//! - Device side: the [`DeviceQueue`] trait, [`PortableQueue`] and natively [`RustVmmQueue`].
//! - UI: [`QueueView`]; [`SparseRam`]'s [`WriteLog`] of the last events' stores (which bytes each
//!   ring operation wrote, in order) through [`GuestRam::recent_writes`].
//!
//! Malformed rings never panic or loop: each case is a [`QueueError`] variant whose `Display`
//! is a sentence for the UI, and which the device turns into DEVICE_NEEDS_RESET (QEMU's
//! `virtio_error`). A chain whose walk fails still consumes its avail entry (next_avail + 1), as
//! in QEMU and rust-vmm; an avail.idx more than N ahead consumes nothing.
//!
//! # Where the backends differ
//!
//! rust-vmm is wrapped, never patched. The wrapper adds the checks rust-vmm leaves out, so the
//! two backends return the same results, errors and ring bytes in the differential test; the
//! table lists what rust-vmm does on its own, and what is left over.
//!
//! | Situation | `virtio_queue::Queue` alone | [`RustVmmQueue`] | [`PortableQueue`] |
//! |---|---|---|---|
//! | avail.idx more than N ahead of next_avail | `pop_descriptor_chain` logs "Iterator error" and returns `None`: looks empty | reads avail.idx first: `InvalidAvailRingIndex`, nothing consumed | same |
//! | head or next ≥ N, loop / chain longer than N, nested indirect, indirect length 0 / not a multiple of 16 / over 65535 entries, total length over u32, descriptor unreadable | head consumed; the chain iterator just stops (a short or empty chain) | sees the stop (no descriptor, or the last one still has NEXT), names it by re-walking the ring, and keeps both walks' stop (buffers yielded, next index) in [`RustVmmQueue::early_stop`], which the differential test requires to agree | same error from its own walk |
//! | a stop the re-walk cannot explain | n/a | `ChainEndedEarly` (never seen in the differential test) | n/a |
//! | zero-length descriptor, buffer past RAM or overflowing u64, readable after writable | yielded as ordinary descriptors | checks each yielded descriptor: `ZeroLengthDescriptor`, `BadBuffer`, `ReadableAfterWritable` | same |
//! | VIRTQ_AVAIL_F_NO_INTERRUPT without EVENT_IDX | ignored ("isn't supported yet"): always notifies | reads avail.flags itself, as QEMU does | same |
//! | memory errors on the used ring | `GuestMemory` / `AddressOverflow` | re-derived from the touched ranges: same `Memory(..)` as portable | exact |
//! | `Clone` | `Queue` is not `Clone` | via `QueueState`: `num_added` resets to 0, so a clone taken between `add_used` and `needs_notification` may miss one EVENT_IDX interrupt | exact |
//! | guest RAM snapshots | `GuestMemoryMmap` clones share one mapping | [`VmRam`] clones deeply: a new mapping gets every frame written through it or through the queue | [`SparseRam`] clones deeply |
//!
//! Shared by both, and different from QEMU: the first `needs_notification` compares against
//! used index 0 (rust-vmm's `num_added`), where QEMU always notifies once
//! (`signalled_used_valid`); an indirect descriptor's NEXT flag is ignored (both QEMU and
//! rust-vmm), and an indirect descriptor in the middle of a direct chain switches to its table
//! (rust-vmm; QEMU only honours INDIRECT on the head); an INDIRECT flag inside a table is
//! `NestedIndirect` (rust-vmm), where QEMU maps it as a plain buffer; a chain longer than 4 GiB
//! is `LengthOverflow` (rust-vmm), which QEMU does not check. [`QueueError::qemu_message`] gives
//! QEMU's `virtio_error` text for the faults QEMU does report.
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
pub mod write_log;

#[cfg(not(target_arch = "wasm32"))]
pub use backend::RustVmm;
pub use backend::{Backend, Portable};
pub use device::{ChainDescriptor, DescriptorChain, DeviceQueue, PortableQueue};
pub use driver::{DriverQueue, Segment, UsedElem};
pub use error::{MemError, QueueError};
pub use layout::{Descriptor, QueueLayout};
pub use memory::{GuestRam, PAGE_SIZE, SparseRam};
#[cfg(not(target_arch = "wasm32"))]
pub use rustvmm::{ChainStop, EarlyStop, RustVmmQueue};
pub use transport::Transport;
pub use view::{AvailView, DescState, DescView, QueueView, UsedEntry, UsedView};
#[cfg(not(target_arch = "wasm32"))]
pub use vmram::VmRam;
pub use write_log::{GuestWrite, WriteLog};
