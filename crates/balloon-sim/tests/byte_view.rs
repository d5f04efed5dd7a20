//! The byte view (`Session::byte_view`) against the ring and config views, which decode the
//! same guest memory through their own path (`virtq::QueueView`, `decode_payload`, the
//! device's config fields): every annotated field must say what those views say, on random
//! command sequences and on every malformed-guest preset; one inflate message must write its
//! bytes in the order the spec's barriers protect (VIRTIO 1.2 §2.7.13: buffer, descriptor,
//! avail ring entry, then avail.idx; the device: used ring entry, then used.idx).
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::command::FaultKind;
use balloon_sim::command::QueueName;
use balloon_sim::view::bytes::{ByteRegion, BytesView, RegionKind, RingItem, Space, Writer};
use balloon_sim::view::{Payload, PfnRun, QueueView};
use balloon_sim::{Session, StepSize, presets};
use balloon_spec::fold_pfns as fold_pfns_of;
use proptest::prelude::*;
use proptest_cases::config;

const MACHINES: [&str; 3] = [
    "-m 256M -device virtio-balloon",
    "-m 256M -device virtio-balloon,free-page-reporting=on,page-poison=off",
    "-m 256M -device virtio-balloon,free-page-hint=on,iothread=io0,deflate-on-oom=on",
];

fn ring_value(q: &QueueView, item: RingItem, name: &str) -> Option<u64> {
    let r = q.ring.as_ref()?;
    let suffix = name.rsplit('.').next().unwrap_or("");
    let at = |i: u16| usize::from(i);
    Some(match item {
        RingItem::Desc(i) => {
            let d = r.descriptors.get(at(i))?.desc;
            match suffix {
                "addr" => d.addr,
                "len" => u64::from(d.len),
                "flags" => u64::from(d.flags),
                "next" => u64::from(d.next),
                _ => return None,
            }
        }
        RingItem::AvailFlags => u64::from(r.avail.flags),
        RingItem::AvailIdx => u64::from(r.avail.idx),
        RingItem::AvailEntry(s) => u64::from(*r.avail.ring.get(at(s))?),
        RingItem::UsedEvent => u64::from(r.avail.used_event),
        RingItem::UsedFlags => u64::from(r.used.flags),
        RingItem::UsedIdx => u64::from(r.used.idx),
        RingItem::UsedEntry(s) => {
            let e = r.used.ring.get(at(s))?;
            match suffix {
                "id" => u64::from(e.id),
                "len" => u64::from(e.len),
                _ => return None,
            }
        }
        RingItem::AvailEvent => u64::from(r.used.avail_event),
    })
}

/// Fields lie inside their region, sorted, without overlap, and each value is the
/// little-endian number of its own bytes.
fn check_shape(r: &ByteRegion) -> Result<(), TestCaseError> {
    let mut end = 0;
    for f in &r.fields {
        prop_assert!(f.offset >= end, "{}: {} overlaps", r.title, f.name);
        end = f.offset + f.len;
        prop_assert!(
            end as usize <= r.bytes.len(),
            "{}: {} past the end",
            r.title,
            f.name
        );
        if f.len <= 8 {
            let mut le = [0u8; 8];
            le[..f.len as usize].copy_from_slice(&r.bytes[f.offset as usize..end as usize]);
            prop_assert_eq!(f.value, u64::from_le_bytes(le), "{}", f.name);
        }
    }
    Ok(())
}

fn check(s: &Session, v: &BytesView) -> Result<(), TestCaseError> {
    let queues = s.queue_views();
    let c = s.config_view();
    for r in &v.regions {
        check_shape(r)?;
        if r.kind == RegionKind::Unnamed {
            // Shown only for a store no other region covers.
            let covered = v.regions.iter().filter(|o| o.kind != RegionKind::Unnamed);
            prop_assert!(
                covered
                    .clone()
                    .all(|o| o.overlap(r.space, r.addr, r.bytes.len() as u64).is_none())
            );
            continue;
        }
        if r.kind == RegionKind::Config {
            prop_assert_eq!(r.bytes.len(), c.size);
            prop_assert_eq!(&r.bytes, &c.image);
            for f in &r.fields {
                let want = match f.name.as_str() {
                    "num_pages" => c.num_pages,
                    "actual" => c.actual,
                    "free_page_hint_cmd_id" => c.free_page_hint_cmd_id,
                    "poison_val" => c.poison_val,
                    // crosvm's extra bytes: the bin count it reports, then three reserved zeros
                    // (crosvm devices/src/virtio/balloon.rs `virtio_balloon_config`).
                    "ws_num_bins" => c.ws_num_bins().map(u32::from).ok_or_else(|| {
                        TestCaseError::fail("ws_num_bins without a 20-byte config")
                    })?,
                    "_reserved" => 0,
                    other => return Err(TestCaseError::fail(format!("config field {other}"))),
                };
                prop_assert_eq!(f.value, u64::from(want), "{}", f.name);
            }
            continue;
        }
        let q = queues
            .iter()
            .find(|q| Some(q.name) == r.queue)
            .ok_or_else(|| TestCaseError::fail(format!("no queue view for {}", r.title)))?;
        let ring = q
            .ring
            .as_ref()
            .ok_or_else(|| TestCaseError::fail("no ring"))?;
        match r.kind {
            RegionKind::DescTable => prop_assert_eq!(r.addr, ring.layout.desc_table),
            RegionKind::AvailRing => prop_assert_eq!(r.addr, ring.layout.avail_ring),
            RegionKind::UsedRing => prop_assert_eq!(r.addr, ring.layout.used_ring),
            _ => {}
        }
        let ring_part = matches!(
            r.kind,
            RegionKind::DescTable | RegionKind::AvailRing | RegionKind::UsedRing
        );
        if ring_part && r.note.is_none() {
            let n = usize::from(ring.layout.size);
            let want_fields = match r.kind {
                RegionKind::DescTable => 4 * n,
                RegionKind::AvailRing => n + 3,
                _ => 2 * n + 3,
            };
            prop_assert_eq!(r.fields.len(), want_fields, "{}", r.title);
            for f in &r.fields {
                let item = f
                    .item
                    .ok_or_else(|| TestCaseError::fail("ring field without item"))?;
                prop_assert_eq!(Some(f.value), ring_value(q, item, &f.name), "{}", f.name);
            }
            continue;
        }
        // A buffer: the descriptor it hangs off points at it, and what it decodes to is what
        // the ring panel's payload says for that descriptor.
        let Some(RingItem::Desc(i)) = r.fields.first().and_then(|f| f.item) else {
            prop_assert!(r.fields.is_empty(), "{}", r.title);
            continue;
        };
        let d = ring.descriptors[usize::from(i)].desc;
        prop_assert_eq!(r.addr, d.addr);
        let payload = q.payloads.iter().find(|(k, _)| *k == i).map(|(_, p)| p);
        match (r.kind, payload) {
            (RegionKind::PfnArray, Some(Payload::Pfns(runs))) => {
                let pfns = r.fields.iter().filter(|f| f.len == 4).map(|f| f.value);
                let got: Vec<PfnRun> = fold_pfns_of(pfns);
                prop_assert_eq!(&got, runs, "{}", r.title);
            }
            (RegionKind::PfnArray, Some(Payload::Unreadable)) => {
                prop_assert!(!d.len.is_multiple_of(4) || r.note.is_some(), "{}", r.title);
            }
            (RegionKind::Stats, Some(Payload::Stats { entries, .. })) => {
                let tags = r.fields.iter().filter(|f| f.name.ends_with(".tag")).count();
                prop_assert_eq!(tags as u32, (*entries).min(16), "{}", r.title);
            }
            (RegionKind::HintCmdId, _) | (_, None) => {}
            (kind, Some(p)) => {
                return Err(TestCaseError::fail(format!("{kind:?} with payload {p:?}")));
            }
        }
    }
    Ok(())
}

/// Names of the fields each write stored into first, in write order.
fn written_fields(v: &BytesView) -> Vec<(Writer, Vec<String>)> {
    (0..v.writes.len())
        .map(|k| {
            let names = v
                .regions
                .iter()
                .flat_map(|r| r.fields.iter())
                .filter(|f| f.written.map(|w| w.0) == Some(k))
                .map(|f| f.name.clone())
                .collect();
            (v.writes[k].writer, names)
        })
        .collect()
}

#[test]
fn one_inflate_message_writes_in_barrier_order() {
    let (mut s, _) = Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
    s.apply_line("balloon 1023").unwrap(); // 1 MiB: 256 PFNs, one message
    let since = s.current_index();
    s.step(StepSize::Message);
    let v = s.byte_view(since);
    let ivq = &s.queue_views()[0];
    let l = ivq.ring.as_ref().unwrap().layout;
    let pfn_array = ivq.ring.as_ref().unwrap().descriptors[0].desc.addr;
    let got: Vec<_> = v
        .writes
        .iter()
        .map(|w| (w.writer, w.space, w.addr, w.len))
        .collect();
    use Writer::{Device, Driver};
    let g = Space::Guest;
    assert_eq!(
        got,
        [
            // fill_balloon: vb->pfns (256 le32), then virtqueue_add_split: descriptor 0.
            (Driver, g, pfn_array, 1024),
            (Driver, g, l.desc_addr(0).unwrap(), 16),
            // The avail ring entry, virtio_wmb, then avail.idx.
            (Driver, g, l.avail_entry_addr(0).unwrap(), 2),
            (Driver, g, l.avail_idx_addr().unwrap(), 2),
            // QEMU virtqueue_split_pop with EVENT_IDX: vring_set_avail_event.
            (Device, g, l.avail_event_addr().unwrap(), 2),
            // virtqueue_push: vring_used_write (the element), then vring_used_idx_set.
            (Device, g, l.used_elem_addr(0).unwrap(), 8),
            (Device, g, l.used_idx_addr().unwrap(), 2),
            // The handler's last, empty pop re-arms notifications (avail_event again).
            (Device, g, l.avail_event_addr().unwrap(), 2),
            // Linux virtqueue_get_buf_ctx_split with EVENT_IDX: used_event = last_used.
            (Driver, g, l.used_event_addr().unwrap(), 2),
        ]
    );
    let names = written_fields(&v);
    assert_eq!(names[0].1.len(), 256);
    assert_eq!(names[0].1[0], "pfns[0]");
    let order: Vec<&str> = names[1..7]
        .iter()
        .map(|(_, n)| n.first().map_or("", String::as_str))
        .collect();
    assert_eq!(
        order,
        [
            "desc[0].addr",
            "avail.ring[0]",
            "avail.idx",
            "used.avail_event",
            "used.ring[0].id",
            "used.idx"
        ]
    );
    // The bytes the PFN array write flashes decode to the PFNs the inflate event carried.
    let ev_pfns: Vec<PfnRun> = (since..s.current_index())
        .flat_map(|i| s.events().get(i as usize).unwrap().pfns())
        .collect();
    let buffer = v
        .regions
        .iter()
        .find(|r| r.kind == RegionKind::PfnArray && r.queue == Some(QueueName::Ivq))
        .unwrap();
    let runs = fold_pfns_of(buffer.fields.iter().map(|f| f.value));
    assert!(ev_pfns.contains(&runs[0]), "{runs:?} in {ev_pfns:?}");
}

#[test]
fn a_pfn_array_no_descriptor_names_yet_is_shown_as_written_bytes() {
    let (mut s, _) = Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
    s.apply_line("balloon 1023").unwrap();
    // The config interrupt, towards_target, then fill_balloon writes vb->pfns.
    let mut since = s.current_index();
    while s.byte_view(since).writes.is_empty() {
        since = s.current_index();
        s.step(StepSize::Op);
    }
    let v = s.byte_view(since);
    assert_eq!(v.writes.len(), 1);
    let r = v
        .regions
        .iter()
        .find(|r| r.kind == RegionKind::Unnamed)
        .unwrap();
    assert_eq!((r.addr, r.bytes.len()), (v.writes[0].addr, 1024));
    // Little-endian le32 PFNs inside a 1 GiB guest (0x40000 pages), listed downwards: the
    // pages climb from the lowest free one and balloon_page_push/pop hand them back LIFO.
    let pfn = |i: usize| u32::from_le_bytes(r.bytes[4 * i..4 * i + 4].try_into().unwrap());
    assert!(pfn(0) < 0x40000, "{:#x}", pfn(0));
    assert_eq!(pfn(1), pfn(0) - 1);
    assert_eq!(pfn(255), pfn(0) - 255);
    assert_eq!(r.fields[0].written, Some((0, Writer::Driver)));
    // One step later descriptor 0 names it: the PFN array region takes over.
    let since = s.current_index();
    s.step(StepSize::Op);
    let v = s.byte_view(since);
    assert!(v.regions.iter().all(|r| r.kind != RegionKind::Unnamed));
    assert!(v.regions.iter().any(|r| r.kind == RegionKind::PfnArray));
}

#[test]
fn the_drivers_config_write_and_the_operators_target_are_marked() {
    let (mut s, _) = Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
    let since = s.current_index();
    s.apply_line("balloon 1023").unwrap();
    s.step(StepSize::UntilQuiet);
    let v = s.byte_view(since);
    let config: Vec<_> = v
        .writes
        .iter()
        .filter(|w| w.space == Space::Config)
        .map(|w| (w.writer, w.addr, w.len))
        .collect();
    // qmp_balloon sets num_pages (offset 0); update_balloon_size writes actual (offset 4).
    assert_eq!(config, [(Writer::Device, 0, 4), (Writer::Driver, 4, 4)]);
    let cfg = v.regions.last().unwrap();
    assert_eq!(cfg.fields[1].name, "actual");
    assert_eq!(cfg.fields[1].value, 256);
    assert!(cfg.fields[1].written.is_some());
}

#[test]
fn a_64_gib_guest_shows_the_same_bytes_as_a_1_gib_guest() {
    // Both take 1 MiB back, so both send one full message; a target the guest cannot reach
    // (1000 MiB of a 64 GiB guest) would end on a message of whatever was left.
    let view = |m: &str, target: u64| {
        let text = format!("-m {m} -device virtio-balloon -seed 1\nrun\nballoon {target}\nrun\n");
        let (s, _) = Session::from_script(&text).unwrap();
        let v = s.byte_view(s.current_index());
        let shape: Vec<(String, usize, usize)> = v
            .regions
            .iter()
            .map(|r| (r.title.clone(), r.bytes.len(), r.fields.len()))
            .collect();
        shape
    };
    // Same rings, same buffers: the bytes shown do not depend on the guest's size.
    assert_eq!(view("1G", 1023), view("64G", 65535));
}

fn all_malformed() -> Vec<&'static str> {
    presets::PRESETS
        .iter()
        .filter(|p| p.name.starts_with("malformed"))
        .map(|p| p.name)
        .collect()
}

proptest! {
    #![proptest_config(config(8))]

    /// Random resizes, workloads and faults (the malformed catalogue's rows), stepped one ring
    /// operation at a time: after every operation each field says what the ring panels say.
    #[test]
    fn fields_decode_to_the_ring_and_config_views(
        machine in 0usize..3,
        ops in prop::collection::vec((0u8..5, 0u32..10_000), 1..5),
    ) {
        let (mut s, _) = Session::from_script(&format!("{} -seed 3\nrun\n", MACHINES[machine])).unwrap();
        for (op, arg) in ops {
            let line = match op {
                0 | 1 => format!("balloon {}", 128 + arg % 128),
                2 => format!("guest alloc {}M", 1 + arg % 32),
                3 => {
                    let kinds = FaultKind::ALL;
                    let k = kinds[arg as usize % kinds.len()];
                    format!("fault {} {}", k.queue().as_str(), k.name())
                }
                _ => "run 2s".to_owned(),
            };
            // A fault for a queue this machine lacks is refused: the state is unchanged.
            let _ = s.apply_line(&line);
            for _ in 0..120 {
                let before = s.current_index();
                s.step(StepSize::Op);
                check(&s, &s.byte_view(before))?;
                if s.current_index() == before {
                    break;
                }
            }
        }
    }

    /// Every malformed preset, at any event: the malformed bytes are shown as they are.
    #[test]
    fn malformed_presets_show_their_bytes(which in any::<prop::sample::Index>(), at in any::<prop::sample::Index>()) {
        let names = all_malformed();
        let name = names[which.index(names.len())];
        let (mut s, _) = Session::from_script(presets::get(name).unwrap().text).unwrap();
        let end = s.event_count();
        let at = at.index(end as usize + 1) as u64;
        s.seek(at).unwrap();
        check(&s, &s.byte_view(at.saturating_sub(1)))?;
    }
}

/// Each profile's config space is shown whole, at the size its VMM's source gives it, not cut
/// at the 16 standard bytes. Sizes and crosvm's `ws_num_bins` from the VMMs' sources: Cloud
/// Hypervisor `VirtioBalloonConfig` (num_pages, actual: 8), Firecracker `ConfigSpace`
/// (num_pages, actual, free_page_hint_cmd_id: 12), crosvm `virtio_balloon_config` (16 standard
/// bytes, `ws_num_bins` = `VIRTIO_BALLOON_WS_DEFAULT_NUM_BINS` 4, 3 reserved: 20); QEMU with
/// `qemu-4-0-config-size` is 16 (`virtio_balloon_config_size`).
#[test]
fn each_profiles_config_region_has_its_own_size() {
    for (machine, size) in [
        ("-m 1G -profile cloud-hypervisor", 8),
        ("-m 1G -profile firecracker", 12),
        ("-m 1G", 16),
        ("-m 1G -profile crosvm", 20),
    ] {
        let s = Session::from_script(&format!("{machine}\nrun\n"))
            .unwrap()
            .0;
        let v = s.byte_view(s.current_index());
        let r = v
            .regions
            .iter()
            .find(|r| r.kind == RegionKind::Config)
            .expect("a config region");
        assert_eq!(r.bytes.len(), size, "{machine}");
        assert_eq!(s.config_view().image.len(), size, "{machine}");
        assert_eq!(r.note, None, "{machine}: no field is left out");
        let names: Vec<_> = r.fields.iter().map(|f| f.name.as_str()).collect();
        let want: &[&str] = match size {
            8 => &["num_pages", "actual"],
            12 => &["num_pages", "actual", "free_page_hint_cmd_id"],
            16 => &["num_pages", "actual", "free_page_hint_cmd_id", "poison_val"],
            _ => &[
                "num_pages",
                "actual",
                "free_page_hint_cmd_id",
                "poison_val",
                "ws_num_bins",
                "_reserved",
            ],
        };
        assert_eq!(names, want, "{machine}");
        if size == 20 {
            assert_eq!(r.bytes[16..], [4, 0, 0, 0], "ws_num_bins 4, reserved zero");
        }
    }
}
