//! The share link in the address bar: rewritten (replaceState, no history entries) whenever the
//! frame changes, at most twice a second while playing; a link pasted into the address bar of an
//! open page (`hashchange`) opens that session. One hook for both scenes ([`ShareScene`]): one
//! VM's page and the host page; a link of the other kind loads the page anew (without its
//! query), and the router opens the page that link belongs to.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::browser;
use crate::state::{Action, AppState};

/// A page state whose scene a share link reopens.
pub trait ShareScene: Reducible + Clone + 'static {
    /// The fragment (without `#`) that reopens the frame shown.
    fn fragment(&self) -> String;
    /// What the link follows: the scene's generation, and whether play is on.
    fn share_key(&self) -> (u64, bool);
    /// Whether the page opened on a link it refused (that link stays in the address bar).
    fn refused_link(&self) -> bool;
    /// Whether a link pasted into this page's address bar is this page's kind.
    fn accepts(fragment: &str) -> bool;
    /// The action that opens a pasted link.
    fn open_link(fragment: String) -> Self::Action;
}

impl super::Plays for AppState {
    fn play_settings(&self) -> super::PlaySettings {
        super::PlaySettings {
            playing: self.playing,
            speed: self.speed,
            ramp: self.ramp,
            real_time: self.real_time,
        }
    }
}

impl ShareScene for AppState {
    fn fragment(&self) -> String {
        AppState::fragment(self)
    }
    fn share_key(&self) -> (u64, bool) {
        (self.generation(), self.playing)
    }
    fn refused_link(&self) -> bool {
        self.notice.is_some()
    }
    fn accepts(fragment: &str) -> bool {
        !crate::host::share::is_host_fragment(fragment)
    }
    fn open_link(fragment: String) -> Action {
        Action::OpenLink(fragment)
    }
}

/// How long play waits before writing the link again.
const PLAY_DEBOUNCE_MS: u32 = 500;

#[derive(Default)]
struct Writer {
    /// The fragment last written (a `hashchange` to it is our own, not a new link).
    last: RefCell<String>,
    timer: RefCell<Option<Timeout>>,
    timer_pending: Cell<bool>,
    first: Cell<bool>,
}

impl Writer {
    fn write<S: ShareScene>(&self, state: &S) {
        let fragment = state.fragment();
        if *self.last.borrow() != fragment {
            browser::replace_hash(&fragment);
            *self.last.borrow_mut() = fragment;
        }
    }
}

/// Keeps the URL fragment in step with `state`.
#[hook]
pub fn use_share_hash<S: ShareScene>(
    state: &UseReducerHandle<S>,
    dispatch: UseReducerDispatcher<S>,
) {
    let writer: Rc<Writer> = use_memo((), |_| Writer {
        first: Cell::new(true),
        ..Writer::default()
    });
    {
        let writer = Rc::clone(&writer);
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "hashchange", move |_| {
                    let hash = browser::location_hash();
                    if hash == *writer.last.borrow() {
                        return;
                    }
                    if S::accepts(&hash) {
                        dispatch.dispatch(S::open_link(hash));
                    } else if let Some(w) = web_sys::window() {
                        let path = w.location().pathname().unwrap_or_default();
                        let _ = w.location().set_href(&format!("{path}#{hash}"));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let key = state.share_key();
    let state = (**state).clone();
    use_effect_with(key, move |(_, playing)| {
        // A link that did not open stays in the address bar until the operator acts, so that
        // it can still be copied and looked at.
        if writer.first.replace(false) && state.refused_link() {
            return;
        }
        if !*playing {
            writer.timer_pending.set(false);
            writer.timer.borrow_mut().take();
            writer.write(&state);
        } else if !writer.timer_pending.replace(true) {
            let w = Rc::clone(&writer);
            // The session is shared by every state, so the timer writes the frame it fires at.
            let timer = Timeout::new(PLAY_DEBOUNCE_MS, move || {
                w.timer_pending.set(false);
                w.write(&state);
            });
            *writer.timer.borrow_mut() = Some(timer);
        }
    });
}
