//! The balloon page list (`vb_dev_info.pages`) as runs, and the PFN array in guest RAM.
//!
//! `balloon_page_enqueue` adds at the head and `balloon_page_dequeue` takes from the head, so
//! the list is LIFO: a deflate returns the most recently inflated pages first. A run `(f, c)`
//! on the stack has its list head at `f`: a descending inflate message pushes runs whose low
//! end is the last page enqueued, and a deflate takes pages from there upwards.

use virtq::GuestRam;

use crate::buffers::{ARRAY_PFNS_MAX, PFN_ARRAY};
use crate::error::Error;
use crate::runs::Runs;

/// Writes the PFNs of `pages`, in message order, into `vb->pfns` in guest RAM
/// (`set_page_pfns` for each page of the message).
pub(crate) fn write_pfns(ram: &mut impl GuestRam, pages: &Runs) -> Result<(), Error> {
    // One 4-byte store per PFN into a buffer, then one guest write; a run's PFNs are a plain
    // counting loop (a branch per PFN on the direction cost more than the rest of the inflate
    // path). The buffer is on the stack for a message that fits `vb->pfns` (every message but
    // a misbehaving driver's oversized one): an allocation per message cost about 1 % of a
    // bulk inflate.
    let n = pages.pages() as usize;
    let mut on_stack = [[0u8; 4]; ARRAY_PFNS_MAX as usize];
    let mut on_heap = Vec::new();
    let all: &mut [[u8; 4]] = match on_stack.get_mut(..n) {
        Some(s) => s,
        None => {
            on_heap.resize(n, [0u8; 4]);
            &mut on_heap
        }
    };
    let mut slots = &mut all[..];
    for &(f, n) in pages.runs() {
        let (run, rest) = std::mem::take(&mut slots).split_at_mut(n as usize);
        slots = rest;
        // PFNs are 32-bit in the array (`set_page_pfns`), so the run's arithmetic is too.
        let (low, high) = (f as u32, (f + n).wrapping_sub(1) as u32);
        if pages.is_descending() {
            for (k, slot) in (0u32..).zip(run.iter_mut()) {
                *slot = high.wrapping_sub(k).to_le_bytes();
            }
        } else {
            for (k, slot) in (0u32..).zip(run.iter_mut()) {
                *slot = low.wrapping_add(k).to_le_bytes();
            }
        }
    }
    ram.write(PFN_ARRAY, all.as_flattened())?;
    Ok(())
}

/// The balloon page list as runs `(first, count)`, the head of the list last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BalloonList(Vec<(u64, u64)>);

impl BalloonList {
    /// The runs, most recently enqueued last.
    pub(crate) fn runs(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// The lowest PFN in the balloon (what compaction moves first).
    pub(crate) fn lowest(&self) -> Option<u64> {
        self.0.iter().map(|r| r.0).min()
    }

    /// `balloon_page_enqueue` for each page (the list is LIFO: the head is the low end of the
    /// last run).
    pub(crate) fn enqueue(&mut self, pages: &Runs) {
        for &(f, c) in pages.runs() {
            match self.0.last_mut() {
                Some(top) if f + c == top.0 => *top = (f, top.1 + c),
                _ => self.0.push((f, c)),
            }
        }
    }

    /// `balloon_page_dequeue` up to `n` pages from the head of the list.
    pub(crate) fn dequeue(&mut self, n: u64) -> Runs {
        let mut out = Runs::default();
        let mut left = n;
        while left > 0 {
            let Some(top) = self.0.last_mut() else {
                break;
            };
            let k = top.1.min(left);
            out.push_up(top.0, k);
            top.0 += k;
            top.1 -= k;
            if top.1 == 0 {
                self.0.pop();
            }
            left -= k;
        }
        out
    }

    /// `balloon_page_delete` of one page (migration moves it off); false if not listed.
    pub(crate) fn remove(&mut self, pfn: u64) -> bool {
        let Some(i) = self.0.iter().position(|&(f, c)| (f..f + c).contains(&pfn)) else {
            return false;
        };
        let (f, c) = self.0[i];
        let mut parts = Vec::new();
        if pfn + 1 < f + c {
            parts.push((pfn + 1, f + c - pfn - 1));
        }
        if pfn > f {
            parts.push((f, pfn - f));
        }
        self.0.splice(i..=i, parts);
        true
    }
}

#[cfg(test)]
mod tests {
    use virtq::SparseRam;

    use super::*;

    fn array(ram: &SparseRam, n: usize) -> Vec<u32> {
        let mut b = vec![0u8; 4 * n];
        ram.read(PFN_ARRAY, &mut b).unwrap();
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn write_pfns_lists_each_run_in_message_order() {
        let mut ram = SparseRam::new(64 << 20);
        let mut down = Runs::default();
        down.push_down(0x20, 3);
        down.push_down(0x10, 2);
        write_pfns(&mut ram, &down).unwrap();
        assert_eq!(array(&ram, 5), [0x22, 0x21, 0x20, 0x11, 0x10]);
        let mut up = Runs::default();
        up.push_up(0x7, 2);
        up.push_up(0x30, 1);
        write_pfns(&mut ram, &up).unwrap();
        assert_eq!(array(&ram, 3), [0x7, 0x8, 0x30]);
    }

    /// Past `vb->pfns`' 256 entries the array is built on the heap, every PFN still in order:
    /// a message of 300 (runs of 200 and 100) is listed as 300 consecutive entries.
    #[test]
    fn write_pfns_lists_a_message_larger_than_the_array() {
        let mut ram = SparseRam::new(64 << 20);
        let mut down = Runs::default();
        down.push_down(0x1000, 200);
        down.push_down(0x400, 100);
        write_pfns(&mut ram, &down).unwrap();
        let written = array(&ram, 300);
        assert_eq!(written[0], 0x1000 + 199);
        assert_eq!(written[199], 0x1000);
        assert_eq!(written[200], 0x400 + 99);
        assert_eq!(written[299], 0x400);
        assert!(written.windows(2).filter(|w| w[0] != w[1] + 1).count() == 1);
    }
}
