//! Feature bits, `virtballoon_validate`, and the queue numbering Linux's `init_vqs` produces.

pub use balloon_spec::features::*;
pub use balloon_spec::{config, status};

/// Linux's `features[]` table of virtio_balloon.c (bits 0-5) plus the transport bits Linux
/// accepts here (`vring_transport_features`: EVENT_IDX, VERSION_1, ACCESS_PLATFORM,
/// RING_RESET).
pub const DRIVER_FEATURES: u64 = bit(VIRTIO_BALLOON_F_MUST_TELL_HOST)
    | bit(VIRTIO_BALLOON_F_STATS_VQ)
    | bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
    | bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT)
    | bit(VIRTIO_BALLOON_F_PAGE_POISON)
    | bit(VIRTIO_BALLOON_F_PAGE_REPORTING)
    | bit(VIRTIO_F_EVENT_IDX)
    | bit(VIRTIO_F_VERSION_1)
    | bit(VIRTIO_F_ACCESS_PLATFORM)
    | bit(VIRTIO_F_RING_RESET);

/// What the guest kernel does with freed pages, which decides PAGE_POISON and REPORTING.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PagePoison {
    /// Neither page poisoning nor init_on_free: PAGE_POISON is declined.
    Off,
    /// `page_poison=1`: freed pages are filled with 0xaa; poison_val 0xaaaaaaaa.
    Poisoning,
    /// `init_on_free=1`: freed pages are zeroed; poison_val 0.
    InitOnFree,
}

impl PagePoison {
    /// The `poison_val` Linux writes.
    pub fn poison_val(self) -> u32 {
        match self {
            PagePoison::Poisoning => 0xaaaa_aaaa,
            _ => 0,
        }
    }
}

/// Linux `virtballoon_validate` plus the driver's feature table: what the guest accepts.
pub fn validate(offered: u64, poison: PagePoison) -> u64 {
    let mut f = offered & DRIVER_FEATURES;
    if poison == PagePoison::Off {
        f &= !bit(VIRTIO_BALLOON_F_PAGE_POISON);
    } else if offered & bit(VIRTIO_BALLOON_F_PAGE_POISON) == 0 {
        // The host cannot keep the poison value, so reported pages would come back wrong.
        f &= !bit(VIRTIO_BALLOON_F_PAGE_REPORTING);
    }
    f & !bit(VIRTIO_F_ACCESS_PLATFORM)
}

/// The balloon's queues, by job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// inflateq (`ivq`).
    Inflate,
    /// deflateq (`dvq`).
    Deflate,
    /// statsq (`svq`).
    Stats,
    /// free_page_vq.
    FreePage,
    /// reporting_vq.
    Reporting,
}

impl Role {
    /// Every role in spec order.
    pub const ALL: [Role; 5] = [
        Role::Inflate,
        Role::Deflate,
        Role::Stats,
        Role::FreePage,
        Role::Reporting,
    ];
    /// Linux's name for the queue.
    pub fn name(self) -> &'static str {
        match self {
            Role::Inflate => "inflate",
            Role::Deflate => "deflate",
            Role::Stats => "stats",
            Role::FreePage => "free_page_vq",
            Role::Reporting => "reporting_vq",
        }
    }
    fn feature(self) -> u64 {
        match self {
            Role::Inflate | Role::Deflate => 0,
            Role::Stats => bit(VIRTIO_BALLOON_F_STATS_VQ),
            Role::FreePage => bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT),
            Role::Reporting => bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
        }
    }
    /// Smallest ring the driver accepts (`virtballoon_probe`: 2 for hinting, 32 for reporting).
    pub fn min_size(self) -> u16 {
        match self {
            Role::FreePage => 2,
            Role::Reporting => 32,
            _ => 1,
        }
    }
}

/// Linux `init_vqs`: queues of absent features are left out and the rest renumbered, so the
/// index of each queue depends on the *negotiated* features.
pub fn queue_indices(features: u64) -> Vec<(Role, u16)> {
    Role::ALL
        .iter()
        .filter(|r| r.feature() == 0 || features & r.feature() != 0)
        .enumerate()
        .map(|(i, r)| (*r, i as u16))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_drops_reporting_when_poisoning_without_device_poison() {
        let all = 0x3f | bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_F_ACCESS_PLATFORM);
        assert_eq!(
            validate(all, PagePoison::Off),
            all & !bit(VIRTIO_BALLOON_F_PAGE_POISON) & !bit(VIRTIO_F_ACCESS_PLATFORM)
        );
        assert_eq!(
            validate(all, PagePoison::Poisoning),
            all & !bit(VIRTIO_F_ACCESS_PLATFORM)
        );
        let no_poison = all & !bit(VIRTIO_BALLOON_F_PAGE_POISON);
        assert_eq!(
            validate(no_poison, PagePoison::Poisoning) & bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            0
        );
        assert_ne!(
            validate(no_poison, PagePoison::Off) & bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            0
        );
    }
}
