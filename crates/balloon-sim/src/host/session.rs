//! A host with its past, for the page: the same [`History`] that rewinds one VM, over a
//! [`Host`]. Scripts run through the same stepping commands as [`super::HostRunner`], so a
//! session and a straight run of one script make the same trace.

use std::collections::BTreeMap;

use virtq::Portable;

use super::script::{HostAction, parse_host_command, parse_host_script};
use super::{Host, HostEvent, HostInput};
use crate::command::{ScriptError, StepCommand};
use crate::error::Error;
use crate::history::History;
use crate::reply::Reply;
use crate::stepping::{Clocked, Engine, MessageEnd, StepEnd, StepSize, keep_first_stop, run_step};
use crate::timeline::Timeline;
use crate::trace::hash::TraceHash;

/// A host of VMs, its past and its future (after a seek back).
#[derive(Debug, Clone)]
pub struct HostSession {
    history: History<Host<Portable>>,
    names: Vec<String>,
    /// The script's header (host settings and machine lines), verbatim, for
    /// [`Self::timeline_script`].
    header: String,
    /// For each recorded input (by its event index), how many consequence events `act`
    /// stepped out right after it: a replayed line makes them again by itself.
    consequences: BTreeMap<u64, u64>,
    /// Most events one stepping command may make.
    budget: u64,
    /// Why the last stepping command stopped before its end, until taken.
    stopped: Option<String>,
}

/// A reply with the name of the VM whose monitor gave it.
pub type VmReply = (String, Reply);

impl HostSession {
    /// Parses a host script and runs it. A script error leaves nothing behind. Afterwards
    /// [`Self::take_stopped`] names the first line that stopped at its budget.
    pub fn from_script(text: &str) -> Result<(Self, Vec<VmReply>), Error> {
        Self::from_script_with_budget(text, crate::stepping::MAX_SESSION_EVENTS_PER_COMMAND)
    }

    /// [`Self::from_script`], each stepping line making at most `budget` events.
    pub(crate) fn from_script_with_budget(
        text: &str,
        budget: u64,
    ) -> Result<(Self, Vec<VmReply>), Error> {
        let script = parse_host_script(text)?;
        let host = Host::<Portable>::new(&script)?;
        let first_command = script.lines.first().map_or(u32::MAX, |l| l.line);
        let mut header: String = text
            .split('\n')
            .take(usize::try_from(first_command - 1).unwrap_or(usize::MAX))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        if !header.ends_with('\n') {
            header.push('\n');
        }
        let mut s = Self {
            names: host.names(),
            history: History::new(host),
            header,
            consequences: BTreeMap::new(),
            budget: budget.max(1),
            stopped: None,
        };
        let mut replies = Vec::new();
        let mut first = None;
        for line in &script.lines {
            replies.extend(s.run_action(&line.action));
            keep_first_stop(&mut first, line.line, s.stopped.take());
        }
        s.stopped = first;
        Ok((s, replies))
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

    /// Runs one line of a host script, as [`super::HostRunner::run_action`] does.
    pub fn run_action(&mut self, action: &HostAction) -> Vec<VmReply> {
        let mut replies = Vec::new();
        let names = self.names.clone();
        let mut sink = |ev: &HostEvent| {
            super::runner::emit_replies(ev, &mut |vm, r| {
                replies.push((names.get(vm).cloned().unwrap_or_default(), r));
            });
        };
        let end = match action {
            HostAction::Step(s) => run_step(self, *s, &mut sink),
            HostAction::Policy(p) => {
                self.act(HostInput::Policy(*p), &mut sink);
                StepEnd::Done
            }
            HostAction::Vm { vm, command } => {
                if command.is_monitor() {
                    // QEMU realizes the device before its monitor answers (see
                    // `crate::stepping`): one recorded input per bring-up step.
                    while self
                        .host()
                        .vms()
                        .get(*vm)
                        .and_then(|v| v.world())
                        .is_some_and(|w| !w.machine_created())
                    {
                        self.act(HostInput::CreateMachine(*vm), &mut sink);
                    }
                }
                let input = HostInput::Vm {
                    vm: *vm,
                    command: command.clone(),
                };
                self.act(input, &mut sink);
                StepEnd::Done
            }
        };
        // The events made so far stay; the clock shows where it stopped.
        self.stopped = end.message();
        replies
    }

    /// Runs one line typed at the console (the host script's own line parser, against this
    /// host's VMs): a line that does not parse is an error and changes nothing. A reading
    /// monitor command (`info balloon`, `query-balloon`) while in the past is answered from
    /// the host as shown, so asking does not fork the timeline.
    pub fn apply_line(&mut self, text: &str) -> Result<Vec<VmReply>, ScriptError> {
        let Some(action) = parse_host_command(text, &self.names)? else {
            return Ok(Vec::new());
        };
        if let HostAction::Vm { vm, command } = &action
            && command.is_read_only()
            && self.is_in_the_past()
        {
            let mut host = self.host().clone();
            let mut replies = Vec::new();
            let input = HostInput::Vm {
                vm: *vm,
                command: command.clone(),
            };
            host.apply(&input, &mut |ev| {
                super::runner::emit_replies(ev, &mut |i, r| {
                    replies.push((self.names.get(i).cloned().unwrap_or_default(), r));
                });
            });
            return Ok(replies);
        }
        if let HostAction::Step(cmd) = action
            && self.is_in_the_past()
        {
            // In the past a typed `run`/`step` replays the recording as the step buttons do,
            // rather than acting (a `run` whose deadline falls in a quiet stretch would pass
            // time as a new input and drop the recorded future).
            let (size, times) = match cmd {
                StepCommand::Ops(n) => (StepSize::Op, n),
                StepCommand::Messages(n) => (StepSize::Message, n),
                StepCommand::UntilQuiet => (StepSize::UntilQuiet, 1),
                StepCommand::For(ns) => (StepSize::For(ns), 1),
            };
            let mut replies = Vec::new();
            for _ in 0..times {
                let before = self.current_index();
                replies.extend(self.step(size));
                if self.current_index() == before {
                    break;
                }
            }
            return Ok(replies);
        }
        Ok(self.run_action(&action))
    }

    /// Whether the cursor is before the end of the timeline (after a seek back).
    pub fn is_in_the_past(&self) -> bool {
        self.current_index() < self.event_count()
    }

    /// Whether [`Self::apply_line`] of `text` would drop the recorded future: the session
    /// is in the past and the line acts (the single VM's rule, `Session::would_fork`: a
    /// reading command, a stepping line or a line that does not parse does not fork).
    pub fn would_fork(&self, text: &str) -> bool {
        self.is_in_the_past()
            && match parse_host_command(text, &self.names) {
                Ok(Some(HostAction::Vm { command, .. })) => !command.is_read_only(),
                Ok(Some(HostAction::Policy(_))) => true,
                _ => false,
            }
    }

    /// When the next step's event happens, in virtual ns: the recorded one when in the past,
    /// else the host scheduler's next (`None` when nothing will happen by itself).
    pub fn next_event_ns(&self) -> Option<u64> {
        match self.next_recorded() {
            Some(ev) => Some(ev.time_ns),
            None if self.is_in_the_past() => None,
            None => self.host().next_event_ns(),
        }
    }

    /// A UI step button. In the past it replays the recorded timeline, the operator's inputs
    /// included (a message to its end, virtual time to the last event within it); at the end
    /// it runs the host.
    pub fn step(&mut self, size: StepSize) -> Vec<VmReply> {
        if self.current_index() >= self.event_count() {
            return self.run_action(&HostAction::Step(size.into()));
        }
        match size {
            StepSize::Op => {
                self.history.step();
            }
            StepSize::Message => {
                while let Some(ev) = self.history.step() {
                    if ev.ends_message() {
                        break;
                    }
                }
            }
            StepSize::For(ns) => {
                let deadline = self.host().now_ns().saturating_add(ns);
                while self
                    .next_recorded()
                    .is_some_and(|ev| ev.time_ns <= deadline)
                {
                    if self.history.step().is_none() {
                        break;
                    }
                }
            }
            StepSize::UntilQuiet => {
                // Within the recorded past a seek cannot fail.
                let _ = self.history.seek(self.event_count());
            }
        }
        Vec::new()
    }
    /// The recorded event the next step replays, when in the past.
    fn next_recorded(&self) -> Option<HostEvent> {
        self.events()
            .get(usize::try_from(self.current_index()).ok()?)
    }
    /// One event back.
    pub fn step_back(&mut self) {
        // At event 0 there is nothing to undo; a seek below the cursor cannot fail.
        let _ = self.history.step_back();
    }
    /// Back to the end of the previous message round trip of any VM (or to event 0), as
    /// `Session::step_back_message` does for one VM.
    pub fn step_back_message(&mut self) {
        let cursor = usize::try_from(self.current_index()).unwrap_or(usize::MAX);
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
    /// The host as it is after [`Self::current_index`] events.
    pub fn host(&self) -> &Host<Portable> {
        self.history.world()
    }
    /// The script's header: the host's settings and its VMs' machine lines, before any
    /// command (what a reset boots again).
    pub fn header_script(&self) -> &str {
        &self.header
    }
    /// The stats samples VM `vm`'s device parsed up to the shown state, oldest first (what
    /// `Session::stats_series` keeps for one VM).
    pub fn stats_series(&self, vm: usize) -> Vec<crate::StatsSample> {
        let upto = usize::try_from(self.current_index()).unwrap_or(usize::MAX);
        self.events()
            .range(0, upto)
            .filter_map(|ev| match &ev.detail {
                super::HostDetail::Vm { vm: v, event } if *v == vm => crate::StatsSample::of(event),
                _ => None,
            })
            .collect()
    }
    /// The host's virtual time as shown, ns.
    pub fn now_ns(&self) -> u64 {
        self.host().now_ns()
    }
    /// The VMs' names, in script order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Events in the timeline.
    pub fn event_count(&self) -> u64 {
        self.history.len()
    }
    /// Events the shown state has lived through.
    pub fn current_index(&self) -> u64 {
        self.history.cursor()
    }
    /// The timeline.
    pub fn events(&self) -> &Timeline<HostEvent> {
        self.history.events()
    }
    /// The event the shown state lived through last, decoded.
    pub fn current_event(&self) -> Option<HostEvent> {
        let i = usize::try_from(self.current_index().checked_sub(1)?).ok()?;
        self.events().get(i)
    }
    /// The trace hash of the events up to the shown state, as [`super::HostRunner::trace_hash`]
    /// hashes a straight run.
    pub fn trace_hash(&self) -> u64 {
        let mut h = TraceHash::default();
        let upto = usize::try_from(self.current_index()).unwrap_or(usize::MAX);
        for i in 0..upto.min(self.events().len()) {
            h.record(self.events().record(i).unwrap_or_default());
        }
        h.0
    }
}

impl Engine for HostSession {
    type W = Host<Portable>;
    type Ev = HostEvent;
    type In = HostInput;
    fn world(&self) -> &Host<Portable> {
        self.history.world()
    }
    /// The input's event, then at once the consequences it decided (a swap-out, a kill), as
    /// [`Host::apply`] hands them out in a straight run.
    fn act(&mut self, input: HostInput, sink: &mut dyn FnMut(&HostEvent)) {
        let at = self.current_index();
        // Acting in the past drops the recorded future, and with it its inputs' records.
        self.consequences.split_off(&at);
        sink(&self.history.act(input));
        let mut stepped = 0;
        while self.history.world().has_pending() {
            match self.history.step() {
                Some(ev) => sink(&ev),
                None => break,
            }
            stepped += 1;
        }
        if stepped > 0 {
            self.consequences.insert(at, stepped);
        }
    }
    fn step(&mut self, sink: &mut dyn FnMut(&HostEvent)) -> bool {
        match self.history.step() {
            Some(ev) => {
                sink(&ev);
                true
            }
            None => false,
        }
    }
    fn recorded_input(&self) -> Option<&HostInput> {
        self.history.recorded_input()
    }
    fn budget(&self) -> u64 {
        self.budget
    }
}

mod timeline;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::presets::HOST_PRESETS;
    use crate::host::{HostRunner, run_host_text};

    /// The session drives the host through a history (one event per input, consequences
    /// stepped out after); the runner applies inputs straight. Both must make the same trace
    /// and end with the same summary.
    #[test]
    fn every_host_preset_makes_the_same_trace_in_a_session_as_in_a_straight_run() {
        for p in HOST_PRESETS {
            let script = parse_host_script(p.text).unwrap();
            let mut runner = HostRunner::<Portable>::new(&script).unwrap();
            let stopped = runner.run_script(&script, &mut |_, _| {}, &mut |_, _| {});
            assert_eq!(stopped, None, "{}: every line reaches its end", p.name);
            let (s, replies) = HostSession::from_script(p.text).unwrap();
            assert_eq!(s.trace_hash(), runner.trace_hash(), "{}", p.name);
            assert_eq!(s.event_count(), runner.host().event_count(), "{}", p.name);
            let (straight, _) = run_host_text::<Portable>(p.text).unwrap();
            assert_eq!(replies, straight, "{}", p.name);
        }
    }

    /// A console `run` on a VM whose guest never goes quiet stops at the session's budget,
    /// keeps its events and says so once.
    #[test]
    fn a_run_that_never_goes_quiet_stops_at_the_budget_and_says_so_once() {
        let (mut s, _) = HostSession::from_script("host ram 4G\n-name db -m 1G\nrun\n").unwrap();
        s.set_budget(3_000);
        s.apply_line("@db fault svq second-buffer").unwrap();
        let before = s.event_count();
        s.apply_line("run").unwrap();
        assert_eq!(s.event_count(), before + 3_000);
        let m = s.take_stopped().expect("the run stopped at its budget");
        assert!(m.contains("`run` stopped after 3000 events"), "{m}");
        assert_eq!(s.take_stopped(), None);
        s.apply_line("run 1ms").unwrap();
        assert_eq!(s.take_stopped(), None, "a bounded run reaches its end");
    }

    /// A script (a shared link's) whose `run` never goes quiet names that line once it has
    /// run, even with lines after it, as the CLI does.
    #[test]
    fn a_script_names_the_first_line_that_stopped_at_its_budget() {
        let text = "host ram 4G\n-name db -m 1G\nrun\n@db fault svq second-buffer\nrun\n\
                    @db info balloon\nrun 1ms\n";
        let (mut s, replies) = HostSession::from_script_with_budget(text, 3_000).unwrap();
        let m = s.take_stopped().expect("line 5 stopped at its budget");
        assert!(
            m.starts_with("line 5: `run` stopped after 3000 events"),
            "{m}"
        );
        // The lines after it ran.
        assert!(
            replies
                .iter()
                .any(|(vm, r)| vm == "db" && format!("{r:?}").contains("actual"))
        );
        assert_eq!(s.take_stopped(), None);
    }

    /// From event 0, 10 s runs replay the recorded timeline (the operator's commands
    /// included) and reach the end of it with the same host as the straight run.
    #[test]
    fn running_in_the_past_replays_the_recording_to_its_end() {
        let p = crate::host::presets::get("host-give-by-hand").unwrap();
        let (mut s, _) = HostSession::from_script(p.text).unwrap();
        let (end, hash) = (s.event_count(), s.trace_hash());
        s.seek(0).unwrap();
        let mut last = 0;
        for _ in 0..100 {
            s.step(StepSize::For(10_000_000_000));
            assert!(s.current_index() >= last);
            last = s.current_index();
            if last == end {
                break;
            }
        }
        assert_eq!(last, end, "replay reached the end");
        assert_eq!(s.event_count(), end, "replaying forks nothing");
        assert_eq!(s.trace_hash(), hash);
        s.seek(0).unwrap();
        s.step(StepSize::Message);
        assert!(s.current_event().is_some_and(|e| e.ends_message()) || s.current_index() == end);
    }

    /// Found by `a_host_session_replays_like_a_straight_run` in CI: once the OOM killer
    /// had taken both VMs, MoM's next run moved the host clock without an event, so a seek
    /// back and forward to the end showed the clock of the last kill, not of the `run`.
    #[test]
    fn a_host_with_every_vm_killed_replays_to_the_same_clock() {
        let text = "host ram 180M\nhost own 64M\nhost swap 0M\n\
            -name a -m 128M -device virtio-balloon,guest-stats-polling-interval=1\n\
            -name b -m 128M -device virtio-balloon,deflate-on-oom=on,guest-stats-polling-interval=1\n\
            @b guest alloc 67M\n@a balloon 82\n@a balloon 82\n@a guest alloc 67M\n\
            host policy mom 1s\nrun 1000ms\n";
        let (mut s, _) = HostSession::from_script(text).unwrap();
        assert!(
            s.host().vms().iter().all(|v| v.world().is_none()),
            "both killed"
        );
        let end = s.event_count();
        let at_end = crate::view::HostView::of(s.host());
        assert_eq!(at_end.now_ns, 1_000_000_000, "the run reached its deadline");
        s.seek(0).unwrap();
        s.seek(end).unwrap();
        assert_eq!(crate::view::HostView::of(s.host()), at_end);
    }

    #[test]
    fn seeking_back_and_forth_shows_the_same_host_and_audits_clean() {
        let p = crate::host::presets::get("host-overcommit-oom").unwrap();
        let (mut s, _) = HostSession::from_script(p.text).unwrap();
        let end = s.event_count();
        let free_at_end = s.host().free_bytes();
        let states: Vec<_> = s.host().vms().iter().map(|v| v.state()).collect();
        for k in [0, end / 3, end / 2, end - 1, end] {
            s.seek(k).unwrap();
            assert_eq!(s.current_index(), k);
            s.host().audit().unwrap_or_else(|e| panic!("at {k}: {e}"));
        }
        assert_eq!(s.host().free_bytes(), free_at_end);
        let again: Vec<_> = s.host().vms().iter().map(|v| v.state()).collect();
        assert_eq!(again, states);
        assert!(
            states.iter().any(|st| st.as_str() == "oom-killed"),
            "the preset ends with a kill: {states:?}"
        );
        s.seek(0).unwrap();
        assert!(
            s.host()
                .vms()
                .iter()
                .all(|v| v.state().as_str() == "running")
        );
        assert!(
            s.seek(end + 1).is_err(),
            "past the end is an error, not a panic"
        );
    }

    /// The console's lines: parsed by the host script's parser against this host's VMs;
    /// a bad line changes nothing; a reading command in the past answers without forking.
    #[test]
    fn console_lines_act_refuse_or_answer_in_the_past() {
        let p = crate::host::presets::get("host-three-vms").unwrap();
        let (mut s, _) = HostSession::from_script(p.text).unwrap();
        let (end, hash) = (s.event_count(), s.trace_hash());
        for bad in [
            "@nosuch balloon 10",
            "host ram 4G",
            "@db run 1s",
            "ballon 5",
            "balloon 5",
        ] {
            let e = s.apply_line(bad).unwrap_err().to_string();
            assert!(e.contains("line 1"), "{bad}: {e}");
            assert_eq!((s.event_count(), s.trace_hash()), (end, hash), "{bad}");
        }
        s.seek(end / 2).unwrap();
        assert!(!s.would_fork("@db info balloon"));
        let replies = s.apply_line("@db info balloon").unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, "db");
        assert!(
            replies[0].1.to_line().starts_with("balloon: actual="),
            "{replies:?}"
        );
        assert_eq!(s.event_count(), end, "asking in the past keeps the future");
        assert_eq!(s.current_index(), end / 2);
        assert!(s.would_fork("@db balloon 1024") && s.would_fork("host policy off"));
        assert!(!s.would_fork("run 1s") && !s.would_fork("@db ballon 1"));
        // A typed run or step in the past replays the recording: nothing is dropped.
        for line in ["run 1s", "step 3", "step message"] {
            let at = s.current_index();
            s.apply_line(line).unwrap();
            assert!(s.current_index() > at, "{line}");
            assert_eq!(s.event_count(), end, "{line}");
        }
        let at = s.current_index();
        s.apply_line("@db balloon 1024").unwrap();
        assert_eq!(s.event_count(), at + 1, "acting in the past forks");
    }
}
