//! Guest workload: a process allocates or frees memory, the page cache grows, memory is
//! touched. Each button sends the matching `guest …` line, so OOM (deflate-on-oom) and free
//! page reporting can be provoked and its replies land in the console.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;

/// Properties of [`Workload`].
#[derive(Properties, PartialEq, Debug)]
pub struct WorkloadProps {
    /// Receives the `guest …` lines.
    pub on_action: Callback<Action>,
}

/// The `guest` verbs, with what they mean to the guest.
const VERBS: [(&str, &str, &str); 4] = [
    (
        "alloc",
        "Allocate",
        "A process allocates anonymous memory (may hit OOM)",
    ),
    ("free", "Free", "A process frees anonymous memory"),
    (
        "cache",
        "Cache",
        "File reads grow the page cache (reclaimable pressure)",
    ),
    (
        "touch",
        "Touch",
        "Free memory is written, so the host must back it again",
    ),
];

/// The size field and one button per verb.
#[component]
pub fn Workload(props: &WorkloadProps) -> Html {
    let size = use_state(|| "256M".to_owned());
    let oninput = {
        let size = size.clone();
        Callback::from(move |e: InputEvent| {
            size.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    html! {
        <fieldset class="workload">
            <legend>{ "Guest workload" }</legend>
            <input type="text" data-testid="workload-size" aria-label="Size (e.g. 256M, 1G)"
                value={(*size).clone()} {oninput} />
            { for VERBS.iter().map(|&(verb, label, title)| {
                let on_action = props.on_action.clone();
                let size = size.clone();
                let onclick = Callback::from(move |_: MouseEvent| {
                    // The size is checked by the command language; a bad one prints its error.
                    on_action.emit(Action::Console(format!("guest {verb} {}", size.trim())));
                });
                html! {
                    <button type="button" data-testid={format!("guest-{verb}")} {title} {onclick}>
                        { label }
                    </button>
                }
            }) }
        </fieldset>
    }
}
