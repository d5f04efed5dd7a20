//! Auto-pause: play stops when the tab is hidden (the browser would throttle its frames anyway,
//! and nobody is watching).

use gloo_events::EventListener;
use yew::prelude::*;

use crate::state::{Action, AppState};

/// Pauses play whenever the document becomes hidden.
#[hook]
pub fn use_auto_pause(dispatch: UseReducerDispatcher<AppState>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            let target = doc.clone();
            EventListener::new(&target, "visibilitychange", move |_| {
                if doc.hidden() {
                    dispatch.dispatch(Action::Pause);
                }
            })
        });
        move || drop(listener)
    });
}
