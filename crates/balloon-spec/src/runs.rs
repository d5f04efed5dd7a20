//! PFN lists summarised as `(first, count)` runs: nothing keeps or sends per-page lists.

use serde::{Deserialize, Serialize};

/// `count` consecutive balloon pages starting at PFN `first`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PfnRun {
    /// First page frame number (guest physical address >> `VIRTIO_BALLOON_PFN_SHIFT`).
    pub first: u64,
    /// Number of pages.
    pub count: u64,
}

impl PfnRun {
    /// The last PFN of the run (`first` for an empty run).
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

/// Consecutive PFNs of an array folded into runs, in array order (a PFN array is not sorted in
/// general). Linux `fill_balloon` fills the array as it allocates, often from the top of a free
/// block down, so a descending sequence folds into one run as well.
pub fn fold_pfns(pfns: impl IntoIterator<Item = u64>) -> Vec<PfnRun> {
    // (first PFN of the run in array order, last PFN, step +1 / -1, 0 while single)
    let mut runs: Vec<(u64, u64, i8)> = Vec::new();
    for p in pfns {
        if let Some((start, last, step)) = runs.last_mut() {
            let up = last.checked_add(1) == Some(p);
            let down = last.checked_sub(1) == Some(p);
            let single = *start == *last;
            if (up && (single || *step == 1)) || (down && (single || *step == -1)) {
                *step = if up { 1 } else { -1 };
                *last = p;
                continue;
            }
        }
        runs.push((p, p, 0));
    }
    runs.into_iter()
        .map(|(a, b, _)| PfnRun {
            first: a.min(b),
            count: a.abs_diff(b) + 1,
        })
        .collect()
}

/// Runs sorted by first PFN with overlapping or touching runs merged: the set of pages, in
/// as few runs as it takes.
pub fn coalesce(mut runs: Vec<PfnRun>) -> Vec<PfnRun> {
    runs.retain(|r| r.count > 0);
    // Unstable is enough: runs with the same first frame overlap, so they merge into one
    // whatever their order (and the page's wasm keeps one sort algorithm fewer).
    runs.sort_unstable_by_key(|r| r.first);
    let mut out: Vec<PfnRun> = Vec::with_capacity(runs.len());
    for r in runs {
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

/// Total pages in `runs`.
pub fn total(runs: &[PfnRun]) -> u64 {
    runs.iter().map(|r| r.count).sum()
}

/// "0x100..=0x1ff, 0x300" (at most 4 runs, then "and N more runs").
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

    fn run(first: u64, count: u64) -> PfnRun {
        PfnRun { first, count }
    }

    #[test]
    fn fold_keeps_array_order_and_direction() {
        // Descending inside a run (fill_balloon taking a block from the top), then a jump, then
        // an ascending pair, then a repeated PFN which starts a new run.
        let pfns = [0x1ff, 0x1fe, 0x1fd, 0x40, 0x41, 0x41];
        assert_eq!(
            fold_pfns(pfns),
            vec![run(0x1fd, 3), run(0x40, 2), run(0x41, 1)]
        );
        // A turn of direction ends a run: 5,6 then 5 is not a run of three.
        assert_eq!(fold_pfns([5, 6, 5]), vec![run(5, 2), run(5, 1)]);
        assert_eq!(fold_pfns([u64::MAX, 0]), vec![run(u64::MAX, 1), run(0, 1)]);
        assert!(fold_pfns([]).is_empty());
        // One whole Linux array (VIRTIO_BALLOON_ARRAY_PFNS_MAX = 256) taken top down.
        assert_eq!(
            fold_pfns((0x30000..=0x300ff).rev()),
            vec![run(0x30000, 256)]
        );
    }

    #[test]
    fn coalesce_sorts_and_merges_touching_and_overlapping() {
        let runs = vec![run(10, 2), run(0, 3), run(3, 1), run(11, 5), run(20, 0)];
        assert_eq!(coalesce(runs), vec![run(0, 4), run(10, 6)]);
        assert_eq!(total(&[run(0, 4), run(10, 6)]), 10);
        assert_eq!(
            describe(&[run(0x100, 0x100), run(0x300, 1)]),
            "0x100..=0x1ff, 0x300"
        );
    }
}
