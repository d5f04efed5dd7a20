//! Helpers for the end-to-end tests: a static file server for `dist/` and a chromedriver session.
//!
//! The tests themselves are `#[ignore]`d: `cargo xtask test` runs them with `--ignored` after a
//! release `trunk build`, so a plain `cargo test --workspace` needs neither `dist/` nor a browser.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod browser;
pub mod server;

use std::path::PathBuf;

/// The trunk output to serve: `$E2E_DIST`, else `dist/` at the repository root.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"))
}

/// Where screenshots go: `$E2E_SCREENSHOTS`, else `target/e2e` at the repository root.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target").join("e2e"))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
