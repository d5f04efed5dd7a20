//! One VM on the host: its world while its QEMU process lives, and what the host counts of it.

use std::cell::Cell;

use balloon_spec::PAGE_SIZE;
use serde::{Deserialize, Serialize};
use virtq::Backend;

use super::oom::ProcessMemory;
use crate::command::MachineConfig;
use crate::world::World;

/// Whether the VM's QEMU process lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VmState {
    /// Running.
    Running,
    /// Killed by the host's OOM killer at this virtual time (ns).
    OomKilled {
        /// When.
        at_ns: u64,
    },
}

impl VmState {
    /// `running` or `oom-killed`.
    pub fn as_str(self) -> &'static str {
        match self {
            VmState::Running => "running",
            VmState::OomKilled { .. } => "oom-killed",
        }
    }
}

/// One VM.
#[derive(Debug)]
pub struct Vm<B: Backend> {
    pub(super) name: String,
    pub(super) pid: u32,
    pub(super) machine: MachineConfig,
    pub(super) world: Option<World<B>>,
    /// The QEMU process's own memory (its profile's), bytes.
    pub(super) overhead: u64,
    /// Guest frames backed on the host (the world's resident bitmap) at the last accounting.
    pub(super) resident_pages: u64,
    /// Of those, pages the host swapped out.
    pub(super) swapped_pages: u64,
    pub(super) state: VmState,
    /// [`World::has_work`] as last asked, with the world's event count then: the host's
    /// scheduler asks every VM on every event, and a world's answer changes only when it
    /// steps (each step either makes an event or is forgotten here by `Host::step_vm`).
    pub(super) work: Cell<Option<(u64, bool)>>,
}

impl<B: Backend> Vm<B> {
    /// Whether its world has work now ([`World::has_work`]), remembered until its next event.
    pub(super) fn has_work(&self, w: &World<B>) -> bool {
        let events = w.event_count();
        match self.work.get() {
            Some((at, work)) if at == events => {
                // Every debug run (the host tests and their property cases) checks that the
                // remembered answer is still the world's.
                debug_assert_eq!(work, w.has_work(), "{}: stale has_work", self.name);
                work
            }
            _ => {
                let work = w.has_work();
                self.work.set(Some((events, work)));
                work
            }
        }
    }
    /// `-name`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its QEMU process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The machine line.
    pub fn machine(&self) -> &MachineConfig {
        &self.machine
    }
    /// The world, while the VM runs.
    pub fn world(&self) -> Option<&World<B>> {
        self.world.as_ref()
    }
    /// Running or killed.
    pub fn state(&self) -> VmState {
        self.state
    }
    /// The QEMU process's own memory while it lives (0 once killed), bytes.
    pub fn overhead_bytes(&self) -> u64 {
        if self.world.is_some() {
            self.overhead
        } else {
            0
        }
    }
    /// Guest pages resident in host RAM (backed and not swapped out), bytes.
    pub fn guest_rss_bytes(&self) -> u64 {
        (self.resident_pages - self.swapped_pages) * PAGE_SIZE
    }
    /// Guest pages in the host's swap, bytes.
    pub fn swapped_bytes(&self) -> u64 {
        self.swapped_pages * PAGE_SIZE
    }
    /// Host RAM the process holds: overhead plus resident guest pages.
    pub fn host_bytes(&self) -> u64 {
        self.overhead_bytes() + self.guest_rss_bytes()
    }

    /// What the OOM killer reads of the process; `None` once it is gone.
    pub fn process(&self) -> Option<ProcessMemory> {
        self.world.as_ref()?;
        Some(ProcessMemory {
            pid: self.pid,
            rss_pages: (self.overhead + self.guest_rss_bytes()) / PAGE_SIZE,
            swap_pages: self.swapped_pages,
            total_vm_pages: (self.machine.ram_size + self.overhead) / PAGE_SIZE,
            oom_score_adj: 0,
        })
    }

    /// The world's resident guest frames now (what a step may have changed).
    pub(super) fn world_resident_pages(&self) -> u64 {
        self.world
            .as_ref()
            .map_or(0, |w| w.device().memory().resident_bytes() / PAGE_SIZE)
    }

    /// SIGKILL: the process and everything it held are gone (its balloon with it).
    pub(super) fn kill(&mut self, at_ns: u64) {
        self.world = None;
        self.resident_pages = 0;
        self.swapped_pages = 0;
        self.state = VmState::OomKilled { at_ns };
    }
}
