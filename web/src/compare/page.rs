//! The compare page's layout over [`CompareState`].

use balloon_sim::compare::profiles::side_label;
use balloon_sim::presets::PRESETS;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::state::{CompareAction, CompareState};
use super::{CompareSideProps, DifferencesProps, compare_side, differences, model};
use crate::components::{RunCompareProps, run_compare};

/// The sides the pickers offer: each VMM, and QEMU with deflate-on-oom on and off.
const SIDE_CHOICES: [&str; 6] = [
    "qemu",
    "cloud-hypervisor",
    "firecracker",
    "crosvm",
    "qemu:deflate-on-oom=on",
    "qemu:deflate-on-oom=off",
];

/// Properties of [`ComparePage`].
#[derive(Properties, PartialEq, Debug, Default)]
pub struct ComparePageProps {
    /// The embed: no header or run chart, a link to open the whole view.
    #[prop_or_default]
    pub compact: bool,
}

fn go(query: String) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_search(&query);
    }
}

fn picker(id: &'static str, label: &'static str, chosen: &str, on: Callback<Event>) -> Html {
    let known = SIDE_CHOICES.contains(&chosen);
    html! {
        <label class="presets">
            <span>{ label }</span>
            <select data-testid={id} onchange={on}>
                if !known {
                    <option value={chosen.to_owned()} selected=true>{ side_label(chosen) }</option>
                }
                { for SIDE_CHOICES.iter().map(|c| html! {
                    <option value={*c} selected={*c == chosen}>{ side_label(c) }</option>
                }) }
            </select>
        </label>
    }
}

/// The page.
#[component]
pub fn ComparePage(props: &ComparePageProps) -> Html {
    let state = use_reducer(|| {
        CompareState::open(super::location_link()).unwrap_or_else(|e| {
            // The link is checked before it runs and the presets always run: a build that
            // lost them.
            panic!("the comparison does not open: {e}")
        })
    });
    let act = |a: CompareAction| {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| d.dispatch(a))
    };
    let on_seek = {
        let d = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(k) = input.value().parse::<u64>() {
                d.dispatch(CompareAction::Seek(k));
            }
        })
    };
    let link = state.link.clone();
    let relink = |which: usize| {
        let link = link.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut l = (*link).clone();
            match which {
                0 | 1 => l.sides[which] = v,
                _ => {
                    if let Some(p) = balloon_sim::presets::get(&v) {
                        l.preset = p.name;
                    }
                }
            }
            go(format!("{}{}", l.query_without_step(), compact_suffix()));
        })
    };
    let [ma, mb] = {
        let (a, b) = (state.session(0), state.session(1));
        model::sides([&state.labels[0], &state.labels[1]], &a, &b)
    };
    let (index, count) = (state.index, state.count);
    let labels = state.labels.clone().map(AttrValue::from);
    let compact = props.compact;
    html! {
        <main class={classes!("playground", "compare-page", compact.then_some("compare-embed"))}
            data-testid="compare-page">
            if compact {
                <h1 class="visually-hidden">{ format!("{} and {} compared", labels[0], labels[1]) }</h1>
            } else {
                <header class="topbar">
                    <h1>{ "Balloon Playground: two VMMs, one guest" }</h1>
                    <nav class="topbar-actions" aria-label="Comparison">
                        { picker("compare-a", "A", &link.sides[0], relink(0)) }
                        { picker("compare-b", "B", &link.sides[1], relink(1)) }
                        <label class="presets">
                            <span>{ "Guest script" }</span>
                            <select data-testid="compare-preset" onchange={relink(2)}>
                                { for PRESETS.iter().map(|p| html! {
                                    <option value={p.name} selected={p.name == link.preset}>{ p.title() }</option>
                                }) }
                            </select>
                        </label>
                        <a class="button" href="./" data-testid="open-single">{ "One VM" }</a>
                    </nav>
                </header>
            }
            if let Some(msg) = &state.notice {
                <div class="notice" role="status" data-testid="notice"><span>{ msg }</span></div>
            }
            <section class="operate compare-controls" aria-label="Controls">
                <div class="controls" role="group" aria-label="Step both sides">
                    <button type="button" data-testid="compare-back" title="Both sides one event back"
                        onclick={act(CompareAction::Back)}>{ "‹ Back" }</button>
                    <button type="button" data-testid="compare-step" title="Both sides one event on"
                        onclick={act(CompareAction::Step)}>{ "Step both" }</button>
                    <button type="button" data-testid="compare-first" title="Where the two runs first differ"
                        onclick={act(CompareAction::FirstDifference)}>{ "First difference" }</button>
                </div>
                <label class="timeline">
                    <span data-testid="compare-position">{ format!("Event {index} of {count}, both sides") }</span>
                    <input type="range" min="0" max={count.to_string()} value={index.to_string()}
                        data-testid="compare-timeline" aria-label="Event, both sides" oninput={on_seek} />
                </label>
            </section>
            <p class="compare-legend">
                <span class="differs">{ "highlighted" }</span>{ ": differs from the other side at this event; " }
                <span class="only-here">{ "dashed" }</span>{ ": the other side has none (a config byte, a queue)." }
            </p>
            <div class="compare-sides">
                { compare_side(&CompareSideProps { letter: "A", side: ma }) }
                { compare_side(&CompareSideProps { letter: "B", side: mb }) }
            </div>
            { differences(&DifferencesProps { labels: labels.clone(), comparison: state.events.clone(),
                on_go: act(CompareAction::FirstDifference), only_differing: compact }) }
            if compact {
                <a class="embed-open" data-testid="compare-embed-open" target="_blank" rel="noopener"
                    href={format!("index.html?{}", link.query(index))}>{ "Open in the playground" }</a>
            } else {
                { run_compare(&RunCompareProps { a: state.series[0].clone(), b: state.series[1].clone(),
                    comparison: state.runs.clone() }) }
            }
        </main>
    }
}

/// `&embed=1` when the page is an embed, so a picker keeps it one.
fn compact_suffix() -> &'static str {
    if crate::embed::location_wants_embed() {
        "&embed=1"
    } else {
        ""
    }
}
