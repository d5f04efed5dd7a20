//! What a visitor waits for: time to the first rendered frame (the median of a few loads, each
//! in a fresh browser), and the time of each animation frame while playing the 64 GiB preset at
//! full speed, from its callback to the rendered page (read from the globals the app exposes for
//! this: `__balloonFirstRenderMs`, `__balloonFrameMs`). Wall-clock budgets are the
//! benchmark's to enforce, not a test's (a shared machine's load would decide whether a change
//! lands): under `cargo xtask test` this checks that play runs and logs no error, and prints the
//! figures; `cargo xtask bench` sets `E2E_BENCH_OUT`, gets the figures and fails over budget.

use std::time::Duration;

use serde_json::json;

use crate::support::{Page, test_id};

/// The frame budget for p95 script time while playing: a run under it ends the measuring
/// early (`cargo xtask bench` enforces the budget on the best run).
const P95_LIMIT_MS: f64 = 8.0;

/// Measurement runs at most (stopping at the first under the limit).
const RUNS: usize = 3;
/// Page loads, each in a fresh browser, whose median is the first-render figure: one load on a
/// shared machine read anywhere from 300 to 600 ms.
const LOADS: usize = 5;
/// Seconds of play per run.
const PLAY_SECS: u64 = 5;

/// One run of play from event 0.
struct Run {
    events: u64,
    frames: usize,
    median: f64,
    p95: f64,
    max: f64,
}

/// Plays from event 0 for `PLAY_SECS` and reads the frame times the app recorded.
async fn play_and_measure(page: &Page) -> Run {
    page.set_value("timeline", "0").await;
    assert_eq!(page.timeline().await.0, 0, "seek to the start");
    page.js(
        "if (window.__balloonFrameMs) window.__balloonFrameMs.length = 0;",
        vec![],
    )
    .await;
    page.click("play").await;
    tokio::time::sleep(Duration::from_secs(PLAY_SECS)).await;
    page.click("play").await;
    let (events, _) = page.timeline().await;
    let frames = page
        .js("return window.__balloonFrameMs || [];", vec![])
        .await;
    let mut frames: Vec<f64> = frames
        .as_array()
        .unwrap_or_else(|| panic!("window.__balloonFrameMs is not an array: {frames}"))
        .iter()
        .map(|v| {
            v.as_f64()
                .unwrap_or_else(|| panic!("a frame time is not a number: {v}"))
        })
        .collect();
    Run {
        events,
        frames: frames.len(),
        median: quantile(&mut frames, 0.5),
        p95: quantile(&mut frames, 0.95),
        max: quantile(&mut frames, 1.0),
    }
}

/// `window.__balloonFirstRenderMs` of the page just opened.
async fn first_render_ms(page: &Page) -> f64 {
    page.js("return window.__balloonFirstRenderMs;", vec![])
        .await
        .as_f64()
        .expect("window.__balloonFirstRenderMs is set at the first render")
}

/// The `q` quantile (nearest rank) of `samples`.
fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn first_render_and_frame_time_while_playing_bulk_64g() {
    let mut firsts = Vec::new();
    for _ in 1..LOADS {
        let page = Page::open("").await;
        firsts.push(first_render_ms(&page).await);
        page.close().await;
    }
    let page = Page::open("").await;
    firsts.push(first_render_ms(&page).await);
    println!("time to first render, {LOADS} loads: {firsts:.0?} ms");
    let first = quantile(&mut firsts, 0.5);

    let started = std::time::Instant::now();
    page.set_value("presets", "bulk-64g").await;
    let (index, count) = loop {
        let (index, count) = page.timeline().await;
        if count > 500_000 {
            break (index, count);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "bulk-64g did not load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let load = started.elapsed().as_secs_f64();
    assert_eq!(index, 0, "a preset loads at event 0");
    assert!(count > 500_000, "bulk-64g has {count} events");
    // Full speed: the slider's last position.
    let max = page
        .js(
            "return document.querySelector(arguments[0]).max;",
            vec![json!(test_id("speed"))],
        )
        .await;
    page.set_value("speed", max.as_str().unwrap_or("500")).await;
    // Wall-clock frame times include whatever else the machine runs: the best of a few runs
    // is the figure of the code itself (each run is printed).
    let mut runs = Vec::new();
    for run in 1..=RUNS {
        let r = play_and_measure(&page).await;
        println!(
            "bulk-64g at full speed, run {run}: {} events in {PLAY_SECS} s over {} frames; \
             frame script time median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            r.events, r.frames, r.median, r.p95, r.max
        );
        assert!(r.frames >= 30, "only {} frames recorded", r.frames);
        assert!(r.events > 10_000, "play ran only {} events", r.events);
        let done = r.p95 < P95_LIMIT_MS;
        runs.push(r);
        if done {
            break;
        }
    }
    let best = runs
        .iter()
        .min_by(|a, b| a.p95.total_cmp(&b.p95))
        .expect("at least one run");
    let report = format!(
        "time to first render (median of {LOADS} loads): {first:.0} ms\n\
         bulk-64g preset load ({count} events): {load:.1} s\n\
         bulk-64g at full speed (best of {} runs): {} events in {PLAY_SECS} s over {} frames; \
         frame script time median {:.2} ms, p95 {:.2} ms, max {:.2} ms\n",
        runs.len(),
        best.events,
        best.frames,
        best.median,
        best.p95,
        best.max
    );
    println!("{report}");
    let dir = e2e::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("output folder");
    std::fs::write(dir.join("perf.txt"), &report).expect("writing perf.txt");
    // A page that logged errors measured nothing worth keeping, benchmark or not.
    page.assert_no_console_errors().await;
    // `cargo xtask bench` reads the figures from this file and enforces the budgets itself
    // (first render, p95), so a slow machine fails the benchmark rather than a test.
    if let Some(out) = std::env::var_os("E2E_BENCH_OUT") {
        let lines = format!(
            "bench: first_render_ms={first:.1}\nbench: frames_sampled={}\nbench: frame_p95_ms={:.2}\n\
             bench: frame_max_ms={:.2}\n",
            best.frames, best.p95, best.max
        );
        std::fs::write(out, lines).expect("writing the bench figures");
    } else if best.p95 >= P95_LIMIT_MS {
        println!(
            "perf: frame script time p95 {:.2} ms is over the {P95_LIMIT_MS} ms budget \
             (`cargo xtask bench` fails on it; a test does not judge wall-clock time)",
            best.p95
        );
    }
    page.close().await;
}
