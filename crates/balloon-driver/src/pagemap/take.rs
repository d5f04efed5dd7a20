//! `PageMap::take`: the allocation walk that every allocation in the guest goes through
//! (`alloc_pages` for applications, the page cache, `balloon_page_alloc` and hinting), one
//! chunk at a time from either end of memory.

use super::{BLOCK_WORDS, CHUNK_PAGES, Direction, PageMap, PageState, StateSet};
use crate::chunk::{Chunk, keep_bits, push_bits, set_mask};
use crate::runs::Runs;

impl PageMap {
    /// Moves up to `max` pages whose state is in `from` to `to`, searching from one end, and
    /// returns them as runs (in search order).
    pub fn take(&mut self, from: StateSet, to: PageState, max: u64, dir: Direction) -> Runs {
        let mut runs = Runs::default();
        let mut left = max;
        let n = self.chunks.len();
        // Where the walk goes on, in search order (`None` past the last chunk): the summary
        // level finds the next chunk holding a page of `from`, so the chunks without one are
        // never entered.
        let mut at = match dir {
            Direction::Up => Some(0),
            Direction::Down => Some(n - 1),
        };
        while left > 0 {
            let Some(i) = at.and_then(|a| self.index.next(from, a, dir)) else {
                break;
            };
            at = match dir {
                Direction::Up => Some(i + 1),
                Direction::Down => i.checked_sub(1),
            };
            let pages = self.chunk_pages(i);
            let base = i as u64 * CHUNK_PAGES;
            if let Chunk::Uniform(s) = self.chunks[i] {
                if !from.contains(s) {
                    continue;
                }
                if left >= pages {
                    self.counts[s as usize] -= pages;
                    self.counts[to as usize] += pages;
                    self.chunks[i] = Chunk::Uniform(to);
                    self.index.update(i, &self.chunks[i]);
                    match dir {
                        Direction::Up => runs.push_up(base, pages),
                        Direction::Down => runs.push_down(base, pages),
                    }
                    left -= pages;
                    continue;
                }
            }
            let words = (pages / 64) as usize;
            let mut counts = self.counts;
            let m = self.mixed(i);
            let skip_blocks = from.counted_per_block();
            let mut k = 0;
            while k < words && left > 0 {
                let w = if dir == Direction::Up {
                    k
                } else {
                    words - 1 - k
                };
                k += 1;
                // A block with none of the set is passed over by its counters, not read word
                // by word: a balloon filling a chunk from the top would otherwise rescan the
                // words it already took on every message.
                let b = w / BLOCK_WORDS;
                let holds = |j: usize| m.block_free[j] != 0 || m.block_reported[j] != 0;
                if skip_blocks && !holds(b) {
                    // The next block that holds one, found by its counters alone (a balloon
                    // filling a chunk upwards passes every block it took before).
                    k = match dir {
                        Direction::Up => (b + 1..words / BLOCK_WORDS)
                            .find(|&j| holds(j))
                            .map_or(words, |j| j * BLOCK_WORDS),
                        Direction::Down => (0..b)
                            .rev()
                            .find(|&j| holds(j))
                            .map_or(words, |j| words - (j + 1) * BLOCK_WORDS),
                    };
                    continue;
                }
                let mask = set_mask(&m.planes, w, from);
                if mask == 0 {
                    continue;
                }
                let sel = keep_bits(mask, left.min(64) as u32, dir);
                m.apply(w, sel, from, to, &mut counts);
                push_bits(&mut runs, base + w as u64 * 64, sel, dir);
                left -= u64::from(sel.count_ones());
            }
            self.counts = counts;
            self.collapse(i, to);
            self.index.update(i, &self.chunks[i]);
        }
        runs
    }
}
