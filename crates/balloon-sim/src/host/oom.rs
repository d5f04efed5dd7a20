//! The host kernel's OOM killer over the QEMU processes, as Linux mm/oom_kill.c does it:
//! `oom_badness()` scores each process, `select_bad_process()` takes the largest score, and
//! `__oom_kill_process()` logs the victim and kills it.

use serde::{Deserialize, Serialize};

use balloon_spec::PAGE_SIZE;

/// `TASK_COMM_LEN` is 16, so `qemu-system-x86_64` shows as its first 15 bytes.
pub const QEMU_COMM: &str = "qemu-system-x86";

/// What the OOM killer sees of one QEMU process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMemory {
    /// The process id.
    pub pid: u32,
    /// Resident anonymous pages (`MM_ANONPAGES`): QEMU's own overhead plus guest frames.
    pub rss_pages: u64,
    /// Pages of the process in swap (`MM_SWAPENTS`).
    pub swap_pages: u64,
    /// Mapped size in pages (`mm->total_vm`): guest RAM plus QEMU's own mappings.
    pub total_vm_pages: u64,
    /// `oom_score_adj` (-1000 ..= 1000; 0 unless set).
    pub oom_score_adj: i16,
}

impl ProcessMemory {
    /// `mm_pgtables_bytes()`: one 4 KiB page of PTEs maps 512 pages (x86-64), and a swapped
    /// page keeps its PTE (a swap entry). Upper levels are a rounding error and left out.
    pub fn pgtables_bytes(&self) -> u64 {
        (self.rss_pages + self.swap_pages).div_ceil(512) * PAGE_SIZE
    }

    /// `oom_badness()` (mm/oom_kill.c, Linux 6.1): `get_mm_rss() + MM_SWAPENTS +
    /// mm_pgtables_bytes() / PAGE_SIZE`, plus `oom_score_adj * (totalpages / 1000)`;
    /// `None` for an unkillable process (`oom_score_adj == OOM_SCORE_ADJ_MIN`).
    pub fn badness(&self, totalpages: u64) -> Option<i64> {
        if self.oom_score_adj <= -1000 {
            return None;
        }
        let points = self.rss_pages + self.swap_pages + self.pgtables_bytes() / PAGE_SIZE;
        let adj = i64::from(self.oom_score_adj) * i64::try_from(totalpages / 1000).unwrap_or(0);
        Some(
            i64::try_from(points)
                .unwrap_or(i64::MAX)
                .saturating_add(adj),
        )
    }

    /// The line `__oom_kill_process()` prints (mm/oom_kill.c):
    /// `"%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB,
    /// shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd"` with message
    /// "Out of memory". QEMU's memory is anonymous; file and shmem RSS are 0 here, and the
    /// process runs as root (UID 0) in this model.
    pub fn kill_line(&self) -> String {
        let k = |pages: u64| pages * (PAGE_SIZE / 1024);
        format!(
            "Out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, \
             shmem-rss:0kB, UID:0 pgtables:{}kB oom_score_adj:{}",
            self.pid,
            QEMU_COMM,
            k(self.total_vm_pages),
            k(self.rss_pages),
            self.pgtables_bytes() >> 10,
            self.oom_score_adj
        )
    }
}

/// `select_bad_process()`: the process with the largest badness. The kernel walks the tasks
/// in the order they were started (`for_each_process`) and `oom_evaluate_task()` skips only
/// `points < oc->chosen_points`, so on a tie the process started last wins; the VMs start in
/// script order. `None` when nothing may be killed.
pub fn select_victim(procs: &[(usize, ProcessMemory)], totalpages: u64) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    for (i, p) in procs {
        if let Some(points) = p.badness(totalpages)
            && best.is_none_or(|(_, b)| points >= b)
        {
            best = Some((*i, points));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, rss: u64, swap: u64, adj: i16) -> ProcessMemory {
        ProcessMemory {
            pid,
            rss_pages: rss,
            swap_pages: swap,
            total_vm_pages: 1 << 20,
            oom_score_adj: adj,
        }
    }

    #[test]
    fn badness_counts_rss_swap_and_page_tables() {
        // 1 GiB resident + 512 MiB swapped = 393216 pages mapped: 768 pages of PTEs.
        let p = proc(1, 262_144, 131_072, 0);
        assert_eq!(p.pgtables_bytes(), 768 * 4096);
        assert_eq!(p.badness(4_194_304), Some(262_144 + 131_072 + 768));
        // oom_score_adj 500 on a 16 GiB host (4194304 pages): + 500 * 4194 points.
        assert_eq!(
            proc(1, 262_144, 131_072, 500).badness(4_194_304),
            Some(393_984 + 500 * 4194)
        );
        assert_eq!(proc(1, 10, 0, -1000).badness(4_194_304), None);
    }

    #[test]
    fn the_largest_score_is_the_victim_and_ties_go_to_the_last_started() {
        let procs = [
            (0, proc(1001, 100, 0, 0)),
            (1, proc(1002, 300, 0, 0)),
            (2, proc(1003, 300, 0, 0)),
            (3, proc(1004, 299, 0, 0)),
        ];
        assert_eq!(select_victim(&procs, 1 << 20), Some(2));
        let swap_heavy = [(0, proc(1, 200, 0, 0)), (1, proc(2, 50, 200, 0))];
        assert_eq!(select_victim(&swap_heavy, 1 << 20), Some(1));
        assert_eq!(select_victim(&[(0, proc(1, 9, 0, -1000))], 1 << 20), None);
    }

    #[test]
    fn the_kill_line_reads_as_the_kernel_prints_it() {
        let p = ProcessMemory {
            pid: 1001,
            rss_pages: 1_048_576,
            swap_pages: 0,
            total_vm_pages: 2_106_368,
            oom_score_adj: 0,
        };
        assert_eq!(
            p.kill_line(),
            "Out of memory: Killed process 1001 (qemu-system-x86) total-vm:8425472kB, \
             anon-rss:4194304kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:8192kB \
             oom_score_adj:0"
        );
    }
}
