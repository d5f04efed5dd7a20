//! The summary level above the chunks: which 128 MiB chunks hold any page of each state, as
//! one bit per chunk and one bit per 64 chunks above that, so the allocation walk
//! ([`PageMap::take`](super::PageMap::take)) jumps from one chunk that can give pages to the
//! next instead of visiting every chunk in between.
//!
//! Why: a balloon filling a fragmented guest allocates from the lowest free page on every
//! message (`fill_balloon` → `balloon_page_alloc` → `alloc_pages`, whose `rmqueue` takes the
//! head of the free list), so without this level each message walked every chunk below the
//! frontier, and each of those chunk's 64 block counters (or 512 plane words for states the
//! blocks do not count): work linear in the fragmented region, on every 256-page message.
//! With it, finding the next chunk costs a word per 4096 chunks at worst (a 16 TiB guest has
//! 131,072 chunks: 32 words), and a chunk holding none of the wanted states is never entered.

use crate::chunk::Chunk;
use crate::pagemap::{Direction, PageState, StateSet};

/// Bit `i` of `level0[s]` is set when chunk `i` holds a page in state `s`; bit `j` of
/// `level1[s]` when word `j` of `level0[s]` is not zero.
#[derive(Debug, Clone)]
pub(crate) struct ChunkIndex {
    /// Per chunk, bit `s` set when it holds a page in state `s` (what the levels say, kept
    /// so that a change that leaves a chunk's states as they were costs one comparison).
    present: Vec<u8>,
    level0: [Vec<u64>; 8],
    level1: [Vec<u64>; 8],
}

fn set_bit(words: &mut [u64], i: usize, on: bool) {
    if on {
        words[i / 64] |= 1 << (i % 64);
    } else {
        words[i / 64] &= !(1 << (i % 64));
    }
}

/// Bits of `w` at positions `>= from` (Up) or `<= from` (Down).
fn from_bit(w: u64, from: usize, dir: Direction) -> u64 {
    match dir {
        Direction::Up => w & (!0u64 << from),
        Direction::Down if from == 63 => w,
        Direction::Down => w & ((1u64 << (from + 1)) - 1),
    }
}

/// The first set bit of `w` in `dir` order.
fn first_bit(w: u64, dir: Direction) -> usize {
    match dir {
        Direction::Up => w.trailing_zeros() as usize,
        Direction::Down => 63 - w.leading_zeros() as usize,
    }
}

impl ChunkIndex {
    /// An index of `n` chunks, every one holding only `s`.
    pub(crate) fn uniform(n: usize, s: PageState) -> ChunkIndex {
        let w0 = n.div_ceil(64);
        let w1 = w0.div_ceil(64);
        let mut index = ChunkIndex {
            present: vec![0; n],
            level0: std::array::from_fn(|_| vec![0; w0]),
            level1: std::array::from_fn(|_| vec![0; w1]),
        };
        for i in 0..n {
            index.set_present(i, 1 << s as u8);
        }
        index
    }

    fn mark(&mut self, i: usize, s: PageState, on: bool) {
        let k = s as usize;
        set_bit(&mut self.level0[k], i, on);
        let word = i / 64;
        let any = self.level0[k][word] != 0;
        set_bit(&mut self.level1[k], word, any);
    }

    fn set_present(&mut self, i: usize, present: u8) {
        let changed = self.present[i] ^ present;
        self.present[i] = present;
        for s in PageState::ALL {
            if changed >> s as u8 & 1 == 1 {
                self.mark(i, s, present >> s as u8 & 1 == 1);
            }
        }
    }

    /// Records what chunk `i` holds now.
    pub(crate) fn update(&mut self, i: usize, chunk: &Chunk) {
        let present = match chunk {
            Chunk::Uniform(u) => 1 << *u as u8,
            Chunk::Mixed(m) => m
                .counts
                .iter()
                .enumerate()
                .fold(0, |acc, (k, n)| acc | u8::from(*n > 0) << k),
        };
        if present != self.present[i] {
            self.set_present(i, present);
        }
    }

    /// Heap bytes held (the vectors' capacities).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.present.capacity()
            + self
                .level0
                .iter()
                .chain(&self.level1)
                .map(|v| v.capacity() * 8)
                .sum::<usize>()
    }

    /// Word `w` of `level` for the union of the states of `set`.
    fn word(level: &[Vec<u64>; 8], set: StateSet, w: usize) -> u64 {
        PageState::ALL
            .iter()
            .filter(|s| set.contains(**s))
            .fold(0, |acc, s| acc | level[*s as usize][w])
    }

    /// The first chunk at or after `i` (Up) or at or before `i` (Down) holding a page of
    /// `set`.
    pub(crate) fn next(&self, set: StateSet, i: usize, dir: Direction) -> Option<usize> {
        let w0 = i / 64;
        if w0 >= self.level0[0].len() {
            return None;
        }
        let here = from_bit(Self::word(&self.level0, set, w0), i % 64, dir);
        if here != 0 {
            return Some(w0 * 64 + first_bit(here, dir));
        }
        // The next level-0 word with a bit set, through the level above.
        let start = match dir {
            Direction::Up => w0 + 1,
            Direction::Down => w0.checked_sub(1)?,
        };
        let mut w1 = start / 64;
        let mut bits = from_bit(Self::word(&self.level1, set, w1), start % 64, dir);
        loop {
            if bits != 0 {
                let w = w1 * 64 + first_bit(bits, dir);
                let word = Self::word(&self.level0, set, w);
                return Some(w * 64 + first_bit(word, dir));
            }
            w1 = match dir {
                Direction::Up if w1 + 1 < self.level1[0].len() => w1 + 1,
                Direction::Down if w1 > 0 => w1 - 1,
                _ => return None,
            };
            bits = Self::word(&self.level1, set, w1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index's answer against a plain scan of what each chunk holds, from every start, in
    /// both directions, for a single state and for Free + Reported, on more chunks than one
    /// level-1 word covers (4096), so the search crosses both levels.
    #[test]
    fn next_agrees_with_a_linear_scan() {
        let n = 9000;
        let mut index = ChunkIndex::uniform(n, PageState::Used);
        let mut holds = vec![1u8 << PageState::Used as u8; n];
        // A few chunks far apart, some at word and level-1 boundaries.
        for (i, s) in [
            (0, PageState::Free),
            (63, PageState::Reported),
            (64, PageState::Cache),
            (4095, PageState::Free),
            (4096, PageState::Reported),
            (8191, PageState::Cache),
            (8999, PageState::Free),
        ] {
            index.update(i, &Chunk::Uniform(s));
            holds[i] = 1 << s as u8;
        }
        for set in [
            StateSet::ALLOCATABLE,
            StateSet::one(PageState::Cache),
            StateSet::one(PageState::Hinted),
        ] {
            for start in (0..n).step_by(7).chain([0, 63, 64, 4095, 4096, n - 1]) {
                let up = (start..n).find(|i| holds[*i] & set.bits() != 0);
                let down = (0..=start).rev().find(|i| holds[*i] & set.bits() != 0);
                assert_eq!(
                    index.next(set, start, Direction::Up),
                    up,
                    "{set:?} up {start}"
                );
                assert_eq!(
                    index.next(set, start, Direction::Down),
                    down,
                    "{set:?} down {start}"
                );
            }
        }
        assert_eq!(index.next(StateSet::ALLOCATABLE, n, Direction::Up), None);
    }
}
