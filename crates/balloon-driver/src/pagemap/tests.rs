//! `PageMap` unit tests: uniform and mixed chunks, counters, conversions and the walk.

use super::*;

#[test]
fn take_down_gives_descending_runs_from_the_top() {
    let mut m = PageMap::new(CHUNK_PAGES * 2).unwrap();
    let r = m.take(
        StateSet::ALLOCATABLE,
        PageState::Inflating,
        256,
        Direction::Down,
    );
    assert_eq!(r.runs(), &[(2 * CHUNK_PAGES - 256, 256)]);
    assert_eq!(r.pfns().next(), Some(2 * CHUNK_PAGES - 1));
    assert_eq!(m.count(PageState::Inflating), 256);
    assert_eq!(m.count(PageState::Free), 2 * CHUNK_PAGES - 256);
    assert_eq!(m.state(2 * CHUNK_PAGES - 1).unwrap(), PageState::Inflating);
    assert_eq!(m.state(2 * CHUNK_PAGES - 257).unwrap(), PageState::Free);
    assert_eq!(m.mixed_chunks(), 1);
}

#[test]
fn histogram_agrees_with_count_in_across_uniform_and_mixed_chunks() {
    let mut m = PageMap::new(CHUNK_PAGES * 4).unwrap();
    m.take(
        StateSet::ALLOCATABLE,
        PageState::Used,
        CHUNK_PAGES + 100,
        Direction::Up,
    );
    m.take(
        StateSet::ALLOCATABLE,
        PageState::Ballooned,
        CHUNK_PAGES + 7,
        Direction::Down,
    );
    for (first, count) in [
        (0, CHUNK_PAGES * 4),
        (50, CHUNK_PAGES * 2),
        (CHUNK_PAGES + 90, 20),
        (CHUNK_PAGES * 3 - 10, 20),
        (5, 0),
    ] {
        let all = m.histogram(first, count).unwrap();
        for (n, s) in all.iter().zip(PageState::ALL) {
            assert_eq!(*n, m.count_in(first, count, StateSet::one(s)).unwrap());
        }
        assert_eq!(all.iter().sum::<u64>(), count);
    }
    assert!(m.histogram(CHUNK_PAGES * 4, 1).is_err());
}

#[test]
fn whole_chunks_stay_uniform_and_collapse_back() {
    let mut m = PageMap::new(CHUNK_PAGES * 4).unwrap();
    let r = m.take(
        StateSet::ALLOCATABLE,
        PageState::Used,
        CHUNK_PAGES + 100,
        Direction::Up,
    );
    assert_eq!(r.runs(), &[(0, CHUNK_PAGES + 100)]);
    assert_eq!(m.mixed_chunks(), 1);
    m.convert(
        CHUNK_PAGES,
        100,
        StateSet::one(PageState::Used),
        PageState::Free,
    )
    .unwrap();
    assert_eq!(m.mixed_chunks(), 0);
    assert_eq!(m.count(PageState::Used), CHUNK_PAGES);
}

#[test]
fn convert_refuses_a_page_in_the_wrong_state_and_changes_nothing() {
    let mut m = PageMap::new(4096).unwrap();
    m.convert(10, 5, StateSet::ALLOCATABLE, PageState::Inflating)
        .unwrap();
    let err = m
        .convert(8, 10, StateSet::ALLOCATABLE, PageState::Used)
        .unwrap_err();
    assert_eq!(
        err,
        Error::PageStateMismatch {
            pfn: 10,
            found: PageState::Inflating,
            wanted: PageState::Used
        }
    );
    assert_eq!(m.count(PageState::Used), 0);
    assert!(
        m.convert(4090, 10, StateSet::ALLOCATABLE, PageState::Used)
            .is_err()
    );
}

#[test]
fn block_counters_follow_free_and_reported_pages() {
    let mut m = PageMap::new(4096).unwrap();
    assert_eq!(m.block_counts(0), (512, 0));
    m.convert(
        512,
        512,
        StateSet::one(PageState::Free),
        PageState::Reported,
    )
    .unwrap();
    m.convert(0, 3, StateSet::one(PageState::Free), PageState::Cache)
        .unwrap();
    assert_eq!(m.block_counts(0), (509, 0));
    assert_eq!(m.block_counts(1), (0, 512));
    assert_eq!(m.count_in(0, 1024, StateSet::ALLOCATABLE).unwrap(), 1021);
}

#[test]
fn histogram_agrees_with_counting_each_state() {
    let mut m = PageMap::new(3 * CHUNK_PAGES + 1024).unwrap();
    m.take(StateSet::ALLOCATABLE, PageState::Used, 5_000, Direction::Up);
    m.take(
        StateSet::ALLOCATABLE,
        PageState::Inflating,
        40_000,
        Direction::Down,
    );
    m.take(
        StateSet::ALLOCATABLE,
        PageState::Cache,
        2 * CHUNK_PAGES,
        Direction::Up,
    );
    let total = m.nr_pages();
    for (first, count) in [
        (0, total),
        (0, CHUNK_PAGES),
        (CHUNK_PAGES, 2 * CHUNK_PAGES),
        (100, CHUNK_PAGES + 77),
        (total - 1024, 1024),
        (4_990, 20),
    ] {
        let h = m.histogram(first, count).unwrap();
        for s in PageState::ALL {
            assert_eq!(
                h[s as usize],
                m.count_in(first, count, StateSet::one(s)).unwrap(),
                "{s:?} in {first}+{count}"
            );
        }
        assert_eq!(h.iter().sum::<u64>(), count);
    }
    assert!(m.mixed_chunks() >= 2, "the test covers mixed chunks");
}

#[test]
fn take_skips_states_outside_the_set() {
    let mut m = PageMap::new(1024).unwrap();
    m.convert(1000, 24, StateSet::one(PageState::Free), PageState::Used)
        .unwrap();
    m.convert(990, 5, StateSet::one(PageState::Free), PageState::Reported)
        .unwrap();
    let r = m.take(
        StateSet::ALLOCATABLE,
        PageState::Inflating,
        40,
        Direction::Down,
    );
    assert_eq!(r.runs(), &[(960, 40)]);
    assert_eq!(m.count(PageState::Reported), 0);
}
