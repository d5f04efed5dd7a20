//! A straight run of a script, without history: what the CLI and the golden tests use. Events
//! are hashed and handed to an observer as they happen, never stored, so a 64 GiB bulk inflate
//! costs memory for the world only.

use virtq::Backend;

use crate::command::{Command, Script};
use crate::error::Error;
use crate::reply::Reply;
use crate::stepping::{Engine, StepEnd, apply_command};
use crate::trace::hash::TraceHash;
use crate::view::BalloonView;
use crate::world::{Detail, Input, TraceEvent, World};

/// What a run ends with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Guest RAM in bytes.
    pub ram_size: u64,
    /// Config `num_pages`.
    pub num_pages: u32,
    /// Config `actual`.
    pub actual: u32,
    /// What `query-balloon` would say, in bytes.
    pub logical_bytes: i64,
    /// 4 KiB frames the host discarded.
    pub pages_discarded_by_device: u64,
    /// Pages in the guest's balloon.
    pub pages_ballooned_by_guest: u64,
    /// Host resident bytes of guest RAM.
    pub host_resident_bytes: u64,
    /// Device status byte.
    pub status: u8,
    /// Events in the trace.
    pub event_count: u64,
    /// Virtual time at the end, ns.
    pub time_ns: u64,
    /// Trace hash (over each event's binary encoding), `0x` + 16 hex digits.
    pub trace_hash: String,
}

/// A world run straight through.
#[derive(Debug)]
pub struct Runner<B: Backend> {
    world: World<B>,
    hash: TraceHash,
    /// The encoding buffer the hash reads, reused for every event.
    scratch: Vec<u8>,
    count: u64,
    /// Most events one stepping command may make.
    budget: u64,
}

impl<B: Backend> Runner<B> {
    /// A runner on the script's machine.
    pub fn new(script: &Script) -> Result<Self, Error> {
        Ok(Self {
            world: World::new(&script.machine)?,
            hash: TraceHash::default(),
            scratch: Vec::new(),
            count: 0,
            budget: crate::stepping::MAX_EVENTS_PER_COMMAND,
        })
    }

    /// Sets the most events one stepping command may make (at least 1).
    pub fn set_budget(&mut self, events: u64) {
        self.budget = events.max(1);
    }

    /// The world.
    pub fn world(&self) -> &World<B> {
        &self.world
    }

    /// Runs one command; every event goes to `observe`, and monitor output to `reply`.
    pub fn run_command(
        &mut self,
        command: Command,
        observe: &mut dyn FnMut(&TraceEvent),
        reply: &mut dyn FnMut(Reply),
    ) -> StepEnd {
        let mut sink = |ev: &TraceEvent| {
            observe(ev);
            if let Detail::Monitor(m) = &ev.detail {
                reply(m.reply.clone());
            }
            for e in ev.qmp_events() {
                reply(e);
            }
        };
        apply_command(self, command, &mut sink)
    }

    /// Runs a whole script; the lines after one that spent its budget still run, and the
    /// first such line is returned with how it ended.
    pub fn run_script(
        &mut self,
        script: &Script,
        observe: &mut dyn FnMut(&TraceEvent),
        reply: &mut dyn FnMut(Reply),
    ) -> Option<(u32, StepEnd)> {
        let mut first = None;
        for line in &script.lines {
            let end = self.run_command(line.command.clone(), observe, reply);
            if end != StepEnd::Done && first.is_none() {
                first = Some((line.line, end));
            }
        }
        first
    }

    /// The trace hash so far.
    pub fn trace_hash(&self) -> u64 {
        self.hash.0
    }

    /// The closing numbers.
    pub fn summary(&self) -> Summary {
        let BalloonView {
            ram_size,
            num_pages,
            actual,
            logical_bytes,
            discarded_frames,
            host_resident_bytes,
            guest_ballooned_pages,
            status,
            now_ns,
            ..
        } = self.world.balloon_view();
        Summary {
            ram_size,
            num_pages,
            actual,
            logical_bytes,
            pages_discarded_by_device: discarded_frames,
            pages_ballooned_by_guest: guest_ballooned_pages,
            host_resident_bytes,
            status,
            event_count: self.count,
            time_ns: now_ns,
            trace_hash: crate::trace::hash::hex(self.hash.0),
        }
    }

    fn account(&mut self, ev: &TraceEvent) {
        self.hash.feed_with(ev, &mut self.scratch);
        self.count += 1;
    }
}

impl<B: Backend> Engine for Runner<B> {
    type W = World<B>;
    type Ev = TraceEvent;
    type In = Input;
    fn world(&self) -> &World<B> {
        &self.world
    }
    fn budget(&self) -> u64 {
        self.budget
    }
    fn act(&mut self, input: Input, sink: &mut dyn FnMut(&TraceEvent)) {
        let ev = self.world.apply(&input);
        self.account(&ev);
        sink(&ev);
    }
    fn step(&mut self, sink: &mut dyn FnMut(&TraceEvent)) -> bool {
        match self.world.step_event() {
            Some(ev) => {
                self.account(&ev);
                sink(&ev);
                true
            }
            None => false,
        }
    }
}

/// Runs `text` on backend `B` and returns the replies and the summary (for tests).
pub fn run_text<B: Backend>(text: &str) -> Result<(Vec<Reply>, Summary), Error> {
    run_text_as::<B>(text, None)
}

/// [`run_text`] on the device profile `profile` (a `-profile` name) instead of the script's.
pub fn run_text_as<B: Backend>(
    text: &str,
    profile: Option<balloon_device::Vmm>,
) -> Result<(Vec<Reply>, Summary), Error> {
    let mut script = crate::command::parse_script(text)?;
    if let Some(vmm) = profile {
        script.machine.profile = vmm.name().to_owned();
    }
    let mut runner = Runner::<B>::new(&script)?;
    let mut replies = Vec::new();
    // Tests compare what a script printed; a budget spent shows in the summary's event count.
    let _ = runner.run_script(&script, &mut |_| {}, &mut |r| replies.push(r));
    Ok((replies, runner.summary()))
}
