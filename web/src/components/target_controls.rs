//! Operator controls: the button that moves the balloon target.

use yew::prelude::*;

/// Properties of [`TargetControls`].
#[derive(Properties, PartialEq, Debug)]
pub struct TargetControlsProps {
    /// Called when the operator applies the next target.
    pub on_apply: Callback<()>,
    /// The button is disabled once the balloon cannot grow further.
    pub at_max: bool,
}

/// A button that applies the next, larger balloon target.
#[component]
pub fn TargetControls(props: &TargetControlsProps) -> Html {
    let onclick = props.on_apply.reform(|_: MouseEvent| ());
    html! {
        <div class="controls">
            <button type="button" data-testid="apply-target" {onclick} disabled={props.at_max}>
                { "Inflate" }
            </button>
        </div>
    }
}
