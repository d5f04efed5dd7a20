//! The device's queues: which ones exist and the per-queue handler state machine that lets a
//! QEMU handler loop run one ring operation per step.

use serde::Serialize;
use virtq::DescriptorChain;

/// The five balloon queues, by role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub enum QueueKind {
    /// inflateq (`s->ivq`).
    Inflate,
    /// deflateq (`s->dvq`).
    Deflate,
    /// statsq (`s->svq`).
    Stats,
    /// free_page_vq.
    FreePage,
    /// reporting_vq.
    Reporting,
}

impl QueueKind {
    /// QEMU's field name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inflate => "ivq",
            Self::Deflate => "dvq",
            Self::Stats => "svq",
            Self::FreePage => "free_page_vq",
            Self::Reporting => "reporting_vq",
        }
    }

    /// The QEMU handler `virtio_add_queue` registers for this queue.
    pub fn handler(self) -> &'static str {
        match self {
            Self::Inflate | Self::Deflate => "virtio_balloon_handle_output",
            Self::Stats => "virtio_balloon_receive_stats",
            Self::FreePage => "virtio_balloon_handle_free_page_vq",
            Self::Reporting => "virtio_balloon_handle_report",
        }
    }
}

/// Why an element goes to the used ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum PushReason {
    /// The handler finished with it.
    Handled,
    /// `balloon_stats_poll_cb` returns the held stats buffer to ask for fresh stats.
    StatsPoll,
    /// A second stats buffer arrived while one was held: the old one goes back ("should never
    /// happen if the driver follows the spec").
    StatsSuperseded,
}

/// What a handler does after a push and its notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum After {
    /// Pop the next element (the `for (;;)` of handle_output, handle_report, the hint BH).
    PopMore,
    /// The handler returns.
    Return,
    /// `receive_stats` goes on to hold and parse the new element.
    ParseStats(DescriptorChain),
}

/// Where a queue's handler is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Stage {
    /// Not running.
    #[default]
    Idle,
    /// Next: `virtqueue_pop`.
    Pop,
    /// Next: process the popped element.
    Process(DescriptorChain),
    /// Next: `virtqueue_push`.
    Push {
        head: u16,
        len: u32,
        reason: PushReason,
        then: After,
    },
    /// Next: `virtio_notify`.
    Notify { then: After },
}

/// One present queue: its role, size and handler state, plus the backend's queue.
#[derive(Debug, Clone)]
pub(crate) struct DevQueue<Q> {
    pub kind: QueueKind,
    pub queue: Q,
    pub stage: Stage,
    pub kicked: bool,
    /// The queue's pops find nothing until reset (Cloud Hypervisor, Firecracker, crosvm).
    pub stalled: bool,
}
