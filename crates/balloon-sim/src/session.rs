//! The session the web app drives: a `World<Portable>` with its history (time travel), the
//! lines applied so far, and the trace hash of every prefix of the timeline.

use virtq::Portable;

use crate::command::{
    Command, MachineConfig, Script, ScriptError, StepCommand, is_machine_line, parse_line,
    parse_script,
};
use crate::error::Error;
use crate::history::History;
use crate::reply::Reply;
use crate::stepping::{Engine, StepSize, apply_command, keep_first_stop};
use crate::timeline::Timeline;
use crate::trace::prefix::PrefixHashes;
use crate::view::{BalloonView, ConfigView, InitStageView, MemoryCell, QueueView};
use crate::world::{Detail, Input, TraceEvent, World};

/// One stats sample, as the device parsed it from the guest's buffer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatsSample {
    /// Event index.
    pub index: u64,
    /// Virtual time in ns.
    pub time_ns: u64,
    /// The sixteen stats by tag (`u64::MAX` = not reported).
    pub values: [u64; 16],
}

impl StatsSample {
    /// The sample an event carries: the stats the device parsed from the guest's buffer
    /// (`virtio_balloon_receive_stats`), or `None` for any other event.
    pub fn of(ev: &TraceEvent) -> Option<Self> {
        match &ev.detail {
            Detail::Device(balloon_device::DeviceEvent::StatsReceived { stats, .. }) => {
                Some(StatsSample {
                    index: ev.index,
                    time_ns: ev.time_ns,
                    values: stats.by_tag(),
                })
            }
            _ => None,
        }
    }
}

/// A world, its past and its future (after a seek back).
#[derive(Debug, Clone)]
pub struct Session {
    history: History<World<Portable>>,
    machine: MachineConfig,
    lines: Vec<String>,
    hashes: PrefixHashes,
    stats: Vec<StatsSample>,
    /// Most events one stepping command may make.
    budget: u64,
    /// Why the last stepping command stopped before its end, until taken.
    stopped: Option<String>,
}

impl Session {
    /// A new machine, powered off (the first steps boot it).
    pub fn new(machine: MachineConfig) -> Result<Self, Error> {
        let world = World::<Portable>::new(&machine)?;
        Ok(Self {
            history: History::new(world),
            machine,
            lines: Vec::new(),
            hashes: PrefixHashes::default(),
            stats: Vec::new(),
            budget: crate::stepping::MAX_SESSION_EVENTS_PER_COMMAND,
            stopped: None,
        })
    }

    /// Sets the most events one stepping command may make (at least 1).
    pub fn set_budget(&mut self, events: u64) {
        self.budget = events.max(1);
    }

    /// Why the last stepping command stopped before its end (it spent its budget of events:
    /// a guest that never goes quiet), once; the console shows it as an error.
    pub fn take_stopped(&mut self) -> Option<String> {
        self.stopped.take()
    }

    /// Parses a whole script (machine line optional) and runs it. A script error leaves
    /// nothing behind.
    /// Afterwards [`Self::take_stopped`] names the first line that stopped at its budget.
    pub fn from_script(text: &str) -> Result<(Self, Vec<Reply>), Error> {
        Self::from_parsed(
            parse_script(text)?,
            crate::stepping::MAX_SESSION_EVENTS_PER_COMMAND,
        )
    }

    /// [`Self::from_script`] of a parsed script, each stepping line making at most `budget`
    /// events.
    pub(crate) fn from_parsed(script: Script, budget: u64) -> Result<(Self, Vec<Reply>), Error> {
        let mut s = Self::new(script.machine)?;
        s.set_budget(budget);
        let mut replies = Vec::new();
        let mut first = None;
        for line in script.lines {
            replies.extend(s.run_command(line.command));
            keep_first_stop(&mut first, line.line, s.stopped.take());
        }
        s.stopped = first;
        Ok((s, replies))
    }

    /// Applies console input: one line, or several separated by newlines. Everything is parsed
    /// first; a bad line returns its error (line and column) and changes nothing.
    pub fn apply_line(&mut self, text: &str) -> Result<Vec<Reply>, ScriptError> {
        if text.len() > crate::command::MAX_SCRIPT_LEN {
            return Err(crate::command::script_too_long());
        }
        let mut commands = Vec::new();
        for (i, raw) in text.split('\n').enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if is_machine_line(raw) {
                return Err(ScriptError::new(
                    n,
                    1,
                    "a command (the machine line only starts a script)",
                    "the machine is already running",
                ));
            }
            if let Some(c) = parse_line(raw).map_err(|e| e.at_line(n))? {
                commands.push(c);
            }
        }
        Ok(commands
            .into_iter()
            .flat_map(|c| self.run_command(c))
            .collect())
    }

    /// A UI step button.
    pub fn step(&mut self, size: StepSize) -> Vec<Reply> {
        self.run_command(Command::Step(size.into()))
    }

    /// One event back.
    pub fn step_back(&mut self) {
        // At event 0 there is nothing to undo; seek cannot fail below the cursor.
        let _ = self.history.step_back();
    }

    /// Back to the end of the previous message round trip (or to event 0).
    pub fn step_back_message(&mut self) {
        let cursor = self.current_index() as usize;
        let target = (0..cursor.saturating_sub(1))
            .rev()
            .find(|&i| self.events().get(i).is_some_and(|e| e.ends_message()))
            .map_or(0, |i| i as u64 + 1);
        // Within the recorded past a seek cannot fail.
        let _ = self.history.seek(target);
    }

    /// Shows the state after `index` events.
    pub fn seek(&mut self, index: u64) -> Result<(), Error> {
        Ok(self.history.seek(index)?)
    }

    /// Approximate bytes held by the snapshots (their count × the world's size), so that what
    /// a session holds per event can be told apart from its bounded snapshot budget.
    pub fn snapshot_bytes(&self) -> usize {
        self.history.snapshot_count() * self.history.world().approx_bytes()
    }

    /// Bytes the session keeps for its events (the encoded timeline, the hash of every
    /// prefix, the stats samples), snapshots and the recorded inputs aside: what grows with
    /// the run.
    pub fn trace_bytes(&self) -> usize {
        self.history.events().heap_bytes()
            + self.hashes.heap_bytes()
            + self.stats.capacity() * size_of::<StatsSample>()
    }

    /// Events in the timeline.
    pub fn event_count(&self) -> u64 {
        self.history.len()
    }
    /// Events the shown state has lived through.
    pub fn current_index(&self) -> u64 {
        self.history.cursor()
    }
    /// The timeline, kept encoded: `get`, `range` and `iter` decode the events they return.
    pub fn events(&self) -> &Timeline<TraceEvent> {
        self.history.events()
    }
    /// The event the shown state lived through last (`None` before the first one), decoded.
    pub fn current_event(&self) -> Option<TraceEvent> {
        let i = usize::try_from(self.current_index().checked_sub(1)?).ok()?;
        self.events().get(i)
    }
    /// The world as shown. Readers outside this crate go through the views; only this
    /// crate's own invariant tests, which check the device against the guest frame by frame,
    /// see the world (feature `internals`, which nothing else enables).
    #[cfg(feature = "internals")]
    pub fn world(&self) -> &World<Portable> {
        self.history.world()
    }
    #[cfg(not(feature = "internals"))]
    pub(crate) fn world(&self) -> &World<Portable> {
        self.history.world()
    }
    /// The machine configuration.
    pub fn machine(&self) -> &MachineConfig {
        &self.machine
    }
    /// The trace hash of the events up to the current index.
    pub fn trace_hash(&self) -> u64 {
        self.hash_at(self.current_index())
    }
    /// The trace hash of the first `n` events.
    pub fn hash_at(&self, n: u64) -> u64 {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.hashes.at(n, self.history.events())
    }
    /// Whether `step(UntilQuiet)` would do nothing: no work and no one-shot timer within
    /// 10 s (the periodic stats poll may still be armed, see [`Session::next_timer_ns`]).
    pub fn is_quiet(&self) -> bool {
        self.world().is_quiet_for_run()
    }
    /// When the next timer fires (stats poll, out-of-puff retry, reporting delay,
    /// BALLOON_CHANGE window), in virtual ns.
    pub fn next_timer_ns(&self) -> Option<u64> {
        self.world().next_timer()
    }
    /// When the next step's event happens, in virtual ns: the recorded one when in the past;
    /// else now when there is work (ring work takes time, so "now" is when the last event's
    /// work ended), else the next timer. `None` when nothing will happen by itself.
    pub fn next_event_ns(&self) -> Option<u64> {
        let i = self.current_index();
        if i < self.event_count() {
            return self.events().get(i as usize).map(|e| e.time_ns);
        }
        let w = self.world();
        if w.has_work() {
            Some(w.now_ns())
        } else {
            w.next_timer().map(|t| t.max(w.now_ns()))
        }
    }
    /// Virtual time of the shown state, in ns.
    pub fn now_ns(&self) -> u64 {
        self.world().now_ns()
    }
    /// The balloon's numbers.
    pub fn balloon(&self) -> BalloonView {
        self.world().balloon_view()
    }
    /// The config space.
    pub fn config_view(&self) -> ConfigView {
        self.world().config_view()
    }
    /// Every queue the device created, both sides of it, its ring and its payloads.
    pub fn queue_views(&self) -> Vec<QueueView> {
        self.world().queue_views()
    }
    /// The bring-up from QOM type registration to DRIVER_OK.
    pub fn init_flow(&self) -> Vec<InitStageView> {
        self.world().init_flow()
    }
    /// The guest memory map in `cells` cells.
    pub fn memory_map(&self, cells: usize) -> Vec<MemoryCell> {
        self.world().memory_map(cells)
    }
    /// Stats samples up to the current index.
    pub fn stats_series(&self) -> &[StatsSample] {
        let n = self
            .stats
            .partition_point(|s| s.index < self.current_index());
        &self.stats[..n]
    }
    /// The machine line and every line applied, as a script (for share URLs).
    pub fn script_text(&self) -> String {
        let mut s = self.machine.to_line();
        for l in &self.lines {
            s.push('\n');
            s.push_str(l);
        }
        s.push('\n');
        s
    }

    /// A script that rebuilds the whole recorded timeline exactly: the machine line, each
    /// recorded input at its place, and `step N` for the scheduler steps between them. Unlike
    /// [`Session::script_text`] (every line as it was applied), it follows time travel: acting
    /// after a seek back replaced the future, and steps replayed from the past add nothing.
    pub fn timeline_script(&self) -> String {
        let mut out = self.machine.to_line();
        out.push('\n');
        let mut next = 0;
        for (&at, input) in self.history.inputs() {
            push_steps(&mut out, at - next);
            match input {
                Input::Command(c) => out.push_str(&command_text(c)),
                Input::PassTime(to) => {
                    // The clock event records where time stood: after the last event's work,
                    // which may end later than that event's stamp.
                    let now = match self.events().get(at as usize).map(|e| e.detail) {
                        Some(Detail::Clock { from, .. }) => from,
                        _ => 0,
                    };
                    // The world had no work and no timer before `to` here, so `run` acts at
                    // once.
                    out.push_str(&format_duration(to.saturating_sub(now)));
                }
            }
            out.push('\n');
            next = at + 1;
        }
        push_steps(&mut out, self.event_count() - next);
        out
    }

    /// Records a stepping line in the script, for [`crate::ScriptLoad`], which runs its steps
    /// a slice at a time.
    pub(crate) fn note_line(&mut self, command: &Command) {
        self.lines.push(command_text(command));
    }

    /// Sets what [`Self::take_stopped`] says (for [`crate::ScriptLoad`], which runs a script's
    /// stepping lines in slices).
    pub(crate) fn set_stopped(&mut self, stopped: Option<String>) {
        self.stopped = stopped;
    }

    /// Runs one parsed command (for [`crate::ScriptLoad`], and the compare view, which runs
    /// one script's commands on two sessions and notes where each command's events end).
    pub fn apply_command(&mut self, command: Command) -> Vec<Reply> {
        self.run_command(command)
    }

    fn run_command(&mut self, command: Command) -> Vec<Reply> {
        if command.is_read_only() && self.is_in_the_past() {
            return self.query_in_the_past(&command);
        }
        self.lines.push(command_text(&command));
        let mut replies = Vec::new();
        let mut sink = |ev: &TraceEvent| {
            if let Detail::Monitor(m) = &ev.detail {
                replies.push(m.reply.clone());
            }
            replies.extend(ev.qmp_events());
        };
        // The events made so far stay; the clock shows where it stopped.
        self.stopped = apply_command(self, command, &mut sink).message();
        replies
    }

    /// Whether the cursor is before the end of the timeline (after a seek back).
    pub fn is_in_the_past(&self) -> bool {
        self.history.cursor() < self.history.len()
    }

    /// Whether applying `text` would drop the recorded future: the session is in the past and
    /// some line acts on the world (reading commands are answered without forking). Text that
    /// does not parse would change nothing, so it does not fork either.
    pub fn would_fork(&self, text: &str) -> bool {
        self.is_in_the_past()
            && text
                .split('\n')
                .any(|raw| matches!(parse_line(raw), Ok(Some(c)) if c.acts() && !c.is_read_only()))
    }

    /// Answers a reading command on a copy of the world as shown, so that asking while seeked
    /// back keeps the future (acting there would fork the timeline).
    fn query_in_the_past(&self, command: &Command) -> Vec<Reply> {
        let mut world = self.history.world().clone();
        let event = world.apply(&Input::Command(command.clone()));
        let mut replies = Vec::new();
        if let Detail::Monitor(m) = &event.detail {
            replies.push(m.reply.clone());
        }
        replies
    }

    fn record(&mut self, ev: &TraceEvent) {
        let n = self.history.len() as usize;
        if self.hashes.len() >= n {
            return;
        }
        self.hashes
            .push(self.history.events().record(n - 1).unwrap_or_default());
        if let Some(sample) = StatsSample::of(ev) {
            self.stats.push(sample);
        }
    }
}

impl Engine for Session {
    type W = World<Portable>;
    type Ev = TraceEvent;
    type In = Input;
    fn world(&self) -> &World<Portable> {
        self.history.world()
    }
    fn act(&mut self, input: Input, sink: &mut dyn FnMut(&TraceEvent)) {
        if self.history.cursor() < self.history.len() {
            let keep = self.history.cursor();
            self.hashes.truncate(keep as usize, self.history.events());
            self.stats.retain(|s| s.index < keep);
        }
        let ev = self.history.act(input);
        sink(&ev);
        self.record(&ev);
    }
    fn step(&mut self, sink: &mut dyn FnMut(&TraceEvent)) -> bool {
        let Some(ev) = self.history.step() else {
            return false;
        };
        sink(&ev);
        self.record(&ev);
        true
    }
    fn recorded_input(&self) -> Option<&Input> {
        self.history.recorded_input()
    }
    fn budget(&self) -> u64 {
        self.budget
    }
}

/// The text of a command, for the session's script.
pub(crate) fn command_text(c: &Command) -> String {
    use crate::command::{GuestOp, HostOp};
    match c {
        Command::Qmp(q) => q.to_line(),
        Command::HmpBalloon(a) => format!("balloon {a}"),
        Command::HmpInfoBalloon => "info balloon".to_owned(),
        Command::Vmm(r) => r.to_line(),
        Command::HmpHelp(None) => "help".to_owned(),
        Command::HmpHelp(Some(topic)) => format!("help {topic}"),
        Command::Guest(op) => {
            let (verb, b) = match op {
                GuestOp::Alloc(b) => ("alloc", b),
                GuestOp::Free(b) => ("free", b),
                GuestOp::Cache(b) => ("cache", b),
                GuestOp::Touch(b) => ("touch", b),
            };
            format!("guest {verb} {}", crate::command::units::format_size(*b))
        }
        Command::Fault(f) => fault_text(f),
        Command::Host(op) => match op {
            HostOp::HintStart => "host hint start".to_owned(),
            HostOp::HintStop => "host hint stop".to_owned(),
            HostOp::HintDone => "host hint done".to_owned(),
        },
        Command::Step(s) => match s {
            StepCommand::Ops(1) => "step".to_owned(),
            StepCommand::Ops(n) => format!("step {n}"),
            StepCommand::Messages(1) => "step message".to_owned(),
            StepCommand::Messages(n) => format!("step message {n}"),
            StepCommand::UntilQuiet => "run".to_owned(),
            StepCommand::For(ns) => format_duration(*ns),
        },
    }
}

/// The largest count one `step N` line takes.
const MAX_STEP: u64 = 1_000_000;

/// Appends `n` scheduler steps to a script as `step N` lines (for the timeline scripts).
pub(crate) fn push_steps(out: &mut String, mut n: u64) {
    while n > 0 {
        let k = n.min(MAX_STEP);
        out.push_str(&if k == 1 {
            "step\n".to_owned()
        } else {
            format!("step {k}\n")
        });
        n -= k;
    }
}

pub(crate) fn format_duration(ns: u64) -> String {
    for (unit, name) in [
        (60_000_000_000, "min"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ] {
        if ns != 0 && ns.is_multiple_of(unit) {
            return format!("run {}{name}", ns / unit);
        }
    }
    format!("run {ns}ns")
}

fn fault_text(f: &crate::command::Fault) -> String {
    let name = f.kind.name();
    format!("fault {} {name}", f.queue.as_str())
}
