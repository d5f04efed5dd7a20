//! The keyboard help overlay (`?`).

use yew::prelude::*;

use crate::state::Action;

/// Properties of [`Help`].
#[derive(Properties, PartialEq, Debug)]
pub struct HelpProps {
    /// Receives `SetHelp(false)`.
    pub on_action: Callback<Action>,
}

/// The shortcuts, as (keys, what they do).
pub const SHORTCUTS: [(&str, &str); 6] = [
    ("space", "play / pause"),
    ("→", "one ring operation forward"),
    ("←", "one ring operation back"),
    ("shift + →", "one message round trip forward"),
    ("shift + ←", "back to the previous message"),
    ("?  /  Esc", "this help / close it"),
];

/// A modal list of the keyboard shortcuts.
#[component]
pub fn Help(props: &HelpProps) -> Html {
    let close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::SetHelp(false)))
    };
    html! {
        <div class="help-backdrop" data-testid="help" role="dialog" aria-modal="true"
            aria-labelledby="help-title">
            <div class="help">
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                <table>
                    { for SHORTCUTS.iter().map(|(keys, what)| html! {
                        <tr><th scope="row"><kbd>{ *keys }</kbd></th><td>{ *what }</td></tr>
                    }) }
                </table>
                <p>{ "Shortcuts are off while typing in a field. The address bar always holds a link to the frame shown." }</p>
                <button type="button" data-testid="help-close" autofocus=true onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
