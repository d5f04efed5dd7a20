//! A host script run straight through (the CLI, the golden tests): events hashed and handed
//! to an observer as they happen, never stored; the closing summary.

use std::collections::BTreeMap;

use serde::Serialize;
use virtq::Backend;

use super::script::{HostAction, HostScript};
use super::{Host, HostDetail, HostEvent, HostInput, VmState};
use crate::error::Error;
use crate::reply::Reply;
use crate::stepping::{Clocked, Engine, StepEnd, run_step};
use crate::trace::hash::{TraceHash, hex};
use crate::world::Detail;

/// The host at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostTotals {
    /// Physical RAM, bytes.
    pub ram: u64,
    /// Free RAM, bytes.
    pub free: u64,
    /// The host's own use, bytes.
    pub own: u64,
    /// Swap size, bytes.
    pub swap: u64,
    /// Swap in use, bytes.
    pub swap_used: u64,
    /// The policy at the end (`off`, `mom 10s`).
    pub policy: String,
}

/// One VM at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmSummary {
    /// `running` or `oom-killed`.
    pub state: &'static str,
    /// When the OOM killer took it, ns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub killed_at_ns: Option<u64>,
    /// Guest RAM, bytes.
    pub ram_size: u64,
    /// Config `num_pages` (none once the process is gone).
    pub num_pages: Option<u32>,
    /// Config `actual` (none once the process is gone).
    pub actual: Option<u32>,
    /// Guest pages resident in host RAM, bytes.
    pub resident_bytes: u64,
    /// Guest pages in the host's swap, bytes.
    pub swapped_bytes: u64,
    /// Host RAM the QEMU process holds (overhead + resident guest pages), bytes.
    pub host_bytes: u64,
}

/// What a host run ends with: `{"host": …, "vms": {"NAME": …}, "trace_hash": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    /// The host.
    pub host: HostTotals,
    /// Each VM by name.
    pub vms: BTreeMap<String, VmSummary>,
    /// Events in the trace.
    pub event_count: u64,
    /// Virtual time at the end, ns.
    pub time_ns: u64,
    /// Trace hash (over each event's binary encoding), `0x` + 16 hex digits.
    pub trace_hash: String,
}

/// A host run straight through.
#[derive(Debug)]
pub struct HostRunner<B: Backend> {
    host: Host<B>,
    hash: TraceHash,
    /// The encoding buffer the hash reads, reused for every event.
    scratch: Vec<u8>,
    /// Most events one stepping command may make.
    budget: u64,
}

impl<B: Backend> HostRunner<B> {
    /// A runner on the script's host.
    pub fn new(script: &HostScript) -> Result<Self, Error> {
        Ok(Self {
            host: Host::new(script)?,
            hash: TraceHash::default(),
            scratch: Vec::new(),
            budget: crate::stepping::MAX_EVENTS_PER_COMMAND,
        })
    }

    /// Sets the most events one stepping command may make (at least 1).
    pub fn set_budget(&mut self, events: u64) {
        self.budget = events.max(1);
    }

    /// The host.
    pub fn host(&self) -> &Host<B> {
        &self.host
    }

    /// Runs the script; every event goes to `observe`, each VM's monitor output to `reply`
    /// with the VM's index. The lines after one that spent its budget still run; the first
    /// such line is returned with how it ended.
    pub fn run_script(
        &mut self,
        script: &HostScript,
        observe: &mut dyn FnMut(&Host<B>, &HostEvent),
        reply: &mut dyn FnMut(usize, Reply),
    ) -> Option<(u32, StepEnd)> {
        let mut first = None;
        for line in &script.lines {
            let end = self.run_action(&line.action, observe, reply);
            if end != StepEnd::Done && first.is_none() {
                first = Some((line.line, end));
            }
        }
        first
    }

    /// Runs one line.
    pub fn run_action(
        &mut self,
        action: &HostAction,
        observe: &mut dyn FnMut(&Host<B>, &HostEvent),
        reply: &mut dyn FnMut(usize, Reply),
    ) -> StepEnd {
        if let HostAction::Step(s) = action {
            return self.step_observed(*s, observe, reply);
        }
        let mut events = Vec::new();
        let mut sink = |ev: &HostEvent| events.push(ev.clone());
        match action {
            HostAction::Step(_) => {}
            HostAction::Policy(p) => self.host.apply(&HostInput::Policy(*p), &mut sink),
            HostAction::Vm { vm, command } => {
                if command.is_monitor() {
                    self.host.create_machine(*vm, &mut sink);
                }
                let input = HostInput::Vm {
                    vm: *vm,
                    command: command.clone(),
                };
                self.host.apply(&input, &mut sink);
            }
        }
        for ev in &events {
            self.account(ev);
            observe(&self.host, ev);
            emit_replies(ev, reply);
        }
        StepEnd::Done
    }

    fn step_observed(
        &mut self,
        s: crate::command::StepCommand,
        observe: &mut dyn FnMut(&Host<B>, &HostEvent),
        reply: &mut dyn FnMut(usize, Reply),
    ) -> StepEnd {
        let mut stepper = Observed {
            runner: self,
            observe,
            reply,
        };
        run_step(&mut stepper, s, &mut |_| {})
    }

    fn account(&mut self, ev: &HostEvent) {
        self.hash.feed_with(ev, &mut self.scratch);
    }

    /// The trace hash so far.
    pub fn trace_hash(&self) -> u64 {
        self.hash.0
    }

    /// The closing numbers.
    pub fn summary(&self) -> HostSummary {
        let h = &self.host;
        let vms = h
            .vms()
            .iter()
            .map(|v| {
                let b = v.world().map(|w| w.balloon_view());
                let s = VmSummary {
                    state: v.state().as_str(),
                    killed_at_ns: match v.state() {
                        VmState::OomKilled { at_ns } => Some(at_ns),
                        VmState::Running => None,
                    },
                    ram_size: v.machine().ram_size,
                    num_pages: b.as_ref().map(|b| b.num_pages),
                    actual: b.as_ref().map(|b| b.actual),
                    resident_bytes: v.guest_rss_bytes(),
                    swapped_bytes: v.swapped_bytes(),
                    host_bytes: v.host_bytes(),
                };
                (v.name().to_owned(), s)
            })
            .collect();
        HostSummary {
            host: HostTotals {
                ram: h.config().ram,
                free: h.free_bytes(),
                own: h.config().own,
                swap: h.config().swap,
                swap_used: h.swap_used_bytes(),
                policy: h.policy().to_string(),
            },
            vms,
            event_count: h.event_count(),
            time_ns: Clocked::now_ns(h),
            trace_hash: hex(self.hash.0),
        }
    }
}

/// The monitor replies and QMP events an event carries, for its VM.
pub(super) fn emit_replies(ev: &HostEvent, reply: &mut dyn FnMut(usize, Reply)) {
    if let HostDetail::VmGone { vm, request } = &ev.detail {
        // Nothing listens on a dead QEMU's monitor socket: the host says so, once a line.
        reply(
            *vm,
            Reply::Hmp(format!(
                "no QEMU process to answer \"{request}\": the host's OOM killer killed it"
            )),
        );
    }
    if let HostDetail::Vm { vm, event } = &ev.detail {
        if let Detail::Monitor(m) = &event.detail {
            reply(*vm, m.reply.clone());
        }
        for e in event.qmp_events() {
            reply(*vm, e);
        }
    }
}

/// The runner while a stepping command runs: each event is hashed and observed as it comes.
struct Observed<'a, B: Backend> {
    runner: &'a mut HostRunner<B>,
    observe: &'a mut dyn FnMut(&Host<B>, &HostEvent),
    reply: &'a mut dyn FnMut(usize, Reply),
}

impl<B: Backend> Engine for Observed<'_, B> {
    type W = Host<B>;
    type Ev = HostEvent;
    type In = HostInput;
    fn world(&self) -> &Host<B> {
        &self.runner.host
    }
    fn budget(&self) -> u64 {
        self.runner.budget
    }
    fn act(&mut self, input: HostInput, sink: &mut dyn FnMut(&HostEvent)) {
        let mut events = Vec::new();
        self.runner
            .host
            .apply(&input, &mut |ev| events.push(ev.clone()));
        for ev in &events {
            self.runner.account(ev);
            (self.observe)(&self.runner.host, ev);
            emit_replies(ev, self.reply);
            sink(ev);
        }
    }
    fn step(&mut self, sink: &mut dyn FnMut(&HostEvent)) -> bool {
        match self.runner.host.step_event() {
            Some(ev) => {
                self.runner.account(&ev);
                (self.observe)(&self.runner.host, &ev);
                emit_replies(&ev, self.reply);
                sink(&ev);
                true
            }
            None => false,
        }
    }
}

/// Runs a host script on backend `B`: the replies (with their VM's name) and the summary.
pub fn run_host_text<B: Backend>(text: &str) -> Result<(Vec<(String, Reply)>, HostSummary), Error> {
    let script = super::script::parse_host_script(text)?;
    let mut runner = HostRunner::<B>::new(&script)?;
    let names = runner.host.names();
    let mut replies = Vec::new();
    runner.run_script(&script, &mut |_, _| {}, &mut |vm, r| {
        replies.push((names.get(vm).cloned().unwrap_or_default(), r));
    });
    Ok((replies, runner.summary()))
}

/// A host run as its golden file holds it: each reply after its VM's name (`@db {...}`), then
/// `{"summary": …}` pretty-printed. The same text natively and in wasm32.
pub fn transcript(replies: &[(String, Reply)], summary: &HostSummary) -> String {
    let mut s = String::new();
    for (vm, r) in replies {
        s += &format!("@{vm} {}\n", r.to_line());
    }
    s += &serde_json::to_string_pretty(&serde_json::json!({ "summary": summary }))
        .unwrap_or_default();
    s.push('\n');
    s
}
