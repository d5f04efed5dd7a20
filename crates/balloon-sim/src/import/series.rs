//! A recording as a [`RunSeries`], on the trace's clock (0 = its first stamped line).

use super::recording::{ImportedKind, Recording};
use crate::compare::RunSeries;

impl Recording {
    /// Guest RAM in pages, from the first `virtio_balloon_to_target` (QEMU's
    /// `virtio_balloon_to_target` computes `num_pages = (ram_size - target) >> 12`, so
    /// `ram_size = target + num_pages * 4096`), else from a `query-balloon` reply before any
    /// `set_config` (QEMU then reports the whole RAM). `None` when neither is there.
    pub fn ram_pages(&self) -> Option<u64> {
        let from_target = self.events.iter().find_map(|e| match e.kind {
            ImportedKind::Target {
                target_bytes,
                num_pages,
            } => Some((target_bytes >> 12) + u64::from(num_pages)),
            _ => None,
        });
        from_target.or_else(|| {
            self.events
                .iter()
                .take_while(|e| !matches!(e.kind, ImportedKind::SetConfig { .. }))
                .find_map(|e| match e.kind {
                    ImportedKind::QmpQueryBalloon { actual_bytes } => Some(actual_bytes >> 12),
                    _ => None,
                })
        })
    }

    /// The recording as a neutral series: `num_pages` from `to_target` and `get_config`,
    /// `actual` from `set_config`, one message per `virtqueue_pop`. Lines without a time are
    /// left out (they have no place on a clock).
    pub fn series(&self, label: impl Into<String>) -> RunSeries {
        let mut s = RunSeries::new(label);
        s.ram_pages = self.ram_pages();
        RunSeries::push_sample(&mut s.actual, 0, 0);
        for e in &self.events {
            let Some(t) = e.t_ns else { continue };
            s.stretch(t);
            match &e.kind {
                ImportedKind::Target { num_pages, .. }
                | ImportedKind::GetConfig { num_pages, .. } => {
                    RunSeries::push_sample(&mut s.num_pages, t, *num_pages)
                }
                ImportedKind::SetConfig { actual, .. } => {
                    RunSeries::push_sample(&mut s.actual, t, *actual)
                }
                ImportedKind::Pop { queue, .. } => s.push_message(*queue, t),
                _ => {}
            }
        }
        s
    }
}
