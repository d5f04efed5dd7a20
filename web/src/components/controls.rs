//! Play / pause, the speed slider (log scale) and the step buttons.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::playback::{
    REAL_TIME_RATIOS, SLIDER_STEPS, pace_ratio, pace_value, slider_at, speed_at,
};
use crate::state::Action;
use crate::view_model::Fixed;

/// What [`controls`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct ControlsProps {
    /// Receives every operator action.
    pub on_action: Callback<Action>,
    /// Whether play is on.
    pub playing: bool,
    /// Play speed, events per second.
    pub speed: f64,
    /// Whether there is an event to step back over.
    pub can_step_back: bool,
    /// Why the last step did nothing.
    #[prop_or_default]
    pub idle: Option<String>,
    /// Whether play ramps up (the operator has not picked a speed).
    #[prop_or_default]
    pub ramp: bool,
    /// Real-time play: virtual time at this fraction of the wall clock.
    #[prop_or_default]
    pub real_time: Option<f64>,
    /// Virtual time of the shown state, ns.
    #[prop_or_default]
    pub now_ns: u64,
}

/// A speed for people: "20 events/s", "1.5k events/s".
pub fn speed_label(speed: f64) -> String {
    if speed >= 1000.0 {
        format!("{}k events/s", Fixed(speed / 1000.0, 1))
    } else {
        format!("{} events/s", Fixed(speed, 0))
    }
}

/// The transport buttons and the speed slider.
pub fn controls(props: &ControlsProps) -> Html {
    let button = |id: &'static str,
                  label: &'static str,
                  title: &'static str,
                  action: Action,
                  disabled: bool| {
        let on_action = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action.clone()));
        html! {
            <button type="button" data-testid={id} {title} {disabled} {onclick}>{ label }</button>
        }
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Ok(pos) = input.value().parse::<u32>() {
                on_action.emit(Action::SetSpeed(speed_at(pos)));
            }
        })
    };
    let on_play = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::TogglePlay))
    };
    let on_pace = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            let ratio = pace_ratio(&select.value());
            on_action.emit(Action::SetRealTime(ratio));
        })
    };
    let selected = props
        .real_time
        .map_or_else(|| "events".to_owned(), pace_value);
    let back = !props.can_step_back;
    let (play_label, play_title) = if props.playing {
        ("‖ Pause", "Pause (space)")
    } else {
        ("▶ Play", "Play (space)")
    };
    html! {
        <div class="transport" role="group" aria-label="Stepping">
            <div class="buttons">
                { button("step-back-message", "« Back a message", "Back to the previous message (shift+←)", Action::StepBackMessage, back) }
                { button("step-back", "‹ Back an op", "One ring operation back (←)", Action::StepBack, back) }
                <button type="button" class="play" data-testid="play" title={play_title}
                    aria-pressed={props.playing.to_string()}
                    onclick={on_play}>
                    { play_label }
                </button>
                { button("step", "Step an op ›", "One ring operation (→)", Action::StepOp, false) }
                { button("step-message", "Step a message »", "One message round trip (shift+→)", Action::StepMessage, false) }
                { button("run-to-quiet", "Run to end", "Until no work is left", Action::RunToQuiet, false) }
                { button("reset", "Reset", "A freshly booted machine", Action::Reset, false) }
            </div>
            if let Some(msg) = &props.idle {
                <p class="idle" role="status" data-testid="transport-status">{ msg }</p>
            }
            // One row: how play moves (event by event, or in virtual time at a fraction of
            // real time), then the events-per-second slider that the first choice uses.
            <div class="speed">
                <label class="pace">
                    <span>{ "Play" }</span>
                    <select data-testid="pace" onchange={on_pace}
                        title="Event by event at the speed set, or in virtual time at a fraction of real time">
                        <option value="events" selected={props.real_time.is_none()}>
                            { "event by event" }</option>
                        { for REAL_TIME_RATIOS.iter().map(|(r, label)| html! {
                            <option value={pace_value(*r)} selected={selected == pace_value(*r)}>
                                { *label }</option>
                        }) }
                    </select>
                </label>
                <label class="speed-slider">
                    <span>{ "Speed" }</span>
                    <input type="range" data-testid="speed" min="0" max={SLIDER_STEPS.to_string()}
                        value={slider_at(props.speed).to_string()} oninput={on_speed}
                        disabled={props.real_time.is_some()}
                        aria-valuetext={speed_label(props.speed)} />
                </label>
                <output data-testid="speed-value">
                    if props.real_time.is_some() {
                        { format!("virtual t = {}", crate::components::timeline::seconds(props.now_ns)) }
                    } else {
                        { speed_label(props.speed) }
                        if props.ramp { { ", then faster" } }
                    }
                </output>
            </div>
        </div>
    }
}
