//! The device's bring-up as the first part of the timeline: QOM type registration,
//! class_init, instance_init, realize, virtio_init, the queues, then the driver's status
//! handshake, with the stage the next step performs marked.

use yew::prelude::*;

use crate::view_model::{InitStageView, StageState};

/// What [`init_flow_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct InitFlowProps {
    /// The stages, in order.
    pub stages: Vec<InitStageView>,
}

/// The init stages as an ordered list.
pub fn init_flow_view(props: &InitFlowProps) -> Html {
    let item = |s: &InitStageView| {
        let (class, mark) = match s.state {
            StageState::Done => ("done", "✓"),
            StageState::Current => ("current", "▶"),
            StageState::Pending => ("pending", "·"),
            StageState::Failed => ("failed", "✗"),
        };
        html! {
            <li class={class} aria-current={(s.state == StageState::Current).then_some("step")}
                title={format!("{}()", s.function)}>
                <span class="mark" aria-hidden="true">{ mark }</span>
                <span class="stage-name">{ s.name }</span>
                <code>{ s.function }</code>
            </li>
        }
    };
    html! {
        <nav class="init-flow" data-testid="init-flow" aria-label="Device initialisation">
            <ol>{ for props.stages.iter().map(item) }</ol>
        </nav>
    }
}
