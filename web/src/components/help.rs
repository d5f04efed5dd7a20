//! The keyboard help (`?`): a modal `<dialog>`. Focus moves into it, Tab and shift+Tab cycle
//! inside it, Esc and a click on the backdrop close it, and focus returns to the "?" button.

use gloo_events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{HtmlDialogElement, HtmlElement};
use yew::prelude::*;

use crate::state::Action;

/// Properties of [`Help`].
#[derive(Properties, PartialEq, Debug)]
pub struct HelpProps {
    /// Receives `SetHelp(false)`.
    pub on_action: Callback<Action>,
}

/// The shortcuts, as (keys, what they do).
pub const SHORTCUTS: [(&str, &str); 7] = [
    ("space", "play / pause (on a focused button: presses it)"),
    ("→", "one ring operation forward"),
    ("←", "one ring operation back"),
    ("shift + →", "one message round trip forward"),
    ("shift + ←", "back to the previous message"),
    (
        "← → ↑ ↓ Home End",
        "in a descriptor table: move between descriptors",
    ),
    ("?  /  Esc", "this help / close it"),
];

/// The `data-testid` of the button that opens the help, which gets focus back on close.
pub const OPENER_TESTID: &str = "help-open";

/// What can take focus inside the dialog, in tab order.
const FOCUSABLE: &str = "button, a[href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

fn focusables(root: &web_sys::Element) -> Vec<HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect()
}

/// Keeps Tab inside `dialog`: from the last control to the first, and back with shift.
fn trap_tab(dialog: &web_sys::Element, e: &KeyboardEvent) {
    if e.key() != "Tab" {
        return;
    }
    let all = focusables(dialog);
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        e.prevent_default();
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = |el: &HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.as_ref() as &web_sys::Element)
    };
    if e.shift_key() && (at(first) || !all.iter().any(at)) {
        e.prevent_default();
        let _ = last.focus();
    } else if !e.shift_key() && (at(last) || !all.iter().any(at)) {
        e.prevent_default();
        let _ = first.focus();
    }
}

fn focus_opener() {
    let opener = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("[data-testid='{OPENER_TESTID}']"))
                .ok()
                .flatten()
        })
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    if let Some(opener) = opener {
        let _ = opener.focus();
    }
}

/// A modal list of the keyboard shortcuts.
#[component]
pub fn Help(props: &HelpProps) -> Html {
    let dialog = use_node_ref();
    {
        let dialog = dialog.clone();
        let on_action = props.on_action.clone();
        use_effect_with((), move |_| {
            let el = dialog.cast::<HtmlDialogElement>();
            // Esc on a modal dialog fires `cancel`; the dialog then closes itself, so the state
            // has to follow.
            let cancel = el.as_ref().map(|el| {
                EventListener::new(el, "cancel", move |_| {
                    on_action.emit(Action::SetHelp(false))
                })
            });
            if let Some(el) = &el {
                if !el.open() {
                    // showModal makes the rest of the page inert and moves focus in.
                    let _ = el.show_modal();
                }
                if let Some(first) = focusables(el).into_iter().next() {
                    let _ = first.focus();
                }
            }
            move || {
                drop(cancel);
                // While the modal dialog is open the rest of the page is inert and cannot take
                // focus: close it before handing focus back.
                if let Some(el) = el {
                    el.close();
                }
                focus_opener();
            }
        });
    }
    let close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SetHelp(false)))
    };
    let on_backdrop = {
        let on_action = props.on_action.clone();
        let dialog = dialog.clone();
        // A click on the dialog element itself (not its content) is a click on the backdrop:
        // the content fills the dialog's box.
        Callback::from(move |e: MouseEvent| {
            let on_dialog = dialog
                .get()
                .zip(e.target())
                .is_some_and(|(d, t)| t.dyn_ref::<web_sys::Node>() == Some(&d));
            if on_dialog {
                on_action.emit(Action::SetHelp(false));
            }
        })
    };
    let onkeydown = {
        let dialog = dialog.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(d) = dialog.cast::<web_sys::Element>() {
                trap_tab(&d, &e);
            }
        })
    };
    html! {
        <dialog class="help-dialog" data-testid="help" ref={dialog} aria-labelledby="help-title"
            onclick={on_backdrop} {onkeydown}>
            <div class="help">
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                <table>
                    <tbody>
                        { for SHORTCUTS.iter().map(|(keys, what)| html! {
                            <tr><th scope="row"><kbd>{ *keys }</kbd></th><td>{ *what }</td></tr>
                        }) }
                    </tbody>
                </table>
                <p>{ "Shortcuts are off while typing in a field or when a button has focus (space presses it). The address bar always holds a link to the frame shown." }</p>
                <button type="button" data-testid="help-close" onclick={close}>{ "Close" }</button>
            </div>
        </dialog>
    }
}
