//! What the compare view shows of each side at the lockstep position, and where the two sides
//! differ there: the event each just made, the config space byte by byte (a byte one side does
//! not have, a byte of a different value), the queues (one the other side lacks, a different
//! size), the status byte and the balloon's two numbers. Plain data, no Yew.

use balloon_sim::Session;
use balloon_sim::command::QueueName;

/// One byte of a side's config space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigByte {
    /// Its value.
    pub value: u8,
    /// The other side's config has no byte here.
    pub only_here: bool,
    /// The other side has a different value here.
    pub differs: bool,
}

/// One queue a side's device created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueChip {
    /// Linux name.
    pub name: QueueName,
    /// Transport index (the numbering follows the offered or the negotiated features).
    pub index: u16,
    /// Maximum size offered.
    pub size: u16,
    /// The other side has no such queue.
    pub only_here: bool,
    /// The other side has it at another index or size.
    pub differs: bool,
}

/// One side at the lockstep position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideModel {
    /// `qemu`, `firecracker, deflate-on-oom=on`.
    pub label: String,
    /// Events this side has made so far (its run may be shorter than the timeline).
    pub shown: u64,
    /// Its events in all.
    pub count: u64,
    /// Virtual time, ns.
    pub time_ns: u64,
    /// The event that brought it here: its sentence and real function.
    pub event: Option<(String, &'static str)>,
    /// The other side's event at this position says something else.
    pub event_differs: bool,
    /// The config space as a driver reads it.
    pub config: Vec<ConfigByte>,
    /// Its size differs from the other side's.
    pub size_differs: bool,
    /// The queues.
    pub queues: Vec<QueueChip>,
    /// The device status byte.
    pub status: u8,
    /// It differs from the other side's.
    pub status_differs: bool,
    /// `num_pages` and `actual`.
    pub balloon: (u32, u32),
    /// Either differs from the other side's.
    pub balloon_differs: bool,
}

struct Raw {
    time_ns: u64,
    event: Option<(String, &'static str)>,
    image: Vec<u8>,
    queues: Vec<(QueueName, u16, u16)>,
    status: u8,
    balloon: (u32, u32),
}

fn raw(s: &Session) -> Raw {
    let c = s.config_view();
    Raw {
        time_ns: s.now_ns(),
        event: s.current_event().map(|e| (e.sentence(), e.function())),
        image: c.image,
        queues: s
            .queue_views()
            .iter()
            .map(|q| (q.name, q.index, q.max_size))
            .collect(),
        status: c.status,
        balloon: (c.num_pages, c.actual),
    }
}

fn side(label: &str, s: &Session, me: &Raw, other: &Raw) -> SideModel {
    SideModel {
        label: label.to_owned(),
        shown: s.current_index(),
        count: s.event_count(),
        time_ns: me.time_ns,
        event: me.event.clone(),
        event_differs: me.event != other.event,
        config: me
            .image
            .iter()
            .enumerate()
            .map(|(i, &value)| ConfigByte {
                value,
                only_here: i >= other.image.len(),
                differs: other.image.get(i).is_some_and(|o| *o != value),
            })
            .collect(),
        size_differs: me.image.len() != other.image.len(),
        queues: me
            .queues
            .iter()
            .map(|&(name, index, size)| {
                let there = other.queues.iter().find(|q| q.0 == name);
                QueueChip {
                    name,
                    index,
                    size,
                    only_here: there.is_none(),
                    differs: there.is_some_and(|q| (q.1, q.2) != (index, size)),
                }
            })
            .collect(),
        status: me.status,
        status_differs: me.status != other.status,
        balloon: me.balloon,
        balloon_differs: me.balloon != other.balloon,
    }
}

/// Both sides, each marked where it differs from the other.
pub fn sides(labels: [&str; 2], a: &Session, b: &Session) -> [SideModel; 2] {
    let (ra, rb) = (raw(a), raw(b));
    [side(labels[0], a, &ra, &rb), side(labels[1], b, &rb, &ra)]
}
