//! Two runs on one clock and where they differ: message counts per queue, how long each took
//! to reach each target, and the widest gap in `actual`. Takes neutral series, so it compares
//! a recording with the simulator, or two simulated VMMs.

use std::rc::Rc;

use balloon_sim::compare::Comparison;
use yew::prelude::*;

use crate::components::{SeriesChartProps, memo, series_chart_view};
use crate::view_model::series_chart::{SeriesRef, queue_label, seconds};

/// What [`run_compare`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct RunCompareProps {
    /// Run A (the reference).
    pub a: SeriesRef,
    /// Run B.
    pub b: SeriesRef,
    /// Where they differ.
    pub comparison: Rc<Comparison>,
}

fn took(ns: Option<i64>) -> String {
    ns.map_or_else(|| "not reached".to_owned(), seconds)
}

/// The compare view.
pub fn run_compare(props: &RunCompareProps) -> Html {
    let c = &props.comparison;
    let (a, b) = (&props.a.0.label, &props.b.0.label);
    html! {
        <section class="run-compare" data-testid="run-compare" aria-label="Two runs compared">
            <h2>{ "Two runs, one clock" }</h2>
            <p class="legend">
                <span class="swatch run-0"></span>{ format!("A: {a}") }
                <span class="swatch run-1"></span>{ format!("B: {b}") }
                { " · solid: actual, dashed: num_pages" }
            </p>
            { memo(SeriesChartProps { series: vec![props.a.clone(), props.b.clone()], marks: None,
                cursor_ns: None, label: AttrValue::from(format!("actual and num_pages over time, {a} and {b}")) },
                series_chart_view) }
            <p data-testid="compare-verdict">{
                match c.widest_gap {
                    Some(g) => format!(
                        "Widest difference in actual: {} pages at {} (A {}, B {}). Final actual: A {}, B {}.",
                        g.a.abs_diff(g.b), seconds(g.t_ns), g.a, g.b, c.final_actual.0, c.final_actual.1),
                    None => format!("actual never differs; final actual {}.", c.final_actual.0),
                }
            }</p>
            <table class="compare-table" data-testid="compare-counts">
                <caption>{ "Messages per queue (elements popped)" }</caption>
                <thead><tr><th>{ "queue" }</th><th>{ "A" }</th><th>{ "B" }</th></tr></thead>
                <tbody>
                    { for c.queues.iter().map(|q| html! {
                        <tr class={classes!((q.a != q.b).then_some("differs"))}>
                            <td>{ queue_label(q.queue) }</td><td>{ q.a }</td><td>{ q.b }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <table class="compare-table" data-testid="compare-settles">
                <caption>{ "Time to reach each target (from num_pages set to actual equal)" }</caption>
                <thead><tr><th>{ "num_pages" }</th><th>{ "A set at" }</th><th>{ "A took" }</th>
                    <th>{ "B set at" }</th><th>{ "B took" }</th></tr></thead>
                <tbody>
                    { for c.settles.iter().map(|s| html! {
                        <tr class={classes!((s.a_took_ns != s.b_took_ns).then_some("differs"))}>
                            <td>{ s.num_pages }</td><td>{ seconds(s.a_set_ns) }</td><td>{ took(s.a_took_ns) }</td>
                            <td>{ s.b_set_ns.map_or_else(|| "—".to_owned(), seconds) }</td><td>{ took(s.b_took_ns) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
