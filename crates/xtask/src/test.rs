//! `cargo xtask test`: every check CI runs, in order, stopping at the first failure.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::run::{Cmd, Env, elapsed};
use crate::{Error, lockfile, tools};

/// The end-to-end package; its tests are `#[ignore]`d so plain `cargo test` skips them.
const E2E_PACKAGE: &str = "e2e";
/// Its one test target; every browser test is a module of it.
const E2E_TEST: &str = "browser";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs every tool, then runs each step on the whole workspace, or only on `packages`
/// (`cargo xtask test -p web -p e2e`, for iterating on a few crates).
pub fn run_all(packages: &[String]) -> Result<(), Error> {
    let env = Env::detect()?;
    let started = Instant::now();
    tools::ensure(&env, tools::Needs::Test)?;
    println!("xtask: tools checked in {}", elapsed(started));

    let cargo = || env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let selected = |p: &str| packages.is_empty() || packages.iter().any(|q| q == p);
    let wasm_packages = browser_test_packages(&env.root)?;
    let wasm_selected: Vec<(&str, &Path)> = wasm_packages
        .iter()
        .map(|(name, dir)| (name.as_str(), dir.as_path()))
        .filter(|(p, _)| selected(p))
        .collect();
    let as_flags = |names: &mut dyn Iterator<Item = &str>| -> Vec<String> {
        names
            .flat_map(|p| ["-p".to_owned(), p.to_owned()])
            .collect()
    };
    let (scope, fmt_scope) = if packages.is_empty() {
        (vec!["--workspace".to_owned()], vec!["--all".to_owned()])
    } else {
        let flags = as_flags(&mut packages.iter().map(String::as_str));
        (flags.clone(), flags)
    };

    step(
        "cargo fmt --check",
        cargo().args(["fmt", "--check"]).args(&fmt_scope),
    )?;
    step(
        "cargo clippy (native)",
        cargo()
            .args(["clippy", "--all-targets"])
            .args(&scope)
            .args(["--", "-D", "warnings"]),
    )?;
    if packages.is_empty() {
        // fuzz/ is a workspace of its own (cargo-fuzz needs nightly to run it), so nothing else
        // builds it: check its targets still compile against the crates, on this toolchain.
        step(
            "cargo check of fuzz/ (its own workspace)",
            cargo()
                .args(["check", "--locked", "--bins", "--manifest-path"])
                .arg(env.root.join("fuzz").join("Cargo.toml")),
        )?;
    }
    if !wasm_selected.is_empty() {
        step(
            "cargo clippy (wasm32)",
            cargo()
                .args(["clippy", "--target", WASM_TARGET, "--all-targets"])
                .args(as_flags(&mut wasm_selected.iter().map(|(name, _)| *name)))
                .args(["--", "-D", "warnings"]),
        )?;
    }
    step(
        &format!(
            "cargo test (native), PROPTEST_CASES={}",
            ci_proptest_cases()
        ),
        cargo()
            .arg("test")
            .args(&scope)
            .env("PROPTEST_CASES", ci_proptest_cases().to_string()),
    )?;
    if selected("balloon-sim") || selected("virtq") {
        for (name, cmd) in crate::bench::smoke_steps(&env) {
            step(&name, cmd)?;
        }
    }
    // The geckodriver whose version tools::ensure checked: the first one on the PATH.
    let geckodriver = env
        .which("geckodriver")
        .unwrap_or_else(|| env.cargo_bin.join("geckodriver"));
    for (package, dir) in wasm_selected {
        let test = || {
            cargo()
                .args(["test", "--target", WASM_TARGET, "-p", package])
                .current_dir(dir)
                .env_remove("CHROMEDRIVER")
                .env_remove("GECKODRIVER")
                .env_remove("SAFARIDRIVER")
                .env_remove("WASM_BINDGEN_TEST_ONLY_NODE")
                .env_remove("WASM_BINDGEN_USE_BROWSER")
        };
        step(
            &format!("wasm tests of {package} in headless Chromium"),
            test().env("CHROMEDRIVER", tools::CHROMEDRIVER),
        )?;
        step(
            &format!("wasm tests of {package} in headless Firefox"),
            test().env("GECKODRIVER", &geckodriver),
        )?;
    }
    if selected("balloon-sim") {
        // The presets' replies, summaries and trace hashes computed in wasm32 must equal the
        // native golden files: the one check that native and browser traces agree.
        for (browser, driver, path) in [
            (
                "Chromium",
                "CHROMEDRIVER",
                PathBuf::from(tools::CHROMEDRIVER),
            ),
            ("Firefox", "GECKODRIVER", geckodriver.clone()),
        ] {
            step(
                &format!("native goldens in wasm32 (balloon-sim wasm_hash) in headless {browser}"),
                cargo()
                    .args(["test", "--target", WASM_TARGET, "-p", "balloon-sim"])
                    .args(["--test", "wasm_hash"])
                    .current_dir(&env.root.join("crates").join("balloon-sim"))
                    .env_remove("CHROMEDRIVER")
                    .env_remove("GECKODRIVER")
                    .env_remove("SAFARIDRIVER")
                    .env_remove("WASM_BINDGEN_TEST_ONLY_NODE")
                    .env_remove("WASM_BINDGEN_USE_BROWSER")
                    .env(driver, &path),
            )?;
        }
    }
    step(
        "trunk build --release",
        env.cmd("trunk").args(["build", "--release", "--offline"]),
    )?;
    report_wasm_size(&env.root.join("dist"));
    crate::docs::ensure_mdbook(&env)?;
    println!("xtask: ── cargo xtask docs (the book and its playground)");
    let book = crate::docs::build(&env)?;

    // The browser tests' binary from the native test step's very build: asking cargo to build
    // or run only e2e would resolve features differently and rebuild half the dependencies.
    let mut e2e_scope = scope.clone();
    if !selected(E2E_PACKAGE) {
        e2e_scope.extend(["-p".to_owned(), E2E_PACKAGE.to_owned()]);
    }
    let listing = cargo()
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(&e2e_scope)
        .stdout_ok("cargo test --no-run")?;
    let binary =
        test_executable(&listing, E2E_PACKAGE, E2E_TEST).ok_or_else(|| Error::ProjectFile {
            path: "tests/Cargo.toml".to_owned(),
            problem: format!("cargo built no test target {E2E_TEST} of package {E2E_PACKAGE}"),
        })?;
    let shots = env.root.join("target").join("e2e");
    step(
        "end-to-end tests in headless Chromium",
        env.cmd(&binary)
            // --nocapture: the tests print what they measure (first render, frame times).
            .args(["--ignored", "--test-threads=1", "--nocapture"])
            .current_dir(&env.root.join("tests"))
            .env("E2E_DIST", env.root.join("dist"))
            .env("E2E_BOOK", &book)
            .env("E2E_SCREENSHOTS", &shots)
            .env("E2E_AXE", tools::axe_script(&env))
            // Set, the page benchmark writes its figures for `cargo xtask bench` to judge.
            .env_remove("E2E_BENCH_OUT")
            .env("CHROMEDRIVER", tools::CHROMEDRIVER),
    )?;
    publish_screenshot(
        &shots.join("playground.png"),
        &env.root.join("docs/screenshot.png"),
    )?;
    publish_screenshot(
        &shots.join("book.png"),
        &env.root.join("docs/book-screenshot.png"),
    )?;
    publish_screenshot(
        &shots.join("playground-390.png"),
        &env.root.join("docs/screenshot-390.png"),
    )?;
    publish_screenshot(
        &shots.join("playground-dark.png"),
        &env.root.join("docs/screenshot-dark.png"),
    )?;
    for name in ["compare-1440.png", "compare-390.png"] {
        publish_screenshot(&shots.join(name), &env.root.join("docs").join(name))?;
    }
    // The host page with a console line's inflate under way (the README shows the wide one).
    for (shot, doc) in [
        ("host-console-1440.png", "host-screenshot.png"),
        ("host-console-390.png", "host-screenshot-390.png"),
    ] {
        publish_screenshot(&shots.join(shot), &env.root.join("docs").join(doc))?;
    }
    println!("xtask: all steps passed");
    Ok(())
}

/// Property-test cases under `cargo xtask test`: every suite runs at least this many (a suite
/// whose own count is higher keeps it), or more if `PROPTEST_CASES` asks for more. 256 cases
/// of the invariants take about 40 s in a debug build on 2 cores.
const CI_PROPTEST_CASES: u32 = 256;

fn ci_proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(CI_PROPTEST_CASES, |n| n.max(CI_PROPTEST_CASES))
}

pub(crate) fn step(name: &str, cmd: Cmd) -> Result<(), Error> {
    println!("xtask: ── {name}");
    let started = Instant::now();
    cmd.status_ok(name)?;
    println!("xtask: ── {name}: ok in {}", elapsed(started));
    Ok(())
}

/// Packages whose tests also run as wasm in headless browsers: those whose folder (`web/` or
/// `crates/*/`) holds a `webdriver.json`, which wasm-bindgen-test-runner reads for browser flags.
fn browser_test_packages(root: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut dirs = vec![root.join("web")];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.sort();
    let mut packages = Vec::new();
    for dir in dirs
        .into_iter()
        .filter(|d| d.join("webdriver.json").is_file())
    {
        let manifest = dir.join("Cargo.toml");
        let name = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| lockfile::toml_string(&text, "name"))
            .ok_or_else(|| Error::ProjectFile {
                path: manifest.display().to_string(),
                problem: "no package name".to_owned(),
            })?;
        packages.push((name, dir));
    }
    Ok(packages)
}

/// Prints the size of the release wasm, raw and gzipped (gzip -9, as a server would send it).
fn report_wasm_size(dist: &Path) {
    let Ok(entries) = std::fs::read_dir(dist) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let raw = entry.metadata().map(|m| m.len()).unwrap_or(0);
            let gz = std::process::Command::new("gzip")
                .args(["-9", "-c"])
                .arg(&path)
                .output()
                .map(|o| o.stdout.len().to_string())
                .unwrap_or_else(|_| "?".to_owned());
            println!(
                "xtask: release wasm {}: {raw} bytes raw, {gz} bytes gzipped",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
        }
    }
}

/// Copies the screenshot the e2e tests took to where the README shows it.
fn publish_screenshot(from: &Path, to: &Path) -> Result<(), Error> {
    let copy = || -> std::io::Result<u64> {
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(from, to)
    };
    copy().map_err(|e| Error::ProjectFile {
        path: from.display().to_string(),
        problem: format!("copying the e2e screenshot to {}: {e}", to.display()),
    })?;
    println!("xtask: screenshot saved to {}", to.display());
    Ok(())
}

/// The executable of test target `target` of `package` in cargo's JSON build messages.
fn test_executable(messages: &str, package: &str, target: &str) -> Option<std::path::PathBuf> {
    let quoted = |key: &str, line: &str| -> Option<String> {
        let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
        let len = line[start..].find('"')?;
        Some(line[start..start + len].to_owned())
    };
    messages.lines().find_map(|line| {
        let ours = line.contains("\"reason\":\"compiler-artifact\"")
            && quoted("package_id", line)?.contains(&format!("#{package}@"))
            && line.contains("\"kind\":[\"test\"]")
            && line.contains(&format!("\"name\":\"{target}\""));
        if ours {
            quoted("executable", line).map(Into::into)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::test_executable;

    #[test]
    fn finds_the_browser_test_binary_among_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","package_id":"path+file:///r/tests#e2e@0.1.0","#,
            r#""target":{"kind":["lib"],"name":"e2e"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///r/web#balloon-web@0.1.0","#,
            r#""target":{"kind":["test"],"name":"browser"},"executable":"/r/target/debug/deps/x"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///r/tests#e2e@0.1.0","#,
            r#""target":{"kind":["test"],"name":"browser"},"#,
            r#""executable":"/r/target/debug/deps/browser-1234"}"#,
        );
        let found = test_executable(messages, "e2e", "browser");
        assert_eq!(found, Some("/r/target/debug/deps/browser-1234".into()));
        assert_eq!(test_executable(messages, "e2e", "other"), None);
    }
}
