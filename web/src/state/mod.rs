//! The app state: one `balloon_sim::Session` behind a reducer, so every button is an [`Action`].
//!
//! The session lives behind a [`SharedSession`] that every state shares: an action mutates it
//! in place (a new generation), so a frame of play costs the events it runs, not a copy of the
//! world and its history.

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use balloon_sim::view::PAGE_SIZE;
use balloon_sim::{Reply, ScriptLoad, Session};
use yew::Reducible;

mod action;

pub use self::action::{Action, ConsoleLine, LineKind, PageAction, push_line};
use crate::session_handle::SharedSession;
use crate::{clock, playback, share};

/// The preset whose machine the playground boots.
pub const PRESET: &str = "inflate-half";

/// Script time one slice of a preset load may take before the page paints its progress (a frame
/// passes between slices).
pub const LOAD_SLICE_MS: f64 = 50.0;
/// Events run between two looks at the clock while loading.
const LOAD_CHUNK_EVENTS: u64 = 2_000;

/// Lines the console keeps (older ones scroll away).
pub const CONSOLE_LINES: usize = 300;

/// The session plus what the operator needs to read about it.
#[derive(Debug, Clone)]
pub struct AppState {
    session: SharedSession,
    /// Why the last target or seek did nothing, shown by the target field.
    pub error: Option<String>,
    /// Why the last step did nothing, shown by the step buttons.
    pub idle: Option<String>,
    /// A message about a link, an import or a preset, shown above the page.
    pub notice: Option<String>,
    /// The console's output, oldest first.
    pub console: Rc<Vec<ConsoleLine>>,
    /// Whether play is on.
    pub playing: bool,
    /// Play speed, events per second.
    pub speed: f64,
    /// Whether the keyboard help overlay is open.
    pub help: bool,
    /// The preset being loaded, while its script runs.
    pub loading: Option<String>,
    /// The preset's run so far, while it loads a slice at a time.
    /// Shared with the previous states like the session; emptied when the load ends.
    loader: Option<Rc<RefCell<Option<ScriptLoad>>>>,
    /// (command lines run, lines in the script, events so far) of the load.
    pub load_progress: Option<(usize, usize, u64)>,
    /// Whether play ramps its speed up ([`playback::ramp_speed`]): until the operator picks a
    /// speed.
    pub ramp: bool,
    /// Real-time play: virtual time runs at this fraction of the wall clock (`None`: play by
    /// events per second).
    pub real_time: Option<f64>,
    /// The real-time play clock, virtual ns: events that start by then have run. Shared by
    /// the states of one page, so that a frame that runs no event moves it without a render.
    play_clock_ns: Rc<Cell<u64>>,
    /// An input typed while seeked back that would drop the recorded future: it waits for
    /// [`Action::ConfirmFork`] or [`Action::CancelFork`].
    pub pending_fork: Option<Action>,
    /// What a newly applied target will do, and how to watch it.
    pub guidance: Option<String>,
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        self.session == other.session
            && self.error == other.error
            && self.idle == other.idle
            && self.notice == other.notice
            && Rc::ptr_eq(&self.console, &other.console)
            && self.playing == other.playing
            && self.speed == other.speed
            && self.help == other.help
            && self.loading == other.loading
            && self.load_progress == other.load_progress
            && self.ramp == other.ramp
            && self.real_time == other.real_time
            && self.pending_fork == other.pending_fork
            && self.guidance == other.guidance
    }
}

impl AppState {
    /// A state showing `session` as it is (embeds build theirs from a link).
    pub fn with_session(session: Session) -> Self {
        Self {
            session: SharedSession::new(session),
            error: None,
            idle: None,
            notice: None,
            console: Rc::new(Vec::new()),
            playing: false,
            speed: playback::DEFAULT_SPEED,
            help: false,
            loading: None,
            loader: None,
            load_progress: None,
            ramp: true,
            real_time: None,
            play_clock_ns: Rc::new(Cell::new(0)),
            pending_fork: None,
            guidance: None,
        }
    }

    /// The preset's machine line, booted (`run`), with no balloon target yet.
    pub fn booted() -> Self {
        let machine = balloon_sim::presets::get(PRESET)
            .and_then(|p| balloon_sim::command::machine_line(p.text))
            .unwrap_or("-m 1G -device virtio-balloon -seed 1");
        let mut state = Self::with_session(boot(machine).unwrap_or_else(|_| default_session()));
        state.note("Booted a 1 GiB guest. Try: balloon 512, info balloon, guest alloc 300M, run.");
        state
    }

    /// The state a page opened at `#fragment` starts in: the linked session, or the default
    /// scene and a message saying what is wrong with the link. An empty fragment is no link.
    pub fn from_fragment(fragment: &str) -> Self {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        if fragment.is_empty() {
            return Self::booted();
        }
        match share::session_from_fragment(fragment) {
            Ok(session) => {
                let mut state = Self::with_session(session);
                state.note("Opened the shared session.");
                state
            }
            Err(msg) => {
                let mut state = Self::booted();
                state.notice = Some(format!(
                    "This link does not open a session ({msg}). Showing the default scene instead."
                ));
                state
            }
        }
    }

    /// The session as shown.
    pub fn session(&self) -> Ref<'_, Session> {
        self.session.borrow()
    }

    /// Changes to the session so far: what effects that follow the session key on.
    pub fn generation(&self) -> u64 {
        self.session.generation()
    }

    /// The share fragment of the current frame.
    pub fn fragment(&self) -> String {
        share::fragment(&self.session())
    }

    /// Guest RAM in bytes.
    pub fn ram_bytes(&self) -> u64 {
        self.session().balloon().ram_size
    }

    /// How much of guest RAM the balloon holds (config `actual`), 0.0..=1.0.
    pub fn actual_fill(&self) -> f64 {
        let b = self.session().balloon();
        fill(b.actual, b.ram_size)
    }

    /// How much of guest RAM the target asks for (config `num_pages`), 0.0..=1.0.
    pub fn target_fill(&self) -> f64 {
        let b = self.session().balloon();
        fill(b.num_pages, b.ram_size)
    }

    fn note(&mut self, text: impl Into<String>) {
        self.push_console(LineKind::Note, text.into());
    }

    fn push_console(&mut self, kind: LineKind, text: String) {
        push_line(&mut self.console, CONSOLE_LINES, kind, text);
    }

    fn push_replies(&mut self, replies: &[Reply]) {
        for r in replies {
            let line = r.to_line();
            // HMP `balloon 512` prints nothing, as in QEMU.
            if !line.is_empty() {
                for l in line.lines() {
                    self.push_console(LineKind::Reply, l.to_owned());
                }
            }
        }
    }

    fn apply_target(&mut self, bytes: u64) {
        let ram = self.ram_bytes();
        if bytes == 0 || bytes > ram {
            self.error = Some(format!(
                "the target must be between 1 byte and the guest's {} MiB",
                ram >> 20
            ));
            return;
        }
        let line = format!(r#"{{"execute": "balloon", "arguments": {{"value": {bytes}}}}}"#);
        let actual_before = self.session().balloon().actual;
        let result = self.session.borrow_mut().apply_line(&line);
        match result {
            Ok(replies) => {
                self.push_console(LineKind::Input, line);
                self.push_replies(&replies);
                let num_pages = self.session().balloon().num_pages;
                self.guidance = Some(target_guidance(actual_before, num_pages));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Whether `action` would drop the recorded future (an acting input while seeked back).
    fn would_fork(&self, action: &Action) -> bool {
        match action {
            Action::ApplyTarget(_) => self.session().is_in_the_past(),
            Action::Console(text) => {
                balloon_sim::command::machine_line(text).is_none()
                    && self.session().would_fork(text)
            }
            _ => false,
        }
    }

    /// Why `action` waits: where the cursor is and what would be dropped.
    pub fn fork_question(&self, action: &Action) -> String {
        let s = self.session();
        let what = match action {
            Action::Console(text) => format!("`{}`", text.lines().next().unwrap_or("").trim()),
            _ => "the new target".to_owned(),
        };
        fork_question(s.current_index(), s.event_count(), &what)
    }

    fn console_input(&mut self, text: &str) {
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return;
        }
        if balloon_sim::command::machine_line(text).is_some() {
            self.import(text, "the pasted script");
            return;
        }
        for l in text.lines() {
            self.push_console(LineKind::Input, l.to_owned());
        }
        let result = self.session.borrow_mut().apply_line(text);
        match result {
            Ok(replies) => self.push_replies(&replies),
            Err(e) => self.push_console(LineKind::Error, format!("error: {e}")),
        }
        let stopped = self.session.borrow_mut().take_stopped();
        if let Some(m) = stopped {
            self.push_console(LineKind::Error, format!("error: {m}"));
        }
    }

    /// Replaces the session with `text`'s, shown from event 0 so that play walks through it.
    /// A script that does not run changes nothing.
    fn import(&mut self, text: &str, what: &str) {
        match Session::from_script(text) {
            Ok((session, _)) => self.show_loaded(session, what),
            Err(e) => self.not_loaded(what, &e),
        }
    }

    fn show_loaded(&mut self, mut session: Session, what: &str) {
        let events = session.event_count();
        // A line that never reached its end (a guest that never goes quiet) is said, as the
        // console says it of a typed `run`.
        let stopped = session.take_stopped();
        let _ = session.seek(0);
        *self.session.borrow_mut() = session;
        self.playing = false;
        self.note(format!(
            "Loaded {what}: {events} events. Press Play or step through it."
        ));
        if let Some(m) = stopped {
            self.push_console(LineKind::Error, format!("error: {m}"));
            self.notice = Some(format!("{what}: {m}"));
        }
    }

    fn not_loaded(&mut self, what: &str, e: &dyn std::fmt::Display) {
        let msg = format!("{what} was not loaded, the current session is kept: {e}");
        self.push_console(LineKind::Error, msg.clone());
        self.notice = Some(msg);
    }

    /// One slice of the announced preset's load: runs events for [`LOAD_SLICE_MS`], then
    /// either shows the finished session or records the progress for the next slice.
    fn load_slice(&mut self) {
        let Some(p) = self.loading.as_deref().and_then(balloon_sim::presets::get) else {
            self.loading = None;
            return;
        };
        let what = format!("preset {} ({})", p.name, p.title());
        let loader = match self.loader.clone() {
            Some(l) => l,
            None => match ScriptLoad::new(p.text) {
                Ok(l) => Rc::new(RefCell::new(Some(l))),
                Err(e) => {
                    self.loading = None;
                    self.load_progress = None;
                    return self.not_loaded(&what, &e);
                }
            },
        };
        let deadline = clock::now_ms() + LOAD_SLICE_MS;
        let mut slot = loader.borrow_mut();
        let Some(load) = slot.as_mut() else {
            // Already finished by an earlier slice.
            self.loading = None;
            self.loader = None;
            return;
        };
        let done = loop {
            let done = load.advance(LOAD_CHUNK_EVENTS);
            if done || clock::now_ms() >= deadline {
                break done;
            }
        };
        self.load_progress = Some(load.progress());
        if !done {
            drop(slot);
            self.loader = Some(loader);
            return;
        }
        let finished = slot.take();
        drop(slot);
        self.loader = None;
        self.loading = None;
        self.load_progress = None;
        if let Some(load) = finished {
            self.show_loaded(load.into_session(), &what);
        }
    }

    fn reset(&mut self) {
        let machine = self.session().machine().to_line();
        match boot(&machine) {
            Ok(session) => {
                *self.session.borrow_mut() = session;
                self.note("Reset: a freshly booted machine of the same configuration.");
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn open_link(&mut self, fragment: &str) {
        match share::session_from_fragment(fragment) {
            Ok(mut session) => {
                let stopped = session.take_stopped();
                *self.session.borrow_mut() = session;
                self.note("Opened the shared session.");
                if let Some(m) = stopped {
                    self.push_console(LineKind::Error, format!("error: {m}"));
                    self.notice = Some(format!("The shared session: {m}"));
                }
            }
            Err(msg) => {
                self.notice = Some(format!(
                    "This link does not open a session ({msg}). The current session is kept."
                ))
            }
        }
    }
}

/// The question an input typed at event `at` of `len` asks before it drops the recorded
/// future (`what`: the input, as the operator will recognise it).
pub fn fork_question(at: u64, len: u64, what: &str) -> String {
    format!(
        "You are at event {at} of {len}. Running {what} here replaces the {} later events \
         with a new future.",
        len.saturating_sub(at)
    )
}

/// What applying a target starts: which way the balloon moves, by how much, and the ways to
/// watch it.
pub fn target_guidance(actual: u32, num_pages: u32) -> String {
    let watch = "Watch it: Step message (one round trip, shift+→), Play (slow first, then \
                 faster), or Run to end.";
    match num_pages.cmp(&actual) {
        std::cmp::Ordering::Greater => format!(
            "Target set. The device raised num_pages to {num_pages}; the guest driver will \
             inflate the balloon from {actual} to {num_pages} pages, sending their PFNs on ivq \
             in messages of up to 256. {watch}"
        ),
        std::cmp::Ordering::Less => format!(
            "Target set. The device lowered num_pages to {num_pages}; the guest driver will \
             deflate the balloon from {actual} to {num_pages} pages, returning their PFNs on \
             dvq in messages of up to 256. {watch}"
        ),
        std::cmp::Ordering::Equal => {
            format!("Target set. The balloon already holds {actual} pages: nothing will move.")
        }
    }
}

fn fill(pages: u32, ram_size: u64) -> f64 {
    let ram_pages = ram_size / PAGE_SIZE;
    if ram_pages == 0 {
        0.0
    } else {
        f64::from(pages) / ram_pages as f64
    }
}

fn boot(machine: &str) -> Result<Session, String> {
    Session::from_script(&format!("{machine}\nrun\n"))
        .map(|(s, _)| s)
        .map_err(|e| e.to_string())
}

/// The default machine, powered off; only reached if the built-in machine line stopped parsing,
/// which `boots_a_1g_guest_with_an_empty_balloon` would catch first.
fn default_session() -> Session {
    Session::new(balloon_sim::command::MachineConfig::default())
        .unwrap_or_else(|e| panic!("the default machine does not build: {e}"))
}

/// Why a step did nothing.
const NOTHING_TO_DO: &str =
    "Nothing to do: no work is pending and no timer is armed. Set a target or type a command.";
/// Why play stopped (or did not start).
const NOTHING_LEFT: &str = "Nothing left to play: the run reached its end, no work is pending \
                            and no timer is armed. Set a target or type a command.";

impl AppState {
    /// Starts play, unless there is nothing to play: at the end of the timeline with no work
    /// and no timer, play would stop at once without a word.
    fn play(&mut self) {
        let stuck = {
            let s = self.session();
            !s.is_in_the_past() && s.is_quiet() && s.next_timer_ns().is_none()
        };
        if stuck {
            self.playing = false;
            self.idle = Some(NOTHING_LEFT.to_owned());
        } else {
            self.playing = true;
            // Real-time play starts its clock at the state shown.
            self.play_clock_ns.set(self.session().now_ns());
        }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if self.pending_fork.is_none() && self.would_fork(&action) {
            let mut next = (*self).clone();
            next.notice = None;
            next.playing = false;
            next.pending_fork = Some(action);
            return Rc::new(next);
        }
        let mut next = (*self).clone();
        next.error = None;
        next.idle = None;
        if !matches!(
            action,
            Action::Advance { .. }
                | Action::AdvanceTime { .. }
                | Action::SetSpeed(_)
                | Action::SetRealTime(_)
                | Action::Play
                | Action::TogglePlay
        ) {
            next.guidance = None;
        }
        let before = {
            let s = self.session();
            (s.current_index(), s.event_count())
        };
        let stepping = matches!(
            action,
            Action::StepOp | Action::StepMessage | Action::RunToQuiet
        );
        match action {
            Action::StepOp | Action::StepMessage | Action::StepBack | Action::StepBackMessage => {
                next.playing = false;
                let mut s = next.session.borrow_mut();
                match action {
                    Action::StepOp => playback::step_op(&mut s),
                    Action::StepMessage => playback::step_message(&mut s),
                    Action::StepBack => s.step_back(),
                    _ => s.step_back_message(),
                }
            }
            Action::RunToQuiet => {
                next.playing = false;
                playback::run_to_quiet(&mut next.session.borrow_mut());
                // A guest that never goes quiet: the run stopped at its budget of events.
                let stopped = next.session.borrow_mut().take_stopped();
                if stopped.is_some() {
                    next.notice = stopped;
                }
            }
            Action::Reset => {
                next.playing = false;
                next.reset();
            }
            Action::ApplyTarget(bytes) => next.apply_target(bytes),
            Action::Seek(index) => {
                let result = next.session.borrow_mut().seek(index);
                if let Err(e) = result {
                    next.error = Some(e.to_string());
                }
            }
            Action::Play => next.play(),
            Action::Pause => next.playing = false,
            Action::TogglePlay if next.playing => next.playing = false,
            Action::TogglePlay => next.play(),
            Action::SetSpeed(speed) => {
                next.speed = playback::clamp_speed(speed);
                next.ramp = false;
            }
            Action::SetRealTime(ratio) => {
                next.real_time = ratio.filter(|r| r.is_finite() && *r > 0.0);
                next.play_clock_ns.set(next.session().now_ns());
            }
            Action::AdvanceTime { ns, deadline_ms } => {
                if !next.playing {
                    return self;
                }
                let until = next.play_clock_ns.get().saturating_add(ns);
                next.play_clock_ns.set(until);
                let ran = playback::advance_until(&mut *next.session.borrow_mut(), until, || {
                    clock::now_ms() < deadline_ms
                });
                match ran {
                    None => {
                        next.playing = false;
                        next.idle = Some(NOTHING_LEFT.to_owned());
                    }
                    // Waiting for the next event's time: nothing visible changed.
                    Some(0) => return self,
                    Some(_) => {}
                }
            }
            Action::Advance {
                events,
                deadline_ms,
            } => {
                if !next.playing {
                    return self;
                }
                let ran = playback::advance(&mut next.session.borrow_mut(), events, || {
                    clock::now_ms() < deadline_ms
                });
                if ran == 0 && events > 0 {
                    // Nothing left to do and no timer armed: play stops by itself.
                    next.playing = false;
                    next.idle = Some(NOTHING_LEFT.to_owned());
                }
            }
            Action::Console(text) => next.console_input(&text),
            Action::LoadPreset(name) => match balloon_sim::presets::get(&name) {
                Some(p) => {
                    next.playing = false;
                    next.loading = Some(p.name.to_owned());
                    next.loader = None;
                    next.load_progress = None;
                }
                None => next.notice = Some(format!("there is no preset called `{name}`")),
            },
            Action::FinishLoad => next.load_slice(),
            Action::Import(text) => next.import(&text, "the imported script"),
            Action::OpenLink(fragment) => next.open_link(&fragment),
            Action::Notify(msg) => next.notice = Some(msg),
            Action::DismissNotice => next.notice = None,
            Action::SetHelp(on) => next.help = on,
            Action::ToggleHelp => next.help = !next.help,
            Action::ConfirmFork => match next.pending_fork.take() {
                Some(Action::Console(text)) => next.console_input(&text),
                Some(Action::ApplyTarget(bytes)) => next.apply_target(bytes),
                _ => {}
            },
            Action::CancelFork => next.pending_fork = None,
        }
        let after = {
            let s = next.session();
            (s.current_index(), s.event_count())
        };
        if stepping && after == before {
            next.idle = Some(NOTHING_TO_DO.to_owned());
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
