//! The trace page (`?trace`): open a real QEMU trace, see it on the timeline with the balloon
//! following `actual`, and set the simulator's run of the same commands beside it.

pub mod loader;
mod page;
pub mod rows;
pub mod state;

pub use page::TracePage;

/// Whether the page's URL asks for the trace page (`?trace`).
pub fn location_wants_trace() -> bool {
    crate::browser::location_query().is_some_and(|q| q.has("trace"))
}
