//! The trace page's state: what is being opened, the recording once open, where the cursor is,
//! and the simulator's replay beside it. All changes go through [`TraceAction`].

use std::rc::Rc;

use balloon_sim::compare::{Comparison, RunSeries, compare};
use balloon_sim::import::{ImportError, Mark, MarkThresholds, Recording, ReplayPlan, Report};
use yew::Reducible;

/// The recording's label on the compare view.
pub const RECORDING_LABEL: &str = "QEMU (recorded)";
/// The simulator's label on the compare view.
pub const SIMULATOR_LABEL: &str = "simulator (same commands)";

/// An open recording and what the page derived from it once.
#[derive(Debug)]
pub struct Opened {
    /// The file's name (or "pasted text").
    pub name: String,
    /// The import.
    pub recording: Recording,
    /// Its series on the trace's clock.
    pub series: Rc<RunSeries>,
    /// Its gaps, stalls and pages taken back.
    pub marks: Rc<Vec<Mark>>,
    /// The replay the "simulate" button would run.
    pub plan: ReplayPlan,
    /// The import's report (shared with the report panel).
    pub report: Rc<Report>,
}

impl Opened {
    /// Derives the series, marks and replay plan of `recording`.
    pub fn new(name: String, recording: Recording) -> Self {
        Self {
            series: Rc::new(recording.series(RECORDING_LABEL)),
            marks: Rc::new(recording.marks(MarkThresholds::default())),
            plan: recording.replay_plan(),
            report: Rc::new(recording.report.clone()),
            name,
            recording,
        }
    }
}

/// The simulator's run of the same commands.
#[derive(Debug, PartialEq)]
pub struct Simulated {
    /// Its series on the recording's clock.
    pub series: Rc<RunSeries>,
    /// Where it differs from the recording (A = recording, B = simulator).
    pub comparison: Rc<Comparison>,
}

/// Where the page is.
#[derive(Debug, Clone, Default)]
pub enum Phase {
    /// Nothing opened yet.
    #[default]
    Idle,
    /// Reading: bytes done of total.
    Loading {
        /// What is being read.
        name: String,
        /// Bytes read.
        done: f64,
        /// Bytes in all.
        total: f64,
    },
    /// The input gave no recording.
    Failed {
        /// What is being read.
        name: String,
        /// Why, in words, with the first bad lines.
        message: String,
    },
    /// A recording is open.
    Open(Rc<Opened>),
}

/// The page state.
#[derive(Debug, Clone, Default)]
pub struct TraceState {
    /// Loading, failed or open.
    pub phase: Phase,
    /// Which load the progress messages belong to (a newer load wins).
    pub load: u32,
    /// The cursor on the recording's clock, ns.
    pub cursor_ns: i64,
    /// The replay, once run; an error if it failed.
    pub simulated: Option<Result<Rc<Simulated>, String>>,
}

/// Everything that changes the page.
#[derive(Debug)]
pub enum TraceAction {
    /// A load starts.
    Start {
        /// Its number (a newer load has another).
        load: u32,
        /// What is read.
        name: String,
        /// Bytes in all.
        total: f64,
    },
    /// Load `load` read `done` bytes of `total` (a decompressed file has a new total).
    Progress {
        /// The load.
        load: u32,
        /// Bytes read.
        done: f64,
        /// Bytes in all.
        total: f64,
    },
    /// Load `load` ended.
    Done {
        /// The load.
        load: u32,
        /// The import, or why there is none (boxed: a recording is large, the other actions
        /// small).
        result: Result<Box<Recording>, String>,
    },
    /// The cursor moved.
    Seek(i64),
    /// Run the recording's commands in the simulator.
    Simulate,
}

/// The message for an input that gave no recording: the error and its first bad lines.
pub fn failure_message(e: &ImportError) -> String {
    let mut s = e.to_string();
    if let Some(r) = e.report() {
        for b in &r.bad_samples {
            s.push_str(&format!(
                "\nline {}: {} — {}",
                b.line,
                b.reason.describe(),
                b.snippet
            ));
        }
    }
    s
}

impl Reducible for TraceState {
    type Action = TraceAction;

    fn reduce(self: Rc<Self>, action: TraceAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            TraceAction::Start { load, name, total } => {
                next.load = load;
                next.phase = Phase::Loading {
                    name,
                    done: 0.0,
                    total,
                };
                next.simulated = None;
            }
            TraceAction::Progress { load, done, total } => match &mut next.phase {
                Phase::Loading {
                    done: d, total: t, ..
                } if load == self.load => {
                    *d = done;
                    *t = total;
                }
                _ => return self,
            },
            TraceAction::Done { load, result } => {
                let Phase::Loading { name, .. } = &self.phase else {
                    return self;
                };
                if load != self.load {
                    return self;
                }
                let name = name.clone();
                next.phase = match result {
                    Ok(rec) => {
                        let opened = Opened::new(name, *rec);
                        next.cursor_ns = opened.series.end_ns;
                        Phase::Open(Rc::new(opened))
                    }
                    Err(message) => Phase::Failed { name, message },
                };
            }
            TraceAction::Seek(t) => {
                let Phase::Open(o) = &self.phase else {
                    return self;
                };
                next.cursor_ns = t.clamp(o.series.start_ns, o.series.end_ns);
            }
            TraceAction::Simulate => {
                let Phase::Open(o) = &self.phase else {
                    return self;
                };
                next.simulated = Some(
                    o.plan
                        .run(SIMULATOR_LABEL)
                        .map(|r| {
                            Rc::new(Simulated {
                                comparison: Rc::new(compare(&o.series, &r.series)),
                                series: Rc::new(r.series),
                            })
                        })
                        .map_err(|e| format!("the simulator refused the replay: {e}")),
                );
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "\
1@100.000000:virtio_set_status vdev 0x10 val 15
1@100.500000:virtio_balloon_to_target balloon target: 0x3ff00000 num_pages: 256
1@100.600000:virtio_queue_notify vdev 0x10 n 0 vq 0x20
1@100.600100:virtqueue_pop vq 0x20 elem 0x30 in_num 0 out_num 1
1@100.700000:virtio_balloon_set_config actual: 256 oldactual: 0
";

    fn open(state: Rc<TraceState>, text: &str) -> Rc<TraceState> {
        let s = state.reduce(TraceAction::Start {
            load: 7,
            name: "t.log".into(),
            total: text.len() as f64,
        });
        let load = s.load;
        let result = balloon_sim::import::import_text(text, None, Default::default())
            .map(Box::new)
            .map_err(|e| failure_message(&e));
        s.reduce(TraceAction::Done { load, result })
    }

    #[test]
    fn a_stale_load_is_ignored_and_a_bad_one_is_reported_with_line_numbers() {
        let s = Rc::new(TraceState::default()).reduce(TraceAction::Start {
            load: 1,
            name: "a".into(),
            total: 1.0,
        });
        let stale = s.load;
        let s = s.reduce(TraceAction::Start {
            load: 2,
            name: "b".into(),
            total: 1.0,
        });
        let s = s.reduce(TraceAction::Done {
            load: stale,
            result: Err("old".into()),
        });
        assert!(matches!(&s.phase, Phase::Loading { name, .. } if name == "b"));
        let s = open(s, "hello\nworld\n");
        let Phase::Failed { message, .. } = &s.phase else {
            panic!("{:?}", s.phase)
        };
        assert!(message.contains("line 1: not a trace line"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn opening_puts_the_cursor_at_the_end_and_seeks_stay_inside() {
        let s = open(Rc::new(TraceState::default()), TRACE);
        let Phase::Open(o) = &s.phase else {
            panic!("{:?}", s.phase)
        };
        assert_eq!(s.cursor_ns, 700_000_000);
        assert_eq!(o.recording.ram_pages(), Some(262_144));
        let s = s.reduce(TraceAction::Seek(-5));
        assert_eq!(s.cursor_ns, 0);
        let s = s.reduce(TraceAction::Simulate);
        let sim = s.simulated.clone().unwrap().unwrap();
        // The simulator inflates the same 256 pages (one message of 256 PFNs in Linux).
        assert_eq!(sim.comparison.final_actual, (256, 256));
    }
}
