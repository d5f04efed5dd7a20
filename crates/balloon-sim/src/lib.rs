//! The world of the Balloon Playground: one deterministic virtual machine (operator, host
//! device, transport, guest driver, guest memory), its trace, stepping, time travel, the command
//! language, presets and the `balloon-sim` CLI.
//!
//! Same script and seed ⇒ the same trace, natively and in wasm32: no clocks, no threads, no
//! hash-map iteration order in anything observable, and the trace hash ([`trace::hash`]) runs
//! over the one canonical, versioned binary encoding of each event ([`trace::binary`]).
//!
//! # API for the web app
//!
//! The Yew app drives one [`Session`] (a `World<virtq::Portable>` plus its history). All of it
//! is synchronous and cheap per call; views are plain data.
//!
//! ```
//! use balloon_sim::{Reply, Session, StepSize};
//!
//! // A session from a script (machine line optional); its lines run at once.
//! let text = balloon_sim::presets::get("inflate-half").unwrap().text;
//! let (mut s, replies) = Session::from_script(text)?;
//! assert!(replies.iter().any(|r| r.to_line() == "balloon: actual=512"));
//!
//! // Console input: one line (or a pasted script, without a machine line). A bad line returns
//! // a ScriptError (line, column, expected form) and changes nothing. `run` / `step` work too.
//! let replies: Vec<Reply> =
//!     s.apply_line(r#"{"execute": "balloon", "arguments": {"value": 805306368}}"#)?;
//! assert_eq!(replies[0].to_line(), r#"{"return": {}}"#);
//! assert!(s.apply_line("ballon 512").is_err());
//!
//! // Buttons.
//! s.step(StepSize::Op); // one ring operation (one trace event)
//! s.step(StepSize::Message); // to the end of one message round trip
//! s.step(StepSize::UntilQuiet); // until quiet: no work, no one-shot timer within 10 s
//! s.step(StepSize::For(2_000_000_000)); // 2 s of virtual time, firing timers on the way
//! s.step_back(); // one event back (snapshot + replay)
//! s.step_back_message(); // back to the end of the previous round trip
//! s.seek(100)?; // timeline scrubbing; acting afterwards forks the run
//!
//! // Timeline and log.
//! assert!(s.event_count() > s.current_index()); // the future is kept until you act
//! // Timeline<TraceEvent> keeps events encoded; get/range/iter decode them.
//! let ev = s.events().get(99).unwrap(); // an event: index, time_ns, actor, queue
//! let _ = (ev.sentence(), ev.function(), ev.spec(), ev.kind(), ev.moves(), ev.pfns());
//! let _ = (s.is_quiet(), s.next_timer_ns(), s.now_ns());
//! let _ = s.trace_hash(); // the hash of events[..current_index]
//!
//! // Views of the state after current_index events (plain data, serde::Serialize).
//! let b = s.balloon(); // BalloonView: ram_size, num_pages, actual, host_resident_bytes, ...
//! let c = s.config_view(); // ConfigView: num_pages, actual, cmd id, poison_val, size, features
//! let q = s.queue_views(); // Vec<QueueView>: name, index, max_size, next_avail, used_idx, ...
//! let m = s.memory_map(64); // 64 MemoryCells: pages per state; cost independent of guest size
//! let st = s.stats_series(); // &[StatsSample]: the guest stats the device parsed, over time
//! let url = s.script_text(); // the machine line and every line applied (share URL)
//! # let _ = (b, c, q, m, st, url);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same language drives the CLI (`balloon-sim run`), see [`command`] for its grammar, and
//! [`presets`] for the shipped scripts. [`Runner`] runs a script straight through without
//! history (the CLI, golden tests, bulk runs). [`import`] reads a real QEMU run (trace events
//! and a QMP transcript) into an [`import::Recording`] (`balloon-sim import`), and replays its
//! commands in the simulator ([`import::ReplayPlan`]); [`compare`] sets any two runs side by
//! side on one clock, and [`compare::profiles::compare_machines`] runs one script on two
//! machines (two profiles, or one with two property sets, [`compare::profiles::side_machine`])
//! one command at a time (`balloon-sim compare`, the page's `?compare=A,B`).
//!
//! # A host of VMs
//!
//! [`host`] runs several named worlds on one host with its RAM, swap, OOM killer and balloon
//! policy, from a host script (`host ram 10G`, `-name db -m 8G ...`, `@db guest alloc 2G`).
//! A script without host lines or VM names stays today's single VM.
//!
//! ```
//! use balloon_sim::host::{is_host_script, run_host_text};
//!
//! let text = "host ram 4G\nhost own 512M\n-name db -m 2G\n-name web -m 1G\n\
//!             @web balloon 512\nrun 2s\n";
//! assert!(is_host_script(text));
//! let (replies, summary) = run_host_text::<virtq::Portable>(text)?;
//! assert_eq!(summary.vms["web"].num_pages, Some(131072));
//! assert!(replies.iter().any(|(vm, r)| vm == "web" && r.to_line().contains("BALLOON_CHANGE")));
//! # Ok::<(), balloon_sim::Error>(())
//! ```
//!
//! The page drives a host through [`host::HostSession`] (the same [`history::History`] as a
//! single VM's [`Session`], over a `Host`) and draws it from [`view::HostView`]: the host bar
//! (own use, each QEMU process, free) and one card per VM. Its console lines go through
//! [`host::parse_host_command`] (the script's own line parser) into
//! [`host::HostSession::apply_line`], and [`host::HostSession::timeline_script`] writes the
//! host script that rebuilds the timeline for a share link.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod command;
pub mod compare;
pub mod error;
pub mod history;
pub mod host;
pub mod import;
pub mod loading;
mod order;
pub mod presets;
pub mod reply;
pub mod runner;
pub mod session;
pub mod share;
pub mod stepping;
pub mod timeline;
pub mod trace;
pub mod view;
pub mod world;

pub use error::Error;
pub use loading::ScriptLoad;
pub use reply::Reply;
pub use runner::{Runner, Summary, run_text, run_text_as};
pub use session::{Session, StatsSample};
pub use stepping::{StepEnd, StepSize};
/// The backend every target runs (the one `Session` uses), for generic calls from the page.
pub use virtq::Portable;
pub use world::{TraceEvent, World};
