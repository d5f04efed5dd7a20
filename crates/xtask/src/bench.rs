//! `cargo xtask bench`: the benchmarks of issue 9, native then in headless Chromium, summed up
//! in one table and in `target/bench/summary.json`.
//!
//! The figures come from programs that print `bench: key=value` lines: the whole-run benchmark
//! (`crates/balloon-sim/benches/bulk.rs`), its browser half (`crates/balloon-sim/tests/
//! wasm_bench.rs`) and the page benchmark of the end-to-end tests (`tests/tests/browser/
//! perf.rs`). The criterion micro-benchmarks print their own reports on the way.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::run::{Cmd, Env, elapsed};
use crate::test::step;
use crate::{Error, PAGE_PROFILE, tools};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Why the browser figures are missing when they were not asked for.
const NO_BROWSER: &str = "--no-browser";

/// One figure: a number, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    /// The measured value, in the unit its key names.
    Value(f64),
    /// Not measured, and why.
    Missing(String),
}

/// The keys of the summary with their goals (issues 9 and 20), in table order. Every goal is
/// enforced: `cargo xtask bench` exits non-zero when one is missed or not measured, so a
/// regression is visible to whoever runs it (`Info` rows are context, such as the floor).
const GOALS: &[(&str, &str, Goal)] = &[
    (
        "bulk_inflate_native_s",
        "bulk inflate 64 GiB -> 60 GiB balloon, native (s)",
        Goal::AtMost(0.1),
    ),
    (
        "bare_virtio_queue_s",
        "the floor: same PFN arrays through virtio_queue alone (s)",
        Goal::Info,
    ),
    (
        "sim_vs_bare_ratio",
        "whole simulation / floor",
        Goal::AtMost(3.0),
    ),
    (
        "bulk_inflate_browser_s",
        "bulk inflate in headless Chromium (s)",
        Goal::Info,
    ),
    (
        "browser_vs_native_ratio",
        "browser / native, same run",
        Goal::AtMost(2.0),
    ),
    (
        "portable_vs_rustvmm_ratio",
        "rust-vmm time / portable time",
        Goal::AtLeast(1.0),
    ),
    (
        "peak_rss_mib",
        "peak RSS of the native bulk run (MiB)",
        Goal::AtMost(64.0),
    ),
    (
        "trace_kept_bytes_per_event",
        "session memory per event: encoded timeline, hashes, samples (B)",
        Goal::AtMost(64.0),
    ),
    (
        "session_rss_bytes_per_event",
        "RSS growth of the same session per event, snapshots included (B)",
        Goal::Info,
    ),
    (
        "seek_native_ms",
        "worst seek, >= 100,000-event session, native (ms)",
        Goal::AtMost(50.0),
    ),
    (
        "seek_browser_ms",
        "worst seek, same session, Chromium (ms)",
        Goal::AtMost(100.0),
    ),
    (
        "host_8x8g_native_s",
        "8 VMs x 8 GiB, each inflating to half, whole host, native (s)",
        Goal::AtMost(0.2),
    ),
    (
        "host_8x8g_browser_s",
        "the same host in headless Chromium (s)",
        Goal::Info,
    ),
    (
        "slowest_event_native_ms",
        "slowest single event, 64 GiB fragmented guest, native (ms)",
        Goal::Info,
    ),
    (
        "slowest_event_browser_ms",
        "slowest single event, same guest, Chromium (ms)",
        Goal::AtMost(4.0),
    ),
    (
        "wasm_gz_kb",
        "release wasm, gzip -9 (kB)",
        Goal::AtMost(300.0),
    ),
    (
        "first_render_ms",
        "first render after load, Chromium, median of 5 loads (ms)",
        Goal::AtMost(300.0),
    ),
    (
        "frame_p95_ms",
        "script time per frame playing 64 GiB, p95 (ms)",
        Goal::AtMost(8.0),
    ),
    (
        "frame_max_ms",
        "script time per frame playing 64 GiB, max (ms)",
        Goal::AtMost(16.0),
    ),
    (
        "load_1min_start",
        "machine load before the runs (1-minute average, /proc/loadavg)",
        Goal::Info,
    ),
    (
        "load_1min_end",
        "machine load after the runs: wall-clock rows read slower above ~1",
        Goal::Info,
    ),
];

#[derive(Debug, Clone, Copy)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
    /// Context for the other rows; no goal.
    Info,
}

impl Goal {
    fn describe(self) -> String {
        match self {
            Goal::AtMost(g) => format!("<= {g}"),
            Goal::AtLeast(g) => format!(">= {g}"),
            Goal::Info => "-".to_owned(),
        }
    }
    /// Whether `v` meets the goal (`None` for `Info`, which has none).
    fn met_by(self, v: f64) -> Option<bool> {
        match self {
            Goal::AtMost(g) => Some(v <= g),
            Goal::AtLeast(g) => Some(v >= g),
            Goal::Info => None,
        }
    }
    fn verdict(self, figure: &Figure) -> &'static str {
        match figure {
            Figure::Missing(_) => "not measured",
            Figure::Value(v) => match self.met_by(*v) {
                None => "",
                Some(true) => "met",
                Some(false) => "MISSED",
            },
        }
    }
}

/// `cargo xtask bench [--no-criterion] [--no-browser]`.
pub fn run(args: &[String]) -> Result<(), Error> {
    let mut criterion = true;
    let mut browser = true;
    for arg in args {
        match arg.as_str() {
            "--no-criterion" => criterion = false,
            "--no-browser" => browser = false,
            other => return Err(Error::Usage(format!("bench {other}"))),
        }
    }
    let env = Env::detect()?;
    let started = Instant::now();
    tools::ensure(
        &env,
        if browser {
            tools::Needs::Test
        } else {
            tools::Needs::Serve
        },
    )?;
    let cargo = || env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let mut figures: BTreeMap<String, Figure> = BTreeMap::new();
    // On a shared 2-CPU machine the wall-clock rows move with what else runs (the browser
    // ratio read 1.7 x at load 0 and 3.1 x at load 2-4), so the table says what the load was.
    figures.insert("load_1min_start".into(), load_average());

    if criterion {
        for (package, bench) in [("virtq", "pop_add"), ("balloon-sim", "seek")] {
            step(
                &format!("criterion: {package} {bench}"),
                cargo().args(["bench", "-p", package, "--bench", bench]),
            )?;
        }
    }

    // The release profile (opt-level 3, LTO), as the CLI ships; the browser half below is built
    // with the page's profile, so the browser/native ratio compares what each really runs.
    let native = capture(
        "whole runs, native (bulk inflate on both backends, the floor, seeks)",
        cargo().args([
            "bench",
            "--profile",
            "release",
            "-p",
            "balloon-sim",
            "--bench",
            "bulk",
        ]),
    )?;
    figures.extend(parse_lines(&native));

    if browser {
        let crate_dir = env.root.join("crates").join("balloon-sim");
        let wasm = capture(
            "bulk inflate and seeks in headless Chromium (the page's wasm profile)",
            cargo()
                .args(["test", "--profile", PAGE_PROFILE, "--target", WASM_TARGET])
                .args([
                    "-p",
                    "balloon-sim",
                    "--test",
                    "wasm_bench",
                    "--",
                    "--nocapture",
                ])
                .current_dir(&crate_dir)
                .env("BALLOON_BENCH_FULL", "1")
                .env("WASM_BINDGEN_TEST_TIMEOUT", "900")
                .env("CHROMEDRIVER", tools::CHROMEDRIVER)
                .env_remove("GECKODRIVER")
                .env_remove("WASM_BINDGEN_USE_BROWSER"),
        )?;
        figures.extend(parse_lines(&wasm));

        step(
            "trunk build --release",
            env.cmd("trunk").args(["build", "--release", "--offline"]),
        )?;
        match gzipped_wasm_bytes(&env.root.join("dist")) {
            Some(bytes) => figures.insert("wasm_gz_kb".into(), Figure::Value(bytes as f64 / 1e3)),
            None => figures.insert(
                "wasm_gz_kb".into(),
                Figure::Missing("no .wasm in dist/ after trunk build".into()),
            ),
        };
        figures.extend(page_figures(&env, &cargo)?);
    } else {
        for key in [
            "bulk_inflate_browser_s",
            "seek_browser_ms",
            "host_8x8g_browser_s",
            "slowest_event_browser_ms",
            "wasm_gz_kb",
            "first_render_ms",
            "frame_p95_ms",
            "frame_max_ms",
        ] {
            figures.insert(key.into(), Figure::Missing(NO_BROWSER.into()));
        }
    }

    figures.insert("load_1min_end".into(), load_average());
    if let (Some(Figure::Value(b)), Some(Figure::Value(n))) = (
        figures.get("bulk_inflate_browser_s"),
        figures.get("bulk_inflate_native_s"),
    ) {
        let ratio = b / n;
        figures.insert("browser_vs_native_ratio".into(), Figure::Value(ratio));
    }
    for (key, _, _) in GOALS {
        figures
            .entry((*key).to_owned())
            .or_insert_with(|| Figure::Missing("the benchmark printed no figure".into()));
    }

    let machine = machine();
    print!("{}", table(&figures, &machine));
    let dir = env.root.join("target").join("bench");
    let path = dir.join("summary.json");
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&path, to_json(&figures, &machine))
    };
    write().map_err(|e| Error::ProjectFile {
        path: path.display().to_string(),
        problem: format!("writing the summary: {e}"),
    })?;
    println!("xtask: wrote {} in {}", path.display(), elapsed(started));
    let missed = missed_goals(&figures);
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Error::GoalsMissed(missed))
    }
}

/// The goals a run missed: not met, or not measured for any reason but `--no-browser` (a
/// benchmark that printed nothing is a miss).
fn missed_goals(figures: &BTreeMap<String, Figure>) -> Vec<String> {
    GOALS
        .iter()
        .filter(|(_, _, goal)| !matches!(goal, Goal::Info))
        .filter_map(|(key, _, goal)| match figures.get(*key) {
            Some(Figure::Value(v)) if goal.met_by(*v) == Some(true) => None,
            Some(Figure::Value(v)) => Some(format!("{key} = {v}, goal {}", goal.describe())),
            Some(Figure::Missing(why)) if why == NO_BROWSER => None,
            Some(Figure::Missing(why)) => Some(format!("{key} not measured ({why})")),
            None => Some(format!("{key} not measured")),
        })
        .collect()
}

/// The smoke runs `cargo xtask test` makes of every benchmark: tiny sizes, debug builds,
/// checking that each still runs and measures what it claims (not how fast).
pub fn smoke_steps(env: &Env) -> Vec<(String, Cmd)> {
    let cargo = || env.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    vec![
        (
            "benchmarks, smoke size (criterion test mode, bulk without --bench)".to_owned(),
            // Without `--bench` the criterion benches run each routine once and the bulk
            // benchmark runs its smoke size.
            // (`--bench '*'`: the bench targets only; `--benches` would rerun the lib tests.)
            cargo().args(["test", "--bench", "*", "-p", "virtq", "-p", "balloon-sim"]),
        ),
        (
            "browser benchmark, smoke size, in headless Chromium".to_owned(),
            cargo()
                .args(["test", "--target", WASM_TARGET, "-p", "balloon-sim"])
                .args(["--test", "wasm_bench"])
                .current_dir(&env.root.join("crates").join("balloon-sim"))
                .env("CHROMEDRIVER", tools::CHROMEDRIVER)
                .env_remove("BALLOON_BENCH_FULL")
                .env_remove("GECKODRIVER")
                .env_remove("WASM_BINDGEN_USE_BROWSER"),
        ),
    ]
}

/// First render and frame times from the end-to-end page benchmark, run against the `dist/`
/// just built; its figures go through a file because the test harness owns stdout.
fn page_figures(env: &Env, cargo: &dyn Fn() -> Cmd) -> Result<BTreeMap<String, Figure>, Error> {
    let out = env.root.join("target").join("bench").join("page.txt");
    let _ = std::fs::remove_file(&out);
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    step(
        "page benchmark in headless Chromium (first render, frame times)",
        cargo()
            .args(["test", "-p", "e2e", "--test", "browser", "perf::"])
            .args(["--", "--ignored", "--test-threads=1"])
            .current_dir(&env.root.join("tests"))
            .env("E2E_DIST", env.root.join("dist"))
            .env("E2E_BENCH_OUT", &out)
            .env("CHROMEDRIVER", tools::CHROMEDRIVER),
    )?;
    let text = std::fs::read_to_string(&out).map_err(|e| Error::ProjectFile {
        path: out.display().to_string(),
        problem: format!("the page benchmark wrote no figures: {e}"),
    })?;
    Ok(parse_lines(&text))
}

/// Runs `cmd`, echoes its stdout and returns it.
fn capture(name: &str, cmd: Cmd) -> Result<String, Error> {
    println!("xtask: ── {name}");
    let started = Instant::now();
    let out = cmd.stdout_ok(name)?;
    print!("{out}");
    println!("xtask: ── {name}: ok in {}", elapsed(started));
    Ok(out)
}

/// `bench: key=value` lines (anywhere in a line: test runners prefix their output). A value
/// that is not a number is kept as the reason the figure is missing.
pub fn parse_lines(text: &str) -> BTreeMap<String, Figure> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(at) = line.find("bench: ") else {
            continue;
        };
        let Some((key, value)) = line[at + 7..].split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let figure = match value.parse::<f64>() {
            Ok(v) if v.is_finite() => Figure::Value(v),
            _ => Figure::Missing(
                value
                    .strip_prefix("null:")
                    .map_or(value, str::trim_start)
                    .to_owned(),
            ),
        };
        out.insert(key.to_owned(), figure);
    }
    out
}

/// The size of the release wasm in `dist/` as a server would send it (gzip -9).
fn gzipped_wasm_bytes(dist: &Path) -> Option<u64> {
    let wasm = std::fs::read_dir(dist)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))?;
    let out = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

/// The machine's 1-minute load average now (`/proc/loadavg`, proc(5)).
fn load_average() -> Figure {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => parse_load_average(&text),
        Err(e) => Figure::Missing(format!("/proc/loadavg: {e}")),
    }
}

/// The first field of `/proc/loadavg`: "0.52 0.58 0.59 1/467 12345".
fn parse_load_average(text: &str) -> Figure {
    match text.split_whitespace().next().map(str::parse::<f64>) {
        Some(Ok(v)) if v.is_finite() && v >= 0.0 => Figure::Value(v),
        _ => Figure::Missing(format!("/proc/loadavg reads {:?}", text.trim())),
    }
}

/// CPU model, logical CPUs and kernel: enough to tell two machines' figures apart.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("unknown CPU")
        .to_owned();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|_| std::env::consts::OS.to_owned());
    format!("{model}, {cpus} CPUs, Linux {kernel}")
}

fn table(figures: &BTreeMap<String, Figure>, machine: &str) -> String {
    let mut out = format!("\nbenchmarks on {machine}\n");
    out += &format!(
        "{:<27} {:>12}  {:<8} {:<13} {}\n",
        "key", "value", "goal", "verdict", "what"
    );
    for (key, what, goal) in GOALS {
        let figure = figures
            .get(*key)
            .cloned()
            .unwrap_or(Figure::Missing(String::new()));
        let value = match &figure {
            Figure::Value(v) => format_value(*v),
            Figure::Missing(_) => "null".to_owned(),
        };
        out += &format!(
            "{key:<27} {value:>12}  {:<8} {:<13} {what}\n",
            goal.describe(),
            goal.verdict(&figure)
        );
        if let Figure::Missing(why) = figure {
            out += &format!("{:<27} {:>12}  ({why})\n", "", "");
        }
    }
    out
}

fn format_value(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

/// One flat JSON object: every figure (numbers, or `null` plus a `<key>_note` saying why),
/// and `machine`.
pub fn to_json(figures: &BTreeMap<String, Figure>, machine: &str) -> String {
    let mut fields = vec![format!("  \"machine\": {}", json_string(machine))];
    for (key, figure) in figures {
        match figure {
            Figure::Value(v) => fields.push(format!("  {}: {v}", json_string(key))),
            Figure::Missing(why) => {
                fields.push(format!("  {}: null", json_string(key)));
                fields.push(format!(
                    "  {}: {}",
                    json_string(&format!("{key}_note")),
                    json_string(why)
                ));
            }
        }
    }
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_is_the_first_field_of_proc_loadavg() {
        // proc(5): three load averages, runnable/total tasks, the last PID.
        assert_eq!(
            parse_load_average("2.47 1.03 0.80 3/512 40213\n"),
            Figure::Value(2.47)
        );
        for bad in ["", "busy 1 1", "-1 0 0", "NaN 0 0"] {
            assert!(
                matches!(parse_load_average(bad), Figure::Missing(_)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bench_lines_are_found_inside_runner_output() {
        let text = "running 2 tests\n\
                    bench: seek_browser_ms=89.745\n\
                    [log] bench: bulk_inflate_browser_s=1.6507\n\
                    bench: first_render_ms=null: window.__balloonFirstRenderMs is not set\n\
                    bench: bad key=1\n\
                    test ok\n";
        let f = parse_lines(text);
        assert_eq!(f.get("seek_browser_ms"), Some(&Figure::Value(89.745)));
        assert_eq!(
            f.get("bulk_inflate_browser_s"),
            Some(&Figure::Value(1.6507))
        );
        assert_eq!(
            f.get("first_render_ms"),
            Some(&Figure::Missing(
                "window.__balloonFirstRenderMs is not set".into()
            ))
        );
        assert_eq!(f.len(), 3, "a key with a space is not a figure");
    }

    #[test]
    fn summary_is_one_flat_object_with_notes_for_missing_figures() {
        let mut f = BTreeMap::new();
        f.insert("peak_rss_mib".to_owned(), Figure::Value(4.5));
        f.insert(
            "frame_p95_ms".to_owned(),
            Figure::Missing("no \"play\" button".into()),
        );
        let json = to_json(&f, "CPU \\ 2");
        assert_eq!(
            json,
            "{\n  \"machine\": \"CPU \\\\ 2\",\n  \"frame_p95_ms\": null,\n  \
             \"frame_p95_ms_note\": \"no \\\"play\\\" button\",\n  \"peak_rss_mib\": 4.5\n}\n"
        );
    }

    #[test]
    fn a_goal_not_met_or_unmeasured_is_missed() {
        let mut f: BTreeMap<String, Figure> = GOALS
            .iter()
            .map(|(key, _, goal)| {
                let v = match goal {
                    Goal::AtMost(g) | Goal::AtLeast(g) => *g,
                    Goal::Info => 1e9,
                };
                ((*key).to_owned(), Figure::Value(v))
            })
            .collect();
        assert!(missed_goals(&f).is_empty(), "{:?}", missed_goals(&f));
        f.insert("wasm_gz_kb".into(), Figure::Value(300.1));
        f.insert("portable_vs_rustvmm_ratio".into(), Figure::Value(0.9));
        f.insert(
            "first_render_ms".into(),
            Figure::Missing("the page benchmark wrote no figures".into()),
        );
        f.insert("frame_p95_ms".into(), Figure::Missing(NO_BROWSER.into()));
        f.remove("host_8x8g_native_s");
        let missed = missed_goals(&f);
        assert_eq!(missed.len(), 4, "{missed:?}");
        assert!(
            missed.contains(&"wasm_gz_kb = 300.1, goal <= 300".to_owned()),
            "{missed:?}"
        );
        assert!(
            missed.contains(&"portable_vs_rustvmm_ratio = 0.9, goal >= 1".to_owned()),
            "{missed:?}"
        );
        assert!(
            missed
                .iter()
                .any(|m| m.starts_with("first_render_ms not measured")),
            "{missed:?}"
        );
        assert!(
            missed.contains(&"host_8x8g_native_s not measured".to_owned()),
            "{missed:?}"
        );
    }

    #[test]
    fn every_row_of_issue_20_has_its_goal() {
        let goal = |key: &str| {
            GOALS
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, g)| g.describe())
        };
        for (key, want) in [
            ("bulk_inflate_native_s", "<= 0.1"),
            ("sim_vs_bare_ratio", "<= 3"),
            ("browser_vs_native_ratio", "<= 2"),
            ("host_8x8g_native_s", "<= 0.2"),
            ("trace_kept_bytes_per_event", "<= 64"),
            ("slowest_event_browser_ms", "<= 4"),
            ("wasm_gz_kb", "<= 300"),
            ("frame_p95_ms", "<= 8"),
            ("frame_max_ms", "<= 16"),
            ("first_render_ms", "<= 300"),
        ] {
            assert_eq!(goal(key).as_deref(), Some(want), "{key}");
        }
    }

    #[test]
    fn verdicts_follow_the_goals() {
        assert_eq!(Goal::AtMost(3.0).verdict(&Figure::Value(2.9)), "met");
        assert_eq!(Goal::AtMost(3.0).verdict(&Figure::Value(3.1)), "MISSED");
        assert_eq!(Goal::AtLeast(1.0).verdict(&Figure::Value(0.9)), "MISSED");
        assert_eq!(Goal::Info.verdict(&Figure::Value(0.9)), "");
        assert_eq!(
            Goal::AtLeast(1.0).verdict(&Figure::Missing(String::new())),
            "not measured"
        );
    }
}
