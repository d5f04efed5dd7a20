//! View components, one concern each.

pub mod balloon_outline;
pub mod explanation;
pub mod queue_panel;
pub mod target_controls;

pub use balloon_outline::{BalloonOutline, balloon_path};
pub use explanation::Explanation;
pub use queue_panel::QueuePanel;
pub use target_controls::TargetControls;
