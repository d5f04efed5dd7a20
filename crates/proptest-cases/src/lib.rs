//! How many cases a property suite runs, in one place for every crate's suites.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proptest::test_runner::Config as ProptestConfig;

/// `default` cases, or more when `PROPTEST_CASES` asks for more (`cargo xtask test` sets 256,
/// `cargo xtask fuzz` 2000): the variable raises every suite, and never lowers one below the
/// count it runs under plain `cargo test`.
pub fn config(default: u32) -> ProptestConfig {
    let asked = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok());
    ProptestConfig {
        cases: asked.map_or(default, |n| n.max(default)),
        ..ProptestConfig::default()
    }
}
