//! Per-page state of the guest in three bit planes (3 bits a page), cut into 128 MiB chunks.
//!
//! A chunk whose pages all share one state is stored as that state alone, so a 16 TiB guest
//! that is mostly free, or mostly ballooned, costs a few bytes per chunk; a chunk with mixed
//! states holds its three planes plus per-512-page block counters (the buddy-like view used by
//! free page reporting and hinting). The encoding puts Free (000) and Reported (100) on the
//! only two codes with planes 0 and 1 clear, so "free for the allocator" is `!p0 & !p1`.

use crate::chunk::{Chunk, Mixed, set_mask, state_mask};
use crate::error::Error;
use index::ChunkIndex;

mod index;
mod take;
#[cfg(test)]
mod tests;

/// log2 of the pages in one chunk (32768 pages, 128 MiB).
pub const CHUNK_SHIFT: u32 = 15;
/// Pages in one chunk.
pub const CHUNK_PAGES: u64 = 1 << CHUNK_SHIFT;
/// Pages in one pageblock (order 9, 2 MiB): the unit of the block counters.
pub const BLOCK_PAGES: u64 = 512;
pub(crate) const BLOCK_WORDS: usize = (BLOCK_PAGES / 64) as usize;

/// What one 4 KiB guest page is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PageState {
    /// On the buddy free lists, not reported.
    Free = 0,
    /// Used: kernel, application anonymous memory, hugetlb pool, rings.
    Used = 1,
    /// Page cache (clean, reclaimable).
    Cache = 2,
    /// In the balloon, acknowledged by the host.
    Ballooned = 3,
    /// Free and reported to the host (PageReported): the allocator may still take it.
    Reported = 4,
    /// Held by the driver for a free page hint run.
    Hinted = 5,
    /// Taken for the balloon, PFN sent, inflate not yet acknowledged: must not be touched.
    Inflating = 6,
    /// Isolated for a free page report not yet acknowledged: must not be touched.
    Reporting = 7,
}

impl PageState {
    /// Every state, in code order.
    pub const ALL: [PageState; 8] = [
        PageState::Free,
        PageState::Used,
        PageState::Cache,
        PageState::Ballooned,
        PageState::Reported,
        PageState::Hinted,
        PageState::Inflating,
        PageState::Reporting,
    ];
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
    fn from_code(c: u8) -> PageState {
        PageState::ALL[usize::from(c & 7)]
    }
    /// Short lower-case name for the UI.
    pub fn name(self) -> &'static str {
        match self {
            PageState::Free => "free",
            PageState::Used => "used",
            PageState::Cache => "cache",
            PageState::Ballooned => "ballooned",
            PageState::Reported => "reported",
            PageState::Hinted => "hinted",
            PageState::Inflating => "inflating",
            PageState::Reporting => "reporting",
        }
    }
}

/// A set of page states (bit n = state code n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateSet(u8);

impl StateSet {
    /// Pages the buddy allocator may hand out: Free and Reported.
    pub const ALLOCATABLE: StateSet = StateSet(1 | 1 << 4);
    /// Exactly one state.
    pub const fn one(s: PageState) -> StateSet {
        StateSet(1 << s as u8)
    }
    /// Whether `s` is in the set.
    pub fn contains(self, s: PageState) -> bool {
        self.0 & (1 << s.code()) != 0
    }
    /// Bit n set for state code n.
    pub(crate) fn bits(self) -> u8 {
        self.0
    }
    /// Whether every state of the set is counted by the per-block Free and Reported counters,
    /// so a block whose counters are both zero holds none of the set.
    fn counted_per_block(self) -> bool {
        self.0 & !Self::ALLOCATABLE.0 == 0
    }
}

/// Which end of memory a search starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Lowest PFN first (application and page cache allocations).
    Up,
    /// Highest PFN first (balloon pages, as a Linux guest shows them).
    Down,
}

/// The state of every page of a guest, 3 bits a page at most.
#[derive(Debug, Clone)]
pub struct PageMap {
    nr_pages: u64,
    chunks: Vec<Chunk>,
    counts: [u64; 8],
    /// Which chunks hold which states (kept in step with `chunks` by every change).
    index: ChunkIndex,
}

impl PageMap {
    /// A map of `nr_pages` pages, all Free. `nr_pages` must be a non-zero multiple of 512.
    pub fn new(nr_pages: u64) -> Result<PageMap, Error> {
        if nr_pages == 0 || !nr_pages.is_multiple_of(BLOCK_PAGES) || nr_pages > 1 << 32 {
            return Err(Error::InvalidMemorySize {
                bytes: nr_pages.saturating_mul(balloon_spec::PAGE_SIZE),
            });
        }
        let n = nr_pages.div_ceil(CHUNK_PAGES) as usize;
        let mut counts = [0; 8];
        counts[0] = nr_pages;
        Ok(PageMap {
            nr_pages,
            chunks: vec![Chunk::Uniform(PageState::Free); n],
            counts,
            index: ChunkIndex::uniform(n, PageState::Free),
        })
    }
    /// Number of pages.
    pub fn nr_pages(&self) -> u64 {
        self.nr_pages
    }
    /// Pages in state `s`.
    pub fn count(&self, s: PageState) -> u64 {
        self.counts[s as usize]
    }
    fn chunk_pages(&self, i: usize) -> u64 {
        (self.nr_pages - i as u64 * CHUNK_PAGES).min(CHUNK_PAGES)
    }
    /// Heap bytes held by the map (the vectors' capacities, the summary level's included):
    /// what a 64 GiB guest costs.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * size_of::<Chunk>()
            + self.index.heap_bytes()
            + self
                .chunks
                .iter()
                .map(|c| match c {
                    Chunk::Mixed(m) => m.heap_bytes(),
                    Chunk::Uniform(_) => 0,
                })
                .sum::<usize>()
    }
    /// Chunks stored as mixed bit planes (the rest are a single state).
    pub fn mixed_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| matches!(c, Chunk::Mixed(_)))
            .count()
    }

    /// The state of page `pfn`.
    pub fn state(&self, pfn: u64) -> Result<PageState, Error> {
        if pfn >= self.nr_pages {
            return Err(Error::PfnOutOfRange {
                pfn,
                nr_pages: self.nr_pages,
            });
        }
        let i = (pfn >> CHUNK_SHIFT) as usize;
        Ok(match &self.chunks[i] {
            Chunk::Uniform(s) => *s,
            Chunk::Mixed(m) => {
                let off = pfn & (CHUNK_PAGES - 1);
                let (w, bit) = ((off / 64) as usize, off % 64);
                PageState::from_code(
                    ((m.planes[0][w] >> bit & 1)
                        | (m.planes[1][w] >> bit & 1) << 1
                        | (m.planes[2][w] >> bit & 1) << 2) as u8,
                )
            }
        })
    }

    fn mixed(&mut self, i: usize) -> &mut Mixed {
        let words = (self.chunk_pages(i) / 64) as usize;
        self.chunks[i].materialise(words)
    }

    /// Stores chunk `i` as the single state `to` if a conversion to `to` filled it: the only
    /// state a conversion can fill (a mixed chunk never has a full state between calls).
    fn collapse(&mut self, i: usize, to: PageState) {
        let pages = self.chunk_pages(i) as u32;
        if let Chunk::Mixed(m) = &self.chunks[i]
            && m.counts[to as usize] == pages
        {
            self.chunks[i] = Chunk::Uniform(to);
        }
    }

    /// Counts the pages of `first..first+count` whose state is in `set`.
    pub fn count_in(&self, first: u64, count: u64, set: StateSet) -> Result<u64, Error> {
        self.check_range(first, count)?;
        let mut n = 0;
        for (i, mut pfn, stop) in chunk_pieces(first, count) {
            match &self.chunks[i] {
                // A chunk of one state answers for all its pages at once.
                Chunk::Uniform(s) => {
                    if set.contains(*s) {
                        n += stop - pfn;
                    }
                }
                Chunk::Mixed(m) => {
                    while pfn < stop {
                        let (w, sel, k) = word_sel(pfn, stop);
                        n += u64::from((set_mask(&m.planes, w, set) & sel).count_ones());
                        pfn += k;
                    }
                }
            }
        }
        Ok(n)
    }

    /// Whether every page of `first..first+count` is in `set` (what `convert` checks first:
    /// a word at a time, stopping at the first page outside, without counting).
    fn all_in(&self, first: u64, count: u64, set: StateSet) -> Result<bool, Error> {
        self.check_range(first, count)?;
        for (i, pfn, stop) in chunk_pieces(first, count) {
            let ok = match &self.chunks[i] {
                Chunk::Uniform(s) => set.contains(*s),
                Chunk::Mixed(m) => {
                    let off = pfn & (CHUNK_PAGES - 1);
                    m.all_in(off, off + (stop - pfn), set)
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn check_range(&self, first: u64, count: u64) -> Result<(), Error> {
        match first.checked_add(count) {
            Some(end) if end <= self.nr_pages => Ok(()),
            _ => Err(Error::PfnOutOfRange {
                pfn: first.saturating_add(count),
                nr_pages: self.nr_pages,
            }),
        }
    }

    /// Moves every page of `first..first+count` to `to`, after checking that each one is in
    /// `from` (nothing changes if one is not).
    pub fn convert(
        &mut self,
        first: u64,
        count: u64,
        from: StateSet,
        to: PageState,
    ) -> Result<(), Error> {
        if !self.all_in(first, count, from)? {
            let bad = (first..first + count)
                .find(|p| self.state(*p).is_ok_and(|s| !from.contains(s)))
                .unwrap_or(first);
            let found = self.state(bad)?;
            return Err(Error::PageStateMismatch {
                pfn: bad,
                found,
                wanted: to,
            });
        }
        let mut pfn = first;
        let end = first + count;
        while pfn < end {
            let i = (pfn >> CHUNK_SHIFT) as usize;
            let off = pfn & (CHUNK_PAGES - 1);
            let pages = self.chunk_pages(i);
            if off == 0
                && end - pfn >= pages
                && let Chunk::Uniform(s) = self.chunks[i]
            {
                self.counts[s as usize] -= pages;
                self.counts[to as usize] += pages;
                self.chunks[i] = Chunk::Uniform(to);
                self.index.update(i, &self.chunks[i]);
                pfn += pages;
                continue;
            }
            let stop = end.min((i as u64 + 1) * CHUNK_PAGES);
            // The chunk and the map's counters are separate fields: no copy of the counters.
            let m = self.chunks[i].materialise((pages / 64) as usize);
            // Every page of the range is in `from` (checked above).
            m.move_range(off, off + (stop - pfn), from, to, &mut self.counts);
            pfn = stop;
            self.collapse(i, to);
            self.index.update(i, &self.chunks[i]);
        }
        Ok(())
    }

    /// Pages of `first..first+count` in each state, indexed by state code (for the UI's
    /// aggregated memory map): whole chunks cost O(1), from their state or counters; only the
    /// partial chunks at the ends are read word by word.
    pub fn histogram(&self, first: u64, count: u64) -> Result<[u64; 8], Error> {
        self.check_range(first, count)?;
        let mut h = [0u64; 8];
        for (i, mut pfn, stop) in chunk_pieces(first, count) {
            match &self.chunks[i] {
                Chunk::Uniform(s) => h[*s as usize] += stop - pfn,
                // A whole chunk is read from its counters: a memory map of a large guest costs
                // one step per chunk, not one per word.
                Chunk::Mixed(m) if stop - pfn == self.chunk_pages(i) => {
                    for (n, c) in h.iter_mut().zip(m.counts) {
                        *n += u64::from(c);
                    }
                }
                Chunk::Mixed(m) => {
                    while pfn < stop {
                        let (w, sel, n) = word_sel(pfn, stop);
                        for s in PageState::ALL {
                            h[s as usize] +=
                                u64::from((state_mask(&m.planes, w, s) & sel).count_ones());
                        }
                        pfn += n;
                    }
                }
            }
        }
        Ok(h)
    }

    /// Free and Reported page counts of the 512-page block `block` (pfn = block × 512).
    pub fn block_counts(&self, block: u64) -> (u64, u64) {
        let pfn = block * BLOCK_PAGES;
        if pfn >= self.nr_pages {
            return (0, 0);
        }
        let i = (pfn >> CHUNK_SHIFT) as usize;
        match &self.chunks[i] {
            Chunk::Uniform(PageState::Free) => (BLOCK_PAGES, 0),
            Chunk::Uniform(PageState::Reported) => (0, BLOCK_PAGES),
            Chunk::Uniform(_) => (0, 0),
            Chunk::Mixed(m) => {
                let b = ((pfn & (CHUNK_PAGES - 1)) / BLOCK_PAGES) as usize;
                (u64::from(m.block_free[b]), u64::from(m.block_reported[b]))
            }
        }
    }

    /// The one state of the chunk holding `block`, if it is uniform.
    pub fn chunk_uniform(&self, block: u64) -> Option<PageState> {
        match self
            .chunks
            .get(((block * BLOCK_PAGES) >> CHUNK_SHIFT) as usize)
        {
            Some(Chunk::Uniform(s)) => Some(*s),
            _ => None,
        }
    }

    /// Free (unreported) pages in the chunk holding `block`.
    pub fn chunk_free(&self, block: u64) -> u64 {
        let i = ((block * BLOCK_PAGES) >> CHUNK_SHIFT) as usize;
        match self.chunks.get(i) {
            Some(Chunk::Uniform(PageState::Free)) => self.chunk_pages(i),
            Some(Chunk::Mixed(m)) => u64::from(m.counts[0]),
            _ => 0,
        }
    }

    /// The first chunk at or after `chunk` (Up) or at or before it (Down) that holds a page
    /// in a state of `set`, from the summary level: block scans jump over the rest.
    pub fn next_chunk_holding(&self, set: StateSet, chunk: usize, dir: Direction) -> Option<usize> {
        self.index.next(set, chunk, dir)
    }

    /// Whether the whole chunk holding `block` has no Free or Reported page (lets block scans
    /// skip 64 blocks at once).
    pub fn chunk_has_no_free(&self, block: u64) -> bool {
        let i = ((block * BLOCK_PAGES) >> CHUNK_SHIFT) as usize;
        match self.chunks.get(i) {
            Some(Chunk::Uniform(s)) => !StateSet::ALLOCATABLE.contains(*s),
            Some(Chunk::Mixed(m)) => m.counts[0] == 0 && m.counts[4] == 0,
            None => true,
        }
    }
}

/// The pieces of `first..first+count` that fall in one chunk each: (chunk, first, stop).
fn chunk_pieces(first: u64, count: u64) -> impl Iterator<Item = (usize, u64, u64)> {
    let end = first + count;
    let mut pfn = first;
    std::iter::from_fn(move || {
        (pfn < end).then(|| {
            let i = (pfn >> CHUNK_SHIFT) as usize;
            let stop = end.min((i as u64 + 1) * CHUNK_PAGES);
            let piece = (i, pfn, stop);
            pfn = stop;
            piece
        })
    })
}

/// The word of the chunk holding `pfn`, the pages of `pfn..stop` it covers as a mask, and
/// how many they are (`stop` is within the same chunk; both may be offsets in the chunk).
pub(crate) fn word_sel(pfn: u64, stop: u64) -> (usize, u64, u64) {
    let off = pfn & (CHUNK_PAGES - 1);
    let (w, bit) = ((off / 64) as usize, off % 64);
    let n = (64 - bit).min(stop - pfn);
    let sel = if n == 64 {
        !0
    } else {
        ((1u64 << n) - 1) << bit
    };
    (w, sel, n)
}

/// Blocks of 512 pages in one chunk (for scans that skip a chunk at a time).
pub const BLOCKS_PER_CHUNK: u64 = CHUNK_PAGES / BLOCK_PAGES;
