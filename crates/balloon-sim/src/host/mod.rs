//! One host running several VMs: a layer above [`World`], which stays one VM.
//!
//! The host owns its physical RAM (and optional swap), its own use, one [`World`] per VM under
//! a name, the OOM killer and a balloon policy. There is one virtual clock: each step runs the
//! VM whose next work or timer is earliest (ties in script order; the policy after the VMs at
//! the same instant), and every event carries its VM.
//!
//! Host memory is conserved at every event:
//! `ram = own + Σ (QEMU overhead + guest pages resident in RAM) + free`. A guest write that
//! finds no free page is met as Linux meets it: pages of that VM's process go to swap while
//! swap has room (the model has no page ages, so the writer's own pages go), then the OOM
//! killer kills the QEMU process with the largest `oom_badness()` (see [`oom`]).
//!
//! Scripts: [`script`]. A script without host lines or VM names is today's single VM and never
//! comes here ([`is_host_script`]).

mod audit;
mod config;
mod event;
pub mod oom;
pub mod policy;
pub mod presets;
mod replay;
mod runner;
pub mod script;
mod session;
mod vm;

use std::collections::VecDeque;

use balloon_spec::PAGE_SIZE;
use virtq::Backend;

pub use self::config::{HostConfig, MOM_POLICY_INTERVAL_NS, PolicyConfig, VmConfig};
pub use self::event::{HostDetail, HostEvent};
pub use self::runner::{HostRunner, HostSummary, HostTotals, VmSummary, run_host_text, transcript};
pub use self::script::{
    HostAction, HostLine, HostScript, is_host_script, parse_host_command, parse_host_script,
};
pub use self::session::{HostSession, VmReply};
pub use self::vm::{Vm, VmState};
use crate::command::{Command, QmpRequest};
use crate::error::Error;
use crate::stepping::{Clocked, PassTime};
use crate::world::{Input, World};

/// QEMU process ids on the host: the first VM's, then one more for each.
pub const FIRST_PID: u32 = 4001;

/// An input to the host.
#[derive(Debug, Clone, PartialEq)]
pub enum HostInput {
    /// A command for one VM.
    Vm {
        /// The VM.
        vm: usize,
        /// The command (never a stepping command).
        command: Command,
    },
    /// `host policy ...`.
    Policy(PolicyConfig),
    /// Virtual time advances to this instant.
    PassTime(u64),
    /// One step of this VM's device bring-up, before its monitor takes a command (what
    /// [`Host::create_machine`] runs, one event at a time for a history to record).
    CreateMachine(usize),
}

impl PassTime for HostInput {
    fn pass_time(ns: u64) -> Self {
        HostInput::PassTime(ns)
    }
    fn passes_time_to(&self) -> Option<u64> {
        match self {
            HostInput::PassTime(t) => Some(*t),
            _ => None,
        }
    }
}

/// What the scheduler runs next.
enum Next {
    Vm(usize),
    Policy,
}

/// A host of VMs.
#[derive(Debug)]
pub struct Host<B: Backend> {
    config: HostConfig,
    policy: PolicyConfig,
    mom: policy::Mom,
    next_policy_ns: Option<u64>,
    vms: Vec<Vm<B>>,
    now_ns: u64,
    free_pages: u64,
    swap_used_pages: u64,
    events: u64,
    /// Events already decided (a kill after the write that caused it, a policy run's
    /// decisions and the monitor commands they send), handed out one per step.
    pending: VecDeque<HostDetail>,
}

impl<B: Backend> Host<B> {
    /// A host with its VMs created (powered off: their first steps boot them).
    pub fn new(script: &HostScript) -> Result<Self, Error> {
        let mut vms = Vec::with_capacity(script.vms.len());
        for (i, v) in script.vms.iter().enumerate() {
            let world = World::<B>::new(&v.machine)?;
            let overhead = world.device().profile().process_overhead_bytes;
            vms.push(Vm {
                name: v.name.clone(),
                pid: FIRST_PID + u32::try_from(i).unwrap_or(0),
                machine: v.machine.clone(),
                resident_pages: world.device().memory().resident_bytes() / PAGE_SIZE,
                world: Some(world),
                overhead,
                swapped_pages: 0,
                state: VmState::Running,
                work: Default::default(),
            });
        }
        let c = &script.host;
        let held: u64 = c.own + vms.iter().map(Vm::host_bytes).sum::<u64>();
        if held > c.ram {
            return Err(Error::Host(format!(
                "host RAM {} MiB cannot hold its own {} MiB and the {} QEMU processes ({} MiB)",
                c.ram >> 20,
                c.own >> 20,
                vms.len(),
                (held - c.own) >> 20
            )));
        }
        let mut host = Self {
            config: c.clone(),
            policy: PolicyConfig::Off,
            mom: policy::Mom::default(),
            next_policy_ns: None,
            vms,
            now_ns: 0,
            free_pages: (c.ram - held) / PAGE_SIZE,
            swap_used_pages: 0,
            events: 0,
            pending: VecDeque::new(),
        };
        host.set_policy(c.policy);
        Ok(host)
    }

    /// The host's configuration (its policy at start).
    pub fn config(&self) -> &HostConfig {
        &self.config
    }
    /// The policy now.
    pub fn policy(&self) -> PolicyConfig {
        self.policy
    }
    /// The VMs, in script order.
    pub fn vms(&self) -> &[Vm<B>] {
        &self.vms
    }
    /// The VMs' names, in script order.
    pub fn names(&self) -> Vec<String> {
        self.vms.iter().map(|v| v.name.clone()).collect()
    }
    /// Free host RAM, bytes (the host's own count, kept as events happen).
    pub fn free_bytes(&self) -> u64 {
        self.free_pages * PAGE_SIZE
    }
    /// Swap in use, bytes.
    pub fn swap_used_bytes(&self) -> u64 {
        self.swap_used_pages * PAGE_SIZE
    }
    /// Events so far.
    pub fn event_count(&self) -> u64 {
        self.events
    }

    fn set_policy(&mut self, p: PolicyConfig) {
        self.policy = p;
        self.next_policy_ns = match p {
            PolicyConfig::Off => None,
            PolicyConfig::Mom { interval_ns } => Some(self.now_ns.saturating_add(interval_ns)),
        };
    }

    fn make(&mut self, detail: HostDetail) -> HostEvent {
        let ev = HostEvent {
            index: self.events,
            time_ns: self.now_ns,
            detail,
        };
        self.events += 1;
        ev
    }

    /// The VM's next instant (now when it has work), if it has anything to do.
    fn vm_next(&self, i: usize) -> Option<u64> {
        let vm = self.vms.get(i)?;
        let w = vm.world.as_ref()?;
        if vm.has_work(w) {
            Some(w.now_ns().max(self.now_ns))
        } else {
            w.next_timer().map(|t| t.max(self.now_ns))
        }
    }

    fn pick(&self) -> Option<(u64, Next)> {
        let mut best: Option<(u64, Next)> = None;
        // A VM's next instant is never before the host clock and ties go to the lower index,
        // so a VM due now ends the scan (unless the policy is overdue, which goes first): a
        // host of many busy VMs asks one or two of them per event instead of all.
        let policy_overdue = self.next_policy_ns.is_some_and(|p| p < self.now_ns);
        for i in 0..self.vms.len() {
            if let Some(t) = self.vm_next(i)
                && best.as_ref().is_none_or(|(b, _)| t < *b)
            {
                best = Some((t, Next::Vm(i)));
                if t == self.now_ns && !policy_overdue {
                    break;
                }
            }
        }
        // With every VM gone the policy has no guest to size: a run would decide nothing and
        // so make no event, and a step that changes the host without an event is one a
        // history cannot replay.
        if let Some(t) = self.next_policy_ns
            && self.vms.iter().any(|v| v.world.is_some())
            && best.as_ref().is_none_or(|(b, _)| t < *b)
        {
            best = Some((t.max(self.now_ns), Next::Policy));
        }
        best
    }

    /// When the next [`Self::step_event`] happens, in virtual ns; `None` when nothing will
    /// happen by itself.
    pub fn next_event_ns(&self) -> Option<u64> {
        if self.pending.is_empty() {
            self.pick().map(|(t, _)| t)
        } else {
            Some(self.now_ns)
        }
    }

    /// One scheduler step; `None` when no VM has work or a timer and no policy runs.
    pub fn step_event(&mut self) -> Option<HostEvent> {
        if let Some(d) = self.pending.pop_front() {
            return Some(self.make(d));
        }
        let (t, next) = self.pick()?;
        self.now_ns = self.now_ns.max(t);
        match next {
            Next::Vm(i) => self.step_vm(i),
            Next::Policy => {
                self.run_policy();
                let d = self.pending.pop_front()?;
                Some(self.make(d))
            }
        }
    }

    /// One step of VM `i`'s world (the earliest on the host clock), then the host's reaction
    /// to what its guest wrote.
    fn step_vm(&mut self, i: usize) -> Option<HostEvent> {
        let now = self.now_ns;
        let vm = self.vms.get_mut(i)?;
        // A step may change the world without an event (a driver timer fires, then nothing
        // runs), which the remembered answer's event count would not show.
        vm.work.set(None);
        let w = vm.world.as_mut()?;
        w.advance_to(now);
        let event = w.step_event()?;
        // The host clock follows the event's stamp, not the VM's clock after the work it
        // charged (ring work takes time): another VM's work in that interval runs alongside.
        self.now_ns = self.now_ns.max(event.time_ns);
        let ev = self.make(HostDetail::Vm { vm: i, event });
        self.account(i);
        Some(ev)
    }

    /// Runs VM `i`'s device bring-up if it has not run: QEMU realizes its devices before its
    /// monitor takes a command (see [`crate::stepping`]).
    pub fn create_machine(&mut self, i: usize, sink: &mut dyn FnMut(&HostEvent)) {
        while let Some(w) = self.vms.get(i).and_then(|v| v.world.as_ref())
            && !w.machine_created()
        {
            match self.step_vm(i) {
                Some(ev) => sink(&ev),
                None => break,
            }
            while let Some(d) = self.pending.pop_front() {
                let ev = self.make(d);
                sink(&ev);
            }
        }
    }

    /// Applies an input; its events go to `sink` (one, or the consequences with it).
    pub fn apply(&mut self, input: &HostInput, sink: &mut dyn FnMut(&HostEvent)) {
        let ev = self.act_one(input);
        sink(&ev);
        while let Some(d) = self.pending.pop_front() {
            let ev = self.make(d);
            sink(&ev);
        }
    }

    /// Whether consequences already decided (a swap-out, a kill, a policy's commands) wait
    /// to come out of the next [`Host::step_event`]s.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Applies an input and returns exactly its own event; its consequences stay pending for
    /// the next steps (what a history records: one event per input).
    pub fn act_one(&mut self, input: &HostInput) -> HostEvent {
        let detail = match input {
            HostInput::CreateMachine(i) => {
                match self.vms.get(*i).and_then(|v| v.world.as_ref()) {
                    Some(w) if !w.machine_created() => {
                        if let Some(ev) = self.step_vm(*i) {
                            return ev;
                        }
                    }
                    _ => {}
                }
                // Nothing to bring up (a killed VM, or one already created): the clock
                // stands still, so the input still makes its one event.
                HostDetail::Clock {
                    from: self.now_ns,
                    to: self.now_ns,
                }
            }
            HostInput::PassTime(to) => {
                let from = self.now_ns;
                self.now_ns = self.now_ns.max(*to);
                for w in self.vms.iter_mut().filter_map(|v| v.world.as_mut()) {
                    w.advance_to(*to);
                }
                HostDetail::Clock {
                    from,
                    to: self.now_ns,
                }
            }
            HostInput::Policy(p) => {
                self.set_policy(*p);
                HostDetail::PolicySet(*p)
            }
            HostInput::Vm { vm, command } => {
                let now = self.now_ns;
                match self.vms.get_mut(*vm).and_then(|v| v.world.as_mut()) {
                    Some(w) => {
                        w.advance_to(now);
                        let event = w.apply(&Input::Command(command.clone()));
                        let d = HostDetail::Vm { vm: *vm, event };
                        let ev = self.make(d);
                        self.account(*vm);
                        return ev;
                    }
                    None => HostDetail::VmGone {
                        vm: *vm,
                        request: crate::session::command_text(command),
                    },
                }
            }
        };
        self.make(detail)
    }

    /// The host's reaction to VM `i`'s resident guest memory after one of its events: frames
    /// dropped go back to the free pool; frames written take free pages, then swap, then the
    /// OOM killer's victims' memory.
    fn account(&mut self, i: usize) {
        let Some(vm) = self.vms.get_mut(i) else {
            return;
        };
        let now = vm.world_resident_pages();
        let before = vm.resident_pages;
        vm.resident_pages = now;
        if now < before {
            // MADV_DONTNEED (a discard) frees the page wherever it is: pages in RAM first in
            // this model, then swap entries.
            let dropped = before - now;
            let in_ram = dropped.min(before - vm.swapped_pages);
            let in_swap = dropped - in_ram;
            vm.swapped_pages -= in_swap;
            self.swap_used_pages -= in_swap;
            self.free_pages += in_ram;
            return;
        }
        let need = now - before;
        if need <= self.free_pages {
            self.free_pages -= need;
            return;
        }
        let mut short = need - self.free_pages;
        self.free_pages = 0;
        let room = (self.config.swap / PAGE_SIZE).saturating_sub(self.swap_used_pages);
        let out = short.min(room).min(now - vm.swapped_pages);
        if out > 0 {
            vm.swapped_pages += out;
            self.swap_used_pages += out;
            short -= out;
            self.pending.push_back(HostDetail::SwapOut {
                vm: i,
                pages: out,
                swap_used: self.swap_used_pages,
            });
        }
        while short > 0 {
            match self.oom_kill(i) {
                Some(freed) if freed >= short => {
                    self.free_pages += freed - short;
                    short = 0;
                }
                Some(freed) => short -= freed,
                // Nothing killable (never with oom_score_adj 0): the kernel would panic.
                None => break,
            }
        }
    }

    /// `out_of_memory()` for a write of VM `writer`: kills the process with the largest
    /// badness and returns the pages it held in RAM.
    fn oom_kill(&mut self, writer: usize) -> Option<u64> {
        let totalpages = (self.config.ram + self.config.swap) / PAGE_SIZE;
        let procs: Vec<_> = self
            .vms
            .iter()
            .enumerate()
            .filter_map(|(j, v)| v.process().map(|p| (j, p)))
            .collect();
        let victim = oom::select_victim(&procs, totalpages)?;
        let (_, p) = procs.iter().find(|(j, _)| *j == victim)?;
        let v = self.vms.get_mut(victim)?;
        let freed = v.host_bytes() / PAGE_SIZE;
        self.swap_used_pages -= v.swapped_pages;
        v.kill(self.now_ns);
        self.pending.push_back(HostDetail::OomKill {
            vm: victim,
            writer,
            badness: p.badness(totalpages).unwrap_or(0),
            line: p.kill_line(),
            freed_bytes: freed * PAGE_SIZE,
        });
        Some(freed)
    }

    /// One run of the balloon policy: its decisions, and the `balloon` command each target
    /// sends to its VM's monitor (as libvirt's `virDomainSetMemory` does for MoM).
    fn run_policy(&mut self) {
        let PolicyConfig::Mom { interval_ns } = self.policy else {
            self.next_policy_ns = None;
            return;
        };
        self.next_policy_ns = Some(self.now_ns.saturating_add(interval_ns));
        let samples: Vec<policy::GuestSample> = self
            .vms
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let w = v.world.as_ref()?;
                let b = w.balloon_view();
                let cur = u64::try_from(b.logical_bytes.max(0))
                    .unwrap_or(0)
                    .min(b.ram_size);
                let unused = w
                    .device()
                    .qom_get_guest_stats()
                    .stats
                    .get(balloon_driver::stats::tag::MEMFREE);
                Some(policy::GuestSample {
                    vm: i,
                    balloon_cur: cur,
                    balloon_max: b.ram_size,
                    mem_unused: unused,
                })
            })
            .collect();
        let names = self.names();
        let decisions = self
            .mom
            .run(self.free_bytes(), self.config.ram, &names, &samples);
        let now = self.now_ns;
        for d in decisions {
            let (vm, target) = (d.vm, d.target);
            self.pending.push_back(HostDetail::Policy(d));
            if let (Some(target), Some(w)) = (target, self.vms[vm].world.as_mut()) {
                w.advance_to(now);
                let req = QmpRequest::new("balloon", serde_json::json!({ "value": target }));
                let event = w.apply(&Input::Command(Command::Qmp(req)));
                self.pending.push_back(HostDetail::Vm { vm, event });
            }
        }
    }
}

impl<B: Backend> Clocked for Host<B> {
    fn has_work(&self) -> bool {
        !self.pending.is_empty()
            || self
                .vms
                .iter()
                .filter_map(|v| v.world.as_ref())
                .any(World::has_work)
    }
    fn now_ns(&self) -> u64 {
        self.now_ns
    }
    fn idle_until(&self, deadline: u64) -> bool {
        self.now_ns > deadline
            || self.pending.is_empty() && self.pick().is_none_or(|(t, _)| t > deadline)
    }
    /// The policy recurs without end, like the stats poll: it does not keep `run` going.
    fn is_quiet_for_run(&self) -> bool {
        self.pending.is_empty()
            && self
                .vms
                .iter()
                .filter_map(|v| v.world.as_ref())
                .all(World::is_quiet_for_run)
    }
}

#[cfg(test)]
mod tests;
