//! One 128 MiB chunk of the page map: a single state, or three bit planes with per-block
//! counters; plus the word-level helpers that select and report pages.

use crate::pagemap::{BLOCK_PAGES, BLOCK_WORDS, Direction, PageState, StateSet, word_sel};
use crate::runs::Runs;

#[derive(Debug, Clone)]
pub(crate) struct Mixed {
    pub planes: [Vec<u64>; 3],
    pub counts: [u32; 8],
    /// Per 512-page block: pages Free, pages Reported.
    pub block_free: Vec<u16>,
    pub block_reported: Vec<u16>,
}

#[derive(Debug, Clone)]
pub(crate) enum Chunk {
    Uniform(PageState),
    Mixed(Box<Mixed>),
}

/// The pages of one state among the three plane words of a 64-page word.
#[inline]
fn state_bits(words: [u64; 3], code: u8) -> u64 {
    let pick = |w: u64, k: u8| if code >> k & 1 == 1 { w } else { !w };
    pick(words[0], 0) & pick(words[1], 1) & pick(words[2], 2)
}

#[inline]
fn plane_words(planes: &[Vec<u64>; 3], w: usize) -> [u64; 3] {
    [planes[0][w], planes[1][w], planes[2][w]]
}

pub(crate) fn state_mask(planes: &[Vec<u64>; 3], w: usize, s: PageState) -> u64 {
    state_bits(plane_words(planes, w), s.code())
}

pub(crate) fn set_mask(planes: &[Vec<u64>; 3], w: usize, set: StateSet) -> u64 {
    // The three plane words are loaded once for every state of the set; the sets every walk
    // uses (one state, or Free and Reported) take one expression instead of a loop over the
    // eight codes.
    let words = plane_words(planes, w);
    let bits = set.bits();
    if bits.is_power_of_two() {
        return state_bits(words, bits.trailing_zeros() as u8);
    }
    if set == StateSet::ALLOCATABLE {
        // Free (000) and Reported (100): planes 0 and 1 clear.
        return !words[0] & !words[1];
    }
    each_code(bits).fold(0, |m, c| m | state_bits(words, c))
}

/// The state codes whose bits are set in `bits`, lowest first.
fn each_code(bits: u8) -> impl Iterator<Item = u8> {
    let mut rest = bits;
    std::iter::from_fn(move || {
        (rest != 0).then(|| {
            let c = rest.trailing_zeros() as u8;
            rest &= rest - 1;
            c
        })
    })
}

impl Chunk {
    /// The chunk as bit planes of `words` words, stored so first if it was one state.
    pub(crate) fn materialise(&mut self, words: usize) -> &mut Mixed {
        if let Chunk::Uniform(s) = *self {
            *self = Chunk::Mixed(Box::new(Mixed::filled(words, s)));
        }
        match self {
            Chunk::Mixed(m) => m,
            Chunk::Uniform(_) => unreachable!("materialised above"),
        }
    }
}

impl Mixed {
    pub(crate) fn filled(words: usize, s: PageState) -> Mixed {
        let c = s.code();
        let planes = [0, 1, 2].map(|k| vec![if c >> k & 1 == 1 { !0u64 } else { 0 }; words]);
        let pages = (words * 64) as u32;
        let blocks = words / BLOCK_WORDS;
        let mut counts = [0; 8];
        counts[usize::from(c)] = pages;
        let full = |t: PageState| vec![if s == t { BLOCK_PAGES as u16 } else { 0 }; blocks];
        Mixed {
            planes,
            counts,
            block_free: full(PageState::Free),
            block_reported: full(PageState::Reported),
        }
    }

    /// Moves the pages of `sel` in word `w`, each in a state of `from`, to `to`.
    pub(crate) fn apply(
        &mut self,
        w: usize,
        sel: u64,
        from: StateSet,
        to: PageState,
        global: &mut [u64; 8],
    ) {
        self.move_pages(w, sel, sel.count_ones(), from, to, global);
    }

    /// [`Mixed::apply`] for a caller that knows `sel` holds `n` pages. Only the states of
    /// `from` are counted out (the callers checked that `sel` holds no other): none at all
    /// when `from` is one state, instead of eight on every word a conversion touches.
    pub(crate) fn move_pages(
        &mut self,
        w: usize,
        sel: u64,
        n: u32,
        from: StateSet,
        to: PageState,
        global: &mut [u64; 8],
    ) {
        let b = w / BLOCK_WORDS;
        let words = plane_words(&self.planes, w);
        let bits = from.bits();
        let mut count_out = |c: u8, n: u32| {
            if n == 0 {
                return;
            }
            self.counts[usize::from(c)] -= n;
            global[usize::from(c)] -= u64::from(n);
            match c {
                0 => self.block_free[b] -= n as u16,
                4 => self.block_reported[b] -= n as u16,
                _ => {}
            }
        };
        if bits.is_power_of_two() {
            // Every page of `sel` is in the one state.
            count_out(bits.trailing_zeros() as u8, n);
        } else {
            for c in each_code(bits) {
                count_out(c, (state_bits(words, c) & sel).count_ones());
            }
        }
        self.counts[to as usize] += n;
        global[to as usize] += u64::from(n);
        match to {
            PageState::Free => self.block_free[b] += n as u16,
            PageState::Reported => self.block_reported[b] += n as u16,
            _ => {}
        }
        let c = to.code();
        for (k, plane) in self.planes.iter_mut().enumerate() {
            let p = &mut plane[w];
            *p = if c >> k & 1 == 1 { *p | sel } else { *p & !sel };
        }
    }

    /// Moves the pages `first..stop` of the chunk (offsets in pages), every one in `from`
    /// (the caller checked), to `to`. With one source state the counters move by the range's
    /// length and the block counters by each block's share of it, so no page is counted: the
    /// planes are the only per-word work. (An application freeing 16 GiB in 16,384 runs,
    /// `free_app`, converts 65,536 words in one event.)
    pub(crate) fn move_range(
        &mut self,
        first: u64,
        stop: u64,
        from: StateSet,
        to: PageState,
        global: &mut [u64; 8],
    ) {
        let bits = from.bits();
        if !bits.is_power_of_two() {
            let mut at = first;
            while at < stop {
                let (w, sel, n) = word_sel(at, stop);
                self.move_pages(w, sel, n as u32, from, to, global);
                at += n;
            }
            return;
        }
        let f = bits.trailing_zeros() as usize;
        let total = stop - first;
        self.counts[f] -= total as u32;
        global[f] -= total;
        self.counts[to as usize] += total as u32;
        global[to as usize] += total;
        let (t, counted) = (to as usize, |c: usize| c == 0 || c == 4);
        if counted(f) || counted(t) {
            let mut at = first;
            while at < stop {
                let b = (at / BLOCK_PAGES) as usize;
                let n = (stop.min((b as u64 + 1) * BLOCK_PAGES) - at) as u16;
                for (c, sign) in [(f, -1i32), (t, 1)] {
                    let block = match c {
                        0 => &mut self.block_free[b],
                        4 => &mut self.block_reported[b],
                        _ => continue,
                    };
                    *block = if sign < 0 { *block - n } else { *block + n };
                }
                at += u64::from(n);
            }
        }
        // Each plane's words of the range as one slice (one bounds check, not one a word):
        // set where `to`'s code has the plane's bit, cleared elsewhere.
        let (w0, w1) = ((first / 64) as usize, ((stop - 1) / 64) as usize);
        let head = !0u64 << (first % 64);
        let tail = !0u64 >> (63 - (stop - 1) % 64);
        let c = to.code();
        for (k, plane) in self.planes.iter_mut().enumerate() {
            let on = c >> k & 1 == 1;
            let words = &mut plane[w0..=w1];
            let last = words.len() - 1;
            for (j, x) in words.iter_mut().enumerate() {
                let sel = match (j == 0, j == last) {
                    (true, true) => head & tail,
                    (true, false) => head,
                    (false, true) => tail,
                    (false, false) => !0,
                };
                *x = if on { *x | sel } else { *x & !sel };
            }
        }
    }

    /// Whether every page of `first..stop` (offsets in pages) is in `set`; stops at the
    /// first word that has one outside.
    pub(crate) fn all_in(&self, first: u64, stop: u64, set: StateSet) -> bool {
        let mut at = first;
        while at < stop {
            let (w, sel, n) = word_sel(at, stop);
            if set_mask(&self.planes, w, set) & sel != sel {
                return false;
            }
            at += n;
        }
        true
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.planes.iter().map(|p| p.capacity() * 8).sum::<usize>()
            + (self.block_free.capacity() + self.block_reported.capacity()) * 2
            + size_of::<Mixed>()
    }
}

/// Appends the set bits of `sel` (word `w` of chunk `base`) to `runs`, in `dir` order.
pub(crate) fn push_bits(runs: &mut Runs, base: u64, sel: u64, dir: Direction) {
    let mut m = sel;
    while m != 0 {
        match dir {
            Direction::Up => {
                let start = m.trailing_zeros();
                let len = (m >> start).trailing_ones();
                runs.push_up(base + u64::from(start), u64::from(len));
                m &= if start + len >= 64 {
                    0
                } else {
                    !0u64 << (start + len)
                };
            }
            Direction::Down => {
                let top = 63 - m.leading_zeros();
                let len = (m << (63 - top)).leading_ones();
                let first = top + 1 - len;
                runs.push_down(base + u64::from(first), u64::from(len));
                m &= if first == 0 { 0 } else { (1u64 << first) - 1 };
            }
        }
    }
}

/// Keeps the `k` lowest (Up) or highest (Down) set bits of `m`.
pub(crate) fn keep_bits(m: u64, k: u32, dir: Direction) -> u64 {
    if m.count_ones() <= k {
        return m;
    }
    let mut out = 0;
    let mut rest = m;
    for _ in 0..k {
        let bit = match dir {
            Direction::Up => rest & rest.wrapping_neg(),
            Direction::Down => 1u64 << (63 - rest.leading_zeros()),
        };
        out |= bit;
        rest &= !bit;
    }
    out
}
