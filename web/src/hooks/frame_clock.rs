//! The frame timer behind `window.__balloonFrameMs`: how long one animation frame of play takes,
//! from its `requestAnimationFrame` callback to the rendered page, and the back-pressure that
//! keeps the next frame's work from starting while that render is still pending.
//!
//! Why a render can still be pending at the next animation frame: the reducer runs inside
//! `dispatch`, but yew renders from a microtask, and its scheduler (yew 0.23 `scheduler.rs`,
//! `run_scheduler`, `YIELD_DEADLINE_MS = 16`) hands the rest of a render that ran past 16 ms to
//! a `setTimeout`, so the browser may run the next animation frame before the effects. A timer
//! that restarted at that frame would record the late render against the newer start and never
//! the frame's whole length; play that stepped again would pile more work on the late render.
//! (Headless Chromium ran yew's timeout first every time this was counted: no animation frame
//! found a render still pending in ten seconds of the 64 GiB preset at full speed. The wait
//! guarantees what the figure means; it did not change the figure there.)

use std::cell::Cell;

/// How long play waits for a pending render before it steps again anyway, so a render that
/// never completes cannot stall play (a bound, not a budget: frames run well under it).
pub const MAX_PENDING_MS: f64 = 250.0;

/// One frame of play's timer: which frame is waiting for its render, and since when.
#[derive(Debug, Default)]
pub struct FrameClock {
    /// When the oldest frame whose work has not rendered yet started.
    pending: Cell<Option<f64>>,
    /// Whether the page began rendering since the pending frame's work was dispatched.
    render_began: Cell<bool>,
}

impl FrameClock {
    /// At an animation frame at `now`: whether play may dispatch this frame's work. No while
    /// a render of earlier work is under way (for at most [`MAX_PENDING_MS`]).
    pub fn may_step(&self, now: f64) -> bool {
        let Some(started) = self.pending.get() else {
            return true;
        };
        if !self.render_began.get() {
            // The reducer changed nothing (e.g. a real-time frame with no event due): the
            // render never comes, and that frame is not one to record.
            self.pending.set(None);
            return true;
        }
        now - started >= MAX_PENDING_MS
    }

    /// The frame's work is about to be dispatched, at `now`. A frame still pending (play
    /// stepped on at the bound) keeps its start: the render that comes ends both.
    pub fn dispatching(&self, now: f64) {
        if self.pending.get().is_none() {
            self.pending.set(Some(now));
            self.render_began.set(false);
        }
    }

    /// The page's render began (the playing component's body ran).
    pub fn render_began(&self) {
        if self.pending.get().is_some() {
            self.render_began.set(true);
        }
    }

    /// The page rendered, at `now`: the frame time to record, if a frame was waiting for it.
    pub fn rendered(&self, now: f64) -> Option<f64> {
        if !self.render_began.replace(false) {
            return None;
        }
        self.pending.take().map(|started| now - started)
    }

    /// Play stopped: no frame is waiting any more.
    pub fn reset(&self) {
        self.pending.set(None);
        self.render_began.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_that_outlives_the_next_animation_frame_is_timed_from_its_own_frame() {
        // Frame at 0 ms dispatches; yew renders, yields past 16 ms, and the browser runs the
        // next animation frame at 16.7 ms before the effects finish at 40 ms. The frame took
        // 40 ms: a timer restarted at 16.7 ms would record 23.3 ms.
        let c = FrameClock::default();
        assert!(c.may_step(0.0));
        c.dispatching(0.0);
        c.render_began();
        assert!(!c.may_step(16.7), "no new work while the render is pending");
        assert_eq!(c.rendered(40.0), Some(40.0));
        assert!(c.may_step(50.0));
    }

    #[test]
    fn work_that_renders_nothing_records_nothing_and_does_not_hold_play() {
        let c = FrameClock::default();
        c.dispatching(0.0);
        // No render began before the next animation frame: the reducer returned its state.
        assert!(c.may_step(16.7));
        c.dispatching(16.7);
        c.render_began();
        assert_eq!(c.rendered(20.0), Some(20.0 - 16.7));
    }

    #[test]
    fn a_render_that_never_completes_holds_play_for_the_bound_only() {
        let c = FrameClock::default();
        c.dispatching(0.0);
        c.render_began();
        assert!(!c.may_step(MAX_PENDING_MS - 1.0));
        assert!(c.may_step(MAX_PENDING_MS));
        // Stepping on keeps the first start: the render that comes ends the whole wait.
        c.dispatching(MAX_PENDING_MS);
        c.render_began();
        assert_eq!(c.rendered(300.0), Some(300.0));
    }

    #[test]
    fn renders_without_a_frame_of_play_record_nothing() {
        let c = FrameClock::default();
        c.render_began();
        assert_eq!(c.rendered(5.0), None);
        c.dispatching(10.0);
        c.reset();
        c.render_began();
        assert_eq!(c.rendered(12.0), None);
        assert!(c.may_step(13.0));
    }
}
