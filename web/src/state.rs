//! The app state: one `balloon_sim::Session` behind a reducer, so every button is an [`Action`].

use std::rc::Rc;

use balloon_sim::{Session, StepSize};
use yew::Reducible;

/// The preset whose machine the playground boots.
pub const PRESET: &str = "inflate-half";

/// Bytes per MiB, the unit of the target input.
const MIB: u64 = 1 << 20;

/// What the operator can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One ring operation (one trace event).
    StepOp,
    /// To the end of one message round trip.
    StepMessage,
    /// One event back.
    StepBack,
    /// Until no work is left.
    RunToQuiet,
    /// Back to the freshly booted machine.
    Reset,
    /// Sets the guest's target size (QMP `balloon`, in MiB) and runs until quiet.
    ApplyTarget(u64),
}

/// The session plus the last thing the operator needs to read about it.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The simulated world and its history.
    pub session: Session,
    /// Why the last action did nothing, shown inline.
    pub error: Option<String>,
}

impl AppState {
    /// The preset's machine line, booted (`run`), with no balloon target yet.
    pub fn booted() -> Self {
        let machine = balloon_sim::presets::get(PRESET)
            .and_then(|p| p.text.lines().find(|l| l.trim_start().starts_with('-')))
            .unwrap_or("-m 1G -device virtio-balloon -seed 1");
        match Session::from_script(&format!("{machine}\nrun\n")) {
            Ok((session, _)) => Self {
                session,
                error: None,
            },
            // The shipped machine line always parses; fall back so the page still renders.
            Err(e) => Self {
                session: Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n")
                    .map(|(s, _)| s)
                    .unwrap_or_else(|_| unreachable_session()),
                error: Some(e.to_string()),
            },
        }
    }

    /// Guest RAM in MiB.
    pub fn ram_mib(&self) -> u64 {
        self.session.balloon().ram_size / MIB
    }

    /// How much of guest RAM the balloon holds (config `actual`), 0.0..=1.0.
    pub fn actual_fill(&self) -> f64 {
        self.fill(self.session.balloon().actual)
    }

    /// How much of guest RAM the target asks for (config `num_pages`), 0.0..=1.0.
    pub fn target_fill(&self) -> f64 {
        self.fill(self.session.balloon().num_pages)
    }

    fn fill(&self, pages: u32) -> f64 {
        let ram_pages = self.session.balloon().ram_size / 4096;
        if ram_pages == 0 {
            0.0
        } else {
            f64::from(pages) / ram_pages as f64
        }
    }

    fn apply_target(&mut self, mib: u64) {
        if mib == 0 || mib > self.ram_mib() {
            self.error = Some(format!(
                "target must be between 1 and {} MiB",
                self.ram_mib()
            ));
            return;
        }
        let line = format!(
            r#"{{"execute": "balloon", "arguments": {{"value": {}}}}}"#,
            mib * MIB
        );
        match self.session.apply_line(&line) {
            Ok(_) => {
                self.session.step(StepSize::UntilQuiet);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

/// The default machine, powered off; only reached if the built-in machine lines stopped
/// parsing, which `boots_a_1g_guest_with_an_empty_balloon` would catch first.
fn unreachable_session() -> Session {
    Session::new(balloon_sim::command::MachineConfig::default())
        .unwrap_or_else(|e| panic!("the default machine does not build: {e}"))
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.error = None;
        match action {
            Action::StepOp => drop(next.session.step(StepSize::Op)),
            Action::StepMessage => drop(next.session.step(StepSize::Message)),
            Action::StepBack => next.session.step_back(),
            Action::RunToQuiet => drop(next.session.step(StepSize::UntilQuiet)),
            Action::Reset => next = Self::booted(),
            Action::ApplyTarget(mib) => next.apply_target(mib),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Rc<AppState> {
        Rc::new(AppState::booted())
    }

    #[test]
    fn boots_a_1g_guest_with_an_empty_balloon() {
        let s = state();
        assert_eq!(s.ram_mib(), 1024);
        assert_eq!(s.session.balloon().actual, 0);
        assert!(s.session.current_index() > 0, "boot produced no events");
    }

    #[test]
    fn apply_target_inflates_to_it() {
        let s = state().reduce(Action::ApplyTarget(512));
        assert_eq!(s.session.balloon().num_pages, 131_072);
        assert_eq!(s.session.balloon().actual, 131_072);
        assert!((s.actual_fill() - 0.5).abs() < 1e-9);
        assert!(s.error.is_none());
    }

    #[test]
    fn bad_targets_change_nothing() {
        for mib in [0, 1025, u64::MAX] {
            let before = state();
            let index = before.session.current_index();
            let s = before.reduce(Action::ApplyTarget(mib));
            assert!(s.error.is_some(), "{mib}");
            assert_eq!(s.session.current_index(), index);
            assert_eq!(s.session.balloon().num_pages, 0);
        }
    }

    #[test]
    fn step_back_and_step_op_move_one_event() {
        let s = state().reduce(Action::ApplyTarget(512));
        let end = s.session.current_index();
        let s = s.reduce(Action::StepBack);
        assert_eq!(s.session.current_index(), end - 1);
        let s = s.reduce(Action::StepOp);
        assert_eq!(s.session.current_index(), end);
        let s = s.reduce(Action::Reset);
        assert_eq!(s.session.balloon().num_pages, 0);
    }
}
