//! The page benchmark: first render after load, and script time per animation frame while
//! playing a 64 GiB guest, read from the globals the app keeps for this
//! (`window.__balloonFirstRenderMs`, `window.__balloonFrameMs`). `cargo xtask bench` sets
//! `E2E_BENCH_OUT` and reads the `bench:` lines written there; under `cargo xtask test` the
//! same test is a smoke run. A figure the page does not provide is written as `null` with
//! the reason, not failed: the globals belong to the UI, which may not have them yet.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use e2e::browser::ChromeDriver;
use e2e::server::StaticServer;
use fantoccini::{Client, Locator};
use serde_json::Value;

const PLAYGROUND: Locator<'static> = Locator::Css("[data-testid=\"playground\"]");
const PLAY: Locator<'static> = Locator::Css("[data-testid=\"play\"]");

/// A 64 GiB guest booted, with a 60 GiB balloon asked for: playing it is the bulk inflate.
const SCRIPT: &str = "-m 64G -device virtio-balloon -seed 10
run
{\"execute\": \"balloon\", \"arguments\": {\"value\": 4294967296}}
";

/// How long the page plays.
const PLAY_MS: u32 = 5_000;

async fn global(client: &Client, name: &str) -> Value {
    client
        .execute(&format!("return window.{name} ?? null;"), vec![])
        .await
        .expect("reading a window global")
}

/// Nearest-rank 95th percentile.
fn p95(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let rank = (xs.len() as f64 * 0.95).ceil() as usize;
    Some(xs[rank.clamp(1, xs.len()) - 1])
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask bench`"]
async fn first_render_and_frame_times() {
    let dist = e2e::dist_dir();
    assert!(
        dist.join("index.html").is_file(),
        "no trunk build in {}",
        dist.display()
    );
    let server = StaticServer::start(&dist).expect("serving dist/");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");
    let fragment = format!("v=1&step=0&script={}", URL_SAFE_NO_PAD.encode(SCRIPT));
    client
        .goto(&format!("{}#{fragment}", server.url()))
        .await
        .expect("loading the page");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(PLAYGROUND)
        .await
        .expect("the app mounted");

    let mut lines = Vec::new();
    // The app sets the first-render mark from its first frame: give it a moment after mount.
    let mut first_render = Value::Null;
    for _ in 0..50 {
        first_render = global(&client, "__balloonFirstRenderMs").await;
        if !first_render.is_null() {
            break;
        }
        wait_in_page(&client, 100).await;
    }
    match first_render.as_f64() {
        Some(ms) => {
            assert!(
                ms.is_finite() && ms > 0.0 && ms < 120_000.0,
                "first render at {ms} ms"
            );
            lines.push(format!("bench: first_render_ms={ms:.1}"));
        }
        None => lines.push(
            "bench: first_render_ms=null: the page sets no window.__balloonFirstRenderMs".into(),
        ),
    }

    match client.find(PLAY).await {
        Ok(play) => {
            client
                .execute(
                    "if (Array.isArray(window.__balloonFrameMs)) window.__balloonFrameMs.length = 0;",
                    vec![],
                )
                .await
                .expect("clearing the frame times");
            play.click().await.expect("pressing play");
            wait_in_page(&client, PLAY_MS).await;
            let frames: Vec<f64> = match global(&client, "__balloonFrameMs").await {
                Value::Array(xs) => xs.iter().filter_map(Value::as_f64).collect(),
                _ => Vec::new(),
            };
            if let Ok(play) = client.find(PLAY).await {
                let _ = play.click().await;
            }
            lines.push(format!("bench: frames_sampled={}", frames.len()));
            match p95(frames) {
                Some(ms) => lines.push(format!("bench: frame_p95_ms={ms:.2}")),
                None => lines.push(format!(
                    "bench: frame_p95_ms=null: no window.__balloonFrameMs samples after {PLAY_MS} ms of play"
                )),
            }
        }
        Err(_) => lines.push(
            "bench: frame_p95_ms=null: the page has no play button (data-testid=play)".into(),
        ),
    }

    for line in &lines {
        println!("{line}");
    }
    if let Some(out) = std::env::var_os("E2E_BENCH_OUT") {
        std::fs::write(&out, lines.join("\n") + "\n").expect("writing the page figures");
    }
    client.close().await.expect("closing the session");
}

/// Waits `ms` in the page (setTimeout), leaving the runtime free.
async fn wait_in_page(client: &Client, ms: u32) {
    client
        .execute_async(
            &format!(
                "const done = arguments[arguments.length - 1]; setTimeout(() => done(null), {ms});"
            ),
            vec![],
        )
        .await
        .expect("waiting in the page");
}

#[test]
fn p95_is_nearest_rank() {
    assert_eq!(p95(vec![]), None);
    assert_eq!(p95(vec![3.0]), Some(3.0));
    let xs: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(p95(xs), Some(95.0));
    assert_eq!(p95(vec![9.0, 1.0, 2.0]), Some(9.0));
}
