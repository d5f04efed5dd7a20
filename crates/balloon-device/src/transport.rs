//! What the transport (virtio-pci common configuration) asks of the device: features, status,
//! config space, queue placement, kicks; plus unrealize.

use virtq::{Backend, DeviceQueue, QueueLayout};

use crate::config::{BalloonConfig, access_fits, split_access};
use crate::consts::{VIRTIO_BALLOON_F_PAGE_POISON, VIRTIO_F_EVENT_IDX, status};
use crate::device::{BalloonDevice, InitStage};
use crate::event::DeviceEvent;
use crate::profile::{ConfigWriteRule, ResetRule};
use crate::stats::StatValues;
use crate::vq::{QueueKind, Stage};

impl<B: Backend> BalloonDevice<B> {
    /// The driver reads the device features.
    pub fn read_device_features(&self) -> DeviceEvent {
        DeviceEvent::FeaturesRead {
            features: self.device_features(),
        }
    }

    /// The driver writes its features (`virtio_set_features`: refused after FEATURES_OK,
    /// masked with the offered features).
    pub fn set_driver_features(&mut self, features: u64) -> DeviceEvent {
        if self.status & status::FEATURES_OK != 0 {
            return DeviceEvent::DriverFeaturesSet {
                requested: features,
                accepted: self.driver_features,
                applied: false,
            };
        }
        self.driver_features = features & self.device_features();
        DeviceEvent::DriverFeaturesSet {
            requested: features,
            accepted: self.driver_features,
            applied: true,
        }
    }

    /// The driver writes the status byte; 0 resets the device.
    pub fn set_status(&mut self, status: u8) -> DeviceEvent {
        if status == 0 {
            return self.reset();
        }
        // virtio_set_status: the balloon has no validate_features, so FEATURES_OK always
        // sticks; virtio_balloon_set_status's stats rewind only matters after a migration.
        let old = self.status;
        self.status = status;
        DeviceEvent::StatusSet { old, new: status }
    }

    /// `virtio_reset` -> `virtio_balloon_device_reset`: num_pages and actual survive.
    fn reset(&mut self) -> DeviceEvent {
        let old_status = self.status;
        // virtio_set_status(vdev, 0) runs first, so free_page_stop raises no interrupt.
        self.status = 0;
        self.hint.stop();
        let mut unpopped_stats = None;
        if let Some(head) = self.stats_held.take() {
            if let Some(i) = self.queue_index(QueueKind::Stats) {
                self.queues[usize::from(i)].queue.unpop();
            }
            unpopped_stats = Some(head);
        }
        self.poison_val = 0;
        if self.profile.reset == ResetRule::ZeroActual {
            // Firecracker `_reset`: "Do not deflate the balloon on reset" keeps num_pages, but
            // actual, the hint cmd id and the stats start over.
            self.actual = 0;
            self.stats = crate::stats::StatValues::default();
            // `self.stats_timer.arm(Duration::ZERO, None)`: polling stops until activation.
            self.stats_timer = None;
        }
        self.broken = false;
        self.driver_features = 0;
        self.active = None;
        self.interrupts.clear();
        for q in &mut self.queues {
            q.queue.reset();
            q.stage = Stage::Idle;
            q.kicked = false;
            q.stalled = false;
        }
        DeviceEvent::DeviceReset {
            old_status,
            num_pages: self.num_pages,
            actual: self.actual,
            unpopped_stats,
        }
    }

    /// A config read of `data.len()` bytes at `offset`, as 4/2/1-byte accesses.
    pub fn read_config(&mut self, offset: u32, data: &mut [u8]) -> DeviceEvent {
        let mut out_of_range = false;
        let mut done = 0;
        for (off, len) in split_access(offset, data.len()) {
            if access_fits(off, len, self.config_size) {
                self.config_copy = self.config().image(self.profile.config_tail);
                let o = off as usize;
                data[done..done + len].copy_from_slice(&self.config_copy[o..o + len]);
            } else {
                data[done..done + len].fill(0xff);
                out_of_range = true;
            }
            done += len;
        }
        if out_of_range {
            return DeviceEvent::ConfigAccessOutOfRange {
                offset,
                len: data.len(),
                size: self.config_size,
                write: false,
            };
        }
        DeviceEvent::ConfigRead {
            offset,
            data: data.to_vec(),
            config: self.config(),
        }
    }

    /// A config write at `offset` (`virtio_balloon_set_config` after each access; the other
    /// profiles' `write_config` rules).
    pub fn write_config(&mut self, offset: u32, data: &[u8], now_ns: u64) -> DeviceEvent {
        let old = self.config();
        if self.profile.config_write == ConfigWriteRule::ActualOnly
            && (offset, data.len()) != (4, 4)
        {
            return DeviceEvent::ConfigWriteIgnored {
                offset,
                data: data.to_vec(),
                message: format!(
                    "Attempt to write to read-only field: offset {offset:x} length {}",
                    data.len()
                ),
            };
        }
        if self.profile.config_write == ConfigWriteRule::ScratchKeepActual {
            // crosvm `copy_config` copies what overlaps the image and drops the rest.
            let mut scratch = self.config().image(self.profile.config_tail);
            let start = (offset as usize).min(self.config_size);
            let end = (offset as usize)
                .saturating_add(data.len())
                .min(self.config_size);
            if start < end {
                scratch[start..end].copy_from_slice(&data[..end - start]);
            }
            let actual = BalloonConfig::from_image(&scratch).actual;
            let changed = actual != self.actual;
            self.actual = actual;
            let balloon_change = (changed && self.profile.balloon_change_events).then(|| {
                let bytes = self.actual_bytes();
                self.throttle.send(bytes, now_ns)
            });
            return DeviceEvent::ConfigWritten {
                offset,
                data: data.to_vec(),
                old,
                new: self.config(),
                balloon_change,
            };
        }
        let mut balloon_change = None;
        let mut done = 0;
        for (off, len) in split_access(offset, data.len()) {
            if !access_fits(off, len, self.config_size) {
                return DeviceEvent::ConfigAccessOutOfRange {
                    offset,
                    len: data.len(),
                    size: self.config_size,
                    write: true,
                };
            }
            let o = off as usize;
            if self.profile.config_write == ConfigWriteRule::AnyInRange {
                // Firecracker writes into its live ConfigSpace, not a copy refreshed on reads.
                self.config_copy = self.config().image(self.profile.config_tail);
            }
            self.config_copy[o..o + len].copy_from_slice(&data[done..done + len]);
            done += len;
            if let Some(c) = self.set_config(now_ns) {
                balloon_change = Some(c);
            }
        }
        DeviceEvent::ConfigWritten {
            offset,
            data: data.to_vec(),
            old,
            new: self.config(),
            balloon_change,
        }
    }

    fn set_config(&mut self, now_ns: u64) -> Option<crate::event::BalloonChange> {
        let c = BalloonConfig::from_image(&self.config_copy);
        if self.profile.config_write == ConfigWriteRule::AnyInRange {
            // Firecracker copies into its ConfigSpace: num_pages is the guest's to change too.
            self.num_pages = c.num_pages;
        }
        let old_actual = self.actual;
        self.actual = c.actual;
        let mut change = None;
        if self.actual != old_actual && self.profile.balloon_change_events {
            let actual = self.actual_bytes();
            change = Some(self.throttle.send(actual, now_ns));
        }
        self.poison_val = 0;
        if self.negotiated(VIRTIO_BALLOON_F_PAGE_POISON) {
            self.poison_val = c.poison_val;
        }
        change
    }

    /// `vm_ram_size - (actual << 12)`, as QEMU computes it (wrapping, then signed).
    pub(crate) fn actual_bytes(&self) -> i64 {
        self.memory
            .ram_size()
            .wrapping_sub(u64::from(self.actual) << 12) as i64
    }

    /// `virtio_balloon_device_unrealize` (device_del): hinting stopped, the stats timer
    /// destroyed, the balloon handler removed (operator commands then fail with
    /// "No balloon device has been activated"), every queue deleted.
    pub fn unrealize(&mut self) -> DeviceEvent {
        let queues_deleted = self.queues.len();
        self.hint.stop();
        self.stats_timer = None;
        self.stats_poll_interval = 0;
        self.stats_held = None;
        self.queues.clear();
        self.kinds.clear();
        self.active = None;
        self.interrupts.clear();
        self.init = InitStage::Unrealized;
        DeviceEvent::Unrealized { queues_deleted }
    }

    /// `virtio_balloon_system_reset_enter` (a machine reset, not a wake-up): the stats and
    /// last-update are cleared; the virtio reset itself comes through [`Self::set_status`]`(0)`.
    pub fn system_reset(&mut self) {
        self.stats = StatValues::reset(self.profile.stats_tags);
        self.stats_last_update = 0;
    }

    /// The maximum size of queue `index` (0 when absent).
    pub fn queue_max_size(&self, index: u16) -> u16 {
        self.queue(index).map(|q| q.max_size()).unwrap_or(0)
    }

    /// The driver places queue `index` and enables it.
    pub fn set_queue(&mut self, index: u16, layout: QueueLayout) -> DeviceEvent {
        let event_idx = self.negotiated(VIRTIO_F_EVENT_IDX);
        let i = usize::from(index);
        if i >= self.queues.len() {
            return DeviceEvent::NoSuchQueue {
                index,
                op: "set_queue",
            };
        }
        let queue = self.qref(i);
        match self.queues[i].queue.configure(layout, event_idx) {
            Ok(()) => DeviceEvent::QueueConfigured {
                queue,
                layout,
                event_idx,
            },
            Err(e) => DeviceEvent::QueueConfigFailed {
                queue,
                error: e.to_string(),
            },
        }
    }

    /// The driver kicks queue `index` (`virtio_queue_notify`: ignored when the queue has no
    /// ring or the device is broken).
    pub fn notify(&mut self, index: u16) -> DeviceEvent {
        let i = usize::from(index);
        if i >= self.queues.len() {
            return DeviceEvent::NoSuchQueue {
                index,
                op: "notify",
            };
        }
        let accepted = !self.broken && !self.aborted && self.queues[i].queue.ready();
        if accepted {
            self.queues[i].kicked = true;
        }
        DeviceEvent::Kicked {
            queue: self.qref(i),
            accepted,
        }
    }
}
