//! The release build in headless Chromium: a target of half the RAM is reached, one inflate
//! message moves ivq's indices, and the page is photographed at desktop and phone widths and in
//! dark mode.

use crate::support::Page;

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn half_the_ram_as_target_is_reached_and_the_outline_grows() {
    let page = Page::open("").await;
    let ram_pages = page.ram_pages().await;
    assert_eq!(page.number("actual-pages").await, 0);
    let (w0, h0) = page.outline_size().await;

    let half_mib = (ram_pages * 4096 / 2) >> 20;
    page.set_value("target-input", &half_mib.to_string()).await;
    page.click("apply-target").await;
    assert_eq!(page.number("num-pages").await, ram_pages / 2);
    page.click("run-to-quiet").await;
    assert_eq!(page.number("actual-pages").await, ram_pages / 2);

    let (w1, h1) = page.outline_size().await;
    assert!(
        w1 > w0 && h1 > h0,
        "outline did not grow: {w0}x{h0} -> {w1}x{h1}"
    );
    page.assert_no_console_errors().await;

    // The frame the README shows: half inflated, stepped back a little so the rings are busy.
    page.click("step-back-message").await;
    page.full_page_screenshot(1440, "playground.png").await;
    page.full_page_screenshot(390, "playground-390.png").await;
    crate::newcomer::dark(&page.client, true).await;
    page.full_page_screenshot(1440, "playground-dark.png").await;
    crate::newcomer::dark(&page.client, false).await;
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn one_inflate_message_moves_avail_idx_and_used_idx_of_ivq() {
    let page = Page::open("").await;
    page.click("apply-target").await;
    let mut moved = false;
    for _ in 0..20 {
        let avail = page.number("ivq-avail-idx").await;
        let used = page.number("ivq-used-idx").await;
        page.click("step-message").await;
        let avail_after = page.number("ivq-avail-idx").await;
        if avail_after != avail {
            // One message: the driver made one buffer available, the device used it.
            assert_eq!(avail_after, avail + 1, "avail.idx");
            assert_eq!(page.number("ivq-used-idx").await, used + 1, "used.idx");
            moved = true;
            break;
        }
    }
    assert!(moved, "no inflate message in 20 message steps");
    let ivq = page.text("queue-ivq").await;
    assert!(
        ivq.contains("avail.idx") && ivq.contains("used.idx"),
        "{ivq}"
    );
    page.assert_no_console_errors().await;
    page.close().await;
}
