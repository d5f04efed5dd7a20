//! Device profiles: the behaviour of one real VMM's balloon kept as data, so other VMMs are
//! rows instead of forks. QEMU is here; Cloud Hypervisor, Firecracker and crosvm are in
//! `vmm_profiles.rs`, each citing the source file and commit it was read from.

use serde::Serialize;

use crate::consts::{
    VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_F_PAGE_POISON,
    VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_EVENT_IDX,
    VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1, bit,
};
use crate::costs::RingCosts;

/// Which VMM a profile imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Vmm {
    /// QEMU `hw/virtio/virtio-balloon.c`.
    Qemu,
    /// Cloud Hypervisor `virtio-devices/src/balloon.rs`.
    CloudHypervisor,
    /// Firecracker `src/vmm/src/devices/virtio/balloon/device.rs`.
    Firecracker,
    /// crosvm `devices/src/virtio/balloon.rs`.
    Crosvm,
}

impl Vmm {
    /// Every VMM, in the order the CLI and the compare table list them.
    pub const ALL: [Vmm; 4] = [
        Vmm::Qemu,
        Vmm::CloudHypervisor,
        Vmm::Firecracker,
        Vmm::Crosvm,
    ];

    /// The profile's name on the machine line and the CLI (`-profile NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Vmm::Qemu => "qemu",
            Vmm::CloudHypervisor => "cloud-hypervisor",
            Vmm::Firecracker => "firecracker",
            Vmm::Crosvm => "crosvm",
        }
    }

    /// Parses a profile name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The profile of this VMM.
    pub fn profile(self) -> DeviceProfile {
        match self {
            Vmm::Qemu => DeviceProfile::qemu(),
            Vmm::CloudHypervisor => DeviceProfile::cloud_hypervisor(),
            Vmm::Firecracker => DeviceProfile::firecracker(),
            Vmm::Crosvm => DeviceProfile::crosvm(),
        }
    }
}

/// How the config size follows the offered features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigSizeRule {
    /// QEMU `virtio_balloon_config_size`: 16 with `qemu-4-0-config-size` or PAGE_POISON, 12 with
    /// FREE_PAGE_HINT, else 8.
    QemuByFeatures,
    /// A fixed size (Cloud Hypervisor 8, Firecracker 12, crosvm 20).
    Fixed(u32),
}

/// Which config writes the device keeps (reference section 3, catalogue row 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigWriteRule {
    /// QEMU `virtio_balloon_set_config`: the whole image is copied; `actual` is kept, and
    /// `poison_val` when PAGE_POISON was negotiated.
    QemuSetConfig,
    /// Cloud Hypervisor `Balloon::write_config`: only a 4-byte write at offset 4 (`actual`);
    /// anything else is logged ("Attempt to write to read-only field") and dropped.
    ActualOnly,
    /// Firecracker `Balloon::write_config`: any write inside the config is copied, num_pages
    /// and the hint cmd id included; an out-of-bounds write is logged and dropped.
    AnyInRange,
    /// crosvm `Balloon::write_config`: bytes go into a scratch copy (`copy_config` clamps to the
    /// image) and only `actual` is kept.
    ScratchKeepActual,
}

/// What a device queue error (catalogue rows 5, 10, 11, 12, 21) does, one value per class of
/// error (see [`Reactions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MalformedReaction {
    /// DEVICE_NEEDS_RESET and a config interrupt (with VERSION_1); the device ignores the
    /// guest until reset (QEMU `virtio_error`; Cloud Hypervisor's worker error since 3402bc076).
    VirtioError,
    /// The VMM process panics: the whole VM is gone (Firecracker `report_balloon_event_fail`
    /// on `InvalidAvailIdx`). The simulator shows it as an event and stops the device.
    Abort,
    /// The queue's pop returns nothing, for ever, with nothing told to the guest (Cloud
    /// Hypervisor's `pop_descriptor_chain` on `InvalidAvailRingIndex`; crosvm's `peek` and
    /// Firecracker's `pop` on a bad head).
    Stall,
    /// The element is popped and never returned (Firecracker's `MalformedDescriptor`).
    Lose,
    /// The bad part is skipped and the element acked (whatever was read is used).
    Tolerate,
}

/// The device's reaction per class of malformed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reactions {
    /// avail.idx more than the queue size ahead of next_avail (row 10).
    pub avail_idx: MalformedReaction,
    /// A bad head index, a bad `next` or a bad indirect table (row 11).
    pub chain: MalformedReaction,
    /// A chain whose `next` fields loop (row 11). `Tolerate`: the head descriptor alone is
    /// used (Firecracker reads only the head; Cloud Hypervisor's iterator yields the looping
    /// descriptor until its TTL runs out, the same PFNs again).
    pub loop_chain: MalformedReaction,
    /// A zero-length descriptor (row 12).
    pub zero_length: MalformedReaction,
    /// A buffer outside guest RAM (row 5).
    pub buffer: MalformedReaction,
}

/// Which descriptors of an inflate/deflate element carry PFNs, and what is skipped
/// (catalogue rows 1, 2, 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PfnDescriptors {
    /// QEMU: every driver-readable descriptor (`elem->out_sg`) as one stream; a 1-3 byte tail
    /// is ignored.
    AllReadable,
    /// Cloud Hypervisor `process_queue`: every readable descriptor on its own; one whose length
    /// is not a multiple of 4 is skipped whole.
    EachReadableWhole,
    /// Firecracker `process_inflate`: the head descriptor only; none if it is device-writable or
    /// its length is not a multiple of 4.
    HeadOnly,
    /// crosvm `handle_address_chain`: every readable descriptor as one `Le32` stream; the
    /// reader stops at a partial tail.
    ReaderStream,
}

/// What deflating does to host memory (reference section 1, "Deflate action").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum DeflateAction {
    /// QEMU and Cloud Hypervisor: `MADV_WILLNEED` on the host page (faulted back in).
    WillNeed,
    /// Firecracker `process_deflate_queue`: the element is acked, host memory untouched.
    AckOnly,
    /// crosvm `reclaim_memory` over merged ranges (a no-op on Linux hosts,
    /// devices/src/virtio/balloon/sys/linux.rs): the pages fault back in when written.
    Reclaim,
}

impl DeflateAction {
    /// The VMM function that handles one deflated element.
    pub fn function(self) -> &'static str {
        match self {
            Self::WillNeed => "balloon_deflate_page",
            Self::AckOnly => "process_deflate_queue",
            Self::Reclaim => "reclaim_memory",
        }
    }
}

/// What a stats tag the guest did not send reads as after a sample (reference section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MissingStat {
    /// QEMU `reset_stats` before each sample: `u64::MAX`.
    ResetToMax,
    /// Firecracker `update_with_stat` writes only the tags it gets: the old value stays.
    KeepOld,
    /// crosvm `parse_balloon_stats` starts from a fresh `BalloonStats`: `None`.
    Absent,
}

/// What a device reset does to the config fields (reference section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResetRule {
    /// QEMU, Cloud Hypervisor, crosvm: num_pages and actual survive.
    KeepBoth,
    /// Firecracker `_reset`: actual = 0, cmd_id = STOP, stats cleared; num_pages kept.
    ZeroActual,
}

/// What a PFN buffer larger than 256 PFNs gets (reference section 8, row 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PfnBufferCap {
    /// QEMU and crosvm: no cap.
    None,
    /// Cloud Hypervisor (`VIRTIO_BALLOON_MAX_PFN_BYTES`, cfec13077): a descriptor longer than
    /// this many bytes is skipped; the element is still acked.
    SkipDescriptor(u32),
    /// Firecracker (`MAX_PAGES_IN_DESC`): a head descriptor with more PFNs than this is skipped
    /// with `continue` before `add_used`, so the element is never returned.
    LoseElement(u32),
}

/// What the operator's resize number means (reference section 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OperatorUnits {
    /// QEMU `balloon value=V`: the target guest size in bytes; num_pages = (RAM - V) >> 12.
    TargetGuestBytes,
    /// Cloud Hypervisor `vm.resize {"desired_balloon": B}`: the balloon size in bytes;
    /// num_pages = B >> 12.
    BalloonBytes,
    /// Firecracker `PATCH /balloon {"amount_mib": M}`: the balloon size in MiB;
    /// num_pages = M * 256.
    BalloonMib,
    /// crosvm `crosvm balloon BYTES SOCKET`: the balloon size in bytes, rounded down to 4 KiB.
    BalloonBytesRounded,
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
    /// Reactions to a malformed ring or descriptor.
    pub malformed: Reactions,
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
    /// Whether FREE_PAGE_HINT needs an iothread to realize (QEMU only).
    pub hint_needs_iothread: bool,
    /// Which config writes are kept.
    pub config_write: ConfigWriteRule,
    /// Which descriptors carry PFNs.
    pub pfn_descriptors: PfnDescriptors,
    /// Whether duplicate PFNs in one batch are dropped (Firecracker
    /// `compact_page_frame_numbers`: "Skipping duplicate PFN").
    pub dedup_pfns: bool,
    /// What deflating does to host memory.
    pub deflate_action: DeflateAction,
    /// What a stat the guest did not send reads as.
    pub missing_stat: MissingStat,
    /// Whether the reporting queue's used length is the sum of the descriptor lengths (Cloud
    /// Hypervisor `process_reporting_queue`) rather than 0.
    pub report_used_len_sum: bool,
    /// What a device reset does to num_pages / actual.
    pub reset: ResetRule,
    /// The bytes after the 16 standard config bytes (crosvm: `ws_num_bins`, 3 reserved).
    pub config_tail: [u8; 4],
    /// Whether a partly ballooned host page is remembered across requests (Cloud Hypervisor's
    /// `BalloonEpollHandler::pbp`) rather than per element (QEMU).
    pub pbp_across_requests: bool,
    /// Whether a change of `actual` raises QEMU's QAPI `BALLOON_CHANGE` (the other VMMs have
    /// no such event: Cloud Hypervisor and Firecracker are polled through their APIs, crosvm
    /// answers on its control tube).
    pub balloon_change_events: bool,
    /// What guest and device work cost in virtual time (the pair this profile was measured
    /// with).
    pub costs: RingCosts,
    /// How many guest-stats tags the build knows (its `VIRTIO_BALLOON_S_NR`): tags at or
    /// above are skipped by `virtio_balloon_receive_stats` and `guest-stats` has one key per
    /// known tag. QEMU 7.2's headers stop at 10 (tags 10-15 came with Linux 6.12 and a
    /// later header update); crosvm knows the 10 standard ones.
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
            malformed: Reactions {
                avail_idx: MalformedReaction::VirtioError,
                chain: MalformedReaction::VirtioError,
                loop_chain: MalformedReaction::VirtioError,
                zero_length: MalformedReaction::VirtioError,
                buffer: MalformedReaction::VirtioError,
            },
            pfn_buffer_cap: PfnBufferCap::None,
            operator_units: OperatorUnits::TargetGuestBytes,
            balloon_change_interval_ns: 1_000_000_000,
            // RssAnon of qemu-system-x86_64 7.2 (TCG, q35, -m 1024) before the guest ran: the
            // process alone, before guest RAM is touched (the reference pair's /proc status).
            process_overhead_bytes: 36 << 20,
            hint_needs_iothread: true,
            config_write: ConfigWriteRule::QemuSetConfig,
            pfn_descriptors: PfnDescriptors::AllReadable,
            dedup_pfns: false,
            deflate_action: DeflateAction::WillNeed,
            missing_stat: MissingStat::ResetToMax,
            report_used_len_sum: false,
            reset: ResetRule::KeepBoth,
            config_tail: [0; 4],
            pbp_across_requests: false,
            balloon_change_events: true,
            costs: RingCosts::qemu_7_2_tcg_linux_6_1(),
            stats_tags: 10,
        }
    }
}

/// QEMU's device properties (`virtio_balloon_properties`) with their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// QOM `guest-stats-polling-interval` in seconds at start (0 = off); Firecracker's
    /// `stats_polling_interval_s`, which also decides whether STATS_VQ is offered.
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
            // Firecracker `Balloon::new` offers STATS_VQ only with a polling interval; QEMU
            // and crosvm offer it always, Cloud Hypervisor never (the profile's masks decide).
            (
                self.guest_stats_polling_interval > 0,
                VIRTIO_BALLOON_F_STATS_VQ,
            ),
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
