//! The buffers the descriptors point to, read the way the device reads them: le32 PFN arrays
//! (QEMU `virtio_balloon_handle_output`), packed stats entries (`virtio_balloon_receive_stats`)
//! and the free page hint's le32 command id (`get_free_page_hints`). Free page reports and
//! hinted pages are whole guest pages, not protocol bytes, so they get no region.

use balloon_device::consts::{BALLOON_STAT_NAMES, STAT_ENTRY_SIZE};
use virtq::layout::DESC_SIZE;
use virtq::{Descriptor, GuestRam};

use super::field::{ByteField, RingItem};
use super::rings::{QueueBytes, read_region};
use super::{ByteRegion, RegionKind, Space};
use crate::command::QueueName;
use crate::view::ARRAY_PFNS_MAX;

/// Most buffers shown a queue (distinct addresses, in descriptor order): the balloon driver
/// uses one buffer a queue, a malformed chain two.
pub const MAX_BUFFERS: usize = 4;
/// Most bytes of a PFN array shown: one legal array (`VIRTIO_BALLOON_ARRAY_PFNS_MAX` PFNs).
const PFN_BYTES_MAX: u32 = ARRAY_PFNS_MAX as u32 * 4;
/// Most bytes of a stats buffer shown: one entry per tag QEMU knows.
const STATS_BYTES_MAX: u32 = (BALLOON_STAT_NAMES.len() * STAT_ENTRY_SIZE) as u32;
/// The hint command id is one le32.
const CMD_ID_BYTES: u32 = 4;

/// The buffers of `q`'s descriptors, from the descriptor table's bytes `table`.
pub(super) fn regions(q: &QueueBytes, table: &[u8], ram: &impl GuestRam) -> Vec<ByteRegion> {
    let mut out: Vec<ByteRegion> = Vec::new();
    for (i, chunk) in table.chunks_exact(DESC_SIZE as usize).enumerate() {
        if out.len() >= MAX_BUFFERS {
            break;
        }
        let Ok(raw) = <&[u8; 16]>::try_from(chunk) else {
            continue;
        };
        let d = Descriptor::from_bytes(raw);
        if d.len == 0 || d.is_indirect() || out.iter().any(|r| r.addr == d.addr) {
            continue;
        }
        let index = i as u16;
        if let Some(r) = buffer(q.name, index, d, ram) {
            out.push(r);
        }
    }
    out
}

fn buffer(queue: QueueName, index: u16, d: Descriptor, ram: &impl GuestRam) -> Option<ByteRegion> {
    let (kind, what, cap) = match queue {
        QueueName::Ivq | QueueName::Dvq => (RegionKind::PfnArray, "PFN array", PFN_BYTES_MAX),
        QueueName::Svq => (RegionKind::Stats, "stats", STATS_BYTES_MAX),
        QueueName::FreePageVq if !d.is_write() => {
            (RegionKind::HintCmdId, "hint command id", CMD_ID_BYTES)
        }
        QueueName::FreePageVq | QueueName::ReportingVq => return None,
    };
    let shown = d.len.min(cap);
    let (bytes, unreadable) = read_region(ram, d.addr, u64::from(shown));
    let mut notes: Vec<String> = unreadable.into_iter().collect();
    if shown < d.len {
        notes.push(format!("{} bytes; the first {shown} shown", d.len));
    }
    let item = Some(RingItem::Desc(index));
    let fields = match kind {
        RegionKind::PfnArray => {
            if !d.len.is_multiple_of(4) {
                notes.push(format!(
                    "{} trailing byte(s): virtio_balloon_handle_output reads whole le32 PFNs and ignores them",
                    d.len % 4
                ));
            }
            pfn_fields(&bytes, item)
        }
        RegionKind::Stats => stat_fields(&bytes, item),
        _ => cmd_id_fields(&bytes, item),
    };
    Some(ByteRegion {
        kind,
        queue: Some(queue),
        title: format!("{} buffer of descriptor {index} ({what})", queue.as_str()),
        space: Space::Guest,
        addr: d.addr,
        bytes,
        fields,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// Whole le32 PFNs, then the bytes left over.
fn pfn_fields(b: &[u8], item: Option<RingItem>) -> Vec<ByteField> {
    let whole = (b.len() / 4) as u32;
    let mut out: Vec<ByteField> = (0..whole)
        .filter_map(|k| {
            ByteField::read(b, 4 * k, 4, format!("pfns[{k}]"), item).map(|f| {
                let m = format!("PFN {:#x} (guest address {:#x})", f.value, f.value << 12);
                f.means(m)
            })
        })
        .collect();
    out.extend(leftover(b, 4 * whole, "pfns (trailing)", item));
    out
}

/// Packed `{le16 tag, le64 val}` entries, then a cut entry's bytes.
fn stat_fields(b: &[u8], item: Option<RingItem>) -> Vec<ByteField> {
    let size = STAT_ENTRY_SIZE as u32;
    let whole = b.len() as u32 / size;
    let mut out = Vec::new();
    for k in 0..whole {
        let at = k * size;
        let tag = ByteField::read(b, at, 2, format!("stats[{k}].tag"), item).map(|f| {
            let m = BALLOON_STAT_NAMES
                .get(f.value as usize)
                .map_or_else(|| "unknown tag".to_owned(), |n| (*n).to_owned());
            f.means(m)
        });
        let val = ByteField::read(b, at + 2, 8, format!("stats[{k}].val"), item).map(|f| {
            let m = f.value.to_string();
            f.means(m)
        });
        out.extend(tag);
        out.extend(val);
    }
    out.extend(leftover(b, whole * size, "stats (cut entry)", item));
    out
}

/// One le32, or the bytes of a cut one.
fn cmd_id_fields(b: &[u8], item: Option<RingItem>) -> Vec<ByteField> {
    match ByteField::read(b, 0, 4, "cmd_id".into(), item) {
        Some(f) => {
            let m = format!("command id {}", f.value);
            vec![f.means(m)]
        }
        None => leftover(b, 0, "cmd_id (cut)", item).into_iter().collect(),
    }
}

/// The bytes from `at` to the end as one field, when there are any.
fn leftover(b: &[u8], at: u32, name: &str, item: Option<RingItem>) -> Option<ByteField> {
    let len = (b.len() as u32).checked_sub(at).filter(|n| *n > 0)?;
    ByteField::read(b, at, len, name.to_owned(), item)
        .map(|f| f.means(format!("{len} byte(s) that are not a whole entry")))
}
