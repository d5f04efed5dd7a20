//! Finding, reading, clicking and typing into the mounted page's elements by test id, for
//! the browser tests of the page (one VM's and the host's).
#![allow(dead_code)]

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

pub fn by_test_id(root: &Element, id: &str) -> Element {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={id}"))
}

pub fn text(root: &Element, id: &str) -> String {
    by_test_id(root, id).text_content().unwrap_or_default()
}

pub async fn click(root: &Element, id: &str) {
    by_test_id(root, id)
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
}

pub async fn type_into(root: &Element, id: &str, value: &str) {
    let el = by_test_id(root, id);
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else {
        el.dyn_ref::<HtmlTextAreaElement>()
            .unwrap()
            .set_value(value);
    }
    el.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
}

/// Waits `ms` milliseconds (a browser timer), then lets yew finish what it scheduled.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
    yew::scheduler::flush().await;
}
