//! The step engine, one ring operation per `step`: `virtqueue_pop`, the handler's work on the
//! element (handlers.rs), `virtqueue_push`, `virtio_notify`; `virtio_error`; the timers. A
//! handler runs to completion before another queue's starts, as QEMU's handlers do under the
//! big lock.

use virtq::{Backend, DescriptorChain, DeviceQueue, GuestRam, QueueError};

use crate::consts::{VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_VERSION_1, status};
use crate::device::{BalloonDevice, Interrupt};
use crate::event::DeviceEvent;
use crate::profile::{MalformedReaction, Vmm};
use crate::vq::{After, PushReason, QueueKind, Stage};

pub(crate) const NS_PER_SEC: u64 = 1_000_000_000;
pub(crate) const BOGUS: &str = "virtio: bogus descriptor or out of resources";

/// Which row of the malformed catalogue an error belongs to, for the profile's reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// avail.idx too far ahead (row 10).
    AvailIdx,
    /// A bad head, `next` or indirect table (row 11).
    Chain,
    /// A looping chain (row 11).
    Loop,
    /// A zero-length descriptor (row 12).
    ZeroLength,
    /// A buffer that cannot be read (row 5).
    Buffer,
}

fn class_of(e: &QueueError) -> ErrorClass {
    match e {
        QueueError::InvalidAvailRingIndex { .. } => ErrorClass::AvailIdx,
        QueueError::ZeroLengthDescriptor { .. } => ErrorClass::ZeroLength,
        QueueError::ChainTooLong { .. } => ErrorClass::Loop,
        QueueError::BadBuffer(_) => ErrorClass::Buffer,
        _ => ErrorClass::Chain,
    }
}

/// The function of each VMM that meets the error, and what it logs.
fn vmm_words(vmm: Vmm, class: ErrorClass) -> (&'static str, &'static str) {
    match (vmm, class) {
        (Vmm::CloudHypervisor, ErrorClass::AvailIdx) => ("pop_descriptor_chain", "Iterator error"),
        (Vmm::CloudHypervisor, ErrorClass::ZeroLength) => ("process_queue", ""),
        (Vmm::CloudHypervisor, _) => ("process_queue", "Failed to read PFN from descriptor"),
        (Vmm::Firecracker, ErrorClass::AvailIdx) => (
            "report_balloon_event_fail",
            "The number of available virtio descriptors is greater than queue size",
        ),
        (Vmm::Firecracker, ErrorClass::Chain) => ("DescriptorChain::checked_new", ""),
        (Vmm::Firecracker, ErrorClass::Loop) => ("process_inflate", ""),
        (Vmm::Firecracker, ErrorClass::ZeroLength) => ("process_inflate", ""),
        (Vmm::Firecracker, ErrorClass::Buffer) => ("process_inflate", "MalformedDescriptor"),
        (Vmm::Crosvm, ErrorClass::AvailIdx) => (
            "SplitQueue::peek",
            "no avail.idx check: crosvm would re-read stale ring slots, which the simulated ring refuses",
        ),
        (Vmm::Crosvm, ErrorClass::Chain) => ("SplitQueue::peek", ""),
        (Vmm::Crosvm, ErrorClass::Loop) => ("SplitQueue::peek", "descriptor chain loop detected"),
        (Vmm::Crosvm, ErrorClass::ZeroLength) => ("handle_address_chain", ""),
        (Vmm::Crosvm, ErrorClass::Buffer) => {
            ("handle_address_chain", "error while reading unused pages")
        }
        (Vmm::Qemu, _) => ("virtio_error", ""),
    }
}

/// QEMU's `virtio_error` message for what the queue layer found wrong (virtq names QEMU's
/// texts; the rest have no exact QEMU twin and get the mapping failure message).
fn qemu_message(e: &QueueError) -> String {
    match e {
        QueueError::NestedIndirect { .. } => "Nested indirect descriptor".to_string(),
        e => e.qemu_message().unwrap_or_else(|| BOGUS.to_string()),
    }
}

impl<B: Backend> BalloonDevice<B> {
    /// Whether a step would do something: a kicked queue, or a handler mid-way.
    pub fn has_work(&self) -> bool {
        self.is_realized()
            && !self.aborted
            && (self.active.is_some() || self.queues.iter().any(|q| q.kicked))
    }

    fn reaction(&self, class: ErrorClass) -> MalformedReaction {
        match class {
            ErrorClass::AvailIdx => self.profile.malformed.avail_idx,
            ErrorClass::Chain => self.profile.malformed.chain,
            ErrorClass::Loop => self.profile.malformed.loop_chain,
            ErrorClass::ZeroLength => self.profile.malformed.zero_length,
            ErrorClass::Buffer => self.profile.malformed.buffer,
        }
    }

    /// The head of the element the last pop consumed (both backends consume the avail entry
    /// before they walk its chain), read back from the avail ring.
    fn consumed_head(&self, i: usize, ram: &B::Ram) -> Option<u16> {
        let q = &self.queues[i].queue;
        let l = q.layout()?;
        let slot = q.next_avail().wrapping_sub(1) % l.size;
        ram.read_u16(l.avail_entry_addr(slot).ok()?).ok()
    }

    /// The consumed element's head descriptor alone, as a chain (a looping chain the profile
    /// tolerates: Firecracker reads only the head).
    fn head_only(&self, i: usize, head: u16, ram: &B::Ram) -> Option<DescriptorChain> {
        let l = self.queues[i].queue.layout()?;
        let mut b = [0u8; 16];
        ram.read(l.desc_addr(head).ok()?, &mut b).ok()?;
        let d = virtq::Descriptor::from_bytes(&b);
        Some(DescriptorChain {
            head,
            descriptors: vec![virtq::ChainDescriptor {
                addr: d.addr,
                len: d.len,
                writable: d.flags & virtq::layout::VIRTQ_DESC_F_WRITE != 0,
            }],
            indirect: false,
        })
    }

    /// A pop that failed on a buffer the profile passes over (acked, nothing read) or loses.
    fn pop_failed_on_buffer(
        &mut self,
        i: usize,
        class: ErrorClass,
        e: &QueueError,
        ram: &B::Ram,
    ) -> Option<DeviceEvent> {
        let reaction = self.reaction(class);
        if class == ErrorClass::Loop && reaction == MalformedReaction::Tolerate {
            let before = self.queues[i].queue.next_avail().wrapping_sub(1);
            let head = self.consumed_head(i, ram)?;
            let chain = self.head_only(i, head, ram)?;
            let d = chain.descriptors[0];
            let ev = DeviceEvent::Popped {
                queue: self.qref(i),
                head,
                descriptors: 1,
                readable_bytes: if d.writable { 0 } else { u64::from(d.len) },
                writable_bytes: if d.writable { u64::from(d.len) } else { 0 },
                indirect: false,
                next_avail: (before, before.wrapping_add(1)),
            };
            self.queues[i].stage = Stage::Process(chain);
            return Some(ev);
        }
        if !matches!(class, ErrorClass::ZeroLength | ErrorClass::Buffer)
            || !matches!(
                reaction,
                MalformedReaction::Tolerate | MalformedReaction::Lose
            )
        {
            return None;
        }
        let head = self.consumed_head(i, ram)?;
        if reaction == MalformedReaction::Lose {
            return Some(self.react(Some(i), class, String::new(), e.to_string(), Some(head)));
        }
        let (function, message) = vmm_words(self.profile.vmm, class);
        self.queues[i].stage = Stage::Push {
            head,
            len: 0,
            reason: PushReason::Handled,
            then: After::PopMore,
        };
        Some(DeviceEvent::BufferSkipped {
            queue: self.qref(i),
            head,
            message: message.to_string(),
            cause: e.to_string(),
            function,
        })
    }

    /// The profile's reaction to a malformed ring or buffer of class `class`: QEMU's
    /// `virtio_error`, a VMM abort, a stalled queue or a lost element. `Tolerate` is handled
    /// where the data is read; here it falls back to losing nothing and stalling nothing, so
    /// callers only pass it the classes their profile does not tolerate.
    pub(crate) fn react(
        &mut self,
        i: Option<usize>,
        class: ErrorClass,
        message: String,
        cause: String,
        lost_head: Option<u16>,
    ) -> DeviceEvent {
        let reaction = self.reaction(class);
        let (function, vmm_message) = vmm_words(self.profile.vmm, class);
        match (reaction, i) {
            (MalformedReaction::Abort, _) => {
                self.aborted = true;
                self.active = None;
                for q in &mut self.queues {
                    q.kicked = false;
                    q.stage = Stage::Idle;
                }
                DeviceEvent::VmmAborted {
                    queue: i.map(|i| self.qref(i)),
                    message: vmm_message.to_string(),
                    cause,
                    function,
                }
            }
            (MalformedReaction::Stall, Some(i)) => {
                self.queues[i].stalled = true;
                self.queues[i].kicked = false;
                self.finish_handler(i);
                DeviceEvent::QueueStalled {
                    queue: self.qref(i),
                    message: vmm_message.to_string(),
                    cause,
                    function,
                }
            }
            (MalformedReaction::Lose, Some(i)) if lost_head.is_some() => {
                // The handler returns its error: the rest of the batch waits for the next kick.
                self.finish_handler(i);
                DeviceEvent::ElementLost {
                    queue: self.qref(i),
                    head: lost_head.unwrap_or_default(),
                    message: vmm_message.to_string(),
                    function,
                }
            }
            _ if self.profile.vmm == Vmm::Qemu => self.virtio_error(i, message, cause, lost_head),
            // Cloud Hypervisor's worker error (3402bc076): NEEDS_RESET and a config interrupt.
            _ => self.virtio_error(i, vmm_message.to_string(), cause, lost_head),
        }
    }

    /// Performs one ring operation and describes it; `None` when there is nothing to do.
    pub fn step(&mut self, ram: &mut B::Ram, now_ns: u64) -> Option<DeviceEvent> {
        if !self.is_realized() || self.aborted {
            return None;
        }
        let i = match self.active {
            Some(i) => i,
            None => {
                let i = self.queues.iter().position(|q| q.kicked)?;
                self.queues[i].kicked = false;
                self.queues[i].stage = Stage::Pop;
                self.active = Some(i);
                i
            }
        };
        match std::mem::take(&mut self.queues[i].stage) {
            Stage::Idle => {
                self.active = None;
                None
            }
            Stage::Pop => Some(self.do_pop(i, ram, now_ns)),
            Stage::Process(chain) => Some(self.do_process(i, chain, ram, now_ns)),
            Stage::Push {
                head,
                len,
                reason,
                then,
            } => Some(self.do_push(i, head, len, reason, then, ram)),
            Stage::Notify { then } => Some(self.do_notify(i, then, ram)),
        }
    }

    pub(crate) fn finish_handler(&mut self, i: usize) {
        self.queues[i].stage = Stage::Idle;
        self.active = None;
    }

    /// `virtio_error`: DEVICE_NEEDS_RESET and a config interrupt (with VERSION_1), broken.
    pub(crate) fn virtio_error(
        &mut self,
        i: Option<usize>,
        message: String,
        cause: String,
        lost_head: Option<u16>,
    ) -> DeviceEvent {
        let old = self.status;
        let mut config_interrupt = false;
        if self.negotiated(VIRTIO_F_VERSION_1) {
            self.status |= status::DEVICE_NEEDS_RESET;
            config_interrupt = self.notify_config();
        }
        self.broken = true;
        let queue = i.map(|i| self.qref(i));
        if let Some(i) = i {
            self.queues[i].stage = Stage::Idle;
        }
        self.active = None;
        for q in &mut self.queues {
            q.kicked = false;
        }
        DeviceEvent::VirtioError {
            queue,
            message,
            cause,
            status: (old, self.status),
            config_interrupt,
            lost_head,
        }
    }

    fn do_pop(&mut self, i: usize, ram: &mut B::Ram, now_ns: u64) -> DeviceEvent {
        let queue = self.qref(i);
        let before = self.queues[i].queue.next_avail();
        if self.queues[i].stalled {
            self.queues[i].kicked = false;
            self.finish_handler(i);
            return DeviceEvent::QueueDrained {
                queue,
                next_avail: before,
            };
        }
        let chain = match self.queues[i].queue.pop(ram) {
            Err(QueueError::NotReady) | Ok(None) => {
                // Ask for kicks again (EVENT_IDX: avail_event = next_avail).
                if let Err(e) = self.queues[i].queue.enable_notification(ram) {
                    return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), None);
                }
                if queue.kind == QueueKind::Stats && self.stats_poll_interval > 0 {
                    self.stats_timer = Some(
                        now_ns.saturating_add(u64::from(self.stats_poll_interval) * NS_PER_SEC),
                    );
                }
                self.queues[i].kicked = false;
                self.finish_handler(i);
                return DeviceEvent::QueueDrained {
                    queue,
                    next_avail: before,
                };
            }
            Err(e) => {
                let class = class_of(&e);
                if let Some(ev) = self.pop_failed_on_buffer(i, class, &e, ram) {
                    return ev;
                }
                return self.react(Some(i), class, qemu_message(&e), e.to_string(), None);
            }
            Ok(Some(c)) => c,
        };
        let after = self.queues[i].queue.next_avail();
        // QEMU's virtqueue_pop writes avail_event on every pop when EVENT_IDX is on.
        if let Err(e) = self.queues[i].queue.enable_notification(ram) {
            return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), Some(chain.head));
        }
        // virtqueue_map_desc's checks, made here so both backends behave alike. The other VMMs
        // do not map buffers at pop: they meet a bad buffer when they read it (handlers.rs).
        let maps_at_pop = self.profile.vmm == Vmm::Qemu;
        if let Some(d) = chain
            .descriptors
            .iter()
            .find(|d| d.len == 0)
            .filter(|_| maps_at_pop)
        {
            let cause = format!(
                "descriptor at {:#x} of element {} has length 0",
                d.addr, chain.head
            );
            return self.virtio_error(
                Some(i),
                "virtio: zero sized buffers are not allowed".to_string(),
                cause,
                Some(chain.head),
            );
        }
        if let Some(d) = chain
            .descriptors
            .iter()
            .find(|d| ram.check_range(d.addr, u64::from(d.len)).is_err())
            .filter(|_| maps_at_pop)
        {
            let cause = format!(
                "buffer {:#x}+{} of element {} is not in guest RAM",
                d.addr, d.len, chain.head
            );
            return self.virtio_error(Some(i), BOGUS.to_string(), cause, Some(chain.head));
        }
        let readable_bytes = chain.readable().map(|d| u64::from(d.len)).sum();
        let writable_bytes = chain.writable().map(|d| u64::from(d.len)).sum();
        let ev = DeviceEvent::Popped {
            queue,
            head: chain.head,
            descriptors: chain.descriptors.len(),
            readable_bytes,
            writable_bytes,
            indirect: chain.indirect,
            next_avail: (before, after),
        };
        self.queues[i].stage = Stage::Process(chain);
        ev
    }

    fn do_process(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &mut B::Ram,
        now_ns: u64,
    ) -> DeviceEvent {
        match self.queues[i].kind {
            QueueKind::Inflate | QueueKind::Deflate => self.handle_output(i, chain, ram),
            QueueKind::Stats => {
                if let Some(old) = self.stats_held.take() {
                    // "This should never happen if the driver follows the spec."
                    return self.do_push(
                        i,
                        old,
                        0,
                        PushReason::StatsSuperseded,
                        After::ParseStats(chain),
                        ram,
                    );
                }
                self.receive_stats(i, chain, ram, now_ns)
            }
            QueueKind::FreePage => self.get_free_page_hints(i, chain, ram),
            QueueKind::Reporting => self.handle_report(i, chain),
        }
    }

    /// `virtio_balloon_handle_output` for one element.
    fn do_push(
        &mut self,
        i: usize,
        head: u16,
        len: u32,
        reason: PushReason,
        then: After,
        ram: &mut B::Ram,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        if self.broken {
            // virtqueue_fill / virtqueue_flush do nothing on a broken device.
            self.finish_handler(i);
            return DeviceEvent::PushDropped { queue, head };
        }
        let before = self.queues[i].queue.next_used();
        if let Err(e) = self.queues[i].queue.add_used(ram, head, len) {
            return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), Some(head));
        }
        let after = self.queues[i].queue.next_used();
        self.queues[i].stage = Stage::Notify { then };
        DeviceEvent::UsedPushed {
            queue,
            head,
            len,
            used_idx: (before, after),
            reason,
        }
    }

    fn do_notify(&mut self, i: usize, then: After, ram: &mut B::Ram) -> DeviceEvent {
        let queue = self.qref(i);
        let interrupt = match self.queues[i].queue.needs_notification(ram) {
            Ok(b) => b,
            Err(e) => return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), None),
        };
        if interrupt {
            self.interrupts.push(Interrupt::Used(queue.index));
        }
        match then {
            After::PopMore => self.queues[i].stage = Stage::Pop,
            After::Return => self.finish_handler(i),
            After::ParseStats(chain) => self.queues[i].stage = Stage::Process(chain),
        }
        DeviceEvent::Notified { queue, interrupt }
    }

    /// The earliest one-shot timer: the BALLOON_CHANGE throttle window holding an event (the
    /// stats poll re-arms itself for as long as polling is on).
    pub fn next_one_shot_timer(&self) -> Option<u64> {
        self.throttle.deadline()
    }

    /// The earliest timer deadline: stats polling or the BALLOON_CHANGE throttle window.
    pub fn next_timer(&self) -> Option<u64> {
        if self.aborted {
            return None;
        }
        [self.stats_timer, self.throttle.deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires the earliest timer due at `now_ns`. `None` if none is due, or if a handler is
    /// mid-way (QEMU's timers cannot interrupt a handler; run the device's steps first).
    pub fn fire_timer(&mut self, now_ns: u64) -> Option<DeviceEvent> {
        let stats_due = self.stats_timer.filter(|t| *t <= now_ns);
        let throttle_due = self.throttle.deadline().filter(|t| *t <= now_ns);
        match (stats_due, throttle_due) {
            (Some(s), t) if t.is_none_or(|t| s <= t) => self.balloon_stats_poll_cb(now_ns),
            (_, Some(_)) => self
                .throttle
                .fire(now_ns)
                .map(|(actual, raised_ns)| DeviceEvent::BalloonChangeFlushed { actual, raised_ns }),
            _ => None,
        }
    }

    /// `balloon_stats_poll_cb`.
    fn balloon_stats_poll_cb(&mut self, now_ns: u64) -> Option<DeviceEvent> {
        if self.active.is_some() {
            return None;
        }
        self.stats_timer = None;
        let svq = self.queue_index(QueueKind::Stats).map(usize::from);
        match (self.stats_held, svq) {
            (Some(head), Some(i)) if self.negotiated(VIRTIO_BALLOON_F_STATS_VQ) => {
                self.stats_held = None;
                self.queues[i].stage = Stage::Push {
                    head,
                    len: 0,
                    reason: PushReason::StatsPoll,
                    then: After::Return,
                };
                self.active = Some(i);
                Some(DeviceEvent::StatsPollFired {
                    held: Some(head),
                    rearmed: None,
                })
            }
            _ => {
                if self.stats_poll_interval > 0 {
                    self.stats_timer = Some(
                        now_ns.saturating_add(u64::from(self.stats_poll_interval) * NS_PER_SEC),
                    );
                }
                Some(DeviceEvent::StatsPollFired {
                    held: None,
                    rearmed: self.stats_timer,
                })
            }
        }
    }
}
