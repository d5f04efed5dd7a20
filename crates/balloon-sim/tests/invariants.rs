//! The balloon's invariants over random command sequences (workloads, OOM, resizes, free page
//! reporting and hinting), checked after every ring operation and at every quiet point:
//!
//! - once the queues are quiet, every page in the guest's balloon is discarded on the host, and
//!   the balloon holds exactly `num_pages` pages; without free page reporting and hinting the
//!   discarded frames are exactly the ballooned pages (with them the host may also have dropped
//!   free pages the guest reported or hinted);
//! - once quiet, the guest's balloon is never larger than the config target `num_pages`, and
//!   equals it unless the driver is sleeping after "Out of puff!" or the machine deflates on OOM;
//! - `actual` equals the guest's balloon size whenever the driver is idle;
//! - no page the guest uses is discarded on the host (a used page is never ballooned);
//! - the driver records no use of a page between its inflate and the ack, nor before a deflate
//!   ack under MUST_TELL_HOST;
//! - on every queue avail.idx − next_avail ≤ N, and used.idx only moves forward (by at most N
//!   per operation, as a u16 distance);
//! - the trace hash is the same on both backends;
//! - time travel (seek) shows the same state as the straight run did at that event.
//!
//! Case counts: small under `cargo test`, `PROPTEST_CASES` under `cargo xtask fuzz`.
#![cfg(not(target_arch = "wasm32"))]

use balloon_driver::PageState;
use balloon_sim::view::{BalloonView, ConfigView, QueueView};
use balloon_sim::{Session, StepSize, run_text};
use proptest::prelude::*;
use virtq::GuestRam;

use proptest_cases::config;

#[path = "support/random_lines.rs"]
mod random_lines;
use random_lines::{MACHINES, line};

/// What the UI shows at one event index, to compare a straight run with time travel.
#[derive(Debug, PartialEq)]
struct Frame {
    balloon: BalloonView,
    config: ConfigView,
    queues: Vec<QueueView>,
}

fn frame(s: &Session) -> Frame {
    Frame {
        balloon: s.balloon(),
        config: s.config_view(),
        queues: s.queue_views(),
    }
}

struct Checker {
    /// No free page reporting or hinting: the host discards only ballooned pages.
    only_balloon_discards: bool,
    /// No deflate-on-oom: only an allocation failure keeps the balloon below its target.
    reaches_target: bool,
    /// used.idx per queue index at the previous check.
    used: Vec<Option<u16>>,
    /// Frames seen on the straight run, by event index.
    frames: Vec<(u64, Frame)>,
}

impl Checker {
    /// After every ring operation.
    fn op(&mut self, s: &Session) -> Result<(), TestCaseError> {
        let w = s.world();
        let dev = w.device();
        let driver = w.guest().driver();
        for vq in driver.vqs() {
            let layout = vq.queue.layout();
            let n = layout.size;
            let Some(info) = dev.queue_info(vq.index) else {
                continue;
            };
            if !info.ready {
                continue;
            }
            let avail = w.ram().read_u16(layout.avail_idx_addr().unwrap()).unwrap();
            let used = w.ram().read_u16(layout.used_idx_addr().unwrap()).unwrap();
            prop_assert!(
                avail.wrapping_sub(info.next_avail) <= n,
                "queue {}: avail.idx {avail} next_avail {} size {n}",
                vq.index,
                info.next_avail
            );
            let i = usize::from(vq.index);
            if self.used.len() <= i {
                self.used.resize(i + 1, None);
            }
            if let Some(old) = self.used[i] {
                prop_assert!(
                    used.wrapping_sub(old) <= n,
                    "queue {}: used.idx went from {old} to {used}",
                    vq.index
                );
            }
            self.used[i] = Some(used);
        }
        prop_assert!(driver.violations().is_empty(), "{:?}", driver.violations());
        Ok(())
    }

    /// When nothing is left to do (timers may be armed).
    fn quiet(&mut self, s: &Session) -> Result<(), TestCaseError> {
        let w = s.world();
        let mem = w.device().memory();
        let map = w.guest().mm().map();
        let driver = w.guest().driver();
        let b = s.balloon();
        let mut ballooned = 0;
        for pfn in 0..map.nr_pages() {
            let state = map.state(pfn).unwrap();
            let discarded = mem.is_discarded(pfn);
            match state {
                PageState::Ballooned => {
                    ballooned += 1;
                    prop_assert!(discarded, "pfn {pfn:#x} ballooned but backed on the host");
                }
                // Pages that hold data are backed, reported ones included: the guest's first
                // write faults a discarded frame back in (GuestMm::take_written).
                PageState::Used | PageState::Cache => {
                    prop_assert!(!discarded, "pfn {pfn:#x} is {state:?} but discarded")
                }
                // QEMU discards guest RAM only in balloon_inflate_page, free page reporting
                // (virtio_balloon_handle_report) and hinting (virtio_balloon_handle_free_page_vq):
                // without the last two, a discarded frame is a ballooned page.
                _ if self.only_balloon_discards => {
                    prop_assert!(!discarded, "pfn {pfn:#x} is {state:?} but discarded")
                }
                _ => {}
            }
        }
        prop_assert_eq!(ballooned, driver.num_pages());
        prop_assert_eq!(u64::from(b.actual), driver.num_pages());
        prop_assert!(
            b.discarded_frames >= ballooned,
            "{} frames discarded, {ballooned} ballooned",
            b.discarded_frames
        );
        if self.only_balloon_discards {
            prop_assert_eq!(b.discarded_frames, ballooned);
        }
        // The host's target, not the driver's own count: Linux's update_balloon_size_func
        // fills or leaks towards towards_target() and deflate (leak_balloon) cannot fail, so a
        // quiet guest whose worker is not asleep never holds more than asked. While
        // fill_balloon sleeps after "Out of puff!" (msleep(200), the driver's timer) the worker
        // cannot follow a new target either way. Awake, it holds less only after an OOM
        // deflate (virtio_balloon_oom_notify), which does not re-queue the size work.
        let target = u64::from(s.config_view().num_pages);
        if driver.next_timer().is_none() {
            prop_assert!(
                b.guest_ballooned_pages <= target,
                "balloon {} above target {target}",
                b.guest_ballooned_pages
            );
            if self.reaches_target {
                prop_assert_eq!(b.guest_ballooned_pages, target);
            }
        }
        self.frames.push((s.current_index(), frame(s)));
        Ok(())
    }

    /// Steps one ring operation at a time until nothing is left to do.
    fn drain(&mut self, s: &mut Session) -> Result<(), TestCaseError> {
        let mut n = 0;
        while !s.is_quiet() {
            s.step(StepSize::Op);
            self.op(s)?;
            n += 1;
            prop_assert!(n < 200_000, "no quiet point");
        }
        self.quiet(s)
    }
}

fn script(machine: usize, ops: &[(u8, u32)]) -> (String, Vec<String>) {
    let head = format!(
        "-m 128M -device {} -seed {machine}\n",
        MACHINES[machine % MACHINES.len()]
    );
    let lines = ops.iter().map(|&(op, arg)| line(op, arg)).collect();
    (head, lines)
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn invariants_hold_at_every_step(
        machine in 0usize..4,
        ops in prop::collection::vec((0u8..12, 0u32..100_000), 1..12),
        seek_to in any::<prop::sample::Index>(),
    ) {
        let (head, lines) = script(machine, &ops);
        let (mut s, _) = Session::from_script(&head).unwrap();
        let kind = MACHINES[machine % MACHINES.len()];
        let mut c = Checker {
            only_balloon_discards: !kind.contains("reporting=on") && !kind.contains("hint=on"),
            reaches_target: !kind.contains("deflate-on-oom=on"),
            used: Vec::new(),
            frames: Vec::new(),
        };
        c.drain(&mut s)?;
        for l in &lines {
            if let Some(rest) = l.strip_prefix("run ") {
                // Timers fire inside; the ring operations on the way are checked by drain.
                let ns = balloon_sim::command::units::parse_duration_ns(rest).unwrap();
                s.step(StepSize::For(ns));
                c.op(&s)?;
            } else {
                s.apply_line(l).unwrap();
            }
            c.drain(&mut s)?;
        }

        // The same lines as one script, on each backend: one trace.
        let text = format!("{head}run\n{}\nrun\n", lines.join("\nrun\n"));
        let (_, portable) = run_text::<virtq::Portable>(&text).unwrap();
        let (_, rust_vmm) = run_text::<virtq::RustVmm>(&text).unwrap();
        prop_assert_eq!(&portable.trace_hash, &rust_vmm.trace_hash);

        // Time travel: any recorded frame, reached by seeking back and forth.
        let (index, want) = &c.frames[seek_to.index(c.frames.len())];
        let end = s.event_count();
        s.seek(0).unwrap();
        s.seek(*index).unwrap();
        prop_assert_eq!(&frame(&s), want);
        s.seek(end).unwrap();
        let (last_index, last) = c.frames.last().unwrap();
        prop_assert_eq!(s.current_index(), *last_index);
        prop_assert_eq!(&frame(&s), last);
    }
}
