//! Where two runs differ: messages per queue, `actual` over time, and how long each took to
//! reach each target.

use serde::Serialize;

use super::series::{RunSeries, Sample, value_at};
use crate::command::QueueName;

/// Messages on one queue in both runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    /// The queue (`None`: queue not known).
    pub queue: Option<QueueName>,
    /// Messages in run A.
    pub a: u64,
    /// Messages in run B.
    pub b: u64,
}

/// One target (`num_pages` change) and how long each run took to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settle {
    /// The target, pages.
    pub num_pages: u32,
    /// When run A set it, ns.
    pub a_set_ns: i64,
    /// Time until A's `actual` equalled it, ns; `None` if it never did before the next target.
    pub a_took_ns: Option<i64>,
    /// When run B set it, ns; `None` when B never had this target at that position.
    pub b_set_ns: Option<i64>,
    /// Time until B's `actual` equalled it, ns.
    pub b_took_ns: Option<i64>,
}

/// The largest difference of `actual` between the runs, over the span both cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActualGap {
    /// When, ns.
    pub t_ns: i64,
    /// A's `actual` then.
    pub a: u32,
    /// B's `actual` then.
    pub b: u32,
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Messages per queue (every queue either run used).
    pub queues: Vec<QueueCounts>,
    /// Last `actual` of each run.
    pub final_actual: (u32, u32),
    /// Each target of run A, matched by position with run B's.
    pub settles: Vec<Settle>,
    /// The largest `actual` difference; `None` when they never differ.
    pub widest_gap: Option<ActualGap>,
}

impl Comparison {
    /// Whether the runs agree on message counts and final `actual`.
    pub fn same_outcome(&self) -> bool {
        self.final_actual.0 == self.final_actual.1 && self.queues.iter().all(|q| q.a == q.b)
    }
}

/// When `actual` first equals `target` at or after `from` (and before `until`), minus `from`.
fn took(actual: &[Sample], target: u32, from: i64, until: Option<i64>) -> Option<i64> {
    if value_at(actual, from) == target {
        return Some(0);
    }
    actual
        .iter()
        .filter(|s| s.t_ns > from && until.is_none_or(|u| s.t_ns < u))
        .find(|s| s.pages == target)
        .map(|s| s.t_ns - from)
}

/// The targets of a run after the initial 0, with the time each was set and how long `actual`
/// took to reach it.
fn settles(s: &RunSeries) -> Vec<(u32, i64, Option<i64>)> {
    // A run starts with no target: leading zeros are the boot's config reads, not a target.
    let targets: Vec<&Sample> = s.num_pages.iter().skip_while(|x| x.pages == 0).collect();
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let next = targets.get(i + 1).map(|n| n.t_ns);
            (t.pages, t.t_ns, took(&s.actual, t.pages, t.t_ns, next))
        })
        .collect()
}

/// Compares run `a` with run `b`.
pub fn compare(a: &RunSeries, b: &RunSeries) -> Comparison {
    let mut queues: Vec<QueueCounts> = Vec::new();
    for m in a.messages.iter().chain(&b.messages) {
        if !queues.iter().any(|q| q.queue == m.queue) {
            queues.push(QueueCounts {
                queue: m.queue,
                a: a.count(m.queue),
                b: b.count(m.queue),
            });
        }
    }
    crate::order::sort_by_key_stable(&mut queues, |q| q.queue.map_or(i128::MAX, |q| q as i128));
    let last = |s: &RunSeries| s.actual.last().map_or(0, |x| x.pages);
    let sb = settles(b);
    let settles = settles(a)
        .into_iter()
        .enumerate()
        .map(|(i, (num_pages, a_set_ns, a_took_ns))| {
            let bm = sb.get(i).filter(|x| x.0 == num_pages);
            Settle {
                num_pages,
                a_set_ns,
                a_took_ns,
                b_set_ns: bm.map(|x| x.1),
                b_took_ns: bm.and_then(|x| x.2),
            }
        })
        .collect();
    // Both step functions only change at their samples: the widest gap is at one of them.
    let (from, to) = (a.start_ns.max(b.start_ns), a.end_ns.min(b.end_ns));
    let widest_gap = a
        .actual
        .iter()
        .chain(&b.actual)
        .map(|s| s.t_ns.clamp(from, to))
        .map(|t| ActualGap {
            t_ns: t,
            a: value_at(&a.actual, t),
            b: value_at(&b.actual, t),
        })
        .filter(|g| g.a != g.b)
        .max_by_key(|g| (g.a.abs_diff(g.b), std::cmp::Reverse(g.t_ns)));
    Comparison {
        queues,
        final_actual: (last(a), last(b)),
        settles,
        widest_gap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(targets: &[(i64, u32)], actual: &[(i64, u32)], ivq: &[i64]) -> RunSeries {
        let mut s = RunSeries::new("t");
        for &(t, p) in targets {
            RunSeries::push_sample(&mut s.num_pages, t, p);
            s.stretch(t);
        }
        for &(t, p) in actual {
            RunSeries::push_sample(&mut s.actual, t, p);
            s.stretch(t);
        }
        for &t in ivq {
            s.push_message(Some(QueueName::Ivq), t);
        }
        s
    }

    #[test]
    fn counts_settle_times_and_widest_gap() {
        // A reaches 256 at 30 (set at 10); B at 50 (set at 12). A stays; B goes back to 0.
        let a = series(&[(10, 256)], &[(20, 128), (30, 256)], &[15, 25]);
        let b = series(
            &[(12, 256)],
            &[(40, 128), (50, 256), (60, 0)],
            &[35, 45, 55],
        );
        let c = compare(&a, &b);
        assert_eq!(
            c.queues,
            [QueueCounts {
                queue: Some(QueueName::Ivq),
                a: 2,
                b: 3
            }]
        );
        assert_eq!(c.final_actual, (256, 0));
        assert_eq!(c.settles.len(), 1);
        assert_eq!(c.settles[0].a_took_ns, Some(20));
        assert_eq!(c.settles[0].b_took_ns, Some(38));
        // At 30 A holds 256 and B 0; at 60 (inside both spans? A ends at 30) it is clamped.
        let g = c.widest_gap.unwrap();
        assert_eq!(g.a.abs_diff(g.b), 256);
        assert_eq!(g.t_ns, 30);
        assert!(!c.same_outcome());
    }

    #[test]
    fn a_run_compared_with_itself_has_no_gap() {
        let a = series(&[(10, 256)], &[(20, 256)], &[15]);
        let c = compare(&a, &a.clone());
        assert!(c.same_outcome());
        assert_eq!(c.widest_gap, None);
    }
}
