//! `balloon-sim run` on a host script: several VMs, one trace, replies prefixed with their VM
//! (`@db {"return": {}}`), and the summary `{"summary": {"host": …, "vms": {…}, …}}`.

use std::io::{self, BufWriter, Write};

use balloon_sim::Error;
use balloon_sim::host::{Host, HostEvent, HostRunner, HostScript, HostSummary};
use balloon_sim::reply::Reply;
use serde_json::json;

use super::{Format, Options, TraceLevel, reply_line};

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn execute_rust_vmm(script: &HostScript, o: &Options) -> Result<(), Error> {
    execute::<virtq::RustVmm>(script, o)
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn execute_rust_vmm(_: &HostScript, _: &Options) -> Result<(), Error> {
    Err(Error::BackendUnavailable)
}

pub(crate) fn execute<B: virtq::Backend>(script: &HostScript, o: &Options) -> Result<(), Error> {
    let mut runner = HostRunner::<B>::new(script)?;
    runner.set_budget(o.max_events);
    let names = runner.host().names();
    let stdout = io::stdout();
    // Trace lines go out as they happen (a long `run` holds none of them); a line's replies
    // follow its events.
    let out = std::cell::RefCell::new(BufWriter::new(stdout.lock()));
    let mut stopped = None;
    for line in &script.lines {
        let mut observe = |h: &Host<B>, ev: &HostEvent| {
            let show = match (o.trace, &ev.detail) {
                (TraceLevel::None, _) => false,
                (TraceLevel::Ring, _) => true,
                (TraceLevel::Message, balloon_sim::host::HostDetail::Vm { event, .. }) => {
                    event.ends_message() || event.is_operator()
                }
                (TraceLevel::Message, _) => true,
            };
            if show {
                let _ = writeln!(out.borrow_mut(), "{}", trace_line(h, ev, o.format));
            }
        };
        let mut replies: Vec<(usize, Reply)> = Vec::new();
        let end = runner.run_action(&line.action, &mut observe, &mut |vm, r| {
            replies.push((vm, r))
        });
        if stopped.is_none() {
            stopped = end.message().map(|message| Error::Stopped {
                line: line.line,
                message,
            });
        }
        let mut out = out.borrow_mut();
        for (vm, r) in replies {
            if o.format == Format::Text && matches!(&r, Reply::Hmp(t) if t.is_empty()) {
                continue;
            }
            let name = names.get(vm).map_or("?", String::as_str);
            let line = reply_line(&r, o.format);
            let _ = match o.format {
                // One JSON object a line: the VM's name, and its reply as QEMU prints it.
                Format::Json => {
                    let reply: serde_json::Value =
                        serde_json::from_str(&line).unwrap_or(serde_json::Value::String(line));
                    writeln!(out, "{}", json!({ "vm": name, "reply": reply }))
                }
                Format::Text => writeln!(out, "@{name} {line}"),
            };
        }
    }
    let mut out = out.into_inner();
    let _ = writeln!(out, "{}", summary_line(&runner.summary(), o.format));
    let _ = out.flush();
    stopped.map_or(Ok(()), Err)
}

fn trace_line<B: virtq::Backend>(h: &Host<B>, ev: &HostEvent, format: Format) -> String {
    let names = h.names();
    let vm = ev.vm().and_then(|i| names.get(i)).map(String::as_str);
    match format {
        Format::Json => json!({ "trace": {
            "index": ev.index,
            "time_ns": ev.time_ns,
            "vm": vm,
            "function": ev.function(),
            "sentence": ev.sentence(&names),
        }})
        .to_string(),
        Format::Text => format!(
            "[{:>14}] #{:<7} {}: {}",
            balloon_sim::clock::format_time(ev.time_ns),
            ev.index,
            ev.function(),
            ev.sentence(&names)
        ),
    }
}

fn summary_line(s: &HostSummary, format: Format) -> String {
    match format {
        Format::Json => json!({ "summary": s }).to_string(),
        Format::Text => {
            let mut t = format!(
                "summary: host ram={} free={} own={} swap_used={} policy={}",
                s.host.ram, s.host.free, s.host.own, s.host.swap_used, s.host.policy
            );
            for (name, v) in &s.vms {
                t += &format!(
                    "; {name}: {} ram_size={} actual={} resident={} swapped={}",
                    v.state,
                    v.ram_size,
                    v.actual.map_or("-".to_owned(), |a| a.to_string()),
                    v.resident_bytes,
                    v.swapped_bytes
                );
            }
            t += &format!(
                "; events={} time={} trace_hash={}",
                s.event_count,
                balloon_sim::clock::format_time(s.time_ns),
                s.trace_hash
            );
            t
        }
    }
}
