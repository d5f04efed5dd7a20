//! The byte panel on the page and as an embed (`panels=bytes`): one inflate message lists and
//! flashes its stores in order, pointing at a descriptor cell lights its bytes and pointing at
//! avail.idx's bytes lights the ring panel's avail.idx row, and axe finds nothing in the embed.
//! Screenshots at 1440 and 360 px.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::support::{Page, test_id};

/// The first field of each write order that flashes, in order.
const FLASH_ORDER: &str = "const seen = new Map();\
    for (const el of document.querySelectorAll('[data-write-order][role=option]')) {\
      const k = Number(el.dataset.writeOrder);\
      if (!seen.has(k)) seen.set(k, el.dataset.field);\
    }\
    return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);";

/// Fires `type` on the first element matching the selector: mouseenter / mouseleave, which
/// do not bubble, or mouseover / mouseout, which bubble to the descriptor grid that listens
/// for its cells (as a pointer moving onto a cell and off the grid fires them).
async fn point(page: &Page, selector: &str, kind: &str) {
    page.js(
        "const el = document.querySelector(arguments[0]);\
         const bubbles = arguments[1] === 'mouseover' || arguments[1] === 'mouseout';\
         el.dispatchEvent(new MouseEvent(arguments[1], { bubbles }));",
        vec![json!(selector), json!(kind)],
    )
    .await;
    page.next_paint().await;
}

async fn class_of(page: &Page, selector: &str) -> String {
    page.js(
        "return document.querySelector(arguments[0]).className;",
        vec![json!(selector)],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// A screenshot of the byte panel alone at `width` CSS pixels.
async fn panel_screenshot(page: &Page, width: u32, name: &str) {
    e2e::browser::emulate_viewport(&page.client, Some((width, 1400)))
        .await
        .expect("emulating the width");
    page.next_paint().await;
    page.js(
        "document.querySelector(arguments[0]).scrollIntoView(); return null;",
        vec![json!(test_id("byte-panel"))],
    )
    .await;
    page.next_paint().await;
    let panel = page
        .client
        .find(Locator::Css(&test_id("byte-panel")))
        .await
        .expect("the byte panel");
    let png = panel.screenshot().await.expect("panel screenshot");
    let dir = e2e::screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(name), png).expect("writing the screenshot");
    e2e::browser::emulate_viewport(&page.client, None)
        .await
        .expect("ending the emulation");
    page.next_paint().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_page_shows_one_inflate_message_as_bytes_linked_to_the_ring_panel() {
    let page = Page::open("").await;
    // Closed until asked for: the summary opens it.
    assert!(
        page.client
            .find(Locator::Css(&test_id("byte-panel")))
            .await
            .is_err(),
        "the byte panel is open before anyone asked"
    );
    page.js(
        "document.querySelector(arguments[0] + ' > summary').click(); return null;",
        vec![json!(test_id("bytes-details"))],
    )
    .await;
    page.next_paint().await;
    page.set_value("target-input", "1023").await;
    page.click("apply-target").await;
    page.click("step-message").await;
    let writes = page.text("byte-writes").await;
    assert!(
        writes.contains("pfns[0] and 255 more") && writes.contains("used.idx"),
        "{writes}"
    );
    let order = page.js(FLASH_ORDER, vec![]).await;
    assert_eq!(
        order,
        json!([
            "pfns[0]",
            "desc[0].addr",
            "avail.ring[0]",
            "avail.idx",
            "used.avail_event",
            "used.ring[0].id",
            "used.idx",
            "avail.used_event"
        ])
    );

    // Ring panel → bytes: descriptor 0's cell lights its four fields and its PFN array.
    point(&page, "#ivq-desc-0", "mouseover").await;
    assert!(class_of(&page, "#ivq-desc-0").await.contains("linked"));
    let linked = page
        .js(
            "return [...document.querySelectorAll('.bytes .bf.linked[role=option]')]\
             .map(e => e.dataset.field);",
            vec![],
        )
        .await;
    let linked: Vec<&str> = linked
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(linked.len(), 4 + 256, "{linked:?}");
    assert_eq!(
        linked[..4],
        [
            "desc[0].addr",
            "desc[0].len",
            "desc[0].flags",
            "desc[0].next"
        ]
    );
    point(&page, "#ivq-desc-0", "mouseout").await;
    assert_eq!(
        page.js(
            "return document.querySelectorAll('.bytes .bf.linked, .queue .cell.linked').length;",
            vec![]
        )
        .await,
        json!(0),
        "leaving the grid unlinks the bytes"
    );

    // A click on a cell (the grid listens for it) selects it and shows it below the grid.
    page.client
        .find(Locator::Css("#ivq-desc-3"))
        .await
        .expect("descriptor 3's cell")
        .click()
        .await
        .expect("clicking descriptor 3");
    page.next_paint().await;
    let grid = page
        .js(
            "const g = document.querySelector(arguments[0]);\
             return [g.getAttribute('aria-activedescendant'),\
               document.getElementById('ivq-desc-3').getAttribute('aria-selected'),\
               g.querySelectorAll('[aria-selected=true]').length];",
            vec![json!(test_id("ivq-desc-grid"))],
        )
        .await;
    assert_eq!(grid, json!(["ivq-desc-3", "true", 1]), "{grid}");
    let detail = page.text("ivq-desc-detail").await;
    assert!(detail.contains("free: the driver owns it"), "{detail}");

    // Bytes → ring panel: avail.idx's two bytes light the avail.idx row.
    let avail_idx = ".bytes [data-field='avail.idx'][role=option]";
    point(&page, avail_idx, "mouseenter").await;
    let row = "[data-testid='ivq-avail-idx']";
    let parent = page
        .js(
            "return document.querySelector(arguments[0]).parentElement.className;",
            vec![json!(row)],
        )
        .await;
    assert!(parent.as_str().unwrap().contains("linked"), "{parent}");
    assert!(class_of(&page, avail_idx).await.contains("linked"));
    point(&page, avail_idx, "mouseleave").await;

    panel_screenshot(&page, 1440, "bytes-panel.png").await;
    panel_screenshot(&page, 360, "bytes-panel-360.png").await;
    page.assert_no_console_errors().await;
    page.close().await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_embed_shows_the_bytes_panel_and_steps_through_a_message() {
    let page = Page::open("").await;
    // The book's inflate chapter frame: paused before fill_balloon of the first message.
    page.goto_embed(
        "embed=1&panels=ivq,bytes#v=1&step=27&preset=inflate-half",
        "byte-panel",
    )
    .await;
    page.click("embed-step").await; // #27 towards_target reads num_pages
    page.click("embed-step").await; // #28 fill_balloon: vb->pfns, no descriptor yet
    assert!(
        page.text("byte-writes")
            .await
            .contains("no descriptor names yet"),
        "{}",
        page.text("byte-writes").await
    );
    page.click("embed-step-message").await;
    let order = page.js(FLASH_ORDER, vec![]).await;
    assert_eq!(order[0], json!("desc[0].addr"), "{order}");
    let found = crate::axe::violations(&page.client, &[]).await;
    assert!(
        found.is_empty(),
        "axe-core on the bytes embed:\n{}",
        found.join("\n")
    );
    page.full_page_screenshot(1440, "embed-bytes.png").await;
    page.full_page_screenshot(360, "embed-bytes-360.png").await;
    page.assert_no_console_errors().await;
    page.close().await;
}
