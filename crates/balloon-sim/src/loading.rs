//! A script run a slice at a time: what [`Session::from_script`] does in one call, split so a
//! page can paint (and show progress) between slices of a long preset. Every slice follows
//! [`crate::stepping`]'s stepping rules step for step, so the finished session is the one
//! `from_script` builds (same timeline, same trace hash, same script).

use std::collections::VecDeque;

use crate::command::{Command, ScriptLine, parse_script};
use crate::error::Error;
use crate::session::Session;
use crate::stepping::{Stepping, keep_first_stop};

/// A script being run a slice at a time.
#[derive(Debug, Clone)]
pub struct ScriptLoad {
    session: Session,
    lines: VecDeque<ScriptLine>,
    total: usize,
    /// The stepping line part-way through, and its line number.
    running: Option<(Stepping, u32)>,
    /// The first line that stopped at its budget, as [`Session::from_script`] keeps it.
    first_stop: Option<String>,
}

impl ScriptLoad {
    /// Parses `text` (machine line optional) and builds its machine; nothing runs yet. A script
    /// error is returned before anything is built.
    pub fn new(text: &str) -> Result<Self, Error> {
        let script = parse_script(text)?;
        let session = Session::new(script.machine)?;
        let lines = VecDeque::from(script.lines);
        Ok(Self {
            session,
            total: lines.len(),
            lines,
            running: None,
            first_stop: None,
        })
    }

    /// Sets the most events one stepping line may make, as [`Session::set_budget`].
    pub fn set_budget(&mut self, events: u64) {
        self.session.set_budget(events);
    }

    /// Runs at most about `max_events` more events; returns whether the script has ended.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let start = self.session.event_count();
        while self.session.event_count() - start < max_events {
            let Some((running, line)) = self.running.as_mut() else {
                let Some(ScriptLine { line, command }) = self.lines.pop_front() else {
                    return true;
                };
                match command {
                    Command::Step(step) => {
                        self.session.note_line(&Command::Step(step));
                        self.running = Some((Stepping::start(&self.session, step), line));
                    }
                    other => {
                        self.session.apply_command(other);
                    }
                }
                continue;
            };
            if let Some(end) = running.advance(&mut self.session, &mut |_| {}) {
                keep_first_stop(&mut self.first_stop, *line, end.message());
                self.running = None;
            }
        }
        self.lines.is_empty() && self.running.is_none()
    }

    /// (command lines run, command lines in the script, events so far), for a progress line.
    pub fn progress(&self) -> (usize, usize, u64) {
        let pending = self.lines.len() + usize::from(self.running.is_some());
        (self.total - pending, self.total, self.session.event_count())
    }

    /// The session, finished or not; its [`Session::take_stopped`] names the first line that
    /// stopped at its budget.
    pub fn into_session(mut self) -> Session {
        self.session.set_stopped(self.first_stop);
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

    /// A stepping line that spends its budget (two stats buffers in flight:
    /// `virtio_balloon_receive_stats` pushes the held one back and `stats_request` re-adds it,
    /// so the stats queue always has work) ends where one whole run ends it: same events, same
    /// clock, and the loaded session names the line, as the CLI does, even when lines follow.
    /// Loaded in slices it once jumped `run 1s` to its deadline, let `step message N` go on
    /// past its budget and said nothing.
    #[test]
    fn a_line_that_spends_its_budget_ends_as_a_whole_run_does() {
        const BUDGET: u64 = 700;
        for line in ["run", "run 1s", "step message 400", "step 900"] {
            for tail in ["", "info balloon\nrun\n"] {
                let text = format!(
                    "-m 1G -device virtio-balloon,id=balloon0 -seed 26\nrun\n\
                     fault svq second-buffer\n{line}\n{tail}"
                );
                let (mut whole, _) =
                    Session::from_parsed(parse_script(&text).unwrap(), BUDGET).unwrap();
                let mut load = ScriptLoad::new(&text).unwrap();
                load.set_budget(BUDGET);
                while !load.advance(97) {}
                let mut sliced = load.into_session();
                let at = format!("{line} then {tail:?}");
                assert_eq!(sliced.event_count(), whole.event_count(), "{at}");
                assert_eq!(sliced.trace_hash(), whole.trace_hash(), "{at}");
                assert_eq!(sliced.world().now_ns(), whole.world().now_ns(), "{at}");
                let stopped = whole.take_stopped();
                assert_eq!(sliced.take_stopped(), stopped, "{at}");
                // `step 900` ends by its count; the others at their budget, on line 4, and the
                // tail's `run` on line 6 after `step 900`.
                let head = match (line, tail) {
                    ("step 900", "") => None,
                    ("step 900", _) => Some("line 6: `run`".to_owned()),
                    _ => Some(format!("line 4: `{line}`")),
                };
                let head = head.map(|h| format!("{h} stopped after {BUDGET} events"));
                match (stopped, head) {
                    (Some(m), Some(h)) => assert!(m.starts_with(&h), "{at}: {m}"),
                    (m, h) => assert_eq!(m, h, "{at}"),
                }
            }
        }
    }

    #[test]
    fn bad_scripts_fail_before_anything_runs() {
        assert!(ScriptLoad::new("-m 1G\nballon 5\n").is_err());
    }
}
