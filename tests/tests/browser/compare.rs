//! The compare view (`?compare=A,B&preset=NAME`) in headless Chromium: QEMU's 16-byte config
//! beside Firecracker's 12 (counted from the DOM), the bytes only QEMU has marked, the
//! differences list with its first divergence and a button that shows both sides there, a
//! broken link that still opens and says why, the embed, axe light and dark, screenshots at
//! 1440 and 390 px.
//!
//! The sizes come from the VMMs' sources, not from a run: QEMU `virtio_balloon_config_size`
//! is 16 with page-poison (on by default since QEMU 5.1), Firecracker's `ConfigSpace` is
//! num_pages, actual and free_page_hint_cmd_id (12 bytes).

use serde_json::json;

use crate::axe;
use crate::newcomer::dark;
use crate::support::{Page, test_id};

/// The number of config bytes side `side` (`a` or `b`) shows, and how many are marked as
/// bytes the other side does not have.
async fn config_bytes(page: &Page, side: &str) -> (u64, u64) {
    let v = page
        .js(
            "const s = document.querySelector(arguments[0]);\
             return [s.querySelectorAll('[data-testid=\"config-bytes\"] li').length,\
                     s.querySelectorAll('[data-testid=\"config-bytes\"] li.only-here').length];",
            vec![json!(test_id(&format!("compare-side-{side}")))],
        )
        .await;
    (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
}

/// `expr` (over `e`) of the element with test id `id` inside side `side`.
async fn on_side(page: &Page, side: &str, id: &str, expr: &str) -> serde_json::Value {
    page.js(
        &format!(
            "const e = document.querySelector(arguments[0] + ' ' + arguments[1]); return {expr};"
        ),
        vec![
            json!(test_id(&format!("compare-side-{side}"))),
            json!(test_id(id)),
        ],
    )
    .await
}

async fn side_text(page: &Page, side: &str, id: &str) -> String {
    on_side(page, side, id, "e.textContent")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn side_differs(page: &Page, side: &str, id: &str) -> bool {
    on_side(page, side, id, "e.classList.contains('differs')")
        .await
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn qemu_and_firecracker_side_by_side_show_their_config_sizes_and_first_divergence() {
    let page = Page::open("").await;
    page.goto_embed(
        "compare=qemu,firecracker&preset=inflate-half",
        "compare-page",
    )
    .await;
    page.next_paint().await;
    page.assert_no_console_errors().await;

    // At the end of the run both devices are realized: 16 bytes beside 12.
    let end = page
        .js(
            "return document.querySelector(arguments[0]).max;",
            vec![json!(test_id("compare-timeline"))],
        )
        .await;
    let end = end.as_str().unwrap_or("0").to_owned();
    page.set_value("compare-timeline", &end).await;
    assert_eq!(
        config_bytes(&page, "a").await,
        (16, 4),
        "QEMU: 16, 4 only it has"
    );
    assert_eq!(config_bytes(&page, "b").await, (12, 0), "Firecracker: 12");
    assert_eq!(side_text(&page, "a", "config-size").await, "16 bytes");
    assert_eq!(side_text(&page, "b", "config-size").await, "12 bytes");

    // The differences list names the first divergence, one sentence per side.
    let first = page.text("first-divergence").await;
    assert!(first.contains("First divergence: script line"), "{first}");
    assert!(
        first.contains("A (qemu)") && first.contains("B (firecracker)"),
        "{first}"
    );
    let rows = page
        .js(
            "return document.querySelectorAll('[data-testid=\"event-counts\"] tbody tr').length;",
            vec![],
        )
        .await;
    assert!(rows.as_u64().unwrap_or(0) > 10, "the counts table: {rows}");

    // "Show both there" puts both sides on the differing event, marked.
    page.click("go-divergence").await;
    let pos = page.text("compare-position").await;
    assert!(!pos.starts_with(&format!("Event {end} ")), "{pos}");
    assert!(side_differs(&page, "a", "side-event").await);
    assert!(side_differs(&page, "b", "side-event").await);
    let (a, b) = (
        side_text(&page, "a", "side-event").await,
        side_text(&page, "b", "side-event").await,
    );
    assert_ne!(a, b);
    page.click("compare-step").await;
    let next = page.text("compare-position").await;
    assert_ne!(pos, next, "Step moves both sides");

    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the compare view:\n{}",
        found.join("\n")
    );
    page.full_page_screenshot(1440, "compare-1440.png").await;
    page.full_page_screenshot(390, "compare-390.png").await;
    dark(&page.client, true).await;
    page.next_paint().await;
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the compare view, dark:\n{}",
        found.join("\n")
    );
    page.full_page_screenshot(1440, "compare-1440-dark.png")
        .await;
    dark(&page.client, false).await;
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn a_broken_link_opens_what_it_can_and_the_embed_is_compact() {
    let page = Page::open("").await;
    page.goto_embed("compare=crosvm,vmware&preset=deflate", "compare-page")
        .await;
    let notice = page.text("notice").await;
    assert!(notice.contains("vmware"), "{notice}");
    assert!(
        side_text(&page, "a", "side-position")
            .await
            .contains("event")
    );
    let heading = page
        .js(
            "return [...document.querySelectorAll('.compare-side h2')].map(h => h.textContent);",
            vec![],
        )
        .await;
    assert_eq!(heading, json!(["A: crosvm", "B: firecracker"]));
    // crosvm's config runs 4 bytes past the standard 16 (ws_num_bins, reserved).
    page.set_value("compare-timeline", "100000").await;
    let (n, only) = config_bytes(&page, "a").await;
    assert_eq!(
        (n, only),
        (20, 8),
        "crosvm 20 bytes, 8 past Firecracker's 12"
    );

    page.goto_embed(
        "embed=1&compare=qemu:deflate-on-oom=on,qemu:deflate-on-oom=off&preset=deflate-on-oom",
        "compare-embed-open",
    )
    .await;
    let header = page
        .js("return document.querySelector('.topbar') === null;", vec![])
        .await;
    assert_eq!(header, json!(true), "the embed has no header");
    let first = page.text("first-divergence").await;
    assert!(
        first.contains("deflate-on-oom=true") && first.contains("deflate-on-oom=false"),
        "{first}"
    );
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the compare embed:\n{}",
        found.join("\n")
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

/// The VMM chapter's live comparisons each mount the compare view and fit their frame on a
/// phone and at a desktop width, so nobody has to scroll inside a frame to find the
/// differences list.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs `cargo xtask docs` output in target/book and chromedriver: run `cargo xtask test`"]
async fn the_vmm_chapter_embeds_live_comparisons_that_fit_their_frames() {
    use std::time::Duration;

    use e2e::browser::ChromeDriver;
    use e2e::server::StaticServer;
    use fantoccini::Locator;

    let server = StaticServer::start(&crate::book::book_dir()).expect("serving the book");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");
    for size in [(1280, 900), (390, 844)] {
        e2e::browser::emulate_viewport(&client, Some(size))
            .await
            .expect("the width");
        client
            .goto(&format!("{}implementations.html", server.url()))
            .await
            .expect("opening the chapter");
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("iframe.embed-frame.compare"))
            .await
            .expect("the chapter's compare frames");
        let frames = client
            .find_all(Locator::Css("iframe.embed-frame.compare"))
            .await
            .expect("the compare frames");
        assert!(
            frames.len() >= 3,
            "{size:?}: {} live comparisons",
            frames.len()
        );
        let all = client
            .find_all(Locator::Css("iframe"))
            .await
            .expect("the frames");
        for (i, f) in all.iter().enumerate() {
            let class = f.attr("class").await.ok().flatten().unwrap_or_default();
            if !class.contains("compare") {
                continue;
            }
            f.clone().enter_frame().await.expect("entering the frame");
            if let Err(e) = client
                .wait()
                .at_most(Duration::from_secs(60))
                .for_element(Locator::Css(&test_id("first-divergence")))
                .await
            {
                let seen = client
                    .execute(
                        "return location.href + ' | ' + document.body.innerText.slice(0, 300);",
                        vec![],
                    )
                    .await;
                panic!("{size:?}, frame {i}: the compare view did not mount: {e}: {seen:?}");
            }
            let fit = client
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight, window.innerWidth,\
                 [...document.querySelector('main').children].map(c => c.className + ':' + Math.round(c.getBoundingClientRect().height))];",
                vec![],
            )
            .await
            .expect("measuring the frame");
            let (content, frame) = (
                fit[0].as_f64().unwrap_or(0.0),
                fit[1].as_f64().unwrap_or(0.0),
            );
            assert!(
                content <= frame + 1.0,
                "{size:?}, frame {i}: the comparison is {content} px tall in a {frame} px frame: {fit}"
            );
            client
                .enter_parent_frame()
                .await
                .expect("back to the chapter");
        }
    }
    // The first comparison in its chapter, to look at.
    e2e::browser::emulate_viewport(&client, Some((1280, 1300)))
        .await
        .expect("a tall viewport");
    client
        .execute(
            "document.querySelector('iframe.embed-frame.compare').scrollIntoView(); return null;",
            vec![],
        )
        .await
        .expect("scrolling to the frame");
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; setTimeout(() => done(null), 500);",
            vec![],
        )
        .await
        .expect("letting the frame paint");
    let png = client.screenshot().await.expect("screenshot");
    let dir = e2e::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join("book-compare.png"), png).expect("writing the screenshot");
    client.close().await.expect("closing the session");
}
