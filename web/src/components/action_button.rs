//! A button that sends one [`Action`]: the choices a notice offers (the fork question, the
//! guidance after a target).

use yew::prelude::*;

use crate::state::Action;

/// `<button data-testid={id}>{label}</button>` that emits `action` on `on_action` when pressed.
pub fn action_button(
    on_action: &Callback<Action>,
    id: &'static str,
    label: &'static str,
    action: Action,
) -> Html {
    let on_action = on_action.clone();
    let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action.clone()));
    html! { <button type="button" data-testid={id} {onclick}>{ label }</button> }
}
