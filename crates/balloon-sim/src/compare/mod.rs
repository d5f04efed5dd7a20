//! Two runs on one clock: a neutral [`RunSeries`] (targets, `actual`, messages per queue) that
//! a simulator run, an imported QEMU recording or another VMM's run becomes, and
//! [`compare`], which says where two of them differ; and [`profiles`], one script on two VMM
//! profiles in lockstep (`balloon-sim compare`).

mod diff;
pub mod profiles;
mod series;

pub use diff::{ActualGap, Comparison, QueueCounts, Settle, compare};
pub use series::{QueueMessages, RunSeries, Sample, peak_in_window, value_at};
