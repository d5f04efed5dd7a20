//! A run as the compare view draws it: `num_pages` and `actual` over time and the messages of
//! each queue, on one clock. Neutral on purpose: a simulator run, an imported QEMU recording
//! or another VMM's run all become a [`RunSeries`].

use balloon_device::DeviceEvent;
use serde::Serialize;

use crate::command::QueueName;
use crate::trace::{ConfigField, Move};
use crate::world::{Detail, TraceEvent};

/// A value that holds from `t_ns` until the next sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// When it took this value, ns on the series' clock.
    pub t_ns: i64,
    /// The value, pages.
    pub pages: u32,
}

/// The messages of one queue: when the device popped each element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueMessages {
    /// The queue; `None` for elements whose queue the source does not say.
    pub queue: Option<QueueName>,
    /// Pop times, ns, in order.
    pub times_ns: Vec<i64>,
}

/// One run, reduced to what two runs can be compared on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSeries {
    /// What the run is ("QEMU 7.2 recording", "simulator").
    pub label: String,
    /// Guest RAM in pages, when known (the outline's scale).
    pub ram_pages: Option<u64>,
    /// Where the run starts and ends on its clock, ns.
    pub start_ns: i64,
    /// End of the run, ns.
    pub end_ns: i64,
    /// `num_pages` (the target the device asks for), as a step function.
    pub num_pages: Vec<Sample>,
    /// `actual` (what the guest reports holding), as a step function.
    pub actual: Vec<Sample>,
    /// Messages per queue, queues in spec order, unknown last.
    pub messages: Vec<QueueMessages>,
}

/// The value of step function `samples` at `t_ns` (0 before the first sample).
pub fn value_at(samples: &[Sample], t_ns: i64) -> u32 {
    let i = samples.partition_point(|s| s.t_ns <= t_ns);
    i.checked_sub(1).map_or(0, |i| samples[i].pages)
}

impl RunSeries {
    /// An empty series.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ram_pages: None,
            start_ns: 0,
            end_ns: 0,
            num_pages: Vec::new(),
            actual: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// Records a message on `queue` at `t_ns`.
    pub fn push_message(&mut self, queue: Option<QueueName>, t_ns: i64) {
        match self.messages.iter_mut().find(|m| m.queue == queue) {
            Some(m) => m.times_ns.push(t_ns),
            None => {
                self.messages.push(QueueMessages {
                    queue,
                    times_ns: vec![t_ns],
                });
                // Spec order (ivq, dvq, svq, free_page_vq, reporting_vq), unknown last.
                crate::order::sort_by_key_stable(&mut self.messages, |m| {
                    m.queue.map_or(i128::MAX, |q| q as i128)
                });
            }
        }
        self.stretch(t_ns);
    }

    /// Records a new value of a step function (kept only when it changes).
    pub fn push_sample(samples: &mut Vec<Sample>, t_ns: i64, pages: u32) {
        if samples.last().is_none_or(|s| s.pages != pages) {
            samples.push(Sample { t_ns, pages });
        }
    }

    /// Widens the run's span to include `t_ns`.
    pub fn stretch(&mut self, t_ns: i64) {
        self.start_ns = self.start_ns.min(t_ns);
        self.end_ns = self.end_ns.max(t_ns);
    }

    /// Messages on `queue`.
    pub fn count(&self, queue: Option<QueueName>) -> u64 {
        self.messages
            .iter()
            .find(|m| m.queue == queue)
            .map_or(0, |m| m.times_ns.len() as u64)
    }

    /// The series of a simulator run: its events' config moves and pops, with every time
    /// shifted by `offset_ns` (to put the run on another run's clock).
    pub fn from_events(
        label: impl Into<String>,
        ram_pages: u64,
        events: impl IntoIterator<Item = TraceEvent>,
        offset_ns: i64,
    ) -> Self {
        let mut s = Self::new(label);
        s.ram_pages = Some(ram_pages);
        s.start_ns = offset_ns;
        s.end_ns = offset_ns;
        Self::push_sample(&mut s.num_pages, offset_ns, 0);
        Self::push_sample(&mut s.actual, offset_ns, 0);
        for ev in events {
            let t = offset_ns.saturating_add(i64::try_from(ev.time_ns).unwrap_or(i64::MAX));
            s.stretch(t);
            // One message per element popped (`virtqueue_pop` in QEMU's handlers); an empty
            // ring's pop (`QueueDrained`) is not a message.
            if matches!(ev.detail, Detail::Device(DeviceEvent::Popped { .. })) {
                s.push_message(ev.queue, t);
            }
            for m in ev.moves() {
                if let Move::Config { field, new, .. } = m {
                    match field {
                        ConfigField::NumPages => Self::push_sample(&mut s.num_pages, t, new),
                        ConfigField::Actual => Self::push_sample(&mut s.actual, t, new),
                        _ => {}
                    }
                }
            }
        }
        s
    }
}

/// The most of `times_ns` (sorted) that fall in any window of `window_ns`.
pub fn peak_in_window(times_ns: &[i64], window_ns: i64) -> usize {
    let mut best = 0;
    let mut from = 0;
    for (i, &t) in times_ns.iter().enumerate() {
        while t - times_ns[from] >= window_ns {
            from += 1;
        }
        best = best.max(i + 1 - from);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_function_holds_until_the_next_sample() {
        let s = [Sample { t_ns: 10, pages: 5 }, Sample { t_ns: 20, pages: 7 }];
        assert_eq!(value_at(&s, 0), 0);
        assert_eq!(value_at(&s, 10), 5);
        assert_eq!(value_at(&s, 19), 5);
        assert_eq!(value_at(&s, 25), 7);
        assert_eq!(value_at(&[], 25), 0);
    }

    #[test]
    fn peak_counts_the_busiest_window() {
        // Three within one second (0.1, 0.5, 1.05 is outside 0.1's), then a burst of three.
        let t = [100, 500, 1050, 3000, 3001, 3002];
        assert_eq!(peak_in_window(&t, 1000), 3);
        assert_eq!(peak_in_window(&t, 10_000), 6);
        assert_eq!(peak_in_window(&[], 1000), 0);
    }

    #[test]
    fn messages_keep_spec_order_with_unknown_last() {
        let mut s = RunSeries::new("x");
        s.push_message(None, 3);
        s.push_message(Some(QueueName::Svq), 1);
        s.push_message(Some(QueueName::Ivq), 2);
        s.push_message(Some(QueueName::Ivq), 4);
        let order: Vec<_> = s.messages.iter().map(|m| m.queue).collect();
        assert_eq!(order, [Some(QueueName::Ivq), Some(QueueName::Svq), None]);
        assert_eq!(s.count(Some(QueueName::Ivq)), 2);
        assert_eq!((s.start_ns, s.end_ns), (0, 4));
    }
}
