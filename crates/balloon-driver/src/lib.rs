//! The guest: a page-state memory model and a Linux-shaped virtio-balloon driver.
//!
//! [`GuestMm`] models a Linux guest's memory from 64 MiB to 16 TiB at 3 bits a page at most
//! (uniform 128 MiB chunks cost a few bytes). [`BalloonDriver`] follows
//! `drivers/virtio/virtio_balloon.c` as an explicit state machine: every
//! [`BalloonDriver::step`] performs one ring, config or status operation and returns the
//! [`DriverEvent`] that describes it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod balloon;
mod balloon_list;
pub mod boot;
pub mod buffers;
mod chunk;
pub mod driver;
pub mod error;
pub mod event;
pub mod features;
mod hinting;
mod layout_ext;
pub mod misbehave;
pub mod mm;
pub mod pagemap;
mod probe;
mod reporting;
pub mod rng;
pub mod runs;
mod sentence;
pub mod stats;
mod tell;
pub mod workload;
pub mod zones;

pub use driver::{BalloonDriver, GuestConfig, Vq};
pub use error::Error;
pub use event::{DriverEvent, Purpose, Violation};
pub use features::{PagePoison, Role};
pub use misbehave::Misbehaviour;
pub use mm::{Alloc, GuestMm, Reclaim, VmEvents};
pub use pagemap::{Direction, PageMap, PageState, StateSet};
pub use rng::XorShift;
pub use runs::Runs;
pub use workload::Workload;
