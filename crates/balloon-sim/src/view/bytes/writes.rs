//! What the latest events wrote, in order: guest memory stores from the memory's write log,
//! and config space writes from the transport accesses the events carry (the driver's
//! `virtio_config_write*`, the device's own `num_pages` and hint command id changes).

use balloon_device::DeviceEvent;
use balloon_spec::config::{FREE_PAGE_HINT_CMD_ID, NUM_PAGES};
use serde::Serialize;
use virtq::write_log::KEEP_EVENTS;
use virtq::{GuestRam, GuestWrite};

use super::field::ByteField;
use super::rings::read_region;
use super::{ByteRegion, BytesView, RegionKind, Space};
use crate::timeline::Timeline;
use crate::trace::Actor;
use crate::world::{Detail, TraceEvent};

/// Who stored the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Writer {
    /// The guest's driver (Linux `virtio_balloon`, `virtio_ring`).
    Driver,
    /// The host's device (QEMU `virtio-balloon`, `virtqueue_push`).
    Device,
}

/// One store, in the order the world made them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ByteWrite {
    /// The event (ring operation) that stored.
    pub event: u64,
    /// Who stored.
    pub writer: Writer,
    /// Guest memory or config space.
    pub space: Space,
    /// Guest address, or config offset, of the first byte.
    pub addr: u64,
    /// Bytes stored.
    pub len: u64,
}

fn writer_of(actor: Actor) -> Writer {
    match actor {
        Actor::HostDevice => Writer::Device,
        _ => Writer::Driver,
    }
}

/// Config writes an event made: (offset, len, writer).
fn config_writes(ev: &TraceEvent, out: &mut Vec<(u64, u64, Writer)>) {
    let device_write = |d: &DeviceEvent, out: &mut Vec<(u64, u64, Writer)>| match d {
        DeviceEvent::TargetSet { num_pages, .. } if num_pages.0 != num_pages.1 => {
            out.push((u64::from(NUM_PAGES), 4, Writer::Device));
        }
        DeviceEvent::HintStatusChanged {
            config_interrupt: true,
            ..
        } => out.push((u64::from(FREE_PAGE_HINT_CMD_ID), 4, Writer::Device)),
        _ => {}
    };
    match &ev.detail {
        Detail::Driver { host, .. } => {
            for h in host {
                if let DeviceEvent::ConfigWritten { offset, data, .. } = h {
                    out.push((u64::from(*offset), data.len() as u64, Writer::Driver));
                }
            }
        }
        Detail::Device(d) => device_write(d, out),
        Detail::Monitor(m) => {
            if let Some(d) = &m.device {
                device_write(d, out);
            }
        }
        Detail::Host {
            device: Some(d), ..
        } => device_write(d, out),
        _ => {}
    }
}

/// The stores of events `since..current` that the log still holds, and the first event listed.
pub(super) fn collect(
    log: &[GuestWrite],
    events: &Timeline<TraceEvent>,
    since: u64,
    current: u64,
) -> (Vec<ByteWrite>, u64) {
    let from = since.max(current.saturating_sub(KEEP_EVENTS)).min(current);
    let mut out = Vec::new();
    let mut config = Vec::new();
    let mut ram = log
        .iter()
        .filter(|w| w.event >= from && w.event < current)
        .peekable();
    for e in from..current {
        let Some(ev) = events.get(e as usize) else {
            break;
        };
        let writer = writer_of(ev.actor);
        while let Some(w) = ram.next_if(|w| w.event == e) {
            out.push(ByteWrite {
                event: e,
                writer,
                space: Space::Guest,
                addr: w.addr,
                len: w.len,
            });
        }
        config.clear();
        config_writes(&ev, &mut config);
        out.extend(config.iter().map(|&(addr, len, writer)| ByteWrite {
            event: e,
            writer,
            space: Space::Config,
            addr,
            len,
        }));
    }
    (out, from)
}

/// Most unnamed regions, and most bytes each (one PFN array).
const UNNAMED_MAX: usize = 4;
const UNNAMED_BYTES_MAX: u64 = 1024;

/// Regions for the guest stores no region shows: one per store, its bytes as one field.
pub(super) fn unnamed(
    writes: &[ByteWrite],
    regions: &[ByteRegion],
    ram: &impl GuestRam,
) -> Vec<ByteRegion> {
    let mut out: Vec<ByteRegion> = Vec::new();
    for w in writes.iter().filter(|w| w.space == Space::Guest) {
        let shown = |r: &ByteRegion| r.overlap(w.space, w.addr, w.len).is_some();
        if out.len() >= UNNAMED_MAX || regions.iter().any(shown) || out.iter().any(shown) {
            continue;
        }
        let len = w.len.min(UNNAMED_BYTES_MAX);
        let (bytes, note) = read_region(ram, w.addr, len);
        let who = match w.writer {
            Writer::Driver => "driver",
            Writer::Device => "device",
        };
        let field = ByteField::read(&bytes, 0, len as u32, "written bytes".to_owned(), None)
            .map(|f| f.means(format!("{len} byte(s) no descriptor names yet")));
        out.push(ByteRegion {
            kind: RegionKind::Unnamed,
            queue: None,
            title: format!("bytes the {who} wrote that no descriptor names yet"),
            space: Space::Guest,
            addr: w.addr,
            bytes,
            fields: field.into_iter().collect(),
            note: note.or_else(|| {
                (len < w.len).then(|| format!("{} bytes; the first {len} shown", w.len))
            }),
        });
    }
    out
}

/// Marks every field with the first listed write that stored into it.
pub(super) fn mark(view: &mut BytesView) {
    for (k, w) in view.writes.iter().enumerate() {
        for r in &mut view.regions {
            let Some((s, e)) = r.overlap(w.space, w.addr, w.len) else {
                continue;
            };
            // Fields are sorted by offset: skip to the first that may overlap.
            let first = r.fields.partition_point(|f| f.offset + f.len <= s);
            for f in r.fields[first..].iter_mut().take_while(|f| f.offset < e) {
                f.written.get_or_insert((k, w.writer));
            }
        }
    }
}
