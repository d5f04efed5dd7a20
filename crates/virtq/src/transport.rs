//! What the guest driver sees of a virtio device: the transport (virtio-pci / virtio-mmio
//! common configuration), reduced to what the balloon uses. The simulation implements it by
//! forwarding to the device model.

use crate::layout::QueueLayout;

/// The driver's window on the device.
pub trait Transport {
    /// The device's feature bits (all 64).
    fn device_features(&self) -> u64;
    /// Writes the features the driver accepts.
    fn set_driver_features(&mut self, features: u64);
    /// Reads the device status byte.
    fn status(&self) -> u8;
    /// Writes the device status byte (0 resets the device).
    fn set_status(&mut self, status: u8);
    /// Reads device config space at `offset` (little-endian for the balloon, even legacy).
    fn read_config(&mut self, offset: u32, data: &mut [u8]);
    /// Writes device config space at `offset`.
    fn write_config(&mut self, offset: u32, data: &[u8]);
    /// How many queues the device has.
    fn num_queues(&self) -> u16;
    /// The maximum size of queue `index` (0 if absent).
    fn queue_max_size(&self, index: u16) -> u16;
    /// Tells the device where queue `index` lives and enables it.
    fn set_queue(&mut self, index: u16, layout: QueueLayout);
    /// Kicks queue `index` (the notify register write).
    fn notify(&mut self, index: u16);
}
