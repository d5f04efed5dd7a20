//! The hooks every playing page needs, in one call: the play loop, the keyboard shortcuts,
//! auto-pause and the share link in the address bar (one VM's page and the host page).

use yew::prelude::*;

use super::play_loop::{PlayFrame, use_play_loop};
use super::share_hash::{ShareScene, use_share_hash};
use super::{use_auto_pause, use_keyboard_shortcuts};
use crate::state::PageAction;

/// How a page plays: what [`use_play_loop`] follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaySettings {
    /// Whether play is on.
    pub playing: bool,
    /// Events per second.
    pub speed: f64,
    /// Whether the speed ramps up (the operator has not picked one).
    pub ramp: bool,
    /// Real-time play: virtual time at this fraction of the wall clock.
    pub real_time: Option<f64>,
}

/// A page state that plays.
pub trait Plays {
    /// Its play settings.
    fn play_settings(&self) -> PlaySettings;
}

/// Play (and its frame times), shortcuts, auto-pause and the share link for `state`'s page.
#[hook]
pub fn use_scene<S>(state: &UseReducerHandle<S>)
where
    S: ShareScene + Plays,
    S::Action: From<PlayFrame> + PageAction,
{
    let p = state.play_settings();
    let dispatcher = state.dispatcher();
    use_play_loop(p.playing, p.speed, p.ramp, p.real_time, dispatcher.clone());
    use_keyboard_shortcuts(dispatcher.clone());
    use_auto_pause(dispatcher.clone());
    use_share_hash(state, dispatcher);
}
