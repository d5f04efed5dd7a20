//! The preset scripts shipped with `balloon_sim`, one choice loads one.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::state::Action;

/// The select's value for a host preset: `host:NAME`.
const HOST_PREFIX: &str = "host:";

/// What [`PresetsMenu`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct PresetsMenuProps {
    /// Receives `LoadPreset`.
    pub on_action: Callback<Action>,
}

/// A select of every preset (title, with the description as its tooltip), and beside it a
/// disclosure listing every preset with its description in view, each with a load button.
///
/// A component of its own, not a function the page calls: the page renders at every frame
/// while playing, and its one `on_action` callback never changes, so Yew skips these hundred
/// elements instead of rebuilding and diffing them each frame. The list inside the disclosure
/// is built when it is first opened: closed, nobody sees it, yet its item, button and
/// description per preset were built into the page's first render.
#[component]
pub fn PresetsMenu(props: &PresetsMenuProps) -> Html {
    let listed = use_state(|| false);
    let ontoggle = {
        let listed = listed.clone();
        Callback::from(move |e: Event| {
            if let Some(d) = e.target_dyn_into::<web_sys::HtmlDetailsElement>()
                && d.open()
            {
                listed.set(true);
            }
        })
    };
    let onchange = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            let name = select.value();
            // Back to the prompt, so choosing the same preset again reloads it.
            select.set_value("");
            if let Some(host) = name.strip_prefix(HOST_PREFIX) {
                // A host preset is a scene of several VMs: the host page shows it.
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_search(&format!("host={host}"));
                }
            } else if !name.is_empty() {
                on_action.emit(Action::LoadPreset(name));
            }
        })
    };
    let load = |name: &'static str| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::LoadPreset(name.to_owned())))
    };
    html! {
        <>
        <label class="presets">
            <span class="visually-hidden">{ "Presets" }</span>
            <select data-testid="presets" {onchange}>
                <option value="" selected=true>{ "Load a preset…" }</option>
                { for balloon_sim::presets::PRESETS.iter().map(|p| html! {
                    <option value={p.name} title={p.description()}>{ p.title() }</option>
                }) }
                <optgroup label="One host, several VMs">
                    { for balloon_sim::host::presets::HOST_PRESETS.iter().map(|p| html! {
                        <option value={format!("{HOST_PREFIX}{}", p.name)} title={p.description()}>{ p.title() }</option>
                    }) }
                </optgroup>
            </select>
        </label>
        <details class="preset-list" data-testid="preset-list" {ontoggle}>
            <summary>{ "What each preset shows" }</summary>
            if *listed {
                <ul>
                    { for balloon_sim::presets::PRESETS.iter().map(|p| html! {
                        <li>
                            <button type="button" data-testid={format!("preset-{}", p.name)}
                                onclick={load(p.name)}>{ p.title() }</button>
                            <span class="preset-description">{ p.description() }</span>
                        </li>
                    }) }
                </ul>
            }
        </details>
        </>
    }
}
