//! The book (`cargo xtask docs`) in headless Chromium: a chapter's two embedded playgrounds step
//! independently, cannot reach the page around them, and the JS API's `mount` drives an embed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::browser::{ChromeDriver, assert_no_console_errors};
use e2e::server::StaticServer;
use fantoccini::{Client, Locator};

const FRAME: Locator<'static> = Locator::Css("iframe.embed-frame");
const STEP: Locator<'static> = Locator::Css("[data-testid=\"embed-step\"]");
const INDEX: Locator<'static> = Locator::Css("[data-testid=\"embed-index\"]");
/// A chapter with two embeds: the first and the last inflate message.
const CHAPTER: &str = "inflate.html";
/// The frames each chapter embed starts at (`#v=1&step=N` in `docs/src/inflate.md`).
const STARTS: [u64; 2] = [27, 6670];
const PATIENCE: Duration = Duration::from_secs(30);

/// `$E2E_BOOK`, else `target/book` at the repository root.
pub(crate) fn book_dir() -> PathBuf {
    std::env::var_os("E2E_BOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/book"))
}

/// The event index the embed in the current browsing context shows, once it reads `want`.
async fn wait_for_index(client: &Client, want: u64) -> u64 {
    let started = Instant::now();
    loop {
        let text = match client.find(INDEX).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let shown = text.trim().parse::<u64>().ok();
        if shown == Some(want) {
            return want;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the embed shows event {text:?}, expected {want}"
        );
        pause(client).await;
    }
}

/// Lets the page run for 50 ms (its timers, not ours: the test's runtime has no clock).
async fn pause(client: &Client) {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; setTimeout(() => done(null), 50);",
            vec![],
        )
        .await
        .expect("waiting in the page");
}

/// Enters frame `i` of the chapter, waits for its embed to mount and clicks Step `clicks` times.
async fn step_frame(client: &Client, i: u16, clicks: u64) -> u64 {
    client.enter_frame(i).await.expect("entering the frame");
    let step = client
        .wait()
        .at_most(PATIENCE)
        .for_element(STEP)
        .await
        .expect("the embed mounted its step button");
    let start = STARTS[usize::from(i)];
    wait_for_index(client, start).await;
    for n in 1..=clicks {
        step.click().await.expect("clicking step");
        wait_for_index(client, start + n).await;
    }
    client
        .enter_parent_frame()
        .await
        .expect("back to the chapter");
    start + clicks
}

/// The index frame `i` shows now.
async fn frame_index(client: &Client, i: u16) -> u64 {
    client.enter_frame(i).await.expect("entering the frame");
    let text = client
        .find(INDEX)
        .await
        .expect("the embed's index")
        .text()
        .await
        .expect("its text");
    client
        .enter_parent_frame()
        .await
        .expect("back to the chapter");
    text.trim().parse().unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs `cargo xtask docs` output in target/book and chromedriver: run `cargo xtask test`"]
async fn two_embeds_in_a_chapter_step_independently() {
    let book = book_dir();
    assert!(
        book.join(CHAPTER).is_file() && book.join("play/index.html").is_file(),
        "no book with its playground in {}",
        book.display()
    );
    let server = StaticServer::start(&book).expect("serving the book");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");

    client
        .goto(&format!("{}{CHAPTER}", server.url()))
        .await
        .expect("loading the chapter");
    // Wait for the first frame: the WebDriver load wait can return before a busy machine has
    // parsed the chapter's body.
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(FRAME)
        .await
        .expect("the chapter's first embed");
    let frames = client.find_all(FRAME).await.expect("the chapter's frames");
    // The first two step the same preset at two frames; a third shows the bytes.
    assert!(frames.len() >= 2, "the chapter has {} embeds", frames.len());
    for frame in &frames {
        let sandbox = frame
            .attr("sandbox")
            .await
            .expect("sandbox")
            .unwrap_or_default();
        assert!(
            sandbox.contains("allow-scripts") && !sandbox.contains("allow-same-origin"),
            "{sandbox}"
        );
        assert!(frame.attr("title").await.expect("title").is_some());
    }

    // First twice, second once: each moves only by its own clicks.
    let first = step_frame(&client, 0, 2).await;
    let second = step_frame(&client, 1, 1).await;
    assert_eq!(frame_index(&client, 0).await, first);
    assert_eq!(frame_index(&client, 1).await, second);
    assert_eq!(
        (first - STARTS[0], second - STARTS[1]),
        (2, 1),
        "the two embeds' indices moved by their own clicks only"
    );

    // The sandbox gives the frames an opaque origin: the page cannot reach into them (nor they
    // out), and the embeds left the chapter's address alone.
    let reachable = client
        .execute(
            "return [...document.querySelectorAll('iframe.embed-frame')]\
                 .some(f => { try { return f.contentDocument !== null; } catch (e) { return false; } });",
            vec![],
        )
        .await
        .expect("probing the frames");
    assert_eq!(reachable, serde_json::Value::Bool(false));
    let url = client.current_url().await.expect("the chapter's URL");
    assert!(url.as_str().ends_with(CHAPTER), "{url}");

    // The "open in the full playground" link carries the frame shown.
    client
        .enter_frame(0)
        .await
        .expect("entering the first frame");
    let href = client
        .find(Locator::Css("[data-testid=\"embed-open\"]"))
        .await
        .expect("the open link")
        .attr("href")
        .await
        .expect("its href")
        .unwrap_or_default();
    assert!(
        href.contains(&format!("#v=1&step={first}&preset=inflate-half")),
        "{href}"
    );
    client.enter_parent_frame().await.expect("back");

    assert_no_console_errors(&client).await;

    // The chapter's top with its first embed, as the README shows it.
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("scrolling to the top");
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let dir = e2e::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join("book.png"), png).expect("writing the screenshot");

    client.close().await.expect("closing the session");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs `cargo xtask docs` output in target/book and chromedriver: run `cargo xtask test`"]
async fn the_js_api_mounts_and_drives_an_embed() {
    let server = StaticServer::start(&book_dir()).expect("serving the book");
    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");
    client
        .goto(&format!("{}embedding.html", server.url()))
        .await
        .expect("loading the embedding chapter");
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#js-api-demo [data-testid=\"embed-index\"]"))
        .await
        .expect("mount() rendered an embed into the page");
    // The chapter's JS starts it at event 6686 of `deflate`.
    wait_for_index(&client, 6686).await;
    let click = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Id(id))
                .await
                .expect("a demo button")
                .click()
                .await
                .expect("clicking it");
        }
    };
    click("js-api-step").await;
    wait_for_index(&client, 6687).await;
    click("js-api-seek").await;
    wait_for_index(&client, 6700).await;
    // The module loaded as a library: the page's own content is still there.
    let title = client
        .find(Locator::Css("main h1"))
        .await
        .expect("the chapter heading")
        .text()
        .await
        .expect("its text");
    assert_eq!(title, "Embedding the playground");
    assert_no_console_errors(&client).await;
    client.close().await.expect("closing the session");
}
