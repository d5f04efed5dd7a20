//! Share links: the address bar always reopens the frame shown; a broken link says so and
//! shows the default scene.

use crate::support::Page;

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn a_shared_url_lands_on_the_same_step() {
    let page = Page::open("").await;
    page.set_value("target-input", "300").await;
    page.click("apply-target").await;
    for _ in 0..3 {
        page.click("step-message").await;
    }
    page.click("step").await;
    page.click("step").await;
    page.click("step-back").await;
    let frame = (
        page.timeline().await.0,
        page.number("num-pages").await,
        page.number("actual-pages").await,
        page.text("explanation").await,
    );
    let hash = page.js("return location.hash;", vec![]).await;
    let hash = hash.as_str().unwrap_or_default().to_owned();
    assert!(hash.starts_with("#v=1&"), "{hash}");

    page.goto(&hash).await;
    let reopened = (
        page.timeline().await.0,
        page.number("num-pages").await,
        page.number("actual-pages").await,
        page.text("explanation").await,
    );
    assert_eq!(reopened, frame);
    let notice = page
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=\"notice\"]"))
        .await
        .expect("query");
    assert!(notice.is_empty(), "a good link showed a notice");

    page.goto("v=1&step=4&script=not*base64").await;
    assert!(
        page.text("notice").await.contains("does not open"),
        "no message for a broken link"
    );
    assert_eq!(page.number("num-pages").await, 0);
    page.assert_no_console_errors().await;
    page.close().await;
}
