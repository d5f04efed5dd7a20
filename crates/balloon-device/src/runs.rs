//! PFN lists summarised as `(first, count)` runs: events never carry per-page lists.

pub use balloon_spec::runs::{PfnRun, coalesce, describe, total};

/// Collects frames one at a time and merges neighbours, ascending or descending (Linux sends
/// the PFNs of one message in descending order). The result is sorted and coalesced.
#[derive(Debug, Clone, Default)]
pub struct RunBuilder {
    runs: Vec<PfnRun>,
}

impl RunBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one frame.
    pub fn push(&mut self, frame: u64) {
        self.push_run(frame, 1);
    }

    /// Adds `count` frames from `first`.
    pub fn push_run(&mut self, first: u64, count: u64) {
        if count == 0 {
            return;
        }
        if let Some(last) = self.runs.last_mut() {
            if first == last.first + last.count {
                last.count += count;
                return;
            }
            if first + count == last.first {
                last.first = first;
                last.count += count;
                return;
            }
        }
        self.runs.push(PfnRun { first, count });
    }

    /// The runs, sorted by first frame, overlapping or touching runs merged.
    pub fn finish(self) -> Vec<PfnRun> {
        coalesce(self.runs)
    }
}
