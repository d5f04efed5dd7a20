//! balloon-driver
#![forbid(unsafe_code)]
