//! The host as a [`Replayable`]: cloned for snapshots, one event per input or step, so the
//! same [`History`](crate::history::History) that rewinds one VM rewinds a host of them.

use virtq::Backend;

use super::vm::Vm;
use super::{Host, HostEvent, HostInput};
use crate::history::Replayable;

impl<B: Backend> Clone for Vm<B>
where
    B::Ram: Clone,
    B::Queue: Clone,
{
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            pid: self.pid,
            machine: self.machine.clone(),
            world: self.world.clone(),
            overhead: self.overhead,
            resident_pages: self.resident_pages,
            swapped_pages: self.swapped_pages,
            state: self.state,
            work: self.work.clone(),
        }
    }
}

impl<B: Backend> Clone for Host<B>
where
    B::Ram: Clone,
    B::Queue: Clone,
{
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            policy: self.policy,
            mom: self.mom.clone(),
            next_policy_ns: self.next_policy_ns,
            vms: self.vms.clone(),
            now_ns: self.now_ns,
            free_pages: self.free_pages,
            swap_used_pages: self.swap_used_pages,
            events: self.events,
            pending: self.pending.clone(),
        }
    }
}

impl<B: Backend> Replayable for Host<B>
where
    B::Ram: Clone,
    B::Queue: Clone,
{
    type Input = HostInput;
    type Event = HostEvent;
    /// The input's own event; a kill or swap-out it caused comes out of the next steps.
    fn act(&mut self, input: &HostInput) -> HostEvent {
        self.act_one(input)
    }
    fn step(&mut self) -> Option<HostEvent> {
        self.step_event()
    }
    fn approx_bytes(&self) -> usize {
        self.vms
            .iter()
            .filter_map(|v| v.world.as_ref())
            .map(crate::world::World::approx_bytes)
            .sum::<usize>()
            .max(1)
    }
}
