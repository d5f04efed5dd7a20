//! Feature bits, `virtballoon_validate`, and the queue numbering Linux's `init_vqs` produces.

/// `VIRTIO_BALLOON_F_MUST_TELL_HOST`: tell the host before reusing a page.
pub const F_MUST_TELL_HOST: u64 = 1 << 0;
/// `VIRTIO_BALLOON_F_STATS_VQ`: the statistics queue exists.
pub const F_STATS_VQ: u64 = 1 << 1;
/// `VIRTIO_BALLOON_F_DEFLATE_ON_OOM`: deflate when the guest runs out of memory.
pub const F_DEFLATE_ON_OOM: u64 = 1 << 2;
/// `VIRTIO_BALLOON_F_FREE_PAGE_HINT`: free page hinting (free_page_vq, cmd id).
pub const F_FREE_PAGE_HINT: u64 = 1 << 3;
/// `VIRTIO_BALLOON_F_PAGE_POISON`: the guest tells its poison value.
pub const F_PAGE_POISON: u64 = 1 << 4;
/// `VIRTIO_BALLOON_F_PAGE_REPORTING` (Linux `F_REPORTING`): free page reporting.
pub const F_PAGE_REPORTING: u64 = 1 << 5;
/// `VIRTIO_F_RING_EVENT_IDX`.
pub const F_RING_EVENT_IDX: u64 = 1 << 29;
/// `VIRTIO_F_VERSION_1`.
pub const F_VERSION_1: u64 = 1 << 32;
/// `VIRTIO_F_ACCESS_PLATFORM`: always cleared by `virtballoon_validate`.
pub const F_ACCESS_PLATFORM: u64 = 1 << 33;
/// The balloon's own feature table (bits 0-5) plus the transport bits Linux accepts here.
pub const DRIVER_FEATURES: u64 = 0x3f | F_RING_EVENT_IDX | F_VERSION_1 | F_ACCESS_PLATFORM;

/// Device status bits (spec 2.1).
pub mod status {
    /// ACKNOWLEDGE.
    pub const ACKNOWLEDGE: u8 = 1;
    /// DRIVER.
    pub const DRIVER: u8 = 2;
    /// DRIVER_OK.
    pub const DRIVER_OK: u8 = 4;
    /// FEATURES_OK.
    pub const FEATURES_OK: u8 = 8;
    /// DEVICE_NEEDS_RESET.
    pub const NEEDS_RESET: u8 = 64;
    /// FAILED.
    pub const FAILED: u8 = 128;
}

/// Config space offsets (all le32).
pub mod config {
    /// num_pages: the host's target.
    pub const NUM_PAGES: u32 = 0;
    /// actual: what the guest has given.
    pub const ACTUAL: u32 = 4;
    /// free_page_hint_cmd_id.
    pub const FREE_PAGE_HINT_CMD_ID: u32 = 8;
    /// poison_val.
    pub const POISON_VAL: u32 = 12;
}

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
        f &= !F_PAGE_POISON;
    } else if offered & F_PAGE_POISON == 0 {
        // The host cannot keep the poison value, so reported pages would come back wrong.
        f &= !F_PAGE_REPORTING;
    }
    f & !F_ACCESS_PLATFORM
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
            Role::Stats => F_STATS_VQ,
            Role::FreePage => F_FREE_PAGE_HINT,
            Role::Reporting => F_PAGE_REPORTING,
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
        let all = 0x3f | F_VERSION_1 | F_ACCESS_PLATFORM;
        assert_eq!(
            validate(all, PagePoison::Off),
            all & !F_PAGE_POISON & !F_ACCESS_PLATFORM
        );
        assert_eq!(
            validate(all, PagePoison::Poisoning),
            all & !F_ACCESS_PLATFORM
        );
        let no_poison = all & !F_PAGE_POISON;
        assert_eq!(
            validate(no_poison, PagePoison::Poisoning) & F_PAGE_REPORTING,
            0
        );
        assert_ne!(validate(no_poison, PagePoison::Off) & F_PAGE_REPORTING, 0);
    }
}
