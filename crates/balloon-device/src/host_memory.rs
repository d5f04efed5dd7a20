//! The host's side of guest RAM: which 4 KiB frames the host has discarded
//! (`ram_block_discard_range`), the resident size, and QEMU's `PartiallyBalloonedPage` for host
//! pages larger than 4 KiB.
//!
//! Model: QEMU backs guest RAM with anonymous memory, which becomes resident only when the
//! guest first writes a page (Linux's demand paging); a fresh guest holds nothing. A guest
//! write, reported through [`HostMemory::touch`], makes frames resident. A discard
//! (`ram_block_discard_range`, MADV_DONTNEED) drops the frames that were resident and saves
//! nothing on the ones that were not. `balloon_deflate_page`'s MADV_WILLNEED populates nothing
//! for anonymous memory (mm/madvise.c `madvise_willneed` reads ahead only for swap and files),
//! so a deflated page becomes resident again only when the guest writes it.

use serde::Serialize;

use crate::bitmap::FrameBitmap;
use crate::consts::PAGE_SIZE;
use crate::error::Error;

/// The page size backing guest RAM on the host (`qemu_ram_pagesize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HostPageSize {
    /// 4 KiB: every balloon PFN is a whole host page.
    Size4K,
    /// 64 KiB (arm64, POWER): 16 PFNs per host page.
    Size64K,
    /// 2 MiB huge pages: 512 PFNs per host page.
    Size2M,
}

impl HostPageSize {
    /// From a size in bytes.
    pub fn from_bytes(bytes: u64) -> Result<Self, Error> {
        match bytes {
            4096 => Ok(Self::Size4K),
            65536 => Ok(Self::Size64K),
            2097152 => Ok(Self::Size2M),
            other => Err(Error::UnsupportedHostPageSize(other)),
        }
    }
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        match self {
            Self::Size4K => 4096,
            Self::Size64K => 65536,
            Self::Size2M => 2 << 20,
        }
    }
    /// 4 KiB frames per host page (`subpages`).
    pub fn frames(self) -> u64 {
        self.bytes() / PAGE_SIZE
    }
}

/// QEMU's `PartiallyBalloonedPage`: the subpages of one host page seen so far in the current
/// element. At most 512 subpages (2 MiB / 4 KiB), so a fixed array, no allocation.
#[derive(Debug, Clone, Default)]
pub struct PartiallyBalloonedPage {
    base_frame: Option<u64>,
    bitmap: [u64; 8],
}

impl PartiallyBalloonedPage {
    /// The host page being collected, as its first frame.
    pub fn base_frame(&self) -> Option<u64> {
        self.base_frame
    }
    /// How many subpages have been collected.
    pub fn subpages_seen(&self) -> u64 {
        self.bitmap.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// What one `balloon_inflate_page` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateOutcome {
    /// Discarded a whole host page; `newly` frames changed state.
    Discarded {
        /// First frame of the host page.
        first: u64,
        /// Frames in the host page.
        count: u64,
        /// Frames that were resident before.
        newly: u64,
    },
    /// Recorded in the partial page; `dropped` is how many subpages of a previous partial page
    /// were given up because this PFN lies in a different host page.
    Partial {
        /// Subpages abandoned.
        dropped: u32,
    },
}

/// Host memory backing one guest.
#[derive(Debug, Clone, Serialize)]
pub struct HostMemory {
    ram_size: u64,
    page_size: HostPageSize,
    discarded: FrameBitmap,
    /// Frames the guest wrote and nothing has dropped since.
    resident: FrameBitmap,
    /// Frames a discard dropped while they were resident, not written again since: what
    /// ballooning and reporting saved the host.
    saved: FrameBitmap,
    hinted: FrameBitmap,
    warned_large_pages: bool,
}

impl HostMemory {
    /// Host memory for a guest of `ram_size` bytes on host pages of `page_size`.
    pub fn new(ram_size: u64, page_size: HostPageSize) -> Self {
        let frames = ram_size / PAGE_SIZE;
        Self {
            ram_size,
            page_size,
            discarded: FrameBitmap::new(frames),
            resident: FrameBitmap::new(frames),
            saved: FrameBitmap::new(frames),
            hinted: FrameBitmap::new(frames),
            warned_large_pages: false,
        }
    }

    /// Guest RAM size in bytes.
    pub fn ram_size(&self) -> u64 {
        self.ram_size
    }
    /// Number of 4 KiB frames of guest RAM.
    pub fn frames(&self) -> u64 {
        self.discarded.frames()
    }
    /// The host page size.
    pub fn page_size(&self) -> HostPageSize {
        self.page_size
    }
    /// Whether `frame` is guest RAM (QEMU: `memory_region_find` finds a RAM region).
    pub fn is_ram(&self, frame: u64) -> bool {
        frame < self.frames()
    }
    /// Whether `frame` has been discarded.
    pub fn is_discarded(&self, frame: u64) -> bool {
        self.discarded.get(frame)
    }
    /// Frames currently discarded.
    pub fn discarded_frames(&self) -> u64 {
        self.discarded.count()
    }
    /// Discarded frames within a range.
    pub fn discarded_in(&self, first: u64, count: u64) -> u64 {
        self.discarded.count_range(first, count)
    }
    /// The host's resident size of this guest's RAM, in bytes.
    pub fn resident_bytes(&self) -> u64 {
        self.resident.count() * PAGE_SIZE
    }
    /// Whether `frame` is resident on the host.
    pub fn is_resident(&self, frame: u64) -> bool {
        self.resident.get(frame)
    }
    /// Resident frames within a range.
    pub fn resident_in(&self, first: u64, count: u64) -> u64 {
        self.resident.count_range(first, count)
    }
    /// Bytes that discards took back from the host's resident memory and the guest has not
    /// written again since: what the balloon and free page reporting saved.
    pub fn saved_bytes(&self) -> u64 {
        self.saved.count() * PAGE_SIZE
    }

    /// Marks `first..first+count` discarded and drops what of it was resident (MADV_DONTNEED):
    /// those frames are now saved. Returns the frames newly discarded.
    fn discard(&mut self, first: u64, count: u64) -> u64 {
        self.resident.move_range(&mut self.saved, first, count);
        self.discarded.set_range(first, count)
    }

    /// Frames hinted free during migration ("may skip migrating").
    pub fn hinted_frames(&self) -> u64 {
        self.hinted.count()
    }
    /// Whether `frame` was hinted free.
    pub fn is_hinted(&self, frame: u64) -> bool {
        self.hinted.get(frame)
    }
    /// Whether QEMU has printed "Balloon used with backing page size > 4kiB, this may not be
    /// reliable" (`warn_report_once`).
    pub fn warned_large_pages(&self) -> bool {
        self.warned_large_pages
    }

    /// QEMU `balloon_inflate_page` for one valid PFN. `pbp` lives for one element only.
    pub fn inflate_page(&mut self, frame: u64, pbp: &mut PartiallyBalloonedPage) -> InflateOutcome {
        let subpages = self.page_size.frames();
        if subpages == 1 {
            let newly = self.discard(frame, 1);
            return InflateOutcome::Discarded {
                first: frame,
                count: 1,
                newly,
            };
        }
        self.warned_large_pages = true;
        let base = frame - frame % subpages;
        let mut dropped = 0;
        if pbp.base_frame.is_some_and(|b| b != base) {
            dropped = pbp.subpages_seen() as u32;
            *pbp = PartiallyBalloonedPage::default();
        }
        if pbp.base_frame.is_none() {
            pbp.base_frame = Some(base);
        }
        let sub = frame - base;
        pbp.bitmap[(sub / 64) as usize] |= 1 << (sub % 64);
        if pbp.subpages_seen() == subpages {
            *pbp = PartiallyBalloonedPage::default();
            let newly = self.discard(base, subpages);
            return InflateOutcome::Discarded {
                first: base,
                count: subpages,
                newly,
            };
        }
        InflateOutcome::Partial { dropped }
    }

    /// `balloon_inflate_page` for the consecutive valid PFNs `first..first+count` at once,
    /// when every PFN is a whole host page (4 KiB host pages): returns the frames newly
    /// discarded, the sum of what one call per PFN would return. `None` for larger host
    /// pages, whose partial-page bookkeeping goes PFN by PFN.
    pub fn inflate_run(&mut self, first: u64, count: u64) -> Option<u64> {
        (self.page_size == HostPageSize::Size4K).then(|| self.discard(first, count))
    }

    /// `balloon_deflate_page` for the consecutive PFNs `first..first+count` at once on 4 KiB
    /// host pages: returns the frames that became resident. `None` for larger host pages.
    pub fn deflate_run(&mut self, first: u64, count: u64) -> Option<u64> {
        (self.page_size == HostPageSize::Size4K).then(|| self.discarded.clear_range(first, count))
    }

    /// QEMU `balloon_deflate_page`: MADV_WILLNEED on the whole host page holding `frame`.
    /// Returns the host page (first frame, count) and how many frames became resident.
    pub fn deflate_page(&mut self, frame: u64) -> (u64, u64, u64) {
        let subpages = self.page_size.frames();
        let base = frame - frame % subpages;
        let newly = self.discarded.clear_range(base, subpages);
        (base, subpages, newly)
    }

    /// `ram_block_discard_range` for a reported range, with QEMU's checks from
    /// `virtio_balloon_handle_report`: skipped unless offset and size are aligned to the host
    /// page size and the range lies within RAM. Returns the frames newly discarded, or `None`
    /// when skipped.
    pub fn discard_reported(&mut self, addr: u64, len: u64) -> Option<u64> {
        let page = self.page_size.bytes();
        let end = addr.checked_add(len)?;
        if !(addr | len).is_multiple_of(page) || end > self.ram_size {
            return None;
        }
        Some(self.discard(addr / PAGE_SIZE, len / PAGE_SIZE))
    }

    /// `qemu_guest_free_page_hint`: the range is left out of the migration dirty bitmap.
    /// Returns frames newly hinted.
    pub fn hint_free(&mut self, addr: u64, len: u64) -> u64 {
        let first = addr / PAGE_SIZE;
        let last = addr.saturating_add(len).div_ceil(PAGE_SIZE);
        self.hinted.set_range(first, last.saturating_sub(first))
    }

    /// Forgets every hint (a new migration round).
    pub fn clear_hints(&mut self) {
        self.hinted.clear_all();
    }

    /// The guest wrote to these frames: the host faults them in (they are resident, no longer
    /// discarded nor saved). Returns the frames that became resident.
    pub fn touch(&mut self, first: u64, count: u64) -> u64 {
        self.discarded.clear_range(first, count);
        self.saved.clear_range(first, count);
        self.resident.set_range(first, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_k_discards_each_pfn() {
        let mut m = HostMemory::new(1 << 30, HostPageSize::Size4K);
        m.touch(0, 1 << 18);
        let mut pbp = PartiallyBalloonedPage::default();
        assert_eq!(
            m.inflate_page(5, &mut pbp),
            InflateOutcome::Discarded {
                first: 5,
                count: 1,
                newly: 1
            }
        );
        assert_eq!(m.resident_bytes(), (1 << 30) - 4096);
        assert_eq!(m.deflate_page(5), (5, 1, 1));
        assert_eq!(m.discarded_frames(), 0);
    }

    /// QEMU's RAM is anonymous memory: resident only once written, so a discard saves only
    /// what the guest had written, deflating populates nothing, and a write faults a page in.
    #[test]
    fn resident_follows_first_touch_and_discards_save_only_what_was_resident() {
        let mut m = HostMemory::new(1 << 30, HostPageSize::Size4K);
        assert_eq!(
            m.resident_bytes(),
            0,
            "a fresh guest holds nothing on the host"
        );
        m.touch(0, 100);
        // A balloon over frames 50..250: 50 of them were resident.
        assert_eq!(m.inflate_run(50, 200), Some(200));
        assert_eq!(m.resident_bytes(), 50 * 4096);
        assert_eq!(m.saved_bytes(), 50 * 4096);
        // Deflating (MADV_WILLNEED on anonymous memory) populates nothing.
        assert_eq!(m.deflate_run(50, 200), Some(200));
        assert_eq!(m.resident_bytes(), 50 * 4096);
        assert_eq!(
            m.saved_bytes(),
            50 * 4096,
            "still not resident: still saved"
        );
        // The guest writes 10 of the deflated pages: they fault in and are no longer saved.
        assert_eq!(m.touch(60, 10), 10);
        assert_eq!(
            (m.resident_bytes(), m.saved_bytes()),
            (60 * 4096, 40 * 4096)
        );
        // A reported 2 MiB block that was never written saves nothing.
        assert_eq!(m.discard_reported(2 << 20, 2 << 20), Some(512));
        assert_eq!(m.saved_bytes(), 40 * 4096);
        assert!(!m.is_resident(512) && m.is_resident(0));
    }

    #[test]
    fn a_run_counts_what_one_call_per_pfn_would() {
        let (mut by_run, mut by_page) = (
            HostMemory::new(1 << 30, HostPageSize::Size4K),
            HostMemory::new(1 << 30, HostPageSize::Size4K),
        );
        let mut pbp = PartiallyBalloonedPage::default();
        for (first, count) in [(100, 50), (120, 60), (0, 1), (199, 2)] {
            let mut newly = 0;
            for f in first..first + count {
                if let InflateOutcome::Discarded { newly: n, .. } =
                    by_page.inflate_page(f, &mut pbp)
                {
                    newly += n;
                }
            }
            assert_eq!(by_run.inflate_run(first, count), Some(newly));
        }
        assert_eq!(by_run.discarded_frames(), 83);
        assert_eq!(by_page.discarded_frames(), 83);
        assert_eq!(by_run.deflate_run(110, 20), Some(20));
        assert_eq!(by_run.discarded_frames(), 63);
        let mut huge = HostMemory::new(1 << 30, HostPageSize::Size2M);
        assert_eq!(huge.inflate_run(0, 512), None, "2 MiB pages go PFN by PFN");
        assert_eq!(huge.discarded_frames(), 0);
    }

    #[test]
    fn two_mib_page_needs_all_512_in_one_element() {
        let mut m = HostMemory::new(1 << 30, HostPageSize::Size2M);
        let mut pbp = PartiallyBalloonedPage::default();
        for f in (512..1023).rev() {
            assert!(matches!(
                m.inflate_page(f, &mut pbp),
                InflateOutcome::Partial { dropped: 0 }
            ));
        }
        assert_eq!(m.discarded_frames(), 0);
        assert_eq!(
            m.inflate_page(1023, &mut pbp),
            InflateOutcome::Discarded {
                first: 512,
                count: 512,
                newly: 512
            }
        );
        assert!(m.warned_large_pages());
        // A new element starts with an empty bitmap: a half page is never discarded.
        let mut pbp = PartiallyBalloonedPage::default();
        for f in 0..256 {
            m.inflate_page(f, &mut pbp);
        }
        assert_eq!(
            m.inflate_page(2048, &mut pbp),
            InflateOutcome::Partial { dropped: 256 }
        );
        assert_eq!(m.discarded_frames(), 512);
        assert_eq!(m.deflate_page(700), (512, 512, 512));
    }

    #[test]
    fn sixty_four_k_pages_and_reports() {
        let mut m = HostMemory::new(1 << 30, HostPageSize::Size64K);
        let mut pbp = PartiallyBalloonedPage::default();
        for f in 16..32 {
            m.inflate_page(f, &mut pbp);
        }
        assert_eq!(m.discarded_frames(), 16);
        assert_eq!(m.discard_reported(0x20_0000, 0x1_0000), Some(16));
        assert_eq!(m.discard_reported(0x20_1000, 0x1_0000), None, "misaligned");
        assert_eq!(
            m.discard_reported((1 << 30) - 0x1_0000, 0x2_0000),
            None,
            "past RAM"
        );
        assert_eq!(m.touch(16, 4), 4);
        assert_eq!(m.discarded_frames(), 28);
    }

    #[test]
    fn hints_cover_partial_frames() {
        let mut m = HostMemory::new(1 << 30, HostPageSize::Size4K);
        assert_eq!(m.hint_free(0x40_0000, 4 << 20), 1024);
        assert!(m.is_hinted(0x400) && !m.is_hinted(0x800));
        m.clear_hints();
        assert_eq!(m.hinted_frames(), 0);
    }
}
