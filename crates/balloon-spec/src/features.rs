//! Feature bit numbers (spec §5.5.3 and §6), as `virtio-spec` defines them.
//!
//! The numbers are read from `virtio_spec`'s flag values at compile time, so nothing here
//! restates them; [`bit`] turns a number into its mask.

use virtio_spec::F;
use virtio_spec::balloon::F as BalloonF;

const fn number(mask: u128) -> u32 {
    mask.trailing_zeros()
}

/// `VIRTIO_BALLOON_F_MUST_TELL_HOST`: tell the host before reusing a deflated page.
pub const VIRTIO_BALLOON_F_MUST_TELL_HOST: u32 = number(BalloonF::MUST_TELL_HOST.bits().to_ne());
/// `VIRTIO_BALLOON_F_STATS_VQ`: the statistics queue exists.
pub const VIRTIO_BALLOON_F_STATS_VQ: u32 = number(BalloonF::STATS_VQ.bits().to_ne());
/// `VIRTIO_BALLOON_F_DEFLATE_ON_OOM`: deflate when the guest runs out of memory.
pub const VIRTIO_BALLOON_F_DEFLATE_ON_OOM: u32 = number(BalloonF::DEFLATE_ON_OOM.bits().to_ne());
/// `VIRTIO_BALLOON_F_FREE_PAGE_HINT`: free page hinting (free_page_vq, cmd id).
pub const VIRTIO_BALLOON_F_FREE_PAGE_HINT: u32 = number(BalloonF::FREE_PAGE_HINT.bits().to_ne());
/// `VIRTIO_BALLOON_F_PAGE_POISON`: the guest tells its poison value.
pub const VIRTIO_BALLOON_F_PAGE_POISON: u32 = number(BalloonF::PAGE_POISON.bits().to_ne());
/// `VIRTIO_BALLOON_F_PAGE_REPORTING` (Linux: `VIRTIO_BALLOON_F_REPORTING`): free page reporting.
pub const VIRTIO_BALLOON_F_PAGE_REPORTING: u32 = number(BalloonF::PAGE_REPORTING.bits().to_ne());
/// `VIRTIO_F_INDIRECT_DESC` (Linux: `VIRTIO_RING_F_INDIRECT_DESC`).
pub const VIRTIO_F_INDIRECT_DESC: u32 = number(F::INDIRECT_DESC.bits().to_ne());
/// `VIRTIO_F_EVENT_IDX` (Linux: `VIRTIO_RING_F_EVENT_IDX`).
pub const VIRTIO_F_EVENT_IDX: u32 = number(F::EVENT_IDX.bits().to_ne());
/// `VIRTIO_F_VERSION_1`.
pub const VIRTIO_F_VERSION_1: u32 = number(F::VERSION_1.bits().to_ne());
/// `VIRTIO_F_ACCESS_PLATFORM`: always cleared by Linux `virtballoon_validate`.
pub const VIRTIO_F_ACCESS_PLATFORM: u32 = number(F::ACCESS_PLATFORM.bits().to_ne());
/// `VIRTIO_F_RING_RESET`.
pub const VIRTIO_F_RING_RESET: u32 = number(F::RING_RESET.bits().to_ne());

/// The mask of one feature bit.
pub const fn bit(feature: u32) -> u64 {
    1u64 << feature
}

/// Every feature this vocabulary names, with its spec name.
const NAMES: [(u32, &str); 11] = [
    (
        VIRTIO_BALLOON_F_MUST_TELL_HOST,
        "VIRTIO_BALLOON_F_MUST_TELL_HOST",
    ),
    (VIRTIO_BALLOON_F_STATS_VQ, "VIRTIO_BALLOON_F_STATS_VQ"),
    (
        VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
        "VIRTIO_BALLOON_F_DEFLATE_ON_OOM",
    ),
    (
        VIRTIO_BALLOON_F_FREE_PAGE_HINT,
        "VIRTIO_BALLOON_F_FREE_PAGE_HINT",
    ),
    (VIRTIO_BALLOON_F_PAGE_POISON, "VIRTIO_BALLOON_F_PAGE_POISON"),
    (
        VIRTIO_BALLOON_F_PAGE_REPORTING,
        "VIRTIO_BALLOON_F_PAGE_REPORTING",
    ),
    (VIRTIO_F_INDIRECT_DESC, "VIRTIO_F_INDIRECT_DESC"),
    (VIRTIO_F_EVENT_IDX, "VIRTIO_F_EVENT_IDX"),
    (VIRTIO_F_VERSION_1, "VIRTIO_F_VERSION_1"),
    (VIRTIO_F_ACCESS_PLATFORM, "VIRTIO_F_ACCESS_PLATFORM"),
    (VIRTIO_F_RING_RESET, "VIRTIO_F_RING_RESET"),
];

/// A feature's spec name, for sentences ("unknown feature" for a bit nobody named).
pub fn feature_name(feature: u32) -> &'static str {
    NAMES
        .iter()
        .find(|(n, _)| *n == feature)
        .map_or("unknown feature", |(_, name)| name)
}

/// The names of the set bits of `features`, joined with `|` ("none" when empty); a bit
/// nobody named is "bit N".
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

#[cfg(test)]
mod tests {
    use super::*;

    // The numbers are the ones Linux's uapi headers define (virtio_balloon.h,
    // virtio_config.h, virtio_ring.h); a wrong conversion from virtio-spec's masks shows here.
    #[test]
    fn numbers_are_the_uapi_headers() {
        assert_eq!(
            [
                VIRTIO_BALLOON_F_MUST_TELL_HOST,
                VIRTIO_BALLOON_F_STATS_VQ,
                VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
                VIRTIO_BALLOON_F_FREE_PAGE_HINT,
                VIRTIO_BALLOON_F_PAGE_POISON,
                VIRTIO_BALLOON_F_PAGE_REPORTING,
                VIRTIO_F_INDIRECT_DESC,
                VIRTIO_F_EVENT_IDX,
                VIRTIO_F_VERSION_1,
                VIRTIO_F_ACCESS_PLATFORM,
                VIRTIO_F_RING_RESET,
            ],
            [0, 1, 2, 3, 4, 5, 28, 29, 32, 33, 40]
        );
    }

    #[test]
    fn names_join_and_fall_back_to_bit_numbers() {
        assert_eq!(feature_names(0), "none");
        assert_eq!(
            feature_names(bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_F_VERSION_1) | bit(8)),
            "VIRTIO_BALLOON_F_STATS_VQ|bit 8|VIRTIO_F_VERSION_1"
        );
    }
}
