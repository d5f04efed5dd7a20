//! The frame times the play loop records (`window.__balloonFrameMs`) cover each frame's whole
//! work, in a real browser, and play goes on: a page whose every render takes longer than yew's
//! 16 ms slice, so that its scheduler (`run_scheduler` in yew 0.23's `scheduler.rs`) hands the
//! effects to a `setTimeout`, and the play loop waits for them (`FrameClock`). Headless
//! Chromium ran that timeout before the next animation frame in every try, so this page does
//! not show the old timer's flaw (an animation frame in between restarted it); the unit tests
//! of `hooks/frame_clock.rs` replay that order of events.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use balloon_web::hooks::{PlayFrame, use_play_loop};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;

/// Script time of every render of the test page, past yew's 16 ms slice.
const RENDER_MS: f64 = 40.0;

/// Frames of play the page counts.
#[derive(Debug, Default, PartialEq)]
struct Frames(u64);

impl From<PlayFrame> for Frames {
    fn from(_: PlayFrame) -> Self {
        Frames(1)
    }
}

impl Reducible for Frames {
    type Action = Frames;
    fn reduce(self: Rc<Self>, add: Frames) -> Rc<Self> {
        Rc::new(Frames(self.0 + add.0))
    }
}

/// Plays at 1000 events per second; each render busy-waits [`RENDER_MS`].
#[component]
fn SlowPage() -> Html {
    let frames = use_reducer(Frames::default);
    use_play_loop(true, 1000.0, false, None, frames.dispatcher());
    let started = balloon_web::clock::now_ms();
    while balloon_web::clock::now_ms() - started < RENDER_MS {}
    html! { <p>{ frames.0 }</p> }
}

fn recorded() -> Vec<f64> {
    let window = web_sys::window().unwrap();
    let frames = js_sys::Reflect::get(&window, &"__balloonFrameMs".into()).unwrap();
    if frames.is_undefined() {
        return Vec::new();
    }
    frames
        .unchecked_into::<js_sys::Array>()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn every_recorded_frame_covers_its_render() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<SlowPage>::with_root(root.clone()).render();
    dom::sleep_ms(2000).await;
    app.destroy();
    root.remove();
    let frames = recorded();
    assert!(frames.len() >= 10, "only {} frames recorded", frames.len());
    // Each frame's render ran after its animation frame callback and before its effect.
    for (i, ms) in frames.iter().enumerate() {
        assert!(
            *ms >= RENDER_MS,
            "frame {i} recorded {ms:.1} ms, less than its {RENDER_MS} ms render: {frames:?}"
        );
    }
}
