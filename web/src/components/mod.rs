//! View components, one concern each.

pub mod balloon_outline;
pub mod config_panel;
pub mod download_svg;
pub mod explanation;
pub mod init_flow;
pub mod memory_map;
pub mod queue_panel;
pub mod stats_chart;
pub mod target_controls;
pub mod transcript;

pub use balloon_outline::{BalloonOutline, balloon_path};
pub use config_panel::ConfigPanel;
pub use download_svg::{DownloadSvg, standalone_svg};
pub use explanation::Explanation;
pub use init_flow::InitFlow;
pub use memory_map::MemoryMap;
pub use queue_panel::{QueuePanel, QueuePanels};
pub use stats_chart::StatsChart;
pub use target_controls::TargetControls;
pub use transcript::Transcript;
