//! `struct virtio_balloon_config` (spec §5.5.4): le32 fields at fixed offsets.

/// Offset of `num_pages`: the host's target, in balloon pages.
pub const NUM_PAGES: u32 = 0;
/// Offset of `actual`: what the guest has given, in balloon pages.
pub const ACTUAL: u32 = 4;
/// Offset of `free_page_hint_cmd_id` (valid with `VIRTIO_BALLOON_F_FREE_PAGE_HINT`).
pub const FREE_PAGE_HINT_CMD_ID: u32 = 8;
/// Offset of `poison_val` (valid with `VIRTIO_BALLOON_F_PAGE_POISON`).
pub const POISON_VAL: u32 = 12;
/// `sizeof(struct virtio_balloon_config)`.
pub const SIZE_MAX: usize = 16;
