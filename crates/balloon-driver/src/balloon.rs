//! The work that moves balloon pages, all under Linux's `balloon_lock` and so one at a time:
//! `update_balloon_size_func` (`fill_balloon` / `leak_balloon` + `update_balloon_size`),
//! `virtio_balloon_oom_notify`, `virtballoon_migratepage` and `remove_common`.

use virtq::{GuestRam, Segment, Transport};

use crate::buffers::{ARRAY_PFNS_MAX, PFN_ARRAY};
use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::event::{DriverEvent, Purpose, Violation};
use crate::features::{F_DEFLATE_ON_OOM, F_MUST_TELL_HOST, Role, config};
use crate::misbehave::Misbehaviour;
use crate::pagemap::{Direction, PageState, StateSet};
use crate::runs::Runs;
use crate::tell::{Stage, Tell};

/// `VIRTIO_BALLOON_OOM_NR_PAGES`: what one `virtio_balloon_oom_notify` deflates at most.
const OOM_NR_PAGES: u64 = 256;
/// `fill_balloon`'s `msleep(200)` after "Out of puff!".
const OUT_OF_PUFF_NS: u64 = 200_000_000;

/// Where the balloon work is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Idle,
    /// `fill_balloon`: allocate next.
    Fill {
        diff: i64,
    },
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
    Update {
        purpose: Purpose,
        diff: i64,
    },
    /// Migration: the new page is in; deflate the old one next.
    MigrateOld {
        old: u64,
    },
}

impl Op {
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self, Op::Idle)
    }
    pub(crate) fn timer(&self) -> Option<u64> {
        match self {
            Op::Sleep {
                until, woke: false, ..
            } => Some(*until),
            _ => None,
        }
    }
    pub(crate) fn fire(&mut self, now: u64) {
        if let Op::Sleep { until, woke, .. } = self
            && *until <= now
        {
            *woke = true;
        }
    }
    pub(crate) fn start_remove() -> Op {
        Op::Leak {
            want: u64::MAX,
            purpose: Purpose::Remove,
            diff: 0,
        }
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
        match &self.op {
            Op::Idle => false,
            Op::Sleep { woke, .. } => *woke,
            Op::Tell { tell, .. } => self.tell_ready(tell),
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
        self.write_pfns(ram, &pages)?;
        let mut segs = pfn_segment(pages.pages());
        if let Some(m) = self.misbehaviour.take() {
            segs = crate::misbehave::tamper_segments(m, segs, ram, self.mm.nr_pages())?;
            if segs.is_empty() {
                self.misbehaviour = Some(m);
                segs = pfn_segment(pages.pages());
            }
        }
        self.op = Op::Tell {
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
        self.enqueue(&pages);
        self.num_pages += n;
        if !self.has(F_DEFLATE_ON_OOM) {
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
        let op = std::mem::replace(&mut self.op, Op::Idle);
        let ev = match op {
            Op::Idle => return self.start_work(tr, ram),
            Op::Fill { diff } => {
                let wanted = (diff as u64).min(ARRAY_PFNS_MAX);
                let alloc = self.mm.alloc(wanted, PageState::Inflating, Direction::Down);
                if alloc.got() < wanted {
                    self.op = Op::Sleep {
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
            Op::Sleep {
                pages,
                diff,
                until,
                woke,
            } => {
                if !woke {
                    self.op = Op::Sleep {
                        pages,
                        diff,
                        until,
                        woke,
                    };
                    return Ok(None);
                }
                if pages.is_empty() {
                    return self.update_step(tr, Purpose::Resize, diff).map(Some);
                }
                let wanted = (diff as u64).min(ARRAY_PFNS_MAX);
                self.enqueue_and_tell(ram, pages, wanted, diff, Default::default())?
            }
            Op::Leak {
                want,
                purpose,
                diff,
            } => {
                let n = want.min(ARRAY_PFNS_MAX).min(self.num_pages);
                if n == 0 {
                    return self.update_step(tr, purpose, diff).map(Some);
                }
                let pages = self.dequeue(n);
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
                self.num_pages -= pages.pages();
                self.write_pfns(ram, &pages)?;
                if crate::misbehave::tamper_deflate(self.misbehaviour, ram)? {
                    self.misbehaviour = None;
                }
                if self.misbehaviour == Some(Misbehaviour::ReleaseBeforeAck) {
                    self.misbehaviour = None;
                    self.release_early(&pages)?;
                }
                let segs = pfn_segment(pages.pages());
                let diff = diff + pages.pages() as i64;
                self.op = Op::Tell {
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
            Op::Tell {
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
                        self.op = match purpose {
                            Purpose::Migrate => Op::MigrateOld {
                                old: self.migrate_old,
                            },
                            _ => Op::Update { purpose, diff },
                        };
                    } else {
                        self.op = Op::Release {
                            pages,
                            purpose,
                            diff,
                        };
                    }
                } else {
                    self.op = Op::Tell {
                        tell,
                        pages,
                        purpose,
                        diff,
                    };
                }
                ev
            }
            Op::Release {
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
                if !self.has(F_DEFLATE_ON_OOM) && purpose != Purpose::Migrate {
                    self.mm.adjust_managed_page_count(n as i64);
                }
                self.page_reporting_notify();
                self.op = match purpose {
                    Purpose::Migrate => Op::Idle,
                    Purpose::Remove if self.num_pages > 0 => Op::Leak {
                        want: u64::MAX,
                        purpose,
                        diff,
                    },
                    Purpose::Oom => {
                        self.oom_result = Some(n);
                        Op::Update { purpose, diff }
                    }
                    _ => Op::Update { purpose, diff },
                };
                DriverEvent::PagesReleased { pages }
            }
            Op::Update { purpose, diff } => self.update_step(tr, purpose, diff)?,
            Op::MigrateOld { old } => {
                self.remove_from_list(old);
                let mut pages = Runs::default();
                pages.push_up(old, 1);
                self.write_pfns(ram, &pages)?;
                self.op = Op::Tell {
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
            if self.has(F_MUST_TELL_HOST) {
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
        purpose: Purpose,
        diff: i64,
    ) -> Result<DriverEvent, Error> {
        let (actual, tampered) =
            crate::misbehave::tamper_actual(self.misbehaviour, self.num_pages as u32);
        if tampered {
            self.misbehaviour = None;
        }
        let (offset, misplaced) =
            crate::misbehave::actual_offset(self.misbehaviour, config::ACTUAL);
        if misplaced {
            self.misbehaviour = None;
        }
        tr.write_config(offset, &actual.to_le_bytes());
        self.op = Op::Idle;
        if purpose == Purpose::Resize && diff != 0 && !self.stop_update {
            self.size_pending = true;
        }
        if purpose == Purpose::Oom && self.oom_result.is_none() {
            self.oom_result = Some(0);
        }
        Ok(DriverEvent::ActualWritten { actual })
    }

    fn start_work(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<Option<DriverEvent>, Error> {
        if self.oom_pending {
            self.oom_pending = false;
            let balloon_pages = self.num_pages;
            if balloon_pages == 0 {
                self.oom_result = Some(0);
            } else {
                self.op = Op::Leak {
                    want: OOM_NR_PAGES,
                    purpose: Purpose::Oom,
                    diff: 0,
                };
            }
            return Ok(Some(DriverEvent::OomNotify { balloon_pages }));
        }
        if self.migrate_pending {
            self.migrate_pending = false;
            return self.start_migration(ram);
        }
        if self.size_pending && !self.stop_update {
            self.size_pending = false;
            let (num_pages, diff) = self.towards_target(tr);
            if diff > 0 {
                self.op = Op::Fill { diff };
            } else if diff < 0 {
                self.op = Op::Leak {
                    want: diff.unsigned_abs(),
                    purpose: Purpose::Resize,
                    diff,
                };
            }
            return Ok(Some(DriverEvent::TargetRead {
                num_pages,
                balloon_pages: self.num_pages,
                diff,
            }));
        }
        Ok(None)
    }

    /// `virtballoon_migratepage`: compaction moves the lowest balloon page to the highest free
    /// page above it.
    fn start_migration(&mut self, ram: &mut impl GuestRam) -> Result<Option<DriverEvent>, Error> {
        let Some(old) = self.balloon.iter().map(|r| r.0).min() else {
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
        self.migrate_old = old;
        // balloon_page_insert(newpage): the new page joins the list before the host is told.
        self.enqueue(&new);
        self.start_inflate_message(ram, new, Purpose::Migrate, 0)?;
        Ok(Some(DriverEvent::MigrationPicked { old, new: new_pfn }))
    }
}
