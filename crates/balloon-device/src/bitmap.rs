//! A bitmap of 4 KiB frames: one bit per frame, so a 64 GiB guest costs 2 MiB.
//!
//! The bits live in blocks shared copy-on-write (`Rc`): the session's time-travel snapshots
//! clone the host's bitmaps often, and a clone costs its block pointers, not its megabytes;
//! a write copies only the block it touches.

use std::rc::Rc;

use serde::Serialize;

/// Frames per counted block (128 MiB of 4 KiB frames).
pub const BLOCK_FRAMES: u64 = 1 << 15;
const BLOCK_WORDS: usize = (BLOCK_FRAMES / 64) as usize;

/// One bit per 4 KiB frame, with a running count of set bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameBitmap {
    #[serde(skip)]
    chunks: Vec<Rc<[u64; BLOCK_WORDS]>>,
    /// Set bits per block of [`BLOCK_FRAMES`] frames, so that counting a large range costs
    /// its blocks, not its words (the memory map of a 64 GiB guest on every render).
    #[serde(skip)]
    blocks: Vec<u32>,
    frames: u64,
    set: u64,
}

impl FrameBitmap {
    /// An all-clear bitmap for `frames` frames.
    pub fn new(frames: u64) -> Self {
        Self {
            // Every block starts as one shared zero block; a write copies the one it changes.
            chunks: std::iter::repeat_n(
                Rc::new([0; BLOCK_WORDS]),
                frames.div_ceil(BLOCK_FRAMES) as usize,
            )
            .collect(),
            blocks: vec![0; frames.div_ceil(BLOCK_FRAMES) as usize],
            frames,
            set: 0,
        }
    }

    /// How many frames the bitmap covers.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// How many bits are set.
    pub fn count(&self) -> u64 {
        self.set
    }

    /// Whether `frame` is set (false past the end).
    pub fn get(&self, frame: u64) -> bool {
        frame < self.frames && self.word((frame / 64) as usize) & (1 << (frame % 64)) != 0
    }

    /// Sets `first..first+count` (clipped to the bitmap); returns how many bits changed.
    pub fn set_range(&mut self, first: u64, count: u64) -> u64 {
        let changed = self.apply(first, count, true);
        self.set += changed;
        changed
    }

    /// Clears `first..first+count` (clipped to the bitmap); returns how many bits changed.
    pub fn clear_range(&mut self, first: u64, count: u64) -> u64 {
        let changed = self.apply(first, count, false);
        self.set -= changed;
        changed
    }

    /// How many bits are set in `first..first+count` (clipped): whole blocks from their
    /// counters, the partial blocks at each end word by word.
    pub fn count_range(&self, first: u64, count: u64) -> u64 {
        let end = first.saturating_add(count).min(self.frames);
        if first >= end {
            return 0;
        }
        let (b0, b1) = (first.div_ceil(BLOCK_FRAMES), end / BLOCK_FRAMES);
        if b0 >= b1 {
            return self.count_words(first, end);
        }
        let whole: u64 = self.blocks[b0 as usize..b1 as usize]
            .iter()
            .map(|n| u64::from(*n))
            .sum();
        self.count_words(first, b0 * BLOCK_FRAMES)
            + whole
            + self.count_words(b1 * BLOCK_FRAMES, end)
    }

    /// Set bits in `first..end` (`end` within the bitmap), word by word.
    fn count_words(&self, first: u64, end: u64) -> u64 {
        if first >= end {
            return 0;
        }
        let (w0, b0) = ((first / 64) as usize, first % 64);
        let (w1, b1) = ((end / 64) as usize, end % 64);
        if w0 == w1 {
            return u64::from((self.word(w0) & Self::mask(b0, b1 - b0)).count_ones());
        }
        let head = u64::from((self.word(w0) & Self::mask(b0, 64 - b0)).count_ones());
        let middle: u64 = (w0 + 1..w1)
            .map(|w| u64::from(self.word(w).count_ones()))
            .sum();
        let tail = if b1 == 0 {
            0
        } else {
            u64::from((self.word(w1) & Self::mask(0, b1)).count_ones())
        };
        head + middle + tail
    }

    /// Moves the set bits of `first..first+count` (clipped) from `self` into `to` (same size):
    /// they are cleared here and set there. Returns how many bits moved. Word by word, so a
    /// whole message's range costs its words, not its frames.
    pub fn move_range(&mut self, to: &mut FrameBitmap, first: u64, count: u64) -> u64 {
        let end = first.saturating_add(count).min(self.frames.min(to.frames));
        let mut moved = 0;
        let mut f = first;
        while f < end {
            let (w, b) = ((f / 64) as usize, f % 64);
            let span = (64 - b).min(end - f);
            let bits = self.word(w) & Self::mask(b, span);
            if bits != 0 {
                let n = bits.count_ones();
                *self.word_mut(w) &= !bits;
                self.blocks[(f / BLOCK_FRAMES) as usize] -= n;
                self.set -= u64::from(n);
                let fresh = bits & !to.word(w);
                let k = fresh.count_ones();
                *to.word_mut(w) |= bits;
                to.blocks[(f / BLOCK_FRAMES) as usize] += k;
                to.set += u64::from(k);
                moved += u64::from(n);
            }
            f += span;
        }
        moved
    }

    /// Clears every bit.
    pub fn clear_all(&mut self) {
        let zero = Rc::new([0; BLOCK_WORDS]);
        self.chunks.fill(zero);
        self.blocks.fill(0);
        self.set = 0;
    }

    fn word(&self, w: usize) -> u64 {
        self.chunks[w / BLOCK_WORDS][w % BLOCK_WORDS]
    }

    /// The word to change, copying its block first if a snapshot still shares it.
    fn word_mut(&mut self, w: usize) -> &mut u64 {
        &mut Rc::make_mut(&mut self.chunks[w / BLOCK_WORDS])[w % BLOCK_WORDS]
    }

    fn mask(bit: u64, span: u64) -> u64 {
        if span == 64 {
            u64::MAX
        } else {
            ((1u64 << span) - 1) << bit
        }
    }

    fn apply(&mut self, first: u64, count: u64, value: bool) -> u64 {
        let end = first.saturating_add(count).min(self.frames);
        let mut changed = 0;
        let mut f = first;
        while f < end {
            let (w, b) = ((f / 64) as usize, f % 64);
            let span = (64 - b).min(end - f);
            let m = Self::mask(b, span);
            let old = self.word(w);
            let new = if value { old | m } else { old & !m };
            changed += u64::from((old ^ new).count_ones());
            if new != old {
                *self.word_mut(w) = new;
            }
            // The block's count includes this word's old bits, so adding first cannot underflow.
            let block = &mut self.blocks[w / BLOCK_WORDS];
            *block = *block + new.count_ones() - old.count_ones();
            f += span;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_range_matches_a_bit_by_bit_count() {
        let mut b = FrameBitmap::new(1000);
        b.set_range(3, 5);
        b.set_range(60, 200);
        b.set_range(990, 10);
        for first in [0u64, 1, 3, 63, 64, 65, 127, 128, 500, 999, 1000, 1200] {
            for count in [0, 1, 2, 63, 64, 65, 128, 129, 700, 1000, u64::MAX] {
                let end = first.saturating_add(count).min(1000);
                let slow = (first..end).filter(|f| b.get(*f)).count() as u64;
                assert_eq!(b.count_range(first, count), slow, "{first}+{count}");
            }
        }
    }

    #[test]
    fn block_counters_agree_with_the_words() {
        let frames = 3 * BLOCK_FRAMES + 100;
        let mut b = FrameBitmap::new(frames);
        b.set_range(10, BLOCK_FRAMES + 5);
        b.set_range(2 * BLOCK_FRAMES - 3, BLOCK_FRAMES + 50);
        b.clear_range(BLOCK_FRAMES - 7, 20);
        b.set_range(frames - 30, 100);
        let slow = |first: u64, count: u64| {
            let end = first.saturating_add(count).min(frames);
            (first..end).filter(|f| b.get(*f)).count() as u64
        };
        for (first, count) in [
            (0, frames),
            (0, u64::MAX),
            (5, 2 * BLOCK_FRAMES),
            (BLOCK_FRAMES, BLOCK_FRAMES),
            (BLOCK_FRAMES - 1, BLOCK_FRAMES + 2),
            (2 * BLOCK_FRAMES + 1, BLOCK_FRAMES),
            (3 * BLOCK_FRAMES, 100),
        ] {
            assert_eq!(
                b.count_range(first, count),
                slow(first, count),
                "{first}+{count}"
            );
        }
        assert_eq!(b.count_range(0, frames), b.count());
        b.clear_all();
        assert_eq!(b.count_range(0, frames), 0);
    }

    #[test]
    fn ranges_across_words_count_changes_once() {
        let mut b = FrameBitmap::new(200);
        assert_eq!(b.set_range(60, 10), 10);
        assert_eq!(b.set_range(65, 10), 5);
        assert_eq!(b.count(), 15);
        assert_eq!(b.count_range(0, 200), 15);
        assert_eq!(b.count_range(64, 64), 11);
        assert!(b.get(60) && b.get(74) && !b.get(75));
        assert_eq!(b.clear_range(0, 1000), 15);
        assert_eq!(b.count(), 0);
        assert_eq!(b.set_range(190, 100), 10, "clipped at the end");
        assert_eq!(b.set_range(0, 128), 128, "whole words");
        assert_eq!(b.count(), 138);
    }

    #[test]
    fn sixty_four_gib_is_two_mib_of_bits() {
        let b = FrameBitmap::new(16_777_216);
        assert_eq!(b.chunks.len() * BLOCK_WORDS * 8, 2 << 20);
    }

    #[test]
    fn a_clone_shares_its_blocks_until_one_side_writes() {
        let mut a = FrameBitmap::new(4 * BLOCK_FRAMES);
        a.set_range(10, 5);
        let mut b = a.clone();
        assert!(Rc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        b.set_range(BLOCK_FRAMES * 2 + 1, 3);
        // Only the written block was copied; the original does not see the write.
        assert!(Rc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert!(!Rc::ptr_eq(&a.chunks[2], &b.chunks[2]));
        assert_eq!((a.count(), b.count()), (5, 8));
        assert!(!a.get(BLOCK_FRAMES * 2 + 1) && b.get(BLOCK_FRAMES * 2 + 1));
        // Setting bits that are already set copies nothing.
        let c = b.clone();
        b.set_range(10, 5);
        assert!(Rc::ptr_eq(&b.chunks[0], &c.chunks[0]));
    }

    #[test]
    fn move_range_moves_only_set_bits_and_keeps_counts() {
        let mut a = FrameBitmap::new(3 * BLOCK_FRAMES);
        let mut b = FrameBitmap::new(3 * BLOCK_FRAMES);
        a.set_range(BLOCK_FRAMES - 10, 30);
        b.set_range(BLOCK_FRAMES - 5, 2);
        let moved = a.move_range(&mut b, BLOCK_FRAMES - 20, 25);
        assert_eq!(moved, 15);
        assert_eq!(a.count(), 15);
        assert_eq!(
            b.count(),
            15,
            "two of the moved bits were set there already"
        );
        assert_eq!(b.count_range(BLOCK_FRAMES - 10, 15), 15);
        assert_eq!(a.count_range(0, 3 * BLOCK_FRAMES), a.count());
        assert_eq!(b.count_range(0, 3 * BLOCK_FRAMES), b.count());
        assert!(!a.get(BLOCK_FRAMES + 4) && a.get(BLOCK_FRAMES + 5));
    }
}
