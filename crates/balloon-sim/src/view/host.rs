//! The host view: where the host's RAM is (its own use, each QEMU process, free) and, per VM,
//! where its guest RAM is (resident, in swap, saved by discards, never touched).
//!
//! The bar adds up to the host's RAM by construction of the host's own books
//! ([`Host::audit`]): `own + Σ (QEMU overhead + guest pages resident in RAM) + free = RAM`.
//! Guest memory the balloon saved is not host RAM any more: it is part of `free`, or of the
//! process that took it since, which is the point of the picture.

use serde::Serialize;
use virtq::Backend;

use super::BalloonView;
use crate::host::{Host, VmState};
use crate::stepping::Clocked;

/// What one segment of the host bar holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HostPart {
    /// The host kernel and its other processes (`host own`).
    Own,
    /// One VM's QEMU process: its overhead and its guest pages resident in RAM.
    Vm(usize),
    /// Free host RAM.
    Free,
}

/// One segment of the host bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSegment {
    /// Whose.
    pub part: HostPart,
    /// Bytes of host RAM.
    pub bytes: u64,
}

/// One VM card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmCardView {
    /// `-name`.
    pub name: String,
    /// Its QEMU process id.
    pub pid: u32,
    /// Running or killed.
    pub state: VmState,
    /// Guest RAM (`-m`), bytes.
    pub ram_size: u64,
    /// The balloon while the process lives (none once the OOM killer took it).
    pub balloon: Option<BalloonView>,
    /// Host RAM the process holds: overhead + `resident_bytes`.
    pub host_bytes: u64,
    /// Guest pages resident in host RAM (not swapped out), bytes.
    pub resident_bytes: u64,
    /// Guest pages in the host's swap, bytes.
    pub swapped_bytes: u64,
    /// Guest pages discards gave back to the host and the guest has not written again.
    pub saved_bytes: u64,
    /// Guest RAM the host never had to back: neither resident, swapped nor saved.
    pub untouched_bytes: u64,
}

/// The host at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostView {
    /// Physical RAM, bytes.
    pub ram: u64,
    /// Swap size, bytes (0 = none).
    pub swap: u64,
    /// Swap in use, bytes.
    pub swap_used: u64,
    /// The policy (`off`, `mom 10s`).
    pub policy: String,
    /// Virtual time, ns.
    pub now_ns: u64,
    /// The bar: own use, then each VM in script order, then free; adds up to `ram`.
    pub segments: Vec<HostSegment>,
    /// One card per VM, in script order.
    pub vms: Vec<VmCardView>,
}

impl HostView {
    /// The view of `host` now.
    pub fn of<B: Backend>(host: &Host<B>) -> Self {
        let vms: Vec<VmCardView> = host
            .vms()
            .iter()
            .map(|v| {
                let balloon = v.world().map(crate::world::World::balloon_view);
                let saved_bytes = balloon.as_ref().map_or(0, |b| b.saved_bytes);
                let backed = v.guest_rss_bytes() + v.swapped_bytes();
                VmCardView {
                    name: v.name().to_owned(),
                    pid: v.pid(),
                    state: v.state(),
                    ram_size: v.machine().ram_size,
                    host_bytes: v.host_bytes(),
                    resident_bytes: v.guest_rss_bytes(),
                    swapped_bytes: v.swapped_bytes(),
                    saved_bytes,
                    untouched_bytes: match v.state() {
                        VmState::Running => {
                            v.machine().ram_size.saturating_sub(backed + saved_bytes)
                        }
                        // A killed process's memory is all the host's again: nothing is held.
                        VmState::OomKilled { .. } => 0,
                    },
                    balloon,
                }
            })
            .collect();
        let mut segments = Vec::with_capacity(vms.len() + 2);
        segments.push(HostSegment {
            part: HostPart::Own,
            bytes: host.config().own,
        });
        segments.extend(vms.iter().enumerate().map(|(i, v)| HostSegment {
            part: HostPart::Vm(i),
            bytes: v.host_bytes,
        }));
        segments.push(HostSegment {
            part: HostPart::Free,
            bytes: host.free_bytes(),
        });
        Self {
            ram: host.config().ram,
            swap: host.config().swap,
            swap_used: host.swap_used_bytes(),
            policy: host.policy().to_string(),
            now_ns: Clocked::now_ns(host),
            segments,
            vms,
        }
    }

    /// The bar segment of VM `vm`, bytes.
    pub fn vm_bytes(&self, vm: usize) -> Option<u64> {
        self.segments
            .iter()
            .find(|s| s.part == HostPart::Vm(vm))
            .map(|s| s.bytes)
    }

    /// Free host RAM, bytes.
    pub fn free_bytes(&self) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.part == HostPart::Free)
            .map(|s| s.bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests;
