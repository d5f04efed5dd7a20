//! The top-level component: page layout and the state the components share.

use yew::prelude::*;

use crate::components::{BalloonOutline, TargetControls};

/// How many clicks take the balloon from deflated to its largest size.
pub const STEPS: u32 = 8;

/// The whole playground page.
#[component]
pub fn App() -> Html {
    let step = use_state(|| 0u32);
    let on_apply = {
        let step = step.clone();
        Callback::from(move |()| step.set((*step + 1).min(STEPS)))
    };
    let fill = f64::from(*step) / f64::from(STEPS);
    html! {
        <main class="playground" data-testid="playground">
            <h1>{ "Balloon Playground" }</h1>
            <p class="summary" data-testid="balloon-summary">
                { format!("Balloon at step {} of {STEPS}", *step) }
            </p>
            <BalloonOutline {fill} />
            <TargetControls {on_apply} at_max={*step >= STEPS} />
        </main>
    }
}
