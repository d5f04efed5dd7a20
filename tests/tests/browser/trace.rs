//! The trace page (`?trace`) in headless Chromium: the shipped QEMU recording (`.log.gz`, which
//! the page decompresses) opened through the file inputs, the balloon following the recorded `actual`, the simulator's run of the same
//! commands beside it, a bad paste reported by line, and a 47 MB log opened with progress.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::support::{Page, test_id};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/balloon-sim/tests/data/qemu-trace"
);

/// Writes `bytes` under the screenshot folder; returns the absolute path.
fn file(name: &str, bytes: &[u8]) -> String {
    let dir = e2e::screenshot_dir().join("trace");
    std::fs::create_dir_all(&dir).expect("trace folder");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing the file");
    std::fs::canonicalize(&path)
        .expect("absolute path")
        .display()
        .to_string()
}

/// The shipped trace as it is, gzip-compressed: the page decompresses it.
fn shipped_trace_gz() -> String {
    let gz = std::fs::read(format!("{DATA}/trace-64M.log.gz")).expect("the shipped trace");
    file("trace-64M.log.gz", &gz)
}

async fn open_trace_page(page: &Page) {
    page.click("open-trace").await;
    page.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&test_id("trace-page")))
        .await
        .expect("the trace page mounted");
}

async fn choose(page: &Page, input: &str, path: &str) {
    page.client
        .find(Locator::Css(&test_id(input)))
        .await
        .unwrap_or_else(|e| panic!("no {input}: {e}"))
        .send_keys(path)
        .await
        .expect("choosing the file");
}

/// Waits until `id` is on the page (the trace is read asynchronously).
async fn wait_for(page: &Page, id: &str, secs: u64) {
    page.client
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(&test_id(id)))
        .await
        .unwrap_or_else(|e| panic!("{id} never appeared: {e}"));
    page.next_paint().await;
}

async fn outline_height(page: &Page) -> f64 {
    let (_, _, _, h) = page
        .client
        .find(Locator::Css(&test_id("trace-balloon-outline")))
        .await
        .expect("the outline")
        .rectangle()
        .await
        .expect("its box");
    h
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_shipped_recording_opens_and_the_balloon_follows_actual() {
    let page = Page::open("").await;
    open_trace_page(&page).await;
    let qmp = std::fs::read(format!("{DATA}/qmp-64M.jsonl")).expect("the shipped transcript");
    choose(&page, "qmp-file", &file("qmp-64M.jsonl", &qmp)).await;
    choose(&page, "trace-file", &shipped_trace_gz()).await;
    wait_for(&page, "trace-summary", 60).await;

    // At the end (the cursor starts there): README step 5, a 1000-page target reached.
    assert_eq!(page.number("trace-num-pages").await, 1000);
    assert_eq!(page.number("trace-actual").await, 1000);
    let small = outline_height(&page).await;
    // 8.0 s into the trace the 64 MiB inflate (16,384 pages) was done and the deflate not
    // yet asked for (its set_config lines read from the raw text in tests/import_compare.rs).
    page.set_value("trace-cursor", "8000000000").await;
    assert_eq!(page.number("trace-num-pages").await, 16_384);
    assert_eq!(page.number("trace-actual").await, 16_384);
    let big = outline_height(&page).await;
    assert!(
        big > small,
        "the outline did not grow with actual: {small} -> {big}"
    );
    // 68 inflate messages: 64 of 256 PFNs for 64 MiB and 4 for 1000 pages.
    let ivq = page.text("rate-ivq").await;
    assert!(ivq.starts_with("ivq 68") || ivq.contains("68"), "{ivq}");
    let events = page.text("trace-events").await;
    // Each event names the QEMU function that traced it and its line in the file.
    assert!(
        events.contains("virtio_queue_notify") && events.contains("line "),
        "{events}"
    );
    page.full_page_screenshot(1440, "trace.png").await;

    page.click("simulate").await;
    wait_for(&page, "run-compare", 30).await;
    let counts = page.text("compare-counts").await;
    assert!(counts.contains("ivq 68 68"), "{counts}");
    assert!(counts.contains("dvq 64 64"), "{counts}");
    let lines = page
        .js(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(
                "[data-testid=run-compare] [data-testid^=actual-line-]"
            )],
        )
        .await;
    assert_eq!(lines.as_u64(), Some(2), "both runs' actual lines are drawn");
    page.js(
        "document.querySelector(arguments[0]).scrollIntoView();",
        vec![json!(test_id("run-compare"))],
    )
    .await;
    page.full_page_screenshot(1440, "trace-compare.png").await;
    page.full_page_screenshot(390, "trace-390.png").await;
    let found = crate::axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the trace page:\n{}",
        found.join("\n")
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn a_bad_paste_is_reported_by_line_and_a_47_mb_log_opens_with_progress() {
    let page = Page::open("").await;
    open_trace_page(&page).await;
    page.js(
        "document.querySelector('details.paste').open = true;",
        vec![],
    )
    .await;
    page.set_value("trace-paste", "hello\nworld\n").await;
    page.click("trace-paste-open").await;
    wait_for(&page, "trace-error", 10).await;
    let err = page.text("trace-error").await;
    assert!(err.contains("line 1") && err.contains("line 2"), "{err}");

    // Two cycles of a 512 MiB inflate and back: ~536,000 lines, ~48 MB.
    let mut log = String::with_capacity(48 << 20);
    let mut t_us: u64 = 1_795_998_885_000_000;
    let mut line = |body: &str| {
        t_us += 3;
        log.push_str(&format!(
            "26039@{}.{:06}:{body}\n",
            t_us / 1_000_000,
            t_us % 1_000_000
        ));
    };
    for (n, vq) in [(0, "0x5a0"), (1, "0x5b0")].repeat(2) {
        let target = if n == 0 {
            "0x20000000 num_pages: 131072"
        } else {
            "0x40000000 num_pages: 0"
        };
        line(&format!(
            "virtio_balloon_to_target balloon target: {target}"
        ));
        for m in 0..512u64 {
            line(&format!("virtio_queue_notify vdev 0x500 n {n} vq {vq}"));
            line(&format!(
                "virtqueue_pop vq {vq} elem 0x700 in_num 0 out_num 1"
            ));
            for p in 0..256u64 {
                let gpa = (0x10000 + m * 256 + p) << 12;
                line(&format!(
                    "virtio_balloon_handle_output section name: pc.ram gpa: {gpa:#x}"
                ));
            }
            let done = (m + 1) * 256;
            let (a, old) = if n == 0 {
                (done, done - 256)
            } else {
                (131_072 - done, 131_328 - done)
            };
            line(&format!(
                "virtio_balloon_set_config actual: {a} oldactual: {old}"
            ));
        }
    }
    assert!(log.len() > 40 << 20, "{}", log.len());
    let path = file("large.log", log.as_bytes());
    let t0 = Instant::now();
    choose(&page, "trace-file", &path).await;
    // Progress is painted while it reads: the page is not frozen.
    let mut seen_progress = 0;
    loop {
        let state = page
            .js(
                "const p = document.querySelector('[data-testid=trace-loading] progress');\
                 const s = document.querySelector('[data-testid=trace-summary]');\
                 return [p ? Number(p.value) : null, !!s];",
                vec![],
            )
            .await;
        if state[1].as_bool() == Some(true) {
            break;
        }
        if state[0].as_f64().is_some_and(|v| v > 0.0) {
            seen_progress += 1;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "the log did not open"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "a {} MB log opened in {:?}; progress seen {seen_progress} times",
        log.len() >> 20,
        t0.elapsed()
    );
    assert!(seen_progress >= 2, "progress was not painted while reading");
    assert_eq!(page.number("trace-actual").await, 0);
    let ivq = page.text("rate-ivq").await;
    assert!(ivq.contains("1024"), "{ivq}");
    page.assert_no_console_errors().await;
    page.close().await;
}
