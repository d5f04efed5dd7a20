//! The large panels (descriptor grids, config space, init flow, memory map, stats chart,
//! transcript) refreshed at most ten times a second while playing fast, one panel a frame.
//!
//! At full speed a frame runs hundreds of events, so no reader follows the rings event by event;
//! re-diffing a few hundred descriptor cells every frame is what pushed frame script time over
//! its 8 ms budget on a 64 GiB guest. When the props stay equal, Yew skips those subtrees. All
//! six panels refreshed in the same frame made every sixth frame 6-15 ms against a 3 ms median
//! (the frame p95), so while playing fast only the stalest panel is rebuilt in a frame, and of
//! the descriptor grids only one queue's (see `step_queues`: all of them at once, when play
//! starts where no queue exists yet, was the frame max). At play speeds of one event per frame
//! or less, and whenever play stops, every frame is fresh.

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

/// The panels of [`Detail`], in the order they take turns.
const PANELS: usize = 6;

impl Detail {
    /// Rebuilds panel `panel` (an index below [`PANELS`]) from `s`; the descriptor grids move
    /// one queue at a time (see [`step_queues`]), after the queue `after` if several are
    /// behind. Returns the queue brought up to date, and whether others are still behind.
    fn refresh(&mut self, panel: usize, s: &Session, after: Option<u16>) -> (Option<u16>, bool) {
        match panel {
            0 => {
                let shown = std::mem::take(&mut self.queues);
                let (queues, step) = step_queues(shown, vm::queue_models(s), after);
                self.queues = queues;
                return step;
            }
            1 => self.config = vm::config_model(s),
            2 => self.stages = vm::init_flow(s),
            3 => self.cells = vm::memory_map(s),
            4 => self.chart = vm::stats_chart(s.stats_series(), vm::CHART_POINTS),
            _ => self.transcript = vm::transcript(s, vm::TRANSCRIPT_LEN),
        }
        (None, false)
    }
}

/// One step of the descriptor grids from `shown` towards `fresh`: queues the device no longer
/// has go at once (destroying a panel is cheap), and of the queues that differ (new, or
/// changed) exactly one is brought up to date: the first after queue `after`, so that a queue
/// that changes at every step (ivq during an inflate) cannot starve the others. Returns the
/// grids to show, the queue updated and whether others still differ.
///
/// Why one at a time: each queue is a `QueuePanel` of a few hundred cells, and Yew re-renders
/// only the panels whose props changed. When play starts at event 0, where no queue exists
/// yet, every queue's panel was first built in the same frame: 15-50 ms of rendering, over
/// the 16 ms after which Yew's scheduler (`run_scheduler` in yew 0.23's `scheduler.rs`,
/// `YIELD_DEADLINE_MS`) yields to a `setTimeout` and finishes the frame's effects after the
/// browser has done its style, layout and paint: one frame of 40-130 ms.
fn step_queues(
    mut shown: Vec<QueueModel>,
    fresh: Vec<QueueModel>,
    after: Option<u16>,
) -> (Vec<QueueModel>, (Option<u16>, bool)) {
    let behind: Vec<u16> = fresh
        .iter()
        .filter(|q| shown.iter().find(|s| s.index == q.index) != Some(*q))
        .map(|q| q.index)
        .collect();
    let pick = behind
        .iter()
        .copied()
        .find(|&i| after.is_some_and(|a| i > a))
        .or_else(|| behind.first().copied());
    let queues = fresh
        .into_iter()
        .filter_map(|q| {
            if Some(q.index) == pick {
                return Some(q);
            }
            // A queue not brought up to date keeps its panel; a new one waits for its turn.
            let at = shown.iter().position(|s| s.index == q.index)?;
            Some(shown.swap_remove(at))
        })
        .collect();
    (queues, (pick, behind.len() > 1))
}

/// How often panel `panel` follows the session while playing fast. The descriptor grids and
/// the transcript cost several ms each to rebuild and re-diff (hundreds of cells, each with its
/// listeners; fifty new lines), twice the others, and at full speed they change past reading
/// between any two refreshes, so they follow three times a second.
fn refresh_ms(panel: usize) -> f64 {
    match panel {
        0 | 5 => 3.0 * DETAIL_REFRESH_MS,
        _ => DETAIL_REFRESH_MS,
    }
}

/// The panels last shown, and when each was built.
#[derive(Debug, Clone)]
struct Shown {
    detail: Rc<Detail>,
    made: [f64; PANELS],
    /// The queue whose grid was brought up to date last, and whether other queues were left
    /// behind (then the grids come round again at the light panels' pace).
    queue: (Option<u16>, bool),
}

/// What the panels show at `now_ms`: all of them fresh from `s` unless `fast`; while `fast`,
/// the last ones with at most the stalest panel rebuilt (the descriptor grids one queue at a
/// time), once it is older than its refresh period.
fn next_detail(last: Option<Shown>, s: &Session, fast: bool, now_ms: f64) -> Shown {
    let Some(Shown {
        detail,
        mut made,
        queue,
    }) = last.filter(|_| fast)
    else {
        return Shown {
            detail: Rc::new(Detail::of(s)),
            made: [now_ms; PANELS],
            queue: (None, false),
        };
    };
    // The most overdue panel, by its own refresh period.
    let period = |i: usize| match (i, queue.1) {
        (0, true) => DETAIL_REFRESH_MS,
        _ => refresh_ms(i),
    };
    let overdue = |i: usize| (now_ms - made[i]) / period(i);
    let stalest = (0..PANELS)
        .min_by(|&a, &b| overdue(b).total_cmp(&overdue(a)))
        .unwrap_or(0);
    if overdue(stalest) < 1.0 {
        return Shown {
            detail,
            made,
            queue,
        };
    }
    let mut next = Rc::unwrap_or_clone(detail);
    let stepped = next.refresh(stalest, s, queue.0);
    made[stalest] = now_ms;
    Shown {
        detail: Rc::new(next),
        made,
        queue: if stalest == 0 { stepped } else { queue },
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
    let shown = use_mut_ref(|| None::<Shown>);
    let mut shown = shown.borrow_mut();
    let next = next_detail(
        shown.take(),
        s,
        playing && speed > FAST_PLAY,
        clock::now_ms(),
    );
    let detail = Rc::clone(&next.detail);
    *shown = Some(next);
    detail
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

    /// A 1 GiB guest with free page reporting, inflated to 900 MiB: every queue is busy.
    fn inflated() -> Session {
        Session::from_script(
            "-m 1G -device virtio-balloon,free-page-reporting=on -seed 1\nballoon 900\nrun\n",
        )
        .expect("script runs")
        .0
    }

    /// Which panels of `a` and `b` differ, by index.
    fn differing(a: &Detail, b: &Detail) -> Vec<usize> {
        let same = [
            a.queues == b.queues,
            a.config == b.config,
            a.stages == b.stages,
            a.cells == b.cells,
            a.chart == b.chart,
            a.transcript == b.transcript,
        ];
        (0..PANELS).filter(|&i| !same[i]).collect()
    }

    #[test]
    fn fast_play_rebuilds_one_stale_panel_a_frame() {
        let mut s = inflated();
        let end = Detail::of(&s);
        // Back to before the inflate, where every panel differs from the end.
        while s.current_index() > 0 && differing(&Detail::of(&s), &end).len() < PANELS {
            s.step_back();
        }
        let start = Detail::of(&s);
        assert_eq!(differing(&start, &end), (0..PANELS).collect::<Vec<_>>());
        let shown = next_detail(None, &s, true, 0.0);
        assert_eq!(
            *shown.detail, start,
            "nothing shown yet: every panel is built"
        );
        s.seek(s.event_count()).expect("seek to the end");

        let fresh = next_detail(Some(shown.clone()), &s, true, 50.0);
        assert!(
            Rc::ptr_eq(&fresh.detail, &shown.detail),
            "younger than the refresh"
        );
        // A second of 60 Hz frames: at most one panel a frame, each no more often than its
        // period, and every one of them rebuilt.
        let mut shown = shown;
        let mut rebuilt: Vec<Vec<f64>> = vec![Vec::new(); PANELS];
        for frame in 1..=60 {
            let now = f64::from(frame) * 1000.0 / 60.0;
            let next = next_detail(Some(shown.clone()), &s, true, now);
            let changed = differing(&shown.detail, &next.detail);
            assert!(changed.len() <= 1, "frame {frame}: {changed:?}");
            if let Some(&panel) = changed.first() {
                rebuilt[panel].push(now);
            }
            shown = next;
        }
        for (panel, times) in rebuilt.iter().enumerate() {
            assert!(!times.is_empty(), "panel {panel} never rebuilt");
            assert!(times[0] >= refresh_ms(panel), "panel {panel}: {times:?}");
        }
        assert_eq!(refresh_ms(0), 3.0 * DETAIL_REFRESH_MS, "queues");
        assert_eq!(refresh_ms(5), 3.0 * DETAIL_REFRESH_MS, "transcript");
        assert_eq!(*shown.detail, end, "every panel is current");
        s.step_back();
        let back = Detail::of(&s);
        assert!(
            differing(&back, &end).len() > 1,
            "{:?}",
            differing(&back, &end)
        );
        let paused = next_detail(Some(shown), &s, false, DETAIL_REFRESH_MS + 7.0);
        assert_eq!(
            *paused.detail, back,
            "a slow or paused frame builds all of them"
        );
    }

    /// Queue indices whose models differ between `a` and `b` (present in one only, or unequal).
    fn queues_differing(a: &[QueueModel], b: &[QueueModel]) -> Vec<u16> {
        let mut all: Vec<u16> = a.iter().chain(b).map(|q| q.index).collect();
        all.sort_unstable();
        all.dedup();
        let find = |l: &[QueueModel], i: u16| l.iter().find(|q| q.index == i).cloned();
        all.into_iter()
            .filter(|&i| find(a, i) != find(b, i))
            .collect()
    }

    /// Play from event 0, where the device has created no queue yet, at full speed: the first
    /// grids arrive one queue a frame (each queue's panel is hundreds of cells), the queues
    /// left behind come round at the light panels' pace, and all of them end up current.
    #[test]
    fn fast_play_builds_the_descriptor_grids_one_queue_a_frame() {
        let mut s = inflated();
        let end = vm::queue_models(&s);
        assert!(end.len() >= 3, "ivq, dvq, svq and more: {}", end.len());
        s.seek(0).expect("seek to event 0");
        assert!(vm::queue_models(&s).is_empty(), "no queue before realize");
        let mut shown = next_detail(None, &s, true, 0.0);
        s.seek(s.event_count()).expect("seek to the end");
        let mut steps = Vec::new();
        for frame in 1..=120 {
            let now = f64::from(frame) * 1000.0 / 60.0;
            let next = next_detail(Some(shown.clone()), &s, true, now);
            let changed = queues_differing(&shown.detail.queues, &next.detail.queues);
            assert!(changed.len() <= 1, "frame {frame}: queues {changed:?}");
            if !changed.is_empty() {
                steps.push(now);
            }
            shown = next;
        }
        assert_eq!(shown.detail.queues, end, "every grid is current");
        assert_eq!(steps.len(), end.len(), "one step per queue: {steps:?}");
        assert!(steps[0] >= refresh_ms(0), "{steps:?}");
        for pair in steps.windows(2) {
            assert!(pair[1] - pair[0] >= DETAIL_REFRESH_MS, "{steps:?}");
            assert!(pair[1] - pair[0] < refresh_ms(0), "behind: {steps:?}");
        }
    }

    /// A queue that changes at every step (ivq while inflating) does not starve the others;
    /// a queue the device no longer has goes at once.
    #[test]
    fn a_busy_queue_does_not_starve_the_other_grids() {
        let mut s = inflated();
        let end = vm::queue_models(&s);
        let ivq = end[0].index;
        // Back to where ivq differs from the end (the inflate's last message).
        while !queues_differing(&vm::queue_models(&s), &end).contains(&ivq) {
            assert!(s.current_index() > 0, "ivq never changed");
            s.step_back();
        }
        assert_eq!(vm::queue_models(&s).len(), end.len(), "every queue exists");
        let mid = vm::queue_models(&s);
        // From nothing shown, the end's grids and the middle's take turns as the fresh ones:
        // ivq differs in every round, yet each step brings up the next queue after the last.
        let (shown, (first, behind)) = step_queues(Vec::new(), end.clone(), None);
        assert_eq!((first, behind), (Some(ivq), true));
        assert_eq!(shown.iter().map(|q| q.index).collect::<Vec<_>>(), [ivq]);
        let mut shown = shown;
        let mut last = first;
        for round in 1..end.len() {
            let fresh = if round % 2 == 1 {
                mid.clone()
            } else {
                end.clone()
            };
            let (next, (picked, _)) = step_queues(shown, fresh, last);
            assert_eq!(picked, Some(end[round].index), "round {round}");
            shown = next;
            last = picked;
        }
        assert_eq!(shown.len(), end.len(), "every queue has its grid");
        let (gone, (picked, behind)) = step_queues(shown, Vec::new(), last);
        assert!(gone.is_empty() && picked.is_none() && !behind);
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
