//! The byte view: the guest memory the balloon's rings and buffers live in, and the device's
//! config space, as bytes, each group annotated with its field, offset, guest address and
//! decoded value; and the byte ranges the latest events wrote, in order, with who wrote them.
//!
//! Everything is read from the simulation's own guest memory (the portable backend's
//! `SparseRam`) at the addresses the driver gave the device (`virtio_queue_set_addr`), with the
//! split ring layout of VIRTIO 1.2 §2.7: a malformed ring shows its malformed bytes. The
//! writes come from the memory's write log (`virtq::WriteLog`), not from the model's idea of
//! what should have been written. Cost: the bytes shown (the rings' sizes, at most
//! [`buffers::MAX_BUFFERS`] buffers a queue, a capped length each), never the guest's size.

mod buffers;
mod config;
mod field;
mod rings;
mod writes;

use serde::Serialize;
use virtq::{Backend, GuestRam};

pub use self::field::{ByteField, RingItem, desc_flags_text};
pub use self::writes::{ByteWrite, Writer};
use crate::command::QueueName;
use crate::session::Session;
use crate::world::World;

/// What a region holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RegionKind {
    /// `struct virtq_desc[N]`: le64 addr, le32 len, le16 flags, le16 next.
    DescTable,
    /// `struct virtq_avail`: le16 flags, le16 idx, le16 ring\[N\], le16 used_event.
    AvailRing,
    /// `struct virtq_used`: le16 flags, le16 idx, {le32 id, le32 len}\[N\], le16 avail_event.
    UsedRing,
    /// An inflate or deflate buffer: le32 PFNs (Linux `vb->pfns`).
    PfnArray,
    /// The stats buffer: packed `struct virtio_balloon_stat` {le16 tag, le64 val}.
    Stats,
    /// A free page hint command id buffer: one le32 (Linux `vb->cmd_id_active` / `cmd_id_stop`).
    HintCmdId,
    /// `struct virtio_balloon_config` as the device answers config reads.
    Config,
    /// Bytes a step stored that no descriptor names (yet): the PFN array `fill_balloon`
    /// writes before `virtqueue_add_outbuf` points descriptor 0 at it.
    Unnamed,
}

/// Where a region's addresses live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Space {
    /// Guest physical memory.
    Guest,
    /// The device's config space (offsets, not guest addresses).
    Config,
}

/// One contiguous run of bytes with its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByteRegion {
    /// What it holds.
    pub kind: RegionKind,
    /// The queue it belongs to (none for the config space).
    pub queue: Option<QueueName>,
    /// A heading: "ivq descriptor table", "ivq buffer of descriptor 0 (PFN array)".
    pub title: String,
    /// Guest memory or config space.
    pub space: Space,
    /// Address of the first byte (guest physical, or config offset).
    pub addr: u64,
    /// The bytes, as memory holds them.
    pub bytes: Vec<u8>,
    /// The fields, by offset; each covers bytes of `bytes`.
    pub fields: Vec<ByteField>,
    /// Why the bytes are cut or missing (a buffer longer than shown, or outside guest RAM).
    pub note: Option<String>,
}

impl ByteRegion {
    /// Offsets `start..end` of this region that a write of `len` bytes at `addr` in `space`
    /// covers, if any.
    pub fn overlap(&self, space: Space, addr: u64, len: u64) -> Option<(u32, u32)> {
        if space != self.space {
            return None;
        }
        let end = addr.saturating_add(len);
        let region_end = self.addr.saturating_add(self.bytes.len() as u64);
        let (s, e) = (addr.max(self.addr), end.min(region_end));
        (s < e).then(|| ((s - self.addr) as u32, (e - self.addr) as u32))
    }
}

/// Every region and the latest writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BytesView {
    /// Regions: per queue (transport order) its descriptor table, avail ring, used ring and
    /// buffers; then the config space.
    pub regions: Vec<ByteRegion>,
    /// Stores of the events `writes_from..current`, in the order they happened.
    pub writes: Vec<ByteWrite>,
    /// The first event whose writes are listed: the `since` asked for, or later when the
    /// write log no longer holds that far back (it keeps the last `virtq::write_log::KEEP_EVENTS`).
    pub writes_from: u64,
}

impl Session {
    /// The byte view of the state shown, with the writes of events `since..current_index()`
    /// (pass the index before a step to see what the step wrote).
    pub fn byte_view(&self, since: u64) -> BytesView {
        let world = self.world();
        let mut regions = regions_of(world);
        let (writes, writes_from) = writes::collect(
            world.ram().recent_writes(),
            self.events(),
            since,
            self.current_index(),
        );
        let unnamed = writes::unnamed(&writes, &regions, world.ram());
        regions.extend(unnamed);
        let mut view = BytesView {
            regions,
            writes,
            writes_from,
        };
        writes::mark(&mut view);
        view
    }
}

/// The regions of `world`, generic over the backend (the rust-vmm backend's memory reads the
/// same; it keeps no write log).
fn regions_of<B: Backend>(world: &World<B>) -> Vec<ByteRegion> {
    let mut out = Vec::new();
    for q in rings::queues(world) {
        let [desc, avail, used] = rings::regions(&q, world.ram());
        let buffers = buffers::regions(&q, &desc.bytes, world.ram());
        out.extend([desc, avail, used]);
        out.extend(buffers);
    }
    out.push(config::region(world.device()));
    out
}
