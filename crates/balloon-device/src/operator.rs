//! The operator's side: QEMU `system/balloon.c` (`qmp_balloon`, `qmp_query_balloon`), the QOM
//! stats properties, the BALLOON_CHANGE throttle of `monitor/monitor.c`, and the migration
//! precopy notifier that drives free page hinting.

use serde::Serialize;
use virtq::Backend;

use crate::consts::{VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_PFN_SHIFT};
use crate::device::BalloonDevice;
use crate::error::Error;
use crate::event::{BalloonChange, DeviceEvent};
use crate::hint::PrecopyNotifyReason;
use crate::profile::OperatorUnits;
use crate::stats::GuestStats;

const NS_PER_SEC: u64 = 1_000_000_000;

/// QMP `query-balloon` reply (`BalloonInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BalloonInfo {
    /// Guest RAM minus the balloon, in bytes.
    pub actual: i64,
}

/// `monitor_qapi_event_queue` rate limiting for one event type: the first event goes out at
/// once and opens a window; events inside the window replace each other, and the last one goes
/// out when the window closes (opening a new one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QapiThrottle {
    interval_ns: u64,
    window_end: Option<u64>,
    /// The held event: `actual` and when it was raised. QEMU builds the event's dict, with
    /// its timestamp, when the event is raised (`qapi_event_send_balloon_change` →
    /// `qmp_event_build_dict`), and `monitor_qapi_event_queue_no_reenter` keeps that dict
    /// until the window closes.
    pending: Option<(i64, u64)>,
}

impl QapiThrottle {
    /// A throttle with a window of `interval_ns`.
    pub fn new(interval_ns: u64) -> Self {
        Self {
            interval_ns,
            window_end: None,
            pending: None,
        }
    }

    /// Queues a BALLOON_CHANGE.
    pub fn send(&mut self, actual: i64, now_ns: u64) -> BalloonChange {
        match self.window_end {
            Some(end) if now_ns < end => {
                self.pending = Some((actual, now_ns));
                BalloonChange {
                    actual,
                    sent_now: false,
                }
            }
            _ => {
                self.window_end = Some(now_ns.saturating_add(self.interval_ns));
                self.pending = None;
                BalloonChange {
                    actual,
                    sent_now: true,
                }
            }
        }
    }

    /// When a held event will go out.
    pub fn deadline(&self) -> Option<u64> {
        self.pending.and(self.window_end)
    }

    /// The window closed: the held event, if any, goes out (its `actual` and the time it was
    /// raised) and a new window opens.
    pub fn fire(&mut self, now_ns: u64) -> Option<(i64, u64)> {
        let end = self.window_end?;
        if now_ns < end {
            return None;
        }
        let sent = self.pending.take();
        self.window_end = sent.map(|_| now_ns.saturating_add(self.interval_ns));
        sent
    }
}

impl<B: Backend> BalloonDevice<B> {
    /// QMP `balloon {value}`: the target guest size in bytes.
    pub fn balloon(&mut self, value: i64) -> Result<DeviceEvent, Error> {
        if !self.is_realized() {
            return Err(Error::NoBalloonDevice);
        }
        if value <= 0 {
            return Err(Error::TargetNotASize);
        }
        // virtio_balloon_to_target: QEMU's value is the target guest size. The monitor
        // language keeps this meaning on every profile; each VMM's own syntax is
        // `vmm_resize`.
        let ram = self.memory.ram_size();
        let target = (value as u64).min(ram);
        let old = self.num_pages;
        let mut config_interrupt = false;
        if target != 0 {
            // num_pages is a uint32_t: a 16 TiB balloon wraps, as in QEMU.
            self.num_pages = ((ram - target) >> VIRTIO_BALLOON_PFN_SHIFT) as u32;
            config_interrupt = self.notify_config();
        }
        Ok(DeviceEvent::TargetSet {
            requested: value,
            target,
            num_pages: (old, self.num_pages),
            config_interrupt,
        })
    }

    /// The profile's own resize, in its own units ([`OperatorUnits`]): Cloud Hypervisor
    /// `vm.resize {"desired_balloon": bytes}` (`Balloon::resize`), Firecracker
    /// `PATCH /balloon {"amount_mib": M}` (`update_size`), crosvm `crosvm balloon BYTES`
    /// (`BalloonTubeCommand::Adjust`). `value` is the balloon size, not the guest size.
    pub fn vmm_resize(&mut self, value: u64) -> Result<DeviceEvent, Error> {
        let driver_ok = self.status & crate::consts::status::DRIVER_OK != 0 && !self.aborted;
        let (num_pages, function) = match self.profile.operator_units {
            OperatorUnits::TargetGuestBytes => {
                let target = self.memory.ram_size().saturating_sub(value);
                let ev = self.balloon(i64::try_from(target).unwrap_or(i64::MAX))?;
                return Ok(ev);
            }
            OperatorUnits::BalloonBytes => {
                if !self.is_realized() {
                    return Err(Error::MissingVirtioBalloon);
                }
                // `(size >> VIRTIO_BALLOON_PFN_SHIFT) as u32`: no check against RAM here.
                (
                    (value >> VIRTIO_BALLOON_PFN_SHIFT) as u32,
                    "Balloon::resize",
                )
            }
            OperatorUnits::BalloonMib => {
                if !driver_ok {
                    return Err(Error::FirecrackerNotActive);
                }
                if value > self.memory.ram_size() >> 20 {
                    return Err(Error::TooMuchMemoryRequested(value));
                }
                // mib_to_pages: amount_mib * MIB_TO_4K_PAGES (256).
                let pages = u32::try_from(value)
                    .ok()
                    .and_then(|m| m.checked_mul(256))
                    .ok_or(Error::TooMuchMemoryRequested(value))?;
                (pages, "Balloon::update_size")
            }
            OperatorUnits::BalloonBytesRounded => {
                if !driver_ok {
                    return Err(Error::CrosvmNotReady);
                }
                (
                    (value >> VIRTIO_BALLOON_PFN_SHIFT) as u32,
                    "handle_command_tube",
                )
            }
        };
        let old = self.num_pages;
        self.num_pages = num_pages;
        let config_interrupt = self.notify_config();
        Ok(DeviceEvent::VmmResized {
            function,
            requested: value,
            num_pages: (old, num_pages),
            config_interrupt,
        })
    }

    /// QMP `query-balloon`.
    pub fn query_balloon(&self) -> Result<BalloonInfo, Error> {
        if !self.is_realized() {
            return Err(Error::NoBalloonDevice);
        }
        Ok(BalloonInfo {
            actual: self.actual_bytes(),
        })
    }

    /// HMP `info balloon`: "balloon: actual=1024" (MiB).
    pub fn hmp_info_balloon(&self) -> Result<String, Error> {
        let info = self.query_balloon()?;
        Ok(format!("balloon: actual={}", info.actual >> 20))
    }

    /// QOM `qom-get guest-stats`.
    pub fn qom_get_guest_stats(&self) -> GuestStats {
        GuestStats {
            stats: self.stats,
            last_update: self.stats_last_update,
        }
    }

    /// QOM `qom-get guest-stats-polling-interval`.
    pub fn qom_get_polling_interval(&self) -> i64 {
        i64::from(self.stats_poll_interval)
    }

    /// QOM `qom-set guest-stats-polling-interval` (`balloon_stats_set_poll_interval`).
    pub fn qom_set_polling_interval(
        &mut self,
        value: i64,
        now_ns: u64,
    ) -> Result<DeviceEvent, Error> {
        if value < 0 {
            return Err(Error::TimerValueNegative);
        }
        let value = u32::try_from(value).map_err(|_| Error::TimerValueTooBig)?;
        let old = self.stats_poll_interval;
        if value != old {
            if value == 0 {
                self.stats_timer = None;
            } else if old > 0 {
                self.stats_timer = Some(now_ns.saturating_add(u64::from(value) * NS_PER_SEC));
            } else {
                // A new timer fires at once.
                self.stats_timer = Some(now_ns);
            }
            self.stats_poll_interval = value;
        }
        Ok(DeviceEvent::PollingIntervalSet {
            old,
            new: value,
            timer: self.stats_timer,
        })
    }

    /// `virtio_balloon_free_page_hint_notify`: does nothing unless FREE_PAGE_HINT was
    /// negotiated (QEMU also skips it with postcopy-ram, not modelled).
    pub fn precopy_notify(&mut self, reason: PrecopyNotifyReason) -> Option<DeviceEvent> {
        if !self.negotiated(VIRTIO_BALLOON_F_FREE_PAGE_HINT) {
            return None;
        }
        let old = self.hint.status;
        let changed = match reason {
            PrecopyNotifyReason::Setup | PrecopyNotifyReason::Complete => return None,
            PrecopyNotifyReason::BeforeBitmapSync => self.hint.stop(),
            PrecopyNotifyReason::AfterBitmapSync { vm_running: true } => {
                self.memory.clear_hints();
                self.hint.start();
                true
            }
            PrecopyNotifyReason::AfterBitmapSync { vm_running: false }
            | PrecopyNotifyReason::Cleanup => self.hint.done(),
        };
        let config_interrupt = changed && self.notify_config();
        Some(DeviceEvent::HintStatusChanged {
            reason,
            old,
            new: self.hint.status,
            cmd_id: self.hint.cmd_id,
            config_interrupt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_sends_first_then_last_of_window() {
        let mut t = QapiThrottle::new(1_000);
        assert!(t.send(10, 0).sent_now);
        assert!(!t.send(20, 100).sent_now);
        assert!(!t.send(30, 200).sent_now);
        assert_eq!(t.deadline(), Some(1_000));
        assert_eq!(t.fire(1_000), Some((30, 200)));
        assert_eq!(t.deadline(), None);
        // Inside the new window, held again.
        assert!(!t.send(40, 1_500).sent_now);
        assert_eq!(t.fire(2_000), Some((40, 1_500)));
        assert_eq!(t.fire(3_000), None);
        assert!(t.send(50, 3_001).sent_now);
    }
}
