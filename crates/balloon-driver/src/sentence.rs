//! What the UI says about a driver step: a sentence, the Linux function, the spec section.

use crate::event::DriverEvent;

impl DriverEvent {
    /// A short stable code for filters and styling, next to the sentence so that a new
    /// variant must be classified where it is explained: `boot`, `desc`, `avail`, `kick`,
    /// `used`, `config`, `pages`, `timer`, `guest`, `fault` or `work`.
    pub fn kind(&self) -> &'static str {
        use DriverEvent as E;
        match self {
            E::Status { .. }
            | E::FeaturesNegotiated { .. }
            | E::Failed { .. }
            | E::QueueSetUp { .. } => "boot",
            E::BufferAdded { .. } => "desc",
            E::Published { .. } => "avail",
            E::Kicked { .. } => "kick",
            E::UsedCollected { .. } | E::NothingUsed { .. } => "used",
            E::TargetRead { .. }
            | E::ActualWritten { .. }
            | E::PoisonWritten { .. }
            | E::HintCmdIdRead { .. } => "config",
            E::PagesAllocated { .. }
            | E::PagesDequeued { .. }
            | E::PagesReleased { .. }
            | E::StatsFilled { .. }
            | E::ReportIsolated { .. }
            | E::HintBlock { .. }
            | E::HintsReturned { .. } => "pages",
            E::OutOfPuff { .. } | E::ReportScheduled { .. } => "timer",
            E::Workload { .. } | E::OomNotify { .. } | E::OomKill { .. } => "guest",
            E::Misbehaved { .. } => "fault",
            // Bookkeeping of the driver's work items (queue_work, the end of a reporting
            // pass, balloon page migration, device removal): no ring or config moves.
            E::WorkQueued { .. }
            | E::ReportPassDone { .. }
            | E::MigrationPicked { .. }
            | E::Removed => "work",
        }
    }

    /// One plain sentence for the UI.
    pub fn sentence(&self) -> String {
        use DriverEvent as E;
        match self {
            E::Status { old, new, function } => {
                format!("{function}: the guest wrote device status {old:#04x} -> {new:#04x}.")
            }
            E::FeaturesNegotiated { offered, accepted } => {
                let mut s = format!(
                    "virtballoon_validate: the device offers features {offered:#x}; the guest accepts {accepted:#x}."
                );
                if accepted & crate::features::bit(crate::features::VIRTIO_F_RING_RESET) != 0 {
                    // Spec 2.6.1 queue reset: negotiated, but Linux's balloon driver never
                    // calls virtqueue_reset, so the model has no queue_reset register.
                    s += " VIRTIO_F_RING_RESET is negotiated; resetting one queue is not modelled (the balloon driver never does it).";
                }
                s
            }
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
                "leak_balloon (from {}) took {} pages off the balloon list ({}); they stay unusable until the host acks.",
                purpose.caller(),
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
