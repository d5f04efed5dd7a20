//! The Yew front end of Balloon Playground: a view over the simulated world.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod browser;
pub mod clock;
pub mod compare;
pub mod components;
pub mod embed;
pub mod hooks;
pub mod host;
pub mod js_api;
pub mod playback;
pub mod session_handle;
pub mod share;
pub mod state;
pub mod trace;
pub mod view_model;

pub use app::App;
