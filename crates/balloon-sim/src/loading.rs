//! A script run a slice at a time: what [`Session::from_script`] does in one call, split so a
//! page can paint (and show progress) between slices of a long preset. Every slice follows
//! [`crate::stepping`]'s stepping rules step for step, so the finished session is the one
//! `from_script` builds (same timeline, same trace hash, same script).

use std::collections::VecDeque;

use crate::command::{Command, StepCommand, parse_script};
use crate::error::Error;
use crate::session::Session;
use crate::stepping::Engine;
use crate::world::Input;

/// A stepping command part-way through.
#[derive(Debug, Clone, Copy)]
enum Running {
    /// `step N`: operations left.
    Ops(u32),
    /// `step message N`: messages left, and whether the current one has not stepped yet.
    Messages { left: u32, first: bool },
    /// `run`.
    UntilQuiet,
    /// `run DURATION`, until this virtual time.
    For { deadline: u64 },
}

/// A script being run a slice at a time.
#[derive(Debug, Clone)]
pub struct ScriptLoad {
    session: Session,
    commands: VecDeque<Command>,
    total: usize,
    running: Option<(Running, u64)>,
}

impl ScriptLoad {
    /// Parses `text` (machine line optional) and builds its machine; nothing runs yet. A script
    /// error is returned before anything is built.
    pub fn new(text: &str) -> Result<Self, Error> {
        let script = parse_script(text)?;
        let session = Session::new(script.machine)?;
        let commands: VecDeque<Command> = script.lines.into_iter().map(|l| l.command).collect();
        Ok(Self {
            session,
            total: commands.len(),
            commands,
            running: None,
        })
    }

    /// Runs at most about `max_events` more events; returns whether the script has ended.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let start = self.session.event_count();
        while self.session.event_count() - start < max_events {
            if self.running.is_none() {
                let Some(command) = self.commands.pop_front() else {
                    return true;
                };
                match command {
                    Command::Step(step) => {
                        self.session.note_line(&Command::Step(step));
                        let running = match step {
                            StepCommand::Ops(n) => Running::Ops(n),
                            StepCommand::Messages(n) => Running::Messages {
                                left: n,
                                first: true,
                            },
                            StepCommand::UntilQuiet => Running::UntilQuiet,
                            StepCommand::For(ns) => Running::For {
                                deadline: self.session.world().now_ns().saturating_add(ns),
                            },
                        };
                        self.running = Some((running, self.session.budget()));
                    }
                    other => {
                        self.session.apply_command(other);
                    }
                }
                continue;
            }
            self.step_running();
        }
        self.commands.is_empty() && self.running.is_none()
    }

    /// One iteration of the running stepping command, as `stepping::run_step` loops.
    fn step_running(&mut self) {
        let Some((running, mut budget)) = self.running else {
            return;
        };
        let s = &mut self.session;
        let mut none = |_: &crate::TraceEvent| {};
        let next = match running {
            Running::Ops(0) => None,
            Running::Ops(n) => Engine::step(s, &mut none).then_some(Running::Ops(n - 1)),
            Running::Messages { left: 0, .. } => None,
            Running::Messages { left, first } => {
                if !first && (s.recorded_input().is_some() || !s.world().has_work()) {
                    Some(Running::Messages {
                        left: left - 1,
                        first: true,
                    })
                } else {
                    let mut ended = false;
                    let stepped = Engine::step(s, &mut |ev| ended |= ev.ends_message());
                    budget = budget.saturating_sub(1);
                    let done = !stepped || ended || budget == 0;
                    Some(Running::Messages {
                        left: if done { left - 1 } else { left },
                        first: done,
                    })
                }
            }
            Running::UntilQuiet => {
                let more =
                    budget > 0 && s.recorded_input().is_none() && !s.world().is_quiet_for_run();
                if more && Engine::step(s, &mut none) {
                    budget -= 1;
                    Some(Running::UntilQuiet)
                } else {
                    None
                }
            }
            Running::For { deadline } => Self::step_for(s, deadline, &mut budget),
        };
        self.running = next.map(|r| (r, budget));
    }

    /// One iteration of `run DURATION`; `None` once it has ended (the clock then advanced to
    /// the deadline, as `run_step` does).
    fn step_for(s: &mut Session, deadline: u64, budget: &mut u64) -> Option<Running> {
        let mut none = |_: &crate::TraceEvent| {};
        let this = Some(Running::For { deadline });
        let finish = |s: &mut Session| {
            if s.world().now_ns() < deadline {
                Engine::act(s, Input::PassTime(deadline), &mut |_| {});
            }
            None
        };
        if *budget == 0 {
            return finish(s);
        }
        match s.recorded_input() {
            Some(Input::PassTime(t)) if *t <= deadline => {
                Engine::step(s, &mut none);
                return this;
            }
            Some(_) => return None,
            None => {}
        }
        if s.world().idle_until(deadline) {
            return finish(s);
        }
        if !Engine::step(s, &mut none) {
            return finish(s);
        }
        *budget -= 1;
        this
    }

    /// (command lines run, command lines in the script, events so far), for a progress line.
    pub fn progress(&self) -> (usize, usize, u64) {
        let pending = self.commands.len() + usize::from(self.running.is_some());
        (self.total - pending, self.total, self.session.event_count())
    }

    /// The session, finished or not.
    pub fn into_session(self) -> Session {
        self.session
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every preset, loaded in slices of a few events, is the session `from_script` builds.
    #[test]
    fn sliced_loads_equal_whole_runs_for_every_small_preset() {
        for p in crate::presets::PRESETS
            .iter()
            .filter(|p| p.name != "bulk-64g")
        {
            let (whole, _) = Session::from_script(p.text).unwrap();
            let mut load = ScriptLoad::new(p.text).unwrap();
            let mut slices = 0;
            while !load.advance(97) {
                slices += 1;
                assert!(slices < 1_000_000, "{}: never ends", p.name);
            }
            let (done, total, events) = load.progress();
            assert_eq!((done, events), (total, whole.event_count()), "{}", p.name);
            let sliced = load.into_session();
            assert_eq!(sliced.trace_hash(), whole.trace_hash(), "{}", p.name);
            assert_eq!(sliced.script_text(), whole.script_text(), "{}", p.name);
            assert_eq!(
                sliced.timeline_script(),
                whole.timeline_script(),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn bad_scripts_fail_before_anything_runs() {
        assert!(ScriptLoad::new("-m 1G\nballon 5\n").is_err());
    }
}
