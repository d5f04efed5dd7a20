//! Memory statistics: `update_balloon_stats` and `stats_handle_request`.

use virtq::{GuestRam, Segment, Transport};

use crate::buffers::STATS_BUFFER;
use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::event::{DriverEvent, Violation};
use crate::features::Role;
use crate::misbehave::{Misbehaviour, Site};
use crate::mm::{GuestMm, PAGE_SIZE};
use crate::tell::{Stage, Tell};

/// VIRTIO_BALLOON_S_* tags.
pub mod tag {
    /// Bytes swapped in.
    pub const SWAP_IN: u16 = 0;
    /// Bytes swapped out.
    pub const SWAP_OUT: u16 = 1;
    /// Major faults.
    pub const MAJFLT: u16 = 2;
    /// All faults.
    pub const MINFLT: u16 = 3;
    /// Free memory in bytes.
    pub const MEMFREE: u16 = 4;
    /// Total memory in bytes.
    pub const MEMTOT: u16 = 5;
    /// Available memory in bytes.
    pub const AVAIL: u16 = 6;
    /// Page cache in bytes.
    pub const CACHES: u16 = 7;
    /// Huge page allocations.
    pub const HTLB_PGALLOC: u16 = 8;
    /// Huge page allocation failures.
    pub const HTLB_PGFAIL: u16 = 9;
    /// OOM kills.
    pub const OOM_KILL: u16 = 10;
    /// Allocation stalls.
    pub const ALLOC_STALL: u16 = 11;
    /// Bytes scanned by kswapd.
    pub const ASYNC_SCAN: u16 = 12;
    /// Bytes scanned by direct reclaim.
    pub const DIRECT_SCAN: u16 = 13;
    /// Bytes reclaimed by kswapd.
    pub const ASYNC_RECLAIM: u16 = 14;
    /// Bytes reclaimed by direct reclaim.
    pub const DIRECT_RECLAIM: u16 = 15;
}

/// Bytes of one `struct virtio_balloon_stat` (le16 tag + le64 val, packed).
pub const STAT_SIZE: usize = 10;

/// Linux `update_balloon_stats` (with `update_balloon_vm_stats`): the entries in the order a
/// real guest writes them, which is not numeric.
pub fn update_balloon_stats(mm: &GuestMm, hugetlb: bool, v612: bool) -> Vec<(u16, u64)> {
    let e = &mm.events;
    let mut s = vec![
        (tag::SWAP_IN, e.pswpin * PAGE_SIZE),
        (tag::SWAP_OUT, e.pswpout * PAGE_SIZE),
        (tag::MAJFLT, e.pgmajfault),
        (tag::MINFLT, e.pgfault),
    ];
    if v612 {
        s.extend([
            (tag::OOM_KILL, e.oom_kill),
            (tag::ALLOC_STALL, e.allocstall),
            (tag::ASYNC_SCAN, e.pgscan_kswapd * PAGE_SIZE),
            (tag::DIRECT_SCAN, e.pgscan_direct * PAGE_SIZE),
            (tag::ASYNC_RECLAIM, e.pgsteal_kswapd * PAGE_SIZE),
            (tag::DIRECT_RECLAIM, e.pgsteal_direct * PAGE_SIZE),
        ]);
    }
    if hugetlb {
        s.extend([
            (tag::HTLB_PGALLOC, e.htlb_buddy_alloc),
            (tag::HTLB_PGFAIL, e.htlb_buddy_alloc_fail),
        ]);
    }
    s.extend([
        (tag::MEMFREE, mm.free_pages() * PAGE_SIZE),
        (tag::MEMTOT, mm.total_pages() * PAGE_SIZE),
        (tag::AVAIL, mm.available_pages() * PAGE_SIZE),
        (tag::CACHES, mm.cache_pages() * PAGE_SIZE),
    ]);
    s
}

/// Encodes entries as the guest writes them.
pub fn encode(entries: &[(u16, u64)]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|(t, v)| t.to_le_bytes().into_iter().chain(v.to_le_bytes()))
        .collect()
}

/// Decodes whole 10-byte entries (what a device does).
pub fn decode(bytes: &[u8]) -> Vec<(u16, u64)> {
    bytes
        .chunks_exact(STAT_SIZE)
        .map(|c| {
            let mut v = [0; 8];
            v.copy_from_slice(&c[2..10]);
            (u16::from_le_bytes([c[0], c[1]]), u64::from_le_bytes(v))
        })
        .collect()
}

/// Where the stats work is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum SState {
    #[default]
    Idle,
    /// `update_balloon_stats` next (`first`: from `init_vqs`, no get_buf before the add).
    Fill { first: bool },
    /// `virtqueue_get_buf` next.
    GetBuf { len: u32 },
    /// Add, publish, kick.
    Tell(Tell),
}

/// The stats work's state (`vb->stats_vq` and the `update_balloon_stats_work` item).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StatsOp {
    /// `stats_request` queued `update_balloon_stats_func`.
    pub pending: bool,
    /// The device holds a stats buffer (added and kicked, not yet taken back).
    pub outstanding: bool,
    pub state: SState,
}

impl StatsOp {
    /// Fills and adds a buffer without taking one back first: `init_vqs`'s first buffer (or
    /// a misbehaving guest's second).
    pub(crate) fn fill_first(&mut self) {
        self.state = SState::Fill { first: true };
    }
    /// Whether no stats request is in progress.
    pub(crate) fn is_idle(&self) -> bool {
        self.state == SState::Idle
    }
}

impl BalloonDriver {
    /// A misbehaving guest adds a second stats buffer while the device holds the first.
    pub(crate) fn second_stats_due(&self) -> bool {
        self.misbehaviour.is(Misbehaviour::SecondStatsBuffer)
            && self.stats.outstanding
            && self.stats.is_idle()
    }

    pub(crate) fn stats_ready(&self) -> bool {
        match &self.stats.state {
            SState::Idle => self.stats.pending,
            SState::Tell(t) => self.tell_ready(t),
            _ => true,
        }
    }

    /// One step of `stats_handle_request` (or of `init_vqs`'s first buffer).
    pub(crate) fn stats_step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        let op = std::mem::take(&mut self.stats.state);
        match op {
            SState::Idle | SState::Fill { .. } => {
                let first = matches!(op, SState::Fill { first: true });
                self.stats.pending = false;
                let entries = update_balloon_stats(&self.mm, self.cfg.hugetlb, self.cfg.stats_v612);
                let bytes = encode(&entries);
                ram.write(STATS_BUFFER, &bytes)?;
                let mut len = bytes.len() as u32;
                self.misbehaviour
                    .hook(Site::StatsBuffer { len: &mut len }, ram)?;
                self.stats.state = if first {
                    self.stats_tell(len)
                } else {
                    SState::GetBuf { len }
                };
                Ok(DriverEvent::StatsFilled {
                    entries,
                    addr: STATS_BUFFER,
                })
            }
            SState::GetBuf { len } => {
                let vq = self.vq_mut(Role::Stats)?;
                vq.irq = false;
                let queue = vq.index;
                match vq.queue.get_used(ram)? {
                    Some(elem) => {
                        let last_used = vq.queue.last_used();
                        self.stats.outstanding = false;
                        self.stats.state = self.stats_tell(len);
                        Ok(DriverEvent::UsedCollected {
                            role: Role::Stats,
                            queue,
                            elem,
                            last_used,
                            pages: Default::default(),
                        })
                    }
                    None => Ok(DriverEvent::NothingUsed {
                        role: Role::Stats,
                        queue,
                    }),
                }
            }
            SState::Tell(mut t) => {
                if t.stage == Stage::Add && self.stats.outstanding {
                    self.violations.push(Violation::SecondStatsBuffer);
                }
                let ev = self.tell_step(&mut t, tr, ram)?;
                if matches!(t.stage, Stage::Kick) {
                    self.stats.outstanding = true;
                }
                if t.stage != Stage::Sent {
                    self.stats.state = SState::Tell(t);
                }
                Ok(ev)
            }
        }
    }

    fn stats_tell(&self, len: u32) -> SState {
        SState::Tell(Tell::new(
            Role::Stats,
            vec![Segment {
                addr: STATS_BUFFER,
                len,
                writable: false,
            }],
            false,
        ))
    }
}
