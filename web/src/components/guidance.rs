//! After a target is applied: what the driver will do, and the three ways to watch it.

use yew::prelude::*;

use super::action_button::action_button;
use crate::state::Action;

/// What [`guidance`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct GuidanceProps {
    /// Receives the chosen way to watch.
    pub on_action: Callback<Action>,
    /// What will happen, from the state.
    pub text: AttrValue,
}

/// The sentence and a button per way to watch: one message, play, or to the end.
pub fn guidance(props: &GuidanceProps) -> Html {
    let button = |id, label, action| action_button(&props.on_action, id, label, action);
    html! {
        <div class="guidance" role="status" data-testid="guidance">
            <p>{ &props.text }</p>
            <div class="guidance-actions">
                { button("watch-step-message", "Step one message", Action::StepMessage) }
                { button("watch-play", "Play", Action::Play) }
                { button("watch-run", "Run to end", Action::RunToQuiet) }
            </div>
        </div>
    }
}
