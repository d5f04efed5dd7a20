//! The compact playground for embedding (`?embed=1`): the balloon, one or more ring panels and
//! the step buttons, without page chrome, sized by its container.
//!
//! An embed is a guest on someone else's page: it never reads or writes localStorage and never
//! rewrites the URL. Its state lives in the component and, for the full playground, in the
//! link it offers ("open in the full playground", a share fragment of the current frame).

pub mod options;
pub mod rings;
pub mod state;

use balloon_sim::command::QueueName;
use balloon_sim::share::{self, ShareState};
use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::components::{
    BalloonOutlineProps, BytePanel, ExplanationProps, balloon_view, explanation_panel, memo,
};
use crate::hooks::{RingFocus, use_byte_view, use_ring_focus_state};
use crate::view_model::BalloonModel;
pub use options::EmbedOptions;
use rings::{RingNumbers, RingPanelProps, ring_panel};
pub use state::{EmbedAction, EmbedState};

/// Milliseconds between two steps while playing.
pub const PLAY_INTERVAL_MS: u32 = 250;

/// Properties of [`Embed`].
#[derive(Properties, PartialEq, Debug)]
pub struct EmbedProps {
    /// The session and the frame to start at.
    pub share: ShareState,
    /// The rings shown.
    #[prop_or_else(|| vec![QueueName::Ivq])]
    pub panels: Vec<QueueName>,
    /// Whether the byte panel is shown.
    #[prop_or(false)]
    pub bytes: bool,
    /// Whether the step buttons are shown.
    #[prop_or(true)]
    pub controls: bool,
    /// The full playground's address (without fragment); no link when absent.
    #[prop_or_default]
    pub playground_url: Option<AttrValue>,
    /// What was wrong with the embed's link, shown above it.
    #[prop_or_default]
    pub problems: Vec<String>,
    /// Receives the embed's action callback once it is mounted (for the JS handle).
    #[prop_or_default]
    pub on_ready: Option<Callback<Callback<EmbedAction>>>,
}

/// One embedded playground with its own session.
#[component]
pub fn Embed(props: &EmbedProps) -> Html {
    let share_at_mount = props.share.clone();
    let state = use_reducer(move || EmbedState::new(&share_at_mount));
    {
        let dispatcher = state.dispatcher();
        let on_ready = props.on_ready.clone();
        use_effect_with((), move |_| {
            if let Some(on_ready) = on_ready {
                on_ready.emit(dispatcher.to_callback());
            }
        });
    }
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.playing, move |&playing| {
            let timer = playing.then(|| {
                Interval::new(PLAY_INTERVAL_MS, move || {
                    dispatcher.dispatch(EmbedAction::Tick)
                })
            });
            // Dropping the interval cancels it: pausing or unmounting stops the steps.
            move || drop(timer)
        });
    }

    let session = state.session();
    let s = &*session;
    let index = s.current_index();
    // Hooks run on every render; the byte view is only read when its panel is shown.
    let ring_focus = use_ring_focus_state();
    let bytes = use_byte_view(s, props.bytes, state.playing, 0.0);
    let event = index
        .checked_sub(1)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| s.events().get(i))
        .map(|ev| (ev.sentence(), ev.function()));
    let button = |id: &'static str, label: &'static str, title: &'static str, a: EmbedAction| {
        let dispatcher = state.dispatcher();
        let onclick = Callback::from(move |_: MouseEvent| dispatcher.dispatch(a));
        html! { <button type="button" data-testid={id} {title} {onclick}>{ label }</button> }
    };
    let link = props.playground_url.as_ref().map(|base| {
        let href = format!("{base}#{}", share::encode(&state.share()));
        html! {
            <a class="embed-open" data-testid="embed-open" href={href} target="_blank"
                rel="noopener">{ "open in the full playground ↗" }</a>
        }
    });
    let problems = props.problems.iter().chain(state.app.error.iter());

    html! {
        <main class="embed" data-testid="embed">
            <h1 class="visually-hidden">{ "Balloon Playground" }</h1>
            { for problems.map(|p| html! { <p class="embed-problem" role="alert">{ p }</p> }) }
            <div class="embed-body">
                <div class="embed-balloon">
                    { memo(BalloonOutlineProps { balloon: BalloonModel::from_session(s) }, balloon_view) }
                    <p class="embed-numbers">
                        { format!("num_pages {}, actual {}", s.balloon().num_pages, s.balloon().actual) }
                    </p>
                </div>
                <div class="embed-rings">
                    { for props.panels.iter().map(|&q| html! {
                        { ring_panel(&RingPanelProps { ring: RingNumbers::of(s, q) }) }
                    }) }
                </div>
            </div>
            if props.bytes {
                <ContextProvider<RingFocus> context={ring_focus}>
                    <BytePanel {bytes} />
                </ContextProvider<RingFocus>>
            }
            { explanation_panel(&ExplanationProps { index, event, spec: None, time_ns: None, playing: state.playing }) }
            <div class="embed-bar">
                if props.controls {
                    <div class="controls embed-controls">
                        { button("embed-step-back", "◀", "one ring operation back", EmbedAction::StepBack) }
                        { button("embed-step", "Step ▶", "one ring operation", EmbedAction::Step) }
                        { button("embed-step-message", "Message ▶▶", "to the end of this message", EmbedAction::StepMessage) }
                        if state.playing {
                            { button("embed-pause", "Pause", "stop playing", EmbedAction::Pause) }
                        } else {
                            { button("embed-play", "Play", "step on a timer", EmbedAction::Play) }
                        }
                        { button("embed-reset", "Reset", "back to the linked frame", EmbedAction::Reset) }
                    </div>
                }
                <span class="embed-index">
                    { "event " }<span data-testid="embed-index">{ index }</span>
                    { format!(" of {}", s.event_count()) }
                </span>
                { for link }
            </div>
        </main>
    }
}

/// Mounts an [`Embed`] on the page's body from the page's own URL (`?embed=1&panels=…#v=1&…`).
pub fn mount_from_location() {
    let location = web_sys::window().map(|w| w.location());
    let search = location
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let hash = location
        .as_ref()
        .and_then(|l| l.hash().ok())
        .unwrap_or_default();
    let query = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let get = |key: &str| query.as_ref().and_then(|q| q.get(key));
    let options = options::parse(get("panels").as_deref(), get("controls").as_deref(), &hash);
    // The full playground is this same page without the query. Not built from
    // `location.origin`: in a sandboxed frame the origin is opaque and reads "null".
    let playground_url = location.and_then(|l| l.href().ok()).map(|href| {
        let page = href.split(['?', '#']).next().unwrap_or_default();
        AttrValue::from(page.to_owned())
    });
    let props = EmbedProps {
        share: options.share,
        panels: options.panels,
        bytes: options.bytes,
        controls: options.controls,
        playground_url,
        problems: options.problems,
        on_ready: None,
    };
    yew::Renderer::<Embed>::with_props(props).render();
}

/// Whether the page's URL asks for the embed (`?embed=1`).
pub fn location_wants_embed() -> bool {
    options::wants_embed(
        crate::browser::location_query()
            .and_then(|q| q.get("embed"))
            .as_deref(),
    )
}
