//! Acting while seeked back replaces the recorded future: this asks before it happens.

use yew::prelude::*;

use crate::state::Action;

/// Properties of [`ForkQuestion`].
#[derive(Properties, PartialEq, Debug)]
pub struct ForkQuestionProps {
    /// Receives `ConfirmFork` or `CancelFork`.
    pub on_action: Callback<Action>,
    /// Where the cursor is and what would be dropped, from the state.
    pub question: AttrValue,
}

/// The question, "Replace the future" and "Keep the future".
#[component]
pub fn ForkQuestion(props: &ForkQuestionProps) -> Html {
    let button = |id: &'static str, label: &'static str, action: Action| {
        let on_action = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action.clone()));
        html! { <button type="button" data-testid={id} {onclick}>{ label }</button> }
    };
    html! {
        <div class="notice fork-question" role="alert" data-testid="fork-question">
            <p>{ &props.question }</p>
            <div class="guidance-actions">
                { button("fork-confirm", "Replace the future", Action::ConfirmFork) }
                { button("fork-cancel", "Keep the future", Action::CancelFork) }
            </div>
        </div>
    }
}
