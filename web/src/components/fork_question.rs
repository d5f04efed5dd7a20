//! Acting while seeked back replaces the recorded future: this asks before it happens.

use yew::prelude::*;

use super::action_button::action_button;
use crate::state::Action;

/// What [`fork_notice`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct ForkQuestionProps {
    /// Receives `ConfirmFork` or `CancelFork`.
    pub on_action: Callback<Action>,
    /// Where the cursor is and what would be dropped, from the state.
    pub question: AttrValue,
}

/// The question, "Replace the future" and "Keep the future".
pub fn fork_notice(props: &ForkQuestionProps) -> Html {
    let button = |id, label, action| action_button(&props.on_action, id, label, action);
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
