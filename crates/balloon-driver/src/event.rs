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
        function: &'static str,
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
        work: &'static str,
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
        action: &'static str,
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

impl DriverEvent {
    /// One plain sentence for the UI.
    pub fn sentence(&self) -> String {
        use DriverEvent as E;
        match self {
            E::Status { old, new, function } => {
                format!("{function}: the guest wrote device status {old:#04x} -> {new:#04x}.")
            }
            E::FeaturesNegotiated { offered, accepted } => format!(
                "virtballoon_validate: the device offers features {offered:#x}; the guest accepts {accepted:#x}."
            ),
            E::Failed { reason } => format!("The balloon driver stopped: {reason}."),
            E::QueueSetUp {
                role,
                index,
                layout,
            } => format!(
                "init_vqs: queue {index} ({}) of {} entries placed at {:#x} (avail {:#x}, used {:#x}).",
                role.name(),
                layout.size,
                layout.desc_table,
                layout.avail_ring,
                layout.used_ring
            ),
            E::PoisonWritten { poison_val } => {
                format!("virtballoon_probe wrote poison_val = {poison_val:#x} before DRIVER_OK.")
            }
            E::TargetRead {
                num_pages,
                balloon_pages,
                diff,
            } => format!(
                "towards_target read num_pages = {num_pages}; the balloon holds {balloon_pages} pages, so it must move {diff}."
            ),
            E::WorkQueued { work } => format!("The guest queued {work}."),
            E::PagesAllocated { wanted, pages, .. } => format!(
                "fill_balloon took {} of {wanted} pages ({}) and wrote their PFNs into vb->pfns.",
                pages.pages(),
                pages.describe()
            ),
            E::OutOfPuff { wanted, got, .. } => {
                format!(
                    "Out of puff! Can't get 1 pages: fill_balloon got {got} of {wanted} and sleeps 200 ms."
                )
            }
            E::PagesDequeued { pages, purpose, .. } => format!(
                "leak_balloon ({purpose:?}) took {} pages off the balloon list ({}); they stay unusable until the host acks.",
                pages.pages(),
                pages.describe()
            ),
            E::BufferAdded {
                role,
                queue,
                head,
                segments,
            } => {
                let bytes: u64 = segments.iter().map(|s| u64::from(s.len)).sum();
                format!(
                    "virtqueue_add: the guest wrote descriptor {head} on queue {queue} ({}): {} segment(s), {bytes} bytes.",
                    role.name(),
                    segments.len()
                )
            }
            E::Published {
                role,
                queue,
                head,
                avail_old,
                avail_new,
            } => format!(
                "The guest put head {head} in the avail ring of queue {queue} ({}): avail.idx {avail_old} -> {avail_new}.",
                role.name()
            ),
            E::Kicked {
                role,
                queue,
                notified,
            } => {
                if *notified {
                    format!("virtqueue_kick notified queue {queue} ({}).", role.name())
                } else {
                    format!(
                        "virtqueue_kick skipped the notify on queue {queue} ({}): the device asked not to be kicked.",
                        role.name()
                    )
                }
            }
            E::UsedCollected {
                role,
                queue,
                elem,
                last_used,
                ..
            } => format!(
                "virtqueue_get_buf on queue {queue} ({}) collected head {} (len {}); last_used is now {last_used}.",
                role.name(),
                elem.id,
                elem.len
            ),
            E::NothingUsed { role, queue } => format!(
                "virtqueue_get_buf on queue {queue} ({}) found nothing used.",
                role.name()
            ),
            E::PagesReleased { pages } => format!(
                "release_pages_balloon gave {} pages back to the guest ({}) after the host's ack.",
                pages.pages(),
                pages.describe()
            ),
            E::ActualWritten { actual } => format!("update_balloon_size wrote actual = {actual}."),
            E::StatsFilled { entries, addr } => format!(
                "update_balloon_stats wrote {} entries ({} bytes) at {addr:#x}.",
                entries.len(),
                entries.len() * 10
            ),
            E::OomNotify { balloon_pages } => format!(
                "out_of_memory called virtio_balloon_oom_notify with {balloon_pages} pages in the balloon."
            ),
            E::OomKill { freed } => {
                format!("The OOM killer killed the workload, freeing {freed} pages.")
            }
            E::Workload { what, .. } => what.clone(),
            E::ReportIsolated { blocks } => format!(
                "page_reporting_process isolated {} free blocks ({} pages) for one report.",
                blocks.len(),
                blocks.iter().map(|b| b.1).sum::<u64>()
            ),
            E::ReportScheduled { at_ns } => format!(
                "page_reporting_notify scheduled a report pass at {} ms.",
                at_ns / 1_000_000
            ),
            E::ReportPassDone { reports } => {
                format!("page_reporting_process finished a pass of {reports} reports.")
            }
            E::HintCmdIdRead { cmd_id, action } => {
                format!("The guest read free_page_hint_cmd_id = {cmd_id:#x}: {action}.")
            }
            E::HintBlock { pfn, sent } => {
                if *sent {
                    format!(
                        "get_free_page_and_send took the 4 MiB block at PFN {pfn:#x} for a hint."
                    )
                } else {
                    format!(
                        "get_free_page_and_send freed the block at PFN {pfn:#x}: the ring is full."
                    )
                }
            }
            E::HintsReturned { pages } => {
                format!("return_free_pages_to_mm gave {pages} hinted pages back.")
            }
            E::MigrationPicked { old, new } => format!(
                "virtballoon_migratepage moves balloon page {old:#x} to {new:#x}: inflate the new one, then deflate the old."
            ),
            E::Misbehaved { what } => format!("Misbehaving guest: {what}."),
            E::Removed => "virtballoon_remove finished: the balloon is empty and the device reset."
                .to_string(),
        }
    }

    /// The real Linux function behind the step.
    pub fn function(&self) -> &'static str {
        use DriverEvent as E;
        match self {
            E::Status { function, .. } => function,
            E::FeaturesNegotiated { .. } => "virtballoon_validate",
            E::Failed { .. } => "virtballoon_probe",
            E::QueueSetUp { .. } => "init_vqs",
            E::PoisonWritten { .. } => "virtballoon_probe",
            E::TargetRead { .. } => "towards_target",
            E::WorkQueued { work } => work,
            E::PagesAllocated { .. } | E::OutOfPuff { .. } => "fill_balloon",
            E::PagesDequeued { .. } => "leak_balloon",
            E::BufferAdded { .. } => "virtqueue_add_split",
            E::Published { .. } => "virtqueue_add_split",
            E::Kicked { .. } => "virtqueue_kick",
            E::UsedCollected { .. } | E::NothingUsed { .. } => "virtqueue_get_buf",
            E::PagesReleased { .. } => "release_pages_balloon",
            E::ActualWritten { .. } => "update_balloon_size",
            E::StatsFilled { .. } => "update_balloon_stats",
            E::OomNotify { .. } => "virtio_balloon_oom_notify",
            E::OomKill { .. } => "oom_kill_process",
            E::Workload { .. } => "handle_mm_fault",
            E::ReportIsolated { .. } => "page_reporting_cycle",
            E::ReportScheduled { .. } => "__page_reporting_request",
            E::ReportPassDone { .. } => "page_reporting_process",
            E::HintCmdIdRead { .. } => "virtio_balloon_cmd_id_received",
            E::HintBlock { .. } => "get_free_page_and_send",
            E::HintsReturned { .. } => "return_free_pages_to_mm",
            E::MigrationPicked { .. } => "virtballoon_migratepage",
            E::Misbehaved { .. } => "tell_host",
            E::Removed => "virtballoon_remove",
        }
    }

    /// The VIRTIO spec section the step follows.
    pub fn spec(&self) -> Option<&'static str> {
        use DriverEvent as E;
        Some(match self {
            E::Status { .. } | E::Failed { .. } => "3.1.1",
            E::FeaturesNegotiated { .. } => "5.5.3.1",
            E::QueueSetUp { .. } => "5.5.2",
            E::PoisonWritten { .. } => "5.5.6.5.1",
            E::TargetRead { .. } | E::PagesAllocated { .. } | E::PagesDequeued { .. } => "5.5.6.1",
            E::BufferAdded { .. } => "2.7.13.1",
            E::Published { .. } => "2.7.13.3",
            E::Kicked { .. } => "2.7.13.4",
            E::UsedCollected { .. } | E::NothingUsed { .. } => "2.7.14",
            E::PagesReleased { .. } | E::ActualWritten { .. } | E::OomNotify { .. } => "5.5.6.1",
            E::StatsFilled { .. } => "5.5.6.3.1",
            E::ReportIsolated { .. } | E::ReportScheduled { .. } | E::ReportPassDone { .. } => {
                "5.5.6.6.1"
            }
            E::HintCmdIdRead { .. } | E::HintBlock { .. } | E::HintsReturned { .. } => "5.5.6.4.1",
            E::MigrationPicked { .. } => "5.5.6.1",
            E::Misbehaved { .. } => "5.5.6.1",
            E::WorkQueued { .. }
            | E::OutOfPuff { .. }
            | E::OomKill { .. }
            | E::Workload { .. }
            | E::Removed => {
                return None;
            }
        })
    }

    /// The queue the step touched, if any.
    pub fn queue(&self) -> Option<u16> {
        use DriverEvent as E;
        match self {
            E::QueueSetUp { index, .. } => Some(*index),
            E::BufferAdded { queue, .. }
            | E::Published { queue, .. }
            | E::Kicked { queue, .. }
            | E::UsedCollected { queue, .. }
            | E::NothingUsed { queue, .. } => Some(*queue),
            _ => None,
        }
    }
}
