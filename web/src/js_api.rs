//! The JavaScript API: `mount(element, options)` puts an embed into any element of a page and
//! returns a handle to drive it (`step`, `play`, `pause`, `seek`, `destroy`).
//!
//! ```js
//! window.balloonPlaygroundApi = true;            // no full page of its own on init
//! import init, { mount } from "./play/balloon-web.js";
//! await init({ module_or_path: "./play/balloon-web_bg.wasm" });
//! const h = mount(document.getElementById("here"),
//!                 { preset: "deflate", step: 40, panels: "ivq,dvq", controls: true });
//! h.step(); h.seek(100); h.play(); h.pause(); h.destroy();
//! ```
//!
//! Options are read field by field, and a wrong one is a thrown `Error` naming it, before
//! anything is mounted.

use std::cell::RefCell;
use std::rc::Rc;

use balloon_sim::command::{QueueName, parse_script};
use balloon_sim::presets;
use balloon_sim::share::{ShareState, Source};
use wasm_bindgen::prelude::*;
use yew::{AppHandle, AttrValue, Callback};

use crate::embed::options::parse_panels;
use crate::embed::{Embed, EmbedAction, EmbedProps};

/// The global a page sets before `init()` so that the module only exports the API and does not
/// render the full playground over the page's body.
pub const LIBRARY_FLAG: &str = "balloonPlaygroundApi";

/// Whether the page loaded the module as a library (see [`LIBRARY_FLAG`]).
pub fn loaded_as_library() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str(LIBRARY_FLAG)).ok())
        .is_some_and(|v| v.is_truthy())
}

/// The embed's action callback, once it is mounted; actions sent before that wait in order.
#[derive(Debug, Default)]
struct Remote {
    dispatch: Option<Callback<EmbedAction>>,
    pending: Vec<EmbedAction>,
}

impl Remote {
    fn send(&mut self, action: EmbedAction) {
        match &self.dispatch {
            Some(d) => d.emit(action),
            None => self.pending.push(action),
        }
    }
}

/// A mounted embed.
#[wasm_bindgen]
#[derive(Debug)]
pub struct EmbedHandle {
    app: Option<AppHandle<Embed>>,
    remote: Rc<RefCell<Remote>>,
}

#[wasm_bindgen]
impl EmbedHandle {
    /// One ring operation forward.
    pub fn step(&self) {
        self.send(EmbedAction::Step);
    }
    /// Steps on a timer until paused or the run is over.
    pub fn play(&self) {
        self.send(EmbedAction::Play);
    }
    /// Stops playing.
    pub fn pause(&self) {
        self.send(EmbedAction::Pause);
    }
    /// Shows the state after `n` events (clamped to the run).
    pub fn seek(&self, n: f64) -> Result<(), JsError> {
        self.send(EmbedAction::Seek(whole(n, "seek")?));
        Ok(())
    }
    /// Unmounts the embed and stops its timer; later calls do nothing.
    pub fn destroy(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        self.remote.borrow_mut().dispatch = None;
    }

    fn send(&self, action: EmbedAction) {
        if self.app.is_some() {
            self.remote.borrow_mut().send(action);
        }
    }
}

/// Mounts an embed into `element`. `options` (an object, or `undefined` for the defaults):
/// `preset` (a preset name) or `script` (a script's text), `step` (event to start at),
/// `panels` (`"ivq,dvq"` or `["ivq", "dvq"]`), `controls` (boolean), `link` (the full
/// playground's URL, for an "open in the full playground" link).
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, options: JsValue) -> Result<EmbedHandle, JsError> {
    let props = read_options(&options)?;
    let remote = Rc::new(RefCell::new(Remote::default()));
    let on_ready = {
        let remote = Rc::clone(&remote);
        Callback::from(move |dispatch: Callback<EmbedAction>| {
            let mut r = remote.borrow_mut();
            for action in std::mem::take(&mut r.pending) {
                dispatch.emit(action);
            }
            r.dispatch = Some(dispatch);
        })
    };
    let props = EmbedProps {
        on_ready: Some(on_ready),
        ..props
    };
    let app = yew::Renderer::<Embed>::with_root_and_props(element, props).render();
    Ok(EmbedHandle {
        app: Some(app),
        remote,
    })
}

fn read_options(options: &JsValue) -> Result<EmbedProps, JsError> {
    let field = |key: &str| -> Option<JsValue> {
        if options.is_object() {
            js_sys::Reflect::get(options, &JsValue::from_str(key))
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        } else {
            None
        }
    };
    if !options.is_undefined() && !options.is_null() && !options.is_object() {
        return Err(JsError::new("mount: options must be an object"));
    }
    let text = |key: &str| -> Result<Option<String>, JsError> {
        field(key)
            .map(|v| {
                v.as_string()
                    .ok_or_else(|| JsError::new(&format!("mount: options.{key} must be a string")))
            })
            .transpose()
    };
    let source = match (text("preset")?, text("script")?) {
        (Some(_), Some(_)) => {
            return Err(JsError::new(
                "mount: give options.preset or options.script, not both",
            ));
        }
        (Some(name), None) => {
            if presets::get(&name).is_none() {
                let known: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
                return Err(JsError::new(&format!(
                    "mount: there is no preset \"{name}\" (one of {})",
                    known.join(", ")
                )));
            }
            Source::Preset(name)
        }
        (None, Some(script)) => {
            parse_script(&script).map_err(|e| JsError::new(&format!("mount: script: {e}")))?;
            Source::Script(script)
        }
        (None, None) => Source::Preset(crate::embed::options::DEFAULT_PRESET.to_owned()),
    };
    let step = match field("step") {
        None => 0,
        Some(v) => whole(v.as_f64().unwrap_or(f64::NAN), "options.step")?,
    };
    let (panels, bytes) = match field("panels") {
        None => (vec![QueueName::Ivq], false),
        Some(v) => {
            let list = if js_sys::Array::is_array(&v) {
                let names: Option<Vec<String>> = js_sys::Array::from(&v)
                    .iter()
                    .map(|n| n.as_string())
                    .collect();
                names
                    .ok_or_else(|| JsError::new("mount: options.panels must hold strings"))?
                    .join(",")
            } else {
                v.as_string().ok_or_else(|| {
                    JsError::new("mount: options.panels must be a string or an array")
                })?
            };
            parse_panels(&list).map_err(|e| JsError::new(&format!("mount: {e}")))?
        }
    };
    let controls = match field("controls") {
        None => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| JsError::new("mount: options.controls must be true or false"))?,
    };
    let playground_url = text("link")?.map(AttrValue::from);
    Ok(EmbedProps {
        share: ShareState { source, step },
        panels,
        bytes,
        controls,
        playground_url,
        problems: Vec::new(),
        on_ready: None,
    })
}

/// A JS number that is a whole, non-negative event count.
fn whole(n: f64, what: &str) -> Result<u64, JsError> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 2f64.powi(53) {
        Ok(n as u64)
    } else {
        // The number as JS prints it (`0.5`, `NaN`, `-Infinity`): the caller wrote JS, and
        // `f64`'s own `Display` would link core's float formatting into the page for this
        // message alone.
        let shown = js_sys::Number::from(n)
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_default();
        Err(JsError::new(&format!(
            "{what} must be a whole number of events (0 or more), not {shown}"
        )))
    }
}
