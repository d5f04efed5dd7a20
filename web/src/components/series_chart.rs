//! Runs over time on one clock: each run's `num_pages` (dashed) and `actual` (solid), a row of
//! message ticks per queue and run, marked spans, and a cursor. Any [`RunSeries`] works: a
//! recording, a simulator run, another VMM's run.
//!
//! [`RunSeries`]: balloon_sim::compare::RunSeries

use std::rc::Rc;

use balloon_sim::import::{Mark, MarkKind};
use yew::prelude::*;

use crate::view_model::Fixed;
use crate::view_model::series_chart::{
    Axis, CHART_LEFT, CHART_W, PLOT_H, ROW_H, SeriesRef, queue_label, seconds, step_path,
    ticks_path,
};

/// What [`series_chart_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct SeriesChartProps {
    /// The runs, drawn in order (the first is the reference).
    pub series: Vec<SeriesRef>,
    /// Spans to mark (gaps, stalls, pages taken back), if any.
    #[prop_or_default]
    pub marks: Option<Rc<Vec<Mark>>>,
    /// The cursor, ns.
    #[prop_or_default]
    pub cursor_ns: Option<i64>,
    /// The chart's accessible name.
    pub label: AttrValue,
}

fn mark_class(k: MarkKind) -> &'static str {
    match k {
        MarkKind::Gap => "mark-gap",
        MarkKind::Stall => "mark-stall",
        MarkKind::TakenBack => "mark-taken-back",
    }
}

/// Describes a mark in words (its `<title>`).
pub fn mark_words(m: &Mark) -> String {
    match m.kind {
        MarkKind::Gap => format!(
            "gap: nothing traced from {} to {}",
            seconds(m.from_ns),
            seconds(m.to_ns)
        ),
        MarkKind::Stall => format!(
            "stall: {} pages from the target and no inflate/deflate message from {} to {}",
            m.pages,
            seconds(m.from_ns),
            seconds(m.to_ns)
        ),
        MarkKind::TakenBack => format!(
            "{} pages taken back by the guest at {} while the target stayed",
            m.pages,
            seconds(m.from_ns)
        ),
    }
}

/// The chart.
pub fn series_chart_view(props: &SeriesChartProps) -> Html {
    let runs: Vec<&balloon_sim::compare::RunSeries> = props.series.iter().map(|s| &*s.0).collect();
    let t0 = runs.iter().map(|r| r.start_ns).min().unwrap_or(0);
    let t1 = runs.iter().map(|r| r.end_ns).max().unwrap_or(1);
    let peak = runs
        .iter()
        .flat_map(|r| r.num_pages.iter().chain(&r.actual))
        .map(|s| u64::from(s.pages))
        .max()
        .unwrap_or(0);
    let axis = Axis::new(t0, t1, peak + peak / 10);
    let rows: Vec<(usize, &balloon_sim::compare::QueueMessages)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.messages.iter().map(move |m| (i, m)))
        .collect();
    let height = PLOT_H + ROW_H * rows.len() as f64 + 18.0;
    let marks = props.marks.as_deref().map(Vec::as_slice).unwrap_or(&[]);
    html! {
        <svg class="series-chart" data-testid="series-chart" viewBox={format!("0 0 {} {}", Fixed(CHART_W, 0), Fixed(height, 0))}
            role="img" aria-label={props.label.clone()}>
            <text class="axis-label" x="4" y="12">{ format!("{} pages", axis.max_pages) }</text>
            <text class="axis-label" x="4" y={Fixed(PLOT_H - 4.0, 0).to_string()}>{ "0" }</text>
            <line class="axis" x1={Fixed(CHART_LEFT, 0).to_string()} y1={Fixed(axis.y(0), 1).to_string()}
                x2={Fixed(CHART_W - 4.0, 0).to_string()} y2={Fixed(axis.y(0), 1).to_string()} />
            { for marks.iter().map(|m| {
                let (x0, x1) = (axis.x(m.from_ns), axis.x(m.to_ns));
                html! {
                    <rect class={classes!("mark", mark_class(m.kind))} data-testid="mark"
                        x={Fixed(x0, 1).to_string()} y="0" width={Fixed((x1 - x0).max(2.0), 1).to_string()}
                        height={Fixed(height, 0).to_string()}>
                        <title>{ mark_words(m) }</title>
                    </rect>
                }
            }) }
            { for runs.iter().enumerate().map(|(i, r)| html! {
                <g class={format!("run run-{i}")} data-testid={format!("run-{i}")}>
                    <path class="target-line" d={step_path(&r.num_pages, &axis, r.end_ns)} />
                    <path class="actual-line" data-testid={format!("actual-line-{i}")}
                        d={step_path(&r.actual, &axis, r.end_ns)} />
                </g>
            }) }
            { for rows.iter().enumerate().map(|(row, (i, m))| {
                let y = PLOT_H + ROW_H * row as f64;
                html! {
                    <g class={format!("run-{i}")}>
                        <text class="row-label" x="4" y={Fixed(y + ROW_H - 4.0, 1).to_string()}>
                            { format!("{} {}", queue_label(m.queue), if runs.len() > 1 { ["A", "B", "C", "D"].get(*i).copied().unwrap_or("") } else { "" }) }
                        </text>
                        <path class="ticks" d={ticks_path(&m.times_ns, &axis, y)} />
                    </g>
                }
            }) }
            <text class="axis-label" x={Fixed(CHART_LEFT, 0).to_string()} y={Fixed(height - 4.0, 0).to_string()}>{ seconds(t0) }</text>
            <text class="axis-label" x={Fixed(CHART_W - 60.0, 0).to_string()} y={Fixed(height - 4.0, 0).to_string()}>{ seconds(t1) }</text>
            if let Some(t) = props.cursor_ns {
                <line class="cursor" data-testid="chart-cursor" x1={Fixed(axis.x(t), 1).to_string()} y1="0"
                    x2={Fixed(axis.x(t), 1).to_string()} y2={Fixed(height, 0).to_string()} />
            }
        </svg>
    }
}
