//! Import of a script file (and a bad one, which keeps the session) and export.

use fantoccini::Locator;

use crate::support::{Page, test_id};

/// Writes `text` to a fresh file under the screenshot folder and returns its absolute path.
fn script_file(name: &str, text: &str) -> String {
    let dir = e2e::screenshot_dir().join("import");
    std::fs::create_dir_all(&dir).expect("import folder");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing the script");
    std::fs::canonicalize(&path)
        .expect("absolute path")
        .display()
        .to_string()
}

async fn import(page: &Page, path: &str) {
    let said = |out: &str| out.matches("imported script").count();
    let before = said(&page.text("console-output").await);
    page.client
        .find(Locator::Css(&test_id("import")))
        .await
        .expect("the import input")
        .send_keys(path)
        .await
        .expect("choosing the file");
    // The file is read asynchronously: wait for what it leads to.
    for _ in 0..50 {
        page.next_paint().await;
        let out = page.text("console-output").await;
        if said(&out) > before {
            return;
        }
    }
    panic!("the import said nothing");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn an_imported_script_replaces_the_session_and_a_bad_one_keeps_it() {
    let page = Page::open("").await;
    let good = script_file(
        "two-gib.bpl",
        "-m 2G -device virtio-balloon -seed 4\nrun\nballoon 1536\nrun\n",
    );
    import(&page, &good).await;
    assert_eq!(page.ram_pages().await, 524_288);
    let (index, count) = page.timeline().await;
    assert_eq!(index, 0, "an import starts at event 0");
    assert!(count > 100, "{count} events");
    page.click("run-to-quiet").await;
    assert_eq!(page.number("actual-pages").await, 131_072);

    let bad = script_file("bad.bpl", "-m 1G\nrun\nballon 512\n");
    import(&page, &bad).await;
    let notice = page.text("notice").await;
    assert!(notice.contains("line 3"), "{notice}");
    assert_eq!(
        page.ram_pages().await,
        524_288,
        "the bad file replaced the session"
    );
    assert_eq!(page.number("actual-pages").await, 131_072);

    page.click("export").await;
    page.assert_no_console_errors().await;
    page.close().await;
}
