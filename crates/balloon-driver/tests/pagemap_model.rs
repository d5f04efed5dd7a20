//! The bit-plane page map against a one-byte-a-page model, on random operation sequences: on
//! two chunks, and on several whole chunks where the walk's summary level (which chunks hold
//! which states) decides which chunks `take` enters at all.

use balloon_driver::pagemap::CHUNK_PAGES;
use balloon_driver::{Direction, PageMap, PageState, StateSet};
use proptest::prelude::*;

const NR: u64 = CHUNK_PAGES + 4096;
/// Five chunks, the last one short: runs that fill and empty whole chunks.
const NR_WIDE: u64 = 4 * CHUNK_PAGES + 4096;

fn set_of(bits: u8) -> Vec<PageState> {
    PageState::ALL
        .iter()
        .copied()
        .filter(|s| bits >> (*s as u8) & 1 == 1)
        .collect()
}

fn set(states: &[PageState]) -> StateSet {
    // StateSet has no public constructor from bits: build it by checking against ALLOCATABLE
    // and `one`, which is what callers use.
    match states {
        [s] => StateSet::one(*s),
        _ => StateSet::ALLOCATABLE,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Take {
        one: Option<u8>,
        to: u8,
        max: u64,
        down: bool,
    },
    Convert {
        first: u64,
        count: u64,
        /// A state code, or 8 for Free + Reported.
        from: u8,
        to: u8,
    },
}

fn op(nr: u64, max_take: u64, max_convert: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            proptest::option::of(0u8..8),
            0u8..8,
            0u64..max_take,
            any::<bool>()
        )
            .prop_map(|(one, to, max, down)| Op::Take { one, to, max, down }),
        (0u64..nr, 0u64..max_convert, 0u8..9, 0u8..8).prop_map(|(first, count, from, to)| {
            Op::Convert {
                first,
                count,
                from,
                to,
            }
        }),
    ]
}

use proptest_cases::config;

/// Runs `ops` on a map of `nr` pages and on the byte model, comparing every result.
fn check(nr: u64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut map = PageMap::new(nr).unwrap();
    let mut model = vec![PageState::Free; nr as usize];
    for o in ops {
        match o {
            Op::Take { one, to, max, down } => {
                let states = match one {
                    Some(c) => vec![PageState::ALL[c as usize]],
                    None => set_of(0b1_0001),
                };
                let to = PageState::ALL[to as usize];
                let dir = if down { Direction::Down } else { Direction::Up };
                let runs = map.take(set(&states), to, max, dir);
                let mut expect = Vec::new();
                let order: Box<dyn Iterator<Item = u64>> = if down {
                    Box::new((0..nr).rev())
                } else {
                    Box::new(0..nr)
                };
                for p in order {
                    if expect.len() as u64 == max {
                        break;
                    }
                    if states.contains(&model[p as usize]) {
                        expect.push(p);
                        model[p as usize] = to;
                    }
                }
                prop_assert_eq!(runs.pfns().collect::<Vec<_>>(), expect);
            }
            Op::Convert {
                first,
                count,
                from,
                to,
            } => {
                let count = count.min(nr - first);
                // Code 8 stands for Free + Reported, the allocator's set.
                let states = match from {
                    8 => set_of(0b1_0001),
                    c => vec![PageState::ALL[c as usize]],
                };
                let to = PageState::ALL[to as usize];
                let ok = (first..first + count).all(|p| states.contains(&model[p as usize]));
                let r = map.convert(first, count, set(&states), to);
                prop_assert_eq!(r.is_ok(), ok);
                if ok {
                    for p in first..first + count {
                        model[p as usize] = to;
                    }
                }
            }
        }
    }
    for s in PageState::ALL {
        prop_assert_eq!(
            map.count(s),
            model.iter().filter(|m| **m == s).count() as u64
        );
    }
    let h = map.histogram(0, nr).unwrap();
    for s in PageState::ALL {
        prop_assert_eq!(h[s as usize], map.count(s));
    }
    for p in (0..nr).step_by(97) {
        prop_assert_eq!(map.state(p).unwrap(), model[p as usize]);
    }
    for b in 0..nr / 512 {
        let blk = &model[(b * 512) as usize..((b + 1) * 512) as usize];
        let f = blk.iter().filter(|m| **m == PageState::Free).count() as u64;
        let r = blk.iter().filter(|m| **m == PageState::Reported).count() as u64;
        prop_assert_eq!(map.block_counts(b), (f, r));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]
    #[test]
    fn page_map_matches_a_byte_model(ops in proptest::collection::vec(op(NR, 40_000, 3000), 1..40)) {
        check(NR, ops)?;
    }

    #[test]
    fn page_map_matches_a_byte_model_across_whole_chunks(
        ops in proptest::collection::vec(op(NR_WIDE, 3 * CHUNK_PAGES, 2 * CHUNK_PAGES), 1..24)
    ) {
        check(NR_WIDE, ops)?;
    }
}
