//! Hooks that tie the app to the browser: the play loop, keyboard shortcuts, the share link in
//! the URL and auto-pause. Each owns its listeners and drops them with the component.

pub mod after_paint;
pub mod byte_view;
pub mod detail;
pub mod frame_clock;
pub mod keyboard;
pub mod play_loop;
pub mod ring_focus;
pub mod scene;
pub mod share_hash;
pub mod visibility;

pub use after_paint::use_painted_once;
pub use byte_view::use_byte_view;
pub use detail::{use_detail, use_fresh};
pub use frame_clock::FrameClock;
pub use keyboard::use_keyboard_shortcuts;
pub use play_loop::{PlayFrame, use_play_loop};
pub use ring_focus::{RingFocus, RingTarget, use_ring_focus, use_ring_focus_state};
pub use scene::{PlaySettings, Plays, use_scene};
pub use share_hash::{ShareScene, use_share_hash};
pub use visibility::use_auto_pause;
