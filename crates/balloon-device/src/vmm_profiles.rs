//! Cloud Hypervisor, Firecracker and crosvm as rows of [`DeviceProfile`]: the same device, other
//! data. Each constructor names the file and commit its facts were read from.

use crate::consts::{
    VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT,
    VIRTIO_BALLOON_F_MUST_TELL_HOST, VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO_BALLOON_F_STATS_VQ,
    VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1, bit,
};
use crate::costs::RingCosts;
use crate::profile::{
    ConfigSizeRule, ConfigWriteRule, DeflateAction, DeviceProfile, MalformedReaction, MissingStat,
    OperatorUnits, PfnBufferCap, PfnDescriptors, Reactions, ResetRule, Vmm,
};

impl DeviceProfile {
    /// Cloud Hypervisor main at ae44c2971c83 (2026-08-22), `virtio-devices/src/balloon.rs`:
    /// - `Balloon::new`: `avail_features` = VERSION_1, plus DEFLATE_ON_OOM and REPORTING when
    ///   asked; no STATS_VQ; `queue_sizes` = [128, 128] (`QUEUE_SIZE`) plus 32
    ///   (`REPORTING_QUEUE_SIZE`), so the reporting queue is index 2.
    /// - `VirtioBalloonConfig { num_pages, actual }`: 8 bytes; `write_config` keeps only a
    ///   4-byte write at `CONFIG_ACTUAL_OFFSET` (4).
    /// - `process_queue`: device-writable descriptors, lengths not a multiple of 4 and lengths
    ///   over `VIRTIO_BALLOON_MAX_PFN_BYTES` (1024) are skipped; a failed PFN read breaks the
    ///   loop; the element is always acked with `add_used(.., 0)`. Inflate:
    ///   `release_memory_range_4k` (the `PartiallyBalloonedPage` lives in the handler, across
    ///   requests); deflate: `MADV_WILLNEED`.
    /// - `process_reporting_queue`: `add_used(.., descs_len)`, the sum of descriptor lengths.
    /// - `reset` only calls `common.reset()`: the config (num_pages, actual) is kept.
    /// - virtio-queue's `pop_descriptor_chain` logs and returns `None` on
    ///   `InvalidAvailRingIndex` (the queue stalls); an `add_used` error ends the worker, which
    ///   sets DEVICE_NEEDS_RESET (commit 3402bc076).
    /// - Operator: `vm.resize {"desired_balloon": bytes}` → `Balloon::resize`:
    ///   num_pages = size >> 12.
    pub fn cloud_hypervisor() -> Self {
        Self {
            vmm: Vmm::CloudHypervisor,
            always_offered: 0,
            optional_features: bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
                | bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            transport_features: bit(VIRTIO_F_VERSION_1),
            inflate_queue_size: 128,
            deflate_queue_size: 128,
            stats_queue_size: 0,
            stats_queue_always: false,
            free_page_queue_size: 0,
            reporting_queue_size: 32,
            config_size: ConfigSizeRule::Fixed(8),
            pfn_buffer_cap: PfnBufferCap::SkipDescriptor(256 * 4),
            operator_units: OperatorUnits::BalloonBytes,
            balloon_change_interval_ns: 1_000_000_000,
            process_overhead_bytes: 36 << 20,
            hint_needs_iothread: false,
            config_write: ConfigWriteRule::ActualOnly,
            malformed: Reactions {
                avail_idx: MalformedReaction::Stall,
                chain: MalformedReaction::VirtioError,
                loop_chain: MalformedReaction::Tolerate,
                zero_length: MalformedReaction::Tolerate,
                buffer: MalformedReaction::Tolerate,
            },
            pfn_descriptors: PfnDescriptors::EachReadableWhole,
            dedup_pfns: false,
            deflate_action: DeflateAction::WillNeed,
            missing_stat: MissingStat::ResetToMax,
            stats_tags: 16,
            report_used_len_sum: true,
            reset: ResetRule::KeepBoth,
            config_tail: [0; 4],
            pbp_across_requests: true,
            balloon_change_events: false,
            costs: RingCosts::unmeasured(),
        }
    }

    /// Firecracker main at 81b38b9dad60 (2026-08-21), `src/vmm/src/devices/virtio/balloon/`:
    /// - `device.rs` `Balloon::new`: VERSION_1, DEFLATE_ON_OOM if asked, STATS_VQ only when
    ///   `stats_polling_interval_s > 0`, FREE_PAGE_HINTING and FREE_PAGE_REPORTING if asked;
    ///   every queue `BALLOON_QUEUE_SIZE` = `FIRECRACKER_MAX_QUEUE_SIZE` (256, `queue.rs`);
    ///   hint and report indices follow the offered features (`free_page_hinting_idx`,
    ///   `free_page_reporting_idx`).
    /// - `ConfigSpace { num_pages, actual_pages, free_page_hint_cmd_id }`: 12 bytes
    ///   (`BALLOON_CONFIG_SPACE_SIZE`); `write_config` copies any in-bounds write.
    /// - `process_inflate`: the head descriptor only; a writable head or a length not a
    ///   multiple of 4 gives no PFNs (acked); more than `MAX_PAGES_IN_DESC` (256) PFNs:
    ///   "bogus page count" and `continue` before `add_used` (never returned); a failed read is
    ///   `MalformedDescriptor` (the element is lost); `compact_page_frame_numbers` (`util.rs`)
    ///   drops duplicates. `process_deflate_queue`: `add_used` only.
    /// - `update_with_stat` writes only the tags received: a missing stat keeps its old value.
    /// - `_reset`: `actual_pages = 0`, cmd id STOP, timer off, stats cleared; num_pages kept.
    /// - `queue.rs` `pop`: `InvalidAvailIdx` when more than the queue size is pending, which
    ///   `report_balloon_event_fail` (`mod.rs`) turns into `panic!`; `DescriptorChain::checked_new`
    ///   returns `None` for a head ≥ size or a bad `next`, so `pop` stops there.
    /// - Operator: `PATCH /balloon {"amount_mib": M}` → `update_size`: num_pages = M * 256.
    pub fn firecracker() -> Self {
        Self {
            vmm: Vmm::Firecracker,
            always_offered: 0,
            optional_features: bit(VIRTIO_BALLOON_F_STATS_VQ)
                | bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
                | bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT)
                | bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            transport_features: bit(VIRTIO_F_VERSION_1),
            inflate_queue_size: 256,
            deflate_queue_size: 256,
            stats_queue_size: 256,
            stats_queue_always: false,
            free_page_queue_size: 256,
            reporting_queue_size: 256,
            config_size: ConfigSizeRule::Fixed(12),
            pfn_buffer_cap: PfnBufferCap::LoseElement(256),
            operator_units: OperatorUnits::BalloonMib,
            balloon_change_interval_ns: 1_000_000_000,
            process_overhead_bytes: 36 << 20,
            hint_needs_iothread: false,
            config_write: ConfigWriteRule::AnyInRange,
            malformed: Reactions {
                avail_idx: MalformedReaction::Abort,
                chain: MalformedReaction::Stall,
                loop_chain: MalformedReaction::Tolerate,
                zero_length: MalformedReaction::Tolerate,
                buffer: MalformedReaction::Lose,
            },
            pfn_descriptors: PfnDescriptors::HeadOnly,
            dedup_pfns: true,
            deflate_action: DeflateAction::AckOnly,
            missing_stat: MissingStat::KeepOld,
            stats_tags: 16,
            report_used_len_sum: false,
            reset: ResetRule::ZeroActual,
            config_tail: [0; 4],
            pbp_across_requests: false,
            balloon_change_events: false,
            costs: RingCosts::unmeasured(),
        }
    }

    /// crosvm main at f1e797a68dad (2026-08-21), `devices/src/virtio/balloon.rs`:
    /// - Transport features from `virtio::base_features` (`devices/src/virtio/mod.rs`):
    ///   VERSION_1, RING_EVENT_IDX and crosvm's VIRTIO_F_SUSPEND (42), which Linux does not
    ///   know and declines.
    /// - `Balloon::new`: MUST_TELL_HOST, STATS_VQ and DEFLATE_ON_OOM always, PAGE_REPORTING
    ///   when enabled; every queue `QUEUE_SIZE` (128), pushed in order of the offered features.
    /// - `virtio_balloon_config`: num_pages, actual, cmd id (0), poison_val (0), `ws_num_bins`
    ///   (`VIRTIO_BALLOON_WS_DEFAULT_NUM_BINS` = 4, `src/crosvm/config.rs`) and 3 reserved
    ///   bytes: 20 bytes. `write_config` copies into a scratch config and keeps only `actual`.
    /// - `handle_address_chain`: one `Le32` stream over the readable descriptors, merged into
    ///   ranges; a read error breaks the loop; `handle_queue` always acks
    ///   (`add_used`, 0 bytes written). Deflate: `reclaim_memory`.
    /// - `parse_balloon_stats` starts from `BalloonStats::default()`: a missing stat is `None`;
    ///   `update_stats` knows tags 0-9 (and two non-standard ones), not 10-15.
    /// - `reset` stops the worker and sends `NotReady`; the shared state keeps num_pages and
    ///   actual.
    /// - `queue/split_queue.rs` `peek`: no check on how far avail.idx is ahead; a bad chain
    ///   makes `DescriptorChain::new` fail and `peek` return `None` (the queue stalls).
    /// - Operator: `crosvm balloon BYTES SOCKET` → `BalloonTubeCommand::Adjust{num_bytes}`:
    ///   num_pages = num_bytes >> 12.
    pub fn crosvm() -> Self {
        Self {
            vmm: Vmm::Crosvm,
            always_offered: bit(VIRTIO_BALLOON_F_MUST_TELL_HOST)
                | bit(VIRTIO_BALLOON_F_STATS_VQ)
                | bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
            optional_features: bit(VIRTIO_BALLOON_F_PAGE_REPORTING),
            // `virtio::base_features` (devices/src/virtio/mod.rs), which the caller passes:
            // VERSION_1, RING_EVENT_IDX and crosvm's own VIRTIO_F_SUSPEND (bit 42).
            transport_features: bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_F_EVENT_IDX) | (1 << 42),
            inflate_queue_size: 128,
            deflate_queue_size: 128,
            stats_queue_size: 128,
            stats_queue_always: false,
            free_page_queue_size: 0,
            reporting_queue_size: 128,
            config_size: ConfigSizeRule::Fixed(20),
            pfn_buffer_cap: PfnBufferCap::None,
            operator_units: OperatorUnits::BalloonBytesRounded,
            balloon_change_interval_ns: 1_000_000_000,
            process_overhead_bytes: 36 << 20,
            hint_needs_iothread: false,
            config_write: ConfigWriteRule::ScratchKeepActual,
            malformed: Reactions {
                // crosvm has no check at all here (`peek`); the simulator's rings refuse to
                // pop past the window, so the queue is shown stopped.
                avail_idx: MalformedReaction::Stall,
                chain: MalformedReaction::Stall,
                loop_chain: MalformedReaction::Stall,
                zero_length: MalformedReaction::Tolerate,
                buffer: MalformedReaction::Tolerate,
            },
            pfn_descriptors: PfnDescriptors::ReaderStream,
            dedup_pfns: false,
            deflate_action: DeflateAction::Reclaim,
            missing_stat: MissingStat::Absent,
            stats_tags: 10,
            report_used_len_sum: false,
            reset: ResetRule::KeepBoth,
            config_tail: [4, 0, 0, 0],
            pbp_across_requests: false,
            balloon_change_events: false,
            costs: RingCosts::unmeasured(),
        }
    }
}
