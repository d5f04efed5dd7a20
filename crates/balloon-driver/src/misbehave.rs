//! A deliberately misbehaving guest, for the malformed-input scenarios (reference section 8).
//! Off unless the world switches it on; each mode applies once, to the next inflate message.

use virtq::{GuestRam, Segment};

use crate::buffers::{PFN_ARRAY, STATS_BUFFER};
use crate::driver::Vq;
use crate::error::Error;
use crate::event::DriverEvent;
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

/// Applies a segment-shaped misbehaviour; returns an empty list for the ring-shaped ones.
pub(crate) fn tamper_segments(
    m: Misbehaviour,
    mut segs: Vec<Segment>,
    ram: &mut impl GuestRam,
    nr_pages: u64,
) -> Result<Vec<Segment>, Error> {
    let Some(seg) = segs.first_mut() else {
        return Ok(segs);
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
        Misbehaviour::DuplicatePfn if seg.len >= 8 => {
            let first = ram.read_u32(PFN_ARRAY)?;
            ram.write_u32(PFN_ARRAY + 4, first)?;
        }
        _ => return Ok(Vec::new()),
    }
    Ok(segs)
}

/// Applies a ring-shaped misbehaviour at publish time.
pub(crate) fn tamper_publish(
    m: Option<Misbehaviour>,
    vq: &mut Vq,
    ram: &mut impl GuestRam,
    head: u16,
) -> Result<Option<DriverEvent>, Error> {
    let layout = vq.queue.layout();
    let what = match m {
        Some(Misbehaviour::AvailIdxJump) => {
            let a = vq.queue.avail_idx();
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
        Some(Misbehaviour::HeadOutOfRange) => {
            let (a, b) = vq.queue.publish(ram, head)?;
            raw_avail(ram, &layout, a, layout.size + 3, b)?;
            format!(
                "avail.ring[{}] = {} with a queue of {}",
                a % layout.size,
                layout.size + 3,
                layout.size
            )
        }
        Some(Misbehaviour::LoopingChain) => {
            desc_next_loop(ram, &layout, head)?;
            vq.queue.publish(ram, head)?;
            format!("descriptor {head} chains to itself")
        }
        _ => return Ok(None),
    };
    Ok(Some(DriverEvent::Misbehaved { what }))
}

/// Applies a deflate-message misbehaviour to the PFN array just written; true if it applied.
pub(crate) fn tamper_deflate(
    m: Option<Misbehaviour>,
    ram: &mut impl GuestRam,
) -> Result<bool, Error> {
    if m != Some(Misbehaviour::DeflateNeverInflated) {
        return Ok(false);
    }
    // Linux balloons from the top of memory down; PFN 0 is never in the balloon.
    ram.write_u32(PFN_ARRAY, 0)?;
    Ok(true)
}

/// The `actual` a misbehaving `update_balloon_size` writes instead of the real one.
pub(crate) fn tamper_actual(m: Option<Misbehaviour>, actual: u32) -> (u32, bool) {
    match m {
        Some(Misbehaviour::NonsenseActual) => (u32::MAX, true),
        _ => (actual, false),
    }
}

/// Applies a stats-buffer misbehaviour to the buffer just written at `STATS_BUFFER` (`len`
/// bytes); returns the length to send, or `None` when `m` is not about stats.
pub(crate) fn tamper_stats(
    m: Option<Misbehaviour>,
    ram: &mut impl GuestRam,
    len: u32,
) -> Result<Option<u32>, Error> {
    Ok(Some(match m {
        Some(Misbehaviour::StatsPartialEntry) => len.saturating_sub(3),
        Some(Misbehaviour::StatsLargeBuffer) => {
            // Stays below the cmd id buffers 4 KiB further on.
            const LARGE: u32 = 4000;
            let mut entries = vec![0u8; len as usize];
            ram.read(STATS_BUFFER, &mut entries)?;
            let bytes: Vec<u8> = entries
                .iter()
                .copied()
                .cycle()
                .take(LARGE as usize)
                .collect();
            ram.write(STATS_BUFFER, &bytes)?;
            LARGE
        }
        Some(Misbehaviour::StatsUnknownTag) => {
            ram.write_u16(STATS_BUFFER, 0xff)?;
            len
        }
        _ => return Ok(None),
    }))
}

/// Applies the cmd-id misbehaviour to the hint's cmd id segment; true if it applied.
pub(crate) fn tamper_cmd_id(m: Option<Misbehaviour>, seg: &mut Segment) -> bool {
    if m != Some(Misbehaviour::HintCmdIdLength) {
        return false;
    }
    seg.len = 2;
    true
}

/// Applies the report misbehaviour to a report's ranges; true if it applied.
pub(crate) fn tamper_report(m: Option<Misbehaviour>, segs: &mut [Segment]) -> bool {
    match (m, segs.first_mut()) {
        (Some(Misbehaviour::ReportMisaligned), Some(seg)) => {
            seg.addr += 0x800;
            true
        }
        _ => false,
    }
}

/// The config offset this `actual` write goes to: 4, or 5 when misbehaving.
pub(crate) fn actual_offset(m: Option<Misbehaviour>, offset: u32) -> (u32, bool) {
    match m {
        Some(Misbehaviour::ActualAtWrongOffset) => (offset + 1, true),
        _ => (offset, false),
    }
}
