//! The numbers the book's chapters quote about the guest (event numbers, PFNs, sizes, the
//! deflate-on-OOM stall) are the simulator's: each quote must be in its chapter and the
//! preset's trace (`balloon-sim run PRESET --trace ring`) must say the same.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::process::Command;

use balloon_driver::GuestMm;

fn chapter(name: &str) -> String {
    let path = format!("{}/../../docs/src/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The preset's ring trace and replies, as the CLI prints them.
fn trace(cache: &mut HashMap<&'static str, String>, preset: &'static str) -> String {
    cache
        .entry(preset)
        .or_insert_with(|| {
            let path = format!("{}/presets/{preset}.bpl", env!("CARGO_MANIFEST_DIR"));
            let out = Command::new(env!("CARGO_BIN_EXE_balloon-sim"))
                .args(["run", &path, "--trace", "ring"])
                .output()
                .expect("run balloon-sim");
            assert!(out.status.success(), "{preset}");
            String::from_utf8(out.stdout).unwrap()
        })
        .clone()
}

fn event(text: &str, index: u64) -> &str {
    let tag = format!("] #{index} ");
    text.lines()
        .find(|l| l.contains(&tag))
        .unwrap_or_else(|| panic!("no event #{index}"))
}

/// (chapter, what it says, preset, event, what the event says).
const EVENTS: &[(&str, &str, &str, u64, &str)] = &[
    (
        "inflate.md",
        "(PFNs 0x25b8..=0x26b7",
        "inflate-half",
        28,
        "fill_balloon took 256 of 256 pages (0x25b8..=0x26b7)",
    ),
    (
        "inflate.md",
        "so all 1024 KiB of them are saved",
        "inflate-half",
        33,
        "of which 1024 KiB had been written by the guest and were resident",
    ),
    (
        "free-pages.md",
        "to 155648 KiB",
        "free-page-reporting",
        32,
        "host resident size now 155648 KiB",
    ),
    (
        "free-pages.md",
        "at 2 s: 32 free blocks (31744 pages)",
        "free-page-reporting",
        27,
        "[    2.000000 s] #27 ",
    ),
    (
        "free-pages.md",
        "at 2 s: 32 free blocks (31744 pages)",
        "free-page-reporting",
        27,
        "isolated 32 free blocks (31744 pages)",
    ),
    (
        "free-pages.md",
        "one chain, 32 segments, 124 MiB",
        "free-page-reporting",
        28,
        "32 segment(s), 130023424 bytes",
    ),
    (
        "free-pages.md",
        "| #120–#123 | `__alloc_pages`, `handle_mm_fault` | at 10 s: `guest alloc 400M`",
        "free-page-reporting",
        120,
        "[   10.002400 s] #120     guest-mm  -            __alloc_pages: Guest workload `guest alloc 400M`",
    ),
    (
        "free-pages.md",
        "then `guest free 400M`",
        "free-page-reporting",
        123,
        "The application freed 102400 pages",
    ),
    (
        "deflate-on-oom.md",
        "| #6684 | guest-mm | `__alloc_pages` | the workload line `guest alloc 600M` |",
        "deflate-on-oom",
        6684,
        "`guest alloc 600M`",
    ),
    (
        "deflate-on-oom.md",
        "| #6686 | guest | `virtio_balloon_oom_notify` | the notifier runs with 131072 pages",
        "deflate-on-oom",
        6686,
        "virtio_balloon_oom_notify with 131072 pages in the balloon",
    ),
    (
        "deflate-on-oom.md",
        "`actual` = 130816, `num_pages` still 131072",
        "deflate-on-oom",
        6699,
        "update_balloon_size wrote actual = 130816",
    ),
    (
        "deflate-on-oom.md",
        "| #6700 | guest-mm | `handle_mm_fault` | still short",
        "deflate-on-oom",
        6700,
        "calls out_of_memory()",
    ),
    (
        "deflate-on-oom.md",
        "step=10051&preset=deflate-on-oom",
        "deflate-on-oom",
        10051,
        r#"operator  -            virtio_balloon_to_target: The operator types `{"execute": "balloon", "arguments": {"value": 536870912}}`"#,
    ),
];

#[test]
fn the_chapters_event_numbers_say_what_the_trace_says() {
    let mut cache = HashMap::new();
    for &(ch, quote, preset, index, says) in EVENTS {
        assert!(chapter(ch).contains(quote), "{ch} no longer says {quote:?}");
        let t = trace(&mut cache, preset);
        let line = event(&t, index);
        assert!(line.contains(says), "{preset} #{index}: {line}");
    }
}

#[test]
fn the_deflate_on_oom_chapters_sizes_are_the_presets() {
    let ch = chapter("deflate-on-oom.md");
    let t = trace(&mut HashMap::new(), "deflate-on-oom");
    // 224 notifier calls before the first query-balloon, which answers 771751936.
    let first_query = t
        .lines()
        .position(|l| l.contains(r#"the monitor answers {"return": {"actual": 771751936}}"#))
        .expect("the first query-balloon answers 771751936");
    let calls = t
        .lines()
        .take(first_query)
        .filter(|l| l.contains("virtio_balloon_oom_notify: out_of_memory called"))
        .count();
    assert_eq!(calls, 224);
    assert!(
        ch.contains("after 224 notifier\ncalls") && ch.contains("`actual` is 771751936 (736 MiB)")
    );
    for answer in ["561557504", "771272704"] {
        assert!(ch.contains(answer));
        assert!(
            t.contains(&format!(r#"{{"return": {{"actual": {answer}}}}}"#)),
            "{answer}"
        );
    }
    // The floor: min watermarks plus ZONE_DMA's lowmem_reserve, with THP's min_free_kbytes.
    let mm = GuestMm::new(1 << 30, 0, 1).unwrap();
    assert_eq!(mm.zones().min_free_kbytes, 45056);
    assert_eq!(mm.watermarks().0, 12218);
    assert!(ch.contains("to 45056 kB") && ch.contains("That floor is 12218 pages, 47.7 MiB"));
}

#[test]
fn the_inflate_chapters_memtotal_is_the_stats_presets() {
    let ch = chapter("inflate.md");
    let t = trace(&mut HashMap::new(), "stats-polling");
    assert!(ch.contains("`stat-total-memory` is 1017888768 bytes"));
    assert!(t.contains(r#""stat-total-memory": 1017888768"#));
    assert!(ch.contains("`b7 26 00 00 b6 26 00 00 …` is PFN 0x26b7"));
}

/// What a fresh 512 MiB inflate saves the host, added up from each `balloon_inflate_page`
/// line of the preset's trace: how many messages landed on pages boot wrote, and the total.
#[test]
fn the_inflate_chapters_saving_is_the_presets() {
    let ch = chapter("inflate.md");
    let t = trace(&mut HashMap::new(), "inflate-half");
    let saved: Vec<u64> = t
        .lines()
        .filter(|l| l.contains("balloon_inflate_page:"))
        .map(|l| {
            let kib = l.split(", of which ").nth(1).expect("written part");
            kib.split(' ').next().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(saved.len(), 512);
    let landed = saved.iter().take_while(|&&k| k > 0).count();
    assert!(saved[landed..].iter().all(|&k| k == 0), "{saved:?}");
    assert!(ch.contains(&format!(
        "Only the first {landed} messages land on pages boot wrote"
    )));
    let total: u64 = saved.iter().sum();
    assert!(
        ch.contains(&format!("saves the host {total} KiB")),
        "{total}"
    );
    // Where the decompressor's buffer ends, as both chapters say it.
    let boot = balloon_driver::boot::BootLayout::q35_linux_6_1(1 << 18).unwrap();
    let end_mib = ((boot.decompress.0 + boot.decompress.1) * 4096 + (1 << 19)) >> 20;
    assert!(ch.contains(&format!("the\ndecompressor's buffer ends at {end_mib} MiB")));
    assert!(chapter("free-pages.md").contains(&format!("buffer up to {end_mib} MiB")));
}
