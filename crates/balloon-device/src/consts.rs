//! Numbers only the device needs, from the VIRTIO spec, Linux
//! `include/uapi/linux/virtio_balloon.h` and QEMU `include/hw/virtio/virtio-balloon.h`. The
//! vocabulary the guest shares (feature and status bits, page size, config layout) is
//! `balloon_spec`'s, re-exported here for the device's own modules.

pub use balloon_spec::features::*;
pub use balloon_spec::{PAGE_SIZE, VIRTIO_BALLOON_PFN_SHIFT, status};

/// `VIRTIO_ID_BALLOON`.
pub const VIRTIO_ID_BALLOON: u32 = 5;

/// `VIRTIO_BALLOON_CMD_ID_STOP`.
pub const VIRTIO_BALLOON_CMD_ID_STOP: u32 = 0;
/// `VIRTIO_BALLOON_CMD_ID_DONE`.
pub const VIRTIO_BALLOON_CMD_ID_DONE: u32 = 1;
/// QEMU `VIRTIO_BALLOON_FREE_PAGE_HINT_CMD_ID_MIN`.
pub const VIRTIO_BALLOON_FREE_PAGE_HINT_CMD_ID_MIN: u32 = 0x8000_0000;

/// `VIRTIO_BALLOON_S_NR` with the Linux 6.12 tags (QEMU late 2024).
pub const VIRTIO_BALLOON_S_NR: usize = 16;
/// Bytes in one `struct virtio_balloon_stat` (le16 tag + le64 val, packed).
pub const STAT_ENTRY_SIZE: usize = 10;

/// QEMU's `balloon_stat_names`, indexed by tag (the QOM names under `guest-stats`).
pub const BALLOON_STAT_NAMES: [&str; VIRTIO_BALLOON_S_NR] = [
    "stat-swap-in",
    "stat-swap-out",
    "stat-major-faults",
    "stat-minor-faults",
    "stat-free-memory",
    "stat-total-memory",
    "stat-available-memory",
    "stat-disk-caches",
    "stat-htlb-pgalloc",
    "stat-htlb-pgfail",
    "stat-oom-kills",
    "stat-alloc-stalls",
    "stat-async-scans",
    "stat-direct-scans",
    "stat-async-reclaims",
    "stat-direct-reclaims",
];
