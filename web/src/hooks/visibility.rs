//! Auto-pause: play stops when the tab is hidden (the browser would throttle its frames anyway,
//! and nobody is watching).

use gloo_events::EventListener;
use yew::prelude::*;

use crate::state::{Action, PageAction};

/// Pauses play whenever the document becomes hidden.
#[hook]
pub fn use_auto_pause<R>(dispatch: UseReducerDispatcher<R>)
where
    R: Reducible + 'static,
    R::Action: PageAction,
{
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            let target = doc.clone();
            EventListener::new(&target, "visibilitychange", move |_| {
                if doc.hidden()
                    && let Some(pause) = R::Action::from_page(Action::Pause)
                {
                    dispatch.dispatch(pause);
                }
            })
        });
        move || drop(listener)
    });
}
