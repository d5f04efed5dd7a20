//! The host page (`?host=PRESET`) in headless Chromium: the host bar moves memory from one
//! VM's QEMU process to another as the host runs, a card shows its VM's rings, the strip is
//! one Tab stop with arrows, the first screen keeps the controls, axe finds nothing, and
//! screenshots at 1440 and 360 px.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use crate::axe;
use crate::newcomer::{dark, emulate, in_view};
use crate::support::{Page, test_id};

const GIB: u64 = 1 << 30;

async fn open_host(page: &Page, preset: &str) {
    page.client
        .goto(&format!("{}?host={preset}", page.base))
        .await
        .expect("opening the host page");
    page.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&test_id("host-bar")))
        .await
        .expect("the host page mounted");
    page.next_paint().await;
}

/// The bytes each bar segment stands for, by key (`own`, `vm-NAME`, `free`).
async fn segment_bytes(page: &Page, key: &str) -> u64 {
    let v = page
        .js(
            "const e = document.querySelector(arguments[0]); return e ? e.dataset.bytes : null;",
            vec![json!(test_id(&format!("host-seg-{key}")))],
        )
        .await;
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no segment {key}: {v}"))
}

async fn segment_width(page: &Page, key: &str) -> f64 {
    page.js(
        "return document.querySelector(arguments[0]).getBoundingClientRect().width;",
        vec![json!(test_id(&format!("host-seg-{key}")))],
    )
    .await
    .as_f64()
    .unwrap_or(-1.0)
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn memory_moves_from_the_idle_vm_to_the_two_writers_and_a_card_shows_its_rings() {
    let page = Page::open("").await;
    // Three VMs on one host: the idle one gives memory back, db and web take it.
    open_host(&page, "host-three-vms").await;
    page.assert_no_console_errors().await;
    // host ram 10G in the preset: the bar's segments are the whole of it.
    let keys = ["own", "vm-idle", "vm-db", "vm-web", "free"];
    let mut total = 0;
    for k in keys {
        total += segment_bytes(&page, k).await;
    }
    assert_eq!(total, 10 * GIB);

    // From the start, run the host 1 s at a time, then 10 s, and watch the three processes.
    page.set_value("host-timeline", "0").await;
    let mut samples = Vec::new();
    for i in 0..26 {
        samples.push((
            segment_bytes(&page, "vm-idle").await,
            segment_bytes(&page, "vm-db").await,
            segment_bytes(&page, "free").await,
            segment_bytes(&page, "vm-web").await,
        ));
        page.click(if i < 12 {
            "host-run-1s"
        } else {
            "host-run-10s"
        })
        .await;
    }
    // The idle guest writes 7 GiB (its process peaks), then the balloon's inflate gives at
    // least 3 GiB of it back to the host: the process shrinks while free grows.
    let peak = (0..samples.len())
        .max_by_key(|&i| samples[i].0)
        .expect("samples");
    let low = (peak..samples.len())
        .min_by_key(|&i| samples[i].0)
        .expect("after the peak");
    assert!(
        samples[low].0 + 3 * GIB <= samples[peak].0 && samples[low].2 >= samples[peak].2 + 3 * GIB,
        "the idle VM never gave 3 GiB back: {samples:?}"
    );
    // Afterwards db's and web's writes take host memory, and the free segment shrinks.
    let (_, db_then, free_then, web_then) = samples[low];
    let (_, db_end, free_end, web_end) = *samples.last().expect("samples");
    assert!(
        db_end >= db_then + GIB && web_end >= web_then + GIB / 2 && free_end + GIB <= free_then,
        "db and web never grew: {samples:?}"
    );
    // The rendered width follows (after the transition).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_w, db_w, web_w) = (
        segment_width(&page, "vm-idle").await,
        segment_width(&page, "vm-db").await,
        segment_width(&page, "vm-web").await,
    );
    assert!(
        db_w > 0.0 && idle_w > 0.0 && web_w > 0.0,
        "{idle_w} {db_w} {web_w}"
    );

    // Selecting the db card shows its rings; arrows move back to idle.
    page.click("vm-card-db").await;
    assert_eq!(page.text("selected-vm").await, "VM db");
    page.client
        .find(Locator::Css(&test_id("queue-ivq")))
        .await
        .expect("the db VM's ivq");
    let strip = page
        .client
        .find(Locator::Css(&test_id("vm-cards")))
        .await
        .expect("the strip");
    strip
        .send_keys(&char::from(Key::Left).to_string())
        .await
        .expect("arrow left");
    page.next_paint().await;
    assert_eq!(page.text("selected-vm").await, "VM idle");
    let tabbable = page
        .js(
            "return document.querySelectorAll('[data-testid=\"vm-cards\"] [tabindex]').length;",
            vec![],
        )
        .await;
    assert_eq!(tabbable, json!(0), "the strip is one Tab stop");

    // The first screen keeps the host, the controls and the explanation.
    for size in [(1280, 720), (1440, 900)] {
        emulate(&page, Some(size)).await;
        let ids = [
            "host-bar",
            "vm-cards",
            "host-step-message",
            "host-run-10s",
            "explanation",
        ];
        for (id, inside, top, bottom) in in_view(&page, &ids).await {
            assert!(
                inside,
                "{size:?}: {id} is not in the first screen ({top}..{bottom})"
            );
        }
    }
    emulate(&page, Some((390, 844))).await;
    let ids = ["host-bar", "vm-cards", "host-step-message", "host-run-1s"];
    for (id, inside, top, bottom) in in_view(&page, &ids).await {
        assert!(
            inside,
            "phone: {id} is not in the first screen ({top}..{bottom})"
        );
    }
    emulate(&page, None).await;

    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the host page:\n{}",
        found.join("\n")
    );
    dark(&page.client, true).await;
    page.next_paint().await;
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the host page, dark:\n{}",
        found.join("\n")
    );
    page.full_page_screenshot(1440, "host-1440-dark.png").await;
    dark(&page.client, false).await;

    page.full_page_screenshot(1440, "host-1440.png").await;
    page.full_page_screenshot(360, "host-360.png").await;
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_oom_killed_vm_says_so_and_the_presets_menu_opens_host_scenes() {
    let page = Page::open("").await;
    let offered = page
        .js(
            "return [...document.querySelectorAll('[data-testid=\"presets\"] optgroup option')]\
               .map(o => o.value);",
            vec![],
        )
        .await;
    assert!(
        offered.as_array().is_some_and(|o| o.len() >= 5),
        "host presets in the menu: {offered}"
    );
    page.set_value("presets", "host:host-overcommit-oom").await;
    page.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&test_id("host-bar")))
        .await
        .expect("the menu opened the host page");
    let states = page
        .js(
            "return [...document.querySelectorAll('.vm-card-state')].map(e => e.textContent);",
            vec![],
        )
        .await;
    let killed = states.as_array().map_or(0, |s| {
        s.iter()
            .filter(|t| t.as_str().is_some_and(|t| t.starts_with("OOM-killed")))
            .count()
    });
    assert_eq!(killed, 1, "{states}");
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the host page:\n{}",
        found.join("\n")
    );
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_host_embed_starts_where_its_link_says_and_runs() {
    let page = Page::open("").await;
    page.goto_embed(
        "embed=1&panels=host&host=host-give-by-hand&step=0",
        "host-bar",
    )
    .await;
    assert!(page.text("host-position").await.starts_with("Event 0 of "));
    let free_before = segment_bytes(&page, "free").await;
    for _ in 0..3 {
        page.click("host-run-1s").await;
    }
    assert!(
        segment_bytes(&page, "free").await < free_before,
        "the idle guest's writes took host memory"
    );
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe on the host embed:\n{}",
        found.join("\n")
    );
    page.full_page_screenshot(720, "host-embed-720.png").await;
    page.assert_no_console_errors().await;
    page.close().await;
}
