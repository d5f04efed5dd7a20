//! The host page's layout over [`HostState`]: the host bar and the VM cards, the shared
//! transport controls (play, speed, steps) with the host's "Run" buttons, the console, and
//! the selected VM's panels.

use std::rc::Rc;

use balloon_sim::StepSize;
use balloon_sim::host::HostDetail;
use balloon_sim::host::presets::HOST_PRESETS;
use balloon_sim::view::HostView;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::{HostAction, HostState};
use super::vm_panels::{SelectedVmProps, VmPanels, selected_vm_view};
use crate::components::{
    Console, ControlsProps, ExplanationProps, ForkQuestionProps, HostBarProps, VmCardsProps,
    controls, explanation_panel, fork_notice, host_bar, memo, vm_cards,
};
use crate::hooks::detail::FAST_PLAY;
use crate::hooks::{use_fresh, use_scene};
use crate::state::{Action, PageAction};
use crate::view_model as vm;
use crate::view_model::Fixed;

/// Virtual time the "Run" buttons pass.
const RUN_SHORT_NS: u64 = 1_000_000_000;
const RUN_LONG_NS: u64 = 10_000_000_000;

fn button(id: &str, text: &str, title: &str, on: Callback<MouseEvent>) -> Html {
    html! {
        <button type="button" data-testid={id.to_owned()} title={title.to_owned()} onclick={on}>
            { text.to_owned() }</button>
    }
}

/// Properties of [`HostPage`].
#[derive(Properties, PartialEq, Debug, Default)]
pub struct HostPageProps {
    /// The embed (`?embed=1&panels=host`): the host, its VMs, the controls and the
    /// explanation only.
    #[prop_or_default]
    pub compact: bool,
}

/// The page.
#[component]
pub fn HostPage(props: &HostPageProps) -> Html {
    let state = use_reducer(|| {
        let name = super::location_host_preset().unwrap_or_default();
        let hash = crate::browser::location_hash();
        HostState::from_location(&name, super::location_step(), &hash).unwrap_or_else(|e| {
            // The shipped presets always open: this is a build that lost them.
            panic!("host presets do not open: {e}")
        })
    });
    let dispatcher = state.dispatcher();
    use_scene(&state);
    // The shared components speak the single-VM page's actions.
    let on_action = {
        let d = dispatcher.clone();
        use_callback((), move |a: Action, _| {
            if let Some(a) = HostAction::from_page(a) {
                d.dispatch(a);
            }
        })
    };
    let act = |a: HostAction| {
        let d = dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(a.clone()))
    };
    let on_select = {
        let d = dispatcher.clone();
        Callback::from(move |i| d.dispatch(HostAction::Select(i)))
    };
    let on_seek = {
        let d = dispatcher.clone();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(k) = input.value().parse::<u64>() {
                d.dispatch(HostAction::Seek(k));
            }
        })
    };
    let on_preset = Callback::from(|e: Event| {
        let name = e.target_unchecked_into::<HtmlSelectElement>().value();
        if let Some(w) = web_sys::window() {
            // A new preset is a new scene: the old link goes with the old one.
            let _ = w.location().set_href(&format!("?host={name}"));
        }
    });
    let selected = state.selected;
    // The selected VM's panels, refreshed ten times a second while playing fast (as one VM's
    // page does): its stats series is read from the host's whole timeline.
    let fast = state.playing && (state.speed > FAST_PLAY || state.real_time.is_some());
    let panels = use_fresh(selected, fast, || VmPanels::of(&state.session(), selected));
    let s = state.session();
    let host = s.host();
    let view = HostView::of(host);
    let bar = vm::host_bar(&view);
    let cards: Vec<_> = view.vms.iter().map(vm::vm_card).collect();
    let names = s.names();
    let (index, count) = (s.current_index(), s.event_count());
    let current = s.current_event();
    let event = current
        .as_ref()
        .map(|ev| (ev.sentence(names), ev.function()));
    let spec = current.and_then(|e| match &e.detail {
        HostDetail::Vm { event, .. } => event.spec(),
        _ => None,
    });
    let selected = selected.min(cards.len().saturating_sub(1));
    let chosen = host.vms().get(selected);
    let compact = props.compact;
    let fork_question = state.fork_question().map(AttrValue::from);
    html! {
        <main class={classes!("playground", "host-page", compact.then_some("host-embed"))}
            data-testid="host-page">
            if compact {
                <h1 class="visually-hidden">{ format!("One host: {}", state.title()) }</h1>
            } else {
            <header class="topbar">
                <h1>{ "Balloon Playground: one host" }</h1>
                <nav class="topbar-actions" aria-label="Session">
                    <label class="presets">
                        <span class="visually-hidden">{ "Host presets" }</span>
                        <select data-testid="host-presets" onchange={on_preset}>
                            if state.preset.is_empty() {
                                <option value="" selected=true>{ state.title() }</option>
                            }
                            { for HOST_PRESETS.iter().map(|p| html! {
                                <option value={p.name} selected={p.name == state.preset}>{ p.title() }</option>
                            }) }
                        </select>
                    </label>
                    <a class="button" href="./" data-testid="open-single">{ "One VM" }</a>
                </nav>
            </header>
            }
            if let Some(msg) = &state.notice {
                <div class="notice" role="status" data-testid="notice">
                    <span>{ msg }</span>
                    <button type="button" aria-label="Dismiss"
                        onclick={act(HostAction::DismissNotice)}>{ "×" }</button>
                </div>
            }
            if let Some(question) = fork_question {
                { fork_notice(&ForkQuestionProps { on_action: on_action.clone(), question }) }
            }
            <section class="stage host-stage" aria-label="Host and its VMs">
                <p class="summary" data-testid="host-title">{ state.title() }</p>
                { host_bar(&HostBarProps { bar }) }
                { vm_cards(&VmCardsProps { cards, selected, on_select }) }
            </section>
            <section class="operate host-controls" aria-label="Controls">
                { controls(&ControlsProps { on_action: on_action.clone(), playing: state.playing,
                    speed: state.speed, ramp: state.ramp, real_time: state.real_time,
                    now_ns: view.now_ns, can_step_back: index > 0, idle: None }) }
                <div class="controls" role="group" aria-label="Run the host">
                    { button("host-run-1s", "Run 1 s", "Virtual time passes 1 s", act(HostAction::Step(StepSize::For(RUN_SHORT_NS)))) }
                    { button("host-run-10s", "Run 10 s", "Virtual time passes 10 s", act(HostAction::Step(StepSize::For(RUN_LONG_NS)))) }
                </div>
                <label class="timeline">
                    <span data-testid="host-position">{ format!("Event {index} of {count} · {} s",
                        Fixed(view.now_ns as f64 / 1e9, 1)) }</span>
                    <input type="range" min="0" max={count.to_string()} value={index.to_string()}
                        data-testid="host-timeline" aria-label="Event" oninput={on_seek} />
                </label>
            </section>
            if !compact {
                <section class="console-area" aria-label="Console">
                    <Console on_action={on_action.clone()} lines={Rc::clone(&state.console)}
                        placeholder="@db balloon 2048 · @web guest alloc 1G · host policy mom 1s · run 2s"
                        label="Host console: @NAME followed by a monitor or guest line, host policy off|mom, run, step" />
                </section>
            }
            <section class="panels" aria-label="The selected VM">
                { explanation_panel(&ExplanationProps { index, event, spec, time_ns: None, playing: false }) }
                if compact {
                    <a class="embed-open" data-testid="host-embed-open" target="_blank" rel="noopener"
                        href={format!("index.html#{}", state.fragment())}>
                        { "Open in the playground" }</a>
                } else if let Some(v) = chosen {
                    <h2 data-testid="selected-vm">{ format!("VM {}", v.name()) }</h2>
                    if let Some(p) = (*panels).clone() {
                        { memo(SelectedVmProps { panels: Rc::new(p) }, selected_vm_view) }
                    } else {
                        <p data-testid="selected-vm-gone">{ format!(
                            "The host's OOM killer killed {}'s QEMU process: its rings and its balloon are gone with it.",
                            v.name()) }</p>
                    }
                }
            </section>
        </main>
    }
}
