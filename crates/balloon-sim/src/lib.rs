//! The world of the Balloon Playground: one deterministic virtual machine (operator, host
//! device, transport, guest driver, guest memory), its trace, stepping, time travel, the command
//! language, presets and the `balloon-sim` CLI.
//!
//! Same script and seed ⇒ the same trace, natively and in wasm32: no clocks, no threads, no
//! hash-map iteration order in anything observable, and the trace hash ([`trace::hash`]) is
//! FNV-1a over a canonical encoding of each event.
//!
//! # API for the web app
//!
//! The Yew app drives one [`Session`] (a `World<virtq::Portable>` plus its history). All of it
//! is synchronous and cheap per call; views are plain data.
//!
//! ```ignore
//! use balloon_sim::{Session, StepSize, Reply};
//!
//! // A session from a script (machine line optional); the script's lines run at once.
//! let mut s = Session::from_script(balloon_sim::presets::get("inflate-half").unwrap().text)?;
//! // or: Session::new(MachineConfig::default())? and then apply lines.
//!
//! // Console input: one line (or a pasted script). A bad line returns a ScriptError (with
//! // line and column) and changes nothing. Stepping lines (`run`, `step`) work here too.
//! let replies: Vec<Reply> = s.apply_line(r#"{"execute": "balloon", "arguments": {"value": 536870912}}"#)?;
//! for r in &replies { console.push(r.to_line()); }   // {"return": {}} / BALLOON_CHANGE events
//!
//! // Buttons.
//! s.step(StepSize::Op);          // one ring operation
//! s.step(StepSize::Message);     // one message round trip
//! s.step(StepSize::UntilQuiet);  // until nothing is left to do (timers not fired)
//! s.step(StepSize::For(5_000_000_000)); // 5 s of virtual time
//! s.step_back();                 // one event back (snapshot + replay)
//! s.seek(1234)?;                 // timeline scrubbing; acting afterwards forks the run
//!
//! // Timeline and log.
//! s.event_count();   // events in the timeline (may exceed current_index after a seek back)
//! s.current_index(); // events the shown state has lived through
//! s.events();        // &[TraceEvent]: time_ns, actor, queue, moves, pfns, sentence(),
//!                    // function(), spec()
//! s.trace_hash();    // hash of events[..current_index]
//!
//! // Views of the state after current_index events.
//! s.balloon();        // BalloonView { ram_size, num_pages, actual, target_bytes, host_resident, ... }
//! s.config_view();    // ConfigView: num_pages, actual, free_page_hint_cmd_id, poison_val, size
//! s.queue_views();    // Vec<QueueView>: name, size, desc table rows, avail/used rings, indices
//! s.memory_map(256);  // Vec<MemoryCell>: counts per page state, guest size independent cost
//! s.stats_series();   // &[StatsSample]: guest stats as polled over virtual time
//! s.script_text();    // the machine line and every line applied (share URL)
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod command;
pub mod error;
pub mod history;
pub mod presets;
pub mod reply;
#[cfg(feature = "world")]
pub mod runner;
#[cfg(feature = "world")]
pub mod session;
#[cfg(feature = "world")]
pub mod stepping;
pub mod trace;
#[cfg(feature = "world")]
pub mod world;

pub use error::Error;
pub use reply::Reply;
#[cfg(feature = "world")]
pub use runner::{Runner, Summary, run_text};
#[cfg(feature = "world")]
pub use session::{Session, StatsSample};
#[cfg(feature = "world")]
pub use stepping::StepSize;
#[cfg(feature = "world")]
pub use world::{TraceEvent, World};
