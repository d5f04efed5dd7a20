//! End-to-end tests of the release build in headless Chromium, one module per page feature.
//!
//! One test target (`browser`) so that `cargo xtask test` can select exactly these tests with
//! `--test browser` while keeping the native test step's feature set (and its build cache).
//! Every test is `#[ignore]`d: it needs `trunk build --release` output and chromedriver.

mod axe;
mod book;
mod bytes;
mod compare;
mod csp;
mod first_paint;
mod host;
mod newcomer;
mod perf;
mod playground;
mod real_time;
mod session_file;
mod share_link;
mod support;
mod trace;
