//! What the last event did, in one sentence, and the real function that did it.

use yew::prelude::*;

/// Properties of [`Explanation`].
#[derive(Properties, PartialEq, Debug)]
pub struct ExplanationProps {
    /// Index of the event shown (1-based count of events run), 0 before any.
    pub index: u64,
    /// The event's sentence and function, if any event has run.
    pub event: Option<(String, &'static str)>,
}

/// The current event's sentence and function name.
#[component]
pub fn Explanation(props: &ExplanationProps) -> Html {
    html! {
        <section class="explanation" data-testid="explanation">
            if let Some((sentence, function)) = &props.event {
                <p>{ format!("Event {}: {sentence}", props.index) }</p>
                <p><code>{ format!("{function}()") }</code></p>
            } else {
                <p>{ "No event yet." }</p>
            }
        </section>
    }
}
