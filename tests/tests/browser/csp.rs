//! The release build under a strict Content-Security-Policy: no inline script, no eval, only
//! files from the page's own origin (and wasm compilation). A `securitypolicyviolation`
//! listener is installed before any page script runs (through Chromium's DevTools protocol,
//! which the page's policy does not govern), and a control page with an inline script proves
//! the listener and the policy are live.

use std::time::Duration;

use e2e::browser::{ChromeDriver, cdp, console};
use e2e::server::StaticServer;
use fantoccini::{Client, Locator};
use serde_json::json;

/// The policy under test: what the issue asks for, plus the usual hardening that costs nothing.
const POLICY: &str = "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";

const APPLY: Locator<'static> = Locator::Css("[data-testid=\"apply-target\"]");

/// Records every violation in `window.__cspViolations`, from the first byte of every document.
const RECORDER: &str = "window.__cspViolations = [];\
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(\
    `${e.effectiveDirective} blocked ${e.blockedURI || '?'} at ${e.sourceFile}:${e.lineNumber}`));";

async fn violations(client: &Client) -> Vec<String> {
    let v = client
        .execute("return window.__cspViolations;", vec![])
        .await
        .expect("reading the recorded violations");
    let list = v.as_array().expect("the recorder ran before the page");
    list.iter()
        .map(|e| e.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Console lines Chromium writes when it refuses something under a CSP.
async fn csp_console_errors(client: &Client) -> Vec<String> {
    console(client)
        .await
        .expect("browser console")
        .into_iter()
        .filter(|e| e.message.contains("Content Security Policy"))
        .map(|e| e.message)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs a release trunk build in dist/ and chromedriver: run `cargo xtask test`"]
async fn the_page_runs_under_a_strict_content_security_policy() {
    let dist = e2e::dist_dir();
    let index = std::fs::read_to_string(dist.join("index.html"))
        .unwrap_or_else(|e| panic!("no trunk build in {}: {e}", dist.display()));
    // What trunk emitted: script tags with a src only, and no event-handler attributes.
    for (at, _) in index.match_indices("<script") {
        let tag = &index[at..at + index[at..].find('>').expect("a closed tag")];
        assert!(
            tag.contains(" src="),
            "inline script in dist/index.html: {tag}"
        );
    }
    let handler = index.match_indices(" on").find(|(at, _)| {
        let rest = &index[at + 3..];
        let name = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_lowercase())
                .len();
        name > 0 && rest[name..].starts_with('=')
    });
    assert!(
        handler.is_none(),
        "an inline event handler in dist/index.html"
    );

    let app = StaticServer::start_with_headers(&dist, &[("Content-Security-Policy", POLICY)])
        .expect("serving dist/");
    let control_dir = std::env::temp_dir().join(format!("e2e-csp-{}", std::process::id()));
    std::fs::create_dir_all(&control_dir).unwrap();
    std::fs::write(
        control_dir.join("index.html"),
        "<!doctype html><title>control</title><script>window.ranInline = true;</script>",
    )
    .unwrap();
    let control =
        StaticServer::start_with_headers(&control_dir, &[("Content-Security-Policy", POLICY)])
            .expect("serving the control page");

    let driver = ChromeDriver::start().expect("starting chromedriver");
    let client = driver.session().await.expect("a headless Chromium session");
    cdp(
        &client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": RECORDER }),
    )
    .await
    .expect("installing the violation recorder");

    // The control: the same policy refuses an inline script, and both detectors see it.
    client
        .goto(&control.url())
        .await
        .expect("loading the control");
    let ran = client
        .execute("return window.ranInline === true;", vec![])
        .await
        .unwrap();
    assert_eq!(
        ran,
        json!(false),
        "the inline script ran: the policy is not applied"
    );
    let seen = violations(&client).await;
    assert!(
        seen.len() == 1 && seen[0].starts_with("script-src-elem blocked inline"),
        "{seen:?}"
    );
    assert!(!csp_console_errors(&client).await.is_empty());

    // The app: it mounts and works, and nothing is refused on the way.
    client.goto(&app.url()).await.expect("loading the page");
    let apply = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(APPLY)
        .await
        .expect("the app mounted under the policy");
    apply.click().await.expect("clicking apply-target");
    let started = client
        .execute("return typeof window.wasmBindings === 'object';", vec![])
        .await
        .unwrap();
    assert_eq!(started, json!(true), "boot.js did not finish");
    assert_eq!(violations(&client).await, Vec::<String>::new());
    assert_eq!(csp_console_errors(&client).await, Vec::<String>::new());

    client.close().await.expect("closing the session");
    std::fs::remove_dir_all(&control_dir).unwrap();
}

/// The other half of "an embed cannot read or change the host page": besides the browser's
/// same-origin policy, the app's own source never reaches for another window or runs text as
/// code. Runs without a browser (plain `cargo test`).
#[test]
fn the_app_source_never_evaluates_text_or_touches_other_windows() {
    const FORBIDDEN: [&str; 11] = [
        "eval(",
        "Function::new",
        "new_with_args",
        ".parent(",
        ".top(",
        ".opener(",
        "post_message",
        "set_inner_html",
        "from_html_unchecked",
        "document_write",
        "set_cookie",
    ];
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut stack = vec![web];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("web/src") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).expect("a source file");
                for bad in FORBIDDEN {
                    assert!(!text.contains(bad), "{} uses {bad}", path.display());
                }
            }
        }
    }
    assert!(files > 3, "web/src not found");
}
