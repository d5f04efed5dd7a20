//! A live transcript of the steps for screen readers and for reading back: the last
//! [`crate::view_model::TRANSCRIPT_LEN`] events up to the shown one, newest last.

use yew::prelude::*;

use crate::view_model::TranscriptLine;

/// What [`transcript_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct TranscriptProps {
    /// The lines, oldest first (already bounded by the view model).
    pub lines: Vec<TranscriptLine>,
}

/// A plain list (the explanation is the live region: a log here would read out every event
/// while playing).
pub fn transcript_view(props: &TranscriptProps) -> Html {
    html! {
        <section class="transcript-panel">
            <h2>{ "Transcript" }<small>{ " (last steps)" }</small></h2>
            <ol class="transcript" data-testid="transcript" tabindex="0"
                aria-label="The last steps, newest last">
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
