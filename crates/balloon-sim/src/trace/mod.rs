//! The trace: one typed event per ring operation, each with its virtual time, actor, queue,
//! what moved, PFN ranges, a sentence and references (the QEMU or Linux function, the spec
//! section). PFN arrays are stored as ranges, so memory is O(ring operations), never O(pages).

pub mod binary;
pub mod hash;
pub mod prefix;
pub mod writer;

use serde::{Deserialize, Serialize};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// The operator (QMP, HMP, the script's guest and host lines).
    Operator,
    /// The host's virtio-balloon device (QEMU).
    HostDevice,
    /// The guest's virtio_balloon driver (Linux).
    GuestDriver,
    /// The guest's memory manager (allocator, OOM, page reporting).
    GuestMm,
    /// The transport: interrupt delivery, the clock.
    Transport,
}

impl Actor {
    /// A short label for logs (`operator`, `host`, `guest`, `guest-mm`, `transport`).
    pub fn label(self) -> &'static str {
        match self {
            Actor::Operator => "operator",
            Actor::HostDevice => "host",
            Actor::GuestDriver => "guest",
            Actor::GuestMm => "guest-mm",
            Actor::Transport => "transport",
        }
    }
}

/// A run of consecutive guest page frame numbers (the one PFN run type of every crate).
pub use balloon_spec::runs::PfnRun;

/// A config-space field of the balloon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConfigField {
    /// `num_pages` (offset 0).
    NumPages,
    /// `actual` (offset 4).
    Actual,
    /// `free_page_hint_cmd_id` (offset 8).
    FreePageHintCmdId,
    /// `poison_val` (offset 12).
    PoisonVal,
}

/// One thing that moved in a step, for the ring tables and the "what moved" highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Move {
    /// The driver wrote descriptor `desc`.
    DescWritten {
        /// Descriptor index.
        desc: u16,
        /// Buffer address.
        addr: u64,
        /// Buffer length.
        len: u32,
        /// Descriptor flags.
        flags: u16,
    },
    /// avail.idx went from → to.
    AvailIdx {
        /// Before.
        from: u16,
        /// After.
        to: u16,
    },
    /// The device's next_avail.
    NextAvail {
        /// Before.
        from: u16,
        /// After.
        to: u16,
    },
    /// used.idx.
    UsedIdx {
        /// Before.
        from: u16,
        /// After.
        to: u16,
    },
    /// The driver's last_used.
    LastUsed {
        /// Before.
        from: u16,
        /// After.
        to: u16,
    },
    /// A config field changed.
    Config {
        /// Which.
        field: ConfigField,
        /// Before.
        old: u32,
        /// After.
        new: u32,
    },
    /// The status byte changed.
    Status {
        /// Before.
        old: u8,
        /// After.
        new: u8,
    },
    /// The driver kicked the queue.
    Kick,
    /// The device raised a used-buffer interrupt.
    UsedInterrupt,
    /// The device raised a config-change interrupt.
    ConfigInterrupt,
    /// Virtual time moved.
    Clock {
        /// Before (ns).
        from: u64,
        /// After (ns).
        to: u64,
    },
}
