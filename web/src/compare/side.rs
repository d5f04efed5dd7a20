//! One side of the compare view: the event it just made, its config space byte by byte, its
//! queues, its status and balloon, each marked where the other side differs.

use balloon_sim::clock::format_time;
use yew::prelude::*;

use super::model::SideModel;

/// What [`compare_side`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct CompareSideProps {
    /// "A" or "B".
    pub letter: &'static str,
    /// The side.
    pub side: SideModel,
}

fn mark(differs: bool) -> Option<&'static str> {
    differs.then_some("differs")
}

/// One side.
pub fn compare_side(props: &CompareSideProps) -> Html {
    let s = &props.side;
    let letter = props.letter;
    let size = s.config.len();
    html! {
        // ASCII lowering: the letter is "A" or "B", and `str::to_lowercase` would link the
        // Unicode case tables (several kB of the wasm) for it.
        <section class={classes!("compare-side", format!("side-{}", letter.to_ascii_lowercase()))}
            data-testid={format!("compare-side-{}", letter.to_ascii_lowercase())}
            aria-label={format!("Side {letter}: {}", s.label)}>
            <h2>{ format!("{letter}: {}", s.label) }</h2>
            <p class="side-position" data-testid="side-position">{
                if s.shown < s.count || s.count == 0 {
                    format!("event {} of {} · {}", s.shown, s.count, format_time(s.time_ns))
                } else {
                    format!("ended after {} events · {}", s.count, format_time(s.time_ns))
                }
            }</p>
            <p class={classes!("side-event", mark(s.event_differs))} data-testid="side-event">
                if let Some((sentence, function)) = &s.event {
                    <code class="function">{ *function }</code>{ " " }{ sentence }
                } else {
                    { "No event yet." }
                }
            </p>
            <h3 class={classes!(mark(s.size_differs))}>
                { "Config space " }
                <span data-testid="config-size">{ format!("{size} bytes") }</span>
            </h3>
            <ol class="config-bytes" data-testid="config-bytes"
                aria-label={format!("{size} config bytes, offsets 0 to {}", size.saturating_sub(1))}>
                { for s.config.iter().enumerate().map(|(i, b)| html! {
                    <li class={classes!("byte", b.only_here.then_some("only-here"), mark(b.differs))}
                        title={format!("+{i}{}", if b.only_here { ": the other side has no byte here" } else { "" })}>
                        { format!("{:02x}", b.value) }
                    </li>
                }) }
            </ol>
            <h3>{ "Queues" }</h3>
            <ul class="queue-chips" data-testid="side-queues">
                if s.queues.is_empty() {
                    <li class="none">{ "none yet" }</li>
                }
                { for s.queues.iter().map(|q| html! {
                    <li class={classes!("chip", q.only_here.then_some("only-here"), mark(q.differs))}
                        title={if q.only_here { "the other side has no such queue" } else { "" }}>
                        { format!("{} #{} · {}{}", q.name.as_str(), q.index, q.size,
                            if q.only_here { " · only here" } else { "" }) }
                    </li>
                }) }
            </ul>
            <p class={classes!("side-balloon", mark(s.balloon_differs))} data-testid="side-balloon">
                { format!("num_pages {} · actual {}", s.balloon.0, s.balloon.1) }
            </p>
            <p class={classes!("side-status", mark(s.status_differs))} data-testid="side-status">
                { format!("status {:#04x}", s.status) }
            </p>
        </section>
    }
}
