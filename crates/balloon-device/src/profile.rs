//! Device profiles: the behaviour of one real VMM's balloon kept as data, so other VMMs can be
//! added as rows instead of forks (reference section 1). Only QEMU is built.

use serde::Serialize;

use crate::consts::{
    VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_F_PAGE_POISON,
    VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_EVENT_IDX,
    VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1, bit,
};
use crate::costs::RingCosts;

/// Which VMM a profile imitates. Firecracker, Cloud Hypervisor and crosvm have rows in the
/// reference table but no profile yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Vmm {
    /// QEMU `hw/virtio/virtio-balloon.c`.
    Qemu,
}

/// How the config size follows the offered features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigSizeRule {
    /// QEMU `virtio_balloon_config_size`: 16 with `qemu-4-0-config-size` or PAGE_POISON, 12 with
    /// FREE_PAGE_HINT, else 8.
    QemuByFeatures,
    /// A fixed size (Cloud Hypervisor 8, Firecracker 12, crosvm 20); not built yet.
    Fixed(u32),
}

/// What the device does when the guest's ring or a descriptor is malformed (reference section 8,
/// rows 5, 10, 11, 12, 17, 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MalformedReaction {
    /// QEMU `virtio_error`: DEVICE_NEEDS_RESET (with VERSION_1), a config interrupt, and the
    /// device is broken until reset.
    VirtioError,
}

/// What a PFN buffer larger than 256 PFNs gets (reference section 8, row 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PfnBufferCap {
    /// QEMU and crosvm: no cap.
    None,
}

/// What the operator's resize number means (reference section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OperatorUnits {
    /// QEMU `balloon value=V`: the target guest size in bytes; num_pages = (RAM - V) >> 12.
    TargetGuestBytes,
}

/// The device's behaviour, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceProfile {
    /// Which VMM this imitates.
    pub vmm: Vmm,
    /// Balloon feature bits offered whatever the properties say (QEMU: STATS_VQ).
    pub always_offered: u64,
    /// Balloon feature bits the properties may switch on.
    pub optional_features: u64,
    /// Transport features offered (VERSION_1, EVENT_IDX, INDIRECT_DESC).
    pub transport_features: u64,
    /// inflateq size.
    pub inflate_queue_size: u16,
    /// deflateq size.
    pub deflate_queue_size: u16,
    /// statsq size.
    pub stats_queue_size: u16,
    /// Whether the statsq exists even when STATS_VQ is not offered (QEMU: always created).
    pub stats_queue_always: bool,
    /// free_page_vq size (QEMU `VIRTQUEUE_MAX_SIZE`).
    pub free_page_queue_size: u16,
    /// reporting_vq size.
    pub reporting_queue_size: u16,
    /// Config size rule.
    pub config_size: ConfigSizeRule,
    /// Reaction to a malformed ring or descriptor.
    pub malformed: MalformedReaction,
    /// Cap on PFN buffers.
    pub pfn_buffer_cap: PfnBufferCap,
    /// Operator units.
    pub operator_units: OperatorUnits,
    /// Minimum virtual time between two BALLOON_CHANGE events (QEMU: 1 s,
    /// `monitor_qapi_event_conf`).
    pub balloon_change_interval_ns: u64,
    /// The VMM process's own resident memory, besides guest RAM: its code, heap, device
    /// state and (under TCG) translation buffers.
    pub process_overhead_bytes: u64,
    /// What guest and device work cost in virtual time (the pair this profile was measured
    /// with).
    pub costs: RingCosts,
    /// How many guest-stats tags the build knows (its `VIRTIO_BALLOON_S_NR`): tags at or
    /// above are skipped by `virtio_balloon_receive_stats` and `guest-stats` has one key per
    /// known tag. QEMU 7.2's headers stop at 10 (tags 10-15 came with Linux 6.12 and a
    /// later header update).
    pub stats_tags: usize,
}

impl DeviceProfile {
    /// QEMU 7.2's balloon, the measured pair's (VIRTIO_BALLOON_S_NR = 10).
    pub fn qemu() -> Self {
        Self {
            vmm: Vmm::Qemu,
            always_offered: bit(VIRTIO_BALLOON_F_STATS_VQ),
            optional_features: bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
                | bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT)
                | bit(VIRTIO_BALLOON_F_PAGE_POISON)
                | bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            // RING_RESET: `queue_reset` in DEFINE_VIRTIO_COMMON_FEATURES, on by default since
            // QEMU 7.2; the measured pair negotiates it.
            transport_features: bit(VIRTIO_F_VERSION_1)
                | bit(VIRTIO_F_EVENT_IDX)
                | bit(VIRTIO_F_INDIRECT_DESC)
                | bit(VIRTIO_F_RING_RESET),
            inflate_queue_size: 128,
            deflate_queue_size: 128,
            stats_queue_size: 128,
            stats_queue_always: true,
            free_page_queue_size: 1024,
            reporting_queue_size: 32,
            config_size: ConfigSizeRule::QemuByFeatures,
            malformed: MalformedReaction::VirtioError,
            pfn_buffer_cap: PfnBufferCap::None,
            operator_units: OperatorUnits::TargetGuestBytes,
            balloon_change_interval_ns: 1_000_000_000,
            // RssAnon of qemu-system-x86_64 7.2 (TCG, q35, -m 1024) before the guest ran: the
            // process alone, before guest RAM is touched (the reference pair's /proc status).
            process_overhead_bytes: 36 << 20,
            costs: RingCosts::qemu_7_2_tcg_linux_6_1(),
            stats_tags: 10,
        }
    }
}

/// QEMU's device properties (`virtio_balloon_properties`) with their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalloonProps {
    /// `deflate-on-oom` (bit 2, default off).
    pub deflate_on_oom: bool,
    /// `free-page-hint` (bit 3, default off; QEMU requires `iothread` with it).
    pub free_page_hint: bool,
    /// `page-poison` (bit 4, default on since the 5.1 machine types).
    pub page_poison: bool,
    /// `free-page-reporting` (bit 5, default off).
    pub free_page_reporting: bool,
    /// `qemu-4-0-config-size` (default off).
    pub qemu_4_0_config_size: bool,
    /// Whether an `iothread` link is set (needed by `free-page-hint`).
    pub iothread: bool,
    /// QOM `guest-stats-polling-interval` in seconds at start (0 = off).
    pub guest_stats_polling_interval: u32,
}

impl Default for BalloonProps {
    fn default() -> Self {
        Self {
            deflate_on_oom: false,
            free_page_hint: false,
            page_poison: true,
            free_page_reporting: false,
            qemu_4_0_config_size: false,
            iothread: false,
            guest_stats_polling_interval: 0,
        }
    }
}

impl BalloonProps {
    /// `host_features` as the properties set them (`DEFINE_PROP_BIT64`).
    pub fn host_features(&self) -> u64 {
        let mut f = 0;
        for (on, b) in [
            (self.deflate_on_oom, VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
            (self.free_page_hint, VIRTIO_BALLOON_F_FREE_PAGE_HINT),
            (self.page_poison, VIRTIO_BALLOON_F_PAGE_POISON),
            (self.free_page_reporting, VIRTIO_BALLOON_F_PAGE_REPORTING),
        ] {
            if on {
                f |= bit(b);
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_defaults_offer_stats_and_poison_only() {
        let p = DeviceProfile::qemu();
        let props = BalloonProps::default();
        let offered = (props.host_features() & p.optional_features) | p.always_offered;
        assert_eq!(
            offered,
            bit(VIRTIO_BALLOON_F_STATS_VQ) | bit(VIRTIO_BALLOON_F_PAGE_POISON)
        );
        assert_eq!(
            p.transport_features,
            (1 << 40) | (1 << 32) | (1 << 29) | (1 << 28)
        );
    }
}
