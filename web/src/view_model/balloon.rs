//! The balloon picture's numbers.

use balloon_sim::Session;
use balloon_sim::view::BalloonView;

/// The numbers the balloon picture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalloonModel {
    /// Guest RAM in balloon pages.
    pub ram_pages: u64,
    /// Config `num_pages`: what the host asks for.
    pub num_pages: u32,
    /// Config `actual`: what the guest reported.
    pub actual: u32,
    /// The host's resident size of guest RAM in bytes (frames the guest has written).
    pub host_resident_bytes: u64,
    /// The VMM process's own resident memory besides guest RAM.
    pub vmm_overhead_bytes: u64,
    /// What the balloon and free page reporting took back from the host's resident memory.
    pub saved_bytes: u64,
}

impl BalloonModel {
    /// From the session's balloon view.
    pub fn from_session(s: &Session) -> Self {
        Self::from_view(&s.balloon())
    }
    /// From one world's balloon view (a VM on a host).
    pub fn from_view(b: &BalloonView) -> Self {
        Self {
            ram_pages: b.ram_pages(),
            num_pages: b.num_pages,
            actual: b.actual,
            host_resident_bytes: b.host_resident_bytes,
            vmm_overhead_bytes: b.vmm_overhead_bytes,
            saved_bytes: b.saved_bytes,
        }
    }
    /// `actual` as a share of guest RAM, 0.0..=1.0.
    pub fn actual_fill(&self) -> f64 {
        share(u64::from(self.actual), self.ram_pages)
    }
    /// `num_pages` as a share of guest RAM, 0.0..=1.0.
    pub fn target_fill(&self) -> f64 {
        share(u64::from(self.num_pages), self.ram_pages)
    }
    /// Guest RAM minus the balloon, in pages.
    pub fn usable_pages(&self) -> u64 {
        self.ram_pages.saturating_sub(u64::from(self.actual))
    }
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}
