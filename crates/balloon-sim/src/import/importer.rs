//! The streaming importer: bytes in (in chunks of any size), a [`Recording`] out. Memory stays
//! bounded whatever the input: lines are cut at [`MAX_LINE_BYTES`], PFNs are kept as runs,
//! samples and tracked threads/queues are capped, the timeline at [`MAX_EVENTS`].

use balloon_spec::runs::{PfnRun, fold_pfns};

use super::line::{self, Parsed, QemuEvent};
use super::qmp::{self, QmpLine};
use super::recording::{
    BadLine, BadReason, ImportedEvent, ImportedKind, OutOfOrder, Recording, Report, SNIPPET_CHARS,
};
use super::{
    ImportError, ImportOptions, MAX_EVENTS, MAX_LINE_BYTES, MAX_SAMPLES, MAX_THREADS, queue_name,
};

/// Distinct vq pointers remembered (the balloon has at most five queues; other devices' are
/// remembered to recognise their lines).
const MAX_VQS: usize = 256;
/// PFNs buffered per open element before they are folded into runs.
const PFN_BUFFER: usize = 1024;

/// Per tracing thread: whose work it last did and the element it is handling.
#[derive(Debug)]
struct Thread {
    id: Option<u32>,
    /// Last named another device: its pointerless lines are not the balloon's.
    foreign: bool,
    /// The element `virtqueue_pop` gave this thread, until its next pop.
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    queue: Option<u32>,
    event: Option<usize>,
    pending: Vec<u64>,
}

/// Feeds a trace (and optionally a QMP transcript) and builds a [`Recording`].
#[derive(Debug)]
pub struct Importer {
    opts: ImportOptions,
    carry: Vec<u8>,
    overflow: bool,
    line_no: u64,
    binary_lines: u64,
    start: Option<u64>,
    min_t: Option<u64>,
    max_t: Option<u64>,
    vdev: Option<u64>,
    vqs: Vec<(u64, u32)>,
    foreign_vqs: Vec<u64>,
    threads: Vec<Thread>,
    qmp: Vec<(u64, Option<u64>, ImportedKind)>,
    rec: Recording,
}

impl Default for Importer {
    fn default() -> Self {
        Self::new(ImportOptions::default())
    }
}

impl Importer {
    /// An importer with nothing read yet.
    pub fn new(opts: ImportOptions) -> Self {
        Self {
            opts,
            carry: Vec::new(),
            overflow: false,
            line_no: 0,
            binary_lines: 0,
            start: None,
            min_t: None,
            max_t: None,
            vdev: None,
            vqs: Vec::new(),
            foreign_vqs: Vec::new(),
            threads: Vec::new(),
            qmp: Vec::new(),
            rec: Recording {
                events: Vec::new(),
                pops_per_queue: [0; 5],
                pfns_inflated: 0,
                pfns_deflated: 0,
                actual_sequence: Vec::new(),
                num_pages: None,
                actual: None,
                balloon_change_events: 0,
                start_epoch_ns: None,
                duration_ns: 0,
                vdev: None,
                status: None,
                free_page_hint: opts.free_page_hint,
                report: Report::default(),
            },
        }
    }

    /// Feeds the next bytes of the trace; lines may span chunks.
    pub fn push_trace_bytes(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let (part, rest) = bytes.split_at(i);
                    bytes = &rest[1..];
                    if self.overflow || self.carry.len() + part.len() > MAX_LINE_BYTES {
                        self.carry.clear();
                        self.overflow = false;
                        self.line_no += 1;
                        self.bad("trace", BadReason::TooLong, &[]);
                    } else if self.carry.is_empty() {
                        self.trace_line(part, false);
                    } else {
                        let mut whole = std::mem::take(&mut self.carry);
                        whole.extend_from_slice(part);
                        self.trace_line(&whole, false);
                        whole.clear();
                        self.carry = whole;
                    }
                }
                None => {
                    if self.overflow || self.carry.len() + bytes.len() > MAX_LINE_BYTES {
                        // Skipped, not copied: only the fact that the line is too long stays.
                        self.overflow = true;
                        self.carry.clear();
                    } else {
                        self.carry.extend_from_slice(bytes);
                    }
                    break;
                }
            }
        }
    }

    /// Feeds one QMP transcript line (without its newline).
    pub fn push_qmp_line(&mut self, text: &str) {
        self.rec.report.qmp_lines += 1;
        let no = self.rec.report.qmp_lines;
        if text.trim().is_empty() {
            return;
        }
        if text.len() > MAX_LINE_BYTES {
            self.bad_at("qmp", no, BadReason::TooLong, &[]);
            return;
        }
        match qmp::parse(text) {
            None => self.bad_at("qmp", no, BadReason::NotQmp, text.as_bytes()),
            Some(QmpLine::Other) => {}
            Some(QmpLine::Event(t, kind)) => {
                if matches!(kind, ImportedKind::QmpBalloonChange { .. }) {
                    self.rec.balloon_change_events += 1;
                }
                if self.qmp.len() < MAX_EVENTS {
                    self.qmp.push((no, t, kind));
                } else {
                    self.rec.report.events_dropped += 1;
                }
            }
        }
    }

    /// Ends the input and returns the recording, or why there is none.
    pub fn finish(mut self) -> Result<Recording, ImportError> {
        if self.overflow {
            self.line_no += 1;
            self.rec.report.missing_final_newline = true;
            self.bad("trace", BadReason::TooLong, &[]);
        } else if !self.carry.is_empty() {
            let last = std::mem::take(&mut self.carry);
            self.rec.report.missing_final_newline = true;
            self.trace_line(&last, true);
        }
        for i in 0..self.threads.len() {
            self.close(i);
        }
        let r = &mut self.rec.report;
        r.trace_lines = self.line_no;
        if r.mapped_lines + r.other_event_lines == 0 {
            let report = Box::new(std::mem::take(r));
            return Err(if report.bad_lines == 0 {
                ImportError::Empty
            } else if self.binary_lines * 2 > report.bad_lines {
                ImportError::Binary(report)
            } else {
                ImportError::NoTraceLines(report)
            });
        }
        self.rec.start_epoch_ns = self.start;
        self.rec.duration_ns = match (self.min_t, self.max_t) {
            (Some(a), Some(b)) => b - a,
            _ => 0,
        };
        self.rec.vdev = self.vdev;
        self.merge_qmp();
        Ok(self.rec)
    }

    /// QMP messages go in by time before the first trace event stamped later; trace events
    /// keep their line order (even when out of order in time).
    fn merge_qmp(&mut self) {
        if self.qmp.is_empty() {
            return;
        }
        let start = self.start.unwrap_or(0);
        let rel = |t: u64| i64::try_from(i128::from(t) - i128::from(start)).ok();
        let trace = std::mem::take(&mut self.rec.events);
        // A recorder's transcript is in receive order, but a BALLOON_CHANGE carries QEMU's own
        // earlier timestamp (see `qmp::parse`), so it can follow a reply stamped after it:
        // when every line has a time, order them by it. Plain lines keep their order.
        if self.qmp.iter().all(|q| q.1.is_some()) {
            crate::order::sort_by_key_stable(&mut self.qmp, |q| q.1.map_or(-1, i128::from));
        }
        let mut qmp = std::mem::take(&mut self.qmp).into_iter().peekable();
        let mut out = Vec::with_capacity(trace.len() + qmp.len());
        let to_event = |(line, t, kind): (u64, Option<u64>, ImportedKind)| ImportedEvent {
            line,
            t_ns: t.and_then(rel),
            thread: None,
            kind,
        };
        for ev in trace {
            if let Some(te) = ev.t_ns {
                while let Some(q) = qmp.next_if(|q| q.1.and_then(rel).is_some_and(|t| t < te)) {
                    out.push(to_event(q));
                }
            }
            out.push(ev);
        }
        out.extend(qmp.map(to_event));
        out.truncate(MAX_EVENTS);
        self.rec.events = out;
    }

    fn bad(&mut self, source: &'static str, reason: BadReason, bytes: &[u8]) {
        self.bad_at(source, self.line_no, reason, bytes);
    }

    fn bad_at(&mut self, source: &'static str, line: u64, reason: BadReason, bytes: &[u8]) {
        let r = &mut self.rec.report;
        r.bad_lines += 1;
        if r.bad_samples.len() < MAX_SAMPLES {
            let head = &bytes[..bytes.len().min(SNIPPET_CHARS * 4)];
            let snippet: String = String::from_utf8_lossy(head)
                .chars()
                .take(SNIPPET_CHARS)
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect();
            r.bad_samples.push(BadLine {
                source,
                line,
                reason,
                snippet,
            });
        }
    }

    fn trace_line(&mut self, bytes: &[u8], last: bool) {
        self.line_no += 1;
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let bad_reason = |r| if last { BadReason::Truncated } else { r };
        if last && !bytes.iter().all(u8::is_ascii_whitespace) {
            // QEMU's log backend ends every line with a newline: a last line without one was
            // cut (a copy interrupted, QEMU killed mid-write), so even if it parses, its
            // arguments may be cut short. Reported, not mapped.
            return self.bad("trace", BadReason::Truncated, bytes);
        }
        if bytes.contains(&0) {
            self.binary_lines += 1;
            return self.bad("trace", bad_reason(BadReason::Binary), bytes);
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.binary_lines += 1;
            return self.bad("trace", bad_reason(BadReason::Binary), bytes);
        };
        if text.trim().is_empty() {
            return;
        }
        let Some(split) = line::split(text) else {
            return self.bad("trace", bad_reason(BadReason::NotATraceLine), bytes);
        };
        let ev = match line::parse(split.name, split.args) {
            Parsed::Event(ev) => ev,
            Parsed::Other if split.prefix.is_some() => {
                self.rec.report.other_event_lines += 1;
                return;
            }
            Parsed::Other => {
                return self.bad("trace", bad_reason(BadReason::NotATraceLine), bytes);
            }
            Parsed::Malformed => {
                return self.bad("trace", bad_reason(BadReason::MalformedArguments), bytes);
            }
        };
        let t_ns = split.prefix.map(|p| self.stamp(p.time_ns));
        let tid = split.prefix.map(|p| p.thread);
        let Some(th) = self.thread(tid) else {
            self.rec.report.threads_untracked += 1;
            return self.foreign();
        };
        self.event(th, tid, t_ns, ev);
    }

    /// Time relative to the first stamped line; notes lines that go back in time.
    fn stamp(&mut self, t: u64) -> i64 {
        let start = *self.start.get_or_insert(t);
        self.min_t = Some(self.min_t.map_or(t, |m| m.min(t)));
        match self.max_t {
            Some(m) if t < m => {
                let r = &mut self.rec.report;
                r.out_of_order += 1;
                if r.out_of_order_samples.len() < MAX_SAMPLES {
                    r.out_of_order_samples.push(OutOfOrder {
                        line: self.line_no,
                        behind_ns: m - t,
                    });
                }
            }
            _ => self.max_t = Some(t),
        }
        i64::try_from(i128::from(t) - i128::from(start)).unwrap_or(i64::MAX)
    }

    fn thread(&mut self, id: Option<u32>) -> Option<usize> {
        if let Some(i) = self.threads.iter().position(|t| t.id == id) {
            return Some(i);
        }
        if self.threads.len() >= MAX_THREADS {
            return None;
        }
        if let Some(id) = id {
            self.rec.report.threads.push(id);
        }
        self.threads.push(Thread {
            id,
            foreign: false,
            open: None,
        });
        Some(self.threads.len() - 1)
    }

    fn foreign(&mut self) {
        let r = &mut self.rec.report;
        r.foreign_lines += 1;
        if r.foreign_samples.len() < MAX_SAMPLES {
            r.foreign_samples.push(self.line_no);
        }
    }

    /// Is `vdev` the balloon? The first device pointer the trace names is taken to be the
    /// balloon (the recording's event set traces only it); lines naming another are foreign.
    fn ours(&mut self, th: usize, vdev: u64) -> bool {
        let ours = *self.vdev.get_or_insert(vdev) == vdev;
        self.threads[th].foreign = !ours;
        if !ours {
            self.foreign();
        }
        ours
    }

    /// The balloon queue index of `vq`: `Ok(Some)` when a kick named it, `Ok(None)` when
    /// unknown, `Err` when it belongs to another device.
    fn queue_of(&mut self, th: usize, vq: u64) -> Result<Option<u32>, ()> {
        // A known vq also tells whose work the thread is doing now, for the pointerless
        // lines (handle_output, set_config) that follow it.
        if let Some(&(_, n)) = self.vqs.iter().find(|(p, _)| *p == vq) {
            self.threads[th].foreign = false;
            return Ok(Some(n));
        }
        if self.foreign_vqs.contains(&vq) || self.threads[th].foreign {
            self.threads[th].foreign = true;
            self.foreign();
            return Err(());
        }
        Ok(None)
    }

    fn push(&mut self, line: u64, t_ns: Option<i64>, thread: Option<u32>, kind: ImportedKind) {
        if self.rec.events.len() < MAX_EVENTS {
            self.rec.events.push(ImportedEvent {
                line,
                t_ns,
                thread,
                kind,
            });
        } else {
            self.rec.report.events_dropped += 1;
        }
    }

    /// Folds the open element's pending PFNs into its event's runs.
    fn flush_pfns(&mut self, th: usize) {
        let Some(open) = self.threads[th].open.as_mut() else {
            return;
        };
        if open.pending.is_empty() {
            return;
        }
        let runs = fold_pfns(open.pending.drain(..));
        if let Some(i) = open.event
            && let Some(ImportedKind::Pop { pfns, .. }) =
                self.rec.events.get_mut(i).map(|e| &mut e.kind)
        {
            append_runs(pfns, runs);
        }
    }

    fn close(&mut self, th: usize) {
        self.flush_pfns(th);
        self.threads[th].open = None;
    }

    fn event(&mut self, th: usize, tid: Option<u32>, t_ns: Option<i64>, ev: QemuEvent) {
        let line = self.line_no;
        let pointerless_foreign = self.threads[th].foreign;
        let kind = match ev {
            QemuEvent::SetStatus { vdev, val } => {
                if !self.ours(th, vdev) {
                    return;
                }
                self.rec.status = Some(val);
                ImportedKind::Status { val }
            }
            QemuEvent::QueueNotify { vdev, n, vq } => {
                if !self.ours(th, vdev) {
                    if self.foreign_vqs.len() < MAX_VQS && !self.foreign_vqs.contains(&vq) {
                        self.foreign_vqs.push(vq);
                    }
                    return;
                }
                if self.vqs.len() < MAX_VQS && !self.vqs.iter().any(|(p, _)| *p == vq) {
                    self.vqs.push((vq, n));
                }
                ImportedKind::Kick {
                    queue_index: n,
                    queue: queue_name(n, self.opts.free_page_hint),
                }
            }
            QemuEvent::Notify { vdev, vq } => {
                if !self.ours(th, vdev) {
                    return;
                }
                let queue_index = self.vqs.iter().find(|(p, _)| *p == vq).map(|v| v.1);
                ImportedKind::Interrupt { queue_index }
            }
            QemuEvent::BalloonEvent { opaque, addr } => {
                if !self.ours(th, opaque) {
                    return;
                }
                ImportedKind::BalloonEvent { target_bytes: addr }
            }
            QemuEvent::Pop {
                vq,
                elem: _,
                in_num,
                out_num,
            } => {
                self.close(th);
                let Ok(queue_index) = self.queue_of(th, vq) else {
                    return;
                };
                if let Some(n) = queue_index {
                    self.rec.pops_per_queue[(n as usize).min(4)] += 1;
                }
                self.threads[th].open = Some(Open {
                    queue: queue_index,
                    event: (self.rec.events.len() < MAX_EVENTS).then_some(self.rec.events.len()),
                    pending: Vec::new(),
                });
                ImportedKind::Pop {
                    queue_index,
                    queue: queue_index.and_then(|n| queue_name(n, self.opts.free_page_hint)),
                    in_num,
                    out_num,
                    pfns: Vec::new(),
                    bad_addrs: 0,
                    descriptor: None,
                }
            }
            QemuEvent::Fill { vq, len, .. } => {
                let Ok(queue_index) = self.queue_of(th, vq) else {
                    return;
                };
                ImportedKind::Fill { queue_index, len }
            }
            QemuEvent::Flush { vq, count } => {
                let Ok(queue_index) = self.queue_of(th, vq) else {
                    return;
                };
                ImportedKind::Flush { queue_index, count }
            }
            QemuEvent::HandleOutput { gpa } | QemuEvent::BadAddr { gpa } => {
                if pointerless_foreign {
                    return self.foreign();
                }
                self.rec.report.mapped_lines += 1;
                let bad = matches!(ev, QemuEvent::BadAddr { .. });
                let Some(open) = self.threads[th].open.as_mut() else {
                    self.rec.report.unattributed_pfns += 1;
                    return;
                };
                if bad {
                    if let Some(i) = open.event
                        && let Some(ImportedKind::Pop { bad_addrs, .. }) =
                            self.rec.events.get_mut(i).map(|e| &mut e.kind)
                    {
                        *bad_addrs += 1;
                    }
                    return;
                }
                // VIRTIO_BALLOON_PFN_SHIFT: the device works in 4 KiB balloon pages.
                open.pending
                    .push(gpa >> balloon_spec::VIRTIO_BALLOON_PFN_SHIFT);
                let full = open.pending.len() >= PFN_BUFFER;
                match open.queue {
                    Some(0) => self.rec.pfns_inflated += 1,
                    Some(1) => self.rec.pfns_deflated += 1,
                    _ => self.rec.report.unattributed_pfns += 1,
                }
                if full {
                    self.flush_pfns(th);
                }
                return;
            }
            QemuEvent::ToTarget { target, num_pages } => {
                if pointerless_foreign {
                    return self.foreign();
                }
                self.rec.num_pages = Some(num_pages);
                ImportedKind::Target {
                    target_bytes: target,
                    num_pages,
                }
            }
            QemuEvent::GetConfig { num_pages, actual } => {
                if pointerless_foreign {
                    return self.foreign();
                }
                self.rec.num_pages = Some(num_pages);
                ImportedKind::GetConfig { num_pages, actual }
            }
            QemuEvent::SetConfig { actual, oldactual } => {
                if pointerless_foreign {
                    return self.foreign();
                }
                self.rec.actual = Some(actual);
                // One entry per config write: bounded by messages, and capped like the timeline.
                if self.rec.actual_sequence.len() < MAX_EVENTS {
                    self.rec.actual_sequence.push(actual);
                }
                ImportedKind::SetConfig { actual, oldactual }
            }
        };
        self.rec.report.mapped_lines += 1;
        self.push(line, t_ns, tid, kind);
    }
}

/// Appends runs folded from a later chunk of the same element, joining an ascending run that
/// continues across the chunk boundary.
fn append_runs(pfns: &mut Vec<PfnRun>, runs: Vec<PfnRun>) {
    let mut it = runs.into_iter();
    if let Some(first) = it.next() {
        match pfns.last_mut() {
            Some(last) if last.first.checked_add(last.count) == Some(first.first) => {
                last.count += first.count;
            }
            _ => pfns.push(first),
        }
    }
    pfns.extend(it);
}
