//! The virtio-balloon vocabulary, defined once for the device, the driver, the simulation and
//! the page: feature and status bits (taken from the `virtio-spec` crate, so the numbers are
//! the spec's), the config space layout, the balloon page size and PFN runs.
//!
//! Names follow the VIRTIO 1.2 spec (§5.5 "Traditional Memory Balloon Device") and Linux's
//! `include/uapi/linux/virtio_balloon.h`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod features;
pub mod runs;
pub mod static_name;
pub mod status;

pub use features::{bit, feature_name, feature_names};
pub use runs::{PfnRun, fold_pfns};

/// `VIRTIO_BALLOON_PFN_SHIFT`: the balloon's PFNs are always in 4 KiB units, whatever the
/// guest's page size (spec §5.5.6; Linux `virtio_balloon.h`).
pub const VIRTIO_BALLOON_PFN_SHIFT: u32 = 12;

/// Bytes in one balloon page (QEMU `BALLOON_PAGE_SIZE`). The modelled guest is x86 with
/// 4 KiB pages, so one guest page is one balloon page (Linux `VIRTIO_BALLOON_PAGES_PER_PAGE`
/// = 1), and this is the guest's page size too.
pub const PAGE_SIZE: u64 = 1 << VIRTIO_BALLOON_PFN_SHIFT;
