//! Messages per queue of a run: how many, the mean rate over the run, and the busiest second.

use balloon_sim::compare::peak_in_window;
use yew::prelude::*;

use crate::view_model::Fixed;
use crate::view_model::series_chart::{SeriesRef, queue_label};

/// What [`queue_rates`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct QueueRatesProps {
    /// The run.
    pub series: SeriesRef,
}

/// The table.
pub fn queue_rates(props: &QueueRatesProps) -> Html {
    let s = &props.series.0;
    let span_s = ((s.end_ns - s.start_ns) as f64 / 1e9).max(1e-9);
    html! {
        <table class="queue-rates" data-testid="queue-rates">
            <caption>{ "Messages per queue (one per virtqueue_pop)" }</caption>
            <thead><tr><th>{ "queue" }</th><th>{ "messages" }</th><th>{ "mean /s" }</th>
                <th>{ "busiest second" }</th></tr></thead>
            <tbody>
                { for s.messages.iter().map(|m| html! {
                    <tr data-testid={format!("rate-{}", queue_label(m.queue))}>
                        <td>{ queue_label(m.queue) }</td>
                        <td class="count">{ m.times_ns.len() }</td>
                        <td>{ Fixed(m.times_ns.len() as f64 / span_s, 1).to_string() }</td>
                        <td>{ peak_in_window(&m.times_ns, 1_000_000_000) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}
