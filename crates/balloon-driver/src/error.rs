//! The crate's one error type.

use thiserror::Error;

use crate::pagemap::PageState;

/// What went wrong in the guest model or the driver.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// Guest memory must be 64 MiB to 16 TiB in whole 2 MiB blocks.
    #[error("guest memory of {bytes} bytes is not a multiple of 2 MiB between 64 MiB and 16 TiB")]
    InvalidMemorySize {
        /// The requested size.
        bytes: u64,
    },
    /// A PFN past the end of guest memory.
    #[error("PFN {pfn:#x} is past the end of guest memory ({nr_pages:#x} pages)")]
    PfnOutOfRange {
        /// The PFN.
        pfn: u64,
        /// Pages in the guest.
        nr_pages: u64,
    },
    /// A page was not in the state a transition requires (a spec rule would break).
    #[error("page {pfn:#x} is {} and cannot become {}", found.name(), wanted.name())]
    PageStateMismatch {
        /// The page.
        pfn: u64,
        /// Its state.
        found: PageState,
        /// The state asked for.
        wanted: PageState,
    },
    /// The device lacks a queue the negotiated features need, or offers too few entries.
    #[error("queue {index} ({name}) has max size {max}, the driver needs at least {needed}")]
    QueueTooSmall {
        /// Queue index.
        index: u16,
        /// Queue name.
        name: &'static str,
        /// What the device offers.
        max: u16,
        /// What the driver needs.
        needed: u16,
    },
    /// The device did not keep FEATURES_OK.
    #[error("the device refused FEATURES_OK for features {features:#x}")]
    FeaturesRefused {
        /// The features the driver wrote.
        features: u64,
    },
    /// A ring operation failed.
    #[error("virtqueue: {0}")]
    Queue(#[from] virtq::QueueError),
    /// Guest memory could not be written.
    #[error("guest memory: {0}")]
    Memory(#[from] virtq::MemError),
    /// The driver is not in a state where this request makes sense.
    #[error("the driver cannot {what} now: {why}")]
    NotNow {
        /// The request.
        what: &'static str,
        /// Why not.
        why: &'static str,
    },
}
