//! A 64 GiB guest inflated to a 60 GiB balloon goes through the real rings: 61,440 inflate
//! buffers of 256 PFNs, one trace event per ring operation, PFNs as ranges.
#![cfg(not(target_arch = "wasm32"))]

use balloon_device::DeviceEvent;
use balloon_sim::Runner;
use balloon_sim::command::parse_script;
use balloon_sim::presets;
use balloon_sim::world::Detail;

#[test]
fn bulk_64g_inflate_is_61440_buffers_of_256_pfns() {
    let script = parse_script(presets::get("bulk-64g").unwrap().text).unwrap();
    let mut runner = Runner::<virtq::Portable>::new(&script).unwrap();
    let (mut buffers, mut pfns, mut max_ranges, mut events) = (0u64, 0u64, 0usize, 0u64);
    runner.run_script(
        &script,
        &mut |ev| {
            events += 1;
            max_ranges = max_ranges.max(ev.pfns().len());
            if let Detail::Device(DeviceEvent::Inflated { pfns: runs, .. }) = &ev.detail {
                let n: u64 = runs.iter().map(|r| r.count).sum();
                assert_eq!(n, 256, "every inflate buffer carries 256 PFNs");
                buffers += 1;
                pfns += n;
            }
        },
        &mut |_| {},
    );
    assert_eq!(buffers, 61_440);
    assert_eq!(pfns, 15 << 20);
    assert!(
        max_ranges <= 2,
        "PFN arrays are stored as ranges, not pages"
    );
    let s = runner.summary();
    assert_eq!(s.event_count, events);
    assert_eq!((s.num_pages, s.actual), (15 << 20, 15 << 20));
    assert_eq!(s.pages_discarded_by_device, 15 << 20);
    assert_eq!(s.logical_bytes, 4 << 30);
}
