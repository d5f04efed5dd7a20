//! The host page (`?host=PRESET`) in headless Chromium: the host bar moves memory from one
//! VM's QEMU process to another as the host runs, a card shows its VM's rings, the strip is
//! one Tab stop with arrows, the first screen keeps the controls, axe finds nothing, and
//! screenshots at 1440 and 360 px. The console addresses a VM by name and Play moves memory;
//! the share link reopens the same event in a new browser session; the selected VM's config
//! panel shows its own num_pages.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use crate::axe;
use crate::newcomer::{dark, emulate, in_view};
use crate::support::{Page, test_id};

const GIB: u64 = 1 << 30;

async fn open_host(page: &Page, preset: &str) {
    load_host(page, &format!("?host={preset}")).await;
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
            "play",
            "step-message",
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
    let ids = ["host-bar", "vm-cards", "step-message", "host-run-1s"];
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

/// Types `line` into the host console and sends it with Enter.
async fn console(page: &Page, line: &str) {
    let input = page
        .client
        .find(Locator::Css(&test_id("console-input")))
        .await
        .expect("the host console");
    input.send_keys(line).await.expect("typing");
    input
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .expect("enter");
    page.next_paint().await;
}

/// Loads the page at `tail` (`?query#fragment`) as a new document and waits for the host page.
async fn load_host(page: &Page, tail: &str) {
    page.client.goto("about:blank").await.expect("leaving");
    page.client
        .goto(&format!("{}{tail}", page.base))
        .await
        .expect("opening the link");
    page.client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(&test_id("host-bar")))
        .await
        .expect("the host page mounted");
    page.next_paint().await;
}

async fn config_num_pages(page: &Page) -> u64 {
    let row = page.text("config-num_pages").await;
    row.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no number in the num_pages row: {row}"))
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn a_console_line_and_play_shrink_a_vm_and_the_link_reopens_the_same_event() {
    let page = Page::open("").await;
    open_host(&page, "host-three-vms").await;
    // The preset ends with idle's balloon at 4 GiB of its 8 GiB; what it still holds of its
    // 7 GiB of writes is resident in its QEMU process.
    let idle_before = segment_bytes(&page, "vm-idle").await;
    let free_before = segment_bytes(&page, "free").await;
    // A bad line says why and moves nothing.
    let position = page.text("host-position").await;
    console(&page, "@idle ballon 1024").await;
    let out = page.text("console-output").await;
    assert!(out.contains("error:") && out.contains("column"), "{out}");
    assert_eq!(page.text("host-position").await, position);
    console(&page, "@nobody balloon 1024").await;
    assert!(page.text("console-output").await.contains("no VM named"));
    // The target for idle: 1 GiB of 8 GiB, so the balloon asks for 7 GiB.
    console(&page, "@idle balloon 1024").await;
    console(&page, "@idle info balloon").await;
    let out = page.text("console-output").await;
    assert!(out.contains("[idle] balloon: actual="), "{out}");
    // The selected card is idle's: its config space has the new target, in 4 KiB pages.
    assert_eq!(page.text("selected-vm").await, "VM idle");
    assert_eq!(config_num_pages(&page).await, 7 * GIB / 4096);
    // Play at full speed until idle's process has given back a GiB.
    page.set_value("speed", "500").await;
    page.click("play").await;
    let mut idle_now = idle_before;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        idle_now = segment_bytes(&page, "vm-idle").await;
        if idle_now + GIB <= idle_before {
            break;
        }
    }
    page.click("play").await;
    page.next_paint().await;
    assert!(
        idle_now + GIB <= idle_before,
        "idle's segment did not shrink: {idle_before} -> {idle_now}"
    );
    assert!(segment_bytes(&page, "free").await > free_before);
    // The db card shows db's own config space: no target was ever set for it.
    page.click("vm-card-db").await;
    assert_eq!(page.text("selected-vm").await, "VM db");
    assert_eq!(config_num_pages(&page).await, 0);
    for id in ["memory-map", "stats-chart", "config-panel"] {
        page.client
            .find(Locator::Css(&test_id(id)))
            .await
            .unwrap_or_else(|_| panic!("the selected VM's {id}"));
    }
    page.click("vm-card-idle").await;

    let found = axe::violations(&page.client, &[]).await;
    assert!(found.is_empty(), "axe, host console:\n{}", found.join("\n"));
    dark(&page.client, true).await;
    page.next_paint().await;
    let found = axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe, host console, dark:\n{}",
        found.join("\n")
    );
    dark(&page.client, false).await;
    page.full_page_screenshot(1440, "host-console-1440.png")
        .await;
    page.full_page_screenshot(390, "host-console-390.png").await;

    // The link in the address bar, opened in a new browser session, shows the same event.
    let position = page.text("host-position").await;
    let idle_shown = segment_bytes(&page, "vm-idle").await;
    let hash = page.js("return location.hash;", vec![]).await;
    let hash = hash.as_str().unwrap_or_default().to_owned();
    assert!(hash.starts_with("#v=1&"), "{hash}");
    page.assert_no_console_errors().await;
    page.close().await;
    let other = Page::open("").await;
    load_host(&other, &hash).await;
    assert_eq!(other.text("host-position").await, position);
    assert_eq!(segment_bytes(&other, "vm-idle").await, idle_shown);
    assert_eq!(other.text("selected-vm").await, "VM idle");
    assert_eq!(config_num_pages(&other).await, 7 * GIB / 4096);
    // A damaged host link says so, over the default host scene, and stays in the bar.
    let broken = format!("{}&x", hash.trim_end_matches('A'));
    load_host(&other, &format!("?host=host-three-vms{broken}")).await;
    assert!(
        other
            .text("notice")
            .await
            .contains("does not open a host scene"),
        "{}",
        other.text("notice").await
    );
    let kept = other.js("return location.hash;", vec![]).await;
    assert_eq!(kept.as_str(), Some(broken.as_str()), "the link stays");
    other.assert_no_console_errors().await;
    other.close().await;
}
