//! The release build in headless Chromium: it loads cleanly, the button grows the balloon.

use std::time::Duration;

use e2e::browser::{ChromeDriver, console};
use e2e::server::StaticServer;
use fantoccini::{Client, Locator};

const OUTLINE: Locator<'static> = Locator::Css("[data-testid=\"balloon-outline\"]");
const APPLY: Locator<'static> = Locator::Css("[data-testid=\"apply-target\"]");

/// Waits until the browser has painted what the last input caused (two animation frames).
async fn next_paint(client: &Client) {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            vec![],
        )
        .await
        .expect("waiting for a paint");
}

/// Resizes the window to the page's full height so one screenshot holds the whole page.
async fn full_page_screenshot(client: &Client) -> Vec<u8> {
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .expect("page height")
        .as_f64()
        .unwrap_or(900.0);
    let height = (height.ceil() as u32).clamp(600, 4000);
    client
        .set_window_size(1280, height)
        .await
        .expect("resize for the screenshot");
    next_paint(client).await;
    client.screenshot().await.expect("screenshot")
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn apply_target_grows_the_balloon_outline() {
    let dist = e2e::dist_dir();
    assert!(
        dist.join("index.html").is_file(),
        "no trunk build in {}",
        dist.display()
    );
    let server = StaticServer::start(&dist).expect("serving dist/");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");

    client.goto(&server.url()).await.expect("loading the page");
    // The wasm app mounts asynchronously; WebDriver's wait polls the DOM until it is there.
    let apply = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(APPLY)
        .await
        .expect("the app mounted its apply-target button");
    let outline = client.find(OUTLINE).await.expect("the balloon outline");
    let (_, _, w0, h0) = outline.rectangle().await.expect("outline bounding box");

    apply.click().await.expect("clicking apply-target");
    next_paint(&client).await;
    let (_, _, w1, h1) = outline
        .rectangle()
        .await
        .expect("outline bounding box after click");
    assert!(
        w1 > w0 && h1 > h0,
        "outline did not grow: {w0}x{h0} -> {w1}x{h1}"
    );

    let errors: Vec<_> = console(&client)
        .await
        .expect("browser console")
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    let png = full_page_screenshot(&client).await;
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let dir = e2e::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join("playground.png"), png).expect("writing the screenshot");

    client.close().await.expect("closing the session");
}
