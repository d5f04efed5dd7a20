//! What the device did, one event per step, with the data that moved.

use serde::{Deserialize, Serialize};
use virtq::QueueLayout;

use crate::config::BalloonConfig;
use crate::hint::{HintStatus, PrecopyNotifyReason};
use crate::profile::{BalloonProps, DeflateAction};
use crate::runs::PfnRun;
use crate::stats::{StatValues, StatsParse};
use crate::vq::{PushReason, QueueKind};

/// A queue as events name it: transport index and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalloonChange {
    /// `actual` in bytes: guest RAM minus the balloon.
    pub actual: i64,
    /// False when the one-per-second throttle holds it back (it is sent when the window closes,
    /// unless a newer value replaces it).
    pub sent_now: bool,
}

/// One step of the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceEvent {
    /// `type_init(virtio_register_types)` -> `type_register_static`.
    TypeRegistered {
        /// "virtio-balloon-device".
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        type_name: balloon_spec::static_name::Name,
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
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        op: balloon_spec::static_name::Name,
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
        /// What the discards took off the host's resident size: only frames the guest had
        /// written were resident, so a page never touched saves nothing.
        resident_dropped_bytes: u64,
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
        /// Frames no longer discarded. MADV_WILLNEED populates nothing for anonymous memory
        /// (mm/madvise.c `madvise_willneed`), so they become resident only when written.
        frames_undiscarded: u64,
        /// Host resident size after.
        resident_bytes: u64,
        /// Discards inhibited: acknowledged only.
        inhibited: bool,
        /// What this VMM does on deflate (QEMU's and Cloud Hypervisor's `MADV_WILLNEED`, the
        /// action the event was named after, or another VMM's). Always written: the binary
        /// trace encoding has no field names, so a skipped field would shift the rest.
        action: DeflateAction,
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
    /// `virtqueue_push` on a broken device: the element is dropped, used.idx does not move.
    PushDropped {
        /// The queue.
        queue: QueueRef,
        /// Element head.
        head: u16,
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
        /// When the held event was raised: its QMP timestamp.
        raised_ns: u64,
    },
    /// The VMM process would abort here (Firecracker panics on `InvalidAvailIdx`): the whole
    /// VM is gone; the simulator keeps the state and stops the device.
    VmmAborted {
        /// The queue.
        queue: Option<QueueRef>,
        /// The VMM's panic message.
        message: String,
        /// What was wrong, in our words.
        cause: String,
        /// The VMM function that panics.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
    },
    /// The queue stops: every later pop finds nothing, and the guest is told nothing.
    QueueStalled {
        /// The queue.
        queue: QueueRef,
        /// What the VMM logs, if anything.
        message: String,
        /// What was wrong, in our words.
        cause: String,
        /// The VMM function that gives up.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
    },
    /// An element is popped and never returned to the used ring.
    ElementLost {
        /// The queue.
        queue: QueueRef,
        /// The element.
        head: u16,
        /// What the VMM logs.
        message: String,
        /// The VMM function that drops it.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
    },
    /// A VMM's own resize command set the target (Cloud Hypervisor, Firecracker, crosvm).
    VmmResized {
        /// The VMM function.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
        /// The number the operator gave, in the VMM's units.
        requested: u64,
        /// num_pages before and after.
        num_pages: (u32, u32),
        /// Whether a config interrupt was raised.
        config_interrupt: bool,
    },
    /// A buffer the device cannot use is passed over and its element acked (Cloud Hypervisor,
    /// Firecracker and crosvm on a zero-length or unreadable buffer).
    BufferSkipped {
        /// The queue.
        queue: QueueRef,
        /// The element.
        head: u16,
        /// What the VMM logs, if anything.
        message: String,
        /// What was wrong, in our words.
        cause: String,
        /// The VMM function.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
    },
    /// A config write the device refuses (Cloud Hypervisor: any write but `actual`).
    ConfigWriteIgnored {
        /// Offset written.
        offset: u32,
        /// Bytes written.
        data: Vec<u8>,
        /// What the VMM logs.
        message: String,
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
            Deflated { action, .. } => action.function(),
            StatsReceived { .. } => "virtio_balloon_receive_stats",
            HintCmdId { .. } => "get_free_page_hints",
            HintRanges { .. } => "qemu_guest_free_page_hint",
            Reported { .. } => "virtio_balloon_handle_report",
            UsedPushed { .. } | PushDropped { .. } => "virtqueue_push",
            Notified { .. } => "virtio_notify",
            StatsPollFired { .. } => "balloon_stats_poll_cb",
            BalloonChangeFlushed { .. } => "monitor_qapi_event_handler",
            VirtioError { .. } => "virtio_error",
            VmmAborted { function, .. }
            | QueueStalled { function, .. }
            | ElementLost { function, .. }
            | BufferSkipped { function, .. }
            | VmmResized { function, .. } => function,
            ConfigWriteIgnored { .. } => "write_config",
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
            Popped { .. } | QueueDrained { .. } | UsedPushed { .. } | PushDropped { .. } => "2.7",
            Inflated { .. } | Deflated { .. } => "5.5.6",
            StatsReceived { .. } | StatsPollFired { .. } => "5.5.6.3",
            HintCmdId { .. } | HintRanges { .. } | HintStatusChanged { .. } => "5.5.6.4",
            Reported { .. } => "5.5.6.6",
            VirtioError { .. } => "2.1.2",
            VmmAborted { .. } | QueueStalled { .. } | ElementLost { .. } => return None,
            BufferSkipped { .. } => return None,
            ConfigWriteIgnored { .. } => "5.5.4",
            VmmResized { .. } => return None,
        })
    }

    /// Whether this event is an error the guest caused.
    pub fn is_guest_error(&self) -> bool {
        matches!(
            self,
            DeviceEvent::VirtioError { .. }
                | DeviceEvent::VmmAborted { .. }
                | DeviceEvent::QueueStalled { .. }
                | DeviceEvent::ElementLost { .. }
        )
    }
}
