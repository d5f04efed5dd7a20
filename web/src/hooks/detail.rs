//! The large panels (descriptor grids, config space, init flow, memory map, stats chart,
//! transcript) refreshed at most ten times a second while playing fast.
//!
//! At full speed a frame runs hundreds of events, so no reader follows the rings event by event;
//! re-diffing a few hundred descriptor cells every frame is what pushed frame script time over
//! its 8 ms budget on a 64 GiB guest. When the props stay equal, Yew skips those subtrees. At
//! play speeds of one event per frame or less, and whenever play stops, every frame is fresh.

use std::rc::Rc;

use balloon_sim::Session;
use balloon_sim::view::MemoryCell;
use yew::prelude::*;

use crate::clock;
use crate::view_model::{
    self as vm, ConfigModel, InitStageView, QueueModel, StatsChartModel, TranscriptLine,
};

/// How often the large panels follow the session while playing fast.
pub const DETAIL_REFRESH_MS: f64 = 100.0;
/// Play speed (events per second) above which a frame runs more than one event at 60 Hz.
pub const FAST_PLAY: f64 = 60.0;

/// Props of the large panels, computed together.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    /// One per virtqueue the device created.
    pub queues: Vec<QueueModel>,
    /// Config space.
    pub config: ConfigModel,
    /// The device's init flow.
    pub stages: Vec<InitStageView>,
    /// Guest memory, aggregated.
    pub cells: Vec<MemoryCell>,
    /// The svq numbers over virtual time.
    pub chart: StatsChartModel,
    /// The last steps, for the aria-live log.
    pub transcript: Vec<TranscriptLine>,
}

impl Detail {
    /// Everything the large panels show of `s`.
    pub fn of(s: &Session) -> Self {
        Self {
            queues: vm::queue_models(s),
            config: vm::config_model(s),
            stages: vm::init_flow(s),
            cells: vm::memory_map(s),
            chart: vm::stats_chart(s.stats_series(), vm::CHART_POINTS),
            transcript: vm::transcript(s, vm::TRANSCRIPT_LEN),
        }
    }
}

/// Whether props computed at `made_ms` may still be shown at `now_ms`.
pub fn still_fresh(made_ms: f64, now_ms: f64, fast_play: bool) -> bool {
    fast_play && now_ms - made_ms < DETAIL_REFRESH_MS
}

/// The large panels' props for this render: recomputed unless playing fast and the last ones
/// are younger than [`DETAIL_REFRESH_MS`].
#[hook]
pub fn use_detail(s: &Session, playing: bool, speed: f64) -> Rc<Detail> {
    use_fresh((), playing && speed > FAST_PLAY, || Detail::of(s))
}

/// `make()`'s value for this render, or the last one while `fast` play goes on, it is younger
/// than [`DETAIL_REFRESH_MS`] and `key` (what else it shows, e.g. the selected VM) is the
/// same.
#[hook]
pub fn use_fresh<K, T>(key: K, fast: bool, make: impl FnOnce() -> T) -> Rc<T>
where
    K: PartialEq + 'static,
    T: 'static,
{
    let cache = use_mut_ref(|| None::<(K, f64, Rc<T>)>);
    let now = clock::now_ms();
    let mut cache = cache.borrow_mut();
    match &*cache {
        Some((k, made, value)) if *k == key && still_fresh(*made, now, fast) => Rc::clone(value),
        _ => {
            let value = Rc::new(make());
            *cache = Some((key, now, Rc::clone(&value)));
            value
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fast_play_reuses_recent_props() {
        assert!(still_fresh(1000.0, 1050.0, true));
        assert!(!still_fresh(1000.0, 1100.0, true), "older than the refresh");
        assert!(!still_fresh(1000.0, 1001.0, false), "slow play or paused");
    }

    #[test]
    fn detail_follows_the_session() {
        let (mut s, _) =
            Session::from_script("-m 1G -device virtio-balloon -seed 1\nballoon 1022\nrun\n")
                .expect("script runs");
        let end = Detail::of(&s);
        s.step_back();
        let before = Detail::of(&s);
        assert_ne!(end, before, "one event back changes the panels");
        assert!(!before.transcript.is_empty());
        assert_eq!(before.queues.len(), end.queues.len());
    }
}
