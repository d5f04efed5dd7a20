//! The world: one VM with its balloon device, transport, guest driver and guest memory, a
//! virtual clock, and the scheduler of SEAMS.md.
//!
//! Scheduler, one event per [`World::step`]: device init steps (boot), pending device work,
//! interrupts the device raised (delivered to the driver one at a time), driver work (probe,
//! size work, stats, reporting), then the earliest timer, advancing virtual time.

mod bus;
mod cost;
mod event;
mod guest;
pub mod monitor;
mod views;

use balloon_device::{BalloonDevice, BalloonProps, DeviceEvent, InitStage, Interrupt, QueueKind};
use virtq::{Backend, GuestRam};

pub use self::bus::Bus;
pub use self::event::{DeliveredInterrupt, Detail, MonitorDetail, TraceEvent, queue_name};
pub use self::guest::Guest;
use crate::command::{Command, HostOp, MachineConfig, QueueName};
use crate::error::Error;
use crate::history::Replayable;
use crate::trace::{Actor, Move, PfnRun};
use crate::view::QueueCounts;

/// An operator input: everything that changes the world from outside. Recorded by the history
/// at the event index where it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A monitor, guest, fault or host command (never a stepping command).
    Command(Command),
    /// Virtual time advances to this instant (the end of `run DURATION`).
    PassTime(u64),
}

/// How far ahead `run` looks for a one-shot timer before it calls the world quiet: 10 s.
pub const QUIET_HORIZON_NS: u64 = 10_000_000_000;

/// One virtual machine.
#[derive(Debug)]
pub struct World<B: Backend> {
    machine: MachineConfig,
    now_ns: u64,
    events: u64,
    ram: B::Ram,
    device: BalloonDevice<B>,
    guest: Guest,
    pending_irqs: Vec<Interrupt>,
    /// Kicks and used-buffer interrupts per queue, in [`QueueName::ALL`] order: counted as
    /// events are made so the UI never scans the timeline for them.
    counts: [QueueCounts; 5],
    /// Kept between events so that deriving each event's queue allocates nothing.
    scratch: (Vec<Move>, Vec<PfnRun>),
}

impl<B: Backend> Clone for World<B>
where
    B::Ram: Clone,
    B::Queue: Clone,
{
    fn clone(&self) -> Self {
        Self {
            machine: self.machine.clone(),
            now_ns: self.now_ns,
            events: self.events,
            ram: self.ram.clone(),
            device: self.device.clone(),
            guest: self.guest.clone(),
            pending_irqs: self.pending_irqs.clone(),
            counts: self.counts,
            scratch: Default::default(),
        }
    }
}

impl<B: Backend> World<B> {
    /// A powered-off machine: nothing exists until the first steps run the device's init.
    pub fn new(machine: &MachineConfig) -> Result<Self, Error> {
        let props = BalloonProps {
            deflate_on_oom: machine.deflate_on_oom,
            free_page_hint: machine.free_page_hint,
            page_poison: machine.page_poison,
            free_page_reporting: machine.free_page_reporting,
            qemu_4_0_config_size: machine.qemu_4_0_config_size,
            iothread: machine.iothread.is_some(),
            guest_stats_polling_interval: machine.guest_stats_polling_interval,
        };
        let device = BalloonDevice::new(
            machine.vmm().profile(),
            props,
            machine.ram_size,
            machine.host_page_size,
        )
        .map_err(Error::Device)?;
        let ram = B::new_ram(machine.ram_size).map_err(Error::Memory)?;
        let guest = Guest::new(machine)?;
        Ok(Self {
            machine: machine.clone(),
            now_ns: 0,
            events: 0,
            ram,
            device,
            guest,
            pending_irqs: Vec::new(),
            counts: [QueueCounts::default(); 5],
            scratch: Default::default(),
        })
    }

    /// The machine configuration.
    pub fn machine(&self) -> &MachineConfig {
        &self.machine
    }
    /// Virtual time in ns.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }
    /// Moves this VM's clock forward to `ns` without an event. A host of several VMs keeps one
    /// clock; a VM with no work and no timer before `ns` has nothing to say about the time
    /// passing, so its trace does not change.
    pub fn advance_to(&mut self, ns: u64) {
        self.now_ns = self.now_ns.max(ns);
    }
    /// Events produced so far.
    pub fn event_count(&self) -> u64 {
        self.events
    }
    /// The device.
    pub fn device(&self) -> &BalloonDevice<B> {
        &self.device
    }
    /// The guest (driver and memory).
    pub fn guest(&self) -> &Guest {
        &self.guest
    }
    /// Guest RAM (rings, PFN arrays, stats buffers).
    pub fn ram(&self) -> &B::Ram {
        &self.ram
    }

    /// Whether a step would do something now (timers aside).
    pub fn has_work(&self) -> bool {
        !matches!(
            self.device.init_stage(),
            InitStage::Done | InitStage::Failed
        ) || self.device.has_work()
            || !self.pending_irqs.is_empty()
            || self.guest_present() && self.guest.has_work()
    }

    /// The earliest timer deadline (device first on ties).
    pub fn next_timer(&self) -> Option<u64> {
        let guest = self
            .guest_present()
            .then(|| self.guest.next_timer())
            .flatten();
        [self.device.next_timer(), guest]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether `run DURATION` ending at `deadline` has nothing more to step: the clock has
    /// passed the deadline (work takes time, so what would start later waits for the next
    /// command), or there is no work and no timer up to it.
    pub fn idle_until(&self, deadline: u64) -> bool {
        self.now_ns > deadline || !self.has_work() && self.next_timer().is_none_or(|t| t > deadline)
    }

    /// Whether `run` (until quiet) stops here: no work, and no one-shot timer (a held
    /// BALLOON_CHANGE, the free page reporting delay) due within [`QUIET_HORIZON_NS`]. Timers
    /// that recur without end do not count: the stats poll, and `fill_balloon`'s 200 ms
    /// out-of-puff sleep while the guest cannot give the pages; they fire on the way when
    /// they come first.
    pub fn is_quiet_for_run(&self) -> bool {
        // Asked after every event of a `run`, which is busy for all but its last: the work
        // test first, before the timers are looked up.
        if self.has_work() {
            return false;
        }
        let guest = self
            .guest_present()
            .then(|| self.guest.driver().next_report_timer())
            .flatten();
        let horizon = self.now_ns.saturating_add(QUIET_HORIZON_NS);
        [self.device.next_one_shot_timer(), guest]
            .into_iter()
            .flatten()
            .all(|t| t > horizon)
    }

    /// Whether the guest sees a balloon device: when realize fails QEMU does not start, so
    /// there is nothing for the driver to probe.
    fn guest_present(&self) -> bool {
        self.device.init_stage() != InitStage::Failed
    }

    fn queue_of_index(&self, index: u16) -> Option<QueueName> {
        self.device
            .queue_info(index)
            .map(|i| queue_name(i.queue.kind))
    }

    /// One operation of the guest driver, if it has work; the host side of the operation (config
    /// reads, kicks) travels with it as the bus log.
    fn step_guest(&mut self) -> Option<TraceEvent> {
        if !(self.guest_present() && self.guest.has_work()) {
            return None;
        }
        let mut bus = Bus::new(&mut self.device, self.now_ns);
        let event = self.guest.step(&mut bus, &mut self.ram, self.now_ns);
        let host = bus.into_log();
        // Frames the host discarded (free page reporting) are backed again once written.
        for (first, count) in self.guest.take_written() {
            self.device.memory_mut().touch(first, count);
        }
        self.collect_interrupts();
        let event = event?;
        let actor = guest::actor_of(&event);
        Some(self.make(actor, Detail::Driver { event, host }))
    }

    fn make(&mut self, actor: Actor, detail: Detail) -> TraceEvent {
        let mut ev = TraceEvent {
            index: self.events,
            time_ns: self.now_ns,
            actor,
            queue: None,
            detail,
        };
        let (mut moves, mut pfns) = std::mem::take(&mut self.scratch);
        moves.clear();
        pfns.clear();
        ev.queue = ev.analyse_into(&mut moves, &mut pfns);
        if let Some(c) = ev
            .queue
            .and_then(|q| QueueName::ALL.iter().position(|n| *n == q))
            .and_then(|i| self.counts.get_mut(i))
        {
            for m in &moves {
                match m {
                    Move::Kick => c.kicks += 1,
                    Move::UsedInterrupt => c.interrupts += 1,
                    _ => {}
                }
            }
        }
        self.scratch = (moves, pfns);
        self.events += 1;
        // The event is stamped when its work starts; the clock moves on while it lasts.
        let cost = cost::cost_ns(&ev, &self.device.profile().costs);
        self.now_ns = self.now_ns.saturating_add(cost);
        ev
    }

    fn collect_interrupts(&mut self) {
        self.pending_irqs.extend(self.device.take_interrupts());
    }

    /// One scheduler step; `None` when there is no work and no timer.
    pub fn step_event(&mut self) -> Option<TraceEvent> {
        // The guest memory's write log files this step's stores under the event it makes.
        self.ram.begin_event(self.events);
        if let Some(ev) = self.device.init_step() {
            return Some(self.make(Actor::HostDevice, Detail::Device(ev)));
        }
        // Ring work takes time, so a timer can fall due while work is pending: QEMU's main
        // loop runs it between two handlers (a device handler mid-way is not interrupted,
        // `fire_timer` says so by returning nothing).
        if self.device.next_timer().is_some_and(|t| t <= self.now_ns)
            && let Some(ev) = self.device.fire_timer(self.now_ns)
        {
            self.collect_interrupts();
            return Some(self.make(Actor::HostDevice, Detail::Device(ev)));
        }
        if self.guest_present() && self.guest.next_timer().is_some_and(|t| t <= self.now_ns) {
            self.guest.fire_timer(self.now_ns);
        }
        if self.device.has_work()
            && let Some(ev) = self.device.step(&mut self.ram, self.now_ns)
        {
            self.collect_interrupts();
            return Some(self.make(Actor::HostDevice, Detail::Device(ev)));
        }
        if !self.pending_irqs.is_empty() {
            let irq = self.pending_irqs.remove(0);
            let queue = match irq {
                Interrupt::Used(i) => {
                    self.guest.on_used_interrupt(i);
                    self.queue_of_index(i)
                }
                Interrupt::Config => {
                    self.guest.on_config_change();
                    None
                }
            };
            return Some(self.make(
                Actor::Transport,
                Detail::Interrupt(DeliveredInterrupt::new(irq, queue)),
            ));
        }
        if let Some(event) = self.step_guest() {
            return Some(event);
        }
        let deadline = self.next_timer()?;
        let from = self.now_ns;
        self.now_ns = self.now_ns.max(deadline);
        if self.device.next_timer().is_some_and(|t| t <= self.now_ns)
            && let Some(ev) = self.device.fire_timer(self.now_ns)
        {
            self.collect_interrupts();
            return Some(self.make(Actor::HostDevice, Detail::Device(ev)));
        }
        // The driver's timers only wake work up (the out-of-puff sleep, the reporting delay):
        // the step that follows is the event.
        self.guest.fire_timer(self.now_ns);
        if let Some(event) = self.step_guest() {
            return Some(event);
        }
        Some(self.make(
            Actor::Transport,
            Detail::Clock {
                from,
                to: self.now_ns,
            },
        ))
    }

    /// Applies an operator input; exactly one event.
    pub fn apply(&mut self, input: &Input) -> TraceEvent {
        self.ram.begin_event(self.events);
        match input {
            Input::PassTime(to) => {
                let from = self.now_ns;
                self.now_ns = self.now_ns.max(*to);
                self.make(
                    Actor::Transport,
                    Detail::Clock {
                        from,
                        to: self.now_ns,
                    },
                )
            }
            Input::Command(cmd) => self.command(cmd),
        }
    }

    fn command(&mut self, cmd: &Command) -> TraceEvent {
        let now = self.now_ns;
        let detail = match cmd {
            Command::Qmp(req) => {
                let out = monitor::qmp(&mut self.device, &self.machine, req, now);
                Detail::Monitor(Box::new(MonitorDetail {
                    request: req.to_line(),
                    device: out.device,
                    reply: out.reply,
                }))
            }
            Command::HmpBalloon(arg) => {
                let out = monitor::hmp_balloon(&mut self.device, arg);
                Detail::Monitor(Box::new(MonitorDetail {
                    request: format!("balloon {arg}"),
                    device: out.device,
                    reply: out.reply,
                }))
            }
            Command::Vmm(req) => {
                let out = monitor::vmm_request(&mut self.device, req);
                Detail::Monitor(Box::new(MonitorDetail {
                    request: req.to_line(),
                    device: out.device,
                    reply: out.reply,
                }))
            }
            Command::HmpInfoBalloon => {
                let out = monitor::hmp_info_balloon(&self.device);
                Detail::Monitor(Box::new(MonitorDetail {
                    request: "info balloon".to_owned(),
                    device: out.device,
                    reply: out.reply,
                }))
            }
            Command::HmpHelp(topic) => Detail::Monitor(Box::new(MonitorDetail {
                request: command_line_help(topic.as_deref()),
                device: None,
                reply: crate::reply::Reply::Hmp(crate::command::hmp_help(topic.as_deref())),
            })),
            Command::Guest(op) => {
                let outcome = self.guest.workload(*op);
                let ev = self.make(Actor::GuestMm, Detail::Guest { op: *op, outcome });
                return ev;
            }
            Command::Fault(f) => {
                self.guest.arm_fault(f);
                return self.make(Actor::GuestDriver, Detail::Fault(*f));
            }
            Command::Host(op) => {
                let reason = match op {
                    HostOp::HintStart => {
                        balloon_device::PrecopyNotifyReason::AfterBitmapSync { vm_running: true }
                    }
                    HostOp::HintStop => balloon_device::PrecopyNotifyReason::BeforeBitmapSync,
                    HostOp::HintDone => balloon_device::PrecopyNotifyReason::Cleanup,
                };
                let device = self.device.precopy_notify(reason);
                self.collect_interrupts();
                return self.make(
                    Actor::HostDevice,
                    Detail::Host {
                        op: *op,
                        device: device.map(Box::new),
                    },
                );
            }
            Command::Step(_) => {
                // Stepping is not an input; the session never records it. Keep one event per
                // apply all the same.
                return self.make(Actor::Transport, Detail::Clock { from: now, to: now });
            }
        };
        self.collect_interrupts();
        self.make(Actor::Operator, detail)
    }

    /// Rough bytes of one clone (guest page map, host bitmaps, backed RAM frames).
    pub fn approx_bytes(&self) -> usize {
        let frames = self.machine.ram_size / balloon_spec::PAGE_SIZE;
        // The host bitmaps (discarded, resident, saved, hinted) share their blocks copy-on-write
        // with the snapshots before, so a snapshot keeps about the 2 bits a frame that a run
        // writes; plus the guest page map.
        (frames / 4) as usize + self.guest.heap_bytes() + 64 * 1024
    }

    /// Whether the device's bring-up has finished (realized with its queues, or failed).
    pub fn machine_created(&self) -> bool {
        matches!(
            self.device.init_stage(),
            InitStage::Done | InitStage::Failed | InitStage::Unrealized
        )
    }

    /// Whether `kind` exists on the device.
    pub fn has_queue(&self, kind: QueueKind) -> bool {
        self.device.queue_index(kind).is_some()
    }

    /// The device events a fault or command produced, for tests.
    pub fn last_device_event(ev: &TraceEvent) -> Option<&DeviceEvent> {
        match &ev.detail {
            Detail::Device(d) => Some(d),
            Detail::Monitor(m) => m.device.as_ref(),
            Detail::Host { device, .. } => device.as_deref(),
            _ => None,
        }
    }
}

impl<B: Backend> Replayable for World<B>
where
    B::Ram: Clone,
    B::Queue: Clone,
{
    type Input = Input;
    type Event = TraceEvent;
    fn act(&mut self, input: &Input) -> TraceEvent {
        self.apply(input)
    }
    fn step(&mut self) -> Option<TraceEvent> {
        self.step_event()
    }
    fn approx_bytes(&self) -> usize {
        World::approx_bytes(self)
    }
}

/// The text of a `help` line, as the monitor event records it.
fn command_line_help(topic: Option<&str>) -> String {
    topic.map_or_else(|| "help".to_owned(), |t| format!("help {t}"))
}
