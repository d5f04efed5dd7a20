//! PFN lists kept as `(first, count)` runs, never per page.

/// A list of PFN runs in the order they were collected. A descending message (what Linux
/// sends) is kept as runs whose pages are read from the top of each run down.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Runs {
    runs: Vec<(u64, u64)>,
    descending: bool,
}

impl Runs {
    /// Appends `count` pages from `first` upwards, merging with the previous run.
    pub fn push_up(&mut self, first: u64, count: u64) {
        if count == 0 {
            return;
        }
        if let Some(last) = self.runs.last_mut()
            && !self.descending
            && last.0 + last.1 == first
        {
            last.1 += count;
            return;
        }
        self.runs.push((first, count));
    }
    /// Appends the pages `first..first+count` taken from the top down (they follow, in
    /// descending order, whatever was pushed before).
    pub fn push_down(&mut self, first: u64, count: u64) {
        if count == 0 {
            return;
        }
        if self.runs.is_empty() {
            self.descending = true;
        }
        if let Some(last) = self.runs.last_mut()
            && self.descending
            && first + count == last.0
        {
            last.0 = first;
            last.1 += count;
            return;
        }
        self.runs.push((first, count));
    }
    /// The same pages in the opposite message order.
    pub fn reversed(&self) -> Runs {
        let mut out = Runs::default();
        for &(f, c) in self.runs.iter().rev() {
            if self.descending {
                out.push_up(f, c);
            } else {
                out.push_down(f, c);
            }
        }
        out
    }
    /// The runs as `(first, count)`, in collection order.
    pub fn runs(&self) -> &[(u64, u64)] {
        &self.runs
    }
    /// Whether each run is read from its top PFN down.
    pub fn is_descending(&self) -> bool {
        self.descending
    }
    /// Total pages.
    pub fn pages(&self) -> u64 {
        self.runs.iter().map(|r| r.1).sum()
    }
    /// No pages.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
    /// Every PFN in message order (descending inside each run when descending).
    pub fn pfns(&self) -> impl Iterator<Item = u64> + '_ {
        let desc = self.descending;
        self.runs
            .iter()
            .flat_map(move |&(f, n)| (0..n).map(move |k| if desc { f + n - 1 - k } else { f + k }))
    }
    /// Splits off the first `n` pages (in message order) into a new list.
    pub fn split_front(&mut self, n: u64) -> Runs {
        let mut out = Runs {
            runs: Vec::new(),
            descending: self.descending,
        };
        let mut left = n;
        while left > 0 && !self.runs.is_empty() {
            let (f, c) = self.runs[0];
            let k = c.min(left);
            if self.descending {
                out.runs.push((f + c - k, k));
                if k == c {
                    self.runs.remove(0);
                } else {
                    self.runs[0].1 -= k;
                }
            } else {
                out.runs.push((f, k));
                if k == c {
                    self.runs.remove(0);
                } else {
                    self.runs[0] = (f + k, c - k);
                }
            }
            left -= k;
        }
        out
    }
    /// A short form for sentences: `0x3ff00..=0x3ffff, 0x100..=0x17f`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .runs
            .iter()
            .take(4)
            .map(|&(f, n)| {
                if n == 1 {
                    format!("{f:#x}")
                } else {
                    format!("{:#x}..={:#x}", f, f + n - 1)
                }
            })
            .collect();
        let more = self.runs.len().saturating_sub(4);
        if more > 0 {
            format!("{} and {more} more runs", parts.join(", "))
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_runs_merge_and_split() {
        let mut r = Runs::default();
        r.push_down(100, 4);
        r.push_down(98, 2);
        r.push_down(50, 1);
        assert_eq!(r.runs(), &[(98, 6), (50, 1)]);
        assert_eq!(r.pfns().take(3).collect::<Vec<_>>(), vec![103, 102, 101]);
        let front = r.split_front(3);
        assert_eq!(front.runs(), &[(101, 3)]);
        assert_eq!(r.runs(), &[(98, 3), (50, 1)]);
        assert_eq!(r.pages(), 4);
    }

    #[test]
    fn reversed_lists_the_same_pages_backwards() {
        let mut up = Runs::default();
        up.push_up(10, 3);
        up.push_up(20, 2);
        let down = up.reversed();
        let want: Vec<u64> = up.pfns().collect::<Vec<_>>().into_iter().rev().collect();
        assert_eq!(down.pfns().collect::<Vec<_>>(), want);
        assert_eq!(down.pfns().collect::<Vec<_>>(), vec![21, 20, 12, 11, 10]);
        assert_eq!(down.reversed(), up);
    }
}
