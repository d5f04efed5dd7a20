//! The memory zones of an x86_64 q35 guest and the watermarks and reserves Linux 6.1 gives
//! them (mm/page_alloc.c), which decide MemAvailable and where allocations start failing.

use crate::boot::BootLayout;

/// `ZONE_DMA` ends at 16 MiB (`MAX_DMA_PFN`, arch/x86/include/asm/dma.h).
const DMA_END_PFN: u64 = (16 << 20) / 4096;
/// q35 keeps guest RAM below 4 GiB up to 0xb0000000 if it all fits, else up to 2 GiB, and
/// maps the rest above 4 GiB (hw/i386/pc_q35.c `pc_q35_init`).
const Q35_LOWMEM_ALL: u64 = 0xb000_0000 / 4096;
const Q35_LOWMEM_SPLIT: u64 = 0x8000_0000 / 4096;
/// `sysctl_lowmem_reserve_ratio` for DMA, DMA32, Normal (mm/page_alloc.c).
const LOWMEM_RESERVE_RATIO: [u64; 3] = [256, 256, 32];
/// `watermark_scale_factor` default: 10 (0.1 % of a zone).
const WATERMARK_SCALE_FACTOR: u64 = 10;
/// `pageblock_nr_pages` on x86_64 (`pageblock_order` = `HPAGE_PMD_ORDER` = 9).
const PAGEBLOCK_PAGES: u64 = 512;
/// `MIGRATE_PCPTYPES`: unmovable, movable, reclaimable.
const MIGRATE_PCPTYPES: u64 = 3;

/// One zone: its managed pages, watermarks and `lowmem_reserve`, in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Zone {
    /// `zone_managed_pages`.
    pub managed: u64,
    /// `_watermark[WMARK_MIN]`.
    pub min: u64,
    /// `_watermark[WMARK_LOW]`.
    pub low: u64,
    /// `_watermark[WMARK_HIGH]`.
    pub high: u64,
    /// `lowmem_reserve[j]`: kept back from allocations that could use zone `j`.
    pub lowmem_reserve: [u64; 3],
}

/// DMA, DMA32 and Normal (empty ones have 0 managed pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Zones {
    /// The three zones, lowest first.
    pub zones: [Zone; 3],
    /// `min_free_kbytes` after boot.
    pub min_free_kbytes: u64,
}

fn int_sqrt(x: u64) -> u64 {
    let mut r = (x as f64).sqrt() as u64;
    while r * r > x {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= x {
        r += 1;
    }
    r
}

impl Zones {
    /// The zones of a q35 guest after boot, with transparent hugepages built in and enabled
    /// (`always` or `madvise`, as distributions ship 6.1), which raises `min_free_kbytes`.
    pub fn q35(boot: &BootLayout, thp: bool) -> Zones {
        let nr = boot.nr_pages;
        let low_end = if nr * 4096 >= 0xb000_0000 {
            Q35_LOWMEM_SPLIT
        } else {
            nr.min(Q35_LOWMEM_ALL)
        };
        let dma = nr.min(DMA_END_PFN).saturating_sub(boot.first_mib);
        let mut dma32 = low_end.saturating_sub(DMA_END_PFN);
        let mut normal = nr.saturating_sub(low_end);
        // memblock allocates top-down, from the highest memory: the kernel's reservations land
        // in the highest zone; SeaBIOS's tables sit at the top of low RAM.
        dma32 = dma32.saturating_sub(boot.firmware_top);
        let top = boot.reserved_top() - boot.firmware_top;
        if normal > 0 {
            normal = normal.saturating_sub(top);
        } else {
            dma32 = dma32.saturating_sub(top);
        }
        let managed = [dma, dma32, normal];
        let mut z = Zones {
            zones: managed.map(|m| Zone {
                managed: m,
                min: 0,
                low: 0,
                high: 0,
                lowmem_reserve: [0; 3],
            }),
            min_free_kbytes: 0,
        };
        z.setup_lowmem_reserve();
        // init_per_zone_wmark_min → calculate_min_free_kbytes: int_sqrt(lowmem_kbytes * 16),
        // clamped to 128..=262144, with no watermark set yet.
        let lowmem_kbytes = z.nr_free_buffer_pages() * 4;
        z.min_free_kbytes = int_sqrt(lowmem_kbytes * 16).clamp(128, 262_144);
        z.setup_wmarks();
        if thp {
            z.set_recommended_min_free_kbytes();
        }
        z
    }

    /// `nr_free_buffer_pages`: managed pages above the high watermark, zones up to Normal.
    fn nr_free_buffer_pages(&self) -> u64 {
        self.zones
            .iter()
            .map(|z| z.managed.saturating_sub(z.high))
            .sum()
    }

    /// mm/khugepaged.c `set_recommended_min_free_kbytes`: two free pageblocks a zone plus
    /// `MIGRATE_PCPTYPES²` more for fallbacks, at most 5 % of lowmem.
    fn set_recommended_min_free_kbytes(&mut self) {
        let nr_zones = self.zones.iter().filter(|z| z.managed > 0).count() as u64;
        let recommended = PAGEBLOCK_PAGES * nr_zones * 2
            + PAGEBLOCK_PAGES * nr_zones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
        let recommended = recommended.min(self.nr_free_buffer_pages() / 20) * 4;
        if recommended > self.min_free_kbytes {
            self.min_free_kbytes = recommended;
        }
        self.setup_wmarks();
    }

    /// `__setup_per_zone_wmarks`: `min_free_kbytes` shared by managed pages; low and high are
    /// each a further max(min/4, 0.1 % of the zone) above.
    fn setup_wmarks(&mut self) {
        let pages_min = self.min_free_kbytes / 4;
        let lowmem: u64 = self.zones.iter().map(|z| z.managed).sum();
        for z in &mut self.zones {
            let min =
                (u128::from(pages_min) * u128::from(z.managed) / u128::from(lowmem.max(1))) as u64;
            let tmp = (min / 4).max(z.managed * WATERMARK_SCALE_FACTOR / 10_000);
            z.min = min;
            z.low = min + tmp;
            z.high = min + 2 * tmp;
        }
    }

    /// `setup_per_zone_lowmem_reserve`: zone `i` keeps back the managed pages of the zones
    /// above it up to `j`, divided by its ratio (nothing if either side is empty).
    fn setup_lowmem_reserve(&mut self) {
        for (i, ratio) in LOWMEM_RESERVE_RATIO.iter().enumerate() {
            let managed = self.zones[i].managed;
            let mut above = 0;
            for j in i + 1..3 {
                above += self.zones[j].managed;
                let clear = managed == 0 || self.zones[j].managed == 0;
                self.zones[i].lowmem_reserve[j] = if clear { 0 } else { above / ratio };
            }
        }
    }

    /// `calculate_totalreserve_pages`: per zone, its largest `lowmem_reserve` plus its high
    /// watermark, at most its managed pages. `si_mem_available` subtracts this from free.
    pub fn totalreserve_pages(&self) -> u64 {
        self.zones
            .iter()
            .map(|z| (z.lowmem_reserve.iter().max().unwrap_or(&0) + z.high).min(z.managed))
            .sum()
    }

    /// The sum of the low watermarks (`wmark_low` in `si_mem_available`).
    pub fn low_sum(&self) -> u64 {
        self.zones.iter().map(|z| z.low).sum()
    }

    /// Free pages an allocation that may use every zone (`GFP_HIGHUSER_MOVABLE`) leaves behind
    /// when it fails `__zone_watermark_ok` everywhere at `mark` (min, low or high): each zone
    /// keeps its watermark plus its `lowmem_reserve` for the highest zone.
    pub fn floor(&self, mark: fn(&Zone) -> u64) -> u64 {
        let highest = self.zones.iter().rposition(|z| z.managed > 0).unwrap_or(0);
        self.zones
            .iter()
            .filter(|z| z.managed > 0)
            .map(|z| (mark(z) + z.lowmem_reserve[highest]).min(z.managed))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_1_gib_guest_has_dma_and_dma32_with_thp_raised_watermarks() {
        let boot = BootLayout::q35_linux_6_1(262_144).unwrap();
        let z = Zones::q35(&boot, true);
        assert_eq!(z.zones[2].managed, 0, "no Normal zone below 2.75 GiB");
        assert_eq!(z.zones[0].managed, 3840, "16 MiB less the first MiB");
        // khugepaged: 512 * 2 zones * (2 + 9) pages = 45056 kB, under 5 % of lowmem.
        assert_eq!(z.min_free_kbytes, 45_056);
        // Without THP: int_sqrt(lowmem_kbytes * 16), about 4 MB at 1 GiB.
        let plain = Zones::q35(&boot, false);
        assert!((3900..4100).contains(&plain.min_free_kbytes));
        assert_eq!(
            z.zones[0].lowmem_reserve[1],
            z.zones[1].managed / 256,
            "DMA keeps 1/256 of DMA32 back"
        );
    }

    #[test]
    fn large_guests_get_a_normal_zone_and_the_sqrt_rule_wins_with_its_cap() {
        let boot = BootLayout::q35_linux_6_1(64 << 18).unwrap();
        let z = Zones::q35(&boot, true);
        assert!(z.zones[2].managed > 0);
        // 64 GiB: int_sqrt(~64 GiB in kB * 16) ≈ 32 MB, below the THP recommendation of
        // 512 * 3 * 11 pages = 66 MB, so THP wins.
        assert_eq!(z.min_free_kbytes, 512 * 3 * 11 * 4);
        let huge = BootLayout::q35_linux_6_1(1 << 32).unwrap();
        assert_eq!(Zones::q35(&huge, true).min_free_kbytes, 262_144);
    }
}
