//! The QEMU trace importer on the shipped real recording (checked against an independent count
//! of the raw lines written here) and on hostile input.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use balloon_sim::import::{
    BadReason, ImportError, ImportOptions, ImportedKind, Importer, MAX_SAMPLES, Recording,
    import_text,
};

#[path = "support/qemu_trace.rs"]
mod qemu_trace;
use qemu_trace::{qmp_text, trace_text};

fn import(trace: &str) -> Recording {
    import_text(trace, None, ImportOptions::default()).unwrap()
}

/// What the raw text says, counted without the importer: strip `TID@TIME:`, then the queue of
/// a `virtqueue_pop` is the `n` of the latest `virtio_queue_notify` line before it, and a
/// `virtio_balloon_handle_output` line belongs to the latest pop.
#[derive(Debug, Default, PartialEq)]
struct RawCount {
    pops: [u64; 4],
    pages: [u64; 4],
    actual: Vec<u32>,
    last_num_pages: Option<u32>,
    first_s: f64,
    min_s: f64,
    max_s: f64,
}

fn raw_count(text: &str) -> RawCount {
    let mut c = RawCount {
        min_s: f64::MAX,
        ..RawCount::default()
    };
    let mut notified: Option<usize> = None;
    let mut popped: Option<usize> = None;
    for line in text.lines() {
        let (time, body) = match line.split_once(':') {
            Some((p, rest)) if p.contains('@') => (p.split('@').nth(1), rest),
            _ => (None, line),
        };
        if let Some(t) = time.and_then(|t| t.parse::<f64>().ok()) {
            if c.first_s == 0.0 {
                c.first_s = t;
            }
            c.min_s = c.min_s.min(t);
            c.max_s = c.max_s.max(t);
        }
        let words: Vec<&str> = body.split_whitespace().collect();
        let value_after = |key: &str| {
            let i = words.iter().position(|w| *w == key)?;
            words.get(i + 1)?.parse::<u32>().ok()
        };
        match words.first().copied() {
            Some("virtio_queue_notify") => notified = value_after("n").map(|n| n as usize),
            Some("virtqueue_pop") => {
                popped = notified;
                c.pops[notified.unwrap()] += 1;
            }
            Some("virtio_balloon_handle_output") => c.pages[popped.unwrap()] += 1,
            Some("virtio_balloon_set_config") => c.actual.push(value_after("actual:").unwrap()),
            Some("virtio_balloon_to_target" | "virtio_balloon_get_config") => {
                c.last_num_pages = value_after("num_pages:")
            }
            _ => {}
        }
    }
    c
}

#[test]
fn shipped_recording_matches_an_independent_count_of_its_lines() {
    let t0 = Instant::now();
    let text = trace_text();
    let qmp = qmp_text();
    let raw = raw_count(&text);
    let rec = import_text(&text, Some(&qmp), ImportOptions::default()).unwrap();
    let s = rec.summary();
    eprintln!(
        "raw count: pops {:?}, pages {:?}, {} set_config",
        raw.pops,
        raw.pages,
        raw.actual.len()
    );
    eprintln!("summary: {}", serde_json::json!({ "summary": s }));

    assert_eq!(
        [
            s.inflate_messages,
            s.deflate_messages,
            s.stats_messages,
            s.reporting_messages
        ],
        raw.pops
    );
    assert_eq!(s.pfns_inflated, raw.pages[0]);
    assert_eq!(s.pfns_deflated, raw.pages[1]);
    assert_eq!(
        raw.pages[2] + raw.pages[3],
        0,
        "stats/reporting elements carry no PFN lines"
    );
    assert_eq!(rec.actual_sequence, raw.actual);
    assert_eq!(s.actual_pages, raw.actual.last().copied());
    assert_eq!(s.num_pages, raw.last_num_pages);
    assert!((s.duration_s - (raw.max_s - raw.min_s)).abs() < 1e-5);
    let changes = qmp
        .lines()
        .filter(|l| l.contains("\"BALLOON_CHANGE\""))
        .count();
    assert_eq!(s.balloon_change_events, changes as u64);

    // Per-element runs add up to the same pages, and every pop event is one message.
    let mut pages = [0u64; 4];
    let mut pops = [0u64; 4];
    for ev in &rec.events {
        if let ImportedKind::Pop {
            queue_index: Some(n),
            pfns,
            descriptor,
            ..
        } = &ev.kind
        {
            assert_eq!(*descriptor, None, "the trace has no descriptor index");
            pops[*n as usize] += 1;
            pages[*n as usize] += pfns.iter().map(|r| r.count).sum::<u64>();
        }
    }
    assert_eq!(pops, raw.pops);
    assert_eq!(pages, raw.pages);
    // Clean input: nothing rejected, nothing foreign, both QEMU threads seen.
    let r = &rec.report;
    assert_eq!(r.bad_lines, 0, "{:?}", r.bad_samples);
    assert_eq!(r.foreign_lines, 0);
    assert_eq!(r.unattributed_pfns, 0);
    assert!(
        r.threads.len() >= 2,
        "main loop and vCPU threads: {:?}",
        r.threads
    );
    // QMP messages are merged into the timeline in time order around trace events.
    assert!(
        rec.events
            .iter()
            .any(|e| matches!(e.kind, ImportedKind::QmpBalloonChange { .. }))
    );
    // QMP host times land on the trace's clock to the microsecond: the first command, read
    // here from both texts with integer arithmetic.
    let us = |t: &str| {
        let (s, f) = t.split_once('.').unwrap_or((t, ""));
        s.parse::<i64>().unwrap() * 1_000_000 + format!("{f:0<6}").parse::<i64>().unwrap()
    };
    let first_trace = text.lines().next().unwrap();
    let trace_us = us(first_trace.split(['@', ':']).nth(1).unwrap());
    let first_out = qmp.lines().find(|l| l.contains("\"out\"")).unwrap();
    let qmp_us = us(first_out
        .split("\"t\": ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap());
    let command = rec
        .events
        .iter()
        .find(|e| matches!(e.kind, ImportedKind::QmpCommand { .. }))
        .unwrap();
    assert_eq!(command.t_ns, Some((qmp_us - trace_us) * 1000));
    eprintln!("took {:?}", t0.elapsed());
}

#[test]
fn the_same_lines_without_prefix_give_the_same_counts() {
    let text = trace_text();
    let bare: String = text
        .lines()
        .map(|l| l.split_once(':').map_or(l, |(_, rest)| rest))
        .flat_map(|l| [l, "\n"])
        .collect();
    let with = import(&text);
    let without = import(&bare);
    assert_eq!(without.pops_per_queue, with.pops_per_queue);
    assert_eq!(without.actual_sequence, with.actual_sequence);
    assert_eq!(without.pfns_inflated, with.pfns_inflated);
    assert_eq!(without.duration_ns, 0, "no timestamps, no duration");
    assert!(without.events.iter().all(|e| e.t_ns.is_none()));
}

/// 1 MiB of deterministic garbage: random bytes and random words, newline every ~100 bytes.
fn garbage_block(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(1 << 20);
    while out.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = (x >> 24) as u8;
        out.push(match x % 128 {
            0 => b'\n',
            1..=40 => b'a' + b % 26,
            41..=50 => b' ',
            _ => b,
        });
    }
    out
}

#[test]
fn hundred_megabytes_of_garbage_give_a_bounded_report() {
    let t0 = Instant::now();
    let block = garbage_block(0x9e37_79b9);
    let mut im = Importer::default();
    for _ in 0..100 {
        im.push_trace_bytes(&block);
    }
    let err = im.finish().unwrap_err();
    let report = err.report().expect("a report on the rejected input");
    eprintln!(
        "{err}; {} bad lines; took {:?}",
        report.bad_lines,
        t0.elapsed()
    );
    assert!(matches!(
        err,
        ImportError::Binary(_) | ImportError::NoTraceLines(_)
    ));
    assert!(report.trace_lines > 100_000);
    assert_eq!(report.mapped_lines, 0);
    assert!(report.bad_samples.len() <= MAX_SAMPLES);
    assert!(
        report
            .bad_samples
            .iter()
            .all(|b| b.snippet.chars().count() <= 60)
    );
    assert!(report.bad_samples.windows(2).all(|w| w[0].line < w[1].line));
}

#[test]
fn garbage_lines_among_real_lines_are_counted_with_line_numbers() {
    let text = trace_text();
    let clean = import(&text);
    let mut mixed = String::new();
    let mut inserted = 0;
    for (i, l) in text.lines().enumerate() {
        mixed.push_str(l);
        mixed.push('\n');
        if i % 1000 == 7 {
            mixed.push_str("kernel: oops, this is not a trace line\n");
            inserted += 1;
        }
    }
    let rec = import(&mixed);
    assert_eq!(rec.summary(), clean.summary());
    assert_eq!(rec.report.bad_lines, inserted);
    let first = &rec.report.bad_samples[0];
    assert_eq!((first.line, first.reason), (9, BadReason::NotATraceLine));
    assert!(first.snippet.starts_with("kernel: oops"));
}

#[test]
fn one_megabyte_lines_are_skipped_without_losing_the_rest() {
    let text = trace_text();
    let clean = import(&text);
    let long_garbage = "x".repeat(1 << 20);
    let long_event = format!(
        "26039@1795998885.600000:virtio_balloon_handle_output section name: {} gpa: 0x1000",
        "y".repeat(1 << 20)
    );
    let lines: Vec<&str> = text.lines().collect();
    let mut input = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i == 100 {
            input.push_str(&long_garbage);
            input.push('\n');
            input.push_str(&long_event);
            input.push('\n');
        }
        input.push_str(l);
        input.push('\n');
    }
    input.push_str(&long_garbage); // and a last one with no newline
    // Fed in 8 KiB chunks, as the page and the CLI do.
    let t0 = Instant::now();
    let mut im = Importer::default();
    for chunk in input.as_bytes().chunks(8192) {
        im.push_trace_bytes(chunk);
    }
    let rec = im.finish().unwrap();
    eprintln!("took {:?}", t0.elapsed());
    assert_eq!(rec.summary(), clean.summary());
    assert_eq!(rec.report.bad_lines, 3);
    assert!(
        rec.report
            .bad_samples
            .iter()
            .all(|b| b.reason == BadReason::TooLong)
    );
    assert_eq!(rec.report.bad_samples[0].line, 101);
    assert!(rec.report.missing_final_newline);
}

#[test]
fn events_out_of_order_are_reported_and_kept_in_line_order() {
    let trace = "\
7@100.000000:virtio_balloon_set_config actual: 1 oldactual: 0
7@100.000500:virtio_balloon_set_config actual: 2 oldactual: 1
7@99.999000:virtio_balloon_set_config actual: 3 oldactual: 2
7@100.000200:virtio_balloon_set_config actual: 4 oldactual: 3
7@101.000000:virtio_balloon_set_config actual: 5 oldactual: 4
";
    let rec = import(trace);
    assert_eq!(rec.actual_sequence, [1, 2, 3, 4, 5]);
    assert_eq!(rec.report.out_of_order, 2);
    let s = &rec.report.out_of_order_samples;
    assert_eq!((s[0].line, s[0].behind_ns), (3, 1_500_000));
    assert_eq!((s[1].line, s[1].behind_ns), (4, 300_000));
    let times: Vec<Option<i64>> = rec.events.iter().map(|e| e.t_ns).collect();
    assert_eq!(
        times,
        [
            Some(0),
            Some(500_000),
            Some(-1_000_000),
            Some(200_000),
            Some(1_000_000_000)
        ]
    );
    // Earliest to latest, not first to last.
    assert_eq!(rec.duration_ns, 1_001_000_000);
}

#[test]
fn another_process_mixed_in_is_counted_as_foreign() {
    let text = trace_text();
    let clean = import(&text);
    let foreign = "\
4242@1795998885.700000:virtio_set_status vdev 0xdead0000 val 15
4242@1795998885.700001:virtio_queue_notify vdev 0xdead0000 n 0 vq 0xdead1000
4242@1795998885.700002:virtqueue_pop vq 0xdead1000 elem 0xbeef in_num 0 out_num 1
4242@1795998885.700003:virtio_balloon_handle_output section name: pc.ram gpa: 0x5000
4242@1795998885.700004:virtio_balloon_handle_output section name: pc.ram gpa: 0x6000
4242@1795998885.700005:virtio_balloon_set_config actual: 7 oldactual: 0
4242@1795998885.700006:virtio_balloon_get_config num_pages: 99 actual: 7
";
    let mut mixed = String::new();
    let mut blocks = 0u64;
    // After the first device line, so the balloon is named first (as QEMU would).
    for (i, l) in text.lines().enumerate() {
        mixed.push_str(l);
        mixed.push('\n');
        if i % 500 == 3 {
            mixed.push_str(foreign);
            blocks += 1;
        }
    }
    let rec = import(&mixed);
    assert_eq!(
        rec.summary().inflate_messages,
        clean.summary().inflate_messages
    );
    assert_eq!(rec.pops_per_queue, clean.pops_per_queue);
    assert_eq!(rec.pfns_inflated, clean.pfns_inflated);
    assert_eq!(rec.actual_sequence, clean.actual_sequence);
    assert_eq!(rec.num_pages, clean.num_pages);
    assert_eq!(rec.report.foreign_lines, blocks * 7);
    assert!(rec.report.foreign_samples.len() <= MAX_SAMPLES);
    assert!(rec.report.threads.contains(&4242));
    assert!(
        rec.report.out_of_order > 0,
        "the foreign block's times go back"
    );
}

#[test]
fn empty_binary_and_truncated_inputs_are_told_apart() {
    assert_eq!(
        import_text("", None, ImportOptions::default()),
        Err(ImportError::Empty)
    );
    assert_eq!(
        import_text("\n\n  \n", None, ImportOptions::default()),
        Err(ImportError::Empty)
    );
    let mut im = Importer::default();
    im.push_trace_bytes(b"\x7fELF\x02\x01\x01\0\0\0\n\0\0\xff\xfe\n");
    let err = im.finish().unwrap_err();
    assert!(matches!(err, ImportError::Binary(_)), "{err}");
    assert!(err.to_string().contains("binary"));
    let err = import_text("hello\nworld\n", None, ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::NoTraceLines(_)), "{err}");

    // Cut in the middle of a line, as a copy interrupted: everything before counts.
    let text = trace_text();
    let cut = &text[..text.len() / 2];
    let cut = &cut[..cut.rfind("virtio_balloon_handle_output").unwrap() + 20];
    let rec = import(cut);
    assert!(rec.report.missing_final_newline);
    let last = rec.report.bad_samples.last().unwrap();
    assert_eq!(last.reason, BadReason::Truncated);
    assert_eq!(last.line, cut.lines().count() as u64);
    assert_eq!(rec.pops_per_queue[0], raw_count(cut).pops[0]);
}

#[test]
fn plain_qmp_lines_work_too() {
    let text = trace_text();
    let plain = "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1006632960}}\n\
                 {\"return\": {}}\n\
                 {\"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": 1006632960}, \"timestamp\": {\"seconds\": 1795998885, \"microseconds\": 971474}}\n\
                 not json\n";
    let rec = import_text(&text, Some(plain), ImportOptions::default()).unwrap();
    assert_eq!(rec.balloon_change_events, 1);
    assert_eq!(rec.report.bad_lines, 1);
    assert_eq!(rec.report.bad_samples[0].source, "qmp");
    assert_eq!(rec.report.bad_samples[0].reason, BadReason::NotQmp);
    // QMP order is kept: the command has no time, so it and what follows it go in after the
    // trace; the change keeps QEMU's own stamp on the trace's clock.
    let n = rec.events.len();
    let (command, change) = (&rec.events[n - 2], &rec.events[n - 1]);
    assert!(matches!(command.kind, ImportedKind::QmpCommand { .. }));
    assert_eq!(command.t_ns, None);
    assert!(matches!(change.kind, ImportedKind::QmpBalloonChange { .. }));
    assert!(change.t_ns.is_some_and(|t| t > 0));
}

#[test]
fn a_thread_switching_devices_is_followed_line_by_line() {
    // Thread 9 works for the balloon (vdev 0xb), then for another device (vdev 0xf), then for
    // the balloon again: only the balloon's pages and config writes count.
    let trace = "\
9@1.000000:virtio_queue_notify vdev 0xb n 0 vq 0xb0
9@1.000001:virtqueue_pop vq 0xb0 elem 0x1 in_num 0 out_num 1
9@1.000002:virtio_balloon_handle_output section name: pc.ram gpa: 0x1000
9@1.000003:virtio_queue_notify vdev 0xf n 0 vq 0xf0
9@1.000004:virtqueue_pop vq 0xf0 elem 0x2 in_num 0 out_num 1
9@1.000005:virtio_balloon_handle_output section name: pc.ram gpa: 0x9000
9@1.000006:virtio_balloon_set_config actual: 77 oldactual: 0
9@1.000007:virtqueue_pop vq 0xf0 elem 0x2 in_num 0 out_num 1
9@1.000008:virtqueue_pop vq 0xb0 elem 0x3 in_num 0 out_num 1
9@1.000009:virtio_balloon_handle_output section name: pc.ram gpa: 0x2000
9@1.000010:virtio_balloon_set_config actual: 2 oldactual: 0
";
    let rec = import(trace);
    assert_eq!(rec.pops_per_queue, [2, 0, 0, 0, 0]);
    assert_eq!(rec.pfns_inflated, 2);
    assert_eq!(rec.actual_sequence, [2]);
    assert_eq!(rec.report.foreign_lines, 5);
    assert_eq!(rec.report.foreign_samples, [4, 5, 6, 7, 8]);
    assert_eq!(rec.vdev, Some(0xb));
}

#[test]
fn a_flood_of_valid_events_is_capped_on_the_timeline_with_exact_counts() {
    use balloon_sim::import::MAX_EVENTS;
    let n = MAX_EVENTS + 1000;
    let mut im = Importer::default();
    let mut buf = String::new();
    for i in 0..n {
        buf.push_str(&format!(
            "virtio_balloon_set_config actual: {} oldactual: 0\n",
            i % 7
        ));
        if buf.len() > 60_000 {
            im.push_trace_bytes(buf.as_bytes());
            buf.clear();
        }
    }
    im.push_trace_bytes(buf.as_bytes());
    let rec = im.finish().unwrap();
    assert_eq!(rec.events.len(), MAX_EVENTS);
    assert_eq!(rec.report.events_dropped, 1000);
    assert_eq!(rec.actual_sequence.len(), MAX_EVENTS);
    assert_eq!(rec.summary().actual_pages, Some(((n - 1) % 7) as u32));
}
