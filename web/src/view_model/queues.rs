//! The ring panels' data: each queue as both sides see it, and what the current step changed.

use balloon_sim::trace::{Actor, Move, PfnRun};
use balloon_sim::view::QueueView;
use balloon_sim::{Session, TraceEvent};

/// Which side of the ring holds the work right now (where the travelling token sits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The guest driver: nothing published, or a used buffer waits to be collected.
    Guest,
    /// The device: a published buffer waits to be popped, or the handler is mid-way.
    Device,
}

/// What the current step changed on one queue: the cells the panel highlights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueChanges {
    /// Descriptors written.
    pub descs: Vec<u16>,
    /// avail.idx moved.
    pub avail_idx: bool,
    /// The device's next_avail moved.
    pub next_avail: bool,
    /// used.idx moved.
    pub used_idx: bool,
    /// The driver's last_used moved.
    pub last_used: bool,
    /// The driver kicked.
    pub kick: bool,
    /// The device raised a used-buffer interrupt.
    pub interrupt: bool,
    /// The step went from guest to device (driver work) rather than back.
    pub towards_device: Option<bool>,
}

/// One queue as `balloon_sim::view` shows it (both sides' indices, the ring, the payloads,
/// the counts; reached through `Deref`), with what the current step changed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueModel {
    /// The queue.
    pub view: QueueView,
    /// What the current step changed here.
    pub changes: QueueChanges,
    /// PFN runs the current step carried on this queue.
    pub step_pfns: Vec<PfnRun>,
    /// Who holds the work.
    pub side: Side,
}

impl std::ops::Deref for QueueModel {
    type Target = QueueView;
    fn deref(&self) -> &QueueView {
        &self.view
    }
}

impl QueueModel {
    /// The test-id suffix and heading: `ivq`, `dvq`, `svq`, `free_page_vq`, `reporting_vq`.
    pub fn label(&self) -> &'static str {
        self.name.as_str()
    }
}

/// Every queue the device created, in transport order.
pub fn queue_models(s: &Session) -> Vec<QueueModel> {
    queue_models_of(s.current_event().as_ref(), s.queue_views())
}

/// The queue models from one world's queue views and the event it lived through last (a
/// session's world, or one VM's on a host).
pub fn queue_models_of(ev: Option<&TraceEvent>, views: Vec<QueueView>) -> Vec<QueueModel> {
    let (moves, step_pfns, ev_queue) = match ev {
        Some(e) => (e.moves(), e.pfns(), e.queue),
        None => (Vec::new(), Vec::new(), None),
    };
    views
        .into_iter()
        .map(|q| {
            let here = ev_queue == Some(q.name);
            let changes = if here {
                changes_of(&moves, ev.map(|e| e.actor))
            } else {
                QueueChanges::default()
            };
            let side = match &q.ring {
                Some(r) if r.pending_avail > 0 || q.busy || q.kicked => Side::Device,
                _ => Side::Guest,
            };
            QueueModel {
                view: q,
                changes,
                step_pfns: if here { step_pfns.clone() } else { Vec::new() },
                side,
            }
        })
        .collect()
}

fn changes_of(moves: &[Move], actor: Option<Actor>) -> QueueChanges {
    let mut c = QueueChanges::default();
    for m in moves {
        match *m {
            Move::DescWritten { desc, .. } => c.descs.push(desc),
            Move::AvailIdx { .. } => c.avail_idx = true,
            Move::NextAvail { .. } => c.next_avail = true,
            Move::UsedIdx { .. } => c.used_idx = true,
            Move::LastUsed { .. } => c.last_used = true,
            Move::Kick => c.kick = true,
            Move::UsedInterrupt => c.interrupt = true,
            _ => {}
        }
    }
    // Publishing, kicking and popping move a buffer to the device; pushing it to the used
    // ring, the interrupt and its delivery bring it back. Work inside one side (the device
    // discarding pages, the driver filling an array) goes nowhere.
    c.towards_device = if c.kick || c.avail_idx || c.next_avail {
        Some(true)
    } else if c.used_idx || c.interrupt || c.last_used || actor == Some(Actor::Transport) {
        Some(false)
    } else {
        None
    };
    c
}
