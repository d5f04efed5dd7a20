//! The recorded events up to the cursor, each with the QEMU function that traced it, the
//! line it came from, and what it says; what the trace cannot say is shown as unknown.

use std::rc::Rc;

use yew::prelude::*;

use crate::view_model::series_chart::seconds;

/// One row.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Line in its file.
    pub line: u64,
    /// Time, ns (`None`: the line had no time).
    pub t_ns: Option<i64>,
    /// The QEMU function (or QMP message).
    pub function: &'static str,
    /// What it says.
    pub sentence: String,
    /// Whether some field of it is unknown to the trace.
    pub unknown: bool,
}

/// What [`trace_events`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct TraceEventsProps {
    /// The rows, oldest first; the last is the event at the cursor.
    pub rows: Rc<Vec<EventRow>>,
    /// Events in the whole recording.
    pub total: usize,
}

/// The list.
pub fn trace_events(props: &TraceEventsProps) -> Html {
    html! {
        <section class="trace-events" aria-label="Recorded events at the cursor">
            <h2>{ format!("Events up to the cursor ({} in the recording)", props.total) }</h2>
            <ol class="event-rows" data-testid="trace-events">
                { for props.rows.iter().map(|r| html! {
                    <li class={classes!(r.unknown.then_some("has-unknown"))}>
                        <span class="t">{ r.t_ns.map_or_else(|| "no time".to_owned(), seconds) }</span>
                        <code class="fn" title="the QEMU function whose trace point printed this line">{ r.function }</code>
                        <span class="line">{ format!("line {}", r.line) }</span>
                        <span class="sentence">{ &r.sentence }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
