// The slowest-event benchmark, shared by the native half (benches/bulk.rs) and the browser
// half (tests/wasm_bench.rs) with `include!`, so both time the same events the same way.
//
// The guest interleaves application memory and page cache 1 MiB at a time over half its RAM,
// then frees the application: free memory is 1 MiB holes between cached pages, in every
// pageblock of that half. The balloon then inflates to `target_bytes`: it fills the holes
// from the lowest (`fill_balloon` → `balloon_page_alloc` → `alloc_pages`), then the free half,
// and at the end reclaims page cache for its last pages.

/// The script: a guest of `ram` (`-m` syntax) with `pairs` 1 MiB application / 1 MiB cache
/// pairs, inflating to `target_bytes`.
fn fragmented_script(ram: &str, pairs: usize, target_bytes: u64) -> String {
    let mut text = format!(
        "# {ram} guest, fragmented, then inflating\n-m {ram} -device virtio-balloon -seed 10\nrun\n"
    );
    for _ in 0..pairs {
        text.push_str("guest alloc 1M\nguest cache 1M\n");
    }
    text.push_str("run\nguest free ");
    text.push_str(ram);
    text.push_str("\nrun\n");
    text.push_str(&format!(
        "{{\"execute\": \"balloon\", \"arguments\": {{\"value\": {target_bytes}}}}}\nrun\n"
    ));
    text
}

/// The slowest event of a run, and the 99th percentile of all of them.
struct Slowest {
    events: usize,
    max_ms: f64,
    p99_ms: f64,
    index: usize,
    function: &'static str,
}

/// Times every event of `runs` whole runs of `text` with the clock `now_ms` (from the end of
/// one event to the end of the next: the world's step and the trace hash) and keeps each
/// event's fastest run, so a pause of the shared machine or the browser, which seldom hits
/// the same event twice, is not taken for a slow event. Checks that the runs made the same
/// events and that the balloon reached `target_bytes`.
fn slowest_event(text: &str, target_bytes: u64, runs: u32, now_ms: &dyn Fn() -> f64) -> Slowest {
    let script = balloon_sim::command::parse_script(text).expect("fragmented script parses");
    let mut best: Vec<f64> = Vec::new();
    let mut functions: Vec<&'static str> = Vec::new();
    for run in 0..runs {
        let mut runner =
            balloon_sim::Runner::<virtq::Portable>::new(&script).expect("machine");
        let mut times = Vec::with_capacity(best.len());
        let mut names = Vec::with_capacity(best.len());
        let mut last = now_ms();
        runner.run_script(
            &script,
            &mut |ev| {
                let now = now_ms();
                times.push(now - last);
                names.push(ev.function());
                last = now;
            },
            &mut |_| {},
        );
        let summary = runner.summary();
        assert_eq!(
            summary.ram_size - u64::from(summary.actual) * 4096,
            target_bytes,
            "the fragmented guest's balloon reached its target"
        );
        if run == 0 {
            (best, functions) = (times, names);
        } else {
            assert_eq!(names, functions, "every run makes the same events");
            for (b, t) in best.iter_mut().zip(times) {
                *b = b.min(t);
            }
        }
    }
    let (index, max_ms) = best
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("the script makes events");
    let mut sorted = best.clone();
    sorted.sort_by(f64::total_cmp);
    Slowest {
        events: best.len(),
        max_ms,
        p99_ms: sorted[sorted.len() * 99 / 100],
        index,
        function: functions[index],
    }
}
