//! The byte panel's data: the regions of one source (a queue, or the config space) laid out as
//! a hex dump of 16-byte rows, each byte group tagged with its field, and runs of all-zero rows
//! that no write touched folded into one line (`hexdump`'s `*`), so a 128-entry ring costs the
//! rows that hold something.

use balloon_sim::command::QueueName;
use balloon_sim::view::bytes::{ByteRegion, BytesView, RegionKind, RingItem, Writer};

/// Bytes in one dump row.
pub const ROW_BYTES: u32 = 16;

/// What the panel shows at once: one queue's rings and buffers, or the config space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteSource {
    /// A virtqueue.
    Queue(QueueName),
    /// The device's config space.
    Config,
    /// Bytes a step wrote that no descriptor names yet.
    Unnamed,
}

impl ByteSource {
    /// The tab's label and test-id suffix.
    pub fn label(self) -> &'static str {
        match self {
            ByteSource::Queue(q) => q.as_str(),
            ByteSource::Config => "config",
            ByteSource::Unnamed => "unnamed",
        }
    }

    /// The source a region belongs to.
    pub fn of(r: &ByteRegion) -> Self {
        match (r.queue, r.kind) {
            (Some(q), _) => ByteSource::Queue(q),
            (None, RegionKind::Unnamed) => ByteSource::Unnamed,
            (None, _) => ByteSource::Config,
        }
    }
}

/// The sources a view has, in its region order.
pub fn sources(v: &BytesView) -> Vec<ByteSource> {
    let mut out: Vec<ByteSource> = Vec::new();
    for r in &v.regions {
        let s = ByteSource::of(r);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// The source the latest write went to (where the reader's eye should go), else the first.
pub fn default_source(v: &BytesView) -> Option<ByteSource> {
    let last_write = v.writes.last().and_then(|w| {
        v.regions
            .iter()
            .find(|r| r.overlap(w.space, w.addr, w.len).is_some())
            .map(ByteSource::of)
    });
    last_write.or_else(|| sources(v).first().copied())
}

/// One field as the dump shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCell {
    /// Unique in the panel: `r{region}-f{field}`.
    pub id: String,
    /// The field's name (`desc[0].addr`).
    pub name: String,
    /// Its bytes in hex, space-separated, as memory holds them (little-endian).
    pub hex: String,
    /// Guest address (or config offset) of its first byte.
    pub addr: u64,
    /// Bytes.
    pub len: u32,
    /// The decoded value in hex and what it means.
    pub decoded: String,
    /// The ring panel's item it belongs to.
    pub link: Option<(QueueName, RingItem)>,
    /// Order among the step's writes, and who wrote.
    pub written: Option<(usize, Writer)>,
}

impl FieldCell {
    /// What a screen reader says for it.
    pub fn label(&self) -> String {
        let who = match self.written {
            Some((k, Writer::Driver)) => format!("; written by the driver, write {}", k + 1),
            Some((k, Writer::Device)) => format!("; written by the device, write {}", k + 1),
            None => String::new(),
        };
        format!(
            "{}, {} byte(s) at {:#x}: {}{who}",
            self.name, self.len, self.addr, self.decoded
        )
    }
}

/// One line of the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexRow {
    /// Up to 16 bytes, as field cells (a field cut by the row end continues on the next row
    /// under the same id).
    Bytes {
        /// Address of the row's first byte.
        addr: u64,
        /// The row's pieces: (field index in [`HexBlock::fields`], hex of the piece).
        pieces: Vec<(usize, String)>,
    },
    /// All-zero rows nobody wrote this step.
    Zeros {
        /// First address.
        from: u64,
        /// Rows folded.
        rows: u32,
    },
}

/// One region as the dump shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexBlock {
    /// Heading.
    pub title: String,
    /// Why bytes are cut or missing.
    pub note: Option<String>,
    /// The fields, in offset order.
    pub fields: Vec<FieldCell>,
    /// The lines.
    pub rows: Vec<HexRow>,
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The dump of one region; `region` numbers the ids.
pub fn hex_block(region: usize, r: &ByteRegion) -> HexBlock {
    let link_queue = r.queue;
    let fields: Vec<FieldCell> = r
        .fields
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let start = f.offset as usize;
            let bytes = r.bytes.get(start..start + f.len as usize).unwrap_or(&[]);
            let decoded = if f.len <= 8 {
                format!("{:#x} = {}", f.value, f.meaning)
            } else {
                f.meaning.clone()
            };
            FieldCell {
                id: format!("r{region}-f{k}"),
                name: f.name.clone(),
                hex: hex(bytes),
                addr: f.addr(r.addr),
                len: f.len,
                decoded,
                link: link_queue.zip(f.item),
                written: f.written,
            }
        })
        .collect();
    let mut rows = Vec::new();
    let total = r.bytes.len() as u32;
    let mut at = 0u32;
    let mut field = 0usize;
    while at < total {
        let end = (at + ROW_BYTES).min(total);
        let mut pieces = Vec::new();
        let mut keep = false;
        while let Some(f) = r.fields.get(field) {
            if f.offset >= end {
                break;
            }
            let (s, e) = (f.offset.max(at), (f.offset + f.len).min(end));
            pieces.push((field, hex(&r.bytes[s as usize..e as usize])));
            keep |= f.written.is_some();
            if f.offset + f.len > end {
                break; // continues on the next row
            }
            field += 1;
        }
        let zero = r.bytes[at as usize..end as usize].iter().all(|b| *b == 0);
        // Keep the first and last rows (the ring's headers and event fields) even when zero.
        if zero && !keep && at != 0 && end != total {
            match rows.last_mut() {
                Some(HexRow::Zeros { rows, .. }) => *rows += 1,
                _ => rows.push(HexRow::Zeros {
                    from: r.addr + u64::from(at),
                    rows: 1,
                }),
            }
        } else {
            rows.push(HexRow::Bytes {
                addr: r.addr + u64::from(at),
                pieces,
            });
        }
        at = end;
    }
    HexBlock {
        title: r.title.clone(),
        note: r.note.clone(),
        fields,
        rows,
    }
}

/// The blocks of `source`.
pub fn hex_blocks(v: &BytesView, source: ByteSource) -> Vec<HexBlock> {
    v.regions
        .iter()
        .enumerate()
        .filter(|(_, r)| ByteSource::of(r) == source)
        .map(|(i, r)| hex_block(i, r))
        .collect()
}

/// The first event whose writes the panel flashes, when the shown index moves from `last`
/// (the index and `since` of the previous render) to `index`: a step forward flashes all it
/// ran; a step back, or the first render, flashes the event that made the state shown.
pub fn since_for(last: Option<(u64, u64)>, index: u64) -> u64 {
    match last {
        Some((i, since)) if i == index => since,
        Some((i, _)) if i < index => i,
        _ => index.saturating_sub(1),
    }
}

/// The step's writes in words, in order: who, which field (and how many more), how many bytes
/// where. At most `max` lines, then how many more.
pub fn write_lines(v: &BytesView, max: usize) -> Vec<String> {
    let mut out: Vec<String> = v
        .writes
        .iter()
        .take(max)
        .map(|w| {
            let who = match w.writer {
                Writer::Driver => "driver",
                Writer::Device => "device",
            };
            let hit = v.regions.iter().find_map(|r| {
                let (s, e) = r.overlap(w.space, w.addr, w.len)?;
                let mut names = r
                    .fields
                    .iter()
                    .filter(|f| f.offset < e && f.offset + f.len > s);
                let first = names.next()?;
                let more = names.count();
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Some(format!("{} {}{tail}", r.title, first.name))
            });
            let place = match w.space {
                balloon_sim::view::bytes::Space::Guest => format!("at {:#x}", w.addr),
                balloon_sim::view::bytes::Space::Config => format!("at config offset {}", w.addr),
            };
            format!(
                "{who}: {} ({} byte(s) {place})",
                hit.unwrap_or_else(|| "bytes not shown".to_owned()),
                w.len
            )
        })
        .collect();
    if v.writes.len() > max {
        out.push(format!("… and {} more", v.writes.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use balloon_sim::{Session, StepSize};

    use super::*;

    fn inflated() -> (Session, u64) {
        let (mut s, _) =
            Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\nballoon 1023\n")
                .expect("script runs");
        let since = s.current_index();
        s.step(StepSize::Message);
        (s, since)
    }

    #[test]
    fn a_step_forward_flashes_all_it_ran_and_a_step_back_one_event() {
        assert_eq!(since_for(None, 30), 29);
        assert_eq!(since_for(Some((30, 29)), 30), 29, "same frame, same flash");
        assert_eq!(since_for(Some((30, 29)), 42), 30, "a message step");
        assert_eq!(since_for(Some((42, 30)), 41), 40, "one back");
        assert_eq!(since_for(None, 0), 0);
    }

    #[test]
    fn the_ring_dump_folds_zero_rows_and_keeps_the_written_ones() {
        let (s, since) = inflated();
        let v = s.byte_view(since);
        assert_eq!(default_source(&v), Some(ByteSource::Queue(QueueName::Ivq)));
        let blocks = hex_blocks(&v, ByteSource::Queue(QueueName::Ivq));
        let desc = &blocks[0];
        // 128 descriptors of 16 bytes: descriptor 0 holds the PFN array's address, the
        // 126 zero ones between it and the last fold into one line.
        assert_eq!(desc.fields.len(), 128 * 4);
        assert!(matches!(&desc.rows[0], HexRow::Bytes { pieces, .. } if pieces.len() == 4));
        assert_eq!(
            desc.rows[1],
            HexRow::Zeros {
                from: desc.fields[4].addr,
                rows: 126
            }
        );
        assert_eq!(desc.rows.len(), 3);
        // Little-endian: desc[0].addr = 0x100000 is 00 00 10 00 ... in memory.
        assert_eq!(desc.fields[0].hex, "00 00 10 00 00 00 00 00");
        assert!(
            desc.fields[0]
                .label()
                .contains("written by the driver, write 2")
        );
        let lines = write_lines(&v, 3);
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("driver: ivq buffer of descriptor 0 (PFN array) pfns[0] and 255 more (1024 byte(s) at 0x100000)"), "{lines:?}");
        assert!(lines[3].contains("6 more"));
    }

    #[test]
    fn stats_entries_cut_by_row_ends_continue_on_the_next_row() {
        let (s, _) = inflated();
        let v = s.byte_view(0);
        let blocks = hex_blocks(&v, ByteSource::Queue(QueueName::Svq));
        let stats = blocks.iter().find(|b| b.title.contains("stats")).unwrap();
        // stats[1].val spans offsets 12..20: two pieces, one on each row.
        let val = stats
            .fields
            .iter()
            .position(|f| f.name == "stats[1].val")
            .unwrap();
        let pieces: Vec<&String> = stats
            .rows
            .iter()
            .flat_map(|r| match r {
                HexRow::Bytes { pieces, .. } => {
                    pieces.iter().filter(|p| p.0 == val).map(|p| &p.1).collect()
                }
                HexRow::Zeros { .. } => Vec::new(),
            })
            .collect();
        assert_eq!(pieces.len(), 2);
        assert_eq!(
            pieces[0].len() + 1 + pieces[1].len(),
            stats.fields[val].hex.len()
        );
    }
}
