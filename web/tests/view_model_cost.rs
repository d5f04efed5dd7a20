//! The view model's cost does not follow the guest's size or the run's length: the panels of a
//! 64 GiB guest after 61,440 inflate messages are computed from a fixed number of cells, ring
//! entries and events.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use balloon_sim::Session;
use balloon_sim::command::QueueName;
use balloon_web::view_model as vm;

/// Every prop the page computes for one render.
fn render_props(s: &Session) -> usize {
    let bytes = s.byte_view(s.current_index().saturating_sub(1));
    let queues = vm::queue_models(s);
    let cells = vm::memory_map(s);
    let lines = vm::transcript(s, vm::TRANSCRIPT_LEN);
    let chart = vm::stats_chart(s.stats_series(), vm::CHART_POINTS);
    let _ = (
        vm::BalloonModel::from_session(s),
        vm::config_model(s),
        vm::init_flow(s),
        vm::explanation(s),
    );
    assert_eq!(cells.len(), vm::MEMORY_CELLS);
    assert!(lines.len() <= vm::TRANSCRIPT_LEN);
    assert!(
        chart
            .series
            .iter()
            .all(|l| l.points.len() <= vm::CHART_POINTS + 1)
    );
    let shown: usize = bytes.regions.iter().map(|r| r.bytes.len()).sum();
    queues.iter().map(|q| q.payloads.len()).sum::<usize>() + cells.len() + lines.len() + shown
}

#[test]
fn sizes_are_bounded_for_small_and_large_guests() {
    let size = |machine: &str| {
        let (s, _) =
            Session::from_script(&format!("{machine} -device virtio-balloon -seed 1\nrun\n"))
                .unwrap();
        assert_eq!(s.balloon().ram_size, parse_gib(machine) << 30);
        render_props(&s)
    };
    let small = size("-m 1G");
    let large = size("-m 64G");
    // 64 times the guest, not one prop more: the cells, ring entries and transcript lines
    // are fixed in number whatever the size.
    assert!(small > 0);
    assert!(
        large <= small,
        "64 GiB guest: {large} props, 1 GiB guest: {small}"
    );
}

fn parse_gib(machine: &str) -> u64 {
    machine
        .trim_start_matches("-m ")
        .trim_end_matches('G')
        .parse()
        .unwrap()
}

/// `cargo test --release -p balloon-web --test view_model_cost -- --ignored --nocapture`
/// prints how long one render's props take after the bulk-64g preset.
#[test]
#[ignore = "a measurement: runs the whole bulk-64g preset (about a million events)"]
fn bulk_64g_render_props_cost() {
    let text = balloon_sim::presets::get("bulk-64g").unwrap().text;
    let t = Instant::now();
    let (s, _) = Session::from_script(text).unwrap();
    let run = t.elapsed();
    let rounds = 20;
    let t = Instant::now();
    for _ in 0..rounds {
        render_props(&s);
    }
    let per = t.elapsed() / rounds;
    let time = |name: &str, f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..rounds {
            f();
        }
        println!("  {name}: {:?}", t.elapsed() / rounds);
    };
    time("queue_models", &|| {
        std::hint::black_box(vm::queue_models(&s));
    });
    time("memory_map", &|| {
        std::hint::black_box(vm::memory_map(&s));
    });
    time("transcript", &|| {
        std::hint::black_box(vm::transcript(&s, vm::TRANSCRIPT_LEN));
    });
    time("balloon", &|| {
        std::hint::black_box(vm::BalloonModel::from_session(&s));
    });
    time("config", &|| {
        std::hint::black_box(vm::config_model(&s));
    });
    time("init_flow", &|| {
        std::hint::black_box(vm::init_flow(&s));
    });
    time("byte_view + ivq hex dump", &|| {
        let v = s.byte_view(s.current_index().saturating_sub(12));
        std::hint::black_box(vm::hex_blocks(&v, vm::ByteSource::Queue(QueueName::Ivq)));
    });
    let (small, _) = Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
    let t = Instant::now();
    for _ in 0..rounds {
        render_props(&small);
    }
    let per_small = t.elapsed() / rounds;
    println!(
        "bulk-64g: {} events in {run:?}; render props {per:?} (fresh 1 GiB guest: {per_small:?})",
        s.event_count()
    );
    assert!(s.balloon().actual > 15_000_000);
}
