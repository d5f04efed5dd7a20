//! Places on a recording's timeline worth a mark: silences in the trace, stalls (the balloon
//! behind its target with no page messages moving), and pages the guest took back while the
//! target stayed.

use serde::Serialize;

use super::recording::{ImportedKind, Recording};
use crate::command::QueueName;

/// What a mark points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// No traced event at all for longer than the gap threshold (the trace was paused, the
    /// host was busy, or simply nothing happened).
    Gap,
    /// `actual` differed from `num_pages` and no inflate or deflate element was popped for
    /// longer than the stall threshold: the guest's `fill_balloon`/`leak_balloon` made no
    /// progress (Linux's `fill_balloon` sleeps 200 ms, "Out of puff!", when it finds no free
    /// page, then `update_balloon_size_func` tries again).
    Stall,
    /// The guest wrote a smaller `actual` while `num_pages` asked for more: it deflated on its
    /// own (Linux `virtio_balloon_oom_notify` with DEFLATE_ON_OOM, or a driver reset).
    TakenBack,
}

/// One mark, a span on the recording's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// What it is.
    pub kind: MarkKind,
    /// Start, ns.
    pub from_ns: i64,
    /// End, ns (equal to `from_ns` for a point).
    pub to_ns: i64,
    /// Pages concerned (for `TakenBack`, how many; for `Stall`, how far from the target).
    pub pages: u32,
}

/// The thresholds marks are judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkThresholds {
    /// A silence longer than this is a gap.
    pub gap_ns: i64,
    /// `actual` != `num_pages` for longer than this without page messages is a stall.
    pub stall_ns: i64,
}

impl Default for MarkThresholds {
    /// A gap is 3 s of silence: longer than the 2 s stats polling interval people commonly
    /// set, so polling alone never looks like a gap. A stall is 1 s without a page message,
    /// five times the 200 ms `fill_balloon` sleeps when it finds no free page.
    fn default() -> Self {
        Self {
            gap_ns: 3_000_000_000,
            stall_ns: 1_000_000_000,
        }
    }
}

impl Recording {
    /// The recording's marks, in time order.
    pub fn marks(&self, th: MarkThresholds) -> Vec<Mark> {
        let mut marks = Vec::new();
        let mut last_t: Option<i64> = None;
        let (mut num_pages, mut actual) = (0u32, 0u32);
        // Since when the balloon has been off target with no page message.
        let mut off_since: Option<i64> = None;
        for e in &self.events {
            let Some(t) = e.t_ns else { continue };
            if let Some(l) = last_t
                && t - l > th.gap_ns
            {
                marks.push(Mark {
                    kind: MarkKind::Gap,
                    from_ns: l,
                    to_ns: t,
                    pages: 0,
                });
            }
            last_t = Some(last_t.map_or(t, |l| l.max(t)));
            let page_message = matches!(
                e.kind,
                ImportedKind::Pop {
                    queue: Some(QueueName::Ivq | QueueName::Dvq),
                    ..
                }
            );
            let off_by = num_pages.abs_diff(actual);
            match e.kind {
                ImportedKind::Target { num_pages: n, .. }
                | ImportedKind::GetConfig { num_pages: n, .. } => num_pages = n,
                ImportedKind::SetConfig {
                    actual: a,
                    oldactual,
                } => {
                    if a < oldactual && a < num_pages {
                        marks.push(Mark {
                            kind: MarkKind::TakenBack,
                            from_ns: t,
                            to_ns: t,
                            pages: oldactual - a,
                        });
                    }
                    actual = a;
                }
                _ => {}
            }
            if num_pages == actual || page_message {
                if let Some(since) = off_since.take()
                    && t - since > th.stall_ns
                {
                    marks.push(stall(since, t, off_by));
                }
            } else if off_since.is_none() {
                off_since = Some(t);
            }
        }
        if let (Some(since), Some(end)) = (off_since, last_t)
            && end - since > th.stall_ns
        {
            marks.push(stall(since, end, num_pages.abs_diff(actual)));
        }
        crate::order::sort_by_key_stable(&mut marks, |m| i128::from(m.from_ns));
        marks
    }
}

fn stall(from_ns: i64, to_ns: i64, pages: u32) -> Mark {
    Mark {
        kind: MarkKind::Stall,
        from_ns,
        to_ns,
        pages,
    }
}
