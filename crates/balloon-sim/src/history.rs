//! Time travel: a timeline of events, snapshots of the world every K events, replay forward.
//!
//! The world is a deterministic machine: each [`Replayable::act`] (an operator input) and each
//! [`Replayable::step`] (the scheduler's next ring operation) produces exactly one event. The
//! inputs are recorded at the event index where they happened, so the state after any event k is
//! "the nearest snapshot at or before k, then replay: at each index, the recorded input if there
//! is one, else a scheduler step". Acting while in the past forks: the future is dropped.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::timeline::Timeline;

/// A world the history can rewind and replay.
pub trait Replayable: Clone {
    /// An operator input (a monitor command, a guest action, a clock advance).
    type Input: Clone + std::fmt::Debug;
    /// What one act or step produces (kept in the timeline in its binary encoding).
    type Event: Clone + std::fmt::Debug + PartialEq + Serialize + DeserializeOwned;
    /// Applies an input; produces exactly one event.
    fn act(&mut self, input: &Self::Input) -> Self::Event;
    /// One scheduler step; `None` when there is nothing to do (no work and no timer).
    fn step(&mut self) -> Option<Self::Event>;
    /// Rough size of a clone, to budget the snapshots.
    fn approx_bytes(&self) -> usize;
}

/// Why a seek failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeekError {
    /// The index is past the end of the recorded timeline.
    #[error("event {index} is past the end of the timeline ({len} events)")]
    PastTheEnd {
        /// Requested index.
        index: u64,
        /// Events recorded.
        len: u64,
    },
    /// Replay stopped early: the world is not deterministic (a bug).
    #[error("replay diverged at event {0}")]
    Diverged(u64),
}

/// A world with its past: timeline, inputs and snapshots.
#[derive(Debug, Clone)]
pub struct History<W: Replayable> {
    world: W,
    cursor: u64,
    events: Timeline<W::Event>,
    inputs: BTreeMap<u64, W::Input>,
    snapshots: Vec<(u64, W)>,
    interval: u64,
    max_snapshots: usize,
    /// The encoding of the last event made, reused (a replayed event is compared with the
    /// record by its bytes).
    scratch: Vec<u8>,
}

/// Snapshots start every 64 events; the interval doubles whenever the budget is exceeded.
const FIRST_INTERVAL: u64 = 64;
/// Memory allowed for snapshots (the browser shares this with everything else).
const SNAPSHOT_BUDGET_BYTES: usize = 64 << 20;

impl<W: Replayable> History<W> {
    /// A history starting at `world` (event 0).
    pub fn new(world: W) -> Self {
        let max_snapshots = (SNAPSHOT_BUDGET_BYTES / world.approx_bytes().max(1)).clamp(4, 64);
        Self {
            snapshots: vec![(0, world.clone())],
            world,
            cursor: 0,
            events: Timeline::default(),
            inputs: BTreeMap::new(),
            interval: FIRST_INTERVAL,
            max_snapshots,
            scratch: Vec::new(),
        }
    }

    /// The world after `cursor()` events.
    pub fn world(&self) -> &W {
        &self.world
    }
    /// Events the current world has lived through.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }
    /// Events recorded in the timeline (≥ cursor).
    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }
    /// Whether nothing happened yet.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// The whole timeline, past and (after a seek back) future.
    pub fn events(&self) -> &Timeline<W::Event> {
        &self.events
    }
    /// The recorded inputs, by the event index they produced.
    pub fn inputs(&self) -> &BTreeMap<u64, W::Input> {
        &self.inputs
    }
    /// Snapshots held (for tests and diagnostics).
    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }

    /// Applies an input at the cursor. In the past, this forks: the future is dropped first.
    pub fn act(&mut self, input: W::Input) -> W::Event {
        if self.cursor < self.len() {
            self.fork();
        }
        let event = self.world.act(&input);
        self.inputs.insert(self.cursor, input);
        self.record(event)
    }

    /// One step forward: in the past, replays the recorded event; at the end, a scheduler step.
    pub fn step(&mut self) -> Option<W::Event> {
        if self.cursor < self.len() {
            // A replay that disagrees with the record stops here rather than showing a
            // different past.
            let event = self.replay_one()?;
            self.cursor += 1;
            return Some(event);
        }
        let event = self.world.step()?;
        Some(self.record(event))
    }

    /// The input the next step would replay, when in the past.
    pub fn recorded_input(&self) -> Option<&W::Input> {
        if self.cursor < self.len() {
            self.inputs.get(&self.cursor)
        } else {
            None
        }
    }

    /// One step back (no-op at event 0).
    pub fn step_back(&mut self) -> Result<(), SeekError> {
        self.seek(self.cursor.saturating_sub(1))
    }

    /// Puts the world at the state after `index` events.
    pub fn seek(&mut self, index: u64) -> Result<(), SeekError> {
        if index > self.len() {
            return Err(SeekError::PastTheEnd {
                index,
                len: self.len(),
            });
        }
        if index < self.cursor || index - self.cursor > self.interval {
            let at = self.snapshots.partition_point(|(i, _)| *i <= index) - 1;
            let (snap_index, snap) = &self.snapshots[at];
            if *snap_index > self.cursor || index < self.cursor {
                self.world = snap.clone();
                self.cursor = *snap_index;
            }
        }
        while self.cursor < index {
            if self.replay_one().is_none() {
                return Err(SeekError::Diverged(self.cursor));
            }
            self.cursor += 1;
        }
        Ok(())
    }

    /// Replays the event at the cursor and checks it against the recorded one (by its
    /// encoding): a difference means the world is not deterministic, and the seek reports it.
    fn replay_one(&mut self) -> Option<W::Event> {
        let event = match self.inputs.get(&self.cursor) {
            Some(input) => self.world.act(input),
            None => self.world.step()?,
        };
        self.scratch.clear();
        crate::trace::binary::encode_into(&event, &mut self.scratch);
        (self.events.record(self.cursor as usize) == Some(&self.scratch[..])).then_some(event)
    }

    fn record(&mut self, event: W::Event) -> W::Event {
        self.scratch.clear();
        crate::trace::binary::encode_into(&event, &mut self.scratch);
        self.events.push_record(&self.scratch);
        self.cursor += 1;
        if self.cursor.is_multiple_of(self.interval) {
            self.snapshots.push((self.cursor, self.world.clone()));
            if self.snapshots.len() > self.max_snapshots {
                self.interval *= 2;
                let interval = self.interval;
                self.snapshots.retain(|(i, _)| i % interval == 0);
            }
        }
        event
    }

    fn fork(&mut self) {
        let cursor = self.cursor;
        self.events.truncate(cursor as usize);
        self.inputs.split_off(&cursor);
        self.snapshots.retain(|(i, _)| *i <= cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy world: a counter that "works" down a queue of pending units, with a hash.
    #[derive(Debug, Clone, Default)]
    struct Toy {
        pending: u32,
        n: u64,
        hash: u64,
    }

    impl Replayable for Toy {
        type Input = u32;
        type Event = (u64, u64);
        fn act(&mut self, input: &u32) -> (u64, u64) {
            self.pending += input;
            self.n += 1;
            self.hash = self
                .hash
                .wrapping_mul(31)
                .wrapping_add(u64::from(*input) + 1000);
            (self.n, self.hash)
        }
        fn step(&mut self) -> Option<(u64, u64)> {
            if self.pending == 0 {
                return None;
            }
            self.pending -= 1;
            self.n += 1;
            self.hash = self
                .hash
                .wrapping_mul(31)
                .wrapping_add(u64::from(self.pending));
            Some((self.n, self.hash))
        }
        fn approx_bytes(&self) -> usize {
            64
        }
    }

    fn run_script(h: &mut History<Toy>, script: &[u32]) {
        for &x in script {
            h.act(x);
            while h.step().is_some() {}
        }
    }

    #[test]
    fn snapshots_stay_bounded_and_seek_works() {
        let mut h = History::new(Toy::default());
        run_script(&mut h, &[50_000, 50_000]);
        assert_eq!(h.len(), 100_002);
        assert!(h.snapshot_count() <= 65);
        let end = h.world().hash;
        h.seek(12_345).unwrap();
        assert_eq!(h.world().n, 12_345);
        assert_eq!(h.events().get(12_344), Some((h.world().n, h.world().hash)));
        h.seek(100_002).unwrap();
        assert_eq!(h.world().hash, end);
        h.step_back().unwrap();
        assert_eq!(h.cursor(), 100_001);
        assert_eq!(
            h.seek(100_003),
            Err(SeekError::PastTheEnd {
                index: 100_003,
                len: 100_002
            })
        );
    }

    #[test]
    fn acting_in_the_past_forks() {
        let mut h = History::new(Toy::default());
        run_script(&mut h, &[10, 10]);
        assert_eq!(h.len(), 22);
        h.seek(5).unwrap();
        h.act(3);
        assert_eq!(h.len(), 6);
        while h.step().is_some() {}
        assert_eq!(h.world().n, 6 + 3 + 6);
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use proptest::prelude::*;

        use super::*;

        use proptest_cases::config;

        proptest! {
            #![proptest_config(config(24))]
            #[test]
            fn seek_then_run_to_end_matches_straight_run(script in prop::collection::vec(0u32..300, 1..8), k in 0u64..2000) {
                let mut straight = History::new(Toy::default());
                run_script(&mut straight, &script);
                let len = straight.len();
                let k = k % (len + 1);
                let end_hash = straight.world().hash;
                straight.seek(k).unwrap();
                while straight.step().is_some() {}
                prop_assert_eq!(straight.cursor(), len);
                prop_assert_eq!(straight.world().hash, end_hash);
            }
        }
    }
}
