//! The timeline: a slider over every recorded event; dragging it seeks (snapshot + replay).

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;

/// What [`timeline`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct TimelineProps {
    /// Receives the seeks.
    pub on_action: Callback<Action>,
    /// Events the shown state has lived through.
    pub index: u64,
    /// Events recorded.
    pub count: u64,
    /// Virtual time of the shown state, ns.
    pub now_ns: u64,
}

/// Virtual time as seconds with millisecond precision.
pub fn seconds(ns: u64) -> String {
    format!("{}.{:03} s", ns / 1_000_000_000, (ns / 1_000_000) % 1000)
}

/// The scrubbable timeline.
pub fn timeline(props: &TimelineProps) -> Html {
    let oninput = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(i) = input.value().parse::<u64>() {
                on_action.emit(Action::Seek(i));
            }
        })
    };
    html! {
        <div class="timeline">
            <label for="timeline-input">{ "Timeline" }</label>
            <input id="timeline-input" type="range" data-testid="timeline" min="0"
                max={props.count.to_string()} value={props.index.to_string()} {oninput}
                aria-valuetext={format!("event {} of {}", props.index, props.count)} />
            <p class="timeline-label" data-testid="timeline-label">
                { format!("event {} of {} · t = {}", props.index, props.count, seconds(props.now_ns)) }
            </p>
        </div>
    }
}
