//! Errors: one flat enum per concern, variants named for what is invalid.

use thiserror::Error;

/// A guest-memory access that cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MemError {
    /// The access ends past the end of guest RAM.
    #[error("{len} bytes at {addr:#x} run past the end of guest RAM ({size:#x} bytes)")]
    OutOfRange {
        /// Start address.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// Guest RAM size.
        size: u64,
    },
    /// `addr + len` overflows u64.
    #[error("{len} bytes at {addr:#x} overflow the 64-bit address space")]
    Overflow {
        /// Start address.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
    /// The host could not map guest RAM of this size (rust-vmm backend only).
    #[error("cannot map {size:#x} bytes of guest RAM: {reason}")]
    MapFailed {
        /// Requested guest RAM size.
        size: u64,
        /// The host's reason.
        reason: String,
    },
}

/// A queue operation that cannot be carried out, most often because the guest's ring is
/// malformed. The device turns these into DEVICE_NEEDS_RESET (QEMU's `virtio_error`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueueError {
    /// The queue has not been configured (or its avail ring is at address 0, which rust-vmm
    /// also treats as not ready).
    #[error("the queue is not ready")]
    NotReady,
    /// Size not a power of two, zero, or above 32768 (or above the device's maximum).
    #[error("queue size {0} is not a power of two in 1..=32768")]
    InvalidSize(u16),
    /// A ring address is misaligned (desc 16, avail 2, used 4) or the ring runs past RAM.
    #[error("ring address {addr:#x} is invalid: {why}")]
    InvalidRingAddress {
        /// The offending address.
        addr: u64,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// `avail.idx - next_avail` is larger than the queue size.
    #[error(
        "avail.idx {avail_idx} is {ahead} ahead of next_avail {next_avail}, more than the queue size {size}"
    )]
    InvalidAvailRingIndex {
        /// avail.idx read from the guest.
        avail_idx: u16,
        /// The device's next_avail.
        next_avail: u16,
        /// avail_idx - next_avail (wrapping).
        ahead: u16,
        /// Queue size.
        size: u16,
    },
    /// The avail ring offers a head that is not below the queue size.
    #[error("the avail ring offers head {head}, not below the queue size {size}")]
    InvalidHead {
        /// The head read from avail.ring.
        head: u16,
        /// Queue size.
        size: u16,
    },
    /// A next index (or a used head the device adds) is not below the table or queue size.
    #[error("descriptor index {index} is not below the queue size {size}")]
    InvalidDescriptorIndex {
        /// The index.
        index: u16,
        /// Queue size.
        size: u16,
    },
    /// The chain is longer than the queue size (a loop, or a table with too many entries).
    #[error("descriptor chain from head {head} is longer than {limit} (a loop?)")]
    ChainTooLong {
        /// Head of the chain.
        head: u16,
        /// The limit that was exceeded.
        limit: u32,
    },
    /// An indirect descriptor inside an indirect table.
    #[error("nested indirect descriptor table in the chain from head {head}")]
    NestedIndirect {
        /// Head of the chain.
        head: u16,
    },
    /// An indirect table whose length is zero or not a multiple of 16.
    #[error("indirect table length {len} is not a non-zero multiple of 16")]
    InvalidIndirectLength {
        /// The length in bytes.
        len: u32,
    },
    /// A descriptor of length zero (QEMU `virtqueue_map_desc`: "zero sized buffers are not
    /// allowed").
    #[error("descriptor {position} of the chain from head {head} has length zero")]
    ZeroLengthDescriptor {
        /// Head of the chain.
        head: u16,
        /// Position of the descriptor in the chain (0 = first buffer).
        position: u32,
    },
    /// A readable descriptor after a writable one.
    #[error("readable descriptor after a writable one in the chain from head {head}")]
    ReadableAfterWritable {
        /// Head of the chain.
        head: u16,
    },
    /// The sum of the descriptor lengths overflows u32.
    #[error("total length of the chain from head {head} overflows u32")]
    LengthOverflow {
        /// Head of the chain.
        head: u16,
    },
    /// A descriptor's buffer lies (partly) outside guest RAM.
    #[error("descriptor buffer: {0}")]
    BadBuffer(MemError),
    /// The ring itself could not be read or written.
    #[error("ring access: {0}")]
    Memory(MemError),
    /// The driver has no free descriptors for the buffer.
    #[error("no free descriptors: {needed} needed, {free} free")]
    NoFreeDescriptors {
        /// Descriptors needed.
        needed: u16,
        /// Descriptors free.
        free: u16,
    },
    /// The driver was asked to add a buffer with no segments.
    #[error("a buffer needs at least one segment")]
    NoSegments,
    /// rust-vmm's chain iterator stopped early and re-reading the ring found no reason (kept
    /// so the rust-vmm backend never reports a broken chain as a good one).
    #[error("rust-vmm stopped the chain from head {head} after {yielded} descriptors")]
    ChainEndedEarly {
        /// Head of the chain.
        head: u16,
        /// Descriptors yielded before it stopped.
        yielded: u32,
    },
    /// The device returned an id the driver never made available, or twice.
    #[error("used element id {id} is not a descriptor head in flight")]
    UnexpectedUsedId {
        /// The id in the used element.
        id: u32,
    },
}

impl From<MemError> for QueueError {
    fn from(e: MemError) -> Self {
        QueueError::Memory(e)
    }
}

impl QueueError {
    /// The message QEMU passes to `virtio_error` for the same ring fault (hw/virtio/virtio.c:
    /// `virtqueue_num_heads`, `virtqueue_get_head`, `virtqueue_split_read_next_desc`,
    /// `virtqueue_split_pop`, `virtqueue_map_desc`), or `None` where QEMU does not check it.
    pub fn qemu_message(&self) -> Option<String> {
        Some(match self {
            QueueError::InvalidAvailRingIndex {
                avail_idx,
                next_avail,
                ..
            } => {
                format!("Guest moved used index from {next_avail} to {avail_idx}")
            }
            QueueError::InvalidHead { head, .. } => format!("Guest says index {head} is available"),
            QueueError::InvalidDescriptorIndex { index, .. } => format!("Desc next is {index}"),
            QueueError::ChainTooLong { .. } => "Looped descriptor".into(),
            QueueError::InvalidIndirectLength { .. } => {
                "Invalid size for indirect buffer table".into()
            }
            QueueError::ZeroLengthDescriptor { .. } => {
                "virtio: zero sized buffers are not allowed".into()
            }
            QueueError::BadBuffer(_) => "virtio: bogus descriptor or out of resources".into(),
            QueueError::ReadableAfterWritable { .. } => "Incorrect order for descriptors".into(),
            _ => return None,
        })
    }
}
