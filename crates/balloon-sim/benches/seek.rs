//! Seek in a timeline of at least 100,000 events: restore the nearest snapshot and replay.

#[cfg(not(target_arch = "wasm32"))]
use balloon_sim::Session;
#[cfg(not(target_arch = "wasm32"))]
use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(not(target_arch = "wasm32"))]
const SCRIPT: &str = "-m 16G -device virtio-balloon -seed 1
run
{\"execute\": \"balloon\", \"arguments\": {\"value\": 6442450944}}
run
";

#[cfg(not(target_arch = "wasm32"))]
fn seek(c: &mut Criterion) {
    let (mut s, _) = Session::from_script(SCRIPT).expect("script runs");
    let len = s.event_count();
    assert!(len >= 100_000, "only {len} events");
    let mut k: u64 = 12_345;
    c.bench_function(&format!("seek in a {len}-event timeline"), |b| {
        b.iter(|| {
            // A pseudo-random walk over the timeline, so every seek lands somewhere new.
            k = (k
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407)
                >> 11)
                % (len + 1);
            s.seek(k).expect("in range");
            s.current_index()
        })
    });
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, seek);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);

/// Criterion does not run in wasm32.
#[cfg(target_arch = "wasm32")]
fn main() {}
