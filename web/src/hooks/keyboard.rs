//! Keyboard shortcuts: space plays or pauses, ←/→ step one ring operation, shift+←/→ one
//! message, `?` opens the help. Keys typed into a field are the field's, space on a focused
//! button presses it, and a descriptor table keeps its arrow keys.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::browser::{self, KeyTarget};
use crate::state::{Action, PageAction};

/// The action a key press asks for, if it is a shortcut.
pub fn shortcut(key: &str, shift: bool) -> Option<Action> {
    Some(match (key, shift) {
        (" ", _) => Action::TogglePlay,
        ("ArrowRight", false) => Action::StepOp,
        ("ArrowRight", true) => Action::StepMessage,
        ("ArrowLeft", false) => Action::StepBack,
        ("ArrowLeft", true) => Action::StepBackMessage,
        ("?", _) => Action::ToggleHelp,
        ("Escape", _) => Action::SetHelp(false),
        _ => return None,
    })
}

/// Whether the page's shortcut for `key` applies when the key is aimed at `target`.
pub fn shortcut_applies(target: KeyTarget, key: &str) -> bool {
    match target {
        KeyTarget::Field => false,
        KeyTarget::Button => !matches!(key, " " | "Enter"),
        KeyTarget::Arrows => !matches!(
            key,
            " " | "Enter" | "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End"
        ),
        KeyTarget::Page => true,
    }
}

/// Listens for the shortcuts on the document while the component lives.
#[hook]
pub fn use_keyboard_shortcuts<R>(dispatch: UseReducerDispatcher<R>)
where
    R: Reducible + 'static,
    R::Action: PageAction,
{
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            EventListener::new_with_options(
                &doc,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if key.ctrl_key()
                        || key.meta_key()
                        || key.alt_key()
                        || key.repeat() && key.key() == " "
                    {
                        return;
                    }
                    if !shortcut_applies(browser::key_target(key.target()), &key.key()) {
                        return;
                    }
                    if let Some(action) =
                        shortcut(&key.key(), key.shift_key()).and_then(R::Action::from_page)
                    {
                        // Space would scroll the page and arrows would move a focused slider.
                        key.prevent_default();
                        dispatch.dispatch(action);
                    }
                },
            )
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(shortcut(" ", false), Some(Action::TogglePlay));
        assert_eq!(shortcut("ArrowRight", true), Some(Action::StepMessage));
        assert_eq!(shortcut("ArrowLeft", false), Some(Action::StepBack));
        assert_eq!(shortcut("?", true), Some(Action::ToggleHelp));
        assert_eq!(shortcut("a", false), None);
    }

    #[test]
    fn focused_controls_keep_their_keys() {
        assert!(!shortcut_applies(KeyTarget::Button, " "));
        assert!(shortcut_applies(KeyTarget::Button, "ArrowRight"));
        assert!(!shortcut_applies(KeyTarget::Field, "?"));
        assert!(!shortcut_applies(KeyTarget::Arrows, "ArrowLeft"));
        assert!(shortcut_applies(KeyTarget::Arrows, "?"));
        assert!(shortcut_applies(KeyTarget::Page, " "));
    }
}
