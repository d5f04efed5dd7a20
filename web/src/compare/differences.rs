//! The differences list: where the two runs first part (both sentences, a button to go
//! there) and the counts table of `balloon-sim compare`, rows that differ marked.

use balloon_sim::clock::format_time;
use balloon_sim::compare::profiles::{Comparison, EventLine};
use yew::prelude::*;

/// What [`differences`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct DifferencesProps {
    /// The two sides' labels.
    pub labels: [AttrValue; 2],
    /// The event-by-event comparison.
    pub comparison: std::rc::Rc<Comparison>,
    /// Goes to the first divergence.
    pub on_go: Callback<MouseEvent>,
    /// Only the rows that differ (the embed, where room is short).
    #[prop_or_default]
    pub only_differing: bool,
}

fn line(letter: &str, label: &str, e: Option<&EventLine>) -> Html {
    html! {
        <li>
            <strong>{ format!("{letter} ({label}): ") }</strong>
            if let Some(e) = e {
                { format!("[{}] ", format_time(e.time_ns)) }<code>{ e.function }</code>{ " " }{ &e.sentence }
            } else {
                { "no event: this side's command ended here" }
            }
        </li>
    }
}

/// The differences list.
pub fn differences(props: &DifferencesProps) -> Html {
    let c = &props.comparison;
    let [a, b] = &props.labels;
    let differing = c.rows.iter().filter(|r| r.a != r.b).count();
    let counts = html! {
        <table class="compare-table" data-testid="event-counts">
            <caption>{ if props.only_differing { "Counts that differ" } else { "Counts over the whole run" } }</caption>
            <thead><tr><th scope="col">{ "what" }</th><th scope="col">{ "A" }</th><th scope="col">{ "B" }</th></tr></thead>
            <tbody>
                { for c.rows.iter().filter(|r| !props.only_differing || r.a != r.b).map(|r| html! {
                    <tr class={classes!((r.a != r.b).then_some("differs"))}>
                        <th scope="row">{ &r.what }</th><td>{ r.a }</td><td>{ r.b }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    };
    html! {
        <section class="differences" data-testid="differences" aria-label="Differences">
            <h2>{ "Differences" }</h2>
            if let Some(d) = &c.first_divergence {
                <div data-testid="first-divergence">
                    <p>{ format!("First divergence: script line {}, event {} of side {}.",
                            d.line, d.index + 1, if d.a.is_some() { "A" } else { "B" }) }
                        { " " }
                        <button type="button" data-testid="go-divergence" onclick={props.on_go.clone()}>
                            { "Show both there" }</button>
                    </p>
                    <ul class="divergence-lines">
                        { line("A", a, d.a.as_ref()) }
                        { line("B", b, d.b.as_ref()) }
                    </ul>
                </div>
            } else {
                <p data-testid="first-divergence">{ "No divergence: both sides make the same events." }</p>
            }
            if props.only_differing {
                // The embed: the counts that differ behind a disclosure, so the comparison
                // fits its frame in the book.
                <details class="counts-disclosure">
                    <summary>{ format!("Counts that differ over the whole run: {}", differing) }</summary>
                    { counts }
                </details>
            } else {
                { counts }
            }
        </section>
    }
}
