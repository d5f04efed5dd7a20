//! How long each event's work lasts in virtual time, from the profile's [`RingCosts`].
//!
//! An event is stamped when its work starts; the world's clock moves on by the cost, so the
//! next event happens when the work ends. Only work the measured pair spends time on is
//! charged: the driver's page allocation and release, the device's per-PFN discard, and the
//! two interrupt paths into the guest. Monitor commands, ring bookkeeping and timers are free.

use balloon_device::{DeviceEvent, RingCosts};
use balloon_driver::DriverEvent;

use super::event::{DeliveredInterrupt, Detail, TraceEvent};

/// Virtual ns the work of `ev` takes.
pub(super) fn cost_ns(ev: &TraceEvent, c: &RingCosts) -> u64 {
    let pfns = |runs: &[balloon_device::PfnRun]| runs.iter().map(|r| r.count).sum::<u64>();
    let device = |d: &DeviceEvent| match d {
        DeviceEvent::Inflated { pfns: p, .. } | DeviceEvent::Deflated { pfns: p, .. } => {
            pfns(p).saturating_mul(c.device_page_ns)
        }
        _ => 0,
    };
    match &ev.detail {
        Detail::Interrupt(DeliveredInterrupt::Config) => c.config_change_to_work_ns,
        Detail::Interrupt(DeliveredInterrupt::Used { .. }) => c.used_interrupt_ns,
        Detail::Driver { event, .. } => match event {
            DriverEvent::PagesAllocated { pages, .. } => {
                pages.pages().saturating_mul(c.guest_inflate_page_ns)
            }
            DriverEvent::PagesDequeued { pages, .. } => {
                pages.pages().saturating_mul(c.guest_deflate_page_ns)
            }
            _ => 0,
        },
        Detail::Device(d) => device(d),
        _ => 0,
    }
}
