//! The top-level component: page layout over the one simulated session, and the hooks that tie
//! it to the browser (play loop, shortcuts, share link, auto-pause).

use yew::prelude::*;

use crate::browser;
use crate::components::{
    BalloonOutlineProps, BytePanel, ConfigPanelProps, Console, ControlsProps, ExplanationProps,
    ForkQuestionProps, GuidanceProps, Help, HostMemoryLine, InitFlowProps, MemoryMapProps,
    PresetsMenu, QueuePanelsProps, SessionFileProps, StatsChartProps, TargetControls,
    TimelineProps, TranscriptProps, Workload, balloon_view, book_link, config_view, controls,
    explanation_panel, fork_notice, guidance, init_flow_view, memo, memory_map_view,
    queue_panels_view, session_file, stats_chart_view, timeline, transcript_view,
};
use crate::hooks::{
    RingFocus, use_byte_view, use_detail, use_painted_once, use_ring_focus_state, use_scene,
};
use crate::state::{Action, AppState};
use crate::view_model as vm;

/// How long a preset load waits for the page to paint its message (a frame or two).
const LOAD_PAINT_DELAY_MS: u32 = 40;
/// The pause between two slices of a load: one frame, for the progress line and for input.
const LOAD_SLICE_GAP_MS: u32 = 16;

/// The whole playground page.
#[component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::from_fragment(&browser::location_hash()));
    let dispatcher = state.dispatcher();
    use_scene(&state);
    use_effect_with((), |_| browser::mark_first_render());

    {
        // A preset runs to its end when loaded, which takes seconds on a 64 GiB guest: let the
        // page paint its "loading" line first, then a frame between slices.
        let dispatcher = dispatcher.clone();
        use_effect_with(
            (state.loading.clone(), state.load_progress),
            move |(loading, progress)| {
                let delay = if progress.is_some() {
                    LOAD_SLICE_GAP_MS
                } else {
                    LOAD_PAINT_DELAY_MS
                };
                let timer = loading.is_some().then(|| {
                    gloo_timers::callback::Timeout::new(delay, move || {
                        dispatcher.dispatch(Action::FinishLoad)
                    })
                });
                move || drop(timer)
            },
        );
    }
    // One callback for the page's life, so components whose other props did not change skip
    // their render while playing.
    let on_action = use_callback((), move |a, _| dispatcher.dispatch(a));
    // One callback for the page's life: the session is shared by every state.
    let script = {
        let state = (*state).clone();
        use_callback((), move |(), _| state.session().timeline_script())
    };
    let s = state.session();
    let b = s.balloon();
    let index = s.current_index();
    let count = s.event_count();
    let event = index
        .checked_sub(1)
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| s.events().get(i))
        .map(|ev| (ev.sentence(), ev.function()));
    let event_ns = vm::current_event(&s).map(|ev| ev.time_ns);
    let spec = vm::current_event(&s).and_then(|ev| ev.spec());
    let detail = use_detail(&s, state.playing, state.speed);
    // The byte panel is the deepest level of detail: closed until asked for, so a newcomer's
    // page (and its Tab order) stays short and no step pays for a view nobody looks at.
    let bytes_open = use_state(|| false);
    let bytes = use_byte_view(&s, *bytes_open, state.playing, state.speed);
    let on_bytes_toggle = {
        let bytes_open = bytes_open.clone();
        Callback::from(move |e: Event| {
            if let Some(d) = e.target_dyn_into::<web_sys::HtmlDetailsElement>() {
                bytes_open.set(d.open());
            }
        })
    };
    let ring_focus = use_ring_focus_state();
    // The panels below the fold (transcript, config space, guest memory, stats chart) join a
    // frame after the first paint: building their DOM in the first render delayed the whole
    // first view.
    let painted = use_painted_once();
    let fork_question = state
        .pending_fork
        .as_ref()
        .map(|a| AttrValue::from(state.fork_question(a)));
    html! {
        <main class="playground" data-testid="playground">
            <header class="topbar">
                <h1>{ "Balloon Playground" }</h1>
                <nav class="topbar-actions" aria-label="Session">
                    <PresetsMenu on_action={on_action.clone()} />
                    { session_file(&SessionFileProps { on_action: on_action.clone(), script }) }
                    <button type="button" class="help-button" data-testid="help-open"
                        title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts"
                        onclick={let a = on_action.clone(); move |_: MouseEvent| a.emit(Action::ToggleHelp)}>
                        { "?" }
                    </button>
                </nav>
            </header>
            if let Some(name) = &state.loading {
                <div class="notice" role="status" data-testid="loading">
                    { match state.load_progress {
                        Some((done, total, events)) => format!(
                            "Loading preset {name}: line {done} of {total}, {events} events so far…"),
                        None => format!("Loading preset {name}: its whole run is computed first…"),
                    } }
                    if let Some((done, total, _)) = state.load_progress {
                        <progress max={total.to_string()} value={done.to_string()}
                            aria-label="Preset loaded"></progress>
                    }
                </div>
            }
            if let Some(msg) = &state.notice {
                <div class="notice" role="status" data-testid="notice">
                    <span>{ msg }</span>
                    <button type="button" aria-label="Dismiss"
                        onclick={let a = on_action.clone(); move |_: MouseEvent| a.emit(Action::DismissNotice)}>
                        { "×" }
                    </button>
                </div>
            }
            if let Some(question) = fork_question {
                { fork_notice(&ForkQuestionProps { on_action: on_action.clone(), question }) }
            }
            <section class="stage" aria-label="Balloon and guest RAM">
                <p class="summary" data-testid="balloon-summary">
                    { "Guest RAM: " }<span data-testid="ram-pages">{ b.ram_pages() }</span>
                    { format!(" pages of 4 KiB ({} MiB)", b.ram_size >> 20) }
                </p>
                { memo(BalloonOutlineProps { balloon: vm::BalloonModel::from_session(&s) }, balloon_view) }
            </section>
            <section class="operate" aria-label="Controls">
                { controls(&ControlsProps { on_action: on_action.clone(), playing: state.playing,
                    speed: state.speed, ramp: state.ramp, real_time: state.real_time,
                    now_ns: s.now_ns(), can_step_back: index > 0, idle: state.idle.clone() }) }
                if let Some(text) = &state.guidance {
                    { guidance(&GuidanceProps { on_action: on_action.clone(), text: AttrValue::from(text.clone()) }) }
                }
                <TargetControls on_action={on_action.clone()} ram_bytes={b.ram_size}
                    error={state.error.clone()} />
                { timeline(&TimelineProps { on_action: on_action.clone(), index, count, now_ns: s.now_ns() }) }
                <Workload on_action={on_action.clone()} />
            </section>
            // The console comes right after the controls in the document, as it does on screen
            // from 56rem to 100rem (the side column): the keyboard reaches it before the
            // read-only panels, and a screen reader meets the operating parts together.
            <section class="console-area" aria-label="Console and transcript">
                <Console on_action={on_action.clone()} lines={state.console.clone()} />
                { book_link("commands", "The command language and the CLI") }
                <p class="book-link">
                    <a href="?trace" data-testid="open-trace">{ "Open a real QEMU trace" }</a>
                    { " and set it beside the simulator" }
                </p>
                if painted {
                    { memo(TranscriptProps { lines: detail.transcript.clone() }, transcript_view) }
                }
            </section>
            <ContextProvider<RingFocus> context={ring_focus}>
            <section class="panels" aria-label="Device and driver">
                { explanation_panel(&ExplanationProps { index, event, spec, time_ns: event_ns, playing: state.playing }) }
                { memo(InitFlowProps { stages: detail.stages.clone() }, init_flow_view) }
                { memo(QueuePanelsProps { queues: detail.queues.clone() }, queue_panels_view) }
                <details class="bytes-disclosure" data-testid="bytes-details"
                    open={*bytes_open} ontoggle={on_bytes_toggle}>
                    <summary>{ "bytes: rings, buffers and config space in guest memory" }</summary>
                    if *bytes_open {
                        <BytePanel {bytes} frozen={crate::hooks::byte_view::frozen(state.playing, state.speed)} />
                    }
                </details>
                if painted {
                    { memo(ConfigPanelProps { config: detail.config.clone() }, config_view) }
                    { memo(MemoryMapProps { cells: detail.cells.clone(), host: HostMemoryLine {
                        resident_bytes: b.host_resident_bytes,
                        vmm_overhead_bytes: b.vmm_overhead_bytes,
                        saved_bytes: b.saved_bytes,
                    } }, memory_map_view) }
                    { memo(StatsChartProps { chart: detail.chart.clone() }, stats_chart_view) }
                }
            </section>
            </ContextProvider<RingFocus>>
            if state.help {
                <Help on_action={on_action.clone()} />
            }
        </main>
    }
}
