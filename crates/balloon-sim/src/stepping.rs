//! The stepping commands (`step`, `step message`, `run`, `run DURATION`) over any engine: the
//! session (with history) or the straight runner of the CLI.

use virtq::Backend;

use crate::command::{Command, StepCommand};
use crate::world::{Input, TraceEvent, World};

/// Most events one stepping command may produce in a straight run (a guard against a guest
/// that never quiets; the trace is streamed, so this bounds time, not memory).
pub const MAX_EVENTS_PER_COMMAND: u64 = 50_000_000;
/// The same guard for a session, whose timeline is kept (about 0.4 KiB an event).
pub const MAX_SESSION_EVENTS_PER_COMMAND: u64 = 2_000_000;

/// How a stepping command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum StepEnd {
    /// It reached its end: quiet, its deadline, or its count of steps or messages.
    Done,
    /// `command` stopped after `events`, its budget, before its end: a guest that keeps a
    /// queue busy forever (two stats buffers that `virtio_balloon_receive_stats` and
    /// `stats_request` hand back and forth) never lets `run` go quiet.
    BudgetSpent {
        /// The stepping command.
        command: StepCommand,
        /// Its budget, all spent.
        events: u64,
    },
}

impl StepEnd {
    /// What a user reads when the command stopped at its budget.
    pub fn message(self) -> Option<String> {
        match self {
            StepEnd::Done => None,
            StepEnd::BudgetSpent { command, events } => Some(format!(
                "`{}` stopped after {events} events without reaching its end: the machine never went quiet; `run DURATION` bounds a run by virtual time",
                crate::session::command_text(&Command::Step(command))
            )),
        }
    }
}

/// Which granularity a UI "step" button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepSize {
    /// One ring operation (one event).
    Op,
    /// One message round trip (to the driver's collection of a used buffer).
    Message,
    /// Until quiet: no work and no one-shot timer within 10 s (firing the timers on the way).
    UntilQuiet,
    /// Virtual time advances by this many ns, firing timers on the way.
    For(u64),
}

impl From<StepSize> for StepCommand {
    fn from(s: StepSize) -> Self {
        match s {
            StepSize::Op => StepCommand::Ops(1),
            StepSize::Message => StepCommand::Messages(1),
            StepSize::UntilQuiet => StepCommand::UntilQuiet,
            StepSize::For(ns) => StepCommand::For(ns),
        }
    }
}

/// What the stepping commands ask of a scheduled thing: one VM's world, or a host of them.
pub(crate) trait Clocked {
    /// Whether a step would do something now (timers aside).
    fn has_work(&self) -> bool;
    /// Virtual time in ns.
    fn now_ns(&self) -> u64;
    /// Whether `run DURATION` ending at `deadline` has nothing more to step.
    fn idle_until(&self, deadline: u64) -> bool;
    /// Whether `run` (until quiet) stops here: no work and no one-shot timer soon.
    fn is_quiet_for_run(&self) -> bool;
}

/// An event a stepping command watches for the end of a message round trip.
pub(crate) trait MessageEnd {
    fn ends_message(&self) -> bool;
}

/// An input that can make virtual time pass.
pub(crate) trait PassTime {
    /// The input that advances virtual time to `ns`.
    fn pass_time(ns: u64) -> Self;
    /// `Some(ns)` when this input advances virtual time to `ns`.
    fn passes_time_to(&self) -> Option<u64>;
}

impl<B: Backend> Clocked for World<B> {
    fn has_work(&self) -> bool {
        World::has_work(self)
    }
    fn now_ns(&self) -> u64 {
        World::now_ns(self)
    }
    fn idle_until(&self, deadline: u64) -> bool {
        World::idle_until(self, deadline)
    }
    fn is_quiet_for_run(&self) -> bool {
        World::is_quiet_for_run(self)
    }
}

impl MessageEnd for TraceEvent {
    fn ends_message(&self) -> bool {
        TraceEvent::ends_message(self)
    }
}

impl PassTime for Input {
    fn pass_time(ns: u64) -> Self {
        Input::PassTime(ns)
    }
    fn passes_time_to(&self) -> Option<u64> {
        match self {
            Input::PassTime(t) => Some(*t),
            Input::Command(_) => None,
        }
    }
}

/// Something that owns a world (or a host of worlds) and can act on it and step it, reporting
/// each event.
pub(crate) trait Engine {
    /// What is stepped.
    type W: Clocked;
    /// The events it makes.
    type Ev: MessageEnd;
    /// The inputs it takes.
    type In: PassTime;
    fn world(&self) -> &Self::W;
    /// Applies an input (exactly one event).
    fn act(&mut self, input: Self::In, sink: &mut dyn FnMut(&Self::Ev));
    /// One step (replaying the recorded timeline when in the past); false when nothing happened.
    fn step(&mut self, sink: &mut dyn FnMut(&Self::Ev)) -> bool;
    /// Most events one stepping command may produce.
    fn budget(&self) -> u64 {
        MAX_EVENTS_PER_COMMAND
    }
    /// The input recorded at the current position, when replaying the past.
    fn recorded_input(&self) -> Option<&Self::In> {
        None
    }
}

/// Runs one command: a stepping command steps; any other acts, once the machine exists.
pub(crate) fn apply_command<B: Backend, E: Engine<W = World<B>, Ev = TraceEvent, In = Input>>(
    e: &mut E,
    command: Command,
    sink: &mut dyn FnMut(&TraceEvent),
) -> StepEnd {
    match command {
        Command::Step(s) => run_step(e, s, sink),
        other => {
            if other.is_monitor() {
                create_machine(e, sink);
            }
            e.act(Input::Command(other), sink);
            StepEnd::Done
        }
    }
}

/// Steps the device's bring-up (QOM type registration to its queues) if it has not run yet:
/// QEMU creates the machine, realizing every `-device`, before its monitor takes a command
/// (vl.c `qemu_init` → `qmp_x_exit_preconfig` → `qemu_create_cli_devices`; the QMP
/// greeting comes after), so `query-balloon` answers before the guest boots. Only device
/// steps run here: the scheduler takes them before any guest work.
fn create_machine<B: Backend, E: Engine<W = World<B>, Ev = TraceEvent, In = Input>>(
    e: &mut E,
    sink: &mut dyn FnMut(&TraceEvent),
) {
    while e.recorded_input().is_none() && !e.world().machine_created() {
        if !e.step(sink) {
            break;
        }
    }
}

/// Runs one stepping command.
pub(crate) fn run_step<E: Engine>(
    e: &mut E,
    cmd: StepCommand,
    sink: &mut dyn FnMut(&E::Ev),
) -> StepEnd {
    let mut stepping = Stepping::start(e, cmd);
    loop {
        if let Some(end) = stepping.advance(e, sink) {
            return end;
        }
    }
}

/// A stepping command part-way through: [`run_step`] an iteration at a time, so that a page
/// can run a long script in slices ([`crate::ScriptLoad`]) and end on the same events, the
/// same clock and the same [`StepEnd`] as one whole run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stepping {
    command: StepCommand,
    left: Left,
    /// Events the command may still make.
    budget: u64,
    /// Its whole budget, for [`StepEnd::BudgetSpent`].
    full: u64,
}

/// What a stepping command has left to do.
#[derive(Debug, Clone, Copy)]
enum Left {
    /// `step N`: operations left.
    Ops(u32),
    /// `step message N`: messages left, and whether the current one has not stepped yet.
    Messages { left: u32, first: bool },
    /// `run`.
    UntilQuiet,
    /// `run DURATION`, until this virtual time.
    For { deadline: u64 },
}

impl Stepping {
    /// `command`, about to start on `e` (`run DURATION` counts from `e`'s clock now).
    pub(crate) fn start<E: Engine>(e: &E, command: StepCommand) -> Self {
        let left = match command {
            StepCommand::Ops(n) => Left::Ops(n),
            StepCommand::Messages(n) => Left::Messages {
                left: n,
                first: true,
            },
            StepCommand::UntilQuiet => Left::UntilQuiet,
            StepCommand::For(ns) => Left::For {
                deadline: e.world().now_ns().saturating_add(ns),
            },
        };
        let full = e.budget();
        Self {
            command,
            left,
            budget: full,
            full,
        }
    }

    fn spent(&self) -> Option<StepEnd> {
        Some(StepEnd::BudgetSpent {
            command: self.command,
            events: self.full,
        })
    }

    /// One iteration: at most one step, or the act that closes `run DURATION`. `Some` once the
    /// command has ended, with how.
    pub(crate) fn advance<E: Engine>(
        &mut self,
        e: &mut E,
        sink: &mut dyn FnMut(&E::Ev),
    ) -> Option<StepEnd> {
        const DONE: Option<StepEnd> = Some(StepEnd::Done);
        match self.left {
            Left::Ops(0) | Left::Messages { left: 0, .. } => DONE,
            Left::Ops(n) => {
                if !e.step(sink) {
                    return DONE;
                }
                self.left = Left::Ops(n - 1);
                None
            }
            Left::Messages { left, first } => {
                // The first step may fire a timer (a stats poll starts a round); after that the
                // message runs only while there is work, so a quiet world never spins on
                // periodic timers.
                if !first && (e.recorded_input().is_some() || !e.world().has_work()) {
                    self.left = Left::Messages {
                        left: left - 1,
                        first: true,
                    };
                    return None;
                }
                let mut ended = false;
                let stepped = e.step(&mut |ev| {
                    ended |= ev.ends_message();
                    sink(ev);
                });
                self.budget = self.budget.saturating_sub(1);
                if self.budget == 0 && stepped && !ended {
                    return self.spent();
                }
                let done = !stepped || ended;
                self.left = Left::Messages {
                    left: if done { left - 1 } else { left },
                    first: done,
                };
                None
            }
            Left::UntilQuiet => {
                if e.recorded_input().is_some() || e.world().is_quiet_for_run() {
                    return DONE;
                }
                if self.budget == 0 {
                    return self.spent();
                }
                if !e.step(sink) {
                    return DONE;
                }
                self.budget -= 1;
                None
            }
            Left::For { deadline } => {
                match e.recorded_input().map(PassTime::passes_time_to) {
                    Some(Some(t)) if t <= deadline => {
                        e.step(sink);
                        return None;
                    }
                    Some(_) => return DONE,
                    None => {}
                }
                if !e.world().idle_until(deadline) {
                    if self.budget == 0 {
                        // Virtual time stays where the work left it: jumping to the deadline
                        // would claim the guest's pending work was done.
                        return self.spent();
                    }
                    if e.step(sink) {
                        self.budget -= 1;
                        return None;
                    }
                }
                if e.world().now_ns() < deadline {
                    e.act(E::In::pass_time(deadline), sink);
                }
                DONE
            }
        }
    }
}

/// Keeps the first line of a script whose stepping command stopped before its end, named as
/// the CLI names it: what a loaded script says once it has run.
pub(crate) fn keep_first_stop(first: &mut Option<String>, line: u32, why: Option<String>) {
    if first.is_none() {
        *first = why.map(|message| crate::Error::Stopped { line, message }.to_string());
    }
}
