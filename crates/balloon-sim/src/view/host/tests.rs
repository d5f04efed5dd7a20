use virtq::Portable;

use super::*;
use crate::host::presets::{HOST_PRESETS, get};
use crate::host::{HostRunner, HostSession, parse_host_script};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn view_at_end(text: &str) -> HostView {
    let (s, _) = HostSession::from_script(text).unwrap();
    HostView::of(s.host())
}

/// The bar against numbers that do not come from the view: the host's RAM as the script
/// says it, and the closing summary of a straight run of the same script.
#[test]
fn the_bar_adds_up_to_host_ram_and_matches_a_straight_runs_summary() {
    for p in HOST_PRESETS {
        let script = parse_host_script(p.text).unwrap();
        let mut runner = HostRunner::<Portable>::new(&script).unwrap();
        runner.run_script(&script, &mut |_, _| {}, &mut |_, _| {});
        let summary = runner.summary();
        let v = view_at_end(p.text);
        assert_eq!(v.ram, script.host.ram, "{}", p.name);
        assert_eq!(
            v.segments.iter().map(|s| s.bytes).sum::<u64>(),
            script.host.ram,
            "{}",
            p.name
        );
        assert_eq!(v.free_bytes(), summary.host.free, "{}", p.name);
        assert_eq!(v.swap_used, summary.host.swap_used, "{}", p.name);
        for (i, card) in v.vms.iter().enumerate() {
            let s = &summary.vms[&card.name];
            assert_eq!(
                v.vm_bytes(i),
                Some(s.host_bytes),
                "{} {}",
                p.name,
                card.name
            );
            assert_eq!(card.resident_bytes, s.resident_bytes, "{}", card.name);
            assert_eq!(card.state.as_str(), s.state, "{}", card.name);
            assert_eq!(card.ram_size, s.ram_size, "{}", card.name);
            assert_eq!(card.balloon.as_ref().map(|b| b.num_pages), s.num_pages);
        }
    }
}

/// At every event of a preset, the view's parts add up on both sides: host RAM, and each
/// running guest's RAM (resident + swapped + saved + never touched); the host's own recount
/// agrees.
#[test]
fn at_every_event_host_and_guest_memory_add_up() {
    for name in ["host-give-by-hand", "host-overcommit-oom"] {
        let (mut s, _) = HostSession::from_script(get(name).unwrap().text).unwrap();
        let end = s.event_count();
        let step = (end / 200).max(1);
        let mut k = 0;
        while k <= end {
            s.seek(k).unwrap();
            s.host()
                .audit()
                .unwrap_or_else(|e| panic!("{name} at {k}: {e}"));
            let v = HostView::of(s.host());
            assert_eq!(v.segments.iter().map(|s| s.bytes).sum::<u64>(), v.ram);
            for c in &v.vms {
                let parts = c.resident_bytes + c.swapped_bytes + c.saved_bytes + c.untouched_bytes;
                match c.state {
                    VmState::Running => assert_eq!(parts, c.ram_size, "{name} {} at {k}", c.name),
                    VmState::OomKilled { .. } => assert_eq!(parts + c.host_bytes, 0),
                }
            }
            k += step;
        }
    }
}

/// host-give-by-hand: the idle guest (8 GiB) writes 7 GiB and frees it, the operator sets its
/// target to 4096 MiB, so the balloon takes 4 GiB of guest pages. At most 1 GiB of guest RAM
/// was never written, so at least 3 GiB of the balloon's pages had been backed by the host;
/// QEMU discards them (MADV_DONTNEED in `ram_block_discard_range`), the idle process shrinks
/// by exactly what the guest's own books call saved and the host's free memory grows by as
/// much; the busy VM's 2 GiB of writes then fit.
#[test]
fn giving_by_hand_moves_memory_from_the_idle_vm_to_the_busy_one() {
    let text = get("host-give-by-hand").unwrap().text;
    let cut = text.find("@idle balloon").unwrap();
    let before = view_at_end(&text[..cut]);
    let after_inflate = {
        let end = cut + text[cut..].find("@busy").unwrap();
        view_at_end(&text[..end])
    };
    let end = view_at_end(text);
    let (idle, busy) = (0, 1);
    assert_eq!(before.vms[idle].name, "idle");
    let shrunk = before.vm_bytes(idle).unwrap() - after_inflate.vm_bytes(idle).unwrap();
    assert!(shrunk >= 3 * GIB, "shrank {} MiB", shrunk / MIB);
    assert_eq!(
        shrunk, after_inflate.vms[idle].saved_bytes,
        "host and guest books"
    );
    assert_eq!(after_inflate.free_bytes() - before.free_bytes(), shrunk);
    let b = after_inflate.vms[idle].balloon.as_ref().unwrap();
    assert_eq!(u64::from(b.actual) * crate::view::PAGE_SIZE, 4 * GIB);
    // Less only the pages busy's boot wrote and freed (the writes reuse them, resident already).
    let grown = end.vm_bytes(busy).unwrap() - after_inflate.vm_bytes(busy).unwrap();
    let boot =
        balloon_driver::boot::BootLayout::q35_linux_6_1(4 * GIB / crate::view::PAGE_SIZE).unwrap();
    let reused: u64 = boot
        .touched_free()
        .iter()
        .map(|r| r.1 * crate::view::PAGE_SIZE)
        .sum();
    assert!(
        grown >= 2 * GIB - reused && grown <= 2 * GIB,
        "busy wrote 4 × 512 MiB: grew {} MiB",
        grown / MIB
    );
    assert!(
        end.vms.iter().all(|c| c.state == VmState::Running),
        "nobody died"
    );
}

#[test]
fn a_killed_vm_has_an_empty_segment_and_no_balloon() {
    let v = view_at_end(get("host-overcommit-oom").unwrap().text);
    let killed: Vec<_> = v
        .vms
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.state, VmState::OomKilled { .. }))
        .collect();
    assert_eq!(killed.len(), 1, "{:?}", v.vms);
    let (i, c) = killed[0];
    assert_eq!(v.vm_bytes(i), Some(0));
    assert!(c.balloon.is_none());
}
