//! index.html's static first paint: what the page is and that it is loading, shown before the
//! wasm has arrived; gone, without a layout shift, once the app has mounted; and, when the wasm
//! cannot be loaded, a sentence that says so instead of a page that loads forever.

use std::time::Duration;

use e2e::browser::ChromeDriver;
use e2e::server::StaticServer;
use fantoccini::Locator;
use serde_json::json;

use crate::support::{Page, test_id};

/// The layout shifts of the whole load (buffered entries, so from the first byte), summed as
/// the cumulative layout shift score counts them (no input preceded them).
const LAYOUT_SHIFTS: &str = "const done = arguments[arguments.length - 1];\
    const shifts = [];\
    new PerformanceObserver((list) => shifts.push(...list.getEntries()))\
        .observe({ type: 'layout-shift', buffered: true });\
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done(\
        shifts.map((s) => s.value)), 0)));";

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_first_paint_gives_way_to_the_app_without_a_layout_shift() {
    let index = std::fs::read_to_string(e2e::dist_dir().join("index.html")).expect("dist/");
    assert!(
        index.contains("data-testid=\"first-paint\"") && index.contains("Loading the simulator"),
        "dist/index.html has no static first paint"
    );

    let page = Page::open("").await;
    let shifts = page
        .client
        .execute_async(LAYOUT_SHIFTS, vec![])
        .await
        .expect("reading the layout shifts");
    assert_eq!(shifts, json!([]), "the load shifted the layout");
    let left = page
        .js(
            "return [document.querySelectorAll('[data-testid=\"first-paint\"]').length,\
                     document.querySelectorAll('h1').length];",
            vec![],
        )
        .await;
    assert_eq!(
        left,
        json!([0, 1]),
        "[first paints, h1s] once the app has mounted"
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn without_its_wasm_the_page_says_the_simulator_could_not_start() {
    // dist/ without the .wasm, as a host that lost the file (or a proxy that refused it) serves.
    let dist = e2e::dist_dir();
    let copy = std::env::temp_dir().join(format!("e2e-no-wasm-{}", std::process::id()));
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&dist).expect("dist/").flatten() {
        let path = entry.path();
        if path.is_file() && path.extension().is_none_or(|e| e != "wasm") {
            std::fs::copy(&path, copy.join(entry.file_name())).unwrap();
        }
    }
    let server = StaticServer::start(&copy).expect("serving the copy");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");
    client.goto(&server.url()).await.expect("loading the page");
    let status = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//*[@id='first-paint-status' and starts-with(., 'The simulator could not start')]",
        ))
        .await
        .expect("the first paint says the app could not start");
    assert_eq!(
        status.attr("role").await.unwrap().as_deref(),
        Some("status"),
        "the sentence is announced"
    );
    // The rest of the first paint stays: the page still says what it is.
    let intro = client
        .find(Locator::Css(&test_id("first-paint")))
        .await
        .expect("the first paint stays")
        .text()
        .await
        .unwrap();
    assert!(intro.contains("virtio memory balloon"), "{intro}");
    client.close().await.unwrap();
    std::fs::remove_dir_all(&copy).unwrap();
}
