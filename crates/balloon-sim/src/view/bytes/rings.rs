//! A queue's three ring parts as bytes (VIRTIO 1.2 §2.7.5, §2.7.6, §2.7.8): the descriptor
//! table, the avail ring and the used ring, read at the addresses the driver set.

use virtq::layout::{DESC_SIZE, USED_ELEM_SIZE};
use virtq::{Backend, GuestRam, QueueLayout};

use super::field::{ByteField, RingItem, desc_flags_text};
use super::{ByteRegion, RegionKind, Space};
use crate::command::QueueName;
use crate::world::{World, queue_name};

/// A queue whose rings exist: the driver placed them.
#[derive(Debug, Clone, Copy)]
pub(super) struct QueueBytes {
    pub(super) name: QueueName,
    pub(super) layout: QueueLayout,
}

/// The queues the device created whose rings the driver placed, in transport order.
pub(super) fn queues<B: Backend>(world: &World<B>) -> Vec<QueueBytes> {
    let device = world.device();
    (0..device.num_queues())
        .filter_map(|i| device.queue_info(i))
        .filter_map(|q| {
            let vq = world
                .guest()
                .driver()
                .vqs()
                .iter()
                .find(|vq| vq.index == q.queue.index)?;
            Some(QueueBytes {
                name: queue_name(q.queue.kind),
                layout: vq.queue.layout(),
            })
        })
        .collect()
}

/// Reads `len` bytes at `addr`; on a memory error, no bytes and the error as a note.
pub(super) fn read_region(ram: &impl GuestRam, addr: u64, len: u64) -> (Vec<u8>, Option<String>) {
    let mut bytes = vec![0u8; len as usize];
    match ram.read(addr, &mut bytes) {
        Ok(()) => (bytes, None),
        Err(e) => (Vec::new(), Some(format!("unreadable: {e}"))),
    }
}

fn region(
    q: &QueueBytes,
    kind: RegionKind,
    what: &str,
    addr: u64,
    len: u64,
    ram: &impl GuestRam,
) -> ByteRegion {
    let (bytes, note) = read_region(ram, addr, len);
    ByteRegion {
        kind,
        queue: Some(q.name),
        title: format!("{} {what}", q.name.as_str()),
        space: Space::Guest,
        addr,
        bytes,
        fields: Vec::new(),
        note,
    }
}

/// The avail or used ring's region (`ring` names it) and its first two fields, le16 flags (bit
/// 0: `flag`) and le16 idx, which both rings start with.
fn ring_part(
    q: &QueueBytes,
    (kind, ring): (RegionKind, &str),
    (addr, len): (u64, u64),
    (flags_item, flag, idx_item): (RingItem, &str, RingItem),
    ram: &impl GuestRam,
) -> (ByteRegion, Vec<Option<ByteField>>) {
    let r = region(q, kind, &format!("{ring} ring"), addr, len, ram);
    let n = q.layout.size.max(1);
    let b = &r.bytes;
    let fields = vec![
        ByteField::read(b, 0, 2, format!("{ring}.flags"), Some(flags_item)).map(|f| {
            let m = if f.value & 1 != 0 { flag } else { "0" };
            f.means(m.to_owned())
        }),
        ByteField::read(b, 2, 2, format!("{ring}.idx"), Some(idx_item)).map(|f| {
            let m = format!("next slot {}", f.value % u64::from(n));
            f.means(m)
        }),
    ];
    (r, fields)
}

/// The descriptor table, the avail ring and the used ring of `q`.
pub(super) fn regions(q: &QueueBytes, ram: &impl GuestRam) -> [ByteRegion; 3] {
    let l = q.layout;
    let n = l.size;
    let mut desc = region(
        q,
        RegionKind::DescTable,
        "descriptor table",
        l.desc_table,
        QueueLayout::desc_table_bytes(n),
        ram,
    );
    desc.fields = (0..n)
        .flat_map(|i| {
            let at = (DESC_SIZE * u64::from(i)) as u32;
            let b = &desc.bytes;
            let item = Some(RingItem::Desc(i));
            let addr = ByteField::read(b, at, 8, format!("desc[{i}].addr"), item).map(|f| {
                let m = format!("buffer at {:#x}", f.value);
                f.means(m)
            });
            let len = ByteField::read(b, at + 8, 4, format!("desc[{i}].len"), item).map(|f| {
                let m = format!("{} bytes", f.value);
                f.means(m)
            });
            let flags = ByteField::read(b, at + 12, 2, format!("desc[{i}].flags"), item).map(|f| {
                let m = desc_flags_text(f.value as u16);
                f.means(m)
            });
            let next = ByteField::read(b, at + 14, 2, format!("desc[{i}].next"), item).map(|f| {
                let m = format!("descriptor {}", f.value);
                f.means(m)
            });
            [addr, len, flags, next]
        })
        .flatten()
        .collect();

    let (mut avail, mut fields) = ring_part(
        q,
        (RegionKind::AvailRing, "avail"),
        (l.avail_ring, QueueLayout::avail_ring_bytes(n)),
        (RingItem::AvailFlags, "NO_INTERRUPT", RingItem::AvailIdx),
        ram,
    );
    let b = &avail.bytes;
    fields.extend((0..n).map(|slot| {
        let at = 4 + 2 * u32::from(slot);
        let name = format!("avail.ring[{slot}]");
        ByteField::read(b, at, 2, name, Some(RingItem::AvailEntry(slot))).map(|f| {
            let m = format!("head {}", f.value);
            f.means(m)
        })
    }));
    let at = 4 + 2 * u32::from(n);
    fields.push(
        ByteField::read(
            b,
            at,
            2,
            "avail.used_event".into(),
            Some(RingItem::UsedEvent),
        )
        .map(|f| f.means("interrupt me once used.idx passes this (EVENT_IDX)".into())),
    );
    avail.fields = fields.into_iter().flatten().collect();

    let (mut used, mut fields) = ring_part(
        q,
        (RegionKind::UsedRing, "used"),
        (l.used_ring, QueueLayout::used_ring_bytes(n)),
        (RingItem::UsedFlags, "NO_NOTIFY", RingItem::UsedIdx),
        ram,
    );
    let b = &used.bytes;
    for slot in 0..n {
        let at = 4 + (USED_ELEM_SIZE * u64::from(slot)) as u32;
        let item = Some(RingItem::UsedEntry(slot));
        fields.push(
            ByteField::read(b, at, 4, format!("used.ring[{slot}].id"), item).map(|f| {
                let m = format!("head {}", f.value);
                f.means(m)
            }),
        );
        fields.push(
            ByteField::read(b, at + 4, 4, format!("used.ring[{slot}].len"), item).map(|f| {
                let m = format!("{} bytes written by the device", f.value);
                f.means(m)
            }),
        );
    }
    let at = 4 + (USED_ELEM_SIZE * u64::from(n)) as u32;
    fields.push(
        ByteField::read(
            b,
            at,
            2,
            "used.avail_event".into(),
            Some(RingItem::AvailEvent),
        )
        .map(|f| f.means("kick me once avail.idx passes this (EVENT_IDX)".into())),
    );
    used.fields = fields.into_iter().flatten().collect();
    [desc, avail, used]
}
