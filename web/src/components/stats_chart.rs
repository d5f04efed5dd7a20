//! The guest's memory stats over virtual time (what the device parsed from the stats queue),
//! one SVG polyline per `VIRTIO_BALLOON_S_*` tag, in MiB.

use yew::prelude::*;

use crate::view_model::Fixed;
use crate::view_model::StatsChartModel;

/// User-space size of the plot.
const W: f64 = 320.0;
const H: f64 = 140.0;
/// Left and bottom margins for the axis labels.
const ML: f64 = 44.0;
const MB: f64 = 16.0;

/// The `points` attribute of a polyline for `points` scaled into the plot.
pub fn polyline(points: &[(f64, f64)], t_max: f64, y_max: f64) -> String {
    let (tx, ty) = (t_max.max(1e-9), y_max.max(1e-9));
    points
        .iter()
        .map(|(t, v)| {
            format!(
                "{},{}",
                Fixed(ML + (W - ML - 4.0) * t / tx, 1),
                Fixed((H - MB) - (H - MB - 6.0) * v / ty, 1)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What [`stats_chart_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct StatsChartProps {
    /// The lines.
    pub chart: StatsChartModel,
}

/// A line chart of the memory stats, or a note while there are none.
pub fn stats_chart_view(props: &StatsChartProps) -> Html {
    let c = &props.chart;
    html! {
        <section class="stats-chart" data-testid="stats-chart">
            <h2>{ "Guest stats" }<small>{ format!(" {} sample{} from svq", c.samples, if c.samples == 1 { "" } else { "s" }) }</small></h2>
            if c.series.is_empty() {
                <p class="note">{ "No stats yet: the device returns the stats buffer when guest-stats-polling-interval is set (qom-set), and the guest refills it." }</p>
            } else {
                <svg viewBox={format!("0 0 {} {}", Fixed(W, 0), Fixed(H, 0))} role="img"
                    aria-label={format!("Guest memory stats over {} s of virtual time", Fixed(c.t_max, 1))}>
                    <line class="axis" x1={Fixed(ML, 0).to_string()} y1={Fixed(H - MB, 0).to_string()} x2={Fixed(W, 0).to_string()} y2={Fixed(H - MB, 0).to_string()} />
                    <line class="axis" x1={Fixed(ML, 0).to_string()} y1="0" x2={Fixed(ML, 0).to_string()} y2={Fixed(H - MB, 0).to_string()} />
                    <text class="tick" x={Fixed(ML - 4.0, 0).to_string()} y="10" text-anchor="end">{ Fixed(c.y_max, 0).to_string() }</text>
                    <text class="tick" x={Fixed(ML - 4.0, 0).to_string()} y={Fixed(H - MB, 0).to_string()} text-anchor="end">{ "0 MiB" }</text>
                    <text class="tick" x={Fixed(ML, 0).to_string()} y={Fixed(H, 0).to_string()}>{ "0 s" }</text>
                    <text class="tick" x={Fixed(W, 0).to_string()} y={Fixed(H, 0).to_string()} text-anchor="end">{ format!("{} s", Fixed(c.t_max, 1)) }</text>
                    { for c.series.iter().enumerate().map(|(i, s)| html! {
                        <polyline class={format!("series s{i}")} points={polyline(&s.points, c.t_max, c.y_max)} />
                    }) }
                    // The newest sample of each line, so that a single sample is visible too.
                    { for c.series.iter().enumerate().filter_map(|(i, s)| {
                        let last = polyline(&s.points[s.points.len().saturating_sub(1)..], c.t_max, c.y_max);
                        let (x, y) = last.split_once(',')?;
                        Some(html! { <circle class={format!("dot s{i}")} cx={x.to_owned()} cy={y.to_owned()} r="2.5" /> })
                    }) }
                </svg>
                <ul class="legend">
                    { for c.series.iter().enumerate().map(|(i, s)| html! {
                        <li><span class={format!("swatch s{i}")}></span><code>{ s.name }</code>
                            { s.points.last().map(|p| format!(" {} MiB", Fixed(p.1, 0))).unwrap_or_default() }</li>
                    }) }
                </ul>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyline_maps_the_corners_into_the_plot() {
        let p = polyline(&[(0.0, 0.0), (10.0, 100.0)], 10.0, 100.0);
        assert_eq!(p, format!("{ML:.1},{:.1} {:.1},6.0", H - MB, W - 4.0));
        assert_eq!(polyline(&[], 0.0, 0.0), "");
    }
}
