//! `struct virtio_balloon_config` (VIRTIO 1.2 §5.5.4) as the device answers config reads:
//! QEMU `virtio_balloon_get_config` fills the image and the generic accessors copy from it.
//! Only the device's config size is shown (8, 12 or 16 bytes, per the features it offers).

use balloon_device::BalloonDevice;
use balloon_spec::config::{ACTUAL, FREE_PAGE_HINT_CMD_ID, NUM_PAGES, POISON_VAL};
use virtq::Backend;

use super::field::ByteField;
use super::{ByteRegion, RegionKind, Space};

/// The config space region.
pub(super) fn region<B: Backend>(device: &BalloonDevice<B>) -> ByteRegion {
    let image = device.config().to_bytes();
    let size = device.config_size().min(image.len());
    let bytes = image[..size].to_vec();
    let named = [
        (NUM_PAGES, "num_pages", "target balloon size in 4 KiB pages"),
        (
            ACTUAL,
            "actual",
            "balloon size the driver reports, in 4 KiB pages",
        ),
        (
            FREE_PAGE_HINT_CMD_ID,
            "free_page_hint_cmd_id",
            "the hinting round: 0 STOP, 1 DONE, else the id",
        ),
        (POISON_VAL, "poison_val", "the guest's page poison pattern"),
    ];
    let fields = named
        .into_iter()
        .filter_map(|(off, name, what)| {
            ByteField::read(&bytes, off, 4, name.to_owned(), None).map(|f| {
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
        note: (device.config_size() > image.len()).then(|| {
            format!(
                "the device's config is {} bytes; the fields past {} are the profile's",
                device.config_size(),
                image.len()
            )
        }),
    }
}
