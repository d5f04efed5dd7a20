//! `struct virtio_balloon_config` (VIRTIO 1.2 §5.5.4) as the device answers config reads:
//! QEMU `virtio_balloon_get_config` fills the image and the generic accessors copy from it.
//! The whole config size is shown: QEMU 8, 12 or 16 bytes per the features it offers, and
//! crosvm's 20 (its `virtio_balloon_config` adds `ws_num_bins` and 3 reserved bytes).

use balloon_device::BalloonDevice;
use balloon_device::config::WS_NUM_BINS;
use balloon_spec::config::{ACTUAL, FREE_PAGE_HINT_CMD_ID, NUM_PAGES, POISON_VAL};
use virtq::Backend;

use super::field::ByteField;
use super::{ByteRegion, RegionKind, Space};

/// The config space region.
pub(super) fn region<B: Backend>(device: &BalloonDevice<B>) -> ByteRegion {
    let bytes = device.config_image();
    let size = bytes.len();
    let named = [
        (
            NUM_PAGES,
            4,
            "num_pages",
            "target balloon size in 4 KiB pages",
        ),
        (
            ACTUAL,
            4,
            "actual",
            "balloon size the driver reports, in 4 KiB pages",
        ),
        (
            FREE_PAGE_HINT_CMD_ID,
            4,
            "free_page_hint_cmd_id",
            "the hinting round: 0 STOP, 1 DONE, else the id",
        ),
        (
            POISON_VAL,
            4,
            "poison_val",
            "the guest's page poison pattern",
        ),
        (
            WS_NUM_BINS,
            1,
            "ws_num_bins",
            "crosvm: working-set bins the device reports",
        ),
        (WS_NUM_BINS + 1, 3, "_reserved", "crosvm: reserved, zero"),
    ];
    let fields = named
        .into_iter()
        .filter_map(|(off, len, name, what)| {
            ByteField::read(&bytes, off, len, name.to_owned(), None).map(|f| {
                let m = format!("{} ({what})", f.value);
                f.means(m)
            })
        })
        .collect();
    ByteRegion {
        kind: RegionKind::Config,
        queue: None,
        title: format!("config space ({size} bytes)"),
        space: Space::Config,
        addr: 0,
        bytes,
        fields,
        note: None,
    }
}
