//! The events of a host: each VM's events tagged with their VM, and the host's own (swap, the
//! OOM killer, the policy, the clock).

use serde::{Deserialize, Serialize};

use super::config::PolicyConfig;
use super::policy::Decision;
use crate::stepping::MessageEnd;
use crate::world::TraceEvent;

/// One event of the host's trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostEvent {
    /// 0-based position in the host's trace.
    pub index: u64,
    /// Virtual time in ns (the host's one clock).
    pub time_ns: u64,
    /// What happened.
    pub detail: HostDetail,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostDetail {
    /// One event of one VM (its own index counts that VM's events).
    Vm {
        /// The VM's index in the script.
        vm: usize,
        /// The event.
        event: TraceEvent,
    },
    /// The host had no free page for a guest write and swapped out pages of that VM's QEMU
    /// process (mm/vmscan.c reclaim: `shrink_page_list`, `shrink_folio_list` in newer
    /// kernels, → `add_to_swap`).
    SwapOut {
        /// The VM.
        vm: usize,
        /// Pages written to swap.
        pages: u64,
        /// Swap in use afterwards, pages.
        swap_used: u64,
    },
    /// The host's OOM killer killed a QEMU process (`out_of_memory` → `__oom_kill_process`).
    OomKill {
        /// The VM whose process died.
        vm: usize,
        /// The VM whose guest write found no memory.
        writer: usize,
        /// Its `oom_badness()` score.
        badness: i64,
        /// The kernel's log line.
        line: String,
        /// Bytes of host RAM it held (overhead and guest pages), now free.
        freed_bytes: u64,
    },
    /// One decision of a run of the balloon policy.
    Policy(Decision),
    /// `host policy ...`.
    PolicySet(PolicyConfig),
    /// A line for a VM whose QEMU process is gone.
    VmGone {
        /// The VM.
        vm: usize,
        /// The line.
        request: String,
    },
    /// Virtual time advanced (the end of `run DURATION`).
    Clock {
        /// From, ns.
        from: u64,
        /// To, ns.
        to: u64,
    },
}

impl HostEvent {
    /// The VM the event belongs to, if any.
    pub fn vm(&self) -> Option<usize> {
        match &self.detail {
            HostDetail::Vm { vm, .. }
            | HostDetail::SwapOut { vm, .. }
            | HostDetail::OomKill { vm, .. }
            | HostDetail::VmGone { vm, .. } => Some(*vm),
            HostDetail::Policy(d) => Some(d.vm),
            HostDetail::PolicySet(_) | HostDetail::Clock { .. } => None,
        }
    }

    /// One plain sentence, the VM's name first (`names` in script order).
    pub fn sentence(&self, names: &[String]) -> String {
        let name = |vm: &usize| names.get(*vm).map_or("?", String::as_str);
        match &self.detail {
            HostDetail::Vm { vm, event } => format!("[{}] {}", name(vm), event.sentence()),
            HostDetail::SwapOut {
                vm,
                pages,
                swap_used,
            } => format!(
                "[host] No free memory for {}'s write: the host swapped out {} MiB of its QEMU \
                 process ({} MiB of swap in use).",
                name(vm),
                (pages * 4096) >> 20,
                (swap_used * 4096) >> 20
            ),
            HostDetail::OomKill {
                vm,
                writer,
                badness,
                line,
                ..
            } => format!(
                "[host] {}'s guest wrote with no host memory left and no swap: the OOM killer \
                 took {} (badness {badness}). {line}",
                name(writer),
                name(vm)
            ),
            HostDetail::Policy(d) => format!("[policy] {}", d.reason),
            HostDetail::PolicySet(p) => format!("[host] Balloon policy: {p}."),
            HostDetail::VmGone { vm, request } => format!(
                "[{}] \"{request}\" finds no QEMU: the process was killed.",
                name(vm)
            ),
            HostDetail::Clock { from, to } => format!(
                "[host] Virtual time advances from {} ms to {} ms.",
                from / 1_000_000,
                to / 1_000_000
            ),
        }
    }

    /// The real function behind the event (the VM event's own, or the host kernel's).
    pub fn function(&self) -> &'static str {
        match &self.detail {
            HostDetail::Vm { event, .. } => event.function(),
            HostDetail::SwapOut { .. } => "add_to_swap",
            HostDetail::OomKill { .. } => "__oom_kill_process",
            HostDetail::Policy(_) | HostDetail::PolicySet(_) => "balloon.rules",
            HostDetail::VmGone { .. } | HostDetail::Clock { .. } => "",
        }
    }
}

impl MessageEnd for HostEvent {
    fn ends_message(&self) -> bool {
        matches!(&self.detail, HostDetail::Vm { event, .. } if event.ends_message())
    }
}
