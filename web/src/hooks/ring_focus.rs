//! The ring item a reader points at (hover or keyboard focus), shared by the ring panels and
//! the byte panel through a context, so that pointing at a descriptor cell highlights its 16
//! bytes and pointing at `avail.idx`'s bytes highlights the avail.idx row, and the reverse.

use balloon_sim::command::QueueName;
use balloon_sim::view::bytes::RingItem;
use yew::prelude::*;

/// A queue's ring item.
pub type RingTarget = (QueueName, RingItem);

/// What is pointed at, and how to change it.
#[derive(Debug, Clone, PartialEq)]
pub struct RingFocus {
    /// The item pointed at, if any.
    pub target: Option<RingTarget>,
    /// Points at an item (or at nothing).
    pub set: Callback<Option<RingTarget>>,
}

impl RingFocus {
    /// Whether `target` is the item pointed at.
    pub fn is(&self, target: RingTarget) -> bool {
        self.target == Some(target)
    }
}

/// The focus state to provide to the panels below.
#[hook]
pub fn use_ring_focus_state() -> RingFocus {
    let state = use_state_eq(|| None::<RingTarget>);
    let set = {
        let state = state.clone();
        use_callback((), move |t: Option<RingTarget>, _| state.set(t))
    };
    RingFocus {
        target: *state,
        set,
    }
}

/// The focus the page provides, or none (a panel mounted alone).
#[hook]
pub fn use_ring_focus() -> Option<RingFocus> {
    use_context::<RingFocus>()
}
