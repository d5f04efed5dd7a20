//! The split virtqueue layout of VIRTIO 1.x (spec 2.7): where each field lives in guest memory.

/// `VIRTQ_DESC_F_NEXT`: the buffer continues in the `next` field.
pub const VIRTQ_DESC_F_NEXT: u16 = 1;
/// `VIRTQ_DESC_F_WRITE`: the buffer is device-writable.
pub const VIRTQ_DESC_F_WRITE: u16 = 2;
/// `VIRTQ_DESC_F_INDIRECT`: the buffer holds a table of descriptors.
pub const VIRTQ_DESC_F_INDIRECT: u16 = 4;
/// `VIRTQ_AVAIL_F_NO_INTERRUPT`: the driver asks not to be interrupted.
pub const VIRTQ_AVAIL_F_NO_INTERRUPT: u16 = 1;
/// `VIRTQ_USED_F_NO_NOTIFY`: the device asks not to be kicked.
pub const VIRTQ_USED_F_NO_NOTIFY: u16 = 1;
/// Largest queue size the split ring allows.
pub const MAX_QUEUE_SIZE: u16 = 32768;
/// Bytes in one descriptor.
pub const DESC_SIZE: u64 = 16;

/// One 16-byte descriptor: addr le64, len le32, flags le16, next le16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Descriptor {
    /// Guest physical address of the buffer.
    pub addr: u64,
    /// Length of the buffer in bytes.
    pub len: u32,
    /// NEXT / WRITE / INDIRECT.
    pub flags: u16,
    /// Index of the next descriptor when NEXT is set.
    pub next: u16,
}

/// Where one queue's three parts live, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueLayout {
    /// Number of entries (a power of two, at most 32768).
    pub size: u16,
    /// Descriptor table address (16-byte aligned).
    pub desc_table: u64,
    /// Avail ring address (2-byte aligned).
    pub avail_ring: u64,
    /// Used ring address (4-byte aligned).
    pub used_ring: u64,
}
