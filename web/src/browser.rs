//! The few browser APIs the app needs beyond Yew: the URL fragment, file download, and the
//! timing globals that the end-to-end tests and benchmarks read.
//!
//! Every function tolerates a missing `window` (it does nothing), so no page state can make
//! them panic.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};

/// Frame times kept in `window.__balloonFrameMs` (the most recent ones).
pub const FRAME_SAMPLES: u32 = 1200;

/// The window global holding recent frame script times, in ms.
const FRAME_GLOBAL: &str = "__balloonFrameMs";
/// The window global holding `performance.now()` at the first rendered frame.
const FIRST_RENDER_GLOBAL: &str = "__balloonFirstRenderMs";

/// The URL fragment without `#` (empty when there is none).
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_owned())
        .unwrap_or_default()
}

/// The page URL's query (`?…`), parsed; `None` without a window.
pub fn location_query() -> Option<web_sys::UrlSearchParams> {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
}

/// Puts `fragment` in the address bar without a history entry (no `hashchange` either).
pub fn replace_hash(fragment: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
}

thread_local! {
    static FRAMES: RefCell<Option<js_sys::Array>> = const { RefCell::new(None) };
}

/// Appends one frame's script time to `window.__balloonFrameMs`, dropping the oldest beyond
/// [`FRAME_SAMPLES`]. The array is created on first use and kept (the harness may clear it by
/// setting its length to 0).
pub fn record_frame_ms(ms: f64) {
    FRAMES.with(|frames| {
        let mut frames = frames.borrow_mut();
        if frames.is_none() {
            let array = js_sys::Array::new();
            if let Some(w) = web_sys::window() {
                let _ = js_sys::Reflect::set(&w, &FRAME_GLOBAL.into(), &array);
            }
            *frames = Some(array);
        }
        if let Some(array) = frames.as_ref() {
            array.push(&JsValue::from_f64(ms));
            if array.length() > FRAME_SAMPLES {
                array.shift();
            }
        }
    });
}

/// Sets `window.__balloonFirstRenderMs` to `performance.now()` (time since navigation start),
/// once per page.
pub fn mark_first_render() {
    let Some(w) = web_sys::window() else { return };
    let key = JsValue::from_str(FIRST_RENDER_GLOBAL);
    if js_sys::Reflect::has(&w, &key).unwrap_or(true) {
        return;
    }
    let now = w.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&w, &key, &JsValue::from_f64(now));
}

/// Offers `text` as a file download called `name`.
pub fn download_text(name: &str, text: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("the download failed: {e:?}");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_owned())?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// What a key event is aimed at, for the global shortcuts: these yield to the focused control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTarget {
    /// A field, slider or select: every key is the control's.
    Field,
    /// A button or link: space and Enter press it.
    Button,
    /// A widget with its own arrow keys (a descriptor table).
    Arrows,
    /// The page: every shortcut applies.
    Page,
}

/// What `target` is, for [`KeyTarget`].
pub fn key_target(target: Option<web_sys::EventTarget>) -> KeyTarget {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else {
        return KeyTarget::Page;
    };
    if element.is_content_editable() {
        return KeyTarget::Field;
    }
    let in_grid = element.closest("[role='listbox']").ok().flatten().is_some();
    match element.tag_name().to_ascii_lowercase().as_str() {
        "input" | "textarea" | "select" => KeyTarget::Field,
        _ if in_grid => KeyTarget::Arrows,
        "button" | "a" | "summary" => KeyTarget::Button,
        _ => KeyTarget::Page,
    }
}

/// Where the book's chapters are relative to this page, when the page is the book's copy of
/// the playground (`…/play/index.html`, which `cargo xtask docs` puts beside the chapters);
/// `None` for the playground served on its own.
pub fn book_base() -> Option<&'static str> {
    let path = web_sys::window()?.location().pathname().ok()?;
    path.contains("/play/").then_some("../")
}
