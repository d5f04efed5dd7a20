//! The Yew front end of Balloon Playground: a view over the simulated world.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod components;
pub mod embed;
pub mod js_api;
pub mod state;
pub mod view_model;

pub use app::App;
