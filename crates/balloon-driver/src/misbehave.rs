//! A deliberately misbehaving guest, for the malformed-input scenarios (reference section 8).
//! Off unless the world switches it on. The driver's work calls one hook, `Armed::hook`, at
//! each `Site` where Linux writes a buffer, a ring entry or a config field; the armed mode
//! breaks its rule at the first site that is its own and is then spent.

use virtq::{DriverQueue, GuestRam, Segment};

use crate::buffers::{PFN_ARRAY, STATS_BUFFER};
use crate::error::Error;
use crate::layout_ext::{desc_next_loop, raw_avail};

/// How the next inflate message breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Misbehaviour {
    /// The PFN buffer is marked device-writable (case 1).
    WritableDescriptor,
    /// The PFN buffer's length is not a multiple of 4 (case 2).
    LengthNotMultipleOf4,
    /// 300 PFNs in one buffer, more than Linux's 256 (case 3).
    TooManyPfns,
    /// The first PFN lies past the end of guest RAM (case 4).
    PfnBeyondRam,
    /// A zero-length descriptor (case 12).
    ZeroLength,
    /// avail.idx moved more than the queue size ahead (case 10).
    AvailIdxJump,
    /// The avail ring names a head not below the queue size (case 11).
    HeadOutOfRange,
    /// The descriptor's `next` points at itself with NEXT set (case 11).
    LoopingChain,
    /// A second stats buffer while the device holds the first (case 16; applies at once,
    /// not to an inflate message).
    SecondStatsBuffer,
    /// The next deflate frees its pages before the host's ack (breaks MUST_TELL_HOST).
    ReleaseBeforeAck,
    /// The PFN buffer's address lies past the end of guest RAM (case 5).
    PfnArrayBeyondRam,
    /// The PFN buffer split over two chained descriptors (case 6; legal, if unlike Linux).
    ChainedPfnArray,
    /// The second PFN repeats the first (case 7).
    DuplicatePfn,
    /// The next deflate message names PFN 0, which the balloon never held (case 8).
    DeflateNeverInflated,
    /// The `actual` written after the next inflate is 0xffff_ffff pages (case 9).
    NonsenseActual,
    /// The next stats buffer ends 3 bytes into its last entry (case 13).
    StatsPartialEntry,
    /// The next stats buffer repeats its entries to 4000 bytes (case 14; Linux sends 160 or
    /// so, Firecracker holds anything over 2560 unparsed).
    StatsLargeBuffer,
    /// The next stats buffer's first entry has tag 0xff, which no device knows (case 15).
    StatsUnknownTag,
    /// The next free page hint cmd id buffer is 2 bytes, not 4 (case 17; QEMU reads 4 bytes
    /// and only a shorter buffer is an error).
    HintCmdIdLength,
    /// The next free page report's first range starts 2 KiB into its block (case 18).
    ReportMisaligned,
    /// The next `actual` is written one byte too far, at config offset 5 (case 19).
    ActualAtWrongOffset,
}

impl Misbehaviour {
    /// What the guest does wrong, in words (for sentences: never the variant's Debug name).
    pub fn describe(self) -> &'static str {
        match self {
            Misbehaviour::WritableDescriptor => "the PFN buffer is marked device-writable",
            Misbehaviour::LengthNotMultipleOf4 => "the PFN buffer's length is not a multiple of 4",
            Misbehaviour::TooManyPfns => "300 PFNs in one buffer, more than Linux's 256",
            Misbehaviour::PfnBeyondRam => "a PFN lies past the end of guest RAM",
            Misbehaviour::ZeroLength => "a zero-length descriptor",
            Misbehaviour::AvailIdxJump => "avail.idx moves more than the queue size ahead",
            Misbehaviour::HeadOutOfRange => "the avail ring names a head beyond the queue",
            Misbehaviour::LoopingChain => "the descriptor's next points at itself",
            Misbehaviour::SecondStatsBuffer => "a second stats buffer while the device holds one",
            Misbehaviour::ReleaseBeforeAck => "deflated pages reused before the host's ack",
            Misbehaviour::PfnArrayBeyondRam => "the PFN buffer lies past the end of guest RAM",
            Misbehaviour::ChainedPfnArray => "the PFN buffer is split over two descriptors",
            Misbehaviour::DuplicatePfn => "the second PFN repeats the first",
            Misbehaviour::DeflateNeverInflated => "a deflate names a page the balloon never held",
            Misbehaviour::NonsenseActual => "actual is written as 0xffffffff pages",
            Misbehaviour::StatsPartialEntry => "the stats buffer ends inside its last entry",
            Misbehaviour::StatsLargeBuffer => "a 4000-byte stats buffer",
            Misbehaviour::StatsUnknownTag => "a stats entry with tag 0xff",
            Misbehaviour::HintCmdIdLength => "a 2-byte free page hint cmd id buffer",
            Misbehaviour::ReportMisaligned => "a free page report that starts mid-block",
            Misbehaviour::ActualAtWrongOffset => "actual written at config offset 5",
        }
    }
}

/// A point in the driver's work where a misbehaviour may break its rule, with what it may
/// change there.
pub(crate) enum Site<'a> {
    /// `tell_host(vb, vb->inflate_vq)`: the inflate message's PFN segment, the PFN array
    /// already written; `nr_pages` is the size of guest RAM.
    InflateSegments {
        segs: &'a mut Vec<Segment>,
        nr_pages: u64,
    },
    /// `virtqueue_add_split`'s avail ring entry and `avail->idx` update for an inflate
    /// message's `head`.
    InflatePublish {
        queue: &'a mut DriverQueue,
        head: u16,
    },
    /// `leak_balloon`: the deflate message's PFN array, just written, before `tell_host`.
    DeflatePfns,
    /// `update_balloon_size`: the `actual` it writes and the config offset it writes it at.
    Actual {
        actual: &'a mut u32,
        offset: &'a mut u32,
    },
    /// `stats_handle_request`: `len` bytes of stats just written at `STATS_BUFFER`.
    StatsBuffer { len: &'a mut u32 },
    /// `send_cmd_id_start`: the cmd id segment.
    CmdId { seg: &'a mut Segment },
    /// `virtballoon_free_page_report`: the report's ranges.
    Report { segs: &'a mut [Segment] },
}

/// What a misbehaviour did at its site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// The mode, now spent.
    pub mode: Misbehaviour,
    /// How a ring-shaped mode broke the ring, for the `Misbehaved` event.
    pub what: Option<String>,
}

/// The misbehaviour armed for the driver's next messages, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Armed(Option<Misbehaviour>);

impl Armed {
    /// Arms `m` (or disarms, with `None`).
    pub(crate) fn set(&mut self, m: Option<Misbehaviour>) {
        self.0 = m;
    }
    /// Whether `m` is armed (for modes the driver acts out itself, not at a site).
    pub(crate) fn is(&self, m: Misbehaviour) -> bool {
        self.0 == Some(m)
    }
    /// Spends the armed mode.
    pub(crate) fn disarm(&mut self) {
        self.0 = None;
    }

    /// The one hook: offers `site` to the armed mode, which changes what the driver is about
    /// to send if the site is its own, and is then spent. `Ok(None)`: nothing changed.
    pub(crate) fn hook(
        &mut self,
        site: Site<'_>,
        ram: &mut impl GuestRam,
    ) -> Result<Option<Applied>, Error> {
        let Some(mode) = self.0 else {
            return Ok(None);
        };
        let what = match site {
            Site::InflateSegments { segs, nr_pages } => {
                inflate_segments(mode, segs, ram, nr_pages)?.then_some(None)
            }
            Site::InflatePublish { queue, head } => publish(mode, queue, ram, head)?.map(Some),
            Site::DeflatePfns => deflate_pfns(mode, ram)?.then_some(None),
            Site::Actual { actual, offset } => actual_write(mode, actual, offset).then_some(None),
            Site::StatsBuffer { len } => stats_buffer(mode, ram, len)?.then_some(None),
            Site::CmdId { seg } => cmd_id(mode, seg).then_some(None),
            Site::Report { segs } => report(mode, segs).then_some(None),
        };
        Ok(what.map(|what| {
            self.0 = None;
            Applied { mode, what }
        }))
    }
}

/// Breaks the inflate message's PFN segment; false for modes that are not segment-shaped.
fn inflate_segments(
    m: Misbehaviour,
    segs: &mut Vec<Segment>,
    ram: &mut impl GuestRam,
    nr_pages: u64,
) -> Result<bool, Error> {
    let Some(seg) = segs.first_mut() else {
        return Ok(false);
    };
    match m {
        Misbehaviour::WritableDescriptor => seg.writable = true,
        Misbehaviour::LengthNotMultipleOf4 => seg.len += 2,
        Misbehaviour::ZeroLength => seg.len = 0,
        Misbehaviour::TooManyPfns => {
            let first = ram.read_u32(PFN_ARRAY)?;
            let have = seg.len / 4;
            for k in have..300 {
                ram.write_u32(PFN_ARRAY + 4 * u64::from(k), first)?;
            }
            seg.len = 1200;
        }
        Misbehaviour::PfnBeyondRam => ram.write_u32(PFN_ARRAY, (nr_pages + 0x1000) as u32)?,
        Misbehaviour::PfnArrayBeyondRam => seg.addr = (nr_pages + 0x1000) << 12,
        Misbehaviour::ChainedPfnArray => {
            // Whole PFNs in each half; a one-PFN message stays one descriptor rather than
            // gain an empty one (that would be case 12).
            let first = (seg.len / 8) * 4;
            if first > 0 {
                let second = Segment {
                    addr: seg.addr + u64::from(first),
                    len: seg.len - first,
                    writable: false,
                };
                seg.len = first;
                segs.push(second);
            }
        }
        // A one-PFN message has no second PFN to repeat: the mode waits for a longer one.
        Misbehaviour::DuplicatePfn if seg.len >= 8 => {
            let first = ram.read_u32(PFN_ARRAY)?;
            ram.write_u32(PFN_ARRAY + 4, first)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Breaks the avail publish of `head`; the description of the break, or `None` for modes
/// that are not ring-shaped.
fn publish(
    m: Misbehaviour,
    queue: &mut DriverQueue,
    ram: &mut impl GuestRam,
    head: u16,
) -> Result<Option<String>, Error> {
    let layout = queue.layout();
    Ok(Some(match m {
        Misbehaviour::AvailIdxJump => {
            let a = queue.avail_idx();
            raw_avail(
                ram,
                &layout,
                a,
                head,
                a.wrapping_add(layout.size).wrapping_add(1),
            )?;
            format!(
                "avail.idx jumped from {a} to {}",
                a.wrapping_add(layout.size).wrapping_add(1)
            )
        }
        Misbehaviour::HeadOutOfRange => {
            let (a, b) = queue.publish(ram, head)?;
            raw_avail(ram, &layout, a, layout.size + 3, b)?;
            format!(
                "avail.ring[{}] = {} with a queue of {}",
                a % layout.size,
                layout.size + 3,
                layout.size
            )
        }
        Misbehaviour::LoopingChain => {
            desc_next_loop(ram, &layout, head)?;
            queue.publish(ram, head)?;
            format!("descriptor {head} chains to itself")
        }
        _ => return Ok(None),
    }))
}

/// Breaks the deflate message: names PFN 0, or (acted out by `leak_balloon`'s caller) frees
/// the pages before the ack.
fn deflate_pfns(m: Misbehaviour, ram: &mut impl GuestRam) -> Result<bool, Error> {
    match m {
        Misbehaviour::DeflateNeverInflated => {
            // Linux balloons from the top of memory down; PFN 0 is never in the balloon.
            ram.write_u32(PFN_ARRAY, 0)?;
            Ok(true)
        }
        Misbehaviour::ReleaseBeforeAck => Ok(true),
        _ => Ok(false),
    }
}

/// Breaks the `actual` write: a nonsense value, or one byte too far (config offset 5).
fn actual_write(m: Misbehaviour, actual: &mut u32, offset: &mut u32) -> bool {
    match m {
        Misbehaviour::NonsenseActual => *actual = u32::MAX,
        Misbehaviour::ActualAtWrongOffset => *offset += 1,
        _ => return false,
    }
    true
}

/// Breaks the stats buffer just written at `STATS_BUFFER` and sets the length to send.
fn stats_buffer(m: Misbehaviour, ram: &mut impl GuestRam, len: &mut u32) -> Result<bool, Error> {
    match m {
        Misbehaviour::StatsPartialEntry => *len = len.saturating_sub(3),
        Misbehaviour::StatsLargeBuffer => {
            // Stays below the cmd id buffers 4 KiB further on.
            const LARGE: u32 = 4000;
            let mut entries = vec![0u8; *len as usize];
            ram.read(STATS_BUFFER, &mut entries)?;
            let bytes: Vec<u8> = entries
                .iter()
                .copied()
                .cycle()
                .take(LARGE as usize)
                .collect();
            ram.write(STATS_BUFFER, &bytes)?;
            *len = LARGE;
        }
        Misbehaviour::StatsUnknownTag => ram.write_u16(STATS_BUFFER, 0xff)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Shortens the cmd id segment to 2 bytes.
fn cmd_id(m: Misbehaviour, seg: &mut Segment) -> bool {
    if m != Misbehaviour::HintCmdIdLength {
        return false;
    }
    seg.len = 2;
    true
}

/// Starts the report's first range 2 KiB into its block.
fn report(m: Misbehaviour, segs: &mut [Segment]) -> bool {
    match (m, segs.first_mut()) {
        (Misbehaviour::ReportMisaligned, Some(seg)) => {
            seg.addr += 0x800;
            true
        }
        _ => false,
    }
}
