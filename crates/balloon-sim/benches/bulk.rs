//! The whole-run benchmark of issue 9, in one process so the figures sit side by side:
//!
//! * the bulk inflate (a 64 GiB guest to a 60 GiB balloon, preset `bulk-64g`) through the whole
//!   simulation on the portable and the rust-vmm backend: time, pages/s, peak RSS;
//! * the floor: the same 61,440 PFN arrays of 256 pushed through `virtio_queue::Queue` over
//!   `vm-memory` with nothing else;
//! * seeks in a session of at least 100,000 events, and what that session keeps per event;
//! * a host of 8 VMs of 8 GiB, each inflating to half (`scripts/host-8x8g.bpl`), whole
//!   simulation;
//! * the slowest single event of a 64 GiB guest whose free memory is fragmented, inflating to
//!   4 GiB (`scripts/fragmented.rs`): every event timed, each at its fastest of a few runs.
//!
//! `cargo bench --profile release -p balloon-sim --bench bulk` runs it at full size and prints
//! `bench: key=value` lines (what `cargo xtask bench` runs and reads). Run without `--bench`
//! (`cargo test --bench bulk`) it takes a tiny smoke size and checks the results, as criterion's
//! test mode does.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use balloon_sim::command::parse_script;
    use balloon_sim::{Runner, Session, presets};
    use virtio_queue::{Queue, QueueT};
    use virtq::{Backend, Portable, RustVmm};
    use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

    /// What one size of the benchmark runs.
    struct Size {
        /// The bulk inflate script.
        bulk: String,
        /// PFN arrays of the bulk run (for the floor), and pages in each.
        arrays: u64,
        /// Guest pages (the floor's bitmap).
        guest_pages: u64,
        /// A script of at least `seek_events` events.
        seek: &'static str,
        seek_events: u64,
        /// Seeks timed.
        seeks: u64,
        /// Timed repetitions of each whole run (the best is kept: the machine is shared).
        runs: u32,
        /// The fragmented guest: RAM, 1 MiB pairs, balloon target.
        fragmented: (&'static str, usize, u64),
    }

    const PFNS_PER_ARRAY: u64 = 256;

    // The same scripts as the browser half (tests/wasm_bench.rs), so the runs compare.
    const SEEK_FULL: &str = include_str!("scripts/seek-full.bpl");
    const SEEK_SMOKE: &str = include_str!("scripts/seek-smoke.bpl");
    const BULK_SMOKE: &str = include_str!("scripts/bulk-smoke.bpl");
    const HOST_FULL: &str = include_str!("scripts/host-8x8g.bpl");
    const HOST_SMOKE: &str = include_str!("scripts/host-smoke.bpl");

    pub fn main() {
        let full = std::env::args().any(|a| a == "--bench");
        let size = if full {
            Size {
                bulk: presets::get("bulk-64g").expect("preset").text.to_owned(),
                arrays: 61_440,
                guest_pages: 64 << 18,
                seek: SEEK_FULL,
                seek_events: 100_000,
                seeks: 200,
                runs: 3,
                fragmented: ("64G", 16_384, 4 << 30),
            }
        } else {
            Size {
                bulk: BULK_SMOKE.to_owned(),
                arrays: 768,
                guest_pages: 1 << 18,
                seek: SEEK_SMOKE,
                seek_events: 1_000,
                seeks: 20,
                runs: 1,
                fragmented: ("1G", 128, 256 << 20),
            }
        };
        let report = |key: &str, value: String| println!("bench: {key}={value}");

        let pages = size.arrays * PFNS_PER_ARRAY;
        reset_peak_rss();
        let portable = best_run::<Portable>(&size.bulk, size.runs, pages);
        let peak = peak_rss_kib();
        reset_peak_rss();
        let rust_vmm = best_run::<RustVmm>(&size.bulk, size.runs, pages);
        let peak_rust_vmm = peak_rss_kib();
        let floor = (0..size.runs)
            .map(|_| bare_virtio_queue(size.arrays, size.guest_pages))
            .min()
            .expect("at least one run");

        let s = |d: Duration| format!("{:.4}", d.as_secs_f64());
        let per_s = |d: Duration| format!("{:.0}", pages as f64 / d.as_secs_f64());
        report("bulk_pages", pages.to_string());
        report("bulk_inflate_native_s", s(portable));
        report("bulk_pages_per_s", per_s(portable));
        report("bulk_inflate_rustvmm_s", s(rust_vmm));
        report("bulk_rustvmm_pages_per_s", per_s(rust_vmm));
        report(
            "portable_vs_rustvmm_ratio",
            format!("{:.3}", rust_vmm.as_secs_f64() / portable.as_secs_f64()),
        );
        report("bare_virtio_queue_s", s(floor));
        report("bare_pages_per_s", per_s(floor));
        report(
            "sim_vs_bare_ratio",
            format!("{:.2}", portable.as_secs_f64() / floor.as_secs_f64()),
        );
        if let Some(kib) = peak {
            report("peak_rss_mib", format!("{:.1}", kib as f64 / 1024.0));
        }
        if let Some(kib) = peak_rust_vmm {
            report(
                "peak_rss_rustvmm_mib",
                format!("{:.1}", kib as f64 / 1024.0),
            );
        }

        let seek = seeks(size.seek, size.seek_events, size.seeks);
        report("seek_events", seek.events.to_string());
        report("seek_native_ms", format!("{:.3}", ms(seek.worst)));
        report("seek_native_mean_ms", format!("{:.3}", ms(seek.mean)));
        if let Some(b) = seek.rss_bytes_per_event {
            report("session_rss_bytes_per_event", format!("{b:.0}"));
        }
        report(
            "trace_kept_bytes_per_event",
            format!("{:.1}", seek.kept_bytes_per_event),
        );
        let host = (0..size.runs)
            .map(|_| host_run(if full { HOST_FULL } else { HOST_SMOKE }))
            .min()
            .expect("at least one run");
        report("host_8x8g_native_s", s(host));
        report(
            "trace_event_size_bytes",
            size_of::<balloon_sim::world::TraceEvent>().to_string(),
        );

        let (ram, pairs, target) = size.fragmented;
        let started = Instant::now();
        let slow = slowest_event(
            &fragmented_script(ram, pairs, target),
            target,
            size.runs.max(2),
            &|| ms(started.elapsed()),
        );
        println!(
            "slowest event of the fragmented {ram} guest: #{} {} ({} events)",
            slow.index, slow.function, slow.events
        );
        report("slowest_event_native_ms", format!("{:.3}", slow.max_ms));
        report("slowest_event_native_p99_ms", format!("{:.4}", slow.p99_ms));
    }

    include!("scripts/fragmented.rs");

    /// One whole run of a host script in which every VM inflates to half its RAM; checks
    /// that each did and that nobody was killed.
    fn host_run(text: &str) -> Duration {
        use balloon_sim::host::{HostRunner, parse_host_script};
        let script = parse_host_script(text).expect("host script");
        let started = Instant::now();
        let mut runner = HostRunner::<Portable>::new(&script).expect("host");
        runner.run_script(&script, &mut |_, _| {}, &mut |_, _| {});
        let took = started.elapsed();
        let summary = black_box(runner.summary());
        for (name, vm) in &summary.vms {
            assert_eq!(vm.state, "running", "{name}");
            let half = u32::try_from(vm.ram_size / 2 / 4096).expect("pages");
            assert_eq!(vm.actual, Some(half), "{name} inflated to half");
        }
        took
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    /// The fastest of `runs` whole runs of `text` on backend `B`; checks every run inflated
    /// `pages` pages.
    fn best_run<B: Backend>(text: &str, runs: u32, pages: u64) -> Duration {
        let script = parse_script(text).expect("bulk script parses");
        let mut best = Duration::MAX;
        for _ in 0..runs {
            let started = Instant::now();
            let mut runner = Runner::<B>::new(&script).expect("machine");
            runner.run_script(&script, &mut |_| {}, &mut |_| {});
            let summary = runner.summary();
            best = best.min(started.elapsed());
            assert_eq!(
                u64::from(summary.actual),
                pages,
                "{}: the balloon holds every page",
                B::NAME
            );
            assert_eq!(summary.pages_discarded_by_device, pages);
            black_box(summary);
        }
        best
    }

    /// The floor: `arrays` PFN arrays of 256 descending PFNs pushed through rust-vmm's
    /// `virtio_queue::Queue` over `vm-memory`, one chain in flight as in the simulation. The
    /// guest writes the array, the descriptor and the avail entry; the device pops, reads the
    /// PFNs, sets one bit per page and adds the used element; the guest reads used.idx.
    fn bare_virtio_queue(arrays: u64, guest_pages: u64) -> Duration {
        const N: u16 = 256;
        const DESC: u64 = 0x1000;
        const AVAIL: u64 = 0x2000;
        const USED: u64 = 0x3000;
        const PFN_ARRAY: u64 = 0x10000;
        let mem = GuestMemoryMmap::<()>::from_ranges(&[(GuestAddress(0), 1 << 20)])
            .expect("guest memory");
        let mut q = Queue::new(N).expect("queue");
        q.try_set_desc_table_address(GuestAddress(DESC))
            .expect("desc");
        q.try_set_avail_ring_address(GuestAddress(AVAIL))
            .expect("avail");
        q.try_set_used_ring_address(GuestAddress(USED))
            .expect("used");
        q.set_ready(true);
        let mut bitmap = vec![0u64; guest_pages.div_ceil(64) as usize];
        let mut array = [0u8; (PFNS_PER_ARRAY * 4) as usize];
        let mut buf = [0u8; (PFNS_PER_ARRAY * 4) as usize];
        let started = Instant::now();
        let mut top = guest_pages;
        for k in 0..arrays {
            // Guest: the PFN array (descending, as Linux fills it), descriptor 0, avail entry.
            for (slot, pfn) in array.chunks_exact_mut(4).zip((0..top).rev()) {
                slot.copy_from_slice(&(pfn as u32).to_le_bytes());
            }
            top -= PFNS_PER_ARRAY;
            mem.write_slice(&array, GuestAddress(PFN_ARRAY))
                .expect("array");
            let mut desc = [0u8; 16];
            desc[..8].copy_from_slice(&PFN_ARRAY.to_le_bytes());
            desc[8..12].copy_from_slice(&(array.len() as u32).to_le_bytes());
            mem.write_slice(&desc, GuestAddress(DESC)).expect("desc");
            let idx = k as u16;
            mem.write_obj(0u16, GuestAddress(AVAIL + 4 + 2 * u64::from(idx % N)))
                .expect("avail entry");
            mem.write_obj(idx.wrapping_add(1), GuestAddress(AVAIL + 2))
                .expect("avail idx");
            // Device.
            let chain = q.pop_descriptor_chain(&mem).expect("a chain is available");
            let head = chain.head_index();
            for d in chain {
                let len = d.len() as usize;
                mem.read_slice(&mut buf[..len], d.addr()).expect("PFNs");
                for r in buf[..len].chunks_exact(4) {
                    let pfn = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
                    bitmap[pfn / 64] |= 1 << (pfn % 64);
                }
            }
            q.add_used(&mem, head, 0).expect("add_used");
            // Guest: collects the used element.
            let used: u16 = mem.read_obj(GuestAddress(USED + 2)).expect("used idx");
            assert_eq!(used, idx.wrapping_add(1));
        }
        let elapsed = started.elapsed();
        let set: u64 = bitmap.iter().map(|w| u64::from(w.count_ones())).sum();
        assert_eq!(set, arrays * PFNS_PER_ARRAY, "every page marked once");
        elapsed
    }

    struct Seeks {
        events: u64,
        worst: Duration,
        mean: Duration,
        rss_bytes_per_event: Option<f64>,
        /// What the session counts as kept per event ([`Session::trace_bytes`]).
        kept_bytes_per_event: f64,
    }

    /// Builds a session of `text` (at least `min_events` events) and times `count` seeks to
    /// pseudo-random events; also what the session keeps per event beyond its snapshots.
    fn seeks(text: &str, min_events: u64, count: u64) -> Seeks {
        let before = rss_kib();
        let (mut s, _) = Session::from_script(text).expect("seek script runs");
        let after = rss_kib();
        let len = s.event_count();
        assert!(len >= min_events, "only {len} events");
        // The whole session, snapshots included: what RSS says, beside what the session
        // counts of its own timeline (`trace_bytes`), which RSS can no longer resolve once the
        // snapshots are subtracted.
        let rss_bytes_per_event = before
            .zip(after)
            .map(|(b, a)| a.saturating_sub(b) as f64 * 1024.0 / len as f64);
        let (mut worst, mut total) = (Duration::ZERO, Duration::ZERO);
        let mut k: u64 = 12_345;
        for _ in 0..count {
            k = (k
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407)
                >> 11)
                % (len + 1);
            let started = Instant::now();
            s.seek(k).expect("in range");
            let took = started.elapsed();
            assert_eq!(s.current_index(), k);
            worst = worst.max(took);
            total += took;
        }
        Seeks {
            events: len,
            worst,
            mean: total / count.max(1) as u32,
            rss_bytes_per_event,
            kept_bytes_per_event: s.trace_bytes() as f64 / len as f64,
        }
    }

    fn status_kib(field: &str) -> Option<u64> {
        std::fs::read_to_string("/proc/self/status")
            .ok()?
            .lines()
            .find(|l| l.starts_with(field))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    fn rss_kib() -> Option<u64> {
        status_kib("VmRSS:")
    }

    fn peak_rss_kib() -> Option<u64> {
        status_kib("VmHWM:")
    }

    /// Resets the process's peak RSS (Linux: "5" to /proc/self/clear_refs), so each run's peak
    /// is its own; where that is refused the peak is the process's so far.
    fn reset_peak_rss() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}
