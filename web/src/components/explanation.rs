//! What the current step did, in one plain sentence, with the real function that did it and
//! the VIRTIO spec section that describes it.

use yew::prelude::*;

/// Properties of [`Explanation`].
#[derive(Properties, PartialEq, Debug)]
pub struct ExplanationProps {
    /// Index of the event shown (1-based count of events run), 0 before any.
    pub index: u64,
    /// The event's sentence and function, if any event has run.
    pub event: Option<(String, &'static str)>,
    /// The VIRTIO spec section, when one applies.
    #[prop_or_default]
    pub spec: Option<&'static str>,
}

/// The current event's sentence, function and spec section.
#[component]
pub fn Explanation(props: &ExplanationProps) -> Html {
    html! {
        <section class="explanation" data-testid="explanation">
            if let Some((sentence, function)) = &props.event {
                <p class="sentence">{ format!("Event {}: {sentence}", props.index) }</p>
                <p class="refs">
                    <code data-testid="explanation-function">{ format!("{function}()") }</code>
                    if let Some(spec) = props.spec {
                        { " · " }<span data-testid="explanation-spec">{ format!("VIRTIO spec §{spec}") }</span>
                    }
                </p>
            } else {
                <p>{ "No event yet." }</p>
            }
        </section>
    }
}
