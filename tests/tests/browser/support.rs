//! What every browser test needs: the page served, a headless Chromium on it, and small
//! helpers over the app's stable `data-testid` hooks.

use std::time::Duration;

use e2e::browser::{ChromeDriver, assert_no_console_errors};
use e2e::server::StaticServer;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// The release build served on loopback, a Chromium session, and the page's base URL.
pub struct Page {
    pub client: Client,
    pub base: String,
    // Both live as long as the page: dropping the driver kills chromedriver.
    _server: StaticServer,
    _driver: ChromeDriver,
}

/// `[data-testid="id"]`.
pub fn test_id(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Page {
    /// Serves `dist/`, starts Chromium and opens the page at `fragment` (may be empty).
    pub async fn open(fragment: &str) -> Page {
        let dist = e2e::dist_dir();
        assert!(
            dist.join("index.html").is_file(),
            "no trunk build in {}",
            dist.display()
        );
        let server = StaticServer::start(&dist).expect("serving dist/");
        let driver = ChromeDriver::start().expect("starting chromedriver");
        let client = driver.session().await.expect("a headless Chromium session");
        let page = Page {
            client,
            base: server.url(),
            _server: server,
            _driver: driver,
        };
        page.goto(fragment).await;
        page
    }

    /// Navigates to the page at `#fragment` and waits for the app to mount.
    pub async fn goto(&self, fragment: &str) {
        let url = if fragment.is_empty() {
            self.base.clone()
        } else {
            format!("{}#{}", self.base, fragment.trim_start_matches('#'))
        };
        self.client.goto(&url).await.expect("loading the page");
        if !fragment.is_empty() {
            // Only the fragment may have changed, which loads no new document: force one.
            self.client.refresh().await.expect("reloading the page");
        }
        // The app has mounted, then the panels below the fold, which join a frame after the
        // first paint (the last of them), have rendered.
        for id in ["apply-target", "stats-chart"] {
            self.client
                .wait()
                .at_most(Duration::from_secs(60))
                .for_element(Locator::Css(&test_id(id)))
                .await
                .unwrap_or_else(|e| panic!("waiting for {id} after loading the page: {e}"));
        }
    }

    /// Opens the embed at `query_and_fragment` (`embed=1&…#v=1&…`) and waits for the element
    /// with test id `ready`.
    pub async fn goto_embed(&self, query_and_fragment: &str, ready: &str) {
        self.client
            .goto(&format!("{}?{query_and_fragment}", self.base))
            .await
            .expect("opening the embed");
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&test_id(ready)))
            .await
            .expect("the embed mounted");
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until the browser has painted what the last input caused (two animation frames).
    pub async fn next_paint(&self) {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
                vec![],
            )
            .await
            .expect("waiting for a paint");
    }

    /// The text of the element with this test id.
    pub async fn text(&self, id: &str) -> String {
        self.client
            .find(Locator::Css(&test_id(id)))
            .await
            .unwrap_or_else(|e| panic!("no {id}: {e}"))
            .text()
            .await
            .expect("element text")
    }

    /// A number shown by the element with this test id.
    pub async fn number(&self, id: &str) -> u64 {
        let t = self.text(id).await;
        t.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{id} shows {t:?}, not a number"))
    }

    /// Clicks the element with this test id and waits for the paint.
    pub async fn click(&self, id: &str) {
        self.client
            .find(Locator::Css(&test_id(id)))
            .await
            .unwrap_or_else(|e| panic!("no {id}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {id}: {e}"));
        self.next_paint().await;
    }

    /// Sets a field's value as typing would (an `input` event), or a select's (`change`).
    pub async fn set_value(&self, id: &str, value: &str) {
        self.js(
            "const el = document.querySelector(arguments[0]);\
             el.value = arguments[1];\
             const kind = el.tagName === 'SELECT' ? 'change' : 'input';\
             el.dispatchEvent(new Event(kind, { bubbles: true }));",
            vec![json!(test_id(id)), json!(value)],
        )
        .await;
        self.next_paint().await;
    }

    /// The shown event index and the event count, from the timeline.
    pub async fn timeline(&self) -> (u64, u64) {
        let v = self
            .js(
                "const t = document.querySelector(arguments[0]);\
                 return [Number(t.value), Number(t.max)];",
                vec![json!(test_id("timeline"))],
            )
            .await;
        // A missing slider gives NaN, which JSON carries as null: that is a failure, not 0.
        let n = |i: usize| {
            v[i].as_u64()
                .unwrap_or_else(|| panic!("the timeline's value/max is not a number: {v}"))
        };
        (n(0), n(1))
    }

    /// Guest RAM in 4 KiB pages, from the summary line.
    pub async fn ram_pages(&self) -> u64 {
        self.number("ram-pages").await
    }

    /// Width and height of the balloon outline's bounding box, in CSS pixels.
    pub async fn outline_size(&self) -> (f64, f64) {
        let (_, _, w, h) = self
            .client
            .find(Locator::Css(&test_id("balloon-outline")))
            .await
            .expect("the balloon outline")
            .rectangle()
            .await
            .expect("outline bounding box");
        (w, h)
    }

    /// Fails on any error in the browser console.
    pub async fn assert_no_console_errors(&self) {
        assert_no_console_errors(&self.client).await;
    }

    /// A screenshot of the whole page at `width` CSS pixels, saved as `name` in the screenshot
    /// folder. The viewport is emulated (Chromium will not shrink a window to phone width) and
    /// then made as tall as the page, so one capture holds all of it.
    pub async fn full_page_screenshot(&self, width: u32, name: &str) {
        let emulate = |size| e2e::browser::emulate_viewport(&self.client, size);
        emulate(Some((width, 900)))
            .await
            .expect("emulating the width");
        self.next_paint().await;
        let inner = self.js("return window.innerWidth;", vec![]).await;
        assert_eq!(inner.as_u64(), Some(u64::from(width)), "page width");
        let height = self
            .js("return document.documentElement.scrollHeight;", vec![])
            .await
            .as_f64()
            .unwrap_or(900.0);
        let height = (height.ceil() as u32).clamp(600, 8000);
        emulate(Some((width, height)))
            .await
            .expect("emulating the height");
        self.next_paint().await;
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = e2e::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(name), png).expect("writing the screenshot");
        emulate(None).await.expect("ending the emulation");
        self.next_paint().await;
    }

    /// Closes the browser session.
    pub async fn close(self) {
        self.client.close().await.expect("closing the session");
    }
}
