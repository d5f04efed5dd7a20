//! The page as a newcomer meets it (issue 22): what the first screen holds at desktop and phone
//! sizes, the keyboard (tab stops, space on a button, the help dialog), asking in the past
//! without forking, and axe-core finding nothing on the page (light, dark, fresh, mid-inflate),
//! the embed and a book chapter.

use std::time::Duration;

use e2e::browser::{ChromeDriver, cdp, emulate_viewport};
use e2e::server::StaticServer;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::axe::{self, Exception};
use crate::support::{Page, test_id};

const TAB: &str = "\u{E004}";
const SHIFT: &str = "\u{E008}";
const ESCAPE: &str = "\u{E00C}";

/// Which of `ids` lie wholly inside the viewport, as (id, inside, top, bottom).
pub(crate) async fn in_view(page: &Page, ids: &[&str]) -> Vec<(String, bool, f64, f64)> {
    let v = page
        .js(
            "const h = window.innerHeight, w = window.innerWidth;\
             return arguments[0].map(id => {\
               const e = document.querySelector(`[data-testid=\"${id}\"]`);\
               if (!e) return [id, false, -1, -1];\
               const r = e.getBoundingClientRect();\
               return [id, r.height > 0 && r.top >= 0 && r.bottom <= h + 0.5\
                 && r.left >= 0 && r.right <= w + 0.5, r.top, r.bottom];\
             });",
            vec![json!(ids)],
        )
        .await;
    v.as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            (
                e[0].as_str().unwrap_or("").to_owned(),
                e[1].as_bool().unwrap_or(false),
                e[2].as_f64().unwrap_or(-1.0),
                e[3].as_f64().unwrap_or(-1.0),
            )
        })
        .collect()
}

pub(crate) async fn emulate(page: &Page, size: Option<(u32, u32)>) {
    emulate_viewport(&page.client, size)
        .await
        .expect("emulating the viewport");
    page.js("window.scrollTo(0, 0); return null;", vec![]).await;
    page.next_paint().await;
}

/// Emulates `prefers-color-scheme: dark` (or light).
pub async fn dark(client: &Client, on: bool) {
    let value = if on { "dark" } else { "light" };
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
    )
    .await
    .expect("emulating the colour scheme");
}

/// The `data-testid` of the focused element (or its tag when it has none).
async fn focused(page: &Page) -> String {
    page.js(
        "const e = document.activeElement;\
         return e ? (e.dataset.testid || e.tagName.toLowerCase()) : '';",
        vec![],
    )
    .await
    .as_str()
    .unwrap_or("")
    .to_owned()
}

/// Presses `keys` as the keyboard does, into whatever has focus (WebDriver's element send-keys
/// refuses elements that cannot take focus, such as the body at the start): modifiers in
/// `keys` are held until the end.
async fn press(page: &Page, keys: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for c in keys.chars() {
        actions = actions.then(KeyAction::Down { value: c });
    }
    for c in keys.chars().rev() {
        actions = actions.then(KeyAction::Up { value: c });
    }
    page.client
        .perform_actions(actions)
        .await
        .expect("pressing keys");
    page.next_paint().await;
}

async fn focus(page: &Page, id: &str) {
    page.js(
        "document.querySelector(arguments[0]).focus(); return null;",
        vec![json!(test_id(id))],
    )
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_first_screen_holds_the_balloon_the_controls_the_explanation_and_the_target() {
    let page = Page::open("").await;
    let desktop = [
        "balloon-svg",
        "play",
        "step",
        "step-message",
        "explanation",
        "target-input",
    ];
    for size in [(1280, 720), (1440, 900)] {
        emulate(&page, Some(size)).await;
        for (id, inside, top, bottom) in in_view(&page, &desktop).await {
            assert!(
                inside,
                "{size:?}: {id} is not in the first screen ({top}..{bottom})"
            );
        }
    }
    emulate(&page, Some((390, 844))).await;
    for (id, inside, top, bottom) in in_view(&page, &["balloon-svg", "play", "step"]).await {
        assert!(
            inside,
            "phone: {id} is not in the first screen ({top}..{bottom})"
        );
    }
    // Scrolled down to the queues, the step bar stays.
    page.js(
        "document.querySelector('[data-testid=\"queue-ivq\"]').scrollIntoView(); return null;",
        vec![],
    )
    .await;
    page.next_paint().await;
    for (id, inside, top, bottom) in in_view(&page, &["play", "step", "step-message"]).await {
        assert!(
            inside,
            "phone, scrolled: {id} left the screen ({top}..{bottom})"
        );
    }
    // Nothing is wider than the phone (the presets menu was 431 px).
    let widths = page
        .js(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await;
    assert!(
        widths[0].as_f64() <= widths[1].as_f64(),
        "the page scrolls sideways at 390 px: {widths}"
    );
    emulate(&page, None).await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_keyboard_reaches_the_console_presses_buttons_and_stays_in_the_help() {
    let page = Page::open("").await;
    // Tab from the top of the page: each descriptor table is one stop.
    page.js(
        "document.activeElement && document.activeElement.blur(); return null;",
        vec![],
    )
    .await;
    press(&page, TAB).await;
    let mut presses = 1;
    while focused(&page).await != "console-input" {
        // The byte panel is closed at first: its summary is one stop.
        assert!(
            presses < 30,
            "30 tabs did not reach the console (at {})",
            focused(&page).await
        );
        press(&page, TAB).await;
        presses += 1;
    }
    println!("newcomer: Tab reaches the console in {presses} presses");

    // Space on a focused button presses that button, not play (with a target set, so that
    // Step has work to do).
    page.click("apply-target").await;
    let (index, _) = page.timeline().await;
    focus(&page, "step").await;
    press(&page, " ").await;
    assert_eq!(
        page.timeline().await.0,
        index + 1,
        "space did not press Step"
    );
    assert_eq!(
        page.text("play").await.trim(),
        "▶ Play",
        "space started play"
    );

    // Arrow keys move inside a descriptor table (one widget).
    page.click("step-message").await;
    focus(&page, "ivq-desc-grid").await;
    let before = page
        .js("return document.querySelector('[data-testid=\"ivq-desc-grid\"]').getAttribute('aria-activedescendant');", vec![])
        .await;
    press(&page, "\u{E014}").await; // →
    let after = page
        .js("return document.querySelector('[data-testid=\"ivq-desc-grid\"]').getAttribute('aria-activedescendant');", vec![])
        .await;
    assert_ne!(before, after, "→ did not move in the descriptor table");
    assert!(page.text("ivq-desc-words").await.contains("NEXT is"));

    // The help: focus in, Tab stays in, Esc closes, focus back on "?".
    page.click("help-open").await;
    page.next_paint().await;
    assert_eq!(focused(&page).await, "help-close");
    for keys in [TAB, TAB, &format!("{SHIFT}{TAB}")] {
        press(&page, keys).await;
        assert_eq!(focused(&page).await, "help-close", "focus left the dialog");
    }
    press(&page, ESCAPE).await;
    assert!(
        page.client
            .find(Locator::Css(&test_id("help")))
            .await
            .is_err(),
        "Esc did not close"
    );
    assert_eq!(
        focused(&page).await,
        "help-open",
        "focus did not return to ?"
    );
    // A click on the backdrop closes it too.
    page.click("help-open").await;
    page.js(
        "const d = document.querySelector('[data-testid=\"help\"]');\
         d.dispatchEvent(new MouseEvent('click', { bubbles: true })); return null;",
        vec![],
    )
    .await;
    page.next_paint().await;
    assert!(
        page.client
            .find(Locator::Css(&test_id("help")))
            .await
            .is_err(),
        "backdrop did not close"
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

async fn console(page: &Page, line: &str) {
    page.set_value("console-input", line).await;
    page.click("console-send").await;
    page.next_paint().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn asking_in_the_past_keeps_the_future_and_acting_asks_first() {
    let page = Page::open("").await;
    page.set_value("target-input", "512M").await;
    page.click("apply-target").await;
    assert!(page.text("guidance").await.contains("inflate the balloon"));
    page.click("run-to-quiet").await;
    let (end, count) = page.timeline().await;
    assert_eq!(end, count);
    for _ in 0..5 {
        page.click("step-back-message").await;
    }
    let (at, _) = page.timeline().await;
    assert!(at < end);
    for line in [
        "info balloon",
        "help balloon",
        r#"{"execute": "query-balloon"}"#,
    ] {
        console(&page, line).await;
        assert_eq!(
            page.timeline().await,
            (at, count),
            "{line} forked the timeline"
        );
        assert!(
            page.client
                .find(Locator::Css(&test_id("fork-question")))
                .await
                .is_err()
        );
    }
    assert!(
        page.text("console-output")
            .await
            .contains("balloon target -- request VM to change its memory allocation (in MB)")
    );
    console(&page, "balloon 300").await;
    assert!(page.text("fork-question").await.contains("replaces the"));
    page.click("fork-cancel").await;
    assert_eq!(
        page.timeline().await,
        (at, count),
        "cancel dropped the future"
    );
    console(&page, "balloon 300").await;
    page.click("fork-confirm").await;
    assert_eq!(
        page.timeline().await,
        (at + 1, at + 1),
        "confirm did not fork"
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn play_with_nothing_to_do_says_so() {
    let page = Page::open("").await;
    page.click("run-to-quiet").await;
    page.click("play").await;
    assert!(
        page.text("transport-status")
            .await
            .contains("Nothing left to play")
    );
    assert_eq!(page.text("play").await.trim(), "▶ Play");
    page.close().await;
}

fn fail_on(what: &str, found: Vec<String>) {
    assert!(
        found.is_empty(),
        "axe-core on {what}:\n{}",
        found.join("\n")
    );
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn axe_finds_nothing_on_the_page_light_dark_fresh_and_mid_inflate() {
    let page = Page::open("").await;
    fail_on("the fresh page", axe::violations(&page.client, &[]).await);
    page.click("apply-target").await;
    for _ in 0..3 {
        page.click("step-message").await;
    }
    fail_on(
        "the page mid-inflate",
        axe::violations(&page.client, &[]).await,
    );
    dark(&page.client, true).await;
    page.next_paint().await;
    // Every panel follows the theme: none keeps a white card.
    let white = page
        .js(
            "return [...document.querySelectorAll('section, .explanation, .queue, .memory-map, .stats-chart, .transcript-panel, .config-panel')]\
               .filter(e => getComputedStyle(e).backgroundColor === 'rgb(255, 255, 255)')\
               .map(e => e.className);",
            vec![],
        )
        .await;
    assert_eq!(
        white,
        json!([]),
        "panels with a white background in dark mode"
    );
    fail_on(
        "the page in dark mode",
        axe::violations(&page.client, &[]).await,
    );
    dark(&page.client, false).await;
    page.goto_embed(
        "embed=1&panels=ivq,dvq#v=1&step=27&preset=inflate-half",
        "embed-step",
    )
    .await;
    fail_on("the embed", axe::violations(&page.client, &[]).await);
    page.close().await;
}

/// mdBook's own theme, which the book does not write.
const MDBOOK_THEME: [Exception; 4] = [
    Exception {
        rule: "landmark-unique",
        reason: "mdBook's theme has two unnamed navigation landmarks (the sidebar and the page arrows)",
    },
    Exception {
        rule: "region",
        reason: "mdBook's theme puts its menu bar outside any landmark",
    },
    Exception {
        rule: "aria-allowed-attr",
        reason: "mdBook 0.4's sidebar toggle (#sidebar-toggle) is a <label> with aria-expanded",
    },
    Exception {
        rule: "aria-prohibited-attr",
        reason: "mdBook 0.4's sidebar toggle (#sidebar-toggle) is a <label> with aria-label",
    },
];

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the book (`cargo xtask docs`) and chromedriver: run `cargo xtask test`"]
async fn axe_finds_nothing_in_a_book_chapter_and_its_embeds_fit_a_phone() {
    let book = std::env::var_os("E2E_BOOK")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/book")
        });
    let server = StaticServer::start(&book).expect("serving the book");
    let driver = ChromeDriver::start().expect("chromedriver");
    let client = driver.session().await.expect("a session");
    client
        .goto(&format!("{}inflate.html", server.url()))
        .await
        .expect("opening a chapter");
    for e in &MDBOOK_THEME {
        println!("newcomer: book exception {}: {}", e.rule, e.reason);
    }
    let found = axe::violations(&client, &MDBOOK_THEME).await;
    assert!(
        found.is_empty(),
        "axe-core on the chapter:\n{}",
        found.join("\n")
    );
    // On a phone each embed's content fits its frame (Step and Play are not cut off).
    emulate_viewport(&client, Some((390, 844)))
        .await
        .expect("phone");
    client.enter_frame(0).await.expect("the first embed");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&test_id("embed-step")))
        .await
        .expect("the embed mounted");
    // The frame takes its phone height from the chapter's media query once the emulated
    // viewport applies, which can land after the embed mounted: measure until the layout has
    // settled (a few seconds at most), then judge the last measure.
    let mut sizes = Value::Null;
    for _ in 0..20 {
        sizes = client
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await
            .expect("measuring the embed");
        if sizes[0].as_f64() <= sizes[1].as_f64() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "newcomer: embed at 390 px: content {} px in a {} px frame",
        sizes[0], sizes[1]
    );
    assert!(
        sizes[0].as_f64() <= sizes[1].as_f64(),
        "the embed's content is cut off on a phone: {sizes}"
    );
    client
        .enter_parent_frame()
        .await
        .expect("back to the chapter");
    client.close().await.expect("closing");
}
