//! View components, one concern each.

pub mod balloon_outline;
pub mod config_panel;
pub mod console;
pub mod controls;
pub mod download_svg;
pub mod explanation;
pub mod help;
pub mod init_flow;
pub mod memory_map;
pub mod presets_menu;
pub mod queue_panel;
pub mod session_file;
pub mod stats_chart;
pub mod target_controls;
pub mod timeline;
pub mod transcript;
pub mod workload;

pub use balloon_outline::{BalloonOutline, balloon_path};
pub use config_panel::ConfigPanel;
pub use console::Console;
pub use controls::Controls;
pub use download_svg::{DownloadSvg, standalone_svg};
pub use explanation::Explanation;
pub use help::Help;
pub use init_flow::InitFlow;
pub use memory_map::MemoryMap;
pub use presets_menu::PresetsMenu;
pub use queue_panel::{QueuePanel, QueuePanels};
pub use session_file::SessionFile;
pub use stats_chart::StatsChart;
pub use target_controls::TargetControls;
pub use timeline::Timeline;
pub use transcript::Transcript;
pub use workload::Workload;
