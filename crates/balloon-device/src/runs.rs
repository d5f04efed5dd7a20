//! PFN lists summarised as `(first, count)` runs: events never carry per-page lists.

use serde::Serialize;

/// `count` consecutive 4 KiB frames starting at `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PfnRun {
    /// First frame number (guest physical address >> 12).
    pub first: u64,
    /// Number of frames.
    pub count: u64,
}

impl PfnRun {
    /// The last frame of the run.
    pub fn last(&self) -> u64 {
        self.first + self.count.saturating_sub(1)
    }
}

impl std::fmt::Display for PfnRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.count == 1 {
            write!(f, "{:#x}", self.first)
        } else {
            write!(f, "{:#x}..={:#x}", self.first, self.last())
        }
    }
}

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
    pub fn finish(mut self) -> Vec<PfnRun> {
        self.runs.sort_by_key(|r| r.first);
        let mut out: Vec<PfnRun> = Vec::with_capacity(self.runs.len());
        for r in self.runs {
            match out.last_mut() {
                Some(o) if r.first <= o.first + o.count => {
                    let end = (o.first + o.count).max(r.first + r.count);
                    o.count = end - o.first;
                }
                _ => out.push(r),
            }
        }
        out
    }
}

/// Total frames in `runs`.
pub fn total(runs: &[PfnRun]) -> u64 {
    runs.iter().map(|r| r.count).sum()
}

/// "0x100..=0x1ff, 0x300" (at most 4 runs, then "and N more").
pub fn describe(runs: &[PfnRun]) -> String {
    if runs.is_empty() {
        return "none".to_string();
    }
    let mut s: Vec<String> = runs.iter().take(4).map(|r| r.to_string()).collect();
    if runs.len() > 4 {
        s.push(format!("and {} more runs", runs.len() - 4));
    }
    s.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_and_ascending_merge() {
        let mut b = RunBuilder::new();
        for p in (0x3ff00..=0x3ffff).rev() {
            b.push(p);
        }
        for p in 0x10..0x20 {
            b.push(p);
        }
        b.push(0x3ff00); // duplicate: still one run
        let runs = b.finish();
        assert_eq!(
            runs,
            vec![
                PfnRun {
                    first: 0x10,
                    count: 0x10
                },
                PfnRun {
                    first: 0x3ff00,
                    count: 0x100
                }
            ]
        );
        assert_eq!(total(&runs), 0x110);
        assert_eq!(describe(&runs), "0x10..=0x1f, 0x3ff00..=0x3ffff");
    }
}
