//! The host script that rebuilds a session's recorded timeline exactly, for share links: the
//! script's header, each recorded input as its line at its place, and `step N` for the
//! scheduler steps between them (as `Session::timeline_script` does for one VM).

use super::HostSession;
use crate::host::{HostDetail, HostInput, PolicyConfig};
use crate::session::{command_text, format_duration, push_steps};

impl HostSession {
    /// A host script that rebuilds the whole recorded timeline: after a seek back and a
    /// new input it is the fork, and steps replayed from the past add nothing. Replaying it
    /// ([`HostSession::from_script`]) makes the same events, so its trace hash is this one's.
    pub fn timeline_script(&self) -> String {
        let mut out = self.header.clone();
        let mut next = 0;
        for (&at, input) in self.history.inputs() {
            push_steps(&mut out, at.saturating_sub(next));
            next = at + 1 + self.consequences.get(&at).copied().unwrap_or(0);
            let line = match input {
                // The monitor line that follows brings the machine up again, one input per
                // step, as it did here (`HostSession::run_action`).
                HostInput::CreateMachine(_) => continue,
                HostInput::Vm { vm, command } => format!(
                    "@{} {}",
                    self.names.get(*vm).map_or("?", String::as_str),
                    command_text(command)
                ),
                HostInput::Policy(PolicyConfig::Off) => "host policy off".to_owned(),
                HostInput::Policy(PolicyConfig::Mom { interval_ns }) => {
                    // `run 10s` → `host policy mom 10s`: the same duration words.
                    let run = format_duration(*interval_ns);
                    format!("host policy mom {}", run.trim_start_matches("run "))
                }
                HostInput::PassTime(to) => {
                    // The clock event records where time stood before it.
                    let from = match self.events().get(at as usize).map(|e| e.detail) {
                        Some(HostDetail::Clock { from, .. }) => from,
                        _ => 0,
                    };
                    format_duration(to.saturating_sub(from))
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        push_steps(&mut out, self.event_count().saturating_sub(next));
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::StepSize;
    use crate::host::HostSession;
    use crate::host::presets::HOST_PRESETS;

    fn same_timeline(s: &HostSession, what: &str) {
        let text = s.timeline_script();
        let (t, _) =
            HostSession::from_script(&text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"));
        assert_eq!(t.event_count(), s.event_count(), "{what}\n{text}");
        let mut t = t;
        t.seek(s.current_index()).unwrap();
        assert_eq!(t.trace_hash(), s.trace_hash(), "{what}\n{text}");
        assert_eq!(
            crate::view::HostView::of(t.host()),
            crate::view::HostView::of(s.host()),
            "{what}"
        );
    }

    /// Every preset (policy runs, swap-outs, an OOM kill, monitor lines that bring a
    /// machine up) rebuilds from its timeline script with the same events.
    #[test]
    fn every_preset_rebuilds_from_its_timeline_script() {
        for p in HOST_PRESETS {
            let (s, _) = HostSession::from_script(p.text).unwrap();
            same_timeline(&s, p.name);
        }
    }

    /// Console lines and UI steps at the end, then a seek back and a new input (a fork):
    /// the script is the fork, not the lines in the order they were typed.
    #[test]
    fn typed_lines_steps_and_a_fork_rebuild_the_same_timeline() {
        let p = crate::host::presets::get("host-three-vms").unwrap();
        let (mut s, _) = HostSession::from_script(p.text).unwrap();
        s.apply_line("@db balloon 2048").unwrap();
        s.step(StepSize::Message);
        s.apply_line("host policy mom 2s").unwrap();
        s.step(StepSize::For(3_000_000_000));
        s.apply_line("run 1500ms").unwrap();
        same_timeline(&s, "typed");
        let end = s.event_count();
        s.seek(end - 40).unwrap();
        same_timeline(&s, "seeked back");
        s.apply_line("@web guest alloc 256M").unwrap();
        assert!(s.event_count() < end + 40, "the future was dropped");
        s.step(StepSize::For(1_000_000_000));
        same_timeline(&s, "forked");
    }
}
