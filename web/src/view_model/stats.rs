//! The memory map and the stats chart.

use balloon_sim::view::MemoryCell;
use balloon_sim::{Session, StatsSample};

use super::MEMORY_CELLS;

/// The guest memory map in [`MEMORY_CELLS`] cells.
pub fn memory_map(s: &Session) -> Vec<MemoryCell> {
    s.memory_map(MEMORY_CELLS)
}

/// One line of the stats chart.
#[derive(Debug, Clone, PartialEq)]
pub struct StatSeries {
    /// The spec's tag name (`VIRTIO_BALLOON_S_MEMFREE`).
    pub name: &'static str,
    /// (virtual seconds, MiB) points.
    pub points: Vec<(f64, f64)>,
}

/// The stats chart's data.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsChartModel {
    /// Lines with at least one reported value.
    pub series: Vec<StatSeries>,
    /// The time axis ends here (s).
    pub t_max: f64,
    /// The value axis ends here (MiB).
    pub y_max: f64,
    /// Samples in the run (before thinning).
    pub samples: usize,
}

/// The memory stats the chart draws, by tag (`VIRTIO_BALLOON_S_*`, all in bytes).
pub const CHART_STATS: [(usize, &str); 4] = [
    (5, "VIRTIO_BALLOON_S_MEMTOT"),
    (6, "VIRTIO_BALLOON_S_AVAIL"),
    (4, "VIRTIO_BALLOON_S_MEMFREE"),
    (7, "VIRTIO_BALLOON_S_CACHES"),
];

/// The chart of `samples`, thinned to at most `max_points` per line: O(max_points), not
/// O(samples), since only the picked samples are read.
pub fn stats_chart(samples: &[StatsSample], max_points: usize) -> StatsChartModel {
    let n = samples.len();
    let stride = n.div_ceil(max_points.max(1)).max(1);
    let picked: Vec<&StatsSample> = (0..n)
        .step_by(stride)
        .chain((n > 0 && !(n - 1).is_multiple_of(stride)).then(|| n - 1))
        .filter_map(|i| samples.get(i))
        .collect();
    let mib = (1u64 << 20) as f64;
    let series: Vec<StatSeries> = CHART_STATS
        .iter()
        .map(|&(tag, name)| StatSeries {
            name,
            points: picked
                .iter()
                .filter_map(|s| {
                    let v = *s.values.get(tag)?;
                    (v != u64::MAX).then(|| (s.time_ns as f64 / 1e9, v as f64 / mib))
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let max_of = |f: fn(&(f64, f64)) -> f64| {
        series
            .iter()
            .flat_map(|s| s.points.iter().map(f))
            .fold(0.0, f64::max)
    };
    StatsChartModel {
        t_max: max_of(|p| p.0),
        y_max: max_of(|p| p.1),
        series,
        samples: n,
    }
}
