//! The top-level component: page layout over the one simulated session.

use yew::prelude::*;

use crate::components::{
    BalloonOutline, ConfigPanel, Explanation, InitFlow, MemoryMap, QueuePanels, StatsChart,
    TargetControls, Transcript,
};
use crate::state::AppState;
use crate::view_model as vm;

/// The whole playground page.
#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::booted);
    let on_action = {
        let state = state.clone();
        Callback::from(move |a| state.dispatch(a))
    };
    let s = &state.session;
    let b = s.balloon();
    let index = s.current_index();
    let event = index
        .checked_sub(1)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| s.events().get(i))
        .map(|ev| (ev.sentence(), ev.function()));
    let spec = vm::current_event(s).and_then(|ev| ev.spec());
    html! {
        <main class="playground" data-testid="playground">
            <h1>{ "Balloon Playground" }</h1>
            <p class="summary" data-testid="balloon-summary">
                { format!("num_pages {}, actual {}", b.num_pages, b.actual) }
                { format!(" of {} guest pages (event {index} of {})", b.ram_size / 4096, s.event_count()) }
            </p>
            <InitFlow stages={vm::init_flow(s)} />
            <BalloonOutline balloon={vm::BalloonModel::from_session(s)} />
            <TargetControls {on_action} ram_mib={state.ram_mib()} error={state.error.clone()} />
            <Explanation {index} {event} {spec} />
            <ConfigPanel config={vm::config_model(s)} />
            <QueuePanels queues={vm::queue_models(s)} />
            <MemoryMap cells={vm::memory_map(s)} />
            <StatsChart chart={vm::stats_chart(s.stats_series(), vm::CHART_POINTS)} />
            <Transcript lines={vm::transcript(s, vm::TRANSCRIPT_LEN)} />
        </main>
    }
}
