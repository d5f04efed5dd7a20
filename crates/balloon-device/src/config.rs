//! Config space: QEMU's `virtio_balloon_get_config` / `virtio_balloon_set_config` behind the
//! generic `virtio_config_read*` / `virtio_config_write*` accessors, which work on a byte copy
//! (`vdev->config`) refreshed on every read.

use serde::Serialize;

use crate::consts::{VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_F_PAGE_POISON, bit};

/// `virtio_balloon_config_size`.
pub fn qemu_config_size(host_features: u64, qemu_4_0_config_size: bool) -> usize {
    if qemu_4_0_config_size || host_features & bit(VIRTIO_BALLOON_F_PAGE_POISON) != 0 {
        16
    } else if host_features & bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT) != 0 {
        12
    } else {
        8
    }
}

/// The largest config image any profile exposes: crosvm's `virtio_balloon_config` adds
/// `ws_num_bins` and 3 reserved bytes after the 16 standard ones.
pub const IMAGE_MAX: usize = 20;

/// Offset of crosvm's `ws_num_bins` (u8, after the 16 standard bytes; 3 reserved bytes
/// follow): crosvm `devices/src/virtio/balloon.rs` `struct virtio_balloon_config`.
pub const WS_NUM_BINS: u32 = 16;

/// The device's config fields, as `VirtIOBalloon` holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct BalloonConfig {
    /// Target balloon size in 4 KiB pages (device-written).
    pub num_pages: u32,
    /// Current balloon size in 4 KiB pages (driver-written).
    pub actual: u32,
    /// `free_page_hint_cmd_id` as the driver sees it now.
    pub free_page_hint_cmd_id: u32,
    /// `poison_val` (driver-written, with PAGE_POISON).
    pub poison_val: u32,
}

impl BalloonConfig {
    /// The 16-byte little-endian image (`struct virtio_balloon_config`).
    pub fn to_bytes(&self) -> [u8; balloon_spec::config::SIZE_MAX] {
        let mut b = [0u8; balloon_spec::config::SIZE_MAX];
        b[0..4].copy_from_slice(&self.num_pages.to_le_bytes());
        b[4..8].copy_from_slice(&self.actual.to_le_bytes());
        b[8..12].copy_from_slice(&self.free_page_hint_cmd_id.to_le_bytes());
        b[12..16].copy_from_slice(&self.poison_val.to_le_bytes());
        b
    }

    /// The image a profile exposes: the 16 standard bytes, then `tail` (crosvm's
    /// `ws_num_bins` and reserved bytes; zero elsewhere, and past the config size unreadable).
    pub fn image(&self, tail: [u8; 4]) -> [u8; IMAGE_MAX] {
        let mut b = [0u8; IMAGE_MAX];
        b[..balloon_spec::config::SIZE_MAX].copy_from_slice(&self.to_bytes());
        b[balloon_spec::config::SIZE_MAX..].copy_from_slice(&tail);
        b
    }

    /// Reads the four fields back from an image.
    pub fn from_image(b: &[u8; IMAGE_MAX]) -> Self {
        let mut head = [0u8; balloon_spec::config::SIZE_MAX];
        head.copy_from_slice(&b[..balloon_spec::config::SIZE_MAX]);
        Self::from_bytes(&head)
    }

    /// Reads the four fields back from a 16-byte image.
    pub fn from_bytes(b: &[u8; balloon_spec::config::SIZE_MAX]) -> Self {
        let f = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        Self {
            num_pages: f(0),
            actual: f(4),
            free_page_hint_cmd_id: f(8),
            poison_val: f(12),
        }
    }
}

/// Splits a transport access into the 4/2/1-byte accesses the virtio-pci config region
/// accepts (its largest access size is 4): `(offset, len)` pieces. An iterator, not a
/// vector: every config access of every message goes through here.
pub fn split_access(offset: u32, len: usize) -> impl Iterator<Item = (u32, usize)> {
    let (mut off, mut left) = (offset, len);
    std::iter::from_fn(move || {
        (left > 0).then(|| {
            let w = if left >= 4 {
                4
            } else if left >= 2 {
                2
            } else {
                1
            };
            let piece = (off, w);
            off = off.saturating_add(w as u32);
            left -= w;
            piece
        })
    })
}

/// Whether an access of `len` bytes at `offset` fits a config of `size` bytes
/// (`addr + sizeof(val) > vdev->config_len` is refused).
pub fn access_fits(offset: u32, len: usize, size: usize) -> bool {
    (offset as usize)
        .checked_add(len)
        .is_some_and(|end| end <= size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_features() {
        assert_eq!(
            qemu_config_size(bit(VIRTIO_BALLOON_F_PAGE_POISON), false),
            16
        );
        assert_eq!(
            qemu_config_size(bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT), false),
            12
        );
        assert_eq!(qemu_config_size(0, false), 8);
        assert_eq!(qemu_config_size(0, true), 16);
    }

    #[test]
    fn image_round_trip_and_split() {
        let c = BalloonConfig {
            num_pages: 1000,
            actual: 256,
            free_page_hint_cmd_id: 0,
            poison_val: 0xaaaa_aaaa,
        };
        let b = c.to_bytes();
        assert_eq!(&b[0..4], &[0xe8, 0x03, 0, 0]);
        assert_eq!(BalloonConfig::from_bytes(&b), c);
        assert_eq!(
            split_access(4, 7).collect::<Vec<_>>(),
            [(4, 4), (8, 2), (10, 1)]
        );
        assert!(access_fits(4, 4, 8));
        assert!(!access_fits(8, 4, 8));
        assert!(!access_fits(u32::MAX, 4, 16));
    }
}
