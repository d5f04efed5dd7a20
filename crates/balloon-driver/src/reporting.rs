//! Free page reporting (mm/page_reporting.c driving `virtballoon_free_page_report`): every
//! 2 s while free high-order blocks exist, chains of up to 32 device-writable ranges.

use virtq::{GuestRam, Segment, Transport};

use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::event::DriverEvent;
use crate::features::{Role, VIRTIO_BALLOON_F_PAGE_REPORTING, bit};
use crate::misbehave::Site;
use crate::mm::PAGE_SIZE;
use crate::pagemap::{BLOCK_PAGES, BLOCKS_PER_CHUNK, PageState, StateSet};
use crate::runs::Runs;
use crate::tell::{Stage, Tell};

/// `PAGE_REPORTING_CAPACITY`.
pub const CAPACITY: usize = 32;
/// `PAGE_REPORTING_DELAY`: 2 s.
pub const DELAY_NS: u64 = 2_000_000_000;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum RState {
    #[default]
    Idle,
    Requested {
        at: u64,
        due: bool,
    },
    Active {
        reports: u32,
        budget: u32,
    },
    Tell {
        tell: Tell,
        blocks: Vec<(u64, u64)>,
        reports: u32,
        budget: u32,
    },
}

/// The page reporting device state (`struct page_reporting_dev_info`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReportOp {
    /// `__page_reporting_notify` happened while idle: schedule the work.
    pub notify: bool,
    /// PAGE_REPORTING_REQUESTED while a pass runs.
    pub again: bool,
    pub state: RState,
}

impl ReportOp {
    pub(crate) fn timer(&self) -> Option<u64> {
        match self.state {
            RState::Requested { at, due: false } => Some(at),
            _ => None,
        }
    }
    pub(crate) fn fire(&mut self, now: u64) {
        if let RState::Requested { at, due } = &mut self.state
            && *at <= now
        {
            *due = true;
        }
    }
}

impl BalloonDriver {
    /// `__page_reporting_notify`: pages were freed.
    pub(crate) fn page_reporting_notify(&mut self) {
        if !self.has(bit(VIRTIO_BALLOON_F_PAGE_REPORTING)) || !self.is_running() {
            return;
        }
        match self.report.state {
            RState::Idle => self.report.notify = true,
            RState::Active { .. } | RState::Tell { .. } => self.report.again = true,
            RState::Requested { .. } => {}
        }
    }

    pub(crate) fn report_ready(&self) -> bool {
        match &self.report.state {
            RState::Idle => self.report.notify,
            RState::Requested { due, .. } => *due,
            RState::Active { .. } => true,
            RState::Tell { tell, .. } => self.tell_ready(tell),
        }
    }

    /// Free blocks the buddy allocator would hold at order 9 and order 10.
    fn free_block_counts(&self) -> (u64, u64) {
        let map = self.mm.map();
        let blocks = self.mm.nr_pages() / BLOCK_PAGES;
        let (mut o9, mut o10) = (0, 0);
        let mut b = 0;
        while b < blocks {
            if b % BLOCKS_PER_CHUNK == 0 && b + BLOCKS_PER_CHUNK <= blocks {
                match map.chunk_uniform(b) {
                    Some(PageState::Free | PageState::Reported) => {
                        o10 += BLOCKS_PER_CHUNK / 2;
                        b += BLOCKS_PER_CHUNK;
                        continue;
                    }
                    Some(_) => {
                        b += BLOCKS_PER_CHUNK;
                        continue;
                    }
                    None => {}
                }
            }
            let full = |k: u64| {
                k < blocks && {
                    let (f, r) = map.block_counts(k);
                    f + r == BLOCK_PAGES
                }
            };
            match (full(b), full(b + 1)) {
                (true, true) => o10 += 1,
                (true, false) | (false, true) => o9 += 1,
                _ => {}
            }
            b += 2;
        }
        (o9, o10)
    }

    /// `page_reporting_cycle` over orders 9 then 10: up to 32 unreported free blocks.
    fn isolate_blocks(&self) -> Vec<(u64, u64)> {
        let map = self.mm.map();
        let blocks = self.mm.nr_pages() / BLOCK_PAGES;
        let mut out = Vec::new();
        for order10 in [false, true] {
            let mut b = 0;
            while b < blocks && out.len() < CAPACITY {
                if b % BLOCKS_PER_CHUNK == 0 && map.chunk_free(b) == 0 {
                    b += BLOCKS_PER_CHUNK;
                    continue;
                }
                let (f0, r0) = map.block_counts(b);
                let (f1, r1) = if b + 1 < blocks {
                    map.block_counts(b + 1)
                } else {
                    (0, 0)
                };
                let full0 = f0 + r0 == BLOCK_PAGES;
                let full1 = f1 + r1 == BLOCK_PAGES;
                if order10 {
                    if full0 && full1 && f0 + f1 > 0 {
                        out.push((b * BLOCK_PAGES, 2 * BLOCK_PAGES));
                    }
                } else if full0 != full1 {
                    let (k, f) = if full0 { (b, f0) } else { (b + 1, f1) };
                    if f == BLOCK_PAGES {
                        out.push((k * BLOCK_PAGES, BLOCK_PAGES));
                    }
                }
                b += 2;
            }
        }
        out
    }

    /// One step of page reporting.
    pub(crate) fn report_step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        let state = std::mem::take(&mut self.report.state);
        match state {
            RState::Idle => {
                self.report.notify = false;
                let at = self.now + DELAY_NS;
                self.report.state = RState::Requested { at, due: false };
                Ok(DriverEvent::ReportScheduled { at_ns: at })
            }
            RState::Requested { .. } => {
                let (o9, o10) = self.free_block_counts();
                let budget = (o9.div_ceil(512) + o10.div_ceil(512)).max(1) as u32;
                self.report.again = false;
                self.report_active(ram, 0, budget)
            }
            RState::Active { reports, budget } => self.report_active(ram, reports, budget),
            RState::Tell {
                mut tell,
                blocks,
                reports,
                budget,
            } => {
                let mut ev = self.tell_step(&mut tell, tr, ram)?;
                if let Stage::Done(_) = tell.stage {
                    let mut pages = Runs::default();
                    for &(f, c) in &blocks {
                        self.mm.map_mut().convert(
                            f,
                            c,
                            StateSet::one(PageState::Reporting),
                            PageState::Reported,
                        )?;
                        pages.push_up(f, c);
                    }
                    if let DriverEvent::UsedCollected { pages: p, .. } = &mut ev {
                        *p = pages;
                    }
                    self.report.state = RState::Active {
                        reports: reports + 1,
                        budget,
                    };
                } else {
                    self.report.state = RState::Tell {
                        tell,
                        blocks,
                        reports,
                        budget,
                    };
                }
                Ok(ev)
            }
        }
    }

    fn report_active(
        &mut self,
        ram: &mut impl GuestRam,
        reports: u32,
        budget: u32,
    ) -> Result<DriverEvent, Error> {
        let blocks = if reports < budget {
            self.isolate_blocks()
        } else {
            Vec::new()
        };
        if blocks.is_empty() {
            // Budget spent: PAGE_REPORTING_REQUESTED, come back after the delay.
            if reports >= budget || self.report.again {
                self.report.state = RState::Requested {
                    at: self.now + DELAY_NS,
                    due: false,
                };
            }
            self.report.again = false;
            return Ok(DriverEvent::ReportPassDone { reports });
        }
        let mut segs = Vec::with_capacity(blocks.len());
        for &(f, c) in &blocks {
            self.mm
                .map_mut()
                .convert(f, c, StateSet::ALLOCATABLE, PageState::Reporting)?;
            segs.push(Segment {
                addr: f * PAGE_SIZE,
                len: (c * PAGE_SIZE) as u32,
                writable: true,
            });
        }
        self.misbehaviour
            .hook(Site::Report { segs: &mut segs }, ram)?;
        self.report.state = RState::Tell {
            tell: Tell::new(Role::Reporting, segs, true),
            blocks: blocks.clone(),
            reports,
            budget,
        };
        Ok(DriverEvent::ReportIsolated { blocks })
    }
}
