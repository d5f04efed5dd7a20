//! After a target is applied: what the driver will do, and the three ways to watch it.

use yew::prelude::*;

use crate::state::Action;

/// Properties of [`Guidance`].
#[derive(Properties, PartialEq, Debug)]
pub struct GuidanceProps {
    /// Receives the chosen way to watch.
    pub on_action: Callback<Action>,
    /// What will happen, from the state.
    pub text: AttrValue,
}

/// The sentence and a button per way to watch: one message, play, or to the end.
#[component]
pub fn Guidance(props: &GuidanceProps) -> Html {
    let button = |id: &'static str, label: &'static str, action: Action| {
        let on_action = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action.clone()));
        html! { <button type="button" data-testid={id} {onclick}>{ label }</button> }
    };
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
