//! What an import produces: the timeline of a real run, its totals and the report on the
//! input's quality.

use balloon_spec::runs::PfnRun;
use serde::Serialize;

use crate::command::QueueName;

/// One imported event on the recording's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedEvent {
    /// 1-based line number in its file (trace or QMP transcript).
    pub line: u64,
    /// Nanoseconds since the trace's first timestamped line (negative for a line stamped
    /// before it); `None` when the line carried no time.
    pub t_ns: Option<i64>,
    /// The tracing thread (`qemu_get_thread_id()`), when the line had the prefix.
    pub thread: Option<u32>,
    /// What happened.
    pub kind: ImportedKind,
}

/// What an imported event says. Fields the trace does not contain are `None`: the importer
/// never fills them in from a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImportedKind {
    /// The driver wrote the device status (`virtio_set_status`).
    Status {
        /// The status byte.
        val: u8,
    },
    /// The guest kicked a queue (`virtio_queue_notify`).
    Kick {
        /// Queue index.
        queue_index: u32,
        /// The queue's role, when the index has one.
        #[serde(serialize_with = "linux_name")]
        queue: Option<QueueName>,
    },
    /// The device popped one element (`virtqueue_pop`), with the pages
    /// `virtio_balloon_handle_output` traced for it.
    Pop {
        /// Queue index; `None` when no `virtio_queue_notify` named the vq before.
        queue_index: Option<u32>,
        /// The queue's role, when known.
        #[serde(serialize_with = "linux_name")]
        queue: Option<QueueName>,
        /// Device-writable buffers.
        in_num: u32,
        /// Device-readable buffers.
        out_num: u32,
        /// The pages (gpa >> 12) in trace order, as runs.
        pfns: Vec<PfnRun>,
        /// Pages of this element `virtio_balloon_bad_addr` refused.
        bad_addrs: u64,
        /// The descriptor head index: QEMU's trace does not print it.
        descriptor: Option<u16>,
    },
    /// The device put an element on the used ring (`virtqueue_fill`).
    Fill {
        /// Queue index, when known.
        queue_index: Option<u32>,
        /// Bytes written.
        len: u32,
    },
    /// The device published used entries (`virtqueue_flush`).
    Flush {
        /// Queue index, when known.
        queue_index: Option<u32>,
        /// Entries published.
        count: u32,
    },
    /// The device interrupted the guest (`virtio_notify`).
    Interrupt {
        /// Queue index, when known.
        queue_index: Option<u32>,
    },
    /// The monitor asked for a guest size (`balloon_event`, `qemu_balloon`).
    BalloonEvent {
        /// Target guest size in bytes.
        target_bytes: u64,
    },
    /// The device computed a new `num_pages` (`virtio_balloon_to_target`).
    Target {
        /// Target guest size in bytes.
        target_bytes: u64,
        /// Pages the balloon should hold.
        num_pages: u32,
    },
    /// The guest read the config (`virtio_balloon_get_config`).
    GetConfig {
        /// `num_pages`.
        num_pages: u32,
        /// `actual`.
        actual: u32,
    },
    /// The guest wrote `actual` (`virtio_balloon_set_config`).
    SetConfig {
        /// New `actual` (pages).
        actual: u32,
        /// Previous `actual`.
        oldactual: u32,
    },
    /// A QMP command sent to QEMU.
    QmpCommand {
        /// `execute`.
        execute: String,
        /// `arguments`, as sent.
        arguments: Option<serde_json::Value>,
    },
    /// A `query-balloon` reply: `actual` in bytes.
    QmpQueryBalloon {
        /// Guest size QEMU reported, bytes.
        actual_bytes: u64,
    },
    /// A `BALLOON_CHANGE` event: `actual` in bytes.
    QmpBalloonChange {
        /// Guest size QEMU reported, bytes.
        actual_bytes: u64,
    },
}

/// Queues by their Linux names (`ivq`, …), as the simulator's own trace shows them.
fn linux_name<S: serde::Serializer>(q: &Option<QueueName>, s: S) -> Result<S::Ok, S::Error> {
    q.map(QueueName::as_str).serialize(s)
}

impl ImportedKind {
    /// The QEMU function whose trace point (or the QMP message) this event comes from.
    pub fn function(&self) -> &'static str {
        match self {
            Self::Status { .. } => "virtio_set_status",
            Self::Kick { .. } => "virtio_queue_notify",
            Self::Pop { .. } => "virtqueue_pop",
            Self::Fill { .. } => "virtqueue_fill",
            Self::Flush { .. } => "virtqueue_flush",
            Self::Interrupt { .. } => "virtio_notify",
            Self::BalloonEvent { .. } => "qemu_balloon",
            Self::Target { .. } => "virtio_balloon_to_target",
            Self::GetConfig { .. } => "virtio_balloon_get_config",
            Self::SetConfig { .. } => "virtio_balloon_set_config",
            Self::QmpCommand { .. } => "qmp",
            Self::QmpQueryBalloon { .. } => "qmp_query_balloon",
            Self::QmpBalloonChange { .. } => "qapi_event_send_balloon_change",
        }
    }
}

/// A rejected input line, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// Which input: `trace` or `qmp`.
    pub source: &'static str,
    /// 1-based line number.
    pub line: u64,
    /// Why it was rejected.
    pub reason: BadReason,
    /// Its first characters (at most [`SNIPPET_CHARS`]), lossily decoded.
    pub snippet: String,
}

/// Characters of a bad line kept in its report.
pub const SNIPPET_CHARS: usize = 60;

/// Why a line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadReason {
    /// Neither `TID@TIME:name args` nor a known event name.
    NotATraceLine,
    /// A known event whose arguments do not have QEMU's format.
    MalformedArguments,
    /// Contains NUL bytes or is not UTF-8.
    Binary,
    /// Longer than [`crate::import::MAX_LINE_BYTES`]; skipped unread.
    TooLong,
    /// The last line has no newline and does not parse: the file was probably cut.
    Truncated,
    /// A QMP line that is not a JSON object.
    NotQmp,
}

impl BadReason {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotATraceLine => "not a trace line",
            Self::MalformedArguments => "arguments not in QEMU's format",
            Self::Binary => "binary (NUL bytes or not UTF-8)",
            Self::TooLong => "line too long, skipped",
            Self::Truncated => "cut off (no final newline)",
            Self::NotQmp => "not a QMP JSON object",
        }
    }
}

/// A line stamped earlier than one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutOfOrder {
    /// 1-based line number.
    pub line: u64,
    /// How far back in time it goes, nanoseconds.
    pub behind_ns: u64,
}

/// How clean the input was: every count is exact, samples are capped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Trace lines read (blank ones included).
    pub trace_lines: u64,
    /// QMP lines read.
    pub qmp_lines: u64,
    /// Lines mapped onto events (PFN lines included).
    pub mapped_lines: u64,
    /// Well-formed trace lines of events the importer does not map.
    pub other_event_lines: u64,
    /// Rejected lines, all of them.
    pub bad_lines: u64,
    /// The first rejected lines (at most [`crate::import::MAX_SAMPLES`]).
    pub bad_samples: Vec<BadLine>,
    /// Lines stamped earlier than the latest time before them; kept where they are.
    pub out_of_order: u64,
    /// The first of them.
    pub out_of_order_samples: Vec<OutOfOrder>,
    /// Distinct thread ids seen, in order of appearance (at most
    /// [`crate::import::MAX_THREADS`]; `threads_untracked` counts the lines of the rest).
    pub threads: Vec<u32>,
    /// Lines from threads beyond the tracked ones (treated as foreign).
    pub threads_untracked: u64,
    /// Lines about another virtio device (another `vdev`/`vq` pointer, or a thread that last
    /// worked for one): another device of this QEMU or another process's log mixed in.
    pub foreign_lines: u64,
    /// The first of them, line numbers.
    pub foreign_samples: Vec<u64>,
    /// `virtio_balloon_handle_output` lines with no element popped before them on their thread.
    pub unattributed_pfns: u64,
    /// Events beyond [`crate::import::MAX_EVENTS`], counted but not kept on the timeline.
    pub events_dropped: u64,
    /// The trace did not end with a newline.
    pub missing_final_newline: bool,
}

/// The summary the CLI prints, as issue 19 specifies it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    /// `virtqueue_pop`s on the inflate queue.
    pub inflate_messages: u64,
    /// `virtqueue_pop`s on the deflate queue.
    pub deflate_messages: u64,
    /// `virtqueue_pop`s on the stats queue.
    pub stats_messages: u64,
    /// `virtqueue_pop`s on the free page reporting queue.
    pub reporting_messages: u64,
    /// `virtio_balloon_handle_output` pages of inflate elements.
    pub pfns_inflated: u64,
    /// `virtio_balloon_handle_output` pages of deflate elements.
    pub pfns_deflated: u64,
    /// The last `num_pages` traced (`to_target` or `get_config`); `None` if never traced.
    pub num_pages: Option<u32>,
    /// The last `set_config` `actual`, pages; `None` if the guest never wrote it.
    pub actual_pages: Option<u32>,
    /// `BALLOON_CHANGE` events in the QMP transcript.
    pub balloon_change_events: u64,
    /// Seconds from the earliest to the latest timestamp of the trace.
    pub duration_s: f64,
}

/// A whole imported run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recording {
    /// The timeline: trace events in line order, QMP messages merged in by time.
    pub events: Vec<ImportedEvent>,
    /// `virtqueue_pop`s per queue index of the balloon device (index 0..=4; higher indexes
    /// count in the last slot).
    pub pops_per_queue: [u64; 5],
    /// Pages of inflate elements.
    pub pfns_inflated: u64,
    /// Pages of deflate elements.
    pub pfns_deflated: u64,
    /// Every `set_config` `actual`, in trace order (one per config write, so bounded by
    /// messages, not pages; the first [`crate::import::MAX_EVENTS`] of them).
    pub actual_sequence: Vec<u32>,
    /// The last `num_pages` traced.
    pub num_pages: Option<u32>,
    /// The last `set_config` `actual`, pages.
    pub actual: Option<u32>,
    /// `BALLOON_CHANGE` events.
    pub balloon_change_events: u64,
    /// The first timestamp of the trace, ns since the Unix epoch.
    pub start_epoch_ns: Option<u64>,
    /// Nanoseconds from the earliest to the latest timestamp.
    pub duration_ns: u64,
    /// The balloon's VirtIODevice pointer, as traced.
    pub vdev: Option<u64>,
    /// The last status the driver wrote.
    pub status: Option<u8>,
    /// Whether the import assumed a free page hinting queue before the reporting queue.
    pub free_page_hint: bool,
    /// What was wrong with the input.
    pub report: Report,
}

impl Recording {
    /// The summary of issue 19's CLI output.
    pub fn summary(&self) -> ImportSummary {
        ImportSummary {
            inflate_messages: self.pops_per_queue[0],
            deflate_messages: self.pops_per_queue[1],
            stats_messages: self.pops_per_queue[2],
            reporting_messages: self.queue_pops(QueueName::ReportingVq),
            pfns_inflated: self.pfns_inflated,
            pfns_deflated: self.pfns_deflated,
            num_pages: self.num_pages,
            actual_pages: self.actual,
            balloon_change_events: self.balloon_change_events,
            duration_s: self.duration_ns as f64 / 1e9,
        }
    }

    /// The role of queue `index` (see [`crate::import::queue_name`]).
    pub fn queue_name(&self, index: u32) -> Option<QueueName> {
        crate::import::queue_name(index, self.free_page_hint)
    }
}
