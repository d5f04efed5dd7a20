//! The trace page's layout over [`TraceState`].

use std::rc::Rc;

use balloon_sim::compare::value_at;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::loader::{self, Source};
use super::rows::rows_at;
use super::state::{Phase, TraceAction, TraceState};
use crate::components::{
    QueueRatesProps, RunCompareProps, SeriesChartProps, TraceBalloonProps, TraceEventsProps,
    TraceOpen, TraceReportProps, memo, queue_rates, run_compare, series_chart_view, trace_balloon,
    trace_events, trace_report,
};
use crate::view_model::Fixed;
use crate::view_model::series_chart::{SeriesRef, seconds};

/// The page.
#[component]
pub fn TracePage() -> Html {
    let state = use_reducer(TraceState::default);
    let on_open = {
        let dispatcher = state.dispatcher();
        Callback::from(
            move |(name, trace, qmp): (String, Source, Option<Source>)| {
                // Each load gets a new number: progress from an older one is ignored.
                let load = LOADS.with(|l| {
                    let n = l.get().wrapping_add(1);
                    l.set(n);
                    n
                });
                dispatcher.dispatch(TraceAction::Start {
                    load,
                    name,
                    total: trace.len(),
                });
                let dispatcher = dispatcher.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let progress = {
                        let d = dispatcher.clone();
                        move |done, total| d.dispatch(TraceAction::Progress { load, done, total })
                    };
                    let result = loader::import(trace, qmp, progress).await.map(Box::new);
                    dispatcher.dispatch(TraceAction::Done { load, result });
                });
            },
        )
    };
    let on_seek = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(t) = input.value().parse::<i64>() {
                dispatcher.dispatch(TraceAction::Seek(t));
            }
        })
    };
    let on_simulate = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(TraceAction::Simulate))
    };
    html! {
        <main class="playground trace-page" data-testid="trace-page">
            <header class="topbar">
                <h1>{ "Balloon Playground · a real QEMU trace" }</h1>
                <nav class="topbar-actions" aria-label="Pages">
                    <a href="./" data-testid="to-playground">{ "Back to the simulator" }</a>
                </nav>
            </header>
            <TraceOpen {on_open} />
            { match &state.phase {
                Phase::Idle => html! {
                    <p class="notice" data-testid="trace-idle">{ "Open a trace to see it here. The file stays in this tab." }</p>
                },
                Phase::Loading { name, done, total } => html! {
                    <div class="notice" role="status" data-testid="trace-loading">
                        { format!("Reading {name}: {} of {} MB…", Fixed(done / 1e6, 1), Fixed(total / 1e6, 1)) }
                        <progress max={Fixed(*total, 0).to_string()} value={Fixed(*done, 0).to_string()} aria-label="Trace read"></progress>
                    </div>
                },
                Phase::Failed { name, message } => html! {
                    <div class="notice error" role="alert" data-testid="trace-error">
                        <strong>{ format!("{name} could not be opened: ") }</strong>
                        <pre>{ message }</pre>
                    </div>
                },
                Phase::Open(o) => {
                    let s = &o.series;
                    let t = state.cursor_ns;
                    let rows = Rc::new(rows_at(&o.recording, t));
                    html! { <>
                        <p class="summary" data-testid="trace-summary">{ format!(
                            "{}: {} events over {} (QEMU's clock, 0 = the first line).",
                            o.name, o.recording.events.len(), seconds(s.end_ns)) }</p>
                        <section class="stage" aria-label="Balloon and messages">
                            { trace_balloon(&TraceBalloonProps { ram_pages: s.ram_pages,
                                num_pages: value_at(&s.num_pages, t), actual: value_at(&s.actual, t) }) }
                            { queue_rates(&QueueRatesProps { series: SeriesRef(s.clone()) }) }
                        </section>
                        <section class="operate" aria-label="Timeline">
                            <div class="timeline">
                                <label for="trace-cursor">{ "Time" }</label>
                                <input id="trace-cursor" type="range" data-testid="trace-cursor"
                                    min={s.start_ns.to_string()} max={s.end_ns.to_string()}
                                    step="1000000" value={t.to_string()} oninput={on_seek}
                                    aria-valuetext={seconds(t)} />
                                <p class="timeline-label" data-testid="trace-time">{ format!("t = {}", seconds(t)) }</p>
                            </div>
                            { memo(SeriesChartProps { series: vec![SeriesRef(s.clone())], marks: Some(o.marks.clone()),
                                cursor_ns: Some(t), label: "num_pages and actual over time, message ticks per queue, marks".into() },
                                series_chart_view) }
                        </section>
                        <section class="panels" aria-label="Events and report">
                            { trace_events(&TraceEventsProps { rows, total: o.recording.events.len() }) }
                            { trace_report(&TraceReportProps { report: o.report.clone(), marks: o.marks.clone() }) }
                        </section>
                        <section class="simulate" aria-label="Simulate the same commands">
                            <h2>{ "Simulate the same commands" }</h2>
                            <p>{ format!("Machine: {} · {} commands at their recorded times", o.plan.machine, o.plan.commands.len()) }
                                if !o.plan.skipped.is_empty() {
                                    { format!(" · not replayed: {}", o.plan.skipped.join(", ")) }
                                }
                            </p>
                            <ul class="assumptions">
                                { for o.plan.assumptions.iter().map(|a| html! { <li>{ a }</li> }) }
                            </ul>
                            <button type="button" data-testid="simulate" onclick={on_simulate}>
                                { "Simulate the same commands" }
                            </button>
                            { match &state.simulated {
                                None => html! {},
                                Some(Err(e)) => html! { <p class="error" role="alert">{ e }</p> },
                                Some(Ok(sim)) => run_compare(&RunCompareProps { a: SeriesRef(s.clone()),
                                    b: SeriesRef(sim.series.clone()), comparison: sim.comparison.clone() }),
                            } }
                        </section>
                    </> }
                }
            } }
        </main>
    }
}

thread_local! {
    /// Loads started on this page.
    static LOADS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}
