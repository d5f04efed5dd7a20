//! Memory cost of the guest model. Measured with `GuestMm::heap_bytes()`, the sum of the
//! capacities of every vector the model holds: the workspace forbids `unsafe_code` (a
//! `forbid` no `#[allow]` can lift), and a counting `GlobalAlloc` needs `unsafe impl`.

use balloon_driver::{GuestMm, PageState, StateSet};

const GIB: u64 = 1 << 30;

#[test]
fn a_64_gib_guest_with_every_chunk_fragmented_uses_less_than_16_mib() {
    let mut mm = GuestMm::new(64 * GIB, 0, 1).unwrap();
    let nr = mm.nr_pages();
    // One odd page in every 128 MiB chunk forces the whole map into bit planes.
    for pfn in (12345..nr).step_by(32768) {
        let was = mm.map().state(pfn).unwrap();
        mm.map_mut()
            .convert(pfn, 1, StateSet::one(was), PageState::Cache)
            .unwrap();
    }
    assert_eq!(mm.map().mixed_chunks() as u64, nr / 32768);
    let bytes = mm.heap_bytes();
    println!("64 GiB guest, all chunks mixed: {bytes} heap bytes");
    assert!(bytes < 16 << 20, "{bytes}");
    // 3 bits a page is the floor: 16 Mi pages * 3 / 8 = 6 MiB.
    assert!(bytes >= 6 << 20, "{bytes}");
}

#[test]
fn a_16_tib_guest_fits_while_its_chunks_are_uniform() {
    let mut mm = GuestMm::new(16 << 40, 0, 1).unwrap();
    mm.alloc_app(8 << 28);
    let bytes = mm.heap_bytes();
    println!("16 TiB guest, 8 TiB allocated: {bytes} heap bytes");
    assert!(bytes < 16 << 20, "{bytes}");
    assert_eq!(mm.app_pages().0, 8 << 28);
}
