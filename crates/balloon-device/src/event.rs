//! What the device did, one event per step, with the data that moved.

use serde::Serialize;
use virtq::QueueLayout;

use crate::config::BalloonConfig;
use crate::consts::{feature_names, status_names};
use crate::hint::{HintStatus, PrecopyNotifyReason};
use crate::profile::BalloonProps;
use crate::runs::{PfnRun, describe, total};
use crate::stats::{StatValues, StatsParse};
use crate::vq::{PushReason, QueueKind};

/// A queue as events name it: transport index and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueRef {
    /// Transport queue index (compacted over present queues).
    pub index: u16,
    /// Role.
    pub kind: QueueKind,
}

impl std::fmt::Display for QueueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (queue {})", self.kind.name(), self.index)
    }
}

/// A `BALLOON_CHANGE` QAPI event raised by a config write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BalloonChange {
    /// `actual` in bytes: guest RAM minus the balloon.
    pub actual: i64,
    /// False when the one-per-second throttle holds it back (it is sent when the window closes,
    /// unless a newer value replaces it).
    pub sent_now: bool,
}

/// One step of the device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DeviceEvent {
    /// `type_init(virtio_register_types)` -> `type_register_static`.
    TypeRegistered {
        /// "virtio-balloon-device".
        type_name: &'static str,
    },
    /// `virtio_balloon_class_init`: properties and hooks.
    ClassInit {
        /// The property values this device gets.
        props: BalloonProps,
    },
    /// `virtio_balloon_instance_init`.
    InstanceInit {
        /// `free_page_hint_cmd_id` = 0x80000000.
        cmd_id: u32,
    },
    /// `virtio_balloon_device_realize` -> `virtio_init`.
    Realized {
        /// 5.
        device_id: u32,
        /// Config size in bytes (8, 12 or 16).
        config_size: usize,
        /// Features the device will offer.
        features: u64,
    },
    /// Realize refused (QEMU prints the error and the device does not appear).
    RealizeFailed {
        /// The message.
        message: String,
    },
    /// `virtio_add_queue`.
    QueueAdded {
        /// The queue.
        queue: QueueRef,
        /// Its maximum size.
        size: u16,
    },
    /// End of realize: `reset_stats`, `stats_last_update = 0`.
    StatsReset,
    /// `virtio_balloon_device_unrealize`.
    Unrealized {
        /// How many queues `virtio_delete_queue` removed.
        queues_deleted: usize,
    },
    /// The driver read the device features (`virtio_balloon_get_features`).
    FeaturesRead {
        /// All 64 bits.
        features: u64,
    },
    /// The driver wrote its features (`virtio_set_features`).
    DriverFeaturesSet {
        /// What the driver wrote.
        requested: u64,
        /// What was kept (masked with the offered features).
        accepted: u64,
        /// False when FEATURES_OK was already set and the write was refused.
        applied: bool,
    },
    /// The driver wrote the status byte (`virtio_set_status`).
    StatusSet {
        /// Old status.
        old: u8,
        /// New status.
        new: u8,
    },
    /// Status 0: `virtio_reset` -> `virtio_balloon_device_reset`.
    DeviceReset {
        /// Status before.
        old_status: u8,
        /// Kept: num_pages.
        num_pages: u32,
        /// Kept: actual.
        actual: u32,
        /// The held stats element that was un-popped, if any.
        unpopped_stats: Option<u16>,
    },
    /// A config read (`virtio_balloon_get_config` refreshed the copy first).
    ConfigRead {
        /// Offset.
        offset: u32,
        /// Bytes read (little-endian).
        data: Vec<u8>,
        /// The fields at that moment.
        config: BalloonConfig,
    },
    /// A config access past the config size: reads return all ones, writes are dropped.
    ConfigAccessOutOfRange {
        /// Offset.
        offset: u32,
        /// Length.
        len: usize,
        /// Config size.
        size: usize,
        /// Write (true) or read.
        write: bool,
    },
    /// A config write (`virtio_balloon_set_config` copies actual and, with PAGE_POISON,
    /// poison_val).
    ConfigWritten {
        /// Offset.
        offset: u32,
        /// Bytes written.
        data: Vec<u8>,
        /// Fields before.
        old: BalloonConfig,
        /// Fields after.
        new: BalloonConfig,
        /// The BALLOON_CHANGE this raised.
        balloon_change: Option<BalloonChange>,
    },
    /// The driver placed a queue (`virtio_queue_set_addr`, enable).
    QueueConfigured {
        /// The queue.
        queue: QueueRef,
        /// Where it lives.
        layout: QueueLayout,
        /// Whether EVENT_IDX was negotiated.
        event_idx: bool,
    },
    /// The queue layout was refused.
    QueueConfigFailed {
        /// The queue.
        queue: QueueRef,
        /// Why.
        error: String,
    },
    /// A transport operation named a queue that does not exist.
    NoSuchQueue {
        /// The index.
        index: u16,
        /// The operation.
        op: &'static str,
    },
    /// A kick (`virtio_queue_notify`).
    Kicked {
        /// The queue.
        queue: QueueRef,
        /// False when ignored (queue not ready, device broken).
        accepted: bool,
    },
    /// `virtqueue_pop` took an element.
    Popped {
        /// The queue.
        queue: QueueRef,
        /// Head descriptor index.
        head: u16,
        /// Descriptors in the chain.
        descriptors: usize,
        /// Bytes in device-readable buffers.
        readable_bytes: u64,
        /// Bytes in device-writable buffers.
        writable_bytes: u64,
        /// Through an indirect table.
        indirect: bool,
        /// next_avail before and after.
        next_avail: (u16, u16),
    },
    /// `virtqueue_pop` found the ring empty: the handler returns.
    QueueDrained {
        /// The queue.
        queue: QueueRef,
        /// The device's next_avail.
        next_avail: u16,
    },
    /// `balloon_inflate_page` for each PFN of one element.
    Inflated {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// Valid PFNs, as runs.
        pfns: Vec<PfnRun>,
        /// PFNs outside RAM, skipped (`trace_virtio_balloon_bad_addr`).
        bad_pfns: Vec<PfnRun>,
        /// Trailing bytes that do not make a whole PFN.
        tail_bytes: u64,
        /// Frames newly discarded.
        frames_discarded: u64,
        /// Host pages discarded.
        host_pages_discarded: u64,
        /// Subpages of partial host pages given up (other host page, or end of element).
        partial_subpages_lost: u64,
        /// Host resident size after.
        resident_bytes: u64,
        /// Discards inhibited (`virtio_balloon_inhibited`): acknowledged only.
        inhibited: bool,
    },
    /// `balloon_deflate_page` for each PFN of one element.
    Deflated {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// Valid PFNs, as runs.
        pfns: Vec<PfnRun>,
        /// PFNs outside RAM, skipped.
        bad_pfns: Vec<PfnRun>,
        /// Trailing bytes.
        tail_bytes: u64,
        /// Frames made resident again (MADV_WILLNEED on whole host pages).
        frames_resident: u64,
        /// Host resident size after.
        resident_bytes: u64,
        /// Discards inhibited: acknowledged only.
        inhibited: bool,
    },
    /// `virtio_balloon_receive_stats` parsed and now holds an element.
    StatsReceived {
        /// The queue.
        queue: QueueRef,
        /// Element head (held).
        head: u16,
        /// What parsing found.
        parse: StatsParse,
        /// The stats after.
        stats: StatValues,
        /// `stats_last_update`.
        last_update: i64,
        /// The poll timer deadline, if polling is on.
        timer: Option<u64>,
    },
    /// A cmd-id buffer on free_page_vq (`get_free_page_hints`).
    HintCmdId {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// The id the guest sent.
        id: u32,
        /// Status before.
        old: HintStatus,
        /// Status after.
        new: HintStatus,
    },
    /// Hinted free ranges (`qemu_guest_free_page_hint`).
    HintRanges {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// The ranges.
        runs: Vec<PfnRun>,
        /// Whether they were taken (status START) or ignored.
        taken: bool,
        /// Frames newly marked "may skip migrating".
        newly_hinted: u64,
    },
    /// `virtio_balloon_handle_report` for one element.
    Reported {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// Ranges discarded.
        discarded: Vec<PfnRun>,
        /// Frames newly discarded.
        frames_discarded: u64,
        /// Ranges skipped for alignment or length.
        misaligned: u64,
        /// Whole element skipped because poison_val != 0.
        skipped_for_poison: Option<u32>,
        /// Whole element skipped because discards are inhibited.
        inhibited: bool,
        /// Host resident size after.
        resident_bytes: u64,
    },
    /// `virtqueue_push`.
    UsedPushed {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
        /// Used length (0 in QEMU's balloon).
        len: u32,
        /// used.idx before and after.
        used_idx: (u16, u16),
        /// Why.
        reason: PushReason,
    },
    /// `virtio_notify`.
    Notified {
        /// The queue.
        queue: QueueRef,
        /// Whether an interrupt was raised (false: suppressed by EVENT_IDX or NO_INTERRUPT).
        interrupt: bool,
    },
    /// `balloon_stats_poll_cb` ran.
    StatsPollFired {
        /// The held element it will return.
        held: Option<u16>,
        /// When nothing is held: the re-armed deadline.
        rearmed: Option<u64>,
    },
    /// A throttled BALLOON_CHANGE is sent when its window closes.
    BalloonChangeFlushed {
        /// `actual` in bytes.
        actual: i64,
    },
    /// `virtio_error`: the device is broken until reset.
    VirtioError {
        /// The queue, if a queue operation failed.
        queue: Option<QueueRef>,
        /// QEMU's message.
        message: String,
        /// What was wrong, in our words.
        cause: String,
        /// Status before and after (DEVICE_NEEDS_RESET added with VERSION_1).
        status: (u8, u8),
        /// Whether a config interrupt was raised (needs DRIVER_OK).
        config_interrupt: bool,
        /// An element that was popped and will never be returned.
        lost_head: Option<u16>,
    },
    /// `qmp_balloon` -> `virtio_balloon_to_target`.
    TargetSet {
        /// The operator's value in bytes.
        requested: i64,
        /// The target after clamping to RAM.
        target: u64,
        /// num_pages before and after.
        num_pages: (u32, u32),
        /// Whether a config interrupt was raised.
        config_interrupt: bool,
    },
    /// `balloon_stats_set_poll_interval`.
    PollingIntervalSet {
        /// Seconds before.
        old: u32,
        /// Seconds after.
        new: u32,
        /// The timer deadline after.
        timer: Option<u64>,
    },
    /// The precopy notifier changed the hinting status.
    HintStatusChanged {
        /// The notifier reason.
        reason: PrecopyNotifyReason,
        /// Status before.
        old: HintStatus,
        /// Status after.
        new: HintStatus,
        /// The cmd id now.
        cmd_id: u32,
        /// Whether a config interrupt was raised.
        config_interrupt: bool,
    },
}

fn irq(b: bool) -> &'static str {
    if b {
        "a config-change interrupt is raised"
    } else {
        "no interrupt (DRIVER_OK not set)"
    }
}

impl DeviceEvent {
    /// The real QEMU function this step belongs to.
    pub fn function(&self) -> &'static str {
        use DeviceEvent::*;
        match self {
            TypeRegistered { .. } => "type_register_static",
            ClassInit { .. } => "virtio_balloon_class_init",
            InstanceInit { .. } => "virtio_balloon_instance_init",
            Realized { .. } => "virtio_init",
            RealizeFailed { .. } | StatsReset => "virtio_balloon_device_realize",
            Unrealized { .. } => "virtio_balloon_device_unrealize",
            QueueAdded { .. } => "virtio_add_queue",
            FeaturesRead { .. } => "virtio_balloon_get_features",
            DriverFeaturesSet { .. } => "virtio_set_features",
            StatusSet { .. } => "virtio_balloon_set_status",
            DeviceReset { .. } => "virtio_balloon_device_reset",
            ConfigRead { .. } => "virtio_balloon_get_config",
            ConfigAccessOutOfRange { write: false, .. } => "virtio_config_readl",
            ConfigAccessOutOfRange { write: true, .. } => "virtio_config_writel",
            ConfigWritten { .. } => "virtio_balloon_set_config",
            QueueConfigured { .. } | QueueConfigFailed { .. } => "virtio_queue_set_addr",
            NoSuchQueue { .. } => "virtio_pci_common_write",
            Kicked { .. } => "virtio_queue_notify",
            Popped { .. } | QueueDrained { .. } => "virtqueue_pop",
            Inflated { .. } => "balloon_inflate_page",
            Deflated { .. } => "balloon_deflate_page",
            StatsReceived { .. } => "virtio_balloon_receive_stats",
            HintCmdId { .. } => "get_free_page_hints",
            HintRanges { .. } => "qemu_guest_free_page_hint",
            Reported { .. } => "virtio_balloon_handle_report",
            UsedPushed { .. } => "virtqueue_push",
            Notified { .. } => "virtio_notify",
            StatsPollFired { .. } => "balloon_stats_poll_cb",
            BalloonChangeFlushed { .. } => "monitor_qapi_event_handler",
            VirtioError { .. } => "virtio_error",
            TargetSet { .. } => "virtio_balloon_to_target",
            PollingIntervalSet { .. } => "balloon_stats_set_poll_interval",
            HintStatusChanged {
                new: HintStatus::Requested,
                ..
            } => "virtio_balloon_free_page_start",
            HintStatusChanged {
                new: HintStatus::Done,
                ..
            } => "virtio_balloon_free_page_done",
            HintStatusChanged { .. } => "virtio_balloon_free_page_stop",
        }
    }

    /// The VIRTIO 1.2 section this step is about, when there is one.
    pub fn spec(&self) -> Option<&'static str> {
        use DeviceEvent::*;
        Some(match self {
            TypeRegistered { .. } | ClassInit { .. } | InstanceInit { .. } => return None,
            RealizeFailed { .. } | StatsReset | NoSuchQueue { .. } | Unrealized { .. } => {
                return None;
            }
            BalloonChangeFlushed { .. } | TargetSet { .. } | PollingIntervalSet { .. } => {
                return None;
            }
            Realized { .. } => "5.5.1",
            QueueAdded { .. } => "5.5.2",
            FeaturesRead { .. } | DriverFeaturesSet { .. } => "2.2",
            StatusSet { .. } => "2.1",
            DeviceReset { .. } => "2.4",
            ConfigRead { .. } | ConfigWritten { .. } | ConfigAccessOutOfRange { .. } => "5.5.4",
            QueueConfigured { .. } | QueueConfigFailed { .. } => "4.1.4.3",
            Kicked { .. } | Notified { .. } => "2.3",
            Popped { .. } | QueueDrained { .. } | UsedPushed { .. } => "2.7",
            Inflated { .. } | Deflated { .. } => "5.5.6",
            StatsReceived { .. } | StatsPollFired { .. } => "5.5.6.3",
            HintCmdId { .. } | HintRanges { .. } | HintStatusChanged { .. } => "5.5.6.4",
            Reported { .. } => "5.5.6.6",
            VirtioError { .. } => "2.1.2",
        })
    }

    /// One plain sentence for the UI.
    pub fn sentence(&self) -> String {
        use DeviceEvent::*;
        match self {
            TypeRegistered { type_name } => format!(
                "type_init(virtio_register_types) registered the QOM type \"{type_name}\" (parent virtio-device)."
            ),
            ClassInit { props } => format!(
                "virtio_balloon_class_init registered the properties deflate-on-oom={}, free-page-hint={}, page-poison={}, free-page-reporting={}, qemu-4-0-config-size={} and the realize, reset, get_config, set_config, get_features and set_status hooks.",
                props.deflate_on_oom, props.free_page_hint, props.page_poison, props.free_page_reporting, props.qemu_4_0_config_size
            ),
            InstanceInit { cmd_id } => format!(
                "virtio_balloon_instance_init set free_page_hint_cmd_id to {cmd_id:#x} and added the guest-stats and guest-stats-polling-interval properties."
            ),
            Realized { device_id, config_size, features } => format!(
                "virtio_balloon_device_realize called virtio_init with device id {device_id} and a {config_size}-byte config space; the device will offer {}.",
                feature_names(*features)
            ),
            RealizeFailed { message } => format!("virtio_balloon_device_realize failed: {message}."),
            QueueAdded { queue, size } => format!("virtio_add_queue created {queue} with {size} entries."),
            StatsReset => "virtio_balloon_device_realize reset every guest stat to 18446744073709551615 (u64::MAX) and last-update to 0.".to_string(),
            Unrealized { queues_deleted } => format!(
                "virtio_balloon_device_unrealize stopped hinting, destroyed the stats timer, removed the balloon handler and deleted {queues_deleted} queue(s)."
            ),
            FeaturesRead { features } => format!("The driver read the device features: {}.", feature_names(*features)),
            DriverFeaturesSet { requested, accepted, applied: true } => format!(
                "The driver accepted {} (wrote {:#x}, kept {:#x}).",
                feature_names(*accepted), requested, accepted
            ),
            DriverFeaturesSet { requested, .. } => format!(
                "The driver wrote features {requested:#x} after FEATURES_OK; virtio_set_features refused the change."
            ),
            StatusSet { old, new } => format!("The driver set the device status from {} to {}.", status_names(*old), status_names(*new)),
            DeviceReset { num_pages, actual, unpopped_stats, .. } => format!(
                "The driver wrote status 0: virtio_balloon_device_reset stopped hinting, {}set poison_val to 0 and kept num_pages {num_pages} and actual {actual}; every queue is reset.",
                match unpopped_stats {
                    Some(h) => format!("un-popped the held stats element (head {h}), "),
                    None => String::new(),
                }
            ),
            ConfigRead { offset, data, .. } => format!(
                "The driver read {} config byte(s) at offset {offset}: {}.",
                data.len(), config_field_value(*offset, data)
            ),
            ConfigAccessOutOfRange { offset, len, size, write } => format!(
                "The driver {} {len} byte(s) at config offset {offset}, past the {size}-byte config space: {}.",
                if *write { "wrote" } else { "read" },
                if *write { "the write is dropped" } else { "the read returns all ones" }
            ),
            ConfigWritten { offset, old, new, balloon_change, .. } => {
                let mut s = format!("The driver wrote config offset {offset}: actual {} -> {}", old.actual, new.actual);
                if old.poison_val != new.poison_val {
                    s += &format!(", poison_val {:#x} -> {:#x}", old.poison_val, new.poison_val);
                }
                match balloon_change {
                    Some(BalloonChange { actual, sent_now: true }) => s += &format!("; BALLOON_CHANGE {{actual: {actual}}} sent."),
                    Some(BalloonChange { actual, sent_now: false }) => s += &format!("; BALLOON_CHANGE {{actual: {actual}}} held by the one-per-second throttle."),
                    None => s += ".",
                }
                s
            }
            QueueConfigured { queue, layout, event_idx } => format!(
                "The driver placed {queue}: {} entries, descriptors at {:#x}, avail ring at {:#x}, used ring at {:#x}{}.",
                layout.size, layout.desc_table, layout.avail_ring, layout.used_ring,
                if *event_idx { ", EVENT_IDX on" } else { "" }
            ),
            QueueConfigFailed { queue, error } => format!("The layout for {queue} was refused: {error}."),
            NoSuchQueue { index, op } => format!("The driver named queue {index} ({op}), which this device does not have; ignored."),
            Kicked { queue, accepted: true } => format!("The driver kicked {queue}; {} will run.", queue.kind.handler()),
            Kicked { queue, .. } => format!("The driver kicked {queue}, but the queue is not ready or the device is broken; nothing runs."),
            Popped { queue, head, descriptors, readable_bytes, writable_bytes, next_avail, .. } => format!(
                "virtqueue_pop took descriptor {head} from {queue} ({descriptors} descriptor(s), {readable_bytes} readable and {writable_bytes} writable bytes); next_avail {} -> {}.",
                next_avail.0, next_avail.1
            ),
            QueueDrained { queue, next_avail } => format!(
                "virtqueue_pop found {queue} empty (avail.idx == next_avail {next_avail}); {} returns.",
                queue.kind.handler()
            ),
            Inflated { head, pfns, inhibited: true, .. } => format!(
                "virtio_balloon_handle_output acknowledged {} PFN(s) of descriptor {head} ({}) without discarding: RAM discards are inhibited.",
                total(pfns), describe(pfns)
            ),
            Deflated { head, pfns, inhibited: true, .. } => format!(
                "virtio_balloon_handle_output acknowledged {} deflated PFN(s) of descriptor {head} ({}) without MADV_WILLNEED: RAM discards are inhibited.",
                total(pfns), describe(pfns)
            ),
            Inflated { head, pfns, bad_pfns, tail_bytes, frames_discarded, host_pages_discarded, partial_subpages_lost, resident_bytes, .. } => {
                let mut s = format!(
                    "balloon_inflate_page for {} PFN(s) of descriptor {head} ({}): {frames_discarded} frame(s) newly discarded in {host_pages_discarded} host page(s), host resident size now {} KiB",
                    total(pfns), describe(pfns), resident_bytes / 1024
                );
                if !bad_pfns.is_empty() {
                    s += &format!("; {} PFN(s) outside RAM skipped ({})", total(bad_pfns), describe(bad_pfns));
                }
                if *partial_subpages_lost > 0 {
                    s += &format!("; {partial_subpages_lost} subpage(s) of partly ballooned host pages could not be discarded");
                }
                if *tail_bytes > 0 {
                    s += &format!("; {tail_bytes} trailing byte(s) ignored");
                }
                s + "."
            }
            Deflated { head, pfns, bad_pfns, tail_bytes, frames_resident, resident_bytes, .. } => {
                let mut s = format!(
                    "balloon_deflate_page (MADV_WILLNEED on whole host pages) for {} PFN(s) of descriptor {head} ({}): {frames_resident} frame(s) resident again, host resident size now {} KiB",
                    total(pfns), describe(pfns), resident_bytes / 1024
                );
                if !bad_pfns.is_empty() {
                    s += &format!("; {} PFN(s) outside RAM skipped ({})", total(bad_pfns), describe(bad_pfns));
                }
                if *tail_bytes > 0 {
                    s += &format!("; {tail_bytes} trailing byte(s) ignored");
                }
                s + "."
            }
            StatsReceived { head, parse, last_update, timer, .. } => format!(
                "virtio_balloon_receive_stats holds descriptor {head}: reset the stats, parsed {} entr{} ({} unknown tag(s) ignored, {} trailing byte(s) ignored), last-update {last_update}{}.",
                parse.entries, if parse.entries == 1 { "y" } else { "ies" }, parse.unknown_tags, parse.tail_bytes,
                match timer {
                    Some(t) => format!(", poll timer armed for {} ms", t / 1_000_000),
                    None => ", polling is off".to_string(),
                }
            ),
            HintCmdId { head, id, old, new, .. } => format!(
                "get_free_page_hints read cmd id {id:#x} from descriptor {head}: {} -> {}.",
                old.name(), new.name()
            ),
            HintRanges { head, runs, taken, newly_hinted, .. } => {
                if *taken {
                    format!(
                        "qemu_guest_free_page_hint for descriptor {head}: {} frame(s) ({}) may skip migration ({newly_hinted} new).",
                        total(runs), describe(runs)
                    )
                } else {
                    format!("get_free_page_hints ignored the hinted ranges of descriptor {head}: hinting is not started.")
                }
            }
            Reported { head, inhibited: true, .. } => format!(
                "virtio_balloon_handle_report skipped descriptor {head}: RAM discards are inhibited."
            ),
            Reported { head, discarded, frames_discarded, misaligned, skipped_for_poison, resident_bytes, .. } => match skipped_for_poison {
                Some(p) => format!("virtio_balloon_handle_report skipped descriptor {head}: poison_val is {p:#x}, so the pages must keep their contents."),
                None => format!(
                    "virtio_balloon_handle_report discarded {} ({frames_discarded} frame(s) newly) for descriptor {head}{}; host resident size now {} KiB.",
                    describe(discarded),
                    if *misaligned > 0 { format!(", {misaligned} range(s) skipped as misaligned or past RAM") } else { String::new() },
                    resident_bytes / 1024
                ),
            },
            UsedPushed { queue, head, len, used_idx, reason } => format!(
                "virtqueue_push put {{id: {head}, len: {len}}} in the used ring of {queue}{}; used.idx {} -> {}.",
                match reason {
                    PushReason::Handled => "",
                    PushReason::StatsPoll => " to ask for fresh stats",
                    PushReason::StatsSuperseded => " (an older stats buffer, replaced by a new one)",
                },
                used_idx.0, used_idx.1
            ),
            Notified { queue, interrupt: true } => format!("virtio_notify raised a used-buffer interrupt for {queue}."),
            Notified { queue, .. } => format!("virtio_notify for {queue}: the driver asked not to be interrupted now (EVENT_IDX or NO_INTERRUPT)."),
            StatsPollFired { held: Some(h), .. } => format!("The stats poll timer fired: balloon_stats_poll_cb returns held descriptor {h}."),
            StatsPollFired { rearmed, .. } => format!(
                "The stats poll timer fired with no stats buffer held: re-armed{}.",
                rearmed.map(|t| format!(" for {} ms", t / 1_000_000)).unwrap_or_default()
            ),
            BalloonChangeFlushed { actual } => format!("The one-per-second throttle window closed: BALLOON_CHANGE {{actual: {actual}}} sent."),
            VirtioError { message, cause, config_interrupt, lost_head, .. } => format!(
                "virtio_error(\"{message}\"): {cause}; the device sets DEVICE_NEEDS_RESET{} and stops processing until reset{}.",
                if *config_interrupt { " and raises a config interrupt" } else { "" },
                lost_head.map(|h| format!("; element {h} is never returned")).unwrap_or_default()
            ),
            TargetSet { requested, target, num_pages, config_interrupt } => format!(
                "qmp_balloon({requested}) -> virtio_balloon_to_target({target}): num_pages {} -> {}; {}.",
                num_pages.0, num_pages.1, irq(*config_interrupt)
            ),
            PollingIntervalSet { old, new, timer } => format!(
                "guest-stats-polling-interval {old} -> {new} s{}.",
                match timer {
                    Some(t) => format!("; the poll timer fires at {} ms", t / 1_000_000),
                    None => "; the poll timer is off".to_string(),
                }
            ),
            HintStatusChanged { reason, old, new, cmd_id, config_interrupt } => format!(
                "Precopy notifier {reason:?}: free page hinting {} -> {} (cmd id {cmd_id:#x}); {}.",
                old.name(), new.name(), irq(*config_interrupt)
            ),
        }
    }

    /// Whether this event is an error the guest caused.
    pub fn is_guest_error(&self) -> bool {
        matches!(self, DeviceEvent::VirtioError { .. })
    }
}

fn config_field_value(offset: u32, data: &[u8]) -> String {
    let field = match offset {
        0..=3 => "num_pages",
        4..=7 => "actual",
        8..=11 => "free_page_hint_cmd_id",
        12..=15 => "poison_val",
        _ => "beyond the config",
    };
    let mut v = [0u8; 8];
    let n = data.len().min(8);
    v[..n].copy_from_slice(&data[..n]);
    format!("{field} {}", u64::from_le_bytes(v))
}
