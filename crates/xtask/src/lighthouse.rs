//! `cargo xtask lighthouse`: Lighthouse's performance and accessibility scores of what
//! `cargo xtask serve` serves, desktop and mobile, the median of several runs each.
//!
//! Not part of `test`: Lighthouse's performance score follows the machine's load (its total
//! blocking time is measured, not simulated), so on a shared CI machine it would fail at random.
//! The desktop budgets are the ones the newcomer issue set: accessibility ≥ 0.98, performance
//! ≥ 0.90; mobile is reported only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::run::{Env, elapsed};
use crate::{Error, SERVE_PROFILE, tools};

/// A port away from `cargo xtask serve`'s 8080, so both can run at once.
const PORT: u16 = 8091;
const RUNS: usize = 3;
const SCRIPT: &str = include_str!("lighthouse.mjs");

/// Desktop budgets: (category, lowest median score).
const BUDGETS: [(&str, f64); 2] = [("accessibility", 0.98), ("performance", 0.90)];

/// One Lighthouse run's figures, from a line the script prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub preset: String,
    pub scores: Vec<(String, f64)>,
    pub failed: String,
}

/// Parses `lighthouse PRESET RUN key=value ...` lines; other lines are ignored.
pub fn parse_runs(text: &str) -> Vec<Run> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            if words.next()? != "lighthouse" {
                return None;
            }
            let preset = words.next()?.to_owned();
            words.next()?.parse::<usize>().ok()?;
            let mut scores = Vec::new();
            let mut failed = String::new();
            for word in words {
                let (key, value) = word.split_once('=')?;
                match value.parse::<f64>() {
                    Ok(v) if key != "failed" => scores.push((key.to_owned(), v)),
                    _ => failed = value.to_owned(),
                }
            }
            Some(Run {
                preset,
                scores,
                failed,
            })
        })
        .collect()
}

/// The median of `key` over the runs of `preset` (upper median for an even count).
pub fn median(runs: &[Run], preset: &str, key: &str) -> Option<f64> {
    let mut values: Vec<f64> = runs
        .iter()
        .filter(|r| r.preset == preset)
        .filter_map(|r| r.scores.iter().find(|(k, _)| k == key).map(|(_, v)| *v))
        .collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// The desktop budgets the runs miss (a missing figure is a miss).
pub fn missed(runs: &[Run]) -> Vec<String> {
    BUDGETS
        .iter()
        .filter_map(|(key, floor)| match median(runs, "desktop", key) {
            Some(v) if v >= *floor => None,
            Some(v) => Some(format!("desktop {key} {v:.2} < {floor:.2}")),
            None => Some(format!("desktop {key} not measured")),
        })
        .collect()
}

pub fn run() -> Result<(), Error> {
    let env = Env::detect()?;
    let started = Instant::now();
    tools::ensure(&env, tools::Needs::Test)?;
    let prefix = tools::ensure_lighthouse(&env)?;
    // The script must sit beside node_modules for node to resolve `lighthouse` from it.
    let script = prefix.join("xtask-lighthouse.mjs");
    std::fs::write(&script, SCRIPT).map_err(|e| Error::ProjectFile {
        path: script.display().to_string(),
        problem: e.to_string(),
    })?;
    println!("xtask: building and serving with the `{SERVE_PROFILE}` profile on port {PORT}");
    let mut server = env
        .cmd("trunk")
        .args(["serve", "--offline", "--no-autoreload", "--cargo-profile"])
        .arg(SERVE_PROFILE)
        .args(["--address", "127.0.0.1", "--port"])
        .arg(PORT.to_string())
        .spawn_quiet()?;
    let outcome = wait_for_page(Duration::from_secs(1800)).and_then(|()| {
        env.cmd("node")
            .arg(&script)
            .arg(format!("http://127.0.0.1:{PORT}/"))
            .arg(RUNS.to_string())
            .arg(tools::CHROMIUM)
            .stdout_ok("lighthouse")
    });
    // The server goes whatever happened; a kill that fails means it already exited.
    let _ = server.kill();
    let _ = server.wait();
    let runs = parse_runs(&outcome?);
    for preset in ["desktop", "mobile"] {
        let figures: Vec<String> = ["performance", "accessibility", "lcp_ms", "tbt_ms"]
            .iter()
            .map(|k| match median(&runs, preset, k) {
                Some(v) => format!("{k} {v}"),
                None => format!("{k} -"),
            })
            .collect();
        println!(
            "xtask: lighthouse {preset} (median of {RUNS}): {}",
            figures.join(", ")
        );
    }
    for run in runs.iter().filter(|r| r.failed != "-") {
        println!(
            "xtask: lighthouse {} failed audits: {}",
            run.preset, run.failed
        );
    }
    println!("xtask: lighthouse took {}", elapsed(started));
    let missed = missed(&runs);
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Error::GoalsMissed(missed))
    }
}

/// Polls the served page until it answers 200 (trunk builds first, which can take minutes).
fn wait_for_page(limit: Duration) -> Result<(), Error> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if page_answers() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(Error::StepFailed {
        step: format!("trunk serve on port {PORT} did not answer within {limit:?}"),
        code: None,
    })
}

fn page_answers() -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", PORT)) else {
        return false;
    };
    let request = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    let mut head = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.ends_with(b"200")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
noise from node
lighthouse desktop 1 performance=0.91 accessibility=1 lcp_ms=1897 tbt_ms=70 failed=-
lighthouse desktop 2 performance=0.77 accessibility=1 lcp_ms=2100 tbt_ms=333 failed=bf-cache
lighthouse desktop 3 performance=0.93 accessibility=0.97 lcp_ms=1800 tbt_ms=40 failed=-
lighthouse mobile 1 performance=0.55 accessibility=1 lcp_ms=10377 tbt_ms=859 failed=-";

    #[test]
    fn runs_are_read_and_the_median_taken_per_preset() {
        let runs = parse_runs(OUTPUT);
        assert_eq!(runs.len(), 4);
        assert_eq!(runs[1].failed, "bf-cache");
        assert_eq!(median(&runs, "desktop", "performance"), Some(0.91));
        assert_eq!(median(&runs, "desktop", "accessibility"), Some(1.0));
        assert_eq!(median(&runs, "mobile", "lcp_ms"), Some(10377.0));
        assert_eq!(median(&runs, "tablet", "performance"), None);
    }

    #[test]
    fn desktop_budgets_judge_the_medians_and_a_missing_figure_misses() {
        let runs = parse_runs(OUTPUT);
        assert!(missed(&runs).is_empty(), "{:?}", missed(&runs));
        let slow = OUTPUT.replace("performance=0.93", "performance=0.80");
        assert_eq!(
            missed(&parse_runs(&slow)),
            ["desktop performance 0.80 < 0.90"]
        );
        let mobile_only: Vec<Run> = runs.into_iter().filter(|r| r.preset == "mobile").collect();
        assert_eq!(missed(&mobile_only).len(), 2);
    }
}
