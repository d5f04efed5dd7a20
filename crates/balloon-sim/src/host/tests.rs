use super::*;
use crate::reply::Reply;
use virtq::Portable;

type Run = (
    Vec<HostEvent>,
    Vec<(usize, Reply)>,
    HostRunner<Portable>,
    Vec<Vec<u64>>,
);

/// Runs a host script, auditing the host after every event; also returns each VM's host
/// bytes before each event.
fn run(text: &str) -> Run {
    let script = parse_host_script(text).unwrap();
    let mut r = HostRunner::<Portable>::new(&script).unwrap();
    let mut events = Vec::new();
    let mut replies = Vec::new();
    let mut held = vec![vec![0; 2]];
    r.run_script(
        &script,
        &mut |h, ev| {
            h.audit()
                .unwrap_or_else(|e| panic!("after event {}: {e}", ev.index));
            events.push(ev.clone());
            held.push(h.vms().iter().map(Vm::host_bytes).collect());
        },
        &mut |vm, rep| replies.push((vm, rep)),
    );
    (events, replies, r, held)
}

#[test]
fn one_clock_ties_in_vm_order_and_every_event_tagged() {
    let (events, ..) =
        run("-name a -m 256M\n-name b -m 256M\nrun 1s\n@b balloon 128\n@a balloon 192\nrun 2s\n");
    // Time never goes back across the whole host trace.
    assert!(events.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
    assert!(events.windows(2).all(|w| w[1].index == w[0].index + 1));
    // At t = 0 both boot; a's bring-up runs first (ties go in script order) and b's follows.
    let first_b = events.iter().position(|e| e.vm() == Some(1)).unwrap();
    assert!(events[..first_b].iter().all(|e| e.vm() == Some(0)));
    // Each VM's own events keep their own consecutive indices.
    for vm in 0..2 {
        let idx: Vec<u64> = events
            .iter()
            .filter_map(|e| match &e.detail {
                HostDetail::Vm { vm: v, event } if *v == vm => Some(event.index),
                _ => None,
            })
            .collect();
        assert!(idx.windows(2).all(|w| w[1] == w[0] + 1), "vm {vm}");
    }
}

#[test]
fn a_write_beyond_free_memory_goes_to_swap_before_anyone_dies() {
    // 1 GiB host, 128 MiB its own, two 36 MiB QEMUs: 824 MiB for guest pages, of which the
    // two booted guests already hold about 330 MiB (what boot wrote). A guest writing 900 MiB
    // needs far more than is left: swap (512 MiB of it) takes the rest.
    let (events, _, r, _) = run(
        "host ram 1G\nhost own 128M\nhost swap 512M\n-name a -m 1G\n-name b -m 512M\n\
         @a guest alloc 900M\nrun\n",
    );
    let h = r.host();
    assert!(
        events
            .iter()
            .any(|e| matches!(e.detail, HostDetail::SwapOut { vm: 0, .. }))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.detail, HostDetail::OomKill { .. }))
    );
    assert_eq!(h.free_bytes(), 0);
    let a = &h.vms()[0];
    let resident = a.world().unwrap().device().memory().resident_bytes();
    assert_eq!(a.swapped_bytes() + a.guest_rss_bytes(), resident);
    let b = &h.vms()[1];
    // Both guests' pages in RAM fill exactly what the host had free; the rest went to swap.
    assert_eq!(
        a.guest_rss_bytes() + b.guest_rss_bytes(),
        (1024 - 128 - 36 - 36) << 20
    );
    assert_eq!(h.swap_used_bytes(), a.swapped_bytes() + b.swapped_bytes());
    assert!(
        a.swapped_bytes() >= 84 << 20,
        "a's 900 MiB did not fit in 816 MiB"
    );
}

#[test]
fn out_of_swap_the_largest_process_dies_and_holds_nothing() {
    // No swap. b wrote 400 MiB long ago; each booted guest holds about 170 MiB (what boot
    // wrote), so about 100 MiB is free when a writes 300 MiB: the host runs dry and b, the
    // larger process, is killed though a asked.
    let (events, replies, r, held) =
        run("host ram 1G\nhost own 128M\n-name a -m 1G\n-name b -m 1G\n\
         @b guest alloc 400M\nrun 1s\n@a guest alloc 300M\nrun 1s\n\
         @b {\"execute\": \"query-balloon\"}\n@a {\"execute\": \"query-balloon\"}\n");
    let (at, kill) = events
        .iter()
        .enumerate()
        .find_map(|(i, e)| match &e.detail {
            HostDetail::OomKill {
                vm,
                writer,
                line,
                freed_bytes,
                ..
            } => Some((i, (*vm, *writer, line.clone(), *freed_bytes, e.time_ns))),
            _ => None,
        })
        .expect("a kill");
    // The kill takes effect with the write that ran the host dry (so memory adds up after
    // every event) and is told by the next event: what b held before that write.
    assert!(matches!(
        events[at - 1].detail,
        HostDetail::Vm { vm: 0, .. }
    ));
    let b_held = held[at - 1][1];
    assert!(
        b_held >= (36 + 400) << 20,
        "b's QEMU and the 400 MiB its guest wrote"
    );
    assert_eq!((kill.0, kill.1), (1, 0));
    assert_eq!(kill.4, 1_000_000_000, "at the write, 1 s in");
    assert!(
        kill.2
            .starts_with("Out of memory: Killed process 4002 (qemu-system-x86) total-vm:"),
        "{}",
        kill.2
    );
    // anon-rss in kB: the QEMU process's overhead plus its guest's resident pages.
    assert!(
        kill.2.contains(&format!("anon-rss:{}kB", b_held >> 10)),
        "{}",
        kill.2
    );
    // total-vm: 1 GiB of guest RAM plus QEMU's 36 MiB.
    assert!(
        kill.2
            .contains(&format!("total-vm:{}kB", (1024 + 36) * 1024)),
        "{}",
        kill.2
    );
    assert_eq!(kill.3, b_held);
    let h = r.host();
    let b = &h.vms()[1];
    assert_eq!(
        b.state(),
        VmState::OomKilled {
            at_ns: 1_000_000_000
        }
    );
    assert!(b.world().is_none());
    assert_eq!((b.host_bytes(), b.swapped_bytes()), (0, 0));
    // The dead VM's monitor answers nothing; the live one does.
    assert!(events.iter().any(|e| matches!(&e.detail, HostDetail::VmGone { vm: 1, request } if request.contains("query-balloon"))));
    assert!(
        replies
            .iter()
            .any(|(vm, r)| *vm == 0 && r.to_line().contains("actual"))
    );
    assert!(
        !replies
            .iter()
            .any(|(vm, r)| *vm == 1 && r.to_line().contains("\"return\""))
    );
    assert!(replies.iter().any(|(vm, r)| {
        *vm == 1
            && r.to_line()
                .starts_with("no QEMU process to answer \"{\"execute\": \"query-balloon\"}\"")
    }));
}

#[test]
fn a_host_too_small_for_its_processes_is_refused() {
    let script =
        parse_host_script("host ram 256M\nhost own 200M\n-name a -m 1G\n-name b -m 1G\n").unwrap();
    let e = HostRunner::<Portable>::new(&script).unwrap_err();
    assert!(e.to_string().contains("cannot hold its own 200 MiB"), "{e}");
}

/// Each VM alone on a host with room to spare and no policy: its events (clock events aside,
/// which the host makes for everyone) have the times and sentences the same VM has as a
/// single-VM script. So the host's scheduler runs every VM's work at the instants its own
/// world would: the earliest timer first, whichever VM it belongs to.
#[test]
fn each_vm_keeps_the_timeline_it_has_alone() {
    let a = "-m 256M -device virtio-balloon,guest-stats-polling-interval=2";
    let b = "-m 512M -device virtio-balloon,guest-stats-polling-interval=3,free-page-reporting=on";
    let host = format!(
        "host ram 4G\n-name a {a}\n-name b {b}\nrun 1s\n@b guest alloc 100M\n@a balloon 128\n\
         run 3s\n@b guest free 100M\n@a guest cache 20M\nrun 7s\n"
    );
    let solo_a = format!("{a}\nrun 1s\nballoon 128\nrun 3s\nguest cache 20M\nrun 7s\n");
    let solo_b = format!("{b}\nrun 1s\nguest alloc 100M\nrun 3s\nguest free 100M\nrun 7s\n");
    let (events, ..) = run(&host);
    for (vm, solo) in [(0, solo_a), (1, solo_b)] {
        let script = crate::command::parse_script(&solo).unwrap();
        let mut runner = crate::Runner::<Portable>::new(&script).unwrap();
        let mut want = Vec::new();
        runner.run_script(
            &script,
            &mut |ev| {
                if !matches!(ev.detail, crate::world::Detail::Clock { .. }) {
                    want.push((ev.time_ns, ev.sentence()));
                }
            },
            &mut |_| {},
        );
        let got: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.detail {
                HostDetail::Vm { vm: v, event } if *v == vm => Some(event),
                _ => None,
            })
            .filter(|ev| !matches!(ev.detail, crate::world::Detail::Clock { .. }))
            .map(|ev| (ev.time_ns, ev.sentence()))
            .collect();
        assert!(want.len() > 50, "vm {vm}: {} events", want.len());
        assert_eq!(got, want, "vm {vm}");
    }
}
