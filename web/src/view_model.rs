//! Plain data for the display components, computed from a [`Session`].
//!
//! Every function here costs O(ring size + cells + a fixed window of events): nothing scans
//! the whole timeline or walks guest pages, so a 64 GiB guest after a long run renders as fast
//! as a fresh one. The components take these structs as props and never see the session.

use balloon_device::InitStage;
use balloon_device::consts::{
    STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FAILED,
    STATUS_FEATURES_OK, feature_name,
};
use balloon_sim::command::QueueName;
use balloon_sim::trace::{ConfigField, Move, PfnRange};
use balloon_sim::world::{MemoryCell, QueueCounts};
use balloon_sim::{Session, StatsSample, TraceEvent};
use virtq::{DescState, GuestRam};

/// Bytes in a balloon page (`VIRTIO_BALLOON_PFN_SHIFT` = 12).
pub const PAGE_SIZE: u64 = 4096;
/// Most PFNs one inflate or deflate buffer carries (Linux `VIRTIO_BALLOON_ARRAY_PFNS_MAX`).
pub const PFNS_MAX: usize = 256;
/// Events the transcript shows: its cost must not grow with the run.
pub const TRANSCRIPT_LEN: usize = 50;
/// Cells of the guest memory map.
pub const MEMORY_CELLS: usize = 64;
/// Points per stats line: a long run is thinned to this many samples.
pub const CHART_POINTS: usize = 240;

/// The current event: the last one the shown state lived through.
pub fn current_event(s: &Session) -> Option<&TraceEvent> {
    let i = usize::try_from(s.current_index().checked_sub(1)?).ok()?;
    s.events().get(i)
}

/// The numbers the balloon picture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalloonModel {
    /// Guest RAM in balloon pages.
    pub ram_pages: u64,
    /// Config `num_pages`: what the host asks for.
    pub num_pages: u32,
    /// Config `actual`: what the guest reported.
    pub actual: u32,
    /// The host's resident size of guest RAM in bytes.
    pub host_resident_bytes: u64,
}

impl BalloonModel {
    /// From the session's balloon view.
    pub fn from_session(s: &Session) -> Self {
        let b = s.balloon();
        Self {
            ram_pages: b.ram_size / PAGE_SIZE,
            num_pages: b.num_pages,
            actual: b.actual,
            host_resident_bytes: b.host_resident_bytes,
        }
    }
    /// `actual` as a share of guest RAM, 0.0..=1.0.
    pub fn actual_fill(&self) -> f64 {
        share(u64::from(self.actual), self.ram_pages)
    }
    /// `num_pages` as a share of guest RAM, 0.0..=1.0.
    pub fn target_fill(&self) -> f64 {
        share(u64::from(self.num_pages), self.ram_pages)
    }
    /// Guest RAM minus the balloon, in pages.
    pub fn usable_pages(&self) -> u64 {
        self.ram_pages.saturating_sub(u64::from(self.actual))
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

/// `pages` balloon pages in MiB, with one decimal when not whole ("512 MiB", "0.5 MiB").
pub fn format_mib(pages: u64) -> String {
    let bytes = pages.saturating_mul(PAGE_SIZE);
    format_bytes_mib(bytes)
}

/// Bytes in MiB, with one decimal when not whole.
pub fn format_bytes_mib(bytes: u64) -> String {
    let mib = 1u64 << 20;
    if bytes.is_multiple_of(mib) {
        format!("{} MiB", bytes / mib)
    } else {
        format!("{:.1} MiB", bytes as f64 / mib as f64)
    }
}

/// A PFN run as the ring panels print it: `0x1a000–0x1a0ff (256 pages)`.
pub fn format_pfn_range(r: PfnRange) -> String {
    match r.count {
        0 => format!("{:#x} (0 pages)", r.first),
        1 => format!("{:#x} (1 page)", r.first),
        n => format!(
            "{:#x}–{:#x} ({n} pages)",
            r.first,
            r.first.saturating_add(n - 1)
        ),
    }
}

/// Consecutive PFNs folded into runs, in array order (a PFN array is not sorted in general).
/// Linux fills the array as it allocates, often from the top of a free block down, so a
/// descending sequence folds into one run as well.
pub fn pfn_runs(pfns: &[u32]) -> Vec<PfnRange> {
    // (first PFN of the run in array order, last PFN, step +1 / -1)
    let mut runs: Vec<(u64, u64, i8)> = Vec::new();
    for &p in pfns {
        let p = u64::from(p);
        if let Some((start, last, step)) = runs.last_mut() {
            let up = last.checked_add(1) == Some(p);
            let down = last.checked_sub(1) == Some(p);
            let single = *start == *last;
            if (up && (single || *step == 1)) || (down && (single || *step == -1)) {
                *step = if up { 1 } else { -1 };
                *last = p;
                continue;
            }
        }
        runs.push((p, p, 0));
    }
    runs.into_iter()
        .map(|(a, b, _)| PfnRange {
            first: a.min(b),
            count: a.abs_diff(b) + 1,
        })
        .collect()
}

/// Descriptor flags by name (`NEXT|WRITE`), "0" when none.
pub fn format_desc_flags(flags: u16) -> String {
    let names: Vec<&str> = [(1, "NEXT"), (2, "WRITE"), (4, "INDIRECT")]
        .into_iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| n)
        .collect();
    if names.is_empty() {
        "0".to_owned()
    } else {
        names.join("|")
    }
}

/// Which side of the ring holds the work right now (where the travelling token sits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The guest driver: nothing published, or a used buffer waits to be collected.
    Guest,
    /// The device: a published buffer waits to be popped, or the handler is mid-way.
    Device,
}

/// What the current step changed on one queue: the cells the panel highlights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueChanges {
    /// Descriptors written.
    pub descs: Vec<u16>,
    /// avail.idx moved.
    pub avail_idx: bool,
    /// The device's next_avail moved.
    pub next_avail: bool,
    /// used.idx moved.
    pub used_idx: bool,
    /// The driver's last_used moved.
    pub last_used: bool,
    /// The driver kicked.
    pub kick: bool,
    /// The device raised a used-buffer interrupt.
    pub interrupt: bool,
    /// The step went from guest to device (driver work) rather than back.
    pub towards_device: Option<bool>,
}

/// What a descriptor's buffer holds, as far as the panel can tell from guest memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// ivq / dvq: an array of 32-bit PFNs, folded into runs.
    Pfns(Vec<PfnRange>),
    /// reporting_vq / free_page_vq: the buffer is itself the pages.
    Pages(PfnRange),
    /// svq: `struct virtio_balloon_stat` entries (10 bytes each).
    Stats(u32),
    /// Nothing to read (odd length, outside RAM).
    Unreadable,
}

/// One queue, as both sides see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueModel {
    /// Linux name.
    pub name: QueueName,
    /// Transport index.
    pub index: u16,
    /// Size offered by the device.
    pub max_size: u16,
    /// Configured and enabled.
    pub ready: bool,
    /// The device's next_avail (QEMU `last_avail_idx`).
    pub next_avail: u16,
    /// used.idx as the device published it.
    pub device_used_idx: u16,
    /// The handler is mid-way.
    pub busy: bool,
    /// The ring read from guest memory, once the driver set it up.
    pub ring: Option<virtq::QueueView>,
    /// What the buffer of each descriptor that is not free holds, by descriptor index.
    pub payloads: Vec<(u16, Payload)>,
    /// Kicks and interrupts so far.
    pub counts: QueueCounts,
    /// What the current step changed here.
    pub changes: QueueChanges,
    /// PFN runs the current step carried on this queue.
    pub step_pfns: Vec<PfnRange>,
    /// Who holds the work.
    pub side: Side,
}

impl QueueModel {
    /// The test-id suffix and heading: `ivq`, `dvq`, `svq`, `free_page_vq`, `reporting_vq`.
    pub fn label(&self) -> &'static str {
        self.name.as_str()
    }
}

/// Every queue the device created, in transport order.
pub fn queue_models(s: &Session) -> Vec<QueueModel> {
    let ev = current_event(s);
    let (moves, step_pfns, ev_queue) = match ev {
        Some(e) => (e.moves(), e.pfns(), e.queue),
        None => (Vec::new(), Vec::new(), None),
    };
    let w = s.world();
    let ram = w.ram();
    s.queue_views()
        .into_iter()
        .map(|q| {
            let driver_q = w
                .guest()
                .driver()
                .vqs()
                .iter()
                .find(|vq| vq.index == q.index)
                .map(|vq| &vq.queue);
            let ring = driver_q.and_then(|dq| virtq::QueueView::new(dq, q.next_avail, ram).ok());
            let payloads = ring
                .as_ref()
                .map(|r| {
                    r.descriptors
                        .iter()
                        .filter(|d| d.state != DescState::Free)
                        .map(|d| (d.index, payload(q.name, d.desc.addr, d.desc.len, ram)))
                        .collect()
                })
                .unwrap_or_default();
            let here = ev_queue == Some(q.name);
            let changes = if here {
                changes_of(&moves, ev.map(|e| e.actor))
            } else {
                QueueChanges::default()
            };
            let side = match &ring {
                Some(r) if r.pending_avail > 0 || q.busy || q.kicked => Side::Device,
                _ => Side::Guest,
            };
            QueueModel {
                name: q.name,
                index: q.index,
                max_size: q.max_size,
                ready: q.ready,
                next_avail: q.next_avail,
                device_used_idx: q.used_idx,
                busy: q.busy,
                ring,
                payloads,
                counts: w.queue_counts(q.name),
                changes,
                step_pfns: if here { step_pfns.clone() } else { Vec::new() },
                side,
            }
        })
        .collect()
}

fn changes_of(moves: &[Move], actor: Option<balloon_sim::trace::Actor>) -> QueueChanges {
    use balloon_sim::trace::Actor;
    let mut c = QueueChanges::default();
    for m in moves {
        match *m {
            Move::DescWritten { desc, .. } => c.descs.push(desc),
            Move::AvailIdx { .. } => c.avail_idx = true,
            Move::NextAvail { .. } => c.next_avail = true,
            Move::UsedIdx { .. } => c.used_idx = true,
            Move::LastUsed { .. } => c.last_used = true,
            Move::Kick => c.kick = true,
            Move::UsedInterrupt => c.interrupt = true,
            _ => {}
        }
    }
    // Publishing, kicking and popping move a buffer to the device; pushing it to the used
    // ring, the interrupt and its delivery bring it back. Work inside one side (the device
    // discarding pages, the driver filling an array) goes nowhere.
    c.towards_device = if c.kick || c.avail_idx || c.next_avail {
        Some(true)
    } else if c.used_idx || c.interrupt || c.last_used || actor == Some(Actor::Transport) {
        Some(false)
    } else {
        None
    };
    c
}

fn payload(queue: QueueName, addr: u64, len: u32, ram: &impl GuestRam) -> Payload {
    match queue {
        QueueName::Ivq | QueueName::Dvq => {
            if !len.is_multiple_of(4) {
                return Payload::Unreadable;
            }
            let n = (len / 4) as usize;
            // A malformed guest may claim a huge buffer; read at most one legal array.
            let mut bytes = vec![0u8; n.min(PFNS_MAX) * 4];
            if ram.read(addr, &mut bytes).is_err() {
                return Payload::Unreadable;
            }
            let pfns: Vec<u32> = bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Payload::Pfns(pfn_runs(&pfns))
        }
        QueueName::Svq => Payload::Stats(len / 10),
        QueueName::FreePageVq | QueueName::ReportingVq => Payload::Pages(PfnRange {
            first: addr / PAGE_SIZE,
            count: u64::from(len).div_ceil(PAGE_SIZE),
        }),
    }
}

/// A status bit and whether it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusBit {
    /// Spec name.
    pub name: &'static str,
    /// Set.
    pub set: bool,
}

/// The config space panel's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigModel {
    /// `num_pages`.
    pub num_pages: u32,
    /// `actual`.
    pub actual: u32,
    /// `free_page_hint_cmd_id`.
    pub free_page_hint_cmd_id: u32,
    /// `poison_val`.
    pub poison_val: u32,
    /// Config size in bytes.
    pub size: usize,
    /// The status byte.
    pub status: u8,
    /// Its bits, decoded.
    pub status_bits: Vec<StatusBit>,
    /// Negotiated features by name.
    pub features: Vec<&'static str>,
    /// Offered but not accepted, by name.
    pub declined: Vec<&'static str>,
    /// Fields the current step changed.
    pub changed: Vec<ConfigField>,
    /// The current step changed the status byte.
    pub status_changed: bool,
}

const STATUS_TABLE: [(u8, &str); 6] = [
    (STATUS_ACKNOWLEDGE, "ACKNOWLEDGE"),
    (STATUS_DRIVER, "DRIVER"),
    (STATUS_FEATURES_OK, "FEATURES_OK"),
    (STATUS_DRIVER_OK, "DRIVER_OK"),
    (STATUS_DEVICE_NEEDS_RESET, "NEEDS_RESET"),
    (STATUS_FAILED, "FAILED"),
];

fn feature_list(bits: u64) -> Vec<&'static str> {
    (0..64)
        .filter(|b| bits & (1u64 << b) != 0)
        .map(feature_name)
        .collect()
}

/// The config space, decoded, with what the current step changed.
pub fn config_model(s: &Session) -> ConfigModel {
    let c = s.config_view();
    let (mut changed, mut status_changed) = (Vec::new(), false);
    for m in current_event(s).map(TraceEvent::moves).unwrap_or_default() {
        match m {
            Move::Config { field, .. } => changed.push(field),
            Move::Status { .. } => status_changed = true,
            _ => {}
        }
    }
    ConfigModel {
        num_pages: c.num_pages,
        actual: c.actual,
        free_page_hint_cmd_id: c.free_page_hint_cmd_id,
        poison_val: c.poison_val,
        size: c.size,
        status: c.status,
        status_bits: STATUS_TABLE
            .iter()
            .map(|&(bit, name)| StatusBit {
                name,
                set: c.status & bit != 0,
            })
            .collect(),
        features: feature_list(c.driver_features),
        declined: feature_list(c.device_features & !c.driver_features),
        changed,
        status_changed,
    }
}

/// Where a stage of the device's bring-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageState {
    /// Done.
    Done,
    /// The next step performs it.
    Current,
    /// Later.
    Pending,
    /// It failed (realize error, FAILED status).
    Failed,
}

/// One stage of the init flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitStageModel {
    /// Short name.
    pub name: &'static str,
    /// The QEMU or Linux function that performs it.
    pub function: &'static str,
    /// Where it is.
    pub state: StageState,
}

/// The stages from QOM type registration to DRIVER_OK, from the device's init stage and the
/// status byte (O(1): no event scan).
pub fn init_flow(s: &Session) -> Vec<InitStageModel> {
    let dev = s.world().device();
    let stage = dev.init_stage();
    let status = dev.status();
    // How many device stages are behind us: a failed realize stops after instance_init.
    let device_done = match stage {
        InitStage::TypeInit => 0,
        InitStage::ClassInit => 1,
        InitStage::InstanceInit => 2,
        InitStage::Realize | InitStage::Failed => 3,
        InitStage::AddQueue(_) | InitStage::StatsReset => 5,
        InitStage::Done | InitStage::Unrealized => 6,
    };
    let rows: [(&str, &str, bool); 10] = [
        ("type registration", "type_register_static", device_done > 0),
        ("class_init", "virtio_balloon_class_init", device_done > 1),
        (
            "instance_init",
            "virtio_balloon_instance_init",
            device_done > 2,
        ),
        ("realize", "virtio_balloon_device_realize", device_done > 3),
        ("virtio_init", "virtio_init", device_done > 3),
        ("queues", "virtio_add_queue", device_done > 5),
        (
            "ACKNOWLEDGE",
            "virtio_add_status",
            status & STATUS_ACKNOWLEDGE != 0,
        ),
        ("DRIVER", "virtio_dev_probe", status & STATUS_DRIVER != 0),
        (
            "FEATURES_OK",
            "virtio_features_ok",
            status & STATUS_FEATURES_OK != 0,
        ),
        (
            "DRIVER_OK",
            "virtio_device_ready",
            status & STATUS_DRIVER_OK != 0,
        ),
    ];
    let failed = stage == InitStage::Failed || status & STATUS_FAILED != 0;
    let mut current_marked = false;
    rows.iter()
        .map(|&(name, function, done)| {
            let state = if done {
                StageState::Done
            } else if current_marked {
                StageState::Pending
            } else {
                current_marked = true;
                if failed {
                    StageState::Failed
                } else {
                    StageState::Current
                }
            };
            InitStageModel {
                name,
                function,
                state,
            }
        })
        .collect()
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// 1-based event number (the index the explanation shows).
    pub number: u64,
    /// Virtual time, formatted.
    pub time: String,
    /// Who acted.
    pub actor: &'static str,
    /// The sentence.
    pub sentence: String,
}

/// The last `max` events up to the shown state (cost O(max), whatever the run's length).
pub fn transcript(s: &Session, max: usize) -> Vec<TranscriptLine> {
    let end = usize::try_from(s.current_index()).unwrap_or(usize::MAX);
    s.events()
        .range(end.saturating_sub(max), end)
        .map(|e| TranscriptLine {
            number: e.index + 1,
            time: balloon_sim::clock::format_time(e.time_ns),
            actor: e.actor.label(),
            sentence: e.sentence(),
        })
        .collect()
}

/// The explanation of the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplanationModel {
    /// 1-based event number.
    pub index: u64,
    /// The sentence.
    pub sentence: String,
    /// The QEMU or Linux function.
    pub function: &'static str,
    /// The VIRTIO spec section.
    pub spec: Option<&'static str>,
}

/// The current step in one sentence, with its function and spec section.
pub fn explanation(s: &Session) -> Option<ExplanationModel> {
    current_event(s).map(|e| ExplanationModel {
        index: e.index + 1,
        sentence: e.sentence(),
        function: e.function(),
        spec: e.spec(),
    })
}

/// The guest memory map in [`MEMORY_CELLS`] cells.
pub fn memory_map(s: &Session) -> Vec<MemoryCell> {
    s.memory_map(MEMORY_CELLS)
}

/// One line of the stats chart.
#[derive(Debug, Clone, PartialEq)]
pub struct StatSeries {
    /// The spec's tag name (`VIRTIO_BALLOON_S_MEMFREE`).
    pub name: &'static str,
    /// (virtual seconds, MiB) points.
    pub points: Vec<(f64, f64)>,
}

/// The stats chart's data.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsChartModel {
    /// Lines with at least one reported value.
    pub series: Vec<StatSeries>,
    /// The time axis ends here (s).
    pub t_max: f64,
    /// The value axis ends here (MiB).
    pub y_max: f64,
    /// Samples in the run (before thinning).
    pub samples: usize,
}

/// The memory stats the chart draws, by tag (`VIRTIO_BALLOON_S_*`, all in bytes).
pub const CHART_STATS: [(usize, &str); 4] = [
    (5, "VIRTIO_BALLOON_S_MEMTOT"),
    (6, "VIRTIO_BALLOON_S_AVAIL"),
    (4, "VIRTIO_BALLOON_S_MEMFREE"),
    (7, "VIRTIO_BALLOON_S_CACHES"),
];

/// The chart of `samples`, thinned to at most `max_points` per line: O(max_points), not
/// O(samples), since only the picked samples are read.
pub fn stats_chart(samples: &[StatsSample], max_points: usize) -> StatsChartModel {
    let n = samples.len();
    let stride = n.div_ceil(max_points.max(1)).max(1);
    let picked: Vec<&StatsSample> = (0..n)
        .step_by(stride)
        .chain((n > 0 && !(n - 1).is_multiple_of(stride)).then(|| n - 1))
        .filter_map(|i| samples.get(i))
        .collect();
    let mib = (1u64 << 20) as f64;
    let series: Vec<StatSeries> = CHART_STATS
        .iter()
        .map(|&(tag, name)| StatSeries {
            name,
            points: picked
                .iter()
                .filter_map(|s| {
                    let v = *s.values.get(tag)?;
                    (v != u64::MAX).then(|| (s.time_ns as f64 / 1e9, v as f64 / mib))
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let max_of = |f: fn(&(f64, f64)) -> f64| {
        series
            .iter()
            .flat_map(|s| s.points.iter().map(f))
            .fold(0.0, f64::max)
    };
    StatsChartModel {
        t_max: max_of(|p| p.0),
        y_max: max_of(|p| p.1),
        series,
        samples: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balloon_sim::StepSize;

    fn booted() -> Session {
        Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n")
            .unwrap()
            .0
    }

    #[test]
    fn pfn_ranges_read_as_the_spec_prints_them() {
        let r = |first, count| format_pfn_range(PfnRange { first, count });
        assert_eq!(r(0x1a000, 256), "0x1a000–0x1a0ff (256 pages)");
        assert_eq!(r(0x10, 1), "0x10 (1 page)");
        assert_eq!(r(0x10, 2), "0x10–0x11 (2 pages)");
        assert_eq!(
            r(u64::MAX, 2),
            format!("{:#x}–{:#x} (2 pages)", u64::MAX, u64::MAX)
        );
    }

    #[test]
    fn pfn_runs_fold_consecutive_pfns_in_array_order() {
        assert_eq!(pfn_runs(&[]), vec![]);
        assert_eq!(
            pfn_runs(&[5, 6, 7, 9, 3, 4]),
            vec![
                PfnRange { first: 5, count: 3 },
                PfnRange { first: 9, count: 1 },
                PfnRange { first: 3, count: 2 },
            ]
        );
        let down: Vec<u32> = (0x30000..=0x300ff).rev().collect();
        assert_eq!(
            pfn_runs(&down),
            vec![PfnRange {
                first: 0x30000,
                count: 256
            }]
        );
        // A turn is a new run: 3 2 1 2 3 is not one range.
        assert_eq!(pfn_runs(&[3, 2, 1, 2, 3]).len(), 2);
        assert_eq!(pfn_runs(&[u32::MAX, 0]).len(), 2);
    }

    #[test]
    fn mib_and_flags_formatting() {
        assert_eq!(format_mib(131_072), "512 MiB");
        assert_eq!(format_mib(128), "0.5 MiB");
        assert_eq!(format_desc_flags(0), "0");
        assert_eq!(format_desc_flags(3), "NEXT|WRITE");
    }

    #[test]
    fn one_inflate_message_moves_the_ivq_indices_and_highlights_them() {
        let mut s = booted();
        let ivq = |s: &Session| {
            queue_models(s)
                .into_iter()
                .find(|q| q.name == QueueName::Ivq)
                .unwrap()
        };
        let before = ivq(&s).ring.unwrap();
        s.apply_line("balloon 512").unwrap();
        // Up to the publish: avail.idx moves and is highlighted.
        let mut saw_avail = false;
        let mut saw_pfns = false;
        for _ in 0..200 {
            s.step(StepSize::Op);
            let q = ivq(&s);
            saw_avail |= q.changes.avail_idx;
            saw_pfns |= q.payloads.iter().any(|(_, p)| {
                matches!(p, Payload::Pfns(r) if r.iter().map(|r| r.count).sum::<u64>() == 256)
            });
            if current_event(&s).is_some_and(TraceEvent::ends_message) {
                break;
            }
        }
        let after = ivq(&s);
        let ring = after.ring.as_ref().unwrap();
        assert!(saw_avail, "avail.idx never highlighted");
        assert!(saw_pfns, "no in-flight descriptor showed its 256 PFNs");
        assert_eq!(ring.avail.idx, before.avail.idx.wrapping_add(1));
        assert_eq!(ring.used.idx, before.used.idx.wrapping_add(1));
        assert!(
            after.changes.last_used,
            "the closing step collects the used buffer"
        );
        assert_eq!(after.changes.towards_device, Some(false));
        assert_eq!((after.counts.kicks, after.counts.interrupts), (1, 1));
        assert_eq!(after.side, Side::Guest);
    }

    #[test]
    fn init_flow_walks_from_type_registration_to_driver_ok() {
        let mut s = Session::new(balloon_sim::command::MachineConfig::default()).unwrap();
        let current = |s: &Session| {
            init_flow(s)
                .iter()
                .find(|st| st.state == StageState::Current)
                .map(|st| st.name)
        };
        assert_eq!(current(&s), Some("type registration"));
        s.step(StepSize::Op);
        assert_eq!(current(&s), Some("class_init"));
        s.step(StepSize::UntilQuiet);
        assert_eq!(current(&s), None);
        assert!(init_flow(&s).iter().all(|st| st.state == StageState::Done));
        let c = config_model(&s);
        assert!(c.status_bits.iter().filter(|b| b.set).count() == 4);
        assert!(c.features.contains(&"VIRTIO_F_VERSION_1"));
    }

    #[test]
    fn config_model_marks_the_field_the_step_changed() {
        let mut s = booted();
        s.apply_line("balloon 512").unwrap();
        let c = config_model(&s);
        assert_eq!(c.num_pages, 131_072);
        assert_eq!(c.changed, vec![ConfigField::NumPages]);
        s.step(StepSize::Op);
        assert!(config_model(&s).changed.is_empty());
    }

    #[test]
    fn transcript_is_bounded_and_ends_at_the_current_event() {
        let mut s = booted();
        s.apply_line("balloon 512").unwrap();
        s.step(StepSize::UntilQuiet);
        assert!(s.current_index() > 1000);
        let t = transcript(&s, TRANSCRIPT_LEN);
        assert_eq!(t.len(), TRANSCRIPT_LEN);
        assert_eq!(t.last().unwrap().number, s.current_index());
        s.seek(3).unwrap();
        let t = transcript(&s, TRANSCRIPT_LEN);
        assert_eq!(t.iter().map(|l| l.number).collect::<Vec<_>>(), [1, 2, 3]);
    }

    fn sample(i: u64, free: u64) -> StatsSample {
        let mut values = [u64::MAX; 16];
        values[4] = free << 20;
        StatsSample {
            index: i,
            time_ns: i * 1_000_000_000,
            values,
        }
    }

    #[test]
    fn stats_chart_thins_long_runs_and_keeps_the_last_sample() {
        let samples: Vec<_> = (0..10_000).map(|i| sample(i, i % 700)).collect();
        let c = stats_chart(&samples, 240);
        assert_eq!(c.series.len(), 1, "only MEMFREE was reported");
        assert_eq!(c.series[0].name, "VIRTIO_BALLOON_S_MEMFREE");
        assert!(c.series[0].points.len() <= 241);
        assert_eq!(c.series[0].points.last().unwrap().0, 9999.0);
        assert_eq!(c.samples, 10_000);
        assert!(stats_chart(&[], 240).series.is_empty());
    }
}
