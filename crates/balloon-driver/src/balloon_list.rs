//! The balloon page list (`vb_dev_info.pages`) as runs, and the PFN array in guest RAM.
//!
//! `balloon_page_enqueue` adds at the head and `balloon_page_dequeue` takes from the head, so
//! the list is LIFO: a deflate returns the most recently inflated pages first. A run `(f, c)`
//! on the stack has its list head at `f`: a descending inflate message pushes runs whose low
//! end is the last page enqueued, and a deflate takes pages from there upwards.

use virtq::GuestRam;

use crate::buffers::PFN_ARRAY;
use crate::error::Error;
use crate::runs::Runs;

/// Writes the PFNs of `pages`, in message order, into `vb->pfns` in guest RAM
/// (`set_page_pfns` for each page of the message).
pub(crate) fn write_pfns(ram: &mut impl GuestRam, pages: &Runs) -> Result<(), Error> {
    // One 4-byte store per PFN into a buffer sized once, then one guest write: an
    // iterator of byte arrays here cost more than the rest of the inflate path.
    let mut bytes = vec![0u8; (pages.pages() * 4) as usize];
    let mut out = bytes.chunks_exact_mut(4);
    let desc = pages.is_descending();
    for &(f, n) in pages.runs() {
        for k in 0..n {
            let pfn = if desc { f + n - 1 - k } else { f + k };
            if let Some(slot) = out.next() {
                slot.copy_from_slice(&(pfn as u32).to_le_bytes());
            }
        }
    }
    ram.write(PFN_ARRAY, &bytes)?;
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
