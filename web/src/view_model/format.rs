//! Numbers as the panels print them.

use super::Fixed;
use balloon_sim::view::{PAGE_SIZE, PfnRun};

/// `pages` balloon pages in MiB, with one decimal when not whole ("512 MiB", "0.5 MiB").
pub fn format_mib(pages: u64) -> String {
    let bytes = pages.saturating_mul(PAGE_SIZE);
    format_bytes_mib(bytes)
}

/// Bytes in MiB, with one decimal when not whole.
pub fn format_bytes_mib(bytes: u64) -> String {
    let mib = 1u64 << 20;
    if bytes.is_multiple_of(mib) {
        format!("{} MiB", bytes / mib)
    } else {
        format!("{} MiB", Fixed(bytes as f64 / mib as f64, 1))
    }
}

/// A PFN run as the ring panels print it: `0x1a000–0x1a0ff (256 pages)`.
pub fn format_pfn_range(r: PfnRun) -> String {
    match r.count {
        0 => format!("{:#x} (0 pages)", r.first),
        1 => format!("{:#x} (1 page)", r.first),
        n => format!(
            "{:#x}–{:#x} ({n} pages)",
            r.first,
            r.first.saturating_add(n - 1)
        ),
    }
}

/// Descriptor flags by name (`NEXT|WRITE`), "0" when none (the byte view's own spelling).
pub fn format_desc_flags(flags: u16) -> String {
    balloon_sim::view::bytes::desc_flags_text(flags)
}
