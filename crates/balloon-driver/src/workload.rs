//! Guest workloads: what applications and the kernel do to memory, one action per step.

use crate::driver::BalloonDriver;
use crate::event::DriverEvent;
use crate::features::{VIRTIO_BALLOON_F_DEFLATE_ON_OOM, bit};
use crate::misbehave::Misbehaviour;
use crate::mm::{Alloc, Reclaim};

/// Pages in a MiB.
pub const MIB_PAGES: u64 = 256;

/// One thing the guest does to its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Workload {
    /// An application allocates and touches this many pages.
    Alloc {
        /// Pages still to allocate.
        pages: u64,
    },
    /// The application frees this many pages.
    Free {
        /// Pages.
        pages: u64,
    },
    /// The application touches this many of its pages (swapped ones fault back in).
    Touch {
        /// Pages.
        pages: u64,
    },
    /// File reads grow the page cache.
    ReadFile {
        /// Pages.
        pages: u64,
    },
    /// `echo 1 > /proc/sys/vm/drop_caches`.
    DropCaches,
    /// Grow the hugetlb pool.
    HugePages {
        /// 2 MiB pages.
        count: u64,
    },
    /// A pressure ramp: `step` pages per step until `left` is allocated.
    Ramp {
        /// Pages per step.
        step: u64,
        /// Pages still to allocate.
        left: u64,
    },
    /// Compaction migrates one balloon page.
    Compact,
}

/// What the workload does, in words (for sentences: never the variant's Debug name).
impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Workload::Alloc { pages } => write!(f, "an application allocates {pages} pages"),
            Workload::Free { pages } => write!(f, "the application frees {pages} pages"),
            Workload::Touch { pages } => write!(f, "the application touches {pages} of its pages"),
            Workload::ReadFile { pages } => {
                write!(f, "file reads add {pages} pages to the page cache")
            }
            Workload::DropCaches => f.write_str("echo 1 > /proc/sys/vm/drop_caches"),
            Workload::HugePages { count } => {
                write!(f, "the hugetlb pool grows by {count} 2 MiB pages")
            }
            Workload::Ramp { step, left } => {
                write!(
                    f,
                    "a pressure ramp allocates {left} pages, {step} at a time"
                )
            }
            Workload::Compact => f.write_str("compaction migrates one balloon page"),
        }
    }
}

fn said(what: String, pages: u64, reclaim: Reclaim) -> Option<DriverEvent> {
    Some(DriverEvent::Workload {
        what,
        pages,
        reclaim,
    })
}

impl BalloonDriver {
    /// Queues a workload; it runs in later steps.
    pub fn run(&mut self, w: Workload) {
        self.workloads.push_back(w);
    }
    /// Queues an allocation of `mib` MiB.
    pub fn alloc_mib(&mut self, mib: u64) {
        self.run(Workload::Alloc {
            pages: mib * MIB_PAGES,
        });
    }
    /// Queues a free of `mib` MiB.
    pub fn free_mib(&mut self, mib: u64) {
        self.run(Workload::Free {
            pages: mib * MIB_PAGES,
        });
    }
    /// Workloads not yet finished.
    pub fn workloads(&self) -> impl Iterator<Item = &Workload> {
        self.workloads.iter()
    }
    /// Makes the next inflate message break a rule (malformed-input scenarios).
    pub fn set_misbehaviour(&mut self, m: Option<Misbehaviour>) {
        self.misbehaviour.set(m);
    }

    pub(crate) fn workload_ready(&self) -> bool {
        !self.workloads.is_empty() && (!self.workload_blocked || self.balloon.oom_result.is_some())
    }

    /// An allocation came up short: the OOM path (notifier first if DEFLATE_ON_OOM).
    fn out_of_memory(&mut self) {
        self.workload_blocked = true;
        if self.has(bit(VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) {
            self.balloon.oom_pending = true;
        } else {
            self.balloon.oom_result = Some(0);
        }
    }

    fn alloc_step(&mut self, a: Alloc, left: u64, what: &str) -> (bool, Option<DriverEvent>) {
        let got = a.got();
        if got < left {
            self.out_of_memory();
            let s = format!(
                "{what}: got {got} of {left} pages; the allocator is out of memory and calls out_of_memory()."
            );
            (false, said(s, got, a.reclaim))
        } else {
            (
                true,
                said(
                    format!("{what}: allocated and touched {got} pages."),
                    got,
                    a.reclaim,
                ),
            )
        }
    }

    pub(crate) fn workload_step(&mut self) -> Option<DriverEvent> {
        if self.workload_blocked {
            self.workload_blocked = false;
            if self.balloon.oom_result.take() == Some(0) {
                // Nothing came back from the notifiers: the OOM killer picks the workload.
                let freed = self.mm.oom_kill();
                self.workloads.pop_front();
                self.page_reporting_notify();
                return Some(DriverEvent::OomKill { freed });
            }
        }
        let w = *self.workloads.front()?;
        let (done, ev) = match w {
            Workload::Alloc { pages } => {
                let a = self.mm.alloc_app(pages);
                let got = a.got();
                let r = self.alloc_step(a, pages, "The application");
                if let Some(Workload::Alloc { pages: p }) = self.workloads.front_mut() {
                    *p -= got;
                }
                r
            }
            Workload::Ramp { step, left } => {
                let want = step.min(left);
                let a = self.mm.alloc_app(want);
                let got = a.got();
                let (_, ev) = self.alloc_step(a, want, "The pressure ramp");
                if let Some(Workload::Ramp { left: l, .. }) = self.workloads.front_mut() {
                    *l -= got;
                }
                (left == got, ev)
            }
            Workload::Touch { pages } => {
                let a = self.mm.touch_app(pages);
                let wanted = a.wanted;
                let got = a.got();
                if got < wanted {
                    self.out_of_memory();
                }
                let s = format!(
                    "The application touched {pages} pages: {got} of {wanted} swapped-out pages faulted back in."
                );
                (got == wanted, said(s, got, a.reclaim))
            }
            Workload::Free { pages } => {
                let n = self.mm.free_app(pages);
                self.page_reporting_notify();
                (
                    true,
                    said(
                        format!("The application freed {n} pages."),
                        n,
                        Reclaim::default(),
                    ),
                )
            }
            Workload::ReadFile { pages } => {
                let n = self.mm.read_file(pages);
                (
                    true,
                    said(
                        format!("File reads put {n} of {pages} pages in the page cache."),
                        n,
                        Reclaim::default(),
                    ),
                )
            }
            Workload::DropCaches => {
                let n = self.mm.drop_caches();
                self.page_reporting_notify();
                (
                    true,
                    said(
                        format!("drop_caches freed {n} page cache pages."),
                        n,
                        Reclaim::default(),
                    ),
                )
            }
            Workload::HugePages { count } => {
                let n = self.mm.alloc_hugepages(count);
                (
                    true,
                    said(
                        format!("The hugetlb pool grew by {n} of {count} huge pages."),
                        n * 512,
                        Reclaim::default(),
                    ),
                )
            }
            Workload::Compact => {
                self.balloon.migrate_pending = true;
                (
                    true,
                    said(
                        "kcompactd asks to migrate a balloon page.".into(),
                        0,
                        Reclaim::default(),
                    ),
                )
            }
        };
        if done {
            self.workloads.pop_front();
        }
        ev
    }
}
