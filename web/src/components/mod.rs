//! View components, one concern each.

pub mod balloon_outline;
pub mod console;
pub mod controls;
pub mod explanation;
pub mod help;
pub mod presets_menu;
pub mod queue_panel;
pub mod session_file;
pub mod target_controls;
pub mod timeline;
pub mod workload;

pub use balloon_outline::{BalloonOutline, balloon_path};
pub use console::Console;
pub use controls::Controls;
pub use explanation::Explanation;
pub use help::Help;
pub use presets_menu::PresetsMenu;
pub use queue_panel::QueuePanel;
pub use session_file::SessionFile;
pub use target_controls::TargetControls;
pub use timeline::Timeline;
pub use workload::Workload;
