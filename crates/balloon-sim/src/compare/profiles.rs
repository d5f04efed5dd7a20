//! One script, two device profiles, in lockstep: the first event where the two runs differ and
//! a table of counts (events by kind, guest errors, the closing numbers). The CLI's
//! `balloon-sim compare` prints it; the page's compare view shows it beside both runs. The two
//! sides are two profiles, or one profile with two property sets ([`side_machine`]).

use balloon_device::Vmm;
use virtq::Backend;

use crate::command::{MachineConfig, Script};
use crate::error::Error;
use crate::runner::{Runner, Summary};
use crate::world::{Detail, TraceEvent};

/// The event kinds counted, in [`TraceEvent::kind`]'s words.
pub const KINDS: [&str; 12] = [
    "config",
    "status",
    "desc",
    "avail",
    "kick",
    "pop",
    "pages",
    "used",
    "notify",
    "interrupt",
    "timer",
    "monitor",
];

/// One side of a comparison, `PROFILE[:PROP=VALUE...]` (`qemu`, `qemu:deflate-on-oom=on`):
/// `base` with that `-profile` and those `-device virtio-balloon` properties on top, as if the
/// machine line ended with them.
pub fn side_machine(base: &MachineConfig, side: &str) -> Result<MachineConfig, String> {
    let mut parts = side.split(':');
    let name = parts.next().unwrap_or_default();
    if Vmm::parse(name).is_none() {
        return Err(format!(
            "\"{side}\": no profile is called \"{name}\"; profiles: {}",
            Vmm::ALL.map(Vmm::name).join(", ")
        ));
    }
    let mut line = format!("{} -profile {name}", base.to_line());
    let props: Vec<_> = parts.collect();
    if !props.is_empty() {
        if props
            .iter()
            .any(|p| p.is_empty() || p.contains(char::is_whitespace))
        {
            return Err(format!(
                "\"{side}\": properties go as PROFILE:PROP=VALUE:PROP=VALUE, without spaces"
            ));
        }
        line += &format!(" -device virtio-balloon,{}", props.join(","));
    }
    MachineConfig::parse(&line)
        .map_err(|e| format!("\"{side}\": {}; expected {}", e.message, e.expected))
}

/// A side's label: the profile, and its properties when it names some.
pub fn side_label(side: &str) -> String {
    side.replacen(':', " ", 1).replace(':', ", ")
}

/// One side's event at the point of divergence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventLine {
    /// Virtual time.
    pub time_ns: u64,
    /// The real function.
    pub function: &'static str,
    /// The event's sentence.
    pub sentence: String,
}

impl EventLine {
    fn of(ev: &TraceEvent) -> Self {
        Self {
            time_ns: ev.time_ns,
            function: ev.function(),
            sentence: ev.sentence(),
        }
    }
}

/// Where the two runs first differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Divergence {
    /// The event index (the same on both sides up to here).
    pub index: u64,
    /// The script line (1-based) whose command produced it.
    pub line: u32,
    /// Side A's event there (`None` if A had no more events in that command).
    pub a: Option<EventLine>,
    /// Side B's event there.
    pub b: Option<EventLine>,
}

/// One row of the counts table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CountRow {
    /// What is counted.
    pub what: String,
    /// Side A.
    pub a: u64,
    /// Side B.
    pub b: u64,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Comparison {
    /// The two profiles.
    pub profiles: (&'static str, &'static str),
    /// The first differing event, `None` when the traces agree event for event.
    pub first_divergence: Option<Divergence>,
    /// Counts per side.
    pub rows: Vec<CountRow>,
    /// The closing summaries.
    pub summaries: (Summary, Summary),
}

#[derive(Default)]
struct Tally {
    kinds: [u64; KINDS.len()],
    guest_errors: u64,
    events: u64,
}

impl Tally {
    fn add(&mut self, ev: &TraceEvent) {
        self.events += 1;
        if let Some(k) = KINDS.iter().position(|k| *k == ev.kind()) {
            self.kinds[k] += 1;
        }
        if let Detail::Device(d) = &ev.detail
            && d.is_guest_error()
        {
            self.guest_errors += 1;
        }
    }
}

/// Runs `script` on profiles `a` and `b` (backend `B`), one command at a time on both, each
/// stepping line making at most `budget` events on each side.
pub fn compare<B: Backend>(
    script: &Script,
    a: Vmm,
    b: Vmm,
    budget: u64,
) -> Result<Comparison, Error> {
    let mut ma = script.machine.clone();
    ma.profile = a.name().to_owned();
    let mut mb = script.machine.clone();
    mb.profile = b.name().to_owned();
    compare_within::<B>(script, &ma, &mb, budget)
}

/// Runs `script`'s lines on machines `a` and `b` (its own machine line is replaced), one
/// command at a time on both: two profiles, or one profile with two property sets.
pub fn compare_machines<B: Backend>(
    script: &Script,
    a: &MachineConfig,
    b: &MachineConfig,
) -> Result<Comparison, Error> {
    compare_within::<B>(script, a, b, crate::stepping::MAX_EVENTS_PER_COMMAND)
}

fn compare_within<B: Backend>(
    script: &Script,
    a: &MachineConfig,
    b: &MachineConfig,
    budget: u64,
) -> Result<Comparison, Error> {
    let sa = Script {
        machine: a.clone(),
        lines: script.lines.clone(),
    };
    let sb = Script {
        machine: b.clone(),
        lines: script.lines.clone(),
    };
    let (a, b) = (a.vmm(), b.vmm());
    let mut ra = Runner::<B>::new(&sa)?;
    let mut rb = Runner::<B>::new(&sb)?;
    ra.set_budget(budget);
    rb.set_budget(budget);
    let (mut ta, mut tb) = (Tally::default(), Tally::default());
    let mut first = None;
    for line in &script.lines {
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        let want_lines = first.is_none();
        let end_a = ra.run_command(
            line.command.clone(),
            &mut |ev| {
                ta.add(ev);
                if want_lines {
                    ea.push((ev.index, EventLine::of(ev)));
                }
            },
            &mut |_| {},
        );
        let end_b = rb.run_command(
            line.command.clone(),
            &mut |ev| {
                tb.add(ev);
                if want_lines {
                    eb.push((ev.index, EventLine::of(ev)));
                }
            },
            &mut |_| {},
        );
        // A command that never ends on one profile has no count to compare.
        for (end, vmm) in [(end_a, a), (end_b, b)] {
            if let Some(m) = end.message() {
                return Err(Error::Stopped {
                    line: line.line,
                    message: format!("{m} (on {})", vmm.name()),
                });
            }
        }
        if want_lines {
            let n = ea.len().max(eb.len());
            first = (0..n).find_map(|i| {
                let (x, y) = (ea.get(i), eb.get(i));
                (x.map(|e| &e.1) != y.map(|e| &e.1)).then(|| Divergence {
                    index: x.or(y).map(|e| e.0).unwrap_or_default(),
                    line: line.line,
                    a: x.map(|e| e.1.clone()),
                    b: y.map(|e| e.1.clone()),
                })
            });
        }
    }
    let (sa, sb) = (ra.summary(), rb.summary());
    let mut rows = vec![CountRow {
        what: "events".into(),
        a: ta.events,
        b: tb.events,
    }];
    for (i, k) in KINDS.iter().enumerate() {
        rows.push(CountRow {
            what: format!("{k} events"),
            a: ta.kinds[i],
            b: tb.kinds[i],
        });
    }
    for (what, a, b) in [
        ("guest errors", ta.guest_errors, tb.guest_errors),
        (
            "num_pages",
            u64::from(sa.num_pages),
            u64::from(sb.num_pages),
        ),
        ("actual", u64::from(sa.actual), u64::from(sb.actual)),
        (
            "pages discarded by device",
            sa.pages_discarded_by_device,
            sb.pages_discarded_by_device,
        ),
        (
            "pages ballooned by guest",
            sa.pages_ballooned_by_guest,
            sb.pages_ballooned_by_guest,
        ),
        (
            "host resident bytes",
            sa.host_resident_bytes,
            sb.host_resident_bytes,
        ),
        ("status", u64::from(sa.status), u64::from(sb.status)),
    ] {
        rows.push(CountRow {
            what: what.into(),
            a,
            b,
        });
    }
    Ok(Comparison {
        profiles: (a.name(), b.name()),
        first_divergence: first,
        rows,
        summaries: (sa, sb),
    })
}
