//! Work the first view does not show waits until the page has painted once: the panels below
//! the fold render a frame after the first render, so the first paint of the app comes sooner.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_render::{AnimationFrame, request_animation_frame};
use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// False during the component's first render and until the browser has painted it; true from
/// the render after. The flag flips in a task queued from the next animation frame's callback
/// (which runs before that frame's paint), so the paint of the first render comes first.
#[hook]
pub fn use_painted_once() -> bool {
    let painted = use_state(|| false);
    {
        let painted = painted.clone();
        use_effect_with((), move |_| {
            // Both handles live as long as the component: dropping either cancels it.
            let timer: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let queued = Rc::clone(&timer);
            let frame: AnimationFrame = request_animation_frame(move |_| {
                *queued.borrow_mut() = Some(Timeout::new(0, move || painted.set(true)));
            });
            move || {
                drop(frame);
                timer.borrow_mut().take();
            }
        });
    }
    *painted
}
