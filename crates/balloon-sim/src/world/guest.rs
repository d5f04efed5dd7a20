//! The guest side of the world: the Linux-shaped driver and the guest's memory manager, behind
//! the few calls the scheduler makes.

use balloon_driver::{BalloonDriver, DriverEvent, GuestConfig, GuestMm, Role, Workload};
use virtq::{GuestRam, Transport};

use crate::command::{Fault, GuestOp, MachineConfig, QueueName};
use crate::error::Error;
use crate::trace::{Actor, Move, PfnRun};

/// The guest: driver plus memory.
#[derive(Debug, Clone)]
pub struct Guest {
    driver: BalloonDriver,
}

impl Guest {
    /// A booted guest kernel with the balloon driver not yet probed.
    pub fn new(machine: &MachineConfig) -> Result<Self, Error> {
        let mut cfg = GuestConfig::new(machine.ram_size);
        cfg.seed = machine.seed;
        // Linux 6.1, the measured pair's guest: update_balloon_stats sends tags 0-9 (tags
        // 10-15, OOM kills and reclaim counters, came with 6.12).
        cfg.stats_v612 = false;
        Ok(Self {
            driver: BalloonDriver::new(cfg).map_err(Error::Guest)?,
        })
    }

    /// The guest memory manager.
    pub fn mm(&self) -> &GuestMm {
        self.driver.mm()
    }
    /// Pages the guest wrote since the last call (see [`GuestMm::take_written`]).
    pub fn take_written(&mut self) -> Vec<(u64, u64)> {
        self.driver.mm_mut().take_written()
    }
    /// The driver.
    pub fn driver(&self) -> &BalloonDriver {
        &self.driver
    }
    /// Heap bytes of the guest model (page map), for snapshot budgeting.
    pub fn heap_bytes(&self) -> usize {
        self.driver.mm().heap_bytes()
    }
    /// Pages in the balloon (acknowledged by the host).
    pub fn ballooned_pages(&self) -> u64 {
        self.driver.num_pages()
    }
    /// Whether the driver has something to do now.
    pub fn has_work(&self) -> bool {
        self.driver.has_work()
    }
    /// One driver step.
    pub fn step<T: Transport, R: GuestRam>(
        &mut self,
        t: &mut T,
        ram: &mut R,
        now_ns: u64,
    ) -> Option<DriverEvent> {
        self.driver.step(t, ram, now_ns)
    }
    /// The driver's earliest timer.
    pub fn next_timer(&self) -> Option<u64> {
        self.driver.next_timer()
    }
    /// Fires the driver's timers due at `now_ns` (their work shows in the next steps).
    pub fn fire_timer(&mut self, now_ns: u64) {
        self.driver.fire_timer(now_ns);
    }
    /// A config-change interrupt.
    pub fn on_config_change(&mut self) {
        self.driver.on_config_change();
    }
    /// A used-buffer interrupt on a queue index.
    pub fn on_used_interrupt(&mut self, index: u16) {
        self.driver.on_used_interrupt(index);
    }
    /// Queues a workload action (it runs in the driver's next steps); returns what was queued.
    pub fn workload(&mut self, op: GuestOp) -> String {
        let pages = |b: u64| b.div_ceil(balloon_spec::PAGE_SIZE);
        let w = match op {
            GuestOp::Alloc(b) => Workload::Alloc { pages: pages(b) },
            GuestOp::Free(b) => Workload::Free { pages: pages(b) },
            GuestOp::Cache(b) => Workload::ReadFile { pages: pages(b) },
            GuestOp::Touch(b) => Workload::Touch { pages: pages(b) },
        };
        self.driver.run(w);
        format!("{w} (queued)")
    }
    /// Arms a malformed-guest behaviour for the next buffer on its queue.
    pub fn arm_fault(&mut self, f: &Fault) {
        let m = f.kind.misbehaviour();
        self.driver.set_misbehaviour(Some(m));
    }
}

/// The Linux queue name of a driver role.
pub fn role_queue(role: Role) -> QueueName {
    match role {
        Role::Inflate => QueueName::Ivq,
        Role::Deflate => QueueName::Dvq,
        Role::Stats => QueueName::Svq,
        Role::FreePage => QueueName::FreePageVq,
        Role::Reporting => QueueName::ReportingVq,
    }
}

/// Who acts for a driver event: the balloon driver, or the guest's memory manager.
pub(crate) fn actor_of(ev: &DriverEvent) -> Actor {
    use DriverEvent as E;
    match ev {
        E::Workload { .. }
        | E::OomKill { .. }
        | E::ReportIsolated { .. }
        | E::ReportScheduled { .. }
        | E::ReportPassDone { .. }
        | E::HintsReturned { .. } => Actor::GuestMm,
        _ => Actor::GuestDriver,
    }
}

fn runs(r: &balloon_driver::Runs, pfns: &mut Vec<PfnRun>) {
    pfns.extend(
        r.runs()
            .iter()
            .map(|&(first, count)| PfnRun { first, count }),
    );
}

/// The queue, moves and PFNs of a driver event.
pub(crate) fn driver_moves(
    ev: &DriverEvent,
    moves: &mut Vec<Move>,
    pfns: &mut Vec<PfnRun>,
) -> Option<QueueName> {
    use DriverEvent as E;
    match ev {
        E::BufferAdded {
            role,
            head,
            segments,
            ..
        } => {
            if let Some(s) = segments.first() {
                let mut flags = if s.writable {
                    virtq::layout::VIRTQ_DESC_F_WRITE
                } else {
                    0
                };
                if segments.len() > 1 {
                    flags |= virtq::layout::VIRTQ_DESC_F_NEXT;
                }
                moves.push(Move::DescWritten {
                    desc: *head,
                    addr: s.addr,
                    len: s.len,
                    flags,
                });
            }
            Some(role_queue(*role))
        }
        E::Published {
            role,
            avail_old,
            avail_new,
            ..
        } => {
            moves.push(Move::AvailIdx {
                from: *avail_old,
                to: *avail_new,
            });
            Some(role_queue(*role))
        }
        E::Kicked { role, .. } | E::NothingUsed { role, .. } => Some(role_queue(*role)),
        E::UsedCollected {
            role,
            last_used,
            pages,
            ..
        } => {
            moves.push(Move::LastUsed {
                from: last_used.wrapping_sub(1),
                to: *last_used,
            });
            runs(pages, pfns);
            Some(role_queue(*role))
        }
        E::QueueSetUp { role, .. } => Some(role_queue(*role)),
        E::PagesAllocated { pages, .. }
        | E::PagesDequeued { pages, .. }
        | E::PagesReleased { pages } => {
            runs(pages, pfns);
            None
        }
        E::ReportIsolated { blocks } => {
            pfns.extend(blocks.iter().map(|&(first, count)| PfnRun { first, count }));
            Some(QueueName::ReportingVq)
        }
        // Work inside the guest that moves no ring index and carries no PFN run here (the
        // device's side of a config write is its own event).
        E::Status { .. }
        | E::FeaturesNegotiated { .. }
        | E::Failed { .. }
        | E::PoisonWritten { .. }
        | E::TargetRead { .. }
        | E::WorkQueued { .. }
        | E::OutOfPuff { .. }
        | E::ActualWritten { .. }
        | E::StatsFilled { .. }
        | E::OomNotify { .. }
        | E::OomKill { .. }
        | E::Workload { .. }
        | E::ReportScheduled { .. }
        | E::ReportPassDone { .. }
        | E::HintCmdIdRead { .. }
        | E::HintBlock { .. }
        | E::HintsReturned { .. }
        | E::MigrationPicked { .. }
        | E::Misbehaved { .. }
        | E::Removed => None,
    }
}
