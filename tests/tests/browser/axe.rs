//! axe-core in the page under test: injected through WebDriver (the file `cargo xtask test`
//! installs, `$E2E_AXE`), run on the whole document, violations returned as plain lines.

use std::path::PathBuf;

use fantoccini::Client;
use serde_json::{Value, json};

/// `$E2E_AXE`, else where `cargo xtask` installs axe-core.
fn axe_path() -> PathBuf {
    std::env::var_os("E2E_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/balloon-playground/tools/axe-core/node_modules/axe-core/axe.min.js")
        })
}

/// A rule allowed to fail on a page, and why (pages we do not write, such as mdBook's theme).
pub struct Exception {
    /// The axe rule id.
    pub rule: &'static str,
    /// Why it is accepted.
    pub reason: &'static str,
}

/// Runs axe-core on the current document and returns every violation not excepted, one line
/// each: rule, impact, help and the first few elements.
pub async fn violations(client: &Client, exceptions: &[Exception]) -> Vec<String> {
    let path = axe_path();
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core at {}: {e} (run `cargo xtask test`)",
            path.display()
        )
    });
    let loaded = client
        .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
        .await
        .expect("injecting axe-core");
    assert_eq!(loaded, json!("object"), "axe-core did not load");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             window.axe.run(document, { rules: { 'target-size': { enabled: true } } })\
               .then(r => done(r.violations.map(v => ({\
                 id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' + \
                   (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 160)) }))))\
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("running axe-core");
    result
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !exceptions.iter().any(|e| Some(e.rule) == v["id"].as_str()))
        .map(|v: Value| {
            format!(
                "{} ({}): {} at {}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or("?"),
                v["nodes"]
            )
        })
        .collect()
}
