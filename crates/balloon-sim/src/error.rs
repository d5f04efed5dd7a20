//! The crate's one error type.

use thiserror::Error;

use crate::command::ScriptError;
use crate::history::SeekError;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// A script line does not parse (line, column, expected form).
    #[error("{0}")]
    Script(#[from] ScriptError),
    /// The device refused the machine configuration.
    #[error("device: {0}")]
    Device(balloon_device::Error),
    /// The guest model refused the machine configuration.
    #[error("guest: {0}")]
    Guest(balloon_driver::Error),
    /// Guest RAM could not be created.
    #[error("guest RAM: {0}")]
    Memory(virtq::MemError),
    /// A seek outside the timeline.
    #[error("{0}")]
    Seek(#[from] SeekError),
    /// The host cannot start its VMs.
    #[error("host: {0}")]
    Host(String),
    /// A stepping command spent its budget of events before its end (see
    /// [`crate::StepEnd::BudgetSpent`]).
    #[error("line {line}: {message}")]
    Stopped {
        /// The script line.
        line: u32,
        /// What stopped, and what bounds it instead.
        message: String,
    },
    /// The rust-vmm backend is not available on this target.
    #[error("the rust-vmm backend is native only")]
    BackendUnavailable,
}
