//! balloon-sim
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
pub mod history;
pub mod trace;
pub mod clock;
