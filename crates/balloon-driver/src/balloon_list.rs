//! The balloon page list (`vb_dev_info.pages`) as runs, and the PFN array in guest RAM.
//!
//! `balloon_page_enqueue` adds at the head and `balloon_page_dequeue` takes from the head, so
//! the list is LIFO: a deflate returns the most recently inflated pages first. A run `(f, c)`
//! on the stack has its list head at `f`: a descending inflate message pushes runs whose low
//! end is the last page enqueued, and a deflate takes pages from there upwards.

use virtq::GuestRam;

use crate::buffers::PFN_ARRAY;
use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::runs::Runs;

impl BalloonDriver {
    /// Writes the PFNs of `pages`, in message order, into `vb->pfns` in guest RAM.
    pub(crate) fn write_pfns(&self, ram: &mut impl GuestRam, pages: &Runs) -> Result<(), Error> {
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

    /// `balloon_page_enqueue` for each page (the list is LIFO: the head is the low end of the
    /// last run).
    pub(crate) fn enqueue(&mut self, pages: &Runs) {
        for &(f, c) in pages.runs() {
            match self.balloon.last_mut() {
                Some(top) if f + c == top.0 => *top = (f, top.1 + c),
                _ => self.balloon.push((f, c)),
            }
        }
    }

    /// `balloon_page_dequeue` up to `n` pages from the head of the list.
    pub(crate) fn dequeue(&mut self, n: u64) -> Runs {
        let mut out = Runs::default();
        let mut left = n;
        while left > 0 {
            let Some(top) = self.balloon.last_mut() else {
                break;
            };
            let k = top.1.min(left);
            out.push_up(top.0, k);
            top.0 += k;
            top.1 -= k;
            if top.1 == 0 {
                self.balloon.pop();
            }
            left -= k;
        }
        out
    }

    pub(crate) fn remove_from_list(&mut self, pfn: u64) -> bool {
        let Some(i) = self
            .balloon
            .iter()
            .position(|&(f, c)| (f..f + c).contains(&pfn))
        else {
            return false;
        };
        let (f, c) = self.balloon[i];
        let mut parts = Vec::new();
        if pfn + 1 < f + c {
            parts.push((pfn + 1, f + c - pfn - 1));
        }
        if pfn > f {
            parts.push((f, pfn - f));
        }
        self.balloon.splice(i..=i, parts);
        true
    }
}
