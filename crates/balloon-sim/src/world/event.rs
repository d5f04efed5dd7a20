//! Trace events of the world: what happened (the device's or driver's own event, or a world
//! event), plus the extracted "what moved" and PFN ranges.

use balloon_device::{DeviceEvent, Interrupt, QueueKind, QueueRef};
use balloon_driver::DriverEvent;
use serde::{Deserialize, Serialize};

use crate::command::{Fault, GuestOp, HostOp, QueueName};
use crate::reply::Reply;
use crate::trace::{Actor, ConfigField, Move, PfnRun};

/// What one trace event is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Detail {
    /// A device step (init, queue handler, timer).
    Device(DeviceEvent),
    /// A driver step, with the device's side of the transport accesses it made.
    Driver {
        /// The driver's event.
        event: DriverEvent,
        /// Transport accesses as the device saw them (config reads, status, kicks).
        host: Vec<DeviceEvent>,
    },
    /// The world delivered an interrupt to the driver.
    Interrupt(DeliveredInterrupt),
    /// A monitor command and its reply (boxed: rare, and large).
    Monitor(Box<MonitorDetail>),
    /// A guest workload action.
    Guest {
        /// The action.
        op: GuestOp,
        /// What the guest's memory manager reported.
        outcome: String,
    },
    /// A malformed-guest behaviour was armed.
    Fault(Fault),
    /// A host action (migration's precopy notifier).
    Host {
        /// The action.
        op: HostOp,
        /// The device step, `None` when the notifier did nothing (feature not negotiated).
        device: Option<Box<DeviceEvent>>,
    },
    /// Virtual time advanced with nothing to do (`run DURATION`).
    Clock {
        /// Before (ns).
        from: u64,
        /// After (ns).
        to: u64,
    },
}

/// A monitor command, what it did to the device, and what the monitor printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorDetail {
    /// The request as typed.
    pub request: String,
    /// The device step it caused.
    pub device: Option<DeviceEvent>,
    /// The reply.
    pub reply: Reply,
}

/// An interrupt, as delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveredInterrupt {
    /// A used-buffer notification on a queue.
    Used {
        /// Transport index.
        index: u16,
        /// Queue name, if known.
        queue: Option<QueueName>,
    },
    /// A configuration change.
    Config,
}

/// One event of the trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// 0-based position in the timeline.
    pub index: u64,
    /// Virtual time in ns.
    pub time_ns: u64,
    /// Who acted.
    pub actor: Actor,
    /// The queue concerned, if any.
    pub queue: Option<QueueName>,
    /// The event itself.
    pub detail: Detail,
}

/// The Linux name of a device queue.
pub fn queue_name(kind: QueueKind) -> QueueName {
    match kind {
        QueueKind::Inflate => QueueName::Ivq,
        QueueKind::Deflate => QueueName::Dvq,
        QueueKind::Stats => QueueName::Svq,
        QueueKind::FreePage => QueueName::FreePageVq,
        QueueKind::Reporting => QueueName::ReportingVq,
    }
}

fn qn(q: &QueueRef) -> Option<QueueName> {
    Some(queue_name(q.kind))
}

fn runs(r: &[PfnRun]) -> impl Iterator<Item = PfnRun> + '_ {
    r.iter().copied()
}

/// The queue, moves and PFNs of a device event.
pub(crate) fn device_moves(
    ev: &DeviceEvent,
    moves: &mut Vec<Move>,
    pfns: &mut Vec<PfnRun>,
) -> Option<QueueName> {
    use DeviceEvent::*;
    match ev {
        StatusSet { old, new } => moves.push(Move::Status {
            old: *old,
            new: *new,
        }),
        DeviceReset { old_status, .. } => moves.push(Move::Status {
            old: *old_status,
            new: 0,
        }),
        ConfigWritten { old, new, .. } => config_diff(old, new, moves),
        Kicked { queue, accepted } => {
            if *accepted {
                moves.push(Move::Kick);
            }
            return qn(queue);
        }
        Popped {
            queue, next_avail, ..
        } => {
            moves.push(Move::NextAvail {
                from: next_avail.0,
                to: next_avail.1,
            });
            return qn(queue);
        }
        Inflated { queue, pfns: p, .. } | Deflated { queue, pfns: p, .. } => {
            pfns.extend(runs(p));
            return qn(queue);
        }
        Reported {
            queue, discarded, ..
        } => {
            pfns.extend(runs(discarded));
            return qn(queue);
        }
        HintRanges { queue, runs: r, .. } => {
            pfns.extend(runs(r));
            return qn(queue);
        }
        UsedPushed {
            queue, used_idx, ..
        } => {
            moves.push(Move::UsedIdx {
                from: used_idx.0,
                to: used_idx.1,
            });
            return qn(queue);
        }
        Notified { queue, interrupt } => {
            if *interrupt {
                moves.push(Move::UsedInterrupt);
            }
            return qn(queue);
        }
        VirtioError {
            queue,
            status,
            config_interrupt,
            ..
        } => {
            moves.push(Move::Status {
                old: status.0,
                new: status.1,
            });
            if *config_interrupt {
                moves.push(Move::ConfigInterrupt);
            }
            return queue.as_ref().and_then(qn);
        }
        TargetSet {
            num_pages,
            config_interrupt,
            ..
        }
        | VmmResized {
            num_pages,
            config_interrupt,
            ..
        } => {
            if num_pages.0 != num_pages.1 {
                moves.push(Move::Config {
                    field: ConfigField::NumPages,
                    old: num_pages.0,
                    new: num_pages.1,
                });
            }
            if *config_interrupt {
                moves.push(Move::ConfigInterrupt);
            }
        }
        HintStatusChanged {
            config_interrupt, ..
        } => {
            if *config_interrupt {
                moves.push(Move::ConfigInterrupt);
            }
        }
        QueueAdded { queue, .. }
        | QueueConfigured { queue, .. }
        | QueueConfigFailed { queue, .. }
        | QueueDrained { queue, .. }
        | StatsReceived { queue, .. }
        | HintCmdId { queue, .. }
        | QueueStalled { queue, .. }
        | ElementLost { queue, .. }
        | BufferSkipped { queue, .. }
        | PushDropped { queue, .. } => return qn(queue),
        VmmAborted { queue, .. } => return queue.as_ref().and_then(qn),
        // Nothing in the rings or the config fields moves: the bring-up before the queues
        // exist, feature and config reads, out-of-range accesses, timers and settings.
        TypeRegistered { .. }
        | ClassInit { .. }
        | InstanceInit { .. }
        | Realized { .. }
        | RealizeFailed { .. }
        | StatsReset
        | Unrealized { .. }
        | FeaturesRead { .. }
        | DriverFeaturesSet { .. }
        | ConfigRead { .. }
        | ConfigAccessOutOfRange { .. }
        | ConfigWriteIgnored { .. }
        | NoSuchQueue { .. }
        | StatsPollFired { .. }
        | BalloonChangeFlushed { .. }
        | PollingIntervalSet { .. } => {}
    }
    None
}

fn config_diff(
    old: &balloon_device::BalloonConfig,
    new: &balloon_device::BalloonConfig,
    moves: &mut Vec<Move>,
) {
    for (field, a, b) in [
        (ConfigField::NumPages, old.num_pages, new.num_pages),
        (ConfigField::Actual, old.actual, new.actual),
        (
            ConfigField::FreePageHintCmdId,
            old.free_page_hint_cmd_id,
            new.free_page_hint_cmd_id,
        ),
        (ConfigField::PoisonVal, old.poison_val, new.poison_val),
    ] {
        if a != b {
            moves.push(Move::Config {
                field,
                old: a,
                new: b,
            });
        }
    }
}

impl DeliveredInterrupt {
    /// From the device's interrupt and the queue name of its index.
    pub fn new(irq: Interrupt, queue: Option<QueueName>) -> Self {
        match irq {
            Interrupt::Used(index) => Self::Used { index, queue },
            Interrupt::Config => Self::Config,
        }
    }
}

impl TraceEvent {
    /// One plain sentence for the UI and the log.
    pub fn sentence(&self) -> String {
        match &self.detail {
            Detail::Device(ev) => ev.sentence(),
            Detail::Driver { event, .. } => event.sentence(),
            Detail::Interrupt(DeliveredInterrupt::Used { index, queue }) => format!(
                "The guest takes the used-buffer interrupt of {} (queue {index}) and runs its callback.",
                queue.map(QueueName::as_str).unwrap_or("?")
            ),
            Detail::Interrupt(DeliveredInterrupt::Config) => {
                "The guest takes the config-change interrupt: virtballoon_changed queues the size work.".to_owned()
            }
            Detail::Monitor(m) => {
                let (request, out) = (&m.request, m.reply.to_line());
                if out.is_empty() {
                    format!("The operator types `{request}`; the monitor prints nothing.")
                } else {
                    format!("The operator types `{request}`; the monitor answers {out}")
                }
            }
            Detail::Guest { op, outcome } => format!("Guest workload `{op}`: {outcome}"),
            Detail::Fault(f) => format!("The next buffer the guest puts on {} will be malformed: {}.", f.queue.as_str(), f.kind.misbehaviour().describe()),
            Detail::Host { op, device } => match device {
                Some(ev) => ev.sentence(),
                None => format!("Migration precopy notifier (`{op}`): nothing to do, free page hinting is not negotiated."),
            },
            Detail::Clock { from, to } => format!(
                "Virtual time runs from {} to {} with nothing to do.",
                crate::clock::format_time(*from),
                crate::clock::format_time(*to)
            ),
        }
    }

    /// The real QEMU or Linux function this event belongs to.
    pub fn function(&self) -> &'static str {
        match &self.detail {
            Detail::Device(ev) => ev.function(),
            Detail::Driver { event, .. } => event.function(),
            Detail::Interrupt(DeliveredInterrupt::Used { .. }) => "vring_interrupt",
            Detail::Interrupt(DeliveredInterrupt::Config) => "virtballoon_changed",
            Detail::Monitor(m) => match &m.device {
                Some(ev) => ev.function(),
                None if m.request.starts_with('{') => "qmp_dispatch",
                None => "handle_hmp_command",
            },
            Detail::Guest { .. } => "__alloc_pages",
            Detail::Fault(_) => "virtqueue_add",
            Detail::Host { .. } => "virtio_balloon_free_page_hint_notify",
            Detail::Clock { .. } => "qtest_clock_warp",
        }
    }
    /// The VIRTIO spec section, if one applies.
    pub fn spec(&self) -> Option<&'static str> {
        match &self.detail {
            Detail::Device(ev) => ev.spec(),
            Detail::Driver { event, .. } => event.spec(),
            Detail::Interrupt(DeliveredInterrupt::Used { .. }) => Some("2.7.14"),
            Detail::Interrupt(DeliveredInterrupt::Config) => Some("4.1.4.5"),
            Detail::Monitor(m) => m.device.as_ref().and_then(DeviceEvent::spec),
            Detail::Host {
                device: Some(ev), ..
            } => ev.spec(),
            _ => None,
        }
    }

    /// QMP events this step emitted (BALLOON_CHANGE sent at once or when its window closed).
    pub fn qmp_events(&self) -> Vec<Reply> {
        let change = |actual: i64, time_ns: u64| Reply::QmpEvent {
            event: "BALLOON_CHANGE".to_owned(),
            data: serde_json::json!({ "actual": actual }),
            time_ns,
        };
        let from_device = |ev: &DeviceEvent| match ev {
            DeviceEvent::ConfigWritten {
                balloon_change: Some(c),
                ..
            } if c.sent_now => Some(change(c.actual, self.time_ns)),
            // The held event keeps the timestamp it was raised with.
            DeviceEvent::BalloonChangeFlushed { actual, raised_ns } => {
                Some(change(*actual, *raised_ns))
            }
            _ => None,
        };
        match &self.detail {
            Detail::Device(ev) => from_device(ev).into_iter().collect(),
            Detail::Driver { host, .. } => host.iter().filter_map(from_device).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether this event closes a message round trip (the driver collected a used buffer).
    pub fn ends_message(&self) -> bool {
        matches!(
            &self.detail,
            Detail::Driver {
                event: DriverEvent::UsedCollected { .. },
                ..
            }
        )
    }

    /// A short stable code for filters and styling: `boot`, `config`, `status`, `desc`,
    /// `avail`, `kick`, `pop`, `pages`, `used`, `notify`, `interrupt`, `monitor`, `guest`,
    /// `fault`, `host`, `timer`, `clock` or `work`.
    pub fn kind(&self) -> &'static str {
        match &self.detail {
            Detail::Monitor(_) => "monitor",
            Detail::Guest { .. } => "guest",
            Detail::Fault(_) => "fault",
            Detail::Host { .. } => "host",
            Detail::Clock { .. } => "clock",
            Detail::Interrupt(_) => "interrupt",
            Detail::Device(ev) => ev.kind(),
            Detail::Driver { event, .. } => event.kind(),
        }
    }

    /// What moved in this step (derived from the event's data, not stored).
    pub fn moves(&self) -> Vec<Move> {
        self.analyse().0
    }

    /// The PFN ranges this step carried (derived, not stored).
    pub fn pfns(&self) -> Vec<PfnRun> {
        self.analyse().1
    }

    /// Moves, PFN ranges and the queue concerned.
    pub(crate) fn analyse(&self) -> (Vec<Move>, Vec<PfnRun>, Option<QueueName>) {
        let (mut moves, mut pfns) = (Vec::new(), Vec::new());
        let queue = self.analyse_into(&mut moves, &mut pfns);
        (moves, pfns, queue)
    }

    /// [`TraceEvent::analyse`] into the caller's vectors (which must come empty), returning the
    /// queue: the world derives every event's queue this way without allocating.
    pub(crate) fn analyse_into(
        &self,
        moves: &mut Vec<Move>,
        pfns: &mut Vec<PfnRun>,
    ) -> Option<QueueName> {
        match &self.detail {
            Detail::Device(ev) => device_moves(ev, moves, pfns),
            Detail::Monitor(m) => m
                .device
                .as_ref()
                .and_then(|ev| device_moves(ev, moves, pfns)),
            Detail::Host { device, .. } => device
                .as_deref()
                .and_then(|ev| device_moves(ev, moves, pfns)),
            Detail::Driver { event, host } => {
                let mut queue = super::guest::driver_moves(event, moves, pfns);
                for ev in host {
                    let q = device_moves(ev, moves, pfns);
                    queue = queue.or(q);
                }
                // The driver's kick and the device's view of it are one move.
                moves.dedup();
                queue
            }
            Detail::Interrupt(DeliveredInterrupt::Used { queue, .. }) => *queue,
            Detail::Interrupt(DeliveredInterrupt::Config) => {
                moves.push(Move::ConfigInterrupt);
                None
            }
            Detail::Clock { from, to } => {
                moves.push(Move::Clock {
                    from: *from,
                    to: *to,
                });
                None
            }
            Detail::Guest { .. } => None,
            Detail::Fault(f) => Some(f.queue),
        }
    }

    /// Whether this is the actor's own step (for filters): operator, host, guest.
    pub fn is_operator(&self) -> bool {
        self.actor == Actor::Operator
    }
}
