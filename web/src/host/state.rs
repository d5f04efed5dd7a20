//! The host page's state: one [`HostSession`] behind a reducer, and the selected VM.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use balloon_sim::StepSize;
use balloon_sim::host::presets::{HOST_PRESETS, get};
use balloon_sim::host::{HostSession, presets};
use yew::Reducible;

/// The host preset the page opens without a name (or with an unknown one).
pub const DEFAULT_HOST_PRESET: &str = "host-give-by-hand";

/// What the host page can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum HostAction {
    /// Step the host: an op, a message, or virtual time.
    Step(StepSize),
    /// One event back.
    Back,
    /// Shows the state after this many events.
    Seek(u64),
    /// Selects a VM's card.
    Select(usize),
}

/// The session, its generation (a change is a new one) and what the page shows of it.
#[derive(Debug, Clone)]
pub struct HostState {
    session: Rc<RefCell<HostSession>>,
    generation: u64,
    /// The preset loaded.
    pub preset: &'static str,
    /// The VM whose card is selected.
    pub selected: usize,
    /// Why the last action did nothing, or what is wrong with the link.
    pub notice: Option<String>,
}

impl PartialEq for HostState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
            && self.generation == other.generation
            && self.preset == other.preset
            && self.selected == other.selected
            && self.notice == other.notice
    }
}

impl HostState {
    /// The preset `name` run to its end, shown at event `step` (the end when `None`); an
    /// unknown name opens the default one and says so, a step past the end shows the end.
    pub fn open_at(name: &str, step: Option<u64>) -> Result<Self, String> {
        let mut s = Self::open(name)?;
        if let Some(k) = step {
            let end = s.session().event_count();
            if let Err(e) = s.session.borrow_mut().seek(k.min(end)) {
                s.notice = Some(e.to_string());
            }
            if k > end {
                s.notice = Some(format!(
                    "step {k} is past the end ({end} events): showing the end"
                ));
            }
        }
        Ok(s)
    }

    /// The preset `name` run to its end; an unknown name opens the default one and says so.
    pub fn open(name: &str) -> Result<Self, String> {
        let (preset, notice) = match get(name) {
            Some(p) => (p, None),
            None => (
                get(DEFAULT_HOST_PRESET).ok_or("no host presets")?,
                Some(format!(
                    "No host preset is called \"{name}\"; showing {DEFAULT_HOST_PRESET}. Host presets: {}.",
                    HOST_PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
        };
        let (session, _) = HostSession::from_script(preset.text).map_err(|e| e.to_string())?;
        Ok(Self {
            session: Rc::new(RefCell::new(session)),
            generation: 0,
            preset: preset.name,
            selected: 0,
            notice,
        })
    }

    /// The session as shown.
    pub fn session(&self) -> Ref<'_, HostSession> {
        self.session.borrow()
    }

    /// The preset's title.
    pub fn title(&self) -> &'static str {
        presets::get(self.preset).map_or("", |p| p.title())
    }
}

impl Reducible for HostState {
    type Action = HostAction;
    fn reduce(self: Rc<Self>, action: HostAction) -> Rc<Self> {
        let mut next = (*self).clone();
        next.notice = None;
        {
            let mut s = next.session.borrow_mut();
            match action {
                HostAction::Step(size) => {
                    let before = s.current_index();
                    s.step(size);
                    if s.current_index() == before {
                        next.notice =
                            Some("Nothing to do: every VM is idle and no timer is due.".into());
                    }
                }
                HostAction::Back => s.step_back(),
                HostAction::Seek(k) => {
                    if let Err(e) = s.seek(k) {
                        next.notice = Some(e.to_string());
                    }
                }
                HostAction::Select(i) => {
                    if i < s.names().len() {
                        next.selected = i;
                    }
                }
            }
        }
        next.generation = next.generation.wrapping_add(1);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(s: HostState, a: HostAction) -> HostState {
        (*Rc::new(s).reduce(a)).clone()
    }

    #[test]
    fn a_step_opens_there_and_a_step_past_the_end_shows_the_end_and_says_so() {
        let s = HostState::open_at("host-mom-policy", Some(10)).unwrap();
        assert_eq!(s.session().current_index(), 10);
        assert_eq!(s.notice, None);
        let s = HostState::open_at("host-mom-policy", Some(u64::MAX)).unwrap();
        assert_eq!(s.session().current_index(), s.session().event_count());
        assert!(s.notice.is_some());
    }

    #[test]
    fn an_unknown_preset_opens_the_default_and_says_so() {
        let s = HostState::open("no-such").unwrap();
        assert_eq!(s.preset, DEFAULT_HOST_PRESET);
        assert!(s.notice.as_deref().unwrap().contains("no-such"));
    }

    #[test]
    fn seek_back_step_and_select_move_the_shown_host_and_bad_input_is_refused() {
        let s = HostState::open("host-give-by-hand").unwrap();
        let end = s.session().event_count();
        let s = reduce(s, HostAction::Seek(0));
        assert_eq!(s.session().current_index(), 0);
        let s = reduce(s, HostAction::Step(StepSize::Op));
        assert_eq!(s.session().current_index(), 1);
        assert_eq!(
            s.session().event_count(),
            end,
            "stepping in the past replays it"
        );
        let s = reduce(s, HostAction::Back);
        assert_eq!(s.session().current_index(), 0);
        let s = reduce(s, HostAction::Seek(end + 5));
        assert!(s.notice.is_some(), "past the end is said");
        assert_eq!(s.session().current_index(), 0, "and changes nothing");
        let s = reduce(s, HostAction::Select(1));
        assert_eq!(s.selected, 1);
        let s = reduce(s, HostAction::Select(9));
        assert_eq!(s.selected, 1, "no such VM: selection kept");
    }
}
