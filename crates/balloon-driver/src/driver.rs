//! `BalloonDriver`: the Linux driver as a state machine, one ring/config/status operation per
//! [`BalloonDriver::step`]. This file holds the driver's shared state and the dispatcher;
//! probe and remove are in `probe.rs`, `tell_host`'s ring stages in `tell.rs`, the work items
//! in `balloon.rs`, `stats.rs`, `reporting.rs`, `hinting.rs` and `workload.rs`. Each work item
//! owns its state in one struct (`BalloonOp`, `StatsOp`, `ReportOp`, `HintOp`), the
//! misbehaving guest is one hook (`misbehave.rs`), and the buffers' guest addresses are in
//! the leaf module `buffers.rs`.

use std::collections::VecDeque;

use virtq::{DriverQueue, GuestRam, Transport};

use crate::balloon::BalloonOp;
use crate::buffers::RING_AREA;
use crate::error::Error;
use crate::event::{DriverEvent, Violation};
use crate::features::{self, PagePoison, Role};
use crate::hinting::HintOp;
use crate::misbehave::Armed;
use crate::mm::GuestMm;
use crate::probe::{Phase, Probe};
use crate::reporting::ReportOp;
use crate::stats::StatsOp;
use crate::workload::Workload;

/// The guest kernel's build and boot options that change what the driver does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuestConfig {
    /// RAM in bytes (64 MiB..=16 TiB, whole 2 MiB).
    pub ram_size: u64,
    /// Swap in bytes.
    pub swap_bytes: u64,
    /// Seed of the guest's RNG.
    pub seed: u64,
    /// Page poisoning / init_on_free.
    pub poison: PagePoison,
    /// CONFIG_HUGETLB_PAGE: stats carry HTLB_PGALLOC / HTLB_PGFAIL.
    pub hugetlb: bool,
    /// Linux 6.12 or later: stats carry tags 10-15.
    pub stats_v612: bool,
    /// Transparent hugepages enabled (`always` or `madvise`): khugepaged raises
    /// `min_free_kbytes`, so every watermark (see [`crate::zones::Zones::q35`]).
    pub thp: bool,
}

impl GuestConfig {
    /// A guest of `ram_size` with no swap, no page poisoning, hugetlb, transparent hugepages,
    /// Linux 6.12 stats.
    pub fn new(ram_size: u64) -> GuestConfig {
        GuestConfig {
            ram_size,
            swap_bytes: 0,
            seed: 1,
            poison: PagePoison::Off,
            hugetlb: true,
            stats_v612: true,
            thp: true,
        }
    }

    /// The measured guest (QEMU 7.2 q35, Linux 6.1, 1 GiB): ten stats tags.
    pub fn linux_6_1_reference() -> GuestConfig {
        GuestConfig {
            stats_v612: false,
            ..GuestConfig::new(1 << 30)
        }
    }
}

/// One of the driver's virtqueues.
#[derive(Debug, Clone)]
pub struct Vq {
    /// Its job.
    pub role: Role,
    /// Its index on the transport.
    pub index: u16,
    /// The ring.
    pub queue: DriverQueue,
    /// A used-buffer interrupt arrived and was not yet consumed.
    pub irq: bool,
}

/// The queue of `role` among `vqs` (a free function so a caller can hold the queue and
/// another field of the driver at once).
pub(crate) fn find_vq(vqs: &mut [Vq], role: Role) -> Result<&mut Vq, Error> {
    vqs.iter_mut()
        .find(|v| v.role == role)
        .ok_or(Error::NotNow {
            what: "use a queue",
            why: "it was not set up",
        })
}

/// The Linux virtio-balloon driver and the guest it runs in.
#[derive(Debug, Clone)]
pub struct BalloonDriver {
    pub(crate) cfg: GuestConfig,
    pub(crate) mm: GuestMm,
    pub(crate) phase: Phase,
    pub(crate) status: u8,
    pub(crate) offered: u64,
    pub(crate) features: u64,
    pub(crate) vqs: Vec<Vq>,
    pub(crate) next_ring: u64,
    pub(crate) now: u64,
    /// `vb->stop_update`: `virtballoon_remove` started; no more config-change work.
    pub(crate) stop_update: bool,
    pub(crate) balloon: BalloonOp,
    pub(crate) stats: StatsOp,
    pub(crate) report: ReportOp,
    pub(crate) hint: HintOp,
    pub(crate) workloads: VecDeque<Workload>,
    pub(crate) workload_blocked: bool,
    pub(crate) misbehaviour: Armed,
    pub(crate) violations: Vec<Violation>,
}

impl BalloonDriver {
    /// A guest that has booted and is about to probe its balloon device.
    pub fn new(cfg: GuestConfig) -> Result<BalloonDriver, Error> {
        let mm = GuestMm::with_thp(cfg.ram_size, cfg.swap_bytes, cfg.thp, cfg.seed)?;
        Ok(BalloonDriver {
            cfg,
            mm,
            phase: Phase::Probe(Probe::Reset),
            status: 0,
            offered: 0,
            features: 0,
            vqs: Vec::new(),
            next_ring: RING_AREA,
            now: 0,
            stop_update: false,
            balloon: BalloonOp::default(),
            stats: StatsOp::default(),
            report: ReportOp::default(),
            hint: HintOp::default(),
            workloads: VecDeque::new(),
            workload_blocked: false,
            misbehaviour: Armed::default(),
            violations: Vec::new(),
        })
    }

    /// The guest's memory.
    pub fn mm(&self) -> &GuestMm {
        &self.mm
    }
    /// The guest's memory, for workloads and scenario set-up.
    pub fn mm_mut(&mut self) -> &mut GuestMm {
        &mut self.mm
    }
    /// The guest's configuration.
    pub fn config(&self) -> &GuestConfig {
        &self.cfg
    }
    /// Negotiated features.
    pub fn features(&self) -> u64 {
        self.features
    }
    /// Whether feature `bit` (a mask) was negotiated.
    pub fn has(&self, bit: u64) -> bool {
        self.features & bit != 0
    }
    /// vb->num_pages.
    pub fn num_pages(&self) -> u64 {
        self.balloon.num_pages
    }
    /// The queues set up by `init_vqs`.
    pub fn vqs(&self) -> &[Vq] {
        &self.vqs
    }
    /// Whether probe finished and the driver is running.
    pub fn is_running(&self) -> bool {
        self.phase == Phase::Running
    }
    /// Whether the driver stopped (probe failure or a bad ring).
    pub fn is_failed(&self) -> bool {
        self.phase == Phase::Failed
    }
    /// Whether `virtballoon_remove` finished.
    pub fn is_removed(&self) -> bool {
        self.phase == Phase::Removed
    }
    /// Spec rules broken so far (empty unless a misbehaviour mode was on).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// The balloon list as runs, most recently enqueued last.
    pub fn balloon_runs(&self) -> &[(u64, u64)] {
        self.balloon.list.runs()
    }
    pub(crate) fn vq(&self, role: Role) -> Option<&Vq> {
        self.vqs.iter().find(|v| v.role == role)
    }
    pub(crate) fn vq_mut(&mut self, role: Role) -> Result<&mut Vq, Error> {
        find_vq(&mut self.vqs, role)
    }

    /// `virtballoon_changed`: the config-change interrupt.
    pub fn on_config_change(&mut self) {
        if self.stop_update || !matches!(self.phase, Phase::Running) {
            return;
        }
        self.balloon.size_pending = true;
        if self.has(features::bit(features::VIRTIO_BALLOON_F_FREE_PAGE_HINT)) {
            self.hint.config_read_cmd_id = true;
            self.hint.pending = true;
        }
    }

    /// A used-buffer interrupt for `queue_index`: `balloon_ack` wakes a waiter; the stats
    /// queue's callback `stats_request` queues `update_balloon_stats_func`.
    pub fn on_used_interrupt(&mut self, queue_index: u16) {
        if let Some(v) = self.vqs.iter_mut().find(|v| v.index == queue_index) {
            v.irq = true;
            if v.role == Role::Stats {
                self.stats.pending = true;
            }
        }
    }

    /// The earliest virtual time at which a timer of the driver fires.
    pub fn next_timer(&self) -> Option<u64> {
        let parked = self.balloon.parked.as_ref().and_then(|p| p.timer());
        [self.balloon.state.timer(), parked, self.report.timer()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The free page reporting delay (`page_reporting_delay`, 2 s), if armed: it ends once
    /// no freed block is left to report. The out-of-puff retry is not counted here, since it
    /// recurs for as long as the balloon cannot be filled.
    pub fn next_report_timer(&self) -> Option<u64> {
        self.report.timer()
    }

    /// Fires the timers due at `now_ns`.
    pub fn fire_timer(&mut self, now_ns: u64) {
        self.now = self.now.max(now_ns);
        self.balloon.state.fire(now_ns);
        if let Some(p) = &mut self.balloon.parked {
            p.fire(now_ns);
        }
        self.report.fire(now_ns);
    }

    /// Whether a step would do something now (without waiting for an interrupt or a timer).
    pub fn has_work(&self) -> bool {
        match self.phase {
            Phase::Probe(_) => true,
            Phase::Removing(_) => self.balloon.state.is_idle() || self.op_ready(),
            Phase::Removed | Phase::Failed => false,
            Phase::Running => {
                self.op_ready()
                    || (self.balloon.oom_pending && self.balloon.state.is_asleep())
                    || (self.balloon.state.is_idle()
                        && (self.balloon.oom_pending
                            || self.balloon.migrate_pending
                            || (self.balloon.size_pending && !self.stop_update)))
                    || self.stats_ready()
                    || self.report_ready()
                    || self.hint_ready()
                    || self.workload_ready()
                    || self.second_stats_due()
            }
        }
    }

    /// Performs one operation and describes it.
    pub fn step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
        now_ns: u64,
    ) -> Option<DriverEvent> {
        self.now = self.now.max(now_ns);
        match self.step_inner(tr, ram) {
            Ok(ev) => ev,
            Err(e) => {
                self.phase = Phase::Failed;
                Some(DriverEvent::Failed {
                    reason: e.to_string(),
                })
            }
        }
    }

    fn step_inner(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<Option<DriverEvent>, Error> {
        match self.phase {
            Phase::Probe(p) => self.probe_step(p, tr, ram).map(Some),
            Phase::Removing(r) => self.remove_step(r, tr, ram),
            Phase::Removed | Phase::Failed => Ok(None),
            Phase::Running => {
                if self.second_stats_due() {
                    self.misbehaviour.disarm();
                    self.stats.fill_first();
                    let what = "a second stats buffer while the device holds one".to_string();
                    return Ok(Some(DriverEvent::Misbehaved { what }));
                }
                // The allocation that called out_of_memory() retries as soon as the notifiers
                // return, in the same task (`__alloc_pages_may_oom` → `did_some_progress`), before
                // the balloon's queued work runs again.
                if self.workload_blocked
                    && self.balloon.oom_result.is_some()
                    && !self.balloon.state.is_oom_work()
                {
                    return Ok(self.workload_step());
                }
                if (self.op_ready()
                    || (self.balloon.oom_pending && self.balloon.state.is_asleep())
                    || self.balloon.state.is_idle()
                        && (self.balloon.oom_pending
                            || self.balloon.migrate_pending
                            || self.balloon.size_pending))
                    && let Some(ev) = self.balloon_step(tr, ram)?
                {
                    return Ok(Some(ev));
                }
                if self.stats_ready() {
                    return self.stats_step(tr, ram).map(Some);
                }
                if self.report_ready() {
                    return self.report_step(tr, ram).map(Some);
                }
                if self.hint_ready() {
                    return self.hint_step(tr, ram).map(Some);
                }
                if self.workload_ready() {
                    return Ok(self.workload_step());
                }
                Ok(None)
            }
        }
    }
}
