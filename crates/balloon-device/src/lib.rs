//! balloon-device
#![forbid(unsafe_code)]
