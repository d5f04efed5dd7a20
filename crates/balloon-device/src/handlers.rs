//! The queue handlers, one ring operation per `step`: `virtqueue_pop`, the handler's work on
//! the element, `virtqueue_push`, `virtio_notify`. A handler runs to completion before another
//! queue's starts, as QEMU's handlers do under the big lock.

use virtq::{Backend, DescriptorChain, DeviceQueue, GuestRam, QueueError};

use crate::consts::{
    BALLOON_PAGE_SIZE, STATUS_DEVICE_NEEDS_RESET, VIRTIO_BALLOON_F_STATS_VQ, VIRTIO_F_VERSION_1,
};
use crate::device::{BalloonDevice, Interrupt};
use crate::event::DeviceEvent;
use crate::hint::HintStatus;
use crate::host_memory::{InflateOutcome, PartiallyBalloonedPage};
use crate::profile::{MalformedReaction, PfnBufferCap};
use crate::reader::{for_each_record, read_prefix};
use crate::runs::RunBuilder;
use crate::stats::{StatValues, StatsParse, apply_entry};
use crate::vq::{After, PushReason, QueueKind, Stage};

const NS_PER_SEC: u64 = 1_000_000_000;
const BOGUS: &str = "virtio: bogus descriptor or out of resources";

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
        self.is_realized() && (self.active.is_some() || self.queues.iter().any(|q| q.kicked))
    }

    /// Performs one ring operation and describes it; `None` when there is nothing to do.
    pub fn step(&mut self, ram: &mut B::Ram, now_ns: u64) -> Option<DeviceEvent> {
        if !self.is_realized() {
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
            Stage::Push { head, reason, then } => Some(self.do_push(i, head, reason, then, ram)),
            Stage::Notify { then } => Some(self.do_notify(i, then, ram)),
        }
    }

    fn finish_handler(&mut self, i: usize) {
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
        let MalformedReaction::VirtioError = self.profile.malformed;
        if self.negotiated(VIRTIO_F_VERSION_1) {
            self.status |= STATUS_DEVICE_NEEDS_RESET;
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
            Err(e) => return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), None),
            Ok(Some(c)) => c,
        };
        let after = self.queues[i].queue.next_avail();
        // QEMU's virtqueue_pop writes avail_event on every pop when EVENT_IDX is on.
        if let Err(e) = self.queues[i].queue.enable_notification(ram) {
            return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), Some(chain.head));
        }
        // virtqueue_map_desc's checks, made here so both backends behave alike.
        if let Some(d) = chain.descriptors.iter().find(|d| d.len == 0) {
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
    fn handle_output(&mut self, i: usize, chain: DescriptorChain, ram: &B::Ram) -> DeviceEvent {
        let queue = self.qref(i);
        let inflate = queue.kind == QueueKind::Inflate;
        let mut pbp = PartiallyBalloonedPage::default();
        let (mut pfns, mut bad) = (RunBuilder::new(), RunBuilder::new());
        let (mut changed, mut host_pages, mut lost) = (0u64, 0u64, 0u64);
        let inhibited = self.discard_inhibited;
        // QEMU parses every PFN of every out buffer; capped profiles (CH, FC) would act here.
        let PfnBufferCap::None = self.profile.pfn_buffer_cap;
        let mem = &mut self.memory;
        let read = for_each_record::<_, 4>(ram, chain.readable(), |r| {
            let pfn = u64::from(u32::from_le_bytes(*r));
            if !mem.is_ram(pfn) {
                bad.push(pfn);
                return;
            }
            pfns.push(pfn);
            if inhibited {
                // virtio_balloon_inhibited(): acknowledge only.
            } else if inflate {
                match mem.inflate_page(pfn, &mut pbp) {
                    InflateOutcome::Discarded { newly, .. } => {
                        changed += newly;
                        host_pages += 1;
                    }
                    InflateOutcome::Partial { dropped } => lost += u64::from(dropped),
                }
            } else {
                changed += mem.deflate_page(pfn).2;
            }
        });
        let tail_bytes = match read {
            Ok(t) => t,
            Err(e) => {
                return self.virtio_error(
                    Some(i),
                    BOGUS.to_string(),
                    e.to_string(),
                    Some(chain.head),
                );
            }
        };
        // virtio_balloon_pbp_free: what was collected of a host page is forgotten.
        lost += pbp.subpages_seen();
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            reason: PushReason::Handled,
            then: After::PopMore,
        };
        let resident_bytes = self.memory.resident_bytes();
        if inflate {
            DeviceEvent::Inflated {
                queue,
                head: chain.head,
                pfns: pfns.finish(),
                bad_pfns: bad.finish(),
                tail_bytes,
                frames_discarded: changed,
                host_pages_discarded: host_pages,
                partial_subpages_lost: lost,
                resident_bytes,
                inhibited,
            }
        } else {
            DeviceEvent::Deflated {
                queue,
                head: chain.head,
                pfns: pfns.finish(),
                bad_pfns: bad.finish(),
                tail_bytes,
                frames_resident: changed,
                resident_bytes,
                inhibited,
            }
        }
    }

    /// `virtio_balloon_receive_stats` after the pop: hold, reset, parse, re-arm the timer.
    fn receive_stats(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &B::Ram,
        now_ns: u64,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        self.stats_held = Some(chain.head);
        let mut stats = StatValues::default();
        let mut parse = StatsParse::default();
        let read = for_each_record::<_, 10>(ram, chain.readable(), |e| {
            parse.entries += 1;
            if !apply_entry(&mut stats, e) {
                parse.unknown_tags += 1;
            }
        });
        match read {
            Ok(t) => parse.tail_bytes = t,
            Err(e) => {
                self.stats_held = None;
                return self.virtio_error(
                    Some(i),
                    BOGUS.to_string(),
                    e.to_string(),
                    Some(chain.head),
                );
            }
        }
        self.stats = stats;
        self.stats_last_update = (now_ns / NS_PER_SEC) as i64;
        if self.stats_poll_interval > 0 {
            self.stats_timer =
                Some(now_ns.saturating_add(u64::from(self.stats_poll_interval) * NS_PER_SEC));
        }
        self.finish_handler(i);
        DeviceEvent::StatsReceived {
            queue,
            head: chain.head,
            parse,
            stats,
            last_update: self.stats_last_update,
            timer: self.stats_timer,
        }
    }

    /// `get_free_page_hints` for one element.
    fn get_free_page_hints(
        &mut self,
        i: usize,
        chain: DescriptorChain,
        ram: &B::Ram,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        let mut cmd = None;
        if chain.readable().next().is_some() {
            let mut id = [0u8; 4];
            let got = match read_prefix(ram, chain.readable(), &mut id) {
                Ok(n) => n,
                Err(e) => {
                    return self.virtio_error(
                        Some(i),
                        BOGUS.to_string(),
                        e.to_string(),
                        Some(chain.head),
                    );
                }
            };
            if got != 4 {
                let cause = format!(
                    "the cmd-id buffer of element {} holds {got} byte(s), not 4",
                    chain.head
                );
                return self.virtio_error(
                    Some(i),
                    "received an incorrect cmd id".to_string(),
                    cause,
                    Some(chain.head),
                );
            }
            let id = u32::from_le_bytes(id);
            cmd = Some((id, self.hint.receive_cmd_id(id)));
        }
        let taken = self.hint.accepting_hints();
        let mut runs = RunBuilder::new();
        let mut newly_hinted = 0;
        if taken {
            for d in chain.writable() {
                newly_hinted += self.memory.hint_free(d.addr, u64::from(d.len));
                let first = d.addr / BALLOON_PAGE_SIZE;
                let end = d
                    .addr
                    .saturating_add(u64::from(d.len))
                    .div_ceil(BALLOON_PAGE_SIZE);
                runs.push_run(first, end - first);
            }
        }
        // The BH keeps polling only while hinting is started.
        let then = if self.hint.status == HintStatus::Start {
            After::PopMore
        } else {
            After::Return
        };
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            reason: PushReason::Handled,
            then,
        };
        match cmd {
            Some((id, o)) => DeviceEvent::HintCmdId {
                queue,
                head: chain.head,
                id,
                old: o.old,
                new: o.new,
            },
            None => DeviceEvent::HintRanges {
                queue,
                head: chain.head,
                runs: runs.finish(),
                taken,
                newly_hinted,
            },
        }
    }

    /// `virtio_balloon_handle_report` for one element.
    fn handle_report(&mut self, i: usize, chain: DescriptorChain) -> DeviceEvent {
        let queue = self.qref(i);
        let mut discarded = RunBuilder::new();
        let (mut frames, mut misaligned) = (0u64, 0u64);
        let skipped_for_poison = (self.poison_val != 0).then_some(self.poison_val);
        let inhibited = self.discard_inhibited;
        if skipped_for_poison.is_none() && !inhibited {
            for d in chain.writable() {
                match self.memory.discard_reported(d.addr, u64::from(d.len)) {
                    Some(n) => {
                        frames += n;
                        discarded.push_run(
                            d.addr / BALLOON_PAGE_SIZE,
                            u64::from(d.len) / BALLOON_PAGE_SIZE,
                        );
                    }
                    None => misaligned += 1,
                }
            }
        }
        self.queues[i].stage = Stage::Push {
            head: chain.head,
            reason: PushReason::Handled,
            then: After::PopMore,
        };
        DeviceEvent::Reported {
            queue,
            head: chain.head,
            discarded: discarded.finish(),
            frames_discarded: frames,
            misaligned,
            skipped_for_poison,
            inhibited,
            resident_bytes: self.memory.resident_bytes(),
        }
    }

    fn do_push(
        &mut self,
        i: usize,
        head: u16,
        reason: PushReason,
        then: After,
        ram: &mut B::Ram,
    ) -> DeviceEvent {
        let queue = self.qref(i);
        let before = self.queues[i].queue.next_used();
        if let Err(e) = self.queues[i].queue.add_used(ram, head, 0) {
            return self.virtio_error(Some(i), qemu_message(&e), e.to_string(), Some(head));
        }
        let after = self.queues[i].queue.next_used();
        self.queues[i].stage = Stage::Notify { then };
        DeviceEvent::UsedPushed {
            queue,
            head,
            len: 0,
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

    /// The earliest timer deadline: stats polling or the BALLOON_CHANGE throttle window.
    pub fn next_timer(&self) -> Option<u64> {
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
                .map(|actual| DeviceEvent::BalloonChangeFlushed { actual }),
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
