//! One embed's state: its own session (embeds on a page never share one), the frame its link
//! started at, and whether it is playing.
//!
//! Stepping goes through the app's reducer (`crate::state`): that is the one place the embed is
//! coupled to it. A step after a seek back replays the recorded timeline, so the preset's later
//! lines (a second `balloon` command, a fault) still happen when the reader steps forward.

use std::cell::Ref;
use std::rc::Rc;

use balloon_sim::Session;
use balloon_sim::share::{ShareState, Source};
use yew::Reducible;

use crate::state::{Action, AppState};

/// What the embed's buttons and its JS handle can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedAction {
    /// One ring operation forward.
    Step,
    /// To the end of the current message round trip.
    StepMessage,
    /// One ring operation back.
    StepBack,
    /// To the state after this many events (clamped to the recorded timeline).
    Seek(u64),
    /// Back to the frame the link named.
    Reset,
    /// Step on a timer until paused or nothing happens.
    Play,
    /// Stop the timer.
    Pause,
    /// One timer tick while playing.
    Tick,
}

/// The embed's state; cheap to clone (the session sits behind an `Rc`).
#[derive(Debug, Clone)]
pub struct EmbedState {
    /// The session and the reason the last action did nothing, as the app keeps them.
    pub app: Rc<AppState>,
    /// Where the session's lines came from (for the "open in the full playground" link).
    pub source: Source,
    /// The event the link started at, after clamping to the timeline.
    pub start: u64,
    /// Whether the play timer runs.
    pub playing: bool,
}

impl EmbedState {
    /// Runs the source's script and seeks to `step`. A script that does not run leaves a
    /// powered-off default machine and says why, so the embed still renders.
    pub fn new(share: &ShareState) -> Self {
        let (session, error) = match build(&share.source) {
            Ok(s) => (s, None),
            Err(e) => (fallback_session(), Some(e)),
        };
        let start = share.step.min(session.event_count());
        // Within the recorded timeline a seek cannot fail.
        let mut app = Rc::new(AppState::with_session(session))
            .reduce(Action::Seek(start))
            .as_ref()
            .clone();
        app.error = error;
        if share.step > start {
            app.error = Some(format!(
                "the link asks for event {}, but this run has only {start}",
                share.step
            ));
        }
        Self {
            app: Rc::new(app),
            source: share.source.clone(),
            start,
            playing: false,
        }
    }

    /// The session shown.
    pub fn session(&self) -> Ref<'_, Session> {
        self.app.session()
    }

    /// The link to this exact frame.
    pub fn share(&self) -> ShareState {
        ShareState {
            source: self.source.clone(),
            step: self.session().current_index(),
        }
    }

    fn through_app(&self, action: Action) -> Rc<AppState> {
        Rc::clone(&self.app).reduce(action)
    }
}

/// The session a link's source describes, run to its end.
fn build(source: &Source) -> Result<Session, String> {
    Session::from_script(source.script().map_err(|e| e.to_string())?)
        .map(|(s, _)| s)
        .map_err(|e| format!("the script does not run: {e}"))
}

/// The app's own booted machine, for a link whose script does not run.
fn fallback_session() -> Session {
    AppState::booted().session().clone()
}

impl Reducible for EmbedState {
    type Action = EmbedAction;

    fn reduce(self: Rc<Self>, action: EmbedAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            EmbedAction::Step => next.app = self.through_app(Action::StepOp),
            EmbedAction::StepMessage => next.app = self.through_app(Action::StepMessage),
            EmbedAction::StepBack => next.app = self.through_app(Action::StepBack),
            EmbedAction::Seek(n) => next.app = seek(&self.app, n),
            EmbedAction::Reset => {
                next.app = seek(&self.app, self.start);
                next.playing = false;
            }
            EmbedAction::Play => next.playing = true,
            EmbedAction::Pause => next.playing = false,
            EmbedAction::Tick if self.playing => {
                let before = self.session().current_index();
                next.app = self.through_app(Action::StepOp);
                // Nothing left to replay and nothing to do: the run is over, stop the timer.
                if next.session().current_index() == before {
                    next.playing = false;
                }
            }
            // A tick that raced a pause.
            EmbedAction::Tick => return self,
        }
        Rc::new(next)
    }
}

fn seek(app: &Rc<AppState>, n: u64) -> Rc<AppState> {
    let target = n.min(app.session().event_count());
    // Clamped to the recorded timeline, where a seek cannot fail.
    let mut next = Rc::clone(app).reduce(Action::Seek(target)).as_ref().clone();
    next.error = (n > target).then(|| format!("the run has only {target} events"));
    Rc::new(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(name: &str, step: u64) -> Rc<EmbedState> {
        Rc::new(EmbedState::new(&ShareState {
            source: Source::Preset(name.to_owned()),
            step,
        }))
    }

    #[test]
    fn starts_at_the_linked_event_of_the_whole_run() {
        let s = preset("deflate", 40);
        assert_eq!(s.session().current_index(), 40);
        assert!(s.session().event_count() > 10_000, "the whole preset ran");
        assert!(s.app.error.is_none());
        assert_eq!(s.share().step, 40);
    }

    #[test]
    fn stepping_forward_replays_the_recorded_run() {
        let s = preset("deflate", 0);
        let count = s.session().event_count();
        let hash_at_41 = s.session().hash_at(41);
        let s = s.reduce(EmbedAction::Seek(40)).reduce(EmbedAction::Step);
        assert_eq!(s.session().current_index(), 41);
        assert_eq!(s.session().trace_hash(), hash_at_41);
        assert_eq!(s.session().event_count(), count, "the future was kept");
        let s = s
            .reduce(EmbedAction::StepBack)
            .reduce(EmbedAction::StepBack);
        assert_eq!(s.session().current_index(), 39);
        let s = s.reduce(EmbedAction::Reset);
        assert_eq!(s.session().current_index(), 0);
    }

    #[test]
    fn seeks_past_the_end_clamp_and_say_so() {
        let s = preset("malformed-needs-reset", u64::MAX);
        let count = s.session().event_count();
        assert_eq!(s.session().current_index(), count);
        assert!(s.app.error.as_deref().unwrap_or("").contains("only"));
        let s = s.reduce(EmbedAction::Seek(3));
        assert_eq!(s.session().current_index(), 3);
        assert!(s.app.error.is_none());
        let s = s.reduce(EmbedAction::Seek(count + 5));
        assert_eq!(s.session().current_index(), count);
        assert!(s.app.error.is_some());
    }

    #[test]
    fn a_broken_script_still_renders_a_machine_and_says_why() {
        let s = EmbedState::new(&ShareState {
            source: Source::Script("-m 1G -device virtio-balloon\nballon 512\n".to_owned()),
            step: 0,
        });
        let error = s.app.error.clone().unwrap_or_default();
        assert!(error.contains("does not run"), "{error}");
        assert_eq!(s.session().balloon().ram_size, 1 << 30);
    }

    #[test]
    fn play_ticks_step_and_stop_at_the_end() {
        let s = preset("malformed-needs-reset", 0);
        let s = s.reduce(EmbedAction::Tick);
        assert_eq!(
            s.session().current_index(),
            0,
            "a tick while paused does nothing"
        );
        let mut s = s.reduce(EmbedAction::Play);
        let count = s.session().event_count();
        for _ in 0..count {
            s = s.reduce(EmbedAction::Tick);
        }
        assert_eq!(s.session().current_index(), count);
        assert!(s.playing, "still playing while events were left");
        // The device needs a reset: nothing more happens, so playing stops.
        let mut ticks = 0;
        while s.playing && ticks < 100 {
            s = s.reduce(EmbedAction::Tick);
            ticks += 1;
        }
        assert!(!s.playing, "playing never stopped");
        let s = s.reduce(EmbedAction::Play).reduce(EmbedAction::Pause);
        assert!(!s.playing);
    }
}
