//! `cargo xtask serve|test|docs|bench|lighthouse|fuzz|mutants`: installs the tools the project needs, then runs everything.
//!
//! Deliberately std-only so that it compiles in seconds on a fresh machine.
#![forbid(unsafe_code)]

mod bench;
mod docs;
mod error;
mod fuzz;
mod lighthouse;
mod lockfile;
mod mutants;
mod run;
mod scratch;
mod test;
mod tools;

use std::process::ExitCode;
use std::time::Instant;

pub use error::Error;
use run::Env;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve   install the web tools if needed, then `trunk serve` on http://127.0.0.1:8080/
          (cargo profile `serve`: optimised dependencies, quick rebuilds)
  docs    build the book (docs/, mdBook) with the playground for its embeds into target/book/
  test [-p PACKAGE]...
          install every tool if needed, then fmt, clippy, native tests, wasm tests in headless
          Chromium and Firefox, a release trunk build, the book and the end-to-end browser tests;
          with -p, the cargo steps cover only those packages (CI runs the whole workspace)
  bench [--no-criterion] [--no-browser]
          the benchmarks (criterion micro-benchmarks, the 64 GiB bulk inflate on both backends
          and its virtio_queue floor, seeks, then the same in headless Chromium, wasm size,
          first render, frame times): one table, and target/bench/summary.json
  lighthouse
          install Lighthouse 12.2.3 if needed, serve the page as `serve` does, then report
          Lighthouse's performance and accessibility (median of 3, desktop and mobile); fails
          under the desktop budgets (accessibility 0.98, performance 0.90); not part of test:
          the performance score follows the machine's load
  fuzz [--seconds N] [--cases N]
          install nightly and cargo-fuzz if needed, run each fuzz target for N seconds
          (default 60), then every property test with PROPTEST_CASES=N (default 2000)
  mutants [--file PATH]... [--in-place]
          install cargo-mutants 27.1.0 if needed, then run it over virtq and balloon-device
          (or only the given files); not part of test: a whole run takes hours";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("docs") => docs::run(),
        Some("test") => match package_args(&args[1..]) {
            Ok(packages) => test::run_all(&packages),
            Err(err) => Err(err),
        },
        Some("bench") => bench::run(&args[1..]),
        Some("lighthouse") => lighthouse::run(),
        Some("fuzz") => fuzz::parse_args(&args[1..]).and_then(fuzz::run_all),
        Some("mutants") => mutants::parse_args(&args[1..]).and_then(|o| mutants::run(&o)),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(Error::Usage(other.unwrap_or("").to_owned())),
    };
    scratch::clean_up();
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {}", run::elapsed(started));
            ExitCode::SUCCESS
        }
        Err(Error::Usage(cmd)) => {
            eprintln!("xtask: unknown command {cmd:?}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("xtask: FAILED after {}: {err}", run::elapsed(started));
            ExitCode::FAILURE
        }
    }
}

/// `-p NAME` / `--package NAME` pairs; nothing else is accepted.
fn package_args(args: &[String]) -> Result<Vec<String>, Error> {
    let mut packages = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("-p" | "--package", Some(name)) => packages.push(name.clone()),
            _ => return Err(Error::Usage(format!("test {arg}"))),
        }
    }
    Ok(packages)
}

/// The cargo profile `serve` builds with (`[profile.serve]` in the workspace's Cargo.toml): a
/// dev build is 4.7 MB of unoptimised wasm that plays slowly, a release build takes minutes.
pub(crate) const SERVE_PROFILE: &str = "serve";

/// The cargo profile the page's wasm is built with (`[profile.page]` in the workspace's
/// Cargo.toml; index.html's rust link names it in `data-cargo-profile-release`, so
/// `trunk build --release` uses it). The release profile is the native CLI's and benchmarks'.
pub(crate) const PAGE_PROFILE: &str = "page";

fn serve() -> Result<(), Error> {
    let env = Env::detect()?;
    tools::ensure(&env, tools::Needs::Serve)?;
    println!(
        "xtask: serving the playground on http://127.0.0.1:8080/ (Ctrl-C to stop), built with \
         the `serve` profile (optimised dependencies, quick rebuilds)"
    );
    env.cmd("trunk")
        .args([
            "serve",
            "--offline",
            "--cargo-profile",
            SERVE_PROFILE,
            "--address",
            "127.0.0.1",
            "--port",
            "8080",
        ])
        .status_ok("trunk serve")
}
