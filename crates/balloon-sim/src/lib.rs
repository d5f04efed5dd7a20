//! balloon-sim
#![forbid(unsafe_code)]
