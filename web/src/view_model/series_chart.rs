//! Geometry of a chart of runs over time: step lines for `num_pages` and `actual`, rows of
//! message ticks, marked spans. Costs O(samples + chart width), never O(pages): ticks are
//! merged per pixel column, so a 530,000-line recording draws as fast as a short one.

use std::rc::Rc;

use super::Fixed;
use balloon_sim::compare::{RunSeries, Sample};

/// A shared run for props: equal when it is the same run (a pointer compare, so a render does
/// not compare a whole recording's samples).
#[derive(Debug, Clone)]
pub struct SeriesRef(pub Rc<RunSeries>);

impl PartialEq for SeriesRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The queue's name as a row label (`unknown` when the source does not say).
pub fn queue_label(q: Option<balloon_sim::command::QueueName>) -> &'static str {
    q.map_or("unknown", |q| q.as_str())
}

/// Chart width in SVG user units.
pub const CHART_W: f64 = 800.0;
/// Left margin for the row labels.
pub const CHART_LEFT: f64 = 90.0;
/// Height of the pages plot.
pub const PLOT_H: f64 = 140.0;
/// Height of one row of message ticks.
pub const ROW_H: f64 = 14.0;

/// Maps time and pages onto the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// First time shown, ns.
    pub t0: i64,
    /// Last time shown, ns.
    pub t1: i64,
    /// Pages at the top of the plot.
    pub max_pages: u64,
}

impl Axis {
    /// An axis over `t0..=t1` (widened to 1 ns if empty) and `0..=max_pages` (at least 1).
    pub fn new(t0: i64, t1: i64, max_pages: u64) -> Self {
        Self {
            t0,
            t1: t1.max(t0 + 1),
            max_pages: max_pages.max(1),
        }
    }

    /// The x of time `t` (clamped to the chart).
    pub fn x(&self, t: i64) -> f64 {
        let f = (t.clamp(self.t0, self.t1) - self.t0) as f64 / (self.t1 - self.t0) as f64;
        CHART_LEFT + f * (CHART_W - CHART_LEFT - 4.0)
    }

    /// The y of `pages` in the pages plot (0 at the bottom).
    pub fn y(&self, pages: u32) -> f64 {
        let f = (f64::from(pages) / self.max_pages as f64).min(1.0);
        4.0 + (1.0 - f) * (PLOT_H - 8.0)
    }

    /// The time at x (the inverse of [`Axis::x`], clamped).
    pub fn t_at(&self, x: f64) -> i64 {
        let f = ((x - CHART_LEFT) / (CHART_W - CHART_LEFT - 4.0)).clamp(0.0, 1.0);
        self.t0 + (f * (self.t1 - self.t0) as f64).round() as i64
    }
}

/// The `d` of a step line through `samples`, held until `end_ns`; empty without samples.
pub fn step_path(samples: &[Sample], axis: &Axis, end_ns: i64) -> String {
    let mut d = String::new();
    for (i, s) in samples.iter().enumerate() {
        let (x, y) = (axis.x(s.t_ns), axis.y(s.pages));
        if i == 0 {
            d.push_str(&format!("M {} {}", Fixed(x, 1), Fixed(y, 1)));
        } else {
            d.push_str(&format!(" H {} V {}", Fixed(x, 1), Fixed(y, 1)));
        }
    }
    if !d.is_empty() {
        d.push_str(&format!(" H {}", Fixed(axis.x(end_ns), 1)));
    }
    d
}

/// The `d` of a row of ticks at `times_ns`, one per pixel column however many fall in it.
pub fn ticks_path(times_ns: &[i64], axis: &Axis, row_y: f64) -> String {
    let mut d = String::new();
    let mut last_col = None;
    for &t in times_ns {
        let col = axis.x(t).round() as i64;
        if last_col != Some(col) {
            last_col = Some(col);
            d.push_str(&format!(
                "M {col} {} v {} ",
                Fixed(row_y + 2.0, 1),
                Fixed(ROW_H - 4.0, 1)
            ));
        }
    }
    d
}

/// Seconds with millisecond precision, signed (`-0.004 s` for a QMP line before the trace).
pub fn seconds(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let ms = ns.unsigned_abs() / 1_000_000;
    format!("{sign}{}.{:03} s", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_maps_the_span_onto_the_chart_and_back() {
        let a = Axis::new(1_000, 3_000, 100);
        assert_eq!(a.x(1_000), CHART_LEFT);
        assert_eq!(a.x(3_000), CHART_W - 4.0);
        assert_eq!(a.x(-9), CHART_LEFT, "clamped");
        assert_eq!(a.t_at(a.x(2_000)), 2_000);
        assert!(a.y(100) < a.y(0));
        assert_eq!(a.y(500), a.y(100), "clamped at the top");
    }

    #[test]
    fn a_step_line_holds_each_value_until_the_next() {
        let a = Axis::new(0, 100, 10);
        let s = [
            Sample { t_ns: 0, pages: 0 },
            Sample {
                t_ns: 50,
                pages: 10,
            },
        ];
        let d = step_path(&s, &a, 100);
        assert_eq!(
            d,
            format!(
                "M {:.1} {:.1} H {:.1} V {:.1} H {:.1}",
                a.x(0),
                a.y(0),
                a.x(50),
                a.y(10),
                a.x(100)
            )
        );
        assert_eq!(step_path(&[], &a, 100), "");
    }

    #[test]
    fn ticks_merge_per_pixel_column() {
        let a = Axis::new(0, 1_000_000, 10);
        // A million messages in one microsecond are one tick; two far apart are two.
        let many = vec![0i64; 1_000_000];
        assert_eq!(ticks_path(&many, &a, 0.0).matches('M').count(), 1);
        assert_eq!(ticks_path(&[0, 1_000_000], &a, 0.0).matches('M').count(), 2);
    }

    #[test]
    fn seconds_are_signed_with_milliseconds() {
        assert_eq!(seconds(1_234_567_890), "1.234 s");
        assert_eq!(seconds(-4_000_000), "-0.004 s");
    }
}
