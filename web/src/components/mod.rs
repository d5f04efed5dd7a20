//! View components, one concern each.

pub mod balloon_outline;
pub mod target_controls;

pub use balloon_outline::{BalloonOutline, balloon_path};
pub use target_controls::TargetControls;
