//! `balloon-sim`: run balloon scripts from the command line.
//!
//! ```text
//! balloon-sim run SCRIPT|- [--backend portable|rust-vmm] [--seed N]
//!                          [--profile qemu|cloud-hypervisor|firecracker|crosvm]
//!                          [--trace none|message|ring] [--format text|json]
//!                          [--max-events N]  (most events one stepping line may make;
//!                          a line that reaches it is an error, exit status 1)
//! balloon-sim run --preset NAME [options]
//! balloon-sim compare SCRIPT|-|--preset NAME --profiles A,B [--backend B] [--seed N]
//!                          [--format text|json] [--max-events N]
//! balloon-sim presets
//! balloon-sim import TRACE|- [--qmp QMP.jsonl] [--format text|json] [--free-page-hint]
//! ```
//!
//! `compare` runs the script on two device profiles in lockstep and prints the first event
//! where they differ and a table of counts.
//!
//! `import` reads a real QEMU run (the `log` trace backend's output, plain or gzip) and prints
//! its events and summary; see `balloon_sim::import`. Exit status 1 also when the trace gives
//! no recording (empty, binary, no trace line) or could not be read to its end.
//!
//! Exit status: 0 on success, 2 on a script or usage error (the message, with line:column, goes
//! to stderr), 1 when the machine cannot be built or the script cannot be read.
#![forbid(unsafe_code)]

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use balloon_device::Vmm;
use balloon_sim::command::{
    Backend, MAX_SCRIPT_LEN, Script, ScriptError, parse_script, script_from_bytes,
};
use balloon_sim::reply::{Reply, qemu_json};
use balloon_sim::world::TraceEvent;
use balloon_sim::{Error, Runner, Summary, presets};
use serde_json::json;

#[path = "balloon-sim/host.rs"]
mod host;
#[path = "balloon-sim/import.rs"]
mod import;

const USAGE: &str = "usage:
  balloon-sim run SCRIPT|- [--backend portable|rust-vmm] [--seed N] [--profile qemu|cloud-hypervisor|firecracker|crosvm] [--trace none|message|ring] [--format text|json] [--max-events N]
  balloon-sim run --preset NAME [options]
  balloon-sim compare SCRIPT|-|--preset NAME --profiles A,B [--backend portable|rust-vmm] [--seed N] [--format text|json] [--max-events N]
  balloon-sim presets
  balloon-sim import TRACE|- [--qmp QMP.jsonl] [--format text|json] [--free-page-hint]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TraceLevel {
    None,
    Message,
    Ring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Debug)]
struct Options {
    source: Option<String>,
    preset: Option<String>,
    backend: Option<Backend>,
    seed: Option<u64>,
    profile: Option<Vmm>,
    profiles: Option<(Vmm, Vmm)>,
    trace: TraceLevel,
    format: Format,
    /// `--max-events`: most events one stepping line may make.
    max_events: u64,
}

fn parse_profile(v: &str) -> Result<Vmm, String> {
    Vmm::parse(v).ok_or_else(|| {
        format!("unknown profile {v:?}: expected qemu, cloud-hypervisor, firecracker or crosvm")
    })
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        source: None,
        preset: None,
        backend: None,
        seed: None,
        profile: None,
        profiles: None,
        trace: TraceLevel::None,
        format: Format::Text,
        max_events: balloon_sim::stepping::MAX_EVENTS_PER_COMMAND,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--preset" => o.preset = Some(value("--preset")?),
            "--backend" => {
                let v = value("--backend")?;
                o.backend = Some(Backend::parse(&v).ok_or_else(|| {
                    format!("unknown backend {v:?}: expected portable or rust-vmm")
                })?);
            }
            "--seed" => {
                let v = value("--seed")?;
                o.seed = Some(
                    v.parse()
                        .map_err(|_| format!("invalid seed {v:?}: expected a number"))?,
                );
            }
            "--profile" => o.profile = Some(parse_profile(&value("--profile")?)?),
            "--max-events" => {
                let v = value("--max-events")?;
                o.max_events = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("invalid --max-events {v:?}: expected a number of events, at least 1")
                })?;
            }
            "--profiles" => {
                let v = value("--profiles")?;
                let (a, b) = v
                    .split_once(',')
                    .ok_or_else(|| format!("--profiles {v:?}: expected two names, A,B"))?;
                o.profiles = Some((parse_profile(a)?, parse_profile(b)?));
            }
            "--trace" => {
                o.trace = match value("--trace")?.as_str() {
                    "none" => TraceLevel::None,
                    "message" => TraceLevel::Message,
                    "ring" => TraceLevel::Ring,
                    v => {
                        return Err(format!(
                            "unknown trace level {v:?}: expected none, message or ring"
                        ));
                    }
                }
            }
            "--format" => {
                o.format = match value("--format")?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    v => return Err(format!("unknown format {v:?}: expected text or json")),
                }
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if o.source.is_none() => o.source = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s:?}")),
        }
    }
    if o.source.is_some() == o.preset.is_some() {
        return Err("run needs exactly one of SCRIPT, - or --preset NAME".to_owned());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("presets") => {
            for p in presets::PRESETS
                .iter()
                .chain(balloon_sim::host::presets::HOST_PRESETS)
            {
                println!("{:<24} {}: {}", p.name, p.title(), p.description());
            }
            ExitCode::SUCCESS
        }
        Some("run") if args[1..].iter().any(|a| a == "--help" || a == "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("run") => match parse_args(&args[1..]) {
            Ok(o) if o.profiles.is_some() => {
                eprintln!("balloon-sim: --profiles is for compare\n{USAGE}");
                ExitCode::from(2)
            }
            Ok(o) => run(&o),
            Err(e) => {
                eprintln!("balloon-sim: {e}\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("compare") => match parse_args(&args[1..]) {
            Ok(Options { profiles: None, .. }) => {
                eprintln!("balloon-sim: compare needs --profiles A,B\n{USAGE}");
                ExitCode::from(2)
            }
            Ok(o) => compare(&o),
            Err(e) => {
                eprintln!("balloon-sim: {e}\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("import") => match import::parse_args(&args[1..]) {
            Ok(o) => import::run(&o),
            Err(e) => {
                eprintln!("balloon-sim: {e}\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The name and text of the script `o` names (a file, stdin or a preset).
fn load_text(o: &Options) -> Result<(String, String), ExitCode> {
    let (name, text) = match (&o.preset, &o.source) {
        (Some(p), _) => match presets::get(p).or_else(|| balloon_sim::host::presets::get(p)) {
            Some(p) => (p.name.to_owned(), p.text.to_owned()),
            None => {
                eprintln!("balloon-sim: no preset {p:?} (see `balloon-sim presets`)");
                return Err(ExitCode::from(2));
            }
        },
        (None, Some(path)) => {
            let (name, read) = if path == "-" {
                ("<stdin>".to_owned(), read_capped(io::stdin().lock()))
            } else {
                let file = std::fs::File::open(path);
                (path.clone(), file.and_then(read_capped))
            };
            let bytes = match read {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("balloon-sim: cannot read {name}: {e}");
                    return Err(ExitCode::FAILURE);
                }
            };
            match script_from_bytes(&bytes) {
                Ok(text) => (name, text.to_owned()),
                Err(e) => {
                    eprintln!(
                        "{name}:{}:{}: error: {}; expected {}",
                        e.line, e.column, e.message, e.expected
                    );
                    return Err(ExitCode::from(2));
                }
            }
        }
        (None, None) => unreachable_usage(),
    };
    Ok((name, text))
}

/// The single-VM script `o` names, with the command line's overrides.
fn load(o: &Options) -> Result<Script, ExitCode> {
    let (name, text) = load_text(o)?;
    let mut script = match parse_script(&text) {
        Ok(s) => s,
        Err(e) => return Err(script_error(&name, &e)),
    };
    o.override_machine(&mut script.machine);
    Ok(script)
}

fn run(o: &Options) -> ExitCode {
    let (name, text) = match load_text(o) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if balloon_sim::host::is_host_script(&text) {
        return run_host(&name, &text, o);
    }
    let mut script = match parse_script(&text) {
        Ok(s) => s,
        Err(e) => return script_error(&name, &e),
    };
    o.override_machine(&mut script.machine);
    exit_code(match script.machine.backend {
        Backend::Portable => execute::<virtq::Portable>(&script, o),
        Backend::RustVmm => execute_rust_vmm(&script, o),
    })
}

/// A script that does not parse: `NAME:LINE:COLUMN: error: ...` and exit status 2.
fn script_error(name: &str, e: &ScriptError) -> ExitCode {
    eprintln!(
        "{name}:{}:{}: error: {}; expected {}",
        e.line, e.column, e.message, e.expected
    );
    ExitCode::from(2)
}

/// Exit status 0, or 1 with the error when the machine could not be built.
fn exit_code(result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("balloon-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

impl Options {
    /// `--seed`, `--backend` and `--profile` override the script's machine line.
    fn override_machine(&self, machine: &mut balloon_sim::command::MachineConfig) {
        if let Some(seed) = self.seed {
            machine.seed = seed;
        }
        if let Some(b) = self.backend {
            machine.backend = b;
        }
        if let Some(p) = self.profile {
            machine.profile = p.name().to_owned();
        }
    }
}

/// A script with several VMs (see `balloon_sim::host::script`).
fn run_host(name: &str, text: &str, o: &Options) -> ExitCode {
    let mut script = match balloon_sim::host::parse_host_script(text) {
        Ok(s) => s,
        Err(e) => return script_error(name, &e),
    };
    for vm in &mut script.vms {
        o.override_machine(&mut vm.machine);
    }
    let backend = script
        .vms
        .first()
        .map(|v| v.machine.backend)
        .unwrap_or_default();
    exit_code(match backend {
        Backend::Portable => host::execute::<virtq::Portable>(&script, o),
        Backend::RustVmm => host::execute_rust_vmm(&script, o),
    })
}

fn compare(o: &Options) -> ExitCode {
    let script = match load(o) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some((a, b)) = o.profiles else {
        return ExitCode::from(2);
    };
    let result = match script.machine.backend {
        Backend::Portable => {
            balloon_sim::compare::profiles::compare::<virtq::Portable>(&script, a, b, o.max_events)
        }
        Backend::RustVmm => compare_rust_vmm(&script, a, b, o.max_events),
    };
    let c = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("balloon-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if o.format == Format::Json {
        let _ = writeln!(out, "{}", json!({ "compare": c }));
        let _ = out.flush();
        return ExitCode::SUCCESS;
    }
    let (na, nb) = c.profiles;
    match &c.first_divergence {
        None => {
            let _ = writeln!(out, "no divergence: {na} and {nb} give the same events");
        }
        Some(d) => {
            let _ = writeln!(
                out,
                "first divergence: event #{} (script line {})",
                d.index, d.line
            );
            for (name, e) in [(na, &d.a), (nb, &d.b)] {
                let text = e.as_ref().map_or("(no event)".to_owned(), |e| {
                    format!(
                        "[{}] {}: {}",
                        balloon_sim::clock::format_time(e.time_ns),
                        e.function,
                        e.sentence
                    )
                });
                let _ = writeln!(out, "  {name:<16} {text}");
            }
        }
    }
    let _ = writeln!(out, "\n{:<28} {:>16} {:>16}", "count", na, nb);
    for r in &c.rows {
        let mark = if r.a == r.b { "" } else { "  *" };
        let _ = writeln!(out, "{:<28} {:>16} {:>16}{mark}", r.what, r.a, r.b);
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

#[cfg(not(target_arch = "wasm32"))]
fn compare_rust_vmm(
    script: &Script,
    a: Vmm,
    b: Vmm,
    budget: u64,
) -> Result<balloon_sim::compare::profiles::Comparison, Error> {
    balloon_sim::compare::profiles::compare::<virtq::RustVmm>(script, a, b, budget)
}

#[cfg(target_arch = "wasm32")]
fn compare_rust_vmm(
    _: &Script,
    _: Vmm,
    _: Vmm,
    _: u64,
) -> Result<balloon_sim::compare::profiles::Comparison, Error> {
    Err(Error::BackendUnavailable)
}

fn unreachable_usage() -> (String, String) {
    // parse_args guarantees a source or a preset.
    ("<none>".to_owned(), String::new())
}

#[cfg(not(target_arch = "wasm32"))]
fn execute_rust_vmm(script: &Script, o: &Options) -> Result<(), Error> {
    execute::<virtq::RustVmm>(script, o)
}

#[cfg(target_arch = "wasm32")]
fn execute_rust_vmm(_: &Script, _: &Options) -> Result<(), Error> {
    Err(Error::BackendUnavailable)
}

fn execute<B: virtq::Backend>(script: &Script, o: &Options) -> Result<(), Error> {
    let mut runner = Runner::<B>::new(script)?;
    runner.set_budget(o.max_events);
    let stdout = io::stdout();
    // Trace lines and replies go out as they happen, in one stream: the runner reports each
    // event, then what the monitor printed for it, so a BALLOON_CHANGE lands among the events
    // of its instant; nothing is held per command, so a long `run` costs no memory here.
    let out = std::cell::RefCell::new(BufWriter::new(stdout.lock()));
    let mut stopped = None;
    for line in &script.lines {
        let mut observe = |ev: &TraceEvent| {
            let show = match o.trace {
                TraceLevel::None => false,
                TraceLevel::Ring => true,
                TraceLevel::Message => ev.ends_message() || ev.is_operator(),
            };
            if show {
                let _ = writeln!(out.borrow_mut(), "{}", trace_line(ev, o.format));
            }
        };
        let mut reply = |r: Reply| {
            // HMP prints nothing for `balloon 512`; neither do we.
            if !(o.format == Format::Text && matches!(&r, Reply::Hmp(t) if t.is_empty())) {
                let _ = writeln!(out.borrow_mut(), "{}", reply_line(&r, o.format));
            }
        };
        let end = runner.run_command(line.command.clone(), &mut observe, &mut reply);
        if stopped.is_none() {
            stopped = end.message().map(|message| Error::Stopped {
                line: line.line,
                message,
            });
        }
    }
    let mut out = out.into_inner();
    let _ = writeln!(out, "{}", summary_line(&runner.summary(), o.format));
    let _ = out.flush();
    stopped.map_or(Ok(()), Err)
}

fn reply_line(r: &Reply, format: Format) -> String {
    match (r, format) {
        (Reply::Hmp(text), Format::Json) => qemu_json(&json!({ "hmp": text })),
        (r, _) => r.to_line(),
    }
}

fn trace_line(ev: &TraceEvent, format: Format) -> String {
    match format {
        Format::Json => {
            let v = json!({ "trace": {
                "index": ev.index,
                "time_ns": ev.time_ns,
                "actor": ev.actor,
                "queue": ev.queue.map(|q| q.as_str()),
                "function": ev.function(),
                "spec": ev.spec(),
                "sentence": ev.sentence(),
                "moves": ev.moves(),
                "pfns": ev.pfns(),
            }});
            v.to_string()
        }
        Format::Text => format!(
            "[{:>14}] #{:<7} {:<9} {:<12} {}: {}",
            balloon_sim::clock::format_time(ev.time_ns),
            ev.index,
            ev.actor.label(),
            ev.queue.map(|q| q.as_str()).unwrap_or("-"),
            ev.function(),
            ev.sentence()
        ),
    }
}

fn summary_line(s: &Summary, format: Format) -> String {
    match format {
        Format::Json => json!({ "summary": s }).to_string(),
        Format::Text => format!(
            "summary: ram_size={} num_pages={} actual={} logical_bytes={} discarded_by_device={} ballooned_by_guest={} host_resident={} status={:#04x} events={} time={} trace_hash={}",
            s.ram_size,
            s.num_pages,
            s.actual,
            s.logical_bytes,
            s.pages_discarded_by_device,
            s.pages_ballooned_by_guest,
            s.host_resident_bytes,
            s.status,
            s.event_count,
            balloon_sim::clock::format_time(s.time_ns),
            s.trace_hash
        ),
    }
}

/// Reads at most one byte more than a script may hold, so a huge file or an endless pipe is
/// refused (by `script_from_bytes`) without being read whole.
fn read_capped(r: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(MAX_SCRIPT_LEN as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}
