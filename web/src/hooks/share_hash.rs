//! The share link in the address bar: rewritten (replaceState, no history entries) whenever the
//! frame changes, at most twice a second while playing; a link pasted into the address bar of an
//! open page (`hashchange`) opens that session.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::browser;
use crate::state::{Action, AppState};

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
    fn write(&self, state: &AppState) {
        let fragment = state.fragment();
        if *self.last.borrow() != fragment {
            browser::replace_hash(&fragment);
            *self.last.borrow_mut() = fragment;
        }
    }
}

/// Keeps the URL fragment in step with `state`.
#[hook]
pub fn use_share_hash(state: &AppState, dispatch: UseReducerDispatcher<AppState>) {
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
                    if hash != *writer.last.borrow() {
                        dispatch.dispatch(Action::OpenLink(hash));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let key = (state.generation(), state.playing);
    let state = state.clone();
    use_effect_with(key, move |(_, playing)| {
        // A link that did not open stays in the address bar until the operator acts, so that
        // it can still be copied and looked at.
        if writer.first.replace(false) && state.notice.is_some() {
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
