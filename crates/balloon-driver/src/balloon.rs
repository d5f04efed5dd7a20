//! The work that moves balloon pages, all under Linux's `balloon_lock` and so one at a time:
//! `update_balloon_size_func` (`fill_balloon` / `leak_balloon` + `update_balloon_size`),
//! `virtio_balloon_oom_notify`, `virtballoon_migratepage` and `remove_common`.

use virtq::{GuestRam, Segment, Transport};

use crate::balloon_list::{BalloonList, write_pfns};
use crate::buffers::{ARRAY_PFNS_MAX, PFN_ARRAY};
use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::event::{DriverEvent, Purpose, Violation};
use crate::features::{
    Role, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_MUST_TELL_HOST, bit, config,
};
use crate::misbehave::{Misbehaviour, Site};
use crate::pagemap::{Direction, PageState, StateSet};
use crate::runs::Runs;
use crate::tell::{Stage, Tell};

/// `VIRTIO_BALLOON_OOM_NR_PAGES`: what one `virtio_balloon_oom_notify` deflates at most.
const OOM_NR_PAGES: u64 = 256;
/// `fill_balloon`'s `msleep(200)` after "Out of puff!".
const OUT_OF_PUFF_NS: u64 = 200_000_000;

/// Where the balloon work is.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum BState {
    #[default]
    Idle,
    /// `fill_balloon`: allocate next.
    Fill { diff: i64 },
    /// `msleep(200)` after "Out of puff!".
    Sleep {
        until: u64,
        woke: bool,
        pages: Runs,
        diff: i64,
    },
    /// `leak_balloon`: dequeue next.
    Leak {
        want: u64,
        purpose: Purpose,
        diff: i64,
    },
    /// `tell_host` in progress.
    Tell {
        tell: Tell,
        pages: Runs,
        purpose: Purpose,
        diff: i64,
    },
    /// `release_pages_balloon` next (after the deflate ack).
    Release {
        pages: Runs,
        purpose: Purpose,
        diff: i64,
    },
    /// `update_balloon_size` next.
    Update { purpose: Purpose, diff: i64 },
    /// Migration: the new page is in; deflate the old one next.
    MigrateOld { old: u64 },
}

impl BState {
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self, BState::Idle)
    }
    /// `fill_balloon` in its `msleep(200)`: that sleep comes before it takes `balloon_lock`,
    /// so the OOM notifier (which takes the lock) may run meanwhile.
    pub(crate) fn is_asleep(&self) -> bool {
        matches!(self, BState::Sleep { woke: false, .. })
    }
    /// Work of `virtio_balloon_oom_notify` in progress (leak, tell, release, update).
    pub(crate) fn is_oom_work(&self) -> bool {
        matches!(
            self,
            BState::Leak {
                purpose: Purpose::Oom,
                ..
            } | BState::Tell {
                purpose: Purpose::Oom,
                ..
            } | BState::Release {
                purpose: Purpose::Oom,
                ..
            } | BState::Update {
                purpose: Purpose::Oom,
                ..
            }
        )
    }
    pub(crate) fn timer(&self) -> Option<u64> {
        match self {
            BState::Sleep {
                until, woke: false, ..
            } => Some(*until),
            _ => None,
        }
    }
    pub(crate) fn fire(&mut self, now: u64) {
        if let BState::Sleep { until, woke, .. } = self
            && *until <= now
        {
            *woke = true;
        }
    }
}

/// The balloon's state: its size and page list, and the work Linux does on them under
/// `balloon_lock`, pending or in progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BalloonOp {
    /// `vb->num_pages`: balloon size in 4 KiB pages (counted at enqueue / dequeue).
    pub num_pages: u64,
    /// `vb_dev_info.pages`.
    pub list: BalloonList,
    /// `virtballoon_changed` queued `update_balloon_size_func`.
    pub size_pending: bool,
    /// `out_of_memory` called `virtio_balloon_oom_notify`.
    pub oom_pending: bool,
    /// What the OOM notifiers freed, once they ran (0 sends the OOM killer).
    pub oom_result: Option<u64>,
    /// Compaction asked `virtballoon_migratepage` to move a balloon page.
    pub migrate_pending: bool,
    /// The page a migration in progress is moving off.
    pub migrate_old: u64,
    pub state: BState,
    /// A `fill_balloon` asleep after "Out of puff!" while the OOM notifier runs.
    pub parked: Option<BState>,
}

impl BalloonOp {
    /// `remove_common`: `leak_balloon` until the balloon is empty.
    pub(crate) fn start_remove(&mut self) {
        self.state = BState::Leak {
            want: u64::MAX,
            purpose: Purpose::Remove,
            diff: 0,
        };
    }
}

fn pfn_segment(n: u64) -> Vec<Segment> {
    vec![Segment {
        addr: PFN_ARRAY,
        len: (4 * n) as u32,
        writable: false,
    }]
}

impl BalloonDriver {
    pub(crate) fn op_ready(&self) -> bool {
        match &self.balloon.state {
            BState::Idle => false,
            BState::Sleep { woke, .. } => *woke,
            BState::Tell { tell, .. } => self.tell_ready(tell),
            _ => true,
        }
    }

    fn start_inflate_message(
        &mut self,
        ram: &mut impl GuestRam,
        pages: Runs,
        purpose: Purpose,
        diff: i64,
    ) -> Result<(), Error> {
        write_pfns(ram, &pages)?;
        let mut segs = pfn_segment(pages.pages());
        let nr_pages = self.mm.nr_pages();
        self.misbehaviour.hook(
            Site::InflateSegments {
                segs: &mut segs,
                nr_pages,
            },
            ram,
        )?;
        self.balloon.state = BState::Tell {
            tell: Tell::new(Role::Inflate, segs, true),
            pages,
            purpose,
            diff,
        };
        Ok(())
    }

    fn enqueue_and_tell(
        &mut self,
        ram: &mut impl GuestRam,
        pages: Runs,
        wanted: u64,
        diff: i64,
        reclaim: crate::mm::Reclaim,
    ) -> Result<DriverEvent, Error> {
        let n = pages.pages();
        self.balloon.list.enqueue(&pages);
        self.balloon.num_pages += n;
        if !self.has(bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) {
            self.mm.adjust_managed_page_count(-(n as i64));
        }
        let ev = DriverEvent::PagesAllocated {
            wanted,
            pages: pages.clone(),
            reclaim,
            pfn_array: PFN_ARRAY,
        };
        self.start_inflate_message(ram, pages, Purpose::Resize, diff - n as i64)?;
        Ok(ev)
    }

    /// One step of the balloon work. `Ok(None)` when there is nothing to do.
    pub(crate) fn balloon_step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<Option<DriverEvent>, Error> {
        if self.balloon.oom_pending && self.balloon.state.is_asleep() {
            // The notifier does not wait for the sleeping size work (see `is_asleep`).
            self.balloon.parked = Some(std::mem::take(&mut self.balloon.state));
        }
        let op = std::mem::take(&mut self.balloon.state);
        let ev = match op {
            BState::Idle => return self.start_work(tr, ram),
            BState::Fill { diff } => {
                let wanted = (diff as u64).min(ARRAY_PFNS_MAX);
                // Which pages Linux's allocator hands out: memblock_free_all gives boot memory
                // to the buddy allocator lowest block first and at the free lists' tail
                // (`__free_pages_core` with FPI_TO_TAIL, mm/page_alloc.c), and `rmqueue_bulk`
                // splits the first block in address order, so order-0 allocations climb from
                // the lowest free page. fill_balloon then pops its local list
                // (`balloon_page_push` / `balloon_page_pop`, LIFO), so each message lists
                // its PFNs from the highest down.
                let mut alloc = self.mm.alloc(wanted, PageState::Inflating, Direction::Up);
                alloc.pages = alloc.pages.reversed();
                if alloc.got() < wanted {
                    self.balloon.state = BState::Sleep {
                        until: self.now + OUT_OF_PUFF_NS,
                        woke: false,
                        pages: alloc.pages.clone(),
                        diff,
                    };
                    DriverEvent::OutOfPuff {
                        wanted,
                        got: alloc.got(),
                        retry_at_ns: self.now + OUT_OF_PUFF_NS,
                    }
                } else {
                    self.enqueue_and_tell(ram, alloc.pages, wanted, diff, alloc.reclaim)?
                }
            }
            BState::Sleep {
                pages,
                diff,
                until,
                woke,
            } => {
                if !woke {
                    self.balloon.state = BState::Sleep {
                        pages,
                        diff,
                        until,
                        woke,
                    };
                    return Ok(None);
                }
                if pages.is_empty() {
                    return self.update_step(tr, ram, Purpose::Resize, diff).map(Some);
                }
                let wanted = (diff as u64).min(ARRAY_PFNS_MAX);
                self.enqueue_and_tell(ram, pages, wanted, diff, Default::default())?
            }
            BState::Leak {
                want,
                purpose,
                diff,
            } => {
                let n = want.min(ARRAY_PFNS_MAX).min(self.balloon.num_pages);
                if n == 0 {
                    return self.update_step(tr, ram, purpose, diff).map(Some);
                }
                let pages = self.balloon.list.dequeue(n);
                for &(f, c) in pages.runs() {
                    if self
                        .mm
                        .map()
                        .count_in(f, c, StateSet::one(PageState::Ballooned))?
                        != c
                    {
                        // Deflating a page whose inflate was never acknowledged.
                        self.violations
                            .push(Violation::UsedBeforeInflateAck { pfn: f });
                    }
                }
                self.balloon.num_pages -= pages.pages();
                write_pfns(ram, &pages)?;
                if let Some(a) = self.misbehaviour.hook(Site::DeflatePfns, ram)?
                    && a.mode == Misbehaviour::ReleaseBeforeAck
                {
                    self.release_early(&pages)?;
                }
                let segs = pfn_segment(pages.pages());
                let diff = diff + pages.pages() as i64;
                self.balloon.state = BState::Tell {
                    tell: Tell::new(Role::Deflate, segs, true),
                    pages: pages.clone(),
                    purpose,
                    diff,
                };
                DriverEvent::PagesDequeued {
                    pages,
                    purpose,
                    pfn_array: PFN_ARRAY,
                }
            }
            BState::Tell {
                mut tell,
                pages,
                purpose,
                diff,
            } => {
                let mut ev = self.tell_step(&mut tell, tr, ram)?;
                if let Stage::Done(_) = tell.stage {
                    if tell.role == Role::Inflate {
                        for &(f, c) in pages.runs() {
                            self.mm.map_mut().convert(
                                f,
                                c,
                                StateSet::one(PageState::Inflating),
                                PageState::Ballooned,
                            )?;
                        }
                        if let DriverEvent::UsedCollected { pages: p, .. } = &mut ev {
                            *p = pages.clone();
                        }
                        self.balloon.state = match purpose {
                            Purpose::Migrate => BState::MigrateOld {
                                old: self.balloon.migrate_old,
                            },
                            _ => BState::Update { purpose, diff },
                        };
                    } else {
                        self.balloon.state = BState::Release {
                            pages,
                            purpose,
                            diff,
                        };
                    }
                } else {
                    self.balloon.state = BState::Tell {
                        tell,
                        pages,
                        purpose,
                        diff,
                    };
                }
                ev
            }
            BState::Release {
                pages,
                purpose,
                diff,
            } => {
                for &(f, c) in pages.runs() {
                    // Pages a misbehaving guest already took back stay where they are.
                    if self
                        .mm
                        .map()
                        .count_in(f, c, StateSet::one(PageState::Ballooned))?
                        > 0
                    {
                        self.mm.map_mut().convert(
                            f,
                            c,
                            StateSet::one(PageState::Ballooned),
                            PageState::Free,
                        )?;
                    }
                }
                let n = pages.pages();
                if !self.has(bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) && purpose != Purpose::Migrate {
                    self.mm.adjust_managed_page_count(n as i64);
                }
                self.page_reporting_notify();
                self.balloon.state = match purpose {
                    Purpose::Migrate => BState::Idle,
                    Purpose::Remove if self.balloon.num_pages > 0 => BState::Leak {
                        want: u64::MAX,
                        purpose,
                        diff,
                    },
                    Purpose::Oom => {
                        self.balloon.oom_result = Some(n);
                        BState::Update { purpose, diff }
                    }
                    _ => BState::Update { purpose, diff },
                };
                DriverEvent::PagesReleased { pages }
            }
            BState::Update { purpose, diff } => self.update_step(tr, ram, purpose, diff)?,
            BState::MigrateOld { old } => {
                self.balloon.list.remove(old);
                let mut pages = Runs::default();
                pages.push_up(old, 1);
                write_pfns(ram, &pages)?;
                self.balloon.state = BState::Tell {
                    tell: Tell::new(Role::Deflate, pfn_segment(1), true),
                    pages: pages.clone(),
                    purpose: Purpose::Migrate,
                    diff: 0,
                };
                DriverEvent::PagesDequeued {
                    pages,
                    purpose: Purpose::Migrate,
                    pfn_array: PFN_ARRAY,
                }
            }
        };
        Ok(Some(ev))
    }

    /// A misbehaving guest frees deflated pages before the host's ack: allowed without
    /// MUST_TELL_HOST, a violation with it (spec 5.5.6.1).
    fn release_early(&mut self, pages: &Runs) -> Result<(), Error> {
        for &(f, c) in pages.runs() {
            self.mm.map_mut().convert(
                f,
                c,
                StateSet::one(PageState::Ballooned),
                PageState::Free,
            )?;
            if self.has(bit(VIRTIO_BALLOON_F_MUST_TELL_HOST)) {
                self.violations
                    .push(Violation::ReusedBeforeDeflateAck { pfn: f });
            }
        }
        Ok(())
    }

    /// `update_balloon_size`, then `update_balloon_size_func` re-queues itself while the
    /// target is not reached (never for the OOM path, which leaves the target alone).
    fn update_step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
        purpose: Purpose,
        diff: i64,
    ) -> Result<DriverEvent, Error> {
        let mut actual = self.balloon.num_pages as u32;
        let mut offset = config::ACTUAL;
        self.misbehaviour.hook(
            Site::Actual {
                actual: &mut actual,
                offset: &mut offset,
            },
            ram,
        )?;
        tr.write_config(offset, &actual.to_le_bytes());
        self.balloon.state = BState::Idle;
        if purpose == Purpose::Oom
            && let Some(mut parked) = self.balloon.parked.take()
        {
            parked.fire(self.now);
            self.balloon.state = parked;
        }
        if purpose == Purpose::Resize && diff != 0 && !self.stop_update {
            self.balloon.size_pending = true;
        }
        if purpose == Purpose::Oom && self.balloon.oom_result.is_none() {
            self.balloon.oom_result = Some(0);
        }
        Ok(DriverEvent::ActualWritten { actual })
    }

    fn start_work(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<Option<DriverEvent>, Error> {
        if self.balloon.oom_pending {
            self.balloon.oom_pending = false;
            let balloon_pages = self.balloon.num_pages;
            if balloon_pages == 0 {
                self.balloon.oom_result = Some(0);
            } else {
                self.balloon.state = BState::Leak {
                    want: OOM_NR_PAGES,
                    purpose: Purpose::Oom,
                    diff: 0,
                };
            }
            return Ok(Some(DriverEvent::OomNotify { balloon_pages }));
        }
        if self.balloon.migrate_pending {
            self.balloon.migrate_pending = false;
            return self.start_migration(ram);
        }
        if self.balloon.size_pending && !self.stop_update {
            self.balloon.size_pending = false;
            let (num_pages, diff) = self.towards_target(tr);
            if diff > 0 {
                self.balloon.state = BState::Fill { diff };
            } else if diff < 0 {
                self.balloon.state = BState::Leak {
                    want: diff.unsigned_abs(),
                    purpose: Purpose::Resize,
                    diff,
                };
            }
            return Ok(Some(DriverEvent::TargetRead {
                num_pages,
                balloon_pages: self.balloon.num_pages,
                diff,
            }));
        }
        Ok(None)
    }

    /// `virtballoon_migratepage`: compaction moves the lowest balloon page to the highest free
    /// page above it.
    fn start_migration(&mut self, ram: &mut impl GuestRam) -> Result<Option<DriverEvent>, Error> {
        let Some(old) = self.balloon.list.lowest() else {
            return Ok(Some(DriverEvent::Workload {
                what: "Compaction found no balloon page to move.".into(),
                pages: 0,
                reclaim: Default::default(),
            }));
        };
        let new = self.mm.map_mut().take(
            StateSet::ALLOCATABLE,
            PageState::Inflating,
            1,
            Direction::Down,
        );
        let Some(&(new_pfn, _)) = new.runs().first().filter(|r| r.0 > old) else {
            for &(f, c) in new.runs() {
                self.mm.map_mut().convert(
                    f,
                    c,
                    StateSet::one(PageState::Inflating),
                    PageState::Free,
                )?;
            }
            return Ok(Some(DriverEvent::Workload {
                what: "Compaction found no free page above the balloon.".into(),
                pages: 0,
                reclaim: Default::default(),
            }));
        };
        self.balloon.migrate_old = old;
        // balloon_page_insert(newpage): the new page joins the list before the host is told.
        self.balloon.list.enqueue(&new);
        self.start_inflate_message(ram, new, Purpose::Migrate, 0)?;
        Ok(Some(DriverEvent::MigrationPicked { old, new: new_pfn }))
    }
}
