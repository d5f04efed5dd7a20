//! Device status bits (spec §2.1), as `virtio-spec`'s `DeviceStatus` defines them.

use virtio_spec::DeviceStatus;

/// ACKNOWLEDGE: the guest found the device.
pub const ACKNOWLEDGE: u8 = DeviceStatus::ACKNOWLEDGE.bits();
/// DRIVER: the guest knows how to drive it.
pub const DRIVER: u8 = DeviceStatus::DRIVER.bits();
/// DRIVER_OK: the driver is ready.
pub const DRIVER_OK: u8 = DeviceStatus::DRIVER_OK.bits();
/// FEATURES_OK: feature negotiation is complete.
pub const FEATURES_OK: u8 = DeviceStatus::FEATURES_OK.bits();
/// DEVICE_NEEDS_RESET: the device hit an error it cannot recover from.
pub const DEVICE_NEEDS_RESET: u8 = DeviceStatus::DEVICE_NEEDS_RESET.bits();
/// FAILED: the guest gave up on the device.
pub const FAILED: u8 = DeviceStatus::FAILED.bits();

/// The bits in the order a driver sets them, with their spec names.
pub const BITS: [(u8, &str); 6] = [
    (ACKNOWLEDGE, "ACKNOWLEDGE"),
    (DRIVER, "DRIVER"),
    (FEATURES_OK, "FEATURES_OK"),
    (DRIVER_OK, "DRIVER_OK"),
    (DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET"),
    (FAILED, "FAILED"),
];

/// The names of the set status bits joined with `|` ("0 (reset)" when empty).
pub fn names(status: u8) -> String {
    let names: Vec<&str> = BITS
        .iter()
        .filter(|(b, _)| status & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "0 (reset)".to_string()
    } else {
        names.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Linux include/uapi/linux/virtio_config.h: VIRTIO_CONFIG_S_*.
    #[test]
    fn values_are_the_uapi_header() {
        assert_eq!(
            [
                ACKNOWLEDGE,
                DRIVER,
                DRIVER_OK,
                FEATURES_OK,
                DEVICE_NEEDS_RESET,
                FAILED
            ],
            [1, 2, 4, 8, 0x40, 0x80]
        );
        assert_eq!(names(0), "0 (reset)");
        assert_eq!(names(1 | 2 | 8), "ACKNOWLEDGE|DRIVER|FEATURES_OK");
    }
}
