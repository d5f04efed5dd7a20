//! How clean the input was: lines read and mapped, the first rejected lines with their
//! numbers, lines out of time order or from another device, and the marks found.

use std::rc::Rc;

use balloon_sim::import::{Mark, Report};
use yew::prelude::*;

use crate::components::series_chart::mark_words;

/// What [`trace_report`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct TraceReportProps {
    /// The import's report.
    pub report: Rc<Report>,
    /// Gaps, stalls and pages taken back.
    pub marks: Rc<Vec<Mark>>,
}

/// The report.
pub fn trace_report(props: &TraceReportProps) -> Html {
    let r = &props.report;
    html! {
        <section class="trace-report" data-testid="trace-report" aria-label="Import report">
            <h2>{ "What the file held" }</h2>
            <p>{ format!(
                "{} trace lines read, {} mapped, {} of other events, {} rejected; {} QMP lines.",
                r.trace_lines, r.mapped_lines, r.other_event_lines, r.bad_lines, r.qmp_lines) }</p>
            if r.bad_lines > 0 {
                <ul class="bad-lines" data-testid="bad-lines">
                    { for r.bad_samples.iter().map(|b| html! {
                        <li>{ format!("{} line {}: {} — ", b.source, b.line, b.reason.describe()) }<code>{ &b.snippet }</code></li>
                    }) }
                </ul>
            }
            if r.out_of_order > 0 {
                <p>{ format!("{} lines go back in time (kept where they are).", r.out_of_order) }</p>
            }
            if r.foreign_lines > 0 {
                <p>{ format!("{} lines belong to another device or process (left out).", r.foreign_lines) }</p>
            }
            if r.events_dropped > 0 {
                <p>{ format!("{} events beyond the timeline's limit were counted but not kept.", r.events_dropped) }</p>
            }
            <h3>{ "Marks" }</h3>
            if props.marks.is_empty() {
                <p data-testid="no-marks">{ "No gap longer than 3 s, no stall, no pages taken back." }</p>
            } else {
                <ul data-testid="marks">
                    { for props.marks.iter().map(|m| html! { <li>{ mark_words(m) }</li> }) }
                </ul>
            }
        </section>
    }
}
