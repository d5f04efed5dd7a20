//! Play: one `Advance` per animation frame, sized by the speed and time-boxed, so the page
//! stays responsive at any speed and on any guest size.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_render::{AnimationFrame, request_animation_frame};
use yew::prelude::*;

use super::frame_clock::FrameClock;
use crate::playback::{FRAME_BUDGET_MS, Pacer};
use crate::state::Action;
use crate::{browser, clock};

/// One animation frame of play, for any page's reducer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlayFrame {
    /// At most `events` events, stepping until `deadline_ms`.
    Events {
        /// Events due at the play speed.
        events: u64,
        /// When the frame's stepping budget runs out.
        deadline_ms: f64,
    },
    /// The play clock moves `ns` of virtual time; every event due by then runs.
    Time {
        /// Virtual ns the frame adds to the play clock.
        ns: u64,
        /// When the frame's stepping budget runs out.
        deadline_ms: f64,
    },
}

impl From<PlayFrame> for Action {
    fn from(f: PlayFrame) -> Self {
        match f {
            PlayFrame::Events {
                events,
                deadline_ms,
            } => Action::Advance {
                events,
                deadline_ms,
            },
            PlayFrame::Time { ns, deadline_ms } => Action::AdvanceTime { ns, deadline_ms },
        }
    }
}

struct Loop<R: Reducible> {
    dispatch: UseReducerDispatcher<R>,
    speed: Rc<Cell<f64>>,
    /// Real-time play: virtual time at this fraction of the wall clock.
    real_time: Rc<Cell<Option<f64>>>,
    ramp: bool,
    frame: Rc<FrameClock>,
    pacer: RefCell<Pacer>,
    /// The requested frame, and the one before it: a handle is dropped only once its callback
    /// has returned (dropping cancels it, and must not free the closure that is running).
    frames: RefCell<(Option<AnimationFrame>, Option<AnimationFrame>)>,
    stopped: Cell<bool>,
}

impl<R: Reducible + 'static> Loop<R>
where
    R::Action: From<PlayFrame>,
{
    fn schedule(self: &Rc<Self>) {
        let me = Rc::clone(self);
        let next = request_animation_frame(move |ts| me.tick(ts));
        let mut frames = self.frames.borrow_mut();
        frames.1 = frames.0.take();
        frames.0 = Some(next);
    }

    fn tick(self: Rc<Self>, ts: f64) {
        if self.stopped.get() {
            return;
        }
        let started = clock::now_ms();
        self.schedule();
        if !self.frame.may_step(started) {
            // The last frame's render is still under way: its events wait for the next frame
            // (the pacer counts them from the last frame that ran).
            return;
        }
        if let Some(ratio) = self.real_time.get() {
            let ns = self.pacer.borrow_mut().time_due(ts, ratio);
            self.frame.dispatching(started);
            self.dispatch.dispatch(
                PlayFrame::Time {
                    ns,
                    deadline_ms: started + FRAME_BUDGET_MS,
                }
                .into(),
            );
            return;
        }
        let due = self
            .pacer
            .borrow_mut()
            .events_due(ts, self.speed.get(), self.ramp);
        if due > 0 {
            self.frame.dispatching(started);
            self.dispatch.dispatch(
                PlayFrame::Events {
                    events: due,
                    deadline_ms: started + FRAME_BUDGET_MS,
                }
                .into(),
            );
        }
    }

    fn stop(&self) {
        self.stopped.set(true);
        // Breaks the loop's reference cycle (frame -> closure -> loop).
        *self.frames.borrow_mut() = (None, None);
    }
}

/// Runs the play loop while `playing` (ramping the speed up while `ramp`: see
/// [`crate::playback::ramp_speed`]; in virtual time at a fraction of real time while
/// `real_time`), and records each frame's script time in `window.__balloonFrameMs` once the
/// page has rendered it ([`FrameClock`]).
#[hook]
pub fn use_play_loop<R>(
    playing: bool,
    speed: f64,
    ramp: bool,
    real_time: Option<f64>,
    dispatch: UseReducerDispatcher<R>,
) where
    R: Reducible + 'static,
    R::Action: From<PlayFrame>,
{
    let speed_cell: Rc<Cell<f64>> = use_memo((), |_| Cell::new(speed));
    speed_cell.set(speed);
    let real_time_cell: Rc<Cell<Option<f64>>> = use_memo((), |_| Cell::new(real_time));
    real_time_cell.set(real_time);
    let frame: Rc<FrameClock> = use_memo((), |_| FrameClock::default());
    frame.render_began();
    {
        // Every render: the frame's script time runs from its animation frame callback to the
        // rendered DOM (this effect, after the page's render).
        let frame = Rc::clone(&frame);
        use_effect(move || {
            if let Some(ms) = frame.rendered(clock::now_ms()) {
                browser::record_frame_ms(ms);
            }
        });
    }
    {
        let speed = Rc::clone(&speed_cell);
        let real_time = Rc::clone(&real_time_cell);
        let frame = Rc::clone(&frame);
        use_effect_with((playing, ramp), move |&(playing, ramp)| {
            frame.reset();
            let running = playing.then(|| {
                let l = Rc::new(Loop {
                    dispatch,
                    speed,
                    real_time,
                    ramp,
                    frame,
                    pacer: RefCell::new(Pacer::default()),
                    frames: RefCell::new((None, None)),
                    stopped: Cell::new(false),
                });
                l.schedule();
                l
            });
            move || {
                if let Some(l) = running {
                    l.stop();
                }
            }
        });
    }
}
