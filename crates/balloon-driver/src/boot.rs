//! What boot leaves behind in a q35 guest running Linux 6.1: the pages the firmware and the
//! kernel keep out of the buddy allocator (so out of MemTotal), and the pages the running
//! system holds once it reached a shell. MemTotal is `totalram_pages()`, which counts only
//! what `memblock_free_all` (mm/memblock.c) and the later `free_reserved_area` calls
//! (`free_initmem`, `free_initrd_mem`) handed to the buddy allocator.

use crate::error::Error;
use crate::mm::PAGE_SIZE;

/// Pages in 1 MiB.
const MIB: u64 = (1 << 20) / PAGE_SIZE;

/// The first MiB: since Linux 5.13 `early_reserve_memory` / `reserve_real_mode`
/// (arch/x86/kernel/setup.c, "x86/setup: Always reserve the first 1M of RAM") keep all of it,
/// which also covers SeaBIOS's e820 holes there (the EBDA at 0x9fc00 and 0xa0000-0xfffff).
pub const FIRST_MIB_PAGES: u64 = MIB;

/// SeaBIOS marks the top of low RAM reserved for the tables it leaves to the OS (ACPI, SMBIOS;
/// `malloc_prepboot` in src/malloc.c gives back what it did not use). QEMU q35 guests print
/// e.g. `BIOS-e820: [mem 0x…ffdd000-0x…fffffff] reserved`: 35 pages.
pub const SEABIOS_TOP_PAGES: u64 = 35;

/// The kernel image that stays after `free_initmem`: code, rwdata, rodata and bss as the boot
/// line `Memory: …K/…K available (…K kernel code, …K rwdata, …K rodata, …K init, …K bss, …)`
/// (`mem_init_print_info`, mm/page_alloc.c) prints them for a distribution x86_64 6.x build:
/// 16394K + 3568K + 10328K + 4924K. The 2676K of init sections are freed and count in MemTotal.
pub const KERNEL_IMAGE_KIB: u64 = 16394 + 3568 + 10328 + 4924;

/// The init sections of the same boot line (`…K init`): written when the image was
/// decompressed, given back by `free_initmem` (arch/x86/mm/init.c → `free_kernel_image_pages`
/// → `free_reserved_area`) once boot is over: free in the guest, resident on the host.
pub const KERNEL_INIT_KIB: u64 = 2676;

/// `LOAD_PHYSICAL_ADDR` (arch/x86/include/asm/boot.h, `CONFIG_PHYSICAL_START` 0x1000000): the
/// bzImage's `pref_address`, where GRUB's linux loader (grub-core/loader/i386/linux.c
/// `grub_cmd_linux`) puts the protected-mode kernel in a chunk of the header's `init_size`.
/// The decompressor (arch/x86/boot/compressed/head_64.S) copies itself to the end of that
/// buffer and extracts from there; with KASLR (`choose_random_location`,
/// arch/x86/boot/compressed/kaslr.c) the kernel runs elsewhere, so the buffer, written, is
/// handed to the buddy allocator by `memblock_free_all`. The model takes `init_size` as the
/// image with its init sections (37890K; header.S computes it from the same image, at least
/// that large) and counts the whole buffer as written: GRUB's copy fills its start, the
/// decompressor's relocated copy, heap and stack its end. Not calibrated; what lies above the
/// running system's pages (from about 38 MiB to 53 MiB on 1 GiB) is what a fresh inflate saves.
pub const LOAD_PHYSICAL_ADDR: u64 = 0x100_0000;

/// The end of the highest initrd GRUB's linux loader places on a BIOS machine
/// (grub-core/loader/i386/linux.c `grub_cmd_initrd`): `addr_max` is capped at
/// `GRUB_LINUX_INITRD_MAX_ADDRESS` (0x37ffffff) less 64 KiB, and the image goes as high as it
/// fits, `(addr_max - aligned_size) & ~0xfff`, so it ends at 0x37fef000 whatever its size.
pub const GRUB_INITRD_END: u64 = 0x37fe_f000;

/// The initrd image (compressed cpio) GRUB loads: reserved by `reserve_initrd`
/// (arch/x86/kernel/setup.c), unpacked by `populate_rootfs` (init/initramfs.c), then given back
/// by `free_initrd_mem`. CALIBRATED, not derived: the size is chosen so that the simulated QEMU
/// 7.2 + Linux 6.1 q35 1 GiB guest lands in the measured pair's resident size after boot
/// (RssAnon 190-215 MiB with QEMU's own ~36 MiB), once everything else boot wrote is counted.
/// The unpacked initramfs (page cache in rootfs, freed when the init switches root) is not a
/// separate set: the running system's allocations, taken from the lowest free pages, reuse it.
pub const INITRD_KIB: u64 = 60 << 10;

/// `sizeof(struct page)` on x86_64: the memmap costs 64 bytes a 4 KiB page.
pub const STRUCT_PAGE_BYTES: u64 = 64;
/// `PAGES_PER_SECTION` (x86_64 SECTION_SIZE_BITS 27): the vmemmap is populated a whole
/// 128 MiB section at a time (`sparse_init` → `__populate_section_memmap`, mm/sparse.c).
pub const PAGES_PER_SECTION: u64 = 1 << 15;

/// The first per-CPU chunk, embedded in memblock (`pcpu_embed_first_chunk`, mm/percpu.c):
/// 61 pages a CPU for a 6.1 distribution build ("percpu: Embedded 61 pages/cpu"); one vCPU.
pub const PERCPU_PAGES: u64 = 61;

/// What the running 6.1 guest holds after boot outside the page cache (slab, kernel stacks,
/// page tables, per-CPU page lists, the shell): 36.7 MiB on the measured QEMU 7.2 + Linux 6.1
/// q35 guest (`stat-total-memory` − `stat-free-memory` − `stat-disk-caches`). The simulator
/// does not derive this one figure; it is the measured pair's.
pub const RUNTIME_USED_PAGES: u64 = (1_020_538_880 - 982_036_480 - 2_273_280) / PAGE_SIZE;

/// The page cache after boot (the initramfs's files unpacked into rootfs, then what the shell
/// read): the measured pair's `stat-disk-caches`, 2220 KiB. Like [`RUNTIME_USED_PAGES`] a
/// property of the guest's userspace, not derived.
pub const BOOT_CACHE_PAGES: u64 = 2_273_280 / PAGE_SIZE;

/// `alloc_large_system_hash` (mm/page_alloc.c) table size in pages: one bucket of
/// `bucket_bytes` per `2^scale` bytes of lowmem, rounded up to a power of two, at most 1/16 of
/// memory. Early tables (`HASH_EARLY`, one NUMA node) come from memblock.
fn large_system_hash_pages(kernel_pages: u64, scale: u32, bucket_bytes: u64) -> u64 {
    // numentries = nr_kernel_pages rounded up to whole MiB, shifted by (scale - PAGE_SHIFT).
    let entries = (kernel_pages.div_ceil(MIB) * MIB) >> (scale - 12);
    let bytes = entries.max(1).next_power_of_two() * bucket_bytes;
    let max = kernel_pages * PAGE_SIZE / 16;
    bytes.min(max).div_ceil(PAGE_SIZE)
}

/// Where the pages of a booted guest went, in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BootLayout {
    /// Pages of guest RAM.
    pub nr_pages: u64,
    /// The first MiB (firmware areas, real-mode trampoline): reserved.
    pub first_mib: u64,
    /// SeaBIOS's reserved tables at the top of low RAM.
    pub firmware_top: u64,
    /// The kernel image after `free_initmem`.
    pub kernel_image: u64,
    /// `struct page` for every page (vmemmap).
    pub memmap: u64,
    /// The dentry and inode hash tables (`dcache_init_early`, `inode_init_early`).
    pub hash_tables: u64,
    /// The embedded first per-CPU chunk.
    pub percpu: u64,
    /// Allocated by the running system after boot (not page cache).
    pub runtime_used: u64,
    /// Page cache after boot.
    pub cache: u64,
    /// Written during boot and then freed, as (first PFN, pages): free in the guest, resident
    /// on the host, see [`BootLayout::touched_free`].
    pub decompress: (u64, u64),
    /// The init sections freed by `free_initmem`, just below the top reservations.
    pub init_freed: (u64, u64),
    /// The initrd image freed by `free_initrd_mem`.
    pub initrd: (u64, u64),
}

impl BootLayout {
    /// A q35 guest (SeaBIOS) of `nr_pages` booted into Linux 6.1 to a shell. Guests too small
    /// for this kernel get at most half of what is left after the reservations as runtime
    /// allocations and page cache, so they still have free memory.
    pub fn q35_linux_6_1(nr_pages: u64) -> Result<BootLayout, Error> {
        let memmap = nr_pages.div_ceil(PAGES_PER_SECTION) * PAGES_PER_SECTION * STRUCT_PAGE_BYTES
            / PAGE_SIZE;
        let kernel_image = KERNEL_IMAGE_KIB.div_ceil(4);
        let fixed = FIRST_MIB_PAGES + SEABIOS_TOP_PAGES + kernel_image + memmap + PERCPU_PAGES;
        // nr_kernel_pages is counted when memblock hands pages over: all but the reservations.
        let kernel_pages = nr_pages.saturating_sub(fixed);
        // "Dentry cache": 8-byte hlist_bl_head, scale 13; "Inode-cache": 8-byte hlist_head,
        // scale 14 (fs/dcache.c dcache_init_early, fs/inode.c inode_init_early).
        let hash_tables = large_system_hash_pages(kernel_pages, 13, 8)
            + large_system_hash_pages(kernel_pages, 14, 8);
        let reserved = fixed + hash_tables;
        // At least 4 MiB must reach the buddy allocator.
        if reserved + 4 * MIB > nr_pages {
            return Err(Error::InvalidMemorySize {
                bytes: nr_pages * PAGE_SIZE,
            });
        }
        let room = (nr_pages - reserved) / 2;
        let runtime_used = RUNTIME_USED_PAGES.min(room);
        let cache = BOOT_CACHE_PAGES.min(room - runtime_used);
        let top_start = nr_pages - (reserved - FIRST_MIB_PAGES);
        let init = KERNEL_INIT_KIB.div_ceil(4).min(room / 4);
        let init_freed = (top_start - init, init);
        // Below the init sections (the model keeps the top reservations in one piece) and at
        // most GRUB's highest initrd end; a guest too small for the image gets half the room
        // between the first MiB and that end (it stays a set of written pages, no more).
        let initrd_end = (top_start - init).min(GRUB_INITRD_END / PAGE_SIZE);
        let initrd_pages = (INITRD_KIB / 4).min((initrd_end - FIRST_MIB_PAGES) / 2);
        let initrd = (initrd_end - initrd_pages, initrd_pages);
        let load = (LOAD_PHYSICAL_ADDR / PAGE_SIZE).min(top_start);
        let span = (KERNEL_IMAGE_KIB + KERNEL_INIT_KIB).div_ceil(4);
        let decompress = (load, span.min(top_start - load));
        Ok(BootLayout {
            nr_pages,
            first_mib: FIRST_MIB_PAGES,
            firmware_top: SEABIOS_TOP_PAGES,
            kernel_image,
            memmap,
            hash_tables,
            percpu: PERCPU_PAGES,
            runtime_used,
            cache,
            decompress,
            init_freed,
            initrd,
        })
    }

    /// Pages never handed to the buddy allocator: outside MemTotal.
    pub fn reserved(&self) -> u64 {
        self.first_mib
            + self.firmware_top
            + self.kernel_image
            + self.memmap
            + self.hash_tables
            + self.percpu
    }

    /// The reservations memblock places at the top of memory (it allocates top-down,
    /// `memblock_find_in_range_node`), with the kernel image: KASLR
    /// (arch/x86/boot/compressed/kaslr.c `find_random_phys_addr`) puts it at a random
    /// physical address; the model puts it high so low memory stays in one piece.
    pub fn reserved_top(&self) -> u64 {
        self.reserved() - self.first_mib
    }

    /// The frames boot wrote and then gave back to the buddy allocator, as (first PFN, pages)
    /// runs that may overlap what the running system holds: the decompression buffer at
    /// `LOAD_PHYSICAL_ADDR`, the init sections, the initrd image. A fresh inflate saves the
    /// host only the part of these the balloon's lowest-first pages land on.
    pub fn touched_free(&self) -> [(u64, u64); 3] {
        [self.decompress, self.init_freed, self.initrd]
    }

    /// `totalram_pages()`: MemTotal after boot.
    pub fn managed(&self) -> u64 {
        self.nr_pages - self.reserved()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tables_match_the_boot_lines_of_a_1_gib_guest() {
        // "Dentry cache hash table entries: 131072 (order: 8, 1048576 bytes)" and
        // "Inode-cache hash table entries: 65536 (order: 7, 524288 bytes)" on 1 GiB guests.
        let kernel_pages = 250_000;
        assert_eq!(
            large_system_hash_pages(kernel_pages, 13, 8),
            1_048_576 / 4096
        );
        assert_eq!(large_system_hash_pages(kernel_pages, 14, 8), 524_288 / 4096);
    }

    #[test]
    fn the_touched_and_freed_sets_lie_where_grub_and_the_decompressor_put_them() {
        let b = BootLayout::q35_linux_6_1(262_144).unwrap();
        // GRUB's initrd ends at 0x37feffff - 0x10000 rounded down to a page, whatever its size.
        let (first, n) = b.initrd;
        assert_eq!((first + n) * PAGE_SIZE, 0x37ff_0000 - 0x1000);
        assert_eq!(n * PAGE_SIZE, INITRD_KIB << 10);
        // The decompression buffer starts at 16 MiB and spans the image with its init sections.
        assert_eq!(b.decompress.0 * PAGE_SIZE, 16 << 20);
        assert_eq!(b.decompress.1, 37_890u64.div_ceil(4), "whole pages");
        // free_initmem's pages sit right below the top reservations.
        assert_eq!(
            b.init_freed.0 + b.init_freed.1,
            b.nr_pages - b.reserved_top()
        );
        assert_eq!(b.init_freed.1 * 4, 2676);
    }

    #[test]
    fn the_touched_and_freed_sets_fit_every_guest() {
        for nr in [16_384, 20_000, 65_536, 229_359, 262_144, 1 << 20, 1 << 32] {
            let b = BootLayout::q35_linux_6_1(nr).unwrap();
            let top = nr - b.reserved_top();
            for (first, n) in b.touched_free() {
                assert!(n > 0, "{nr}: empty set");
                assert!(
                    first >= FIRST_MIB_PAGES && first + n <= top,
                    "{nr}: {first}+{n}"
                );
            }
            assert!(b.initrd.0 + b.initrd.1 <= GRUB_INITRD_END / PAGE_SIZE);
        }
    }

    #[test]
    fn the_memmap_is_64_bytes_a_page_by_whole_sections() {
        let b = BootLayout::q35_linux_6_1(262_144).unwrap();
        assert_eq!(b.memmap * PAGE_SIZE, 16 << 20);
        let small = BootLayout::q35_linux_6_1(16_384).unwrap();
        assert_eq!(
            small.memmap * PAGE_SIZE,
            2 << 20,
            "one whole 128 MiB section"
        );
        assert!(small.managed() > small.runtime_used + small.cache);
    }
}
