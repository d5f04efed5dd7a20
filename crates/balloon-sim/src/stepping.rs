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

/// Something that owns a world and can act on it and step it, reporting each event.
pub(crate) trait Engine {
    type B: Backend;
    fn world(&self) -> &World<Self::B>;
    /// Applies an input (exactly one event).
    fn act(&mut self, input: Input, sink: &mut dyn FnMut(&TraceEvent));
    /// One step (replaying the recorded timeline when in the past); false when nothing happened.
    fn step(&mut self, sink: &mut dyn FnMut(&TraceEvent)) -> bool;
    /// Most events one stepping command may produce.
    fn budget(&self) -> u64 {
        MAX_EVENTS_PER_COMMAND
    }
    /// The input recorded at the current position, when replaying the past.
    fn recorded_input(&self) -> Option<&Input> {
        None
    }
}

/// Runs one command: a stepping command steps; any other acts, once the machine exists.
pub(crate) fn apply_command<E: Engine>(
    e: &mut E,
    command: Command,
    sink: &mut dyn FnMut(&TraceEvent),
) {
    match command {
        Command::Step(s) => run_step(e, s, sink),
        other => {
            if other.is_monitor() {
                create_machine(e, sink);
            }
            e.act(Input::Command(other), sink);
        }
    }
}

/// Steps the device's bring-up (QOM type registration to its queues) if it has not run yet:
/// QEMU creates the machine, realizing every `-device`, before its monitor takes a command
/// (vl.c `qemu_init` → `qmp_x_exit_preconfig` → `qemu_create_cli_devices`; the QMP
/// greeting comes after), so `query-balloon` answers before the guest boots. Only device
/// steps run here: the scheduler takes them before any guest work.
fn create_machine<E: Engine>(e: &mut E, sink: &mut dyn FnMut(&TraceEvent)) {
    while e.recorded_input().is_none() && !e.world().machine_created() {
        if !e.step(sink) {
            break;
        }
    }
}

/// Runs one stepping command.
pub(crate) fn run_step<E: Engine>(e: &mut E, cmd: StepCommand, sink: &mut dyn FnMut(&TraceEvent)) {
    let mut budget = e.budget();
    match cmd {
        StepCommand::Ops(n) => {
            for _ in 0..n {
                if !e.step(sink) {
                    break;
                }
            }
        }
        StepCommand::Messages(n) => {
            for _ in 0..n {
                // The first step may fire a timer (a stats poll starts a round); after that the
                // message runs only while there is work, so a quiet world never spins on
                // periodic timers.
                let mut first = true;
                loop {
                    if !first && (e.recorded_input().is_some() || !e.world().has_work()) {
                        break;
                    }
                    first = false;
                    let mut ended = false;
                    let stepped = e.step(&mut |ev| {
                        ended |= ev.ends_message();
                        sink(ev);
                    });
                    budget = budget.saturating_sub(1);
                    if !stepped || ended || budget == 0 {
                        break;
                    }
                }
            }
        }
        StepCommand::UntilQuiet => {
            while budget > 0 && e.recorded_input().is_none() && !e.world().is_quiet_for_run() {
                if !e.step(sink) {
                    break;
                }
                budget -= 1;
            }
        }
        StepCommand::For(ns) => {
            let deadline = e.world().now_ns().saturating_add(ns);
            while budget > 0 {
                match e.recorded_input() {
                    Some(Input::PassTime(t)) if *t <= deadline => {
                        e.step(sink);
                        continue;
                    }
                    Some(_) => return,
                    None => {}
                }
                if e.world().idle_until(deadline) {
                    break;
                }
                if !e.step(sink) {
                    break;
                }
                budget -= 1;
            }
            if e.world().now_ns() < deadline {
                e.act(Input::PassTime(deadline), sink);
            }
        }
    }
}
