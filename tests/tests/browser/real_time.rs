//! Real-time play: virtual time runs at a fraction of the wall clock, so a 0.71 s inflate
//! played at 1/10 is half-way after about 3.5 s, and every time on the page is virtual time.

use std::time::{Duration, Instant};

use crate::support::Page;

/// Lets the page run for `ms` (its timers; the test's runtime has no clock of its own).
async fn wait_in_page(page: &Page, ms: u64) {
    page.client
        .execute_async(
            "const done = arguments[arguments.length - 1]; setTimeout(() => done(null), arguments[0]);",
            vec![serde_json::json!(ms)],
        )
        .await
        .expect("waiting in the page");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn play_at_a_tenth_of_real_time_shows_the_inflate_under_way() {
    let page = Page::open("").await;
    let ram_pages = page.ram_pages().await;
    let half_mib = (ram_pages * 4096 / 2) >> 20;
    page.set_value("target-input", &half_mib.to_string()).await;
    page.click("apply-target").await;
    page.set_value("pace", "0.1").await;
    page.click("play").await;
    // Until a few hundred messages are in: the balloon grows while virtual time runs slowly.
    let started = Instant::now();
    loop {
        wait_in_page(&page, 250).await;
        let actual = page.number("actual-pages").await;
        if actual >= ram_pages / 5 {
            assert!(actual < ram_pages / 2, "finished too soon: {actual}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the balloon did not grow: {actual}"
        );
    }
    // At 1/10 of real time, 0.71 s of inflate takes about 7 s: still under way after 1.5 s.
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    page.click("play").await;
    let speed = page.text("speed-value").await;
    assert!(speed.starts_with("virtual t = 0."), "{speed}");
    let explanation = page.text("explanation").await;
    assert!(explanation.contains(" at t = 0."), "{explanation}");
    page.full_page_screenshot(1440, "playground-real-time.png")
        .await;
    page.assert_no_console_errors().await;
    page.close().await;
}
