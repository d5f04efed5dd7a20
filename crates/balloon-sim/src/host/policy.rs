//! oVirt MoM's auto-balloon policy, rule for rule from MoM's `doc/balloon.rules` (oVirt/mom,
//! commit 3de1c8e6). MoM's numbers are KiB and floats; here they are bytes and parts per
//! million, so the result is the same natively and in wasm32.
//!
//! What MoM reads, and where this model reads it:
//! - `Host.StatAvg "mem_free"` / `Host.mem_available`: MoM's `Collectors/HostMemory.py` takes
//!   MemFree + Buffers + Cached over MemTotal from /proc/meminfo. The modelled host has no page
//!   cache, so it is the host's free bytes over its RAM.
//! - `guest.balloon_cur`, `guest.balloon_max`, `guest.balloon_min`: libvirt's current memory
//!   (what `query-balloon` says), the VM's RAM, and `<memtune><min_guarantee>` or 0
//!   (`HypervisorInterfaces/libvirtInterface.py` `getVmBalloonInfo`); here min is 0.
//! - `guest.StatAvg "mem_unused"`: libvirt's "unused" balloon stat, the guest's
//!   `VIRTIO_BALLOON_S_MEMFREE`, as the device parsed it from its stats virtqueue.
//! - `StatAvg` is the mean of the samples kept (`Entity.StatAvg`); MoM keeps
//!   `sample-history-length: 10` (`doc/mom-balloon.conf`). Samples are taken at each run of the
//!   policy engine (MoM's collectors run every 5 s, its engine every 10 s: one sample per run
//!   is the simplification).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

const PPM: i128 = 1_000_000;
/// `(defvar pressure_threshold 0.20)`: below this share of free host memory, shrink.
pub const PRESSURE_THRESHOLD_PPM: i128 = 200_000;
/// `(defvar pressure_critical 0.05)`: at or below it, squeeze guests below their free target.
pub const PRESSURE_CRITICAL_PPM: i128 = 50_000;
/// `(defvar min_guest_free_percent 0.20)`: free memory an unconstrained guest keeps.
pub const MIN_GUEST_FREE_PPM: i128 = 200_000;
/// `(defvar max_balloon_change_percent 0.05)`: most a guest changes per run.
pub const MAX_BALLOON_CHANGE_PPM: i128 = 50_000;
/// `(defvar min_balloon_change_percent 0.0025)`: smaller changes are not worth a message.
pub const MIN_BALLOON_CHANGE_PPM: i128 = 2_500;
/// `sample-history-length: 10`.
pub const SAMPLE_HISTORY: usize = 10;

/// What the policy reads of one running guest at one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestSample {
    /// The VM's index.
    pub vm: usize,
    /// `balloon_cur`: the guest's memory as the balloon leaves it, bytes.
    pub balloon_cur: u64,
    /// `balloon_max`: the VM's RAM, bytes.
    pub balloon_max: u64,
    /// `mem_unused` (stat-free-memory), bytes; `None` when the guest reports no stats.
    pub mem_unused: Option<u64>,
}

/// What the policy decided for one guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The VM's index.
    pub vm: usize,
    /// The new balloon target (`guest.Control "balloon_target"`), bytes; `None`: no change.
    pub target: Option<u64>,
    /// Why, in words, with the numbers the rule used.
    pub reason: String,
}

/// MoM's state between runs: the sample histories.
#[derive(Debug, Clone, Default)]
pub struct Mom {
    host_free: VecDeque<u64>,
    guests: Vec<VecDeque<(u64, u64)>>,
}

fn push<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == SAMPLE_HISTORY {
        q.pop_front();
    }
    q.push_back(v);
}

fn avg(values: impl Iterator<Item = u64>) -> i128 {
    let (sum, n) = values.fold((0i128, 0i128), |(s, n), v| (s + i128::from(v), n + 1));
    if n == 0 { 0 } else { sum / n }
}

fn mib(bytes: i128) -> i128 {
    bytes >> 20
}

fn pct(ppm: i128) -> String {
    format!("{} %", ppm / 10_000)
}

impl Mom {
    /// One run of the policy engine: samples, then `balloon.rules`' main script.
    pub fn run(
        &mut self,
        host_free: u64,
        host_ram: u64,
        names: &[String],
        guests: &[GuestSample],
    ) -> Vec<Decision> {
        push(&mut self.host_free, host_free);
        // (defvar host_free_percent (/ (Host.StatAvg "mem_free") Host.mem_available))
        let host_free_ppm = avg(self.host_free.iter().copied()) * PPM / i128::from(host_ram.max(1));
        let mut out = Vec::new();
        for g in guests {
            if self.guests.len() <= g.vm {
                self.guests.resize_with(g.vm + 1, VecDeque::new);
            }
            let name = names.get(g.vm).map_or("?", String::as_str);
            let Some(unused) = g.mem_unused else {
                out.push(Decision {
                    vm: g.vm,
                    target: None,
                    reason: format!(
                        "{name} reports no guest stats (mem_unused): MoM cannot size it; \
                         set guest-stats-polling-interval"
                    ),
                });
                continue;
            };
            let history = &mut self.guests[g.vm];
            push(history, (g.balloon_cur, unused));
            let avg_cur = avg(history.iter().map(|s| s.0));
            let avg_unused = avg(history.iter().map(|s| s.1));
            let d = if host_free_ppm < PRESSURE_THRESHOLD_PPM {
                shrink_guest(name, g, host_free_ppm, avg_cur - avg_unused)
            } else {
                grow_guest(name, g, host_free_ppm, avg_cur - avg_unused)
            };
            out.push(d);
        }
        out
    }
}

/// `(def change_big_enough (guest new_val) ...)`.
fn change_big_enough(cur: i128, new: i128) -> bool {
    (new - cur).abs() > MIN_BALLOON_CHANGE_PPM * cur / PPM
}

/// `(def shrink_guest (guest) ...)`.
fn shrink_guest(name: &str, g: &GuestSample, host_free_ppm: i128, used: i128) -> Decision {
    let cur = i128::from(g.balloon_cur);
    // Critical pressure: "Force guest to swap by making free memory negative".
    let guest_free_ppm = if host_free_ppm <= PRESSURE_CRITICAL_PPM {
        -50_000 + host_free_ppm
    } else {
        MIN_GUEST_FREE_PPM * host_free_ppm / PRESSURE_THRESHOLD_PPM
    };
    let balloon_min = (used + guest_free_ppm * cur / PPM).max(0);
    let mut size = cur * (PPM - MAX_BALLOON_CHANGE_PPM) / PPM;
    if size < balloon_min {
        size = balloon_min;
    }
    let why = format!(
        "host free {} < {}{}",
        pct(host_free_ppm),
        pct(PRESSURE_THRESHOLD_PPM),
        if host_free_ppm <= PRESSURE_CRITICAL_PPM {
            " (critical)"
        } else {
            ""
        }
    );
    let free_now = pct((cur - used) * PPM / cur.max(1));
    if size <= cur && change_big_enough(cur, size) {
        let target = to_kib(size);
        Decision {
            vm: g.vm,
            target: Some(target),
            reason: format!(
                "{why}: shrink {name} by {} MiB to {} MiB, it has {free_now} free \
                 (keeps {} free)",
                mib(cur - i128::from(target)),
                target >> 20,
                pct(guest_free_ppm)
            ),
        }
    } else {
        Decision {
            vm: g.vm,
            target: None,
            reason: format!(
                "{why}: {name} stays at {} MiB, it has {free_now} free and needs {}",
                mib(cur),
                pct(guest_free_ppm)
            ),
        }
    }
}

/// `(def grow_guest (guest) ...)`.
fn grow_guest(name: &str, g: &GuestSample, host_free_ppm: i128, used: i128) -> Decision {
    let cur = i128::from(g.balloon_cur);
    let max = i128::from(g.balloon_max);
    let why = format!(
        "host free {} >= {}",
        pct(host_free_ppm),
        pct(PRESSURE_THRESHOLD_PPM)
    );
    if cur >= max {
        return Decision {
            vm: g.vm,
            target: None,
            reason: format!("{why}: {name} has no balloon to deflate"),
        };
    }
    let balloon_min = (used + MIN_GUEST_FREE_PPM * cur / PPM).max(0);
    let mut size = cur * (PPM + MAX_BALLOON_CHANGE_PPM) / PPM;
    if size < balloon_min {
        size = balloon_min;
    }
    if size > max {
        size = max;
    }
    if change_big_enough(cur, size) {
        let target = to_kib(size);
        Decision {
            vm: g.vm,
            target: Some(target),
            reason: format!(
                "{why}: grow {name} by {} MiB to {} MiB (5 % a run, up to its {} MiB)",
                mib(i128::from(target) - cur),
                target >> 20,
                mib(max)
            ),
        }
    } else {
        Decision {
            vm: g.vm,
            target: None,
            reason: format!("{why}: {name} is within 0.25 % of where it should be"),
        }
    }
}

/// libvirt's `virDomainSetMemory` takes KiB: the target is whole KiB.
fn to_kib(bytes: i128) -> u64 {
    u64::try_from(bytes.max(0)).unwrap_or(u64::MAX) / 1024 * 1024
}

#[cfg(test)]
mod tests;
