//! Numbers from the VIRTIO spec, Linux `include/uapi/linux/virtio_balloon.h` and QEMU
//! `include/hw/virtio/virtio-balloon.h` (reference sections 2.1-2.3).

/// `VIRTIO_ID_BALLOON`.
pub const VIRTIO_ID_BALLOON: u32 = 5;

/// `VIRTIO_BALLOON_F_MUST_TELL_HOST`.
pub const VIRTIO_BALLOON_F_MUST_TELL_HOST: u32 = 0;
/// `VIRTIO_BALLOON_F_STATS_VQ`.
pub const VIRTIO_BALLOON_F_STATS_VQ: u32 = 1;
/// `VIRTIO_BALLOON_F_DEFLATE_ON_OOM`.
pub const VIRTIO_BALLOON_F_DEFLATE_ON_OOM: u32 = 2;
/// `VIRTIO_BALLOON_F_FREE_PAGE_HINT`.
pub const VIRTIO_BALLOON_F_FREE_PAGE_HINT: u32 = 3;
/// `VIRTIO_BALLOON_F_PAGE_POISON`.
pub const VIRTIO_BALLOON_F_PAGE_POISON: u32 = 4;
/// `VIRTIO_BALLOON_F_PAGE_REPORTING` (Linux: `VIRTIO_BALLOON_F_REPORTING`).
pub const VIRTIO_BALLOON_F_PAGE_REPORTING: u32 = 5;
/// `VIRTIO_F_INDIRECT_DESC` (Linux: `VIRTIO_RING_F_INDIRECT_DESC`).
pub const VIRTIO_F_INDIRECT_DESC: u32 = 28;
/// `VIRTIO_F_EVENT_IDX` (Linux: `VIRTIO_RING_F_EVENT_IDX`).
pub const VIRTIO_F_EVENT_IDX: u32 = 29;
/// `VIRTIO_F_VERSION_1`.
pub const VIRTIO_F_VERSION_1: u32 = 32;

/// The mask of one feature bit.
pub const fn bit(feature: u32) -> u64 {
    1u64 << feature
}

/// A feature's spec name, for sentences.
pub fn feature_name(feature: u32) -> &'static str {
    match feature {
        VIRTIO_BALLOON_F_MUST_TELL_HOST => "VIRTIO_BALLOON_F_MUST_TELL_HOST",
        VIRTIO_BALLOON_F_STATS_VQ => "VIRTIO_BALLOON_F_STATS_VQ",
        VIRTIO_BALLOON_F_DEFLATE_ON_OOM => "VIRTIO_BALLOON_F_DEFLATE_ON_OOM",
        VIRTIO_BALLOON_F_FREE_PAGE_HINT => "VIRTIO_BALLOON_F_FREE_PAGE_HINT",
        VIRTIO_BALLOON_F_PAGE_POISON => "VIRTIO_BALLOON_F_PAGE_POISON",
        VIRTIO_BALLOON_F_PAGE_REPORTING => "VIRTIO_BALLOON_F_PAGE_REPORTING",
        VIRTIO_F_INDIRECT_DESC => "VIRTIO_F_INDIRECT_DESC",
        VIRTIO_F_EVENT_IDX => "VIRTIO_F_EVENT_IDX",
        VIRTIO_F_VERSION_1 => "VIRTIO_F_VERSION_1",
        _ => "unknown feature",
    }
}

/// The names of the set bits of `features`, joined with `|` ("none" when empty).
pub fn feature_names(features: u64) -> String {
    let names: Vec<String> = (0..64)
        .filter(|b| features & bit(*b) != 0)
        .map(|b| match feature_name(b) {
            "unknown feature" => format!("bit {b}"),
            n => n.to_string(),
        })
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join("|")
    }
}

/// Device status: ACKNOWLEDGE.
pub const STATUS_ACKNOWLEDGE: u8 = 1;
/// Device status: DRIVER.
pub const STATUS_DRIVER: u8 = 2;
/// Device status: DRIVER_OK.
pub const STATUS_DRIVER_OK: u8 = 4;
/// Device status: FEATURES_OK.
pub const STATUS_FEATURES_OK: u8 = 8;
/// Device status: DEVICE_NEEDS_RESET.
pub const STATUS_DEVICE_NEEDS_RESET: u8 = 64;
/// Device status: FAILED.
pub const STATUS_FAILED: u8 = 128;

/// The names of the set status bits ("0 (reset)" when empty).
pub fn status_names(status: u8) -> String {
    let table = [
        (STATUS_ACKNOWLEDGE, "ACKNOWLEDGE"),
        (STATUS_DRIVER, "DRIVER"),
        (STATUS_DRIVER_OK, "DRIVER_OK"),
        (STATUS_FEATURES_OK, "FEATURES_OK"),
        (STATUS_DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET"),
        (STATUS_FAILED, "FAILED"),
    ];
    let names: Vec<&str> = table
        .iter()
        .filter(|(b, _)| status & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "0 (reset)".to_string()
    } else {
        names.join("|")
    }
}

/// `VIRTIO_BALLOON_PFN_SHIFT`: a balloon PFN is always a 4 KiB unit.
pub const VIRTIO_BALLOON_PFN_SHIFT: u32 = 12;
/// `BALLOON_PAGE_SIZE` in QEMU.
pub const BALLOON_PAGE_SIZE: u64 = 1 << VIRTIO_BALLOON_PFN_SHIFT;

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

/// Config space: offset of `num_pages`.
pub const CONFIG_NUM_PAGES: u32 = 0;
/// Config space: offset of `actual`.
pub const CONFIG_ACTUAL: u32 = 4;
/// Config space: offset of `free_page_hint_cmd_id`.
pub const CONFIG_FREE_PAGE_HINT_CMD_ID: u32 = 8;
/// Config space: offset of `poison_val`.
pub const CONFIG_POISON_VAL: u32 = 12;
/// `sizeof(struct virtio_balloon_config)`.
pub const CONFIG_SIZE_MAX: usize = 16;
