//! `cargo xtask fuzz [--seconds N] [--cases N]`: every cargo-fuzz target in turn, then the
//! property tests at a large case count.
//!
//! The targets live in `fuzz/`, a workspace of its own (libFuzzer needs nightly and a
//! sanitizer build, which nothing else in the project may depend on). The seed corpus comes
//! from a normal test (`balloon-sim/tests/fuzz_seeds.rs`), so it always matches the presets.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Instant;

use crate::Error;
use crate::run::{Env, elapsed};

/// The cargo-fuzz release the project is tested with (installed with `--locked`).
pub const CARGO_FUZZ: &str = "0.13.2";
/// libFuzzer targets, cheapest last so a short budget still covers the device first.
pub const TARGETS: [&str; 3] = ["device", "command", "share"];
/// Every property test, by package and test target (`--lib`: the crate's unit tests). Each
/// runs at least its own case count and more when `PROPTEST_CASES` asks for more.
pub const PROPERTY_TESTS: [(&str, &str); 9] = [
    ("balloon-sim", "invariants"),
    ("balloon-sim", "hostile_input"),
    ("balloon-sim", "time_travel"),
    ("balloon-sim", "robustness"),
    ("balloon-sim", "--lib"),
    ("balloon-device", "malformed_reset"),
    ("balloon-device", "fuzz"),
    ("balloon-driver", "pagemap_model"),
    ("virtq", "differential"),
];
const DEFAULT_SECONDS: u64 = 60;
const DEFAULT_CASES: u64 = 2_000;

/// Parsed `cargo xtask fuzz` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// libFuzzer's `-max_total_time` per target.
    pub seconds: u64,
    /// `PROPTEST_CASES` for the property tests.
    pub cases: u64,
}

/// `--seconds N` and `--cases N`, nothing else.
pub fn parse_args(args: &[String]) -> Result<Options, Error> {
    let mut opts = Options {
        seconds: DEFAULT_SECONDS,
        cases: DEFAULT_CASES,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--seconds", Some(n)) if n > 0 => opts.seconds = n,
            ("--cases", Some(n)) if n > 0 => opts.cases = n,
            _ => return Err(Error::Usage(format!("fuzz {arg}"))),
        }
    }
    Ok(opts)
}

/// Installs nightly and cargo-fuzz if needed, writes the seeds, runs every target for
/// `opts.seconds`, then the property tests with `opts.cases` cases each.
pub fn run_all(opts: Options) -> Result<(), Error> {
    let env = Env::detect()?;
    ensure_nightly(&env)?;
    ensure_cargo_fuzz(&env)?;
    let cargo = || env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let corpus = env.root.join("fuzz").join("corpus");
    println!("xtask: writing the seed corpus to {}", corpus.display());
    cargo()
        .args(["test", "-q", "-p", "balloon-sim", "--test", "fuzz_seeds"])
        .env("FUZZ_CORPUS_DIR", &corpus)
        .status_ok("seed corpus")?;
    let mut summary = Vec::new();
    for target in TARGETS {
        std::fs::create_dir_all(corpus.join(target)).map_err(|e| Error::ProjectFile {
            path: corpus.join(target).display().to_string(),
            problem: e.to_string(),
        })?;
        let started = Instant::now();
        println!(
            "xtask: fuzzing {target} for {} s (cargo +nightly fuzz run)",
            opts.seconds
        );
        let done = run_target(&env, target, opts.seconds)?;
        let line = format!("{target}: {done} in {}", elapsed(started));
        println!("xtask: {line}");
        summary.push(line);
    }
    for (package, test) in PROPERTY_TESTS {
        let step = format!("{package} {test} with PROPTEST_CASES={}", opts.cases);
        println!("xtask: {step}");
        let started = Instant::now();
        let target: &[&str] = if test == "--lib" {
            &["--lib"]
        } else {
            &["--test", test]
        };
        cargo()
            .args(["test", "--release", "-p", package])
            .args(target)
            .env("PROPTEST_CASES", opts.cases.to_string())
            .status_ok(&step)?;
        summary.push(format!("{step}: passed in {}", elapsed(started)));
    }
    for line in summary {
        println!("xtask: {line}");
    }
    Ok(())
}

/// Runs one target, echoing libFuzzer's output, and returns its final "Done N runs" line.
fn run_target(env: &Env, target: &str, seconds: u64) -> Result<String, Error> {
    // cargo-fuzz is in cargo's bin folder, which `cargo xtask` itself runs from.
    let mut child = std::process::Command::new("cargo")
        .current_dir(&env.root)
        .args(["+nightly", "fuzz", "run", "-O", target, "--"])
        .arg(format!("-max_total_time={seconds}"))
        // A single input taking 10 s is a hang; larger text inputs than this add nothing.
        .args(["-timeout=10", "-max_len=16384", "-print_final_stats=1"])
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: "cargo fuzz".to_owned(),
            source,
        })?;
    let mut done = String::from("no final line from libFuzzer");
    if let Some(stderr) = child.stderr.take() {
        let mut out = std::io::stderr().lock();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Done ") {
                done = rest.to_owned();
            }
            // Progress goes where cargo's would; a closed stderr only loses the echo.
            let _ = writeln!(out, "{line}");
        }
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        program: "cargo fuzz".to_owned(),
        source,
    })?;
    if status.success() {
        Ok(done)
    } else {
        Err(Error::StepFailed {
            step: format!(
                "fuzz target {target} (inputs that fail are in fuzz/artifacts/{target}/)"
            ),
            code: status.code(),
        })
    }
}

fn ensure_nightly(env: &Env) -> Result<(), Error> {
    let list = env
        .cmd("rustup")
        .args(["toolchain", "list"])
        .stdout_ok("rustup toolchain list")?;
    if list.lines().any(|l| l.starts_with("nightly")) {
        return Ok(());
    }
    println!("xtask: installing the nightly toolchain (rustup): cargo-fuzz builds with sanitizers");
    env.cmd("rustup")
        .args(["toolchain", "install", "nightly", "--profile", "minimal"])
        .status_ok("rustup toolchain install nightly")
}

fn ensure_cargo_fuzz(env: &Env) -> Result<(), Error> {
    let line = env.cmd("cargo").args(["fuzz", "--version"]).probe();
    let have = line
        .as_deref()
        .and_then(|l| l.split_whitespace().nth(1))
        .map(str::to_owned);
    if have.as_deref() == Some(CARGO_FUZZ) {
        return Ok(());
    }
    println!(
        "xtask: installing cargo-fuzz {CARGO_FUZZ} (cargo install): found {}",
        have.as_deref().unwrap_or("none")
    );
    env.cmd("cargo")
        .args(["install", "cargo-fuzz", "--version", CARGO_FUZZ, "--locked"])
        .status_ok("cargo install cargo-fuzz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_seconds_and_cases_only() {
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            parse_args(&args("")).unwrap(),
            Options {
                seconds: DEFAULT_SECONDS,
                cases: DEFAULT_CASES
            }
        );
        let o = parse_args(&args("--seconds 600 --cases 50")).unwrap();
        assert_eq!((o.seconds, o.cases), (600, 50));
        for bad in [
            "--seconds",
            "--seconds 0",
            "--seconds x",
            "--minutes 3",
            "-p x",
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }
}
