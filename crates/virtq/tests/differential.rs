//! Differential test: random split rings, valid and malformed, are written byte for byte into
//! both backends' memories; the same device-side operations run on the portable queue and on
//! rust-vmm's `virtio_queue::Queue`; every result, the final ring bytes and both indices must be
//! identical. (No difference of the crate docs' table is expected here: the wrapper names
//! rust-vmm's silent stops, and num_added is lost only by `Clone`, which is not exercised.)
//!
//! The wrapper names a silent stop by running the portable walk, so the error it returns is
//! shared code; what is rust-vmm's own is how many buffers its iterator yielded and where it
//! stopped. Those are compared with the portable walk's at every early stop, and must agree.
#![cfg(not(target_arch = "wasm32"))] // rust-vmm, the reference, is native only

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;

use common::Ring;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use virtq::layout::{VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};
use virtq::{
    Backend, DescriptorChain, DeviceQueue, EarlyStop, GuestRam, Portable, PortableQueue,
    QueueError, RustVmm, RustVmmQueue,
};

const RAM: u64 = 8 << 30;
const TABLES: [u64; 2] = [0x4000, 0x5000];
const TABLE_ENTRIES: u16 = 8;

#[derive(Debug, Clone)]
enum Op {
    Pop,
    /// Head: the last popped one (None) or a given index; and the length.
    AddUsed(Option<u16>, u32),
    NeedsNotification,
    EnableNotification,
    DisableNotification,
    Unpop,
    /// The driver publishes more (or scribbles on avail.idx) mid-run.
    SetAvailIdx(u16),
}

#[derive(Debug, Clone)]
struct Case {
    ring: Ring,
    ops: Vec<Op>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pop(Result<Option<DescriptorChain>, QueueError>),
    Unit(Result<(), QueueError>),
    Flag(Result<bool, QueueError>),
}

#[derive(Debug, PartialEq, Eq)]
struct Trace {
    outcomes: Vec<Outcome>,
    /// Early stops whose two walks disagree (always empty for the portable queue).
    disagreements: Vec<EarlyStop>,
    ring_bytes: Vec<u8>,
    next_avail: u16,
    next_used: u16,
}

fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (0u64..64).prop_map(|k| 0x10_0000 + k * 0x100),
        1 => (0u64..16).prop_map(|k| 0x1_0000_0000 + k),
        1 => (1u64..64).prop_map(|k| RAM - k),
        1 => (1u64..64).prop_map(|k| u64::MAX - k),
        1 => Just(0u64),
    ]
}

fn len() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 1u32..64,
        1 => Just(0u32),
        1 => 0x8000_0000u32..=u32::MAX,
        1 => any::<u32>(),
    ]
}

fn flags() -> impl Strategy<Value = u16> {
    (
        prop::bool::weighted(0.5),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.12),
    )
        .prop_map(|(n, w, i)| {
            (if n { VIRTQ_DESC_F_NEXT } else { 0 })
                | (if w { VIRTQ_DESC_F_WRITE } else { 0 })
                | (if i { VIRTQ_DESC_F_INDIRECT } else { 0 })
        })
}

/// One descriptor; an indirect one usually points at one of the tables with a sane length.
fn desc(size: u16) -> impl Strategy<Value = (u64, u32, u16, u16)> {
    (
        addr(),
        len(),
        flags(),
        0..size + 2,
        0usize..2,
        1u32..=u32::from(TABLE_ENTRIES),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(a, l, f, next, t, entries, sane)| {
            if f & VIRTQ_DESC_F_INDIRECT != 0 && sane {
                (TABLES[t], entries * 16, f, next)
            } else {
                (a, l, f, next)
            }
        })
}

fn op(size: u16) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Pop),
        4 => (prop::option::weighted(0.8, 0..size + 1), 0u32..4096).prop_map(|(h, l)| Op::AddUsed(h, l)),
        2 => Just(Op::NeedsNotification),
        1 => Just(Op::EnableNotification),
        1 => Just(Op::DisableNotification),
        1 => Just(Op::Unpop),
        1 => (0..size * 2 + 2).prop_map(Op::SetAvailIdx),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![Just(1u16), Just(2), Just(4), Just(8), Just(16)].prop_flat_map(|n| {
        (
            prop::collection::vec(desc(n), usize::from(n)),
            prop::collection::vec(desc(TABLE_ENTRIES), usize::from(TABLE_ENTRIES) * 2),
            prop::collection::vec(0..n + 1, usize::from(n)),
            prop_oneof![4 => 0..=n, 1 => any::<u16>()],
            (any::<bool>(), any::<u16>(), 0u16..2),
            prop::collection::vec(op(n), 1..12),
        )
            .prop_map(
                move |(descs, table, heads, idx, (event_idx, used_event, avail_flags), ops)| {
                    let mut ring = Ring::new(n);
                    ring.ram_size = RAM;
                    ring.event_idx = event_idx;
                    for (i, (a, l, f, next)) in descs.into_iter().enumerate() {
                        ring.desc(i as u16, a, l, f, next);
                    }
                    for (k, (a, l, f, next)) in table.into_iter().enumerate() {
                        let at = TABLES[k / 8] + 16 * (k as u64 % 8);
                        ring.table_desc(at, a, l, f, next % (TABLE_ENTRIES + 1));
                    }
                    ring.avail(&heads, idx);
                    ring.write(
                        ring.layout.used_event_addr().unwrap(),
                        &used_event.to_le_bytes(),
                    );
                    ring.write(ring.layout.avail_flags_addr(), &avail_flags.to_le_bytes());
                    Case { ring, ops }
                },
            )
    })
}

/// The early stop of the last pop, where the queue records one.
trait Stops {
    fn early_stop(&self) -> Option<&EarlyStop>;
}

impl Stops for PortableQueue {
    fn early_stop(&self) -> Option<&EarlyStop> {
        None
    }
}

impl Stops for RustVmmQueue {
    fn early_stop(&self) -> Option<&EarlyStop> {
        RustVmmQueue::early_stop(self)
    }
}

thread_local! {
    /// Early stops seen with both walks agreeing, with at least one buffer yielded (so that the
    /// comparison covered a stop position, not only a count of zero).
    static AGREED_STOPS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn run<B: Backend>(case: &Case) -> Trace
where
    B::Queue: Stops,
{
    let (mut ram, mut q) = case.ring.build::<B>();
    let l = case.ring.layout;
    let mut last_head = 0;
    let mut outcomes = Vec::new();
    let mut disagreements = Vec::new();
    for op in &case.ops {
        outcomes.push(match op {
            Op::Pop => {
                let r = q.pop(&ram);
                if let Some(stop) = q.early_stop() {
                    if stop.rust_vmm != stop.portable {
                        disagreements.push(stop.clone());
                    } else if stop.rust_vmm.yielded > 0 {
                        AGREED_STOPS.with(|n| n.set(n.get() + 1));
                    }
                }
                if let Ok(Some(c)) = &r {
                    last_head = c.head;
                }
                Outcome::Pop(r)
            }
            Op::AddUsed(h, len) => {
                Outcome::Unit(q.add_used(&mut ram, h.unwrap_or(last_head), *len))
            }
            Op::NeedsNotification => Outcome::Flag(q.needs_notification(&ram)),
            Op::EnableNotification => Outcome::Flag(q.enable_notification(&mut ram)),
            Op::DisableNotification => Outcome::Unit(q.disable_notification(&mut ram)),
            Op::Unpop => {
                q.unpop();
                Outcome::Unit(Ok(()))
            }
            Op::SetAvailIdx(v) => Outcome::Unit(
                ram.write_u16(l.avail_idx_addr().unwrap(), *v)
                    .map_err(QueueError::Memory),
            ),
        });
    }
    let mut ring_bytes = vec![0; l.bytes() as usize];
    ram.read(l.desc_table, &mut ring_bytes).unwrap();
    Trace {
        outcomes,
        disagreements,
        ring_bytes,
        next_avail: q.next_avail(),
        next_used: q.next_used(),
    }
}

fn kind(o: &Outcome) -> String {
    match o {
        Outcome::Pop(Ok(Some(c))) if c.indirect => "pop: indirect chain".into(),
        Outcome::Pop(Ok(Some(_))) => "pop: direct chain".into(),
        Outcome::Pop(Ok(None)) => "pop: empty".into(),
        Outcome::Pop(Err(e)) | Outcome::Unit(Err(e)) | Outcome::Flag(Err(e)) => format!("{e:?}")
            .split([' ', '(', '{'])
            .next()
            .unwrap_or_default()
            .to_string(),
        Outcome::Unit(Ok(())) | Outcome::Flag(Ok(_)) => "ok".into(),
    }
}

/// `default` cases, or more when `PROPTEST_CASES` asks for more (`cargo xtask test` sets 256,
/// `cargo xtask fuzz` 2000): the variable raises every suite, and never lowers one below the
/// count it runs under plain `cargo test`.
fn config(default: u32) -> Config {
    let asked = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok());
    Config {
        cases: asked.map_or(default, |n| n.max(default)),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(Config { failure_persistence: None, ..config(512) })]

    #[test]
    fn backends_agree_on_random_rings(case in case()) {
        let vmm = run::<RustVmm>(&case);
        prop_assert!(vmm.disagreements.is_empty(), "{:#?}", vmm.disagreements);
        prop_assert_eq!(run::<Portable>(&case), vmm);
    }
}

/// A fixed-seed run of 2000 rings that also checks the generator reaches every outcome (so the
/// agreement above is not vacuous).
#[test]
fn fixed_seed_run_covers_every_outcome() {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let seen = RefCell::new(BTreeMap::<String, u32>::new());
    runner
        .run(&case(), |case| {
            let p = run::<Portable>(&case);
            let vmm = run::<RustVmm>(&case);
            prop_assert!(vmm.disagreements.is_empty(), "{:#?}", vmm.disagreements);
            prop_assert_eq!(&p, &vmm);
            for o in &p.outcomes {
                *seen.borrow_mut().entry(kind(o)).or_default() += 1;
            }
            Ok(())
        })
        .unwrap();
    let seen = seen.into_inner();
    println!("{seen:#?}");
    let agreed = AGREED_STOPS.with(std::cell::Cell::get);
    println!("early stops compared after at least one buffer: {agreed}");
    assert!(
        agreed > 0,
        "no early stop after a yielded buffer was compared"
    );
    for k in [
        "pop: direct chain",
        "pop: indirect chain",
        "pop: empty",
        "InvalidAvailRingIndex",
        "InvalidHead",
        "InvalidDescriptorIndex",
        "ChainTooLong",
        "NestedIndirect",
        "InvalidIndirectLength",
        "ZeroLengthDescriptor",
        "BadBuffer",
        "LengthOverflow",
        "ReadableAfterWritable",
    ] {
        assert!(
            seen.contains_key(k),
            "the generator never produced {k}: {seen:?}"
        );
    }
}
