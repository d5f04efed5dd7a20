//! "Simulate the same commands": the QMP commands of a recording, replayed at their times in
//! the simulator on the recording's machine shape, and the simulator's run as a series on the
//! recording's clock.

use balloon_spec::status::DRIVER_OK;
use serde::Serialize;

use super::recording::{ImportedKind, Recording};
use crate::command::QueueName;
use crate::compare::RunSeries;
use crate::error::Error;
use crate::session::Session;
use crate::stepping::StepSize;
use crate::trace::Move;
use crate::world::TraceEvent;

/// QMP commands the replay sends; the others (`qmp_capabilities`, `quit`, …) do not concern
/// the balloon and are listed as skipped.
const REPLAYED: &[&str] = &["balloon", "query-balloon", "qom-set", "qom-get"];

/// The longest stretch of a recording replayed (after its DRIVER_OK): an hour of virtual time
/// with stats polling is thousands of events, which the page still runs in a moment; a trace
/// whose stamps span days (a clock jump, mixed logs) is cut here instead of freezing it.
pub const MAX_REPLAY_NS: i64 = 3600 * 1_000_000_000;

/// One command to send, on the recording's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimedCommand {
    /// When the recording sent it, ns on the trace's clock.
    pub t_ns: i64,
    /// The QMP line.
    pub line: String,
}

/// What the replay will run, and what it had to assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplayPlan {
    /// The simulator's machine line (the recording's RAM and the queues it used).
    pub machine: String,
    /// The commands, in time order.
    pub commands: Vec<TimedCommand>,
    /// Commands of the recording that are not replayed.
    pub skipped: Vec<String>,
    /// When the recording's driver wrote DRIVER_OK (the replay's boot lines up with it), ns.
    pub driver_ok_ns: i64,
    /// End of the recording, ns.
    pub end_ns: i64,
    /// What the recording did not say and the plan assumed.
    pub assumptions: Vec<String>,
}

/// A finished replay.
#[derive(Debug)]
pub struct Replay {
    /// The simulator session, with its whole timeline.
    pub session: Session,
    /// Its series on the recording's clock.
    pub series: RunSeries,
    /// Ns to add to a simulator time to put it on the recording's clock.
    pub offset_ns: i64,
}

/// The QOM id in a `/machine/peripheral/ID` path (a device given `id=ID` on QEMU's command line).
fn peripheral_id(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/machine/peripheral/")?;
    (!id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(id)
}

impl Recording {
    /// The replay of this recording's QMP commands.
    pub fn replay_plan(&self) -> ReplayPlan {
        let mut assumptions = Vec::new();
        let mut commands = Vec::new();
        let mut skipped = Vec::new();
        let mut id = None;
        for e in &self.events {
            let ImportedKind::QmpCommand { execute, arguments } = &e.kind else {
                continue;
            };
            let Some(t_ns) = e.t_ns.filter(|_| REPLAYED.contains(&execute.as_str())) else {
                skipped.push(execute.clone());
                continue;
            };
            if let Some(p) = arguments.as_ref().and_then(|a| a.get("path")?.as_str()) {
                id = id.or(peripheral_id(p).map(str::to_owned));
            }
            let mut msg = serde_json::json!({ "execute": execute });
            if let Some(a) = arguments {
                msg["arguments"] = a.clone();
            }
            commands.push(TimedCommand {
                t_ns,
                line: msg.to_string(),
            });
        }
        if !commands
            .iter()
            .any(|c| c.line.contains(r#""execute":"balloon""#))
        {
            // No QMP transcript (or no balloon command in it): each target the device received
            // is in the trace itself, `virtio_balloon_to_target` (called by `qemu_balloon` for
            // every `balloon` command), so the replay sends those.
            let targets: Vec<TimedCommand> = self
                .events
                .iter()
                .filter_map(|e| match e.kind {
                    ImportedKind::Target { target_bytes, .. } => Some(TimedCommand {
                        t_ns: e.t_ns?,
                        line: serde_json::json!({"execute": "balloon", "arguments": {"value": target_bytes}})
                            .to_string(),
                    }),
                    _ => None,
                })
                .collect();
            if !targets.is_empty() {
                assumptions.push(
                    "no balloon command in a QMP transcript: the targets are the trace's virtio_balloon_to_target lines".to_owned(),
                );
                commands.extend(targets);
            }
        }
        crate::order::sort_by_key_stable(&mut commands, |c| i128::from(c.t_ns));
        let ram_mib = match self.ram_pages() {
            // `-m` takes whole 2 MiB (QEMU rounds RAM to it for x86).
            Some(p) if p >= 64 << 8 => (p >> 8).div_ceil(2) * 2,
            _ => {
                assumptions.push(
                    "guest RAM not in the recording (no virtio_balloon_to_target or early query-balloon): 1 GiB assumed".to_owned(),
                );
                1024
            }
        };
        let mut device = String::from("virtio-balloon");
        if let Some(id) = &id {
            device.push_str(&format!(",id={id}"));
        }
        let reporting = self.queue_pops(QueueName::ReportingVq) > 0;
        if reporting {
            device.push_str(",free-page-reporting=on");
        }
        if self.free_page_hint {
            device.push_str(",free-page-hint=on");
        }
        assumptions.push(
            "features are not traced: deflate-on-oom off, page-poison as QEMU's default; free-page-reporting on only if the reporting queue was used".to_owned(),
        );
        let driver_ok_ns = self
            .events
            .iter()
            .find_map(|e| match e.kind {
                ImportedKind::Status { val } if val & DRIVER_OK != 0 => e.t_ns,
                _ => None,
            })
            .unwrap_or_else(|| {
                assumptions.push(
                    "no DRIVER_OK in the trace: the simulated boot is lined up with its first line"
                        .to_owned(),
                );
                0
            });
        let mut end_ns = i64::try_from(self.duration_ns).unwrap_or(i64::MAX);
        let cut = driver_ok_ns.saturating_add(MAX_REPLAY_NS);
        if end_ns > cut {
            end_ns = cut;
            let later = commands.iter().filter(|c| c.t_ns > cut).count();
            commands.retain(|c| c.t_ns <= cut);
            assumptions.push(format!(
                "the recording is longer than the replay's hour: it stops an hour after DRIVER_OK ({later} later commands not sent)"
            ));
        }
        ReplayPlan {
            machine: format!("-m {ram_mib}M -device {device}"),
            commands,
            skipped,
            driver_ok_ns,
            end_ns,
            assumptions,
        }
    }

    /// `virtqueue_pop`s on the queue named `q`.
    pub fn queue_pops(&self, q: QueueName) -> u64 {
        (0..5)
            .filter(|&i| self.queue_name(i) == Some(q))
            .map(|i| self.pops_per_queue[i as usize])
            .sum()
    }
}

/// The first time the driver set DRIVER_OK in a simulator session.
/// Steps a boot may take before DRIVER_OK (the device's init and the driver's probe take a few
/// dozen); a machine that never gets there replays from where it stopped.
const BOOT_STEPS: u32 = 10_000;

fn sim_driver_ok(s: &Session) -> Option<u64> {
    s.events()
        .iter()
        .find_map(|ev| sets_driver_ok(&ev).then_some(ev.time_ns))
}

fn sets_driver_ok(ev: &TraceEvent) -> bool {
    ev.moves()
        .iter()
        .any(|m| matches!(m, Move::Status { new, .. } if new & DRIVER_OK != 0))
}

impl ReplayPlan {
    /// Boots the simulated guest, then sends each command at its time (commands the recording
    /// sent before its guest was up are sent right after the simulated boot) and runs to the
    /// recording's end.
    pub fn run(&self, label: &str) -> Result<Replay, Error> {
        // Boot up to DRIVER_OK only: a plain `run` waits until quiet, which with free page
        // reporting on means every boot-time report pass (tens of seconds) before the
        // recording's first command could be sent at its time.
        let (mut s, _) = Session::from_script(&format!("{}\n", self.machine))?;
        let mut ok_ns = sim_driver_ok(&s);
        for _ in 0..BOOT_STEPS {
            if ok_ns.is_some() {
                break;
            }
            // Only the events this step made can be the one that set DRIVER_OK.
            let from = usize::try_from(s.current_index()).unwrap_or(usize::MAX);
            s.step(StepSize::Op);
            ok_ns = s
                .events()
                .iter()
                .skip(from)
                .find_map(|ev| sets_driver_ok(&ev).then_some(ev.time_ns));
        }
        let ok = i64::try_from(ok_ns.unwrap_or(0)).unwrap_or(0);
        let offset_ns = self.driver_ok_ns - ok;
        let advance = |s: &mut Session, to_rec_ns: i64| -> Result<(), Error> {
            let now = i64::try_from(s.now_ns()).unwrap_or(i64::MAX);
            let dt = to_rec_ns - offset_ns - now;
            if dt > 0 {
                s.apply_line(&format!("run {dt}ns"))?;
            }
            Ok(())
        };
        for c in &self.commands {
            advance(&mut s, c.t_ns)?;
            s.apply_line(&c.line)?;
        }
        advance(&mut s, self.end_ns)?;
        let ram_pages = s.balloon().ram_pages();
        let series = RunSeries::from_events(label, ram_pages, s.events().iter(), offset_ns);
        Ok(Replay {
            session: s,
            series,
            offset_ns,
        })
    }
}
