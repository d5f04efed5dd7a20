//! Import a real QEMU run: the `log` trace backend's lines and, optionally, a QMP transcript,
//! mapped onto a [`Recording`] the playground can show beside its own runs.
//!
//! What QEMU traces (`hw/virtio/trace-events`, `softmmu/trace-events`) and what it becomes:
//!
//! | trace event (QEMU function) | imported as |
//! |---|---|
//! | `virtio_set_status` (`virtio_set_status`) | [`ImportedKind::Status`] |
//! | `virtio_queue_notify` (`virtio_queue_notify`) | [`ImportedKind::Kick`]; teaches vq pointer → queue index |
//! | `virtqueue_pop` (`virtqueue_pop`) | [`ImportedKind::Pop`], one message; its queue from the vq pointer |
//! | `virtio_balloon_handle_output` (`virtio_balloon_handle_output`) | a page (gpa >> 12) of the element the same thread popped last, kept as runs |
//! | `virtio_balloon_bad_addr` | a refused page of that element |
//! | `virtqueue_fill` / `virtqueue_flush` / `virtio_notify` | [`ImportedKind::Fill`] / [`ImportedKind::Flush`] / [`ImportedKind::Interrupt`] |
//! | `balloon_event` (`qemu_balloon`) | [`ImportedKind::BalloonEvent`] |
//! | `virtio_balloon_to_target` / `_get_config` / `_set_config` | `num_pages`, `actual` |
//! | QMP `execute`, `query-balloon` return, `BALLOON_CHANGE` | [`ImportedKind::QmpCommand`] and the replies |
//!
//! What the trace does not say stays unknown (`None`): descriptor head indexes (`virtqueue_pop`
//! prints host pointers, not ring positions), the guest's own steps (page allocation, the
//! driver's work queue), a pop's queue when no `virtio_queue_notify` named its vq before, and
//! the negotiated features (so queue 3 is the reporting queue only without free page hinting,
//! see [`ImportOptions::free_page_hint`]).
//!
//! The input is data only: nothing in it is executed or followed. The importer takes bytes in
//! chunks ([`Importer::push_trace_bytes`]) so the page can feed a file piece by piece and the
//! CLI can stream a `.gz`; it builds for wasm32.

mod importer;
pub mod line;
mod marks;
mod qmp;
mod recording;
mod replay;
mod sentence;
mod series;

pub use importer::Importer;
pub use marks::{Mark, MarkKind, MarkThresholds};
pub use recording::{
    BadLine, BadReason, ImportSummary, ImportedEvent, ImportedKind, OutOfOrder, Recording, Report,
    SNIPPET_CHARS,
};
pub use replay::{MAX_REPLAY_NS, Replay, ReplayPlan, TimedCommand};

use crate::command::QueueName;

/// Longest line read; longer lines are skipped without being kept (bounded memory).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Rejected lines (and out-of-order, foreign lines) kept as samples in the report.
pub const MAX_SAMPLES: usize = 8;
/// Distinct tracing threads followed (QEMU traces from its main loop, vCPU and I/O threads).
pub const MAX_THREADS: usize = 256;
/// Events kept on the timeline (about 100 bytes each); later ones are counted, not kept. A
/// 512 MiB inflate and back is a few thousand events: pages fold into their element's runs.
pub const MAX_EVENTS: usize = 200_000;

/// What the trace cannot say and the importer must be told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The device had `free-page-hint=on`: QEMU's `virtio_balloon_device_realize` then adds
    /// `free_page_vq` as queue 3 before `reporting_vq`, which becomes queue 4.
    pub free_page_hint: bool,
}

/// The role of balloon queue `index`, in the order `virtio_balloon_device_realize` adds them
/// (inflate, deflate, stats, then free page hinting and reporting when enabled).
pub fn queue_name(index: u32, free_page_hint: bool) -> Option<QueueName> {
    match (index, free_page_hint) {
        (0, _) => Some(QueueName::Ivq),
        (1, _) => Some(QueueName::Dvq),
        (2, _) => Some(QueueName::Svq),
        (3, true) => Some(QueueName::FreePageVq),
        (3, false) | (4, true) => Some(QueueName::ReportingVq),
        _ => None,
    }
}

/// Why an input gives no recording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// No lines at all (or only blank ones).
    #[error("the trace is empty")]
    Empty,
    /// Mostly NUL bytes or invalid UTF-8, and not one trace line.
    #[error("the trace looks binary (NUL bytes or not UTF-8): none of its {} lines is a trace line", .0.trace_lines)]
    Binary(Box<Report>),
    /// Text, but not one line of QEMU's `log` trace backend.
    #[error("no QEMU trace line in {} lines (expected `TID@SECONDS.MICROS:event args`)", .0.trace_lines)]
    NoTraceLines(Box<Report>),
}

impl ImportError {
    /// The report on the rejected input, when there was input.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Empty => None,
            Self::Binary(r) | Self::NoTraceLines(r) => Some(r),
        }
    }
}

/// Imports a whole trace text and an optional QMP transcript.
pub fn import_text(
    trace: &str,
    qmp: Option<&str>,
    opts: ImportOptions,
) -> Result<Recording, ImportError> {
    let mut im = Importer::new(opts);
    im.push_trace_bytes(trace.as_bytes());
    for l in qmp.into_iter().flat_map(str::lines) {
        im.push_qmp_line(l);
    }
    im.finish()
}
