//! The byte panel's view of the session: the bytes shown and what the last step wrote.
//!
//! A step forward flashes every store it made (a message round trip is a dozen events); the
//! index the previous render showed is remembered here, since the session keeps no notion of
//! "the last button press". While playing fast (hundreds of events a frame) nobody reads bytes
//! flashing: the last view is kept, so the panel costs nothing until play slows or stops.

use std::rc::Rc;

use balloon_sim::Session;
use balloon_sim::view::bytes::BytesView;
use yew::prelude::*;

use super::detail::FAST_PLAY;
use crate::view_model::since_for;

/// Whether play is too fast for the byte panel to follow.
pub fn frozen(playing: bool, speed: f64) -> bool {
    playing && speed > FAST_PLAY
}

struct Cached {
    index: u64,
    /// The trace hash at `index`: a reset or a fork to the same index is another state.
    hash: u64,
    since: u64,
    view: Rc<BytesView>,
}

/// The byte view of `s` with the writes of the latest step; empty (and free) when the panel is
/// not `shown`.
#[hook]
pub fn use_byte_view(s: &Session, shown: bool, playing: bool, speed: f64) -> Rc<BytesView> {
    let cache = use_mut_ref(|| None::<Cached>);
    if !shown {
        return Rc::default();
    }
    let index = s.current_index();
    let hash = s.trace_hash();
    let mut cache = cache.borrow_mut();
    if let Some(c) = &*cache
        && ((c.index == index && c.hash == hash) || frozen(playing, speed))
    {
        return Rc::clone(&c.view);
    }
    let since = since_for(cache.as_ref().map(|c| (c.index, c.since)), index);
    let view = Rc::new(s.byte_view(since));
    *cache = Some(Cached {
        index,
        hash,
        since,
        view: Rc::clone(&view),
    });
    view
}
