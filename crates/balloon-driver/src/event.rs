//! What one driver step did: data for the trace and the UI, plus a plain sentence.

use virtq::{QueueLayout, Segment, UsedElem};

use crate::features::Role;
use crate::mm::Reclaim;
use crate::runs::Runs;

/// Why the driver moved balloon pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Purpose {
    /// `update_balloon_size_func` (host target).
    Resize,
    /// `virtio_balloon_oom_notify`.
    Oom,
    /// `virtballoon_migratepage` (compaction).
    Migrate,
    /// `remove_common` (driver unbind).
    Remove,
}

impl Purpose {
    /// The Linux function that takes pages off the balloon for this purpose.
    pub fn caller(self) -> &'static str {
        match self {
            Purpose::Resize => "update_balloon_size_func",
            Purpose::Oom => "virtio_balloon_oom_notify",
            Purpose::Migrate => "virtballoon_migratepage",
            Purpose::Remove => "remove_common",
        }
    }
}

/// A spec rule the driver broke (only in a deliberate misbehaviour mode, or a bug).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Violation {
    /// A page was used between its inflate and the ack (spec 5.5.6.1).
    UsedBeforeInflateAck {
        /// The page.
        pfn: u64,
    },
    /// A page was reused before the deflate ack with MUST_TELL_HOST (spec 5.5.6.1).
    ReusedBeforeDeflateAck {
        /// The page.
        pfn: u64,
    },
    /// More than one stats buffer was available at once (spec 5.5.6.3.1).
    SecondStatsBuffer,
}

/// One driver step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum DriverEvent {
    /// The status byte was written (and, for FEATURES_OK, read back).
    Status {
        /// Before.
        old: u8,
        /// After.
        new: u8,
        /// The function doing it.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        function: balloon_spec::static_name::Name,
    },
    /// Device features read, validated, driver features written.
    FeaturesNegotiated {
        /// What the device offers.
        offered: u64,
        /// What the driver accepted.
        accepted: u64,
    },
    /// Probe failed, or a ring went bad (Linux `BAD_RING`): the driver stops.
    Failed {
        /// Why.
        reason: String,
    },
    /// A queue was placed in guest RAM and its address given to the device.
    QueueSetUp {
        /// Its job.
        role: Role,
        /// Its index (compacted over negotiated features).
        index: u16,
        /// Where it lives.
        layout: QueueLayout,
    },
    /// `poison_val` written (before DRIVER_OK).
    PoisonWritten {
        /// The value.
        poison_val: u32,
    },
    /// `towards_target`: num_pages read.
    TargetRead {
        /// num_pages in config.
        num_pages: u32,
        /// vb->num_pages.
        balloon_pages: u64,
        /// Signed difference.
        diff: i64,
    },
    /// A work item was queued.
    WorkQueued {
        /// The work function.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        work: balloon_spec::static_name::Name,
    },
    /// `fill_balloon`: pages taken from the allocator, PFNs written into vb->pfns.
    PagesAllocated {
        /// Pages wanted this round (≤ 256).
        wanted: u64,
        /// Pages obtained, in message order.
        pages: Runs,
        /// Reclaim the allocation caused.
        reclaim: Reclaim,
        /// Address of the PFN array in guest RAM.
        pfn_array: u64,
    },
    /// "Out of puff! Can't get 1 pages": the work sleeps 200 ms.
    OutOfPuff {
        /// Pages wanted.
        wanted: u64,
        /// Pages obtained before the failure.
        got: u64,
        /// When the sleep ends.
        retry_at_ns: u64,
    },
    /// `leak_balloon`: pages taken off the balloon list, PFNs written.
    PagesDequeued {
        /// Pages, in message order.
        pages: Runs,
        /// Why.
        purpose: Purpose,
        /// Address of the PFN array in guest RAM.
        pfn_array: u64,
    },
    /// `virtqueue_add_*`: descriptors written.
    BufferAdded {
        /// Queue job.
        role: Role,
        /// Queue index.
        queue: u16,
        /// Head descriptor.
        head: u16,
        /// The buffers.
        segments: Vec<Segment>,
    },
    /// avail.ring[a % N] = head; avail.idx a -> a+1.
    Published {
        /// Queue job.
        role: Role,
        /// Queue index.
        queue: u16,
        /// Head descriptor.
        head: u16,
        /// avail.idx before.
        avail_old: u16,
        /// avail.idx after.
        avail_new: u16,
    },
    /// `virtqueue_kick`: notified, or suppressed by the device.
    Kicked {
        /// Queue job.
        role: Role,
        /// Queue index.
        queue: u16,
        /// Whether the notify register was written.
        notified: bool,
    },
    /// `virtqueue_get_buf` returned a used element.
    UsedCollected {
        /// Queue job.
        role: Role,
        /// Queue index.
        queue: u16,
        /// The element.
        elem: UsedElem,
        /// last_used after.
        last_used: u16,
        /// Pages whose state changed with this ack (inflated or reported).
        pages: Runs,
    },
    /// Woken, but `virtqueue_get_buf` found nothing.
    NothingUsed {
        /// Queue job.
        role: Role,
        /// Queue index.
        queue: u16,
    },
    /// `release_pages_balloon`: deflated pages back to the allocator after the ack.
    PagesReleased {
        /// Pages.
        pages: Runs,
    },
    /// `update_balloon_size`: actual written.
    ActualWritten {
        /// The value.
        actual: u32,
    },
    /// `update_balloon_stats`: the stats buffer filled in guest RAM.
    StatsFilled {
        /// (tag, value) in Linux's order.
        entries: Vec<(u16, u64)>,
        /// Buffer address.
        addr: u64,
    },
    /// The OOM killer called `virtio_balloon_oom_notify`.
    OomNotify {
        /// Balloon pages before the deflate.
        balloon_pages: u64,
    },
    /// The OOM killer killed the workload.
    OomKill {
        /// Pages freed.
        freed: u64,
    },
    /// A workload did something.
    Workload {
        /// What it did.
        what: String,
        /// Pages it got or freed.
        pages: u64,
        /// Reclaim on the way.
        reclaim: Reclaim,
    },
    /// `page_reporting_process`: free blocks isolated for one report.
    ReportIsolated {
        /// (first pfn, pages) of each block, 512 or 1024 pages.
        blocks: Vec<(u64, u64)>,
    },
    /// The page reporting delayed work was scheduled.
    ReportScheduled {
        /// When it runs.
        at_ns: u64,
    },
    /// A reporting pass ended.
    ReportPassDone {
        /// Reports sent in the pass.
        reports: u32,
    },
    /// `virtio_balloon_cmd_id_received`: the hint cmd id read.
    HintCmdIdRead {
        /// The value.
        cmd_id: u32,
        /// What the driver does about it.
        #[serde(deserialize_with = "balloon_spec::static_name::deserialize")]
        action: balloon_spec::static_name::Name,
    },
    /// An order-10 block taken for hinting (or given back when the ring is full).
    HintBlock {
        /// First PFN.
        pfn: u64,
        /// Whether it went on the ring.
        sent: bool,
    },
    /// Hinted pages returned to the allocator (`return_free_pages_to_mm`).
    HintsReturned {
        /// Pages returned.
        pages: u64,
    },
    /// Balloon compaction picked a page to move.
    MigrationPicked {
        /// The ballooned page leaving.
        old: u64,
        /// The page replacing it.
        new: u64,
    },
    /// A deliberate spec violation (misbehaving guest mode).
    Misbehaved {
        /// What was done.
        what: String,
    },
    /// The driver finished removing itself.
    Removed,
}
