//! Probe (`virtio_dev_probe` + `virtballoon_probe`) and remove (`virtballoon_remove`), one
//! status, feature, queue or config operation per step.

use virtq::{DriverQueue, GuestRam, QueueLayout, Transport};

use crate::driver::{BalloonDriver, Vq};
use crate::error::Error;
use crate::event::DriverEvent;
use crate::features::{
    self, Role, VIRTIO_BALLOON_F_PAGE_POISON, VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO_F_EVENT_IDX,
    bit, status,
};

/// Where probe is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    Reset,
    Acknowledge,
    Driver,
    Features,
    FeaturesOk,
    Queue(usize),
    FirstStats,
    Poison,
    DriverOk,
    CheckTarget,
}

/// The driver's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Probe(Probe),
    Running,
    Removing(Remove),
    Removed,
    Failed,
}

/// `virtballoon_remove` stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remove {
    Drain,
    Leak,
    ReturnHints,
    Reset,
}

impl BalloonDriver {
    fn set_status(
        &mut self,
        tr: &mut impl Transport,
        new: u8,
        function: &'static str,
    ) -> DriverEvent {
        let old = self.status;
        tr.set_status(new);
        self.status = new;
        DriverEvent::Status { old, new, function }
    }

    pub(crate) fn probe_step(
        &mut self,
        p: Probe,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        use status::*;
        let next = |d: &mut Self, n: Probe| d.phase = Phase::Probe(n);
        Ok(match p {
            Probe::Reset => {
                next(self, Probe::Acknowledge);
                self.set_status(tr, 0, "virtio_reset_device")
            }
            Probe::Acknowledge => {
                next(self, Probe::Driver);
                self.set_status(tr, ACKNOWLEDGE, "virtio_add_status")
            }
            Probe::Driver => {
                next(self, Probe::Features);
                self.set_status(tr, ACKNOWLEDGE | DRIVER, "virtio_dev_probe")
            }
            Probe::Features => {
                self.offered = tr.device_features();
                self.features = features::validate(self.offered, self.cfg.poison);
                tr.set_driver_features(self.features);
                next(self, Probe::FeaturesOk);
                DriverEvent::FeaturesNegotiated {
                    offered: self.offered,
                    accepted: self.features,
                }
            }
            Probe::FeaturesOk => {
                let ev = self.set_status(tr, self.status | FEATURES_OK, "virtio_features_ok");
                if tr.status() & FEATURES_OK == 0 {
                    return Err(Error::FeaturesRefused {
                        features: self.features,
                    });
                }
                next(self, Probe::Queue(0));
                ev
            }
            Probe::Queue(i) => {
                let roles = features::queue_indices(self.features);
                let (role, index) = roles[i];
                let max = tr.queue_max_size(index);
                if max < role.min_size() || max == 0 {
                    return Err(Error::QueueTooSmall {
                        index,
                        name: role.name(),
                        max,
                        needed: role.min_size(),
                    });
                }
                let layout = QueueLayout::contiguous(self.next_ring, max);
                self.next_ring =
                    (self.next_ring + layout.bytes()).next_multiple_of(balloon_spec::PAGE_SIZE);
                let queue = DriverQueue::new(ram, layout, self.has(bit(VIRTIO_F_EVENT_IDX)))?;
                tr.set_queue(index, layout);
                self.vqs.push(Vq {
                    role,
                    index,
                    queue,
                    irq: false,
                });
                let stats = self.vq(Role::Stats).is_some();
                next(
                    self,
                    if i + 1 < roles.len() {
                        Probe::Queue(i + 1)
                    } else if stats {
                        Probe::FirstStats
                    } else {
                        Probe::Poison
                    },
                );
                if i + 1 == roles.len() && stats {
                    self.stats.fill_first();
                }
                DriverEvent::QueueSetUp {
                    role,
                    index,
                    layout,
                }
            }
            Probe::FirstStats => {
                let ev = self.stats_step(tr, ram)?;
                if self.stats.is_idle() {
                    next(self, Probe::Poison);
                }
                ev
            }
            Probe::Poison => {
                next(self, Probe::DriverOk);
                if self.has(bit(VIRTIO_BALLOON_F_PAGE_REPORTING)) {
                    // page_reporting_register flushes the zones once, after the usual delay.
                    self.report.notify = true;
                }
                if self.has(bit(VIRTIO_BALLOON_F_PAGE_POISON)) {
                    let v = self.cfg.poison.poison_val();
                    tr.write_config(features::config::POISON_VAL, &v.to_le_bytes());
                    DriverEvent::PoisonWritten { poison_val: v }
                } else {
                    return self.probe_step(Probe::DriverOk, tr, ram);
                }
            }
            Probe::DriverOk => {
                next(self, Probe::CheckTarget);
                self.set_status(tr, self.status | DRIVER_OK, "virtio_device_ready")
            }
            Probe::CheckTarget => {
                self.phase = Phase::Running;
                let (num_pages, diff) = self.towards_target(tr);
                if diff != 0 {
                    self.on_config_change();
                }
                DriverEvent::TargetRead {
                    num_pages,
                    balloon_pages: self.balloon.num_pages,
                    diff,
                }
            }
        })
    }

    /// Linux `towards_target`: num_pages (LE) minus vb->num_pages.
    pub(crate) fn towards_target(&self, tr: &mut impl Transport) -> (u32, i64) {
        let mut b = [0; 4];
        tr.read_config(features::config::NUM_PAGES, &mut b);
        let target = u32::from_le_bytes(b);
        (target, i64::from(target) - self.balloon.num_pages as i64)
    }

    /// Starts `virtballoon_remove`: no more resizes; the balloon is emptied, then the device
    /// reset.
    pub fn remove(&mut self) {
        if matches!(self.phase, Phase::Running) {
            self.stop_update = true;
            self.balloon.size_pending = false;
            self.phase = Phase::Removing(Remove::Drain);
        }
    }

    pub(crate) fn remove_step(
        &mut self,
        r: Remove,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<Option<DriverEvent>, Error> {
        match r {
            Remove::Drain if !self.balloon.state.is_idle() => {
                if self.op_ready() {
                    return self.balloon_step(tr, ram);
                }
                Ok(None)
            }
            Remove::Drain => {
                self.phase = Phase::Removing(Remove::Leak);
                self.balloon.start_remove();
                self.remove_step(Remove::Leak, tr, ram)
            }
            Remove::Leak => {
                if self.balloon.state.is_idle() {
                    self.phase = Phase::Removing(Remove::ReturnHints);
                    return self.remove_step(Remove::ReturnHints, tr, ram);
                }
                if self.op_ready() {
                    self.balloon_step(tr, ram)
                } else {
                    Ok(None)
                }
            }
            Remove::ReturnHints => {
                self.phase = Phase::Removing(Remove::Reset);
                let pages = self.return_free_pages_to_mm();
                Ok(Some(DriverEvent::HintsReturned { pages }))
            }
            Remove::Reset => {
                self.phase = Phase::Removed;
                let ev = self.set_status(tr, 0, "virtio_reset_device");
                self.vqs.clear();
                Ok(Some(ev))
            }
        }
    }
}
