//! The top-level component: page layout over the one simulated session.

use balloon_sim::command::QueueName;
use yew::prelude::*;

use crate::components::{BalloonOutline, Explanation, QueuePanel, TargetControls};
use crate::state::AppState;

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
    let ivq = s
        .queue_views()
        .into_iter()
        .find(|q| q.name == QueueName::Ivq);
    let driver_vq = ivq.as_ref().and_then(|q| {
        let vqs = s.world().guest().driver().vqs();
        vqs.iter()
            .find(|vq| vq.index == q.index)
            .map(|vq| &vq.queue)
    });
    let avail_idx = driver_vq.map(|dq| dq.avail_idx());
    let last_used = driver_vq.map(|dq| dq.last_used());
    html! {
        <main class="playground" data-testid="playground">
            <h1>{ "Balloon Playground" }</h1>
            <p class="summary" data-testid="balloon-summary">
                { "num_pages " }<span data-testid="num-pages">{ b.num_pages }</span>
                { ", actual " }<span data-testid="actual-pages">{ b.actual }</span>
                { format!(" of {} guest pages (event {index} of {})", b.ram_size / 4096, s.event_count()) }
            </p>
            <BalloonOutline fill={state.actual_fill()} target={state.target_fill()} />
            <TargetControls {on_action} ram_mib={state.ram_mib()} error={state.error.clone()} />
            <QueuePanel queue={ivq} {avail_idx} {last_used} />
            <Explanation {index} {event} />
        </main>
    }
}
