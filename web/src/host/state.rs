//! The host page's state: one [`HostSession`] behind a reducer, the selected VM, the console,
//! play, and the share link. The page's shared components (controls, console, fork question)
//! speak [`Action`]; [`HostAction::from_page`] says what each means for a host.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use balloon_sim::StepSize;
use balloon_sim::host::presets::{HOST_PRESETS, get};
use balloon_sim::host::{HostSession, VmReply, presets};
use yew::Reducible;

use crate::clock;
use crate::hooks::PlayFrame;
use crate::playback::{self, Playable};
use crate::state::{
    Action, CONSOLE_LINES, ConsoleLine, LineKind, PageAction, fork_question, push_line,
};

/// The host preset the page opens without a name (or with an unknown one).
pub const DEFAULT_HOST_PRESET: &str = "host-give-by-hand";

/// Why play stopped (or did not start).
const NOTHING_LEFT: &str = "Nothing left to play: every VM is idle, no timer is due and no \
                            policy runs. Type a command in the console.";

/// What the host page can be asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum HostAction {
    /// Step the host: an op, a message, or virtual time.
    Step(StepSize),
    /// One event back.
    Back,
    /// Back to the end of the previous message round trip.
    BackMessage,
    /// Shows the state after this many events.
    Seek(u64),
    /// Selects a VM's card.
    Select(usize),
    /// A console line: `@db balloon 2048`, `host policy mom 1s`, `run 2s`.
    Console(String),
    /// Starts or stops play.
    SetPlaying(bool),
    /// Play or pause.
    TogglePlay,
    /// Play speed in events per second.
    SetSpeed(f64),
    /// Play in virtual time at this fraction of real time, or by events per second.
    SetRealTime(Option<f64>),
    /// One animation frame of play.
    Frame(PlayFrame),
    /// Runs the console line that waited for the fork question.
    ConfirmFork,
    /// Drops it, keeping the future.
    CancelFork,
    /// A share link pasted into the address bar of the open page.
    OpenLink(String),
    /// Hides the notice bar.
    DismissNotice,
    /// The same host and VMs started afresh: the script's header, no command yet.
    Reset,
}

impl From<PlayFrame> for HostAction {
    fn from(f: PlayFrame) -> Self {
        HostAction::Frame(f)
    }
}

impl PageAction for HostAction {
    /// What a shared component's action means on the host page (`None`: nothing here).
    fn from_page(a: Action) -> Option<Self> {
        Some(match a {
            Action::StepOp => HostAction::Step(StepSize::Op),
            Action::StepMessage => HostAction::Step(StepSize::Message),
            Action::RunToQuiet => HostAction::Step(StepSize::UntilQuiet),
            Action::StepBack => HostAction::Back,
            Action::StepBackMessage => HostAction::BackMessage,
            Action::Seek(k) => HostAction::Seek(k),
            Action::Play => HostAction::SetPlaying(true),
            Action::Pause => HostAction::SetPlaying(false),
            Action::TogglePlay => HostAction::TogglePlay,
            Action::SetSpeed(s) => HostAction::SetSpeed(s),
            Action::SetRealTime(r) => HostAction::SetRealTime(r),
            Action::Console(text) => HostAction::Console(text),
            Action::ConfirmFork => HostAction::ConfirmFork,
            Action::CancelFork => HostAction::CancelFork,
            Action::DismissNotice => HostAction::DismissNotice,
            Action::Reset => HostAction::Reset,
            _ => return None,
        })
    }
}

/// The session, its generation (a change is a new one) and what the page shows of it.
#[derive(Debug, Clone)]
pub struct HostState {
    session: Rc<RefCell<HostSession>>,
    generation: u64,
    /// The preset loaded (empty when a link opened the scene).
    pub preset: &'static str,
    /// The VM whose card is selected.
    pub selected: usize,
    /// Why the last action did nothing, or what is wrong with the link.
    pub notice: Option<String>,
    /// The console's output, oldest first.
    pub console: Rc<Vec<ConsoleLine>>,
    /// Whether play is on.
    pub playing: bool,
    /// Play speed, events per second.
    pub speed: f64,
    /// Whether play ramps its speed up (until the operator picks one).
    pub ramp: bool,
    /// Real-time play: virtual time at this fraction of the wall clock.
    pub real_time: Option<f64>,
    /// The real-time play clock, virtual ns (shared like the session).
    play_clock_ns: Rc<Cell<u64>>,
    /// A console line typed while seeked back that would drop the recorded future.
    pub pending_fork: Option<String>,
}

impl PartialEq for HostState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
            && self.generation == other.generation
            && self.preset == other.preset
            && self.selected == other.selected
            && self.notice == other.notice
            && Rc::ptr_eq(&self.console, &other.console)
            && self.playing == other.playing
            && self.speed == other.speed
            && self.ramp == other.ramp
            && self.real_time == other.real_time
            && self.pending_fork == other.pending_fork
    }
}

impl HostState {
    fn with_session(session: HostSession, preset: &'static str) -> Self {
        let example = session.names().first().cloned().unwrap_or_default();
        let mut s = Self {
            session: Rc::new(RefCell::new(session)),
            generation: 0,
            preset,
            selected: 0,
            notice: None,
            console: Rc::new(Vec::new()),
            playing: false,
            speed: playback::DEFAULT_SPEED,
            ramp: true,
            real_time: None,
            play_clock_ns: Rc::new(Cell::new(0)),
            pending_fork: None,
        };
        s.note(format!(
            "A VM's line starts with its name: @{example} info balloon, @{example} balloon 512, \
             @{example} guest alloc 256M. Host lines: host policy mom 10s, run 2s, step message."
        ));
        s
    }

    /// The page as a URL opens it: the host link in `fragment` when there is one, else the
    /// preset `name` at event `step` (one VM's link, left over from the page `?host=` was
    /// chosen on, is not this page's). A damaged link says why over the preset, and stays in
    /// the address bar.
    pub fn from_location(name: &str, step: Option<u64>, fragment: &str) -> Result<Self, String> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        if !super::share::is_share_fragment(fragment)
            || super::share::link_kind(fragment) == Some(false)
        {
            return Self::open_at(name, step);
        }
        match super::share::open(fragment) {
            Ok(session) => {
                let mut s = Self::with_session(session, "");
                s.note("Opened the shared host scene.".to_owned());
                Ok(s)
            }
            Err(msg) => {
                let mut s = Self::open_at(name, step)?;
                s.notice = Some(format!(
                    "This link does not open a host scene ({msg}). Showing {} instead.",
                    s.preset
                ));
                Ok(s)
            }
        }
    }

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
        let mut s = Self::with_session(session, preset.name);
        s.notice = notice;
        Ok(s)
    }

    /// The session as shown.
    pub fn session(&self) -> Ref<'_, HostSession> {
        self.session.borrow()
    }

    /// Changes to the session so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The preset's title, or what a link opened.
    pub fn title(&self) -> &'static str {
        presets::get(self.preset).map_or("A shared host scene", |p| p.title())
    }

    /// The share fragment of the frame shown.
    pub fn fragment(&self) -> String {
        super::share::fragment(&self.session())
    }

    /// Why the pending console line waits.
    pub fn fork_question(&self) -> Option<String> {
        let text = self.pending_fork.as_deref()?;
        let s = self.session();
        Some(fork_question(
            s.current_index(),
            s.event_count(),
            &format!("`{}`", text.trim()),
        ))
    }

    fn note(&mut self, text: String) {
        self.push_console(LineKind::Note, text);
    }

    fn push_console(&mut self, kind: LineKind, text: String) {
        push_line(&mut self.console, CONSOLE_LINES, kind, text);
    }

    /// Each reply under its VM's name, in QEMU's words.
    fn push_replies(&mut self, replies: &[VmReply]) {
        for (vm, r) in replies {
            for l in r.to_line().lines() {
                self.push_console(LineKind::Reply, format!("[{vm}] {l}"));
            }
        }
    }

    fn console_input(&mut self, text: &str) {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            self.push_console(LineKind::Input, line.to_owned());
            let result = self.session.borrow_mut().apply_line(line);
            let stopped = self.session.borrow_mut().take_stopped();
            match result {
                Ok(replies) => {
                    self.push_replies(&replies);
                    if let Some(m) = stopped {
                        self.push_console(LineKind::Error, format!("error: {m}"));
                    }
                }
                Err(e) => {
                    // The rest of a pasted block is not run after a line that failed.
                    self.push_console(LineKind::Error, format!("error: {e}"));
                    return;
                }
            }
        }
    }

    fn play(&mut self) {
        let stuck = {
            let s = self.session();
            !s.is_in_the_past() && s.next_event_ns().is_none()
        };
        if stuck {
            self.playing = false;
            self.notice = Some(NOTHING_LEFT.to_owned());
        } else {
            self.playing = true;
            self.play_clock_ns.set(self.session().now_ns());
        }
    }

    fn frame(&mut self, f: PlayFrame) -> bool {
        if !self.playing {
            return false;
        }
        let mut s = self.session.borrow_mut();
        let ran = match f {
            PlayFrame::Events {
                events,
                deadline_ms,
            } => {
                let ran = s.advance(events, &mut || clock::now_ms() < deadline_ms);
                (ran > 0 || events == 0).then_some(ran)
            }
            PlayFrame::Time { ns, deadline_ms } => {
                let until = self.play_clock_ns.get().saturating_add(ns);
                self.play_clock_ns.set(until);
                playback::advance_until(&mut *s, until, || clock::now_ms() < deadline_ms)
            }
        };
        drop(s);
        match ran {
            None => {
                self.playing = false;
                self.notice = Some(NOTHING_LEFT.to_owned());
                true
            }
            Some(n) => n > 0,
        }
    }

    fn open_link(&mut self, fragment: &str) {
        match super::share::open(fragment) {
            Ok(mut session) => {
                // A shared script whose line never reached its end says so, as a typed `run`.
                let stopped = session.take_stopped();
                *self.session.borrow_mut() = session;
                self.preset = "";
                self.selected = 0;
                self.playing = false;
                self.note("Opened the shared host scene.".to_owned());
                if let Some(m) = stopped {
                    self.notice = Some(format!("The shared host scene: {m}"));
                }
            }
            Err(msg) => {
                self.notice = Some(format!(
                    "This link does not open a host scene ({msg}). The current scene is kept."
                ));
            }
        }
    }
}

impl Playable for HostSession {
    fn next_event_ns(&self) -> Option<u64> {
        HostSession::next_event_ns(self)
    }
    /// In the past this replays the recording; at the end it runs the host one event at a
    /// time, as the Step button does.
    fn advance(&mut self, max: u64, more_time: &mut dyn FnMut() -> bool) -> u64 {
        let mut done = 0;
        while done < max {
            let before = self.current_index();
            self.step(StepSize::Op);
            if self.current_index() == before {
                break;
            }
            done += 1;
            if done.is_multiple_of(playback::CHUNK) && !more_time() {
                break;
            }
        }
        done
    }
}

impl Reducible for HostState {
    type Action = HostAction;
    fn reduce(self: Rc<Self>, action: HostAction) -> Rc<Self> {
        if let HostAction::Frame(f) = action {
            let mut next = (*self).clone();
            if !next.frame(f) {
                // Waiting for the next event's time, or not playing: nothing visible changed.
                return self;
            }
            next.generation = next.generation.wrapping_add(1);
            return Rc::new(next);
        }
        let mut next = (*self).clone();
        next.notice = None;
        match action {
            HostAction::Console(text) if text.lines().any(|l| self.session().would_fork(l)) => {
                next.playing = false;
                next.pending_fork = Some(text);
            }
            HostAction::Console(text) => next.console_input(&text),
            HostAction::ConfirmFork => {
                if let Some(text) = next.pending_fork.take() {
                    next.console_input(&text);
                }
            }
            HostAction::CancelFork => next.pending_fork = None,
            HostAction::Step(size) => {
                next.playing = false;
                let before = next.session().current_index();
                next.session.borrow_mut().step(size);
                let stopped = next.session.borrow_mut().take_stopped();
                if next.session().current_index() == before {
                    next.notice =
                        Some("Nothing to do: every VM is idle and no timer is due.".into());
                } else if stopped.is_some() {
                    // A guest that never goes quiet: the run stopped at its budget of events.
                    next.notice = stopped;
                }
            }
            HostAction::Back => {
                next.playing = false;
                next.session.borrow_mut().step_back();
            }
            HostAction::BackMessage => {
                next.playing = false;
                next.session.borrow_mut().step_back_message();
            }
            HostAction::Seek(k) => {
                let result = next.session.borrow_mut().seek(k);
                if let Err(e) = result {
                    next.notice = Some(e.to_string());
                }
            }
            HostAction::Select(i) => {
                if i < next.session().names().len() {
                    next.selected = i;
                }
            }
            HostAction::SetPlaying(true) => next.play(),
            HostAction::SetPlaying(false) => next.playing = false,
            HostAction::TogglePlay if next.playing => next.playing = false,
            HostAction::TogglePlay => next.play(),
            HostAction::SetSpeed(speed) => {
                next.speed = playback::clamp_speed(speed);
                next.ramp = false;
            }
            HostAction::SetRealTime(ratio) => {
                next.real_time = ratio.filter(|r| r.is_finite() && *r > 0.0);
                next.play_clock_ns.set(next.session().now_ns());
            }
            HostAction::OpenLink(fragment) => next.open_link(&fragment),
            HostAction::Reset => {
                next.playing = false;
                let header = next.session().header_script().to_owned();
                match HostSession::from_script(&header) {
                    Ok((session, _)) => {
                        *next.session.borrow_mut() = session;
                        next.note(
                            "Reset: the same host and VMs, started afresh with no command yet."
                                .to_owned(),
                        );
                    }
                    Err(e) => next.notice = Some(e.to_string()),
                }
            }
            HostAction::DismissNotice | HostAction::Frame(_) => {}
        }
        next.generation = next.generation.wrapping_add(1);
        Rc::new(next)
    }
}

impl crate::hooks::Plays for HostState {
    fn play_settings(&self) -> crate::hooks::PlaySettings {
        crate::hooks::PlaySettings {
            playing: self.playing,
            speed: self.speed,
            ramp: self.ramp,
            real_time: self.real_time,
        }
    }
}

impl crate::hooks::ShareScene for HostState {
    fn fragment(&self) -> String {
        HostState::fragment(self)
    }
    fn share_key(&self) -> (u64, bool) {
        (self.generation, self.playing)
    }
    fn refused_link(&self) -> bool {
        self.notice.is_some()
    }
    fn accepts(fragment: &str) -> bool {
        super::share::is_host_fragment(fragment)
    }
    fn open_link(fragment: String) -> HostAction {
        HostAction::OpenLink(fragment)
    }
}

#[cfg(test)]
mod tests;
