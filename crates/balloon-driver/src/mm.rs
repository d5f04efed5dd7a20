//! The guest memory model: a Linux-like page allocator over a [`PageMap`], with watermarks,
//! reclaim (hint shrinker, page cache, swap), OOM, and the VM event counters that the balloon's
//! statistics report.

use std::collections::VecDeque;

use crate::boot::BootLayout;
use crate::error::Error;
use crate::pagemap::{BLOCK_PAGES, BLOCKS_PER_CHUNK, Direction, PageMap, PageState, StateSet};
use crate::rng::XorShift;
use crate::runs::Runs;
use crate::zones::Zones;

/// The guest page size, one balloon page (re-exported for the driver's modules).
pub use balloon_spec::PAGE_SIZE;
/// Smallest guest: 64 MiB.
pub const MIN_MEM: u64 = 64 << 20;
/// Largest guest: 16 TiB (32-bit PFNs).
pub const MAX_MEM: u64 = 16 << 40;

/// Linux `vm_event_item` counters that the balloon's stats carry (tags 0-3 and 8-15).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VmEvents {
    /// PSWPIN: pages read back from swap.
    pub pswpin: u64,
    /// PSWPOUT: pages written to swap.
    pub pswpout: u64,
    /// PGMAJFAULT: faults that waited for I/O.
    pub pgmajfault: u64,
    /// PGFAULT: all faults.
    pub pgfault: u64,
    /// HTLB_BUDDY_PGALLOC: huge pages taken from the buddy allocator.
    pub htlb_buddy_alloc: u64,
    /// HTLB_BUDDY_PGALLOC_FAIL: huge page allocations that failed.
    pub htlb_buddy_alloc_fail: u64,
    /// OOM_KILL: processes killed by the OOM killer.
    pub oom_kill: u64,
    /// ALLOCSTALL_*: allocations that entered direct reclaim.
    pub allocstall: u64,
    /// PGSCAN_KSWAPD: pages scanned by kswapd.
    pub pgscan_kswapd: u64,
    /// PGSCAN_DIRECT: pages scanned by direct reclaim.
    pub pgscan_direct: u64,
    /// PGSTEAL_KSWAPD: pages reclaimed by kswapd.
    pub pgsteal_kswapd: u64,
    /// PGSTEAL_DIRECT: pages reclaimed by direct reclaim.
    pub pgsteal_direct: u64,
}

/// What an allocation did besides handing out pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reclaim {
    /// Hinted pages given back by `virtio_balloon_shrinker_scan`.
    pub shrunk_hints: u64,
    /// Page cache pages dropped.
    pub cache: u64,
    /// Anonymous pages written to swap.
    pub swapped_out: u64,
    /// Whether the allocation stalled in direct reclaim.
    pub direct: bool,
    /// Pages kswapd reclaimed afterwards to get back above the high watermark.
    pub kswapd: u64,
}

/// The outcome of an allocation request.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Alloc {
    /// Pages wanted.
    pub wanted: u64,
    /// The pages obtained.
    pub pages: Runs,
    /// Reclaim done on the way.
    pub reclaim: Reclaim,
}

impl Alloc {
    /// Pages obtained.
    pub fn got(&self) -> u64 {
        self.pages.pages()
    }
}

/// The guest's memory: page states, one application, page cache, swap and counters.
#[derive(Debug, Clone)]
pub struct GuestMm {
    map: PageMap,
    /// Where boot put the firmware's, the kernel's and the running system's pages.
    boot: BootLayout,
    /// The zones' watermarks and reserves.
    zones: Zones,
    /// totalram_pages: MemTotal (shrinks with the balloon unless DEFLATE_ON_OOM).
    managed: u64,
    app_resident: u64,
    /// The application's resident pages as runs, oldest first (the LRU the swap takes from).
    app: VecDeque<(u64, u64)>,
    app_swapped: u64,
    swap_total: u64,
    hugetlb_pages: u64,
    /// What an allocation from every zone leaves free at the min, low and high watermarks.
    wmark_min: u64,
    wmark_low: u64,
    wmark_high: u64,
    /// Counters that move for real reasons.
    pub events: VmEvents,
    rng: XorShift,
    /// Runs of pages written since the host last looked ([`GuestMm::take_written`]): a page
    /// the host discarded (reported, say) is backed again once the guest writes to it.
    written: Vec<(u64, u64)>,
}

impl GuestMm {
    /// A freshly booted q35 guest of `ram_size` (64 MiB..=16 TiB, whole 2 MiB blocks) running
    /// Linux 6.1 with transparent hugepages, with `swap_bytes` of swap (see [`BootLayout`]).
    pub fn new(ram_size: u64, swap_bytes: u64, seed: u64) -> Result<GuestMm, Error> {
        Self::with_thp(ram_size, swap_bytes, true, seed)
    }

    /// Like [`GuestMm::new`]; `thp` says whether transparent hugepages are enabled, which
    /// decides `min_free_kbytes` and so every watermark ([`Zones::q35`]).
    pub fn with_thp(
        ram_size: u64,
        swap_bytes: u64,
        thp: bool,
        seed: u64,
    ) -> Result<GuestMm, Error> {
        if !(MIN_MEM..=MAX_MEM).contains(&ram_size)
            || !ram_size.is_multiple_of(BLOCK_PAGES * PAGE_SIZE)
        {
            return Err(Error::InvalidMemorySize { bytes: ram_size });
        }
        let nr = ram_size / PAGE_SIZE;
        let boot = BootLayout::q35_linux_6_1(nr)?;
        let zones = Zones::q35(&boot, thp);
        let mut map = PageMap::new(nr)?;
        let used = StateSet::one(PageState::Used);
        let free = StateSet::one(PageState::Free);
        let top = boot.reserved_top();
        map.convert(0, boot.first_mib, free, PageState::Used)?;
        map.convert(nr - top, top, free, PageState::Used)?;
        // What the running system allocated comes from the lowest free pages (memblock hands
        // pages over with FPI_TO_TAIL, `__free_pages_core` in mm/page_alloc.c).
        let runtime = map.take(free, PageState::Used, boot.runtime_used, Direction::Up);
        let cache = map.take(free, PageState::Cache, boot.cache, Direction::Up);
        debug_assert!(map.count_in(0, boot.first_mib, used).is_ok());
        let mut written = vec![(0, boot.first_mib)];
        written.extend_from_slice(runtime.runs());
        written.extend_from_slice(cache.runs());
        written.push((nr - top, top));
        // And what boot wrote and gave back (the decompression buffer, the init sections, the
        // initrd): free in the guest, still backed on the host.
        written.extend(boot.touched_free().into_iter().filter(|r| r.1 > 0));
        Ok(GuestMm {
            map,
            boot,
            zones,
            managed: boot.managed(),
            app_resident: 0,
            app: VecDeque::new(),
            app_swapped: 0,
            swap_total: swap_bytes / PAGE_SIZE,
            hugetlb_pages: 0,
            wmark_min: zones.floor(|z| z.min),
            wmark_low: zones.floor(|z| z.low),
            wmark_high: zones.floor(|z| z.high),
            events: VmEvents::default(),
            rng: XorShift::new(seed),
            // Booting wrote the firmware's and the kernel's pages (the loader the image,
            // `memmap_init` every struct page, memblock zeroed the hash tables), what the
            // running system allocated and what boot used and freed: the host backs those
            // frames from the first step on (the runs may overlap; the host counts frames).
            written,
        })
    }

    /// The page states.
    pub fn map(&self) -> &PageMap {
        &self.map
    }
    /// The page states, for the driver's transitions.
    pub fn map_mut(&mut self) -> &mut PageMap {
        &mut self.map
    }
    /// Pages in the guest.
    pub fn nr_pages(&self) -> u64 {
        self.map.nr_pages()
    }
    /// Heap bytes of the model (bit planes, block counters, chunk table).
    pub fn heap_bytes(&self) -> usize {
        self.map.heap_bytes()
    }
    /// MemFree in pages: Free and Reported.
    pub fn free_pages(&self) -> u64 {
        self.map.count(PageState::Free) + self.map.count(PageState::Reported)
    }
    /// MemTotal in pages.
    pub fn total_pages(&self) -> u64 {
        self.managed
    }
    /// Linux `adjust_managed_page_count`: the balloon moves pages out of (or back into) MemTotal.
    pub fn adjust_managed_page_count(&mut self, delta: i64) {
        self.managed = self.managed.saturating_add_signed(delta);
    }
    /// Page cache pages (NR_FILE_PAGES).
    pub fn cache_pages(&self) -> u64 {
        self.map.count(PageState::Cache)
    }
    /// Linux 6.1 `si_mem_available` (mm/page_alloc.c): free pages less `totalreserve_pages`,
    /// plus the page cache less the smaller of half of it and the low watermarks. (Reclaimable
    /// slab, the function's last term, is not modelled.)
    pub fn available_pages(&self) -> u64 {
        let cache = self.cache_pages();
        let low = self.zones.low_sum();
        (self.free_pages() + cache)
            .saturating_sub(self.zones.totalreserve_pages() + (cache / 2).min(low))
    }
    /// Application pages resident and swapped out.
    pub fn app_pages(&self) -> (u64, u64) {
        (self.app_resident, self.app_swapped)
    }
    /// Swap size and use, in pages.
    pub fn swap_pages(&self) -> (u64, u64) {
        (self.swap_total, self.app_swapped)
    }
    /// Huge pages in the hugetlb pool.
    pub fn hugetlb_pages(&self) -> u64 {
        self.hugetlb_pages
    }
    /// The min / low / high watermarks in pages.
    pub fn watermarks(&self) -> (u64, u64, u64) {
        (self.wmark_min, self.wmark_low, self.wmark_high)
    }
    /// Pages reserved at boot (firmware, kernel image, memmap, hash tables): outside MemTotal.
    pub fn reserved_pages(&self) -> u64 {
        self.boot.reserved()
    }
    /// Where boot put its pages.
    pub fn boot_layout(&self) -> &BootLayout {
        &self.boot
    }
    /// The zones with their watermarks and reserves.
    pub fn zones(&self) -> &Zones {
        &self.zones
    }

    /// Frees `n` reclaimable pages: hinted blocks through the balloon's shrinker first, then
    /// page cache (oldest first), then anonymous pages to swap.
    fn reclaim(&mut self, n: u64, direct: bool, r: &mut Reclaim) {
        let mut left = n;
        let hinted = self.map.count(PageState::Hinted);
        if hinted > 0 {
            // virtio_balloon_shrinker_scan gives back whole 4 MiB blocks.
            let want = left.div_ceil(1024) * 1024;
            let got = self
                .map
                .take(
                    StateSet::one(PageState::Hinted),
                    PageState::Free,
                    want,
                    Direction::Down,
                )
                .pages();
            r.shrunk_hints += got;
            left = left.saturating_sub(got);
        }
        let cache = self
            .map
            .take(
                StateSet::one(PageState::Cache),
                PageState::Free,
                left,
                Direction::Up,
            )
            .pages();
        left -= cache;
        let swap_free = self.swap_total - self.app_swapped;
        let out = left.min(swap_free).min(self.app_resident);
        let swapped = self.release_app(out, false);
        self.app_swapped += swapped;
        self.events.pswpout += swapped;
        r.cache += cache;
        r.swapped_out += swapped;
        let stolen = cache + swapped;
        // About one page in eight on the inactive list is found referenced and rotated
        // instead of reclaimed: scanned exceeds stolen by that much.
        let rotated = self.rng.below(stolen / 8 + 1);
        if direct {
            self.events.pgscan_direct += stolen + rotated;
            self.events.pgsteal_direct += stolen;
        } else {
            self.events.pgscan_kswapd += stolen + rotated;
            self.events.pgsteal_kswapd += stolen;
        }
    }

    /// kswapd: woken when free memory falls below the low watermark, reclaims up to high.
    fn kswapd(&mut self, r: &mut Reclaim) {
        let free = self.free_pages();
        if free < self.wmark_low {
            let before = r.cache + r.swapped_out + r.shrunk_hints;
            self.reclaim(self.wmark_high - free, false, r);
            r.kswapd += r.cache + r.swapped_out + r.shrunk_hints - before;
        }
    }

    /// The page allocator: takes up to `n` pages for `to`, entering direct reclaim once when
    /// free memory above the min watermark is short (what `__GFP_NORETRY` allows). Fewer pages
    /// than wanted means the caller is out of memory.
    pub fn alloc(&mut self, n: u64, to: PageState, dir: Direction) -> Alloc {
        let mut r = Reclaim::default();
        let usable = self.free_pages().saturating_sub(self.wmark_min);
        if usable < n {
            r.direct = true;
            self.events.allocstall += 1;
            self.reclaim(n - usable, true, &mut r);
        }
        let take = n.min(self.free_pages().saturating_sub(self.wmark_min));
        let pages = self.map.take(StateSet::ALLOCATABLE, to, take, dir);
        self.kswapd(&mut r);
        Alloc {
            wanted: n,
            pages,
            reclaim: r,
        }
    }

    /// An application allocates and touches `n` pages (one minor fault each).
    pub fn alloc_app(&mut self, n: u64) -> Alloc {
        let a = self.alloc(n, PageState::Used, Direction::Up);
        self.written.extend_from_slice(a.pages.runs());
        self.add_app(&a.pages);
        self.events.pgfault += a.got();
        a
    }

    fn add_app(&mut self, pages: &Runs) {
        for &(f, c) in pages.runs() {
            match self.app.back_mut() {
                Some(last) if last.0 + last.1 == f => last.1 += c,
                _ => self.app.push_back((f, c)),
            }
            self.app_resident += c;
        }
    }

    /// Frees `n` resident application pages, the newest (a free) or the oldest (swap-out)
    /// first, so kernel and hugetlb pages are never touched.
    fn release_app(&mut self, n: u64, newest: bool) -> u64 {
        let mut done = 0;
        while done < n {
            let run = if newest {
                self.app.back_mut()
            } else {
                self.app.front_mut()
            };
            let Some(r) = run else { break };
            let k = r.1.min(n - done);
            let first = if newest { r.0 + r.1 - k } else { r.0 };
            if !newest {
                r.0 += k;
            }
            r.1 -= k;
            if r.1 == 0 {
                if newest {
                    self.app.pop_back();
                } else {
                    self.app.pop_front();
                }
            }
            if self
                .map
                .convert(first, k, StateSet::one(PageState::Used), PageState::Free)
                .is_ok()
            {
                done += k;
            }
            self.app_resident = self.app_resident.saturating_sub(k);
        }
        done
    }

    /// The application frees `n` pages: resident ones first, then swap slots.
    pub fn free_app(&mut self, n: u64) -> u64 {
        let resident = n.min(self.app_resident);
        let freed = self.release_app(resident, true);
        let slots = (n - freed).min(self.app_swapped);
        self.app_swapped -= slots;
        freed + slots
    }

    /// The application touches `n` of its pages; those found in swap fault back in (major
    /// faults that need a free page each). Returns the swap-in allocation.
    pub fn touch_app(&mut self, n: u64) -> Alloc {
        let total = self.app_resident + self.app_swapped;
        if total == 0 {
            return Alloc::default();
        }
        let hits =
            (u128::from(n.min(total)) * u128::from(self.app_swapped) / u128::from(total)) as u64;
        let a = self.alloc(hits, PageState::Used, Direction::Up);
        self.written.extend_from_slice(a.pages.runs());
        let got = a.got();
        self.app_swapped -= got;
        self.add_app(&a.pages);
        self.events.pswpin += got;
        self.events.pgmajfault += got;
        self.events.pgfault += got;
        a
    }

    /// The OOM killer kills the application: its pages and swap slots are freed.
    pub fn oom_kill(&mut self) -> u64 {
        self.events.oom_kill += 1;
        let n = self.app_resident + self.app_swapped;
        self.free_app(n)
    }

    /// File reads fill the page cache with up to `n` pages, only from free memory above the
    /// low watermark (the cache never pushes the guest into reclaim here).
    pub fn read_file(&mut self, n: u64) -> u64 {
        let room = self.free_pages().saturating_sub(self.wmark_low);
        let got = self.map.take(
            StateSet::ALLOCATABLE,
            PageState::Cache,
            n.min(room),
            Direction::Up,
        );
        self.written.extend_from_slice(got.runs());
        got.pages()
    }

    /// The runs of pages applications and the page cache wrote since the last call, for the
    /// host: writing to a frame it had discarded faults it back in.
    pub fn take_written(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.written)
    }

    /// `echo 1 > /proc/sys/vm/drop_caches`.
    pub fn drop_caches(&mut self) -> u64 {
        self.map
            .take(
                StateSet::one(PageState::Cache),
                PageState::Free,
                u64::MAX,
                Direction::Up,
            )
            .pages()
    }

    /// Grows the hugetlb pool by `n` 2 MiB pages, each from a wholly free pageblock (counted
    /// as HTLB_BUDDY_PGALLOC, or HTLB_BUDDY_PGALLOC_FAIL when none is left).
    pub fn alloc_hugepages(&mut self, n: u64) -> u64 {
        let mut got = 0;
        for _ in 0..n {
            match self.find_block(9, StateSet::ALLOCATABLE, false) {
                Some(pfn)
                    if self
                        .map
                        .convert(pfn, BLOCK_PAGES, StateSet::ALLOCATABLE, PageState::Used)
                        .is_ok() =>
                {
                    self.hugetlb_pages += 1;
                    self.events.htlb_buddy_alloc += 1;
                    got += 1;
                }
                _ => self.events.htlb_buddy_alloc_fail += 1,
            }
        }
        got
    }

    /// The highest aligned block of `1 << order` pages (order 9 or 10) whose pages are all in
    /// `set` (Free and/or Reported); with `need_unreported`, at least one must be Free.
    pub fn find_block(&self, order: u32, set: StateSet, need_unreported: bool) -> Option<u64> {
        let per = 1u64 << order.saturating_sub(9);
        let top = self.nr_pages() / BLOCK_PAGES / per * per;
        // A block that fits lies in a chunk holding pages of `set`: the summary level skips
        // the others, so a full guest is not read block by block from the top on every call
        // (free page hinting asks once per 4 MiB block it hints). An aligned group of `per`
        // blocks (1 or 2) never straddles two chunks of 64.
        let mut chunk = usize::try_from(top.checked_sub(1)? / BLOCKS_PER_CHUNK).ok()?;
        loop {
            let i = self.map.next_chunk_holding(set, chunk, Direction::Down)?;
            let low = i as u64 * BLOCKS_PER_CHUNK;
            let mut b = top.min(low + BLOCKS_PER_CHUNK);
            while b > low {
                b -= per;
                if self.block_fits(b, per, set, need_unreported) {
                    return Some(b * BLOCK_PAGES);
                }
            }
            chunk = i.checked_sub(1)?;
        }
    }

    /// Whether blocks `b..b+per` are wholly in `set`, with a Free page if `need_unreported`.
    pub fn block_fits(&self, b: u64, per: u64, set: StateSet, need_unreported: bool) -> bool {
        let mut any_free = false;
        for k in b..b + per {
            let (free, rep) = self.map.block_counts(k);
            let ok = match (
                set.contains(PageState::Free),
                set.contains(PageState::Reported),
            ) {
                (true, true) => free + rep == BLOCK_PAGES,
                (true, false) => free == BLOCK_PAGES,
                (false, true) => rep == BLOCK_PAGES,
                (false, false) => false,
            };
            if !ok {
                return false;
            }
            any_free |= free > 0;
        }
        any_free || !need_unreported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_wrote_the_pages_in_use_after_boot_and_the_ones_it_freed() {
        for ram in [64u64 << 20, 256 << 20, 1 << 30] {
            let mut mm = GuestMm::new(ram, 0, 1).unwrap();
            let mut frames = vec![false; mm.nr_pages() as usize];
            for (first, n) in mm.take_written() {
                frames[first as usize..(first + n) as usize].fill(true);
            }
            let freed = mm.boot_layout().touched_free();
            let in_freed = |pfn: u64| freed.iter().any(|&(f, n)| (f..f + n).contains(&pfn));
            let m = mm.map();
            let mut touched_free = 0;
            for (pfn, &w) in frames.iter().enumerate() {
                let pfn = pfn as u64;
                match m.state(pfn).unwrap() {
                    // Everything in use after boot was written.
                    PageState::Used | PageState::Cache => assert!(w, "{ram}: {pfn} in use"),
                    // A free page is backed only if boot wrote it and gave it back.
                    PageState::Free => {
                        assert_eq!(w, in_freed(pfn), "{ram}: free {pfn}");
                        touched_free += u64::from(w);
                    }
                    s => panic!("{ram}: {pfn} is {s:?} after boot"),
                }
            }
            let used = m.count(PageState::Used) + m.count(PageState::Cache);
            assert_eq!(used, mm.nr_pages() - mm.free_pages());
            assert!(touched_free > 0, "{ram}: boot freed nothing it wrote");
        }
    }

    #[test]
    fn written_pages_are_handed_to_the_host_once() {
        let mut mm = GuestMm::new(256 << 20, 64 << 20, 1).unwrap();
        let _ = mm.take_written();
        let got = mm.alloc_app(1000).got();
        let cached = mm.read_file(24);
        let written = mm.take_written();
        assert_eq!(written.iter().map(|r| r.1).sum::<u64>(), got + cached);
        assert!(mm.take_written().is_empty(), "handed over twice");
        // The balloon's own pages are not written by the guest.
        mm.alloc(16, PageState::Inflating, Direction::Down);
        assert!(mm.take_written().is_empty());
    }

    /// `find_block` against the plain scan it replaced (every aligned group from the top,
    /// read from the block counters), on a guest whose free memory is left in scattered
    /// whole and partial blocks, some reported.
    #[test]
    fn find_block_agrees_with_a_scan_of_every_block() {
        let mut mm = GuestMm::new(1 << 30, 0, 1).unwrap();
        let nr = mm.nr_pages();
        let all = StateSet::ALLOCATABLE;
        let free = StateSet::one(PageState::Free);
        let reported = StateSet::one(PageState::Reported);
        let scan = |mm: &GuestMm, order: u32, set: StateSet, need: bool| {
            let per = 1u64 << (order - 9);
            let blocks = mm.nr_pages() / BLOCK_PAGES / per * per;
            (0..blocks / per)
                .rev()
                .map(|g| g * per)
                .find(|b| mm.block_fits(*b, per, set, need))
                .map(|b| b * BLOCK_PAGES)
        };
        let mut step = 0;
        loop {
            for order in [9, 10] {
                for (set, need) in [(all, false), (all, true), (free, false), (reported, false)] {
                    assert_eq!(
                        mm.find_block(order, set, need),
                        scan(&mm, order, set, need),
                        "step {step}, order {order}, {set:?}, {need}"
                    );
                }
            }
            // Fill the highest free pages, leaving a page here and there, and report some
            // whole blocks: the fitting blocks move down and thin out.
            let Some(pfn) = scan(&mm, 9, all, false) else {
                break;
            };
            mm.map_mut()
                .convert(pfn + 3, BLOCK_PAGES - 3, all, PageState::Used)
                .unwrap();
            if let Some(pfn) = scan(&mm, 9, free, false)
                && step % 3 == 0
            {
                mm.map_mut()
                    .convert(pfn, BLOCK_PAGES, free, PageState::Reported)
                    .unwrap();
            }
            step += 1;
            assert!(step <= nr / BLOCK_PAGES, "the free blocks run out");
        }
        assert!(step > 100, "the walk covered many blocks: {step}");
        assert_eq!(mm.find_block(9, all, false), None);
    }

    #[test]
    fn freeing_and_swapping_touch_only_application_pages() {
        let mut mm = GuestMm::new(256 << 20, 64 << 20, 1).unwrap();
        mm.alloc_app(1000);
        assert_eq!(mm.alloc_hugepages(4), 4);
        let used = mm.map().count(PageState::Used);
        assert_eq!(mm.free_app(1000), 1000);
        assert_eq!(mm.map().count(PageState::Used), used - 1000);
        assert_eq!(mm.hugetlb_pages(), 4);
        assert_eq!(mm.events.htlb_buddy_alloc, 4);
    }

    #[test]
    fn pressure_takes_cache_before_swap_and_oom_frees_everything() {
        let mut mm = GuestMm::new(256 << 20, 32 << 20, 1).unwrap();
        let cache = mm.read_file(10_000);
        assert_eq!(cache, 10_000);
        let a = mm.alloc_app(mm.free_pages() + 5_000);
        assert!(a.reclaim.direct);
        assert!(a.reclaim.cache >= 5_000);
        assert_eq!(a.reclaim.swapped_out, 0, "cache first");
        let b = mm.alloc_app(12_000);
        assert!(b.reclaim.swapped_out > 0 || b.got() < 12_000);
        assert!(mm.events.pswpout > 0);
        let (res, swp) = mm.app_pages();
        assert_eq!(mm.oom_kill(), res + swp);
        assert_eq!(mm.app_pages(), (0, 0));
        assert_eq!(mm.events.oom_kill, 1);
    }
}
