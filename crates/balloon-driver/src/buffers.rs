//! Where the driver's own buffers sit in guest RAM: the fixed addresses of `vb->pfns`,
//! `vb->stats[]` and the hint cmd id words, and the start of the rings. A leaf: the driver's
//! work modules and the misbehaviour all read these without importing the driver.

/// Guest RAM the driver uses for its own buffers (inside the kernel's reserved pages).
pub const DRIVER_AREA: u64 = 0x10_0000;
/// `vb->pfns[VIRTIO_BALLOON_ARRAY_PFNS_MAX]`.
pub const PFN_ARRAY: u64 = DRIVER_AREA;
/// `VIRTIO_BALLOON_ARRAY_PFNS_MAX`: the PFN array's capacity, so the most PFNs one inflate
/// or deflate message carries.
pub const ARRAY_PFNS_MAX: u64 = 256;
/// `vb->stats[]`.
pub const STATS_BUFFER: u64 = DRIVER_AREA + 0x1000;
/// `vb->cmd_id_active` (the hint start buffer).
pub const CMD_ID_ACTIVE: u64 = DRIVER_AREA + 0x2000;
/// `vb->cmd_id_stop`.
pub const CMD_ID_STOP: u64 = DRIVER_AREA + 0x2004;
/// Rings start here, each 4 KiB aligned.
pub const RING_AREA: u64 = DRIVER_AREA + 0x4000;
