//! The transport the guest driver talks to: virtio-pci's common configuration, forwarded to the
//! device. It borrows only the device, so a driver step can hold the transport and guest RAM at
//! the same time. Every access the device sees is logged for the trace.

use std::cell::RefCell;

use balloon_device::{BalloonDevice, DeviceEvent};
use virtq::{Backend, QueueLayout, Transport};

/// The device behind the transport, for the duration of one driver step.
#[derive(Debug)]
pub struct Bus<'a, B: Backend> {
    device: &'a mut BalloonDevice<B>,
    now_ns: u64,
    // `device_features(&self)` is a read the device logs, hence the cell.
    log: RefCell<Vec<DeviceEvent>>,
}

impl<'a, B: Backend> Bus<'a, B> {
    /// A transport over `device` at virtual time `now_ns`.
    pub fn new(device: &'a mut BalloonDevice<B>, now_ns: u64) -> Self {
        Self {
            device,
            now_ns,
            log: RefCell::new(Vec::new()),
        }
    }

    /// What the device saw, in order.
    pub fn into_log(self) -> Vec<DeviceEvent> {
        self.log.into_inner()
    }

    fn push(&self, ev: DeviceEvent) {
        self.log.borrow_mut().push(ev);
    }
}

impl<B: Backend> Transport for Bus<'_, B> {
    fn device_features(&self) -> u64 {
        self.push(self.device.read_device_features());
        self.device.device_features()
    }
    fn set_driver_features(&mut self, features: u64) {
        let ev = self.device.set_driver_features(features);
        self.push(ev);
    }
    fn status(&self) -> u8 {
        self.device.status()
    }
    fn set_status(&mut self, status: u8) {
        let ev = self.device.set_status(status);
        self.push(ev);
    }
    fn read_config(&mut self, offset: u32, data: &mut [u8]) {
        let ev = self.device.read_config(offset, data);
        self.push(ev);
    }
    fn write_config(&mut self, offset: u32, data: &[u8]) {
        let ev = self.device.write_config(offset, data, self.now_ns);
        self.push(ev);
    }
    fn num_queues(&self) -> u16 {
        self.device.num_queues()
    }
    fn queue_max_size(&self, index: u16) -> u16 {
        self.device.queue_max_size(index)
    }
    fn set_queue(&mut self, index: u16, layout: QueueLayout) {
        let ev = self.device.set_queue(index, layout);
        self.push(ev);
    }
    fn notify(&mut self, index: u16) {
        let ev = self.device.notify(index);
        self.push(ev);
    }
}
