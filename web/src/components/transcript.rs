//! A live transcript of the steps for screen readers and for reading back: the last
//! [`crate::view_model::TRANSCRIPT_LEN`] events up to the shown one, newest last.

use yew::prelude::*;

use crate::view_model::TranscriptLine;

/// Properties of [`Transcript`].
#[derive(Properties, PartialEq, Debug)]
pub struct TranscriptProps {
    /// The lines, oldest first (already bounded by the view model).
    pub lines: Vec<TranscriptLine>,
}

/// `role=log` with polite announcements: each step reads out its sentence once.
#[component]
pub fn Transcript(props: &TranscriptProps) -> Html {
    html! {
        <section class="transcript-panel">
            <h3>{ "Transcript" }<small>{ " (last steps)" }</small></h3>
            <ol class="transcript" data-testid="transcript" role="log" aria-live="polite"
                aria-relevant="additions" tabindex="0">
                { for props.lines.iter().map(|l| html! {
                    <li key={l.number}>
                        <span class="meta">{ format!("#{} {} {}", l.number, l.time, l.actor) }</span>
                        { " " }{ &l.sentence }
                    </li>
                }) }
            </ol>
        </section>
    }
}
