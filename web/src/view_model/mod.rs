//! Plain data for the display components, computed from a [`Session`] through
//! `balloon_sim::view`, one file per panel.
//!
//! Every function here costs O(ring size + cells + a fixed window of events): nothing scans
//! the whole timeline or walks guest pages, so a 64 GiB guest after a long run renders as fast
//! as a fresh one. The components take these structs as props and never see the session.

mod balloon;
mod bytes;
mod config;
mod fixed;
mod format;
pub mod host;
mod queues;
pub mod series_chart;
mod stats;
mod transcript;

use balloon_sim::{Session, TraceEvent};

pub use self::balloon::BalloonModel;
pub use self::bytes::{
    ByteSource, FieldCell, HexBlock, HexRow, ROW_BYTES, default_source, hex_block, hex_blocks,
    since_for, sources, write_lines,
};
pub use self::config::{ConfigModel, StatusBit, config_model, config_model_of};
pub use self::fixed::Fixed;
pub use self::format::{format_bytes_mib, format_desc_flags, format_mib, format_pfn_range};
pub use self::host::{BarSegment, HostBarModel, VmCardModel, host_bar, vm_card};
pub use self::queues::{QueueChanges, QueueModel, Side, queue_models, queue_models_of};
pub use self::stats::{CHART_STATS, StatSeries, StatsChartModel, memory_map, stats_chart};
pub use self::transcript::{ExplanationModel, TranscriptLine, explanation, transcript};
pub use balloon_sim::view::{InitStageView, Payload, StageState};

/// Events the transcript shows: its cost must not grow with the run.
pub const TRANSCRIPT_LEN: usize = 50;
/// Cells of the guest memory map.
pub const MEMORY_CELLS: usize = 64;
/// Points per stats line: a long run is thinned to this many samples.
pub const CHART_POINTS: usize = 240;

/// The current event: the last one the shown state lived through (decoded from the timeline).
pub fn current_event(s: &Session) -> Option<TraceEvent> {
    s.current_event()
}

/// The init flow from QOM type registration to DRIVER_OK.
pub fn init_flow(s: &Session) -> Vec<InitStageView> {
    s.init_flow()
}

#[cfg(test)]
mod tests;
