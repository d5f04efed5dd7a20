//! The malformed-guest catalogue (reference section 8, QEMU's column) as presets: each row a
//! guest can produce runs as a script and ends the way QEMU ends it. The golden files
//! (`tests/presets.rs`) pin every byte on both backends; this test states the outcome.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::Session;
use balloon_sim::command::QueueName;
use balloon_sim::presets;

const NEEDS_RESET: u8 = 0x40;

enum Outcome {
    /// virtio_error with this message: DEVICE_NEEDS_RESET, the ivq element lost, nothing
    /// discarded.
    NeedsReset(&'static str),
    /// virtio_error with this message on the free page hint queue.
    HintNeedsReset(&'static str),
    /// Every ivq element acked; the host discarded `delta` pages more than the guest holds in
    /// its balloon, and some event says `says`.
    Acked { delta: i64, says: &'static str },
    /// The device is fine and some event says this.
    Says(&'static str),
    /// The device is fine and events say this again and again, spread over virtual time:
    /// each round costs the guest a used interrupt, so the run's duration bounds them.
    Repeats {
        says: &'static str,
        rounds: std::ops::RangeInclusive<usize>,
    },
}

const CATALOGUE: [(u8, &str, Outcome); 20] = [
    (
        1,
        "malformed-tolerated",
        Outcome::Acked {
            delta: -256,
            says: "for 0 PFN(s)",
        },
    ),
    (
        2,
        "malformed-tolerated",
        Outcome::Acked {
            delta: -256,
            says: "2 trailing byte(s) ignored",
        },
    ),
    (
        3,
        "malformed-oversized",
        Outcome::Acked {
            delta: 0,
            says: "in 300 host page(s)",
        },
    ),
    (
        4,
        "malformed-pfn-outside-ram",
        Outcome::Acked {
            delta: -1,
            says: "1 PFN(s) outside RAM skipped",
        },
    ),
    (
        5,
        "malformed-pfn-array-outside-ram",
        Outcome::NeedsReset("virtio: bogus descriptor or out of resources"),
    ),
    (
        6,
        "malformed-chain",
        Outcome::Acked {
            delta: 0,
            says: "(2 descriptor(s), 1024 readable",
        },
    ),
    (
        7,
        "malformed-duplicate-pfn",
        Outcome::Acked {
            delta: -1,
            says: "255 frame(s) newly discarded in 256 host page(s)",
        },
    ),
    (
        8,
        "malformed-never-inflated",
        Outcome::Acked {
            delta: 1,
            says: "256 PFN(s) of descriptor 0 (0x0, 0x2cb9..=0x2db7): 255 frame(s) back in the guest's use",
        },
    ),
    (
        9,
        "malformed-nonsense-actual",
        Outcome::Acked {
            delta: 0,
            says: "update_balloon_size wrote actual = 4294967295",
        },
    ),
    (
        10,
        "malformed-avail-idx-jump",
        Outcome::NeedsReset("Guest moved used index from 0 to 129"),
    ),
    (
        11,
        "malformed-needs-reset",
        Outcome::NeedsReset("Guest says index 131 is available"),
    ),
    (
        11,
        "malformed-desc-loop",
        Outcome::NeedsReset("Looped descriptor"),
    ),
    (
        12,
        "malformed-zero-length",
        Outcome::NeedsReset("virtio: zero sized buffers are not allowed"),
    ),
    (
        13,
        "malformed-stats-partial-entry",
        Outcome::Says(
            "virtio_balloon_receive_stats holds descriptor 0: reset the stats, parsed 9 entries (0 unknown tag(s) ignored, 7 trailing byte(s) ignored)",
        ),
    ),
    (
        14,
        "malformed-stats-large",
        Outcome::Says(
            "virtio_balloon_receive_stats holds descriptor 0: reset the stats, parsed 400 entries (0 unknown tag(s) ignored, 0 trailing byte(s) ignored)",
        ),
    ),
    (
        15,
        "malformed-stats-unknown-tag",
        Outcome::Says(
            "virtio_balloon_receive_stats holds descriptor 0: reset the stats, parsed 10 entries (1 unknown tag(s) ignored, 0 trailing byte(s) ignored)",
        ),
    ),
    (
        16,
        "malformed-stats-second-buffer",
        // 10 ms at the profile's 0.3 ms a used interrupt: about 33 rounds, not a million.
        Outcome::Repeats {
            says: "(an older stats buffer, replaced by a new one)",
            rounds: 25..=40,
        },
    ),
    (
        17,
        "malformed-hint-cmd-id",
        Outcome::HintNeedsReset("received an incorrect cmd id"),
    ),
    (
        18,
        "malformed-report-misaligned",
        Outcome::Says("1 range(s) skipped as misaligned or past RAM"),
    ),
    (
        19,
        "malformed-config-offset",
        Outcome::Says(r#""event": "BALLOON_CHANGE", "data": {"actual": 805306368}"#),
    ),
];

#[test]
fn every_scriptable_row_ends_as_qemu_ends_it() {
    for (row, name, outcome) in CATALOGUE {
        let p = presets::get(name).unwrap_or_else(|| panic!("row {row}: no preset {name}"));
        let (s, replies) = Session::from_script(p.text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let b = s.balloon();
        let ivq = s
            .queue_views()
            .into_iter()
            .find(|q| q.name == QueueName::Ivq)
            .expect("ivq");
        // What the trace says, and what the monitor said (QMP events such as BALLOON_CHANGE).
        let sentences: Vec<String> = s
            .events()
            .iter()
            .map(|e| e.sentence())
            .chain(replies.iter().map(|r| r.to_line()))
            .collect();
        let said = |text: &str| sentences.iter().any(|l| l.contains(text));
        let ctx = format!("row {row} ({name})");
        match outcome {
            Outcome::NeedsReset(message) => {
                assert!(b.status & NEEDS_RESET != 0 && b.broken, "{ctx}: {b:?}");
                assert!(said(&format!("virtio_error(\"{message}\")")), "{ctx}");
                assert_eq!(b.discarded_frames, 0, "{ctx}");
                // The faulty element was popped and never returned: the guest's tell_host waits.
                assert_eq!(ivq.used_idx, 0, "{ctx}");
                assert!(b.guest_ballooned_pages > 0, "{ctx}");
            }
            Outcome::Says(says) => {
                assert_eq!(b.status & NEEDS_RESET, 0, "{ctx}: {b:?}");
                assert!(!said("virtio_error("), "{ctx}");
                assert!(said(says), "{ctx}: no event says {says:?}");
                assert_eq!(u64::from(b.actual), b.guest_ballooned_pages, "{ctx}");
            }
            Outcome::Repeats { says, rounds } => {
                assert_eq!(b.status & NEEDS_RESET, 0, "{ctx}: {b:?}");
                let times: Vec<u64> = s
                    .events()
                    .iter()
                    .filter(|e| e.sentence().contains(says))
                    .map(|e| e.time_ns)
                    .collect();
                assert!(
                    rounds.contains(&times.len()),
                    "{ctx}: {} rounds",
                    times.len()
                );
                assert!(
                    times.windows(2).all(|w| w[0] < w[1]),
                    "{ctx}: rounds at one instant"
                );
            }
            Outcome::HintNeedsReset(message) => {
                assert!(b.status & NEEDS_RESET != 0 && b.broken, "{ctx}: {b:?}");
                assert!(said(&format!("virtio_error(\"{message}\")")), "{ctx}");
                let vq = s
                    .queue_views()
                    .into_iter()
                    .find(|q| q.name == QueueName::FreePageVq)
                    .expect("free_page_vq");
                assert_eq!(vq.used_idx, 0, "{ctx}: the cmd id is lost");
            }
            Outcome::Acked { delta, says } => {
                assert_eq!(b.status & NEEDS_RESET, 0, "{ctx}: {b:?}");
                assert!(!said("virtio_error("), "{ctx}");
                assert!(
                    ivq.used_idx > 0 && ivq.used_idx == ivq.next_avail,
                    "{ctx}: {ivq:?}"
                );
                assert_eq!(
                    b.discarded_frames as i64 - b.guest_ballooned_pages as i64,
                    delta,
                    "{ctx}: {b:?}"
                );
                assert!(
                    said(says),
                    "{ctx}: no event says {says:?}:\n{}",
                    sentences
                        .iter()
                        .filter(|l| l.contains("balloon_"))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                assert_eq!(u64::from(b.actual), b.guest_ballooned_pages, "{ctx}");
            }
        }
    }
}
