//! A hand-driven guest for the device tests: rings written with `virtq::DriverQueue`, the
//! transport called directly, every device step collected.
#![allow(dead_code)]

use balloon_device::consts::status;
use balloon_device::{BalloonDevice, BalloonProps, DeviceEvent, DeviceProfile, Interrupt};
use virtq::driver::Segment;
use virtq::{Backend, DriverQueue, GuestRam, QueueLayout};

/// 1 GiB guest.
pub const RAM: u64 = 1 << 30;
/// Rings live from here, 64 KiB apart.
pub const RING_BASE: u64 = 0x10_0000;
/// Scratch buffers (PFN arrays, stats, cmd ids) live from here.
pub const BUF_BASE: u64 = 0x80_0000;

pub struct Guest<B: Backend> {
    pub ram: B::Ram,
    pub dev: BalloonDevice<B>,
    pub qs: Vec<DriverQueue>,
    pub now: u64,
    pub log: Vec<String>,
}

impl<B: Backend> Guest<B> {
    /// Realizes the device (every init step) without a driver.
    pub fn realize(props: BalloonProps) -> (Self, Vec<DeviceEvent>) {
        Self::realize_on(props, 4096)
    }

    /// Realizes the device on host pages of `host_page` bytes.
    pub fn realize_on(props: BalloonProps, host_page: u64) -> (Self, Vec<DeviceEvent>) {
        Self::realize_profile(DeviceProfile::qemu(), props, host_page)
    }

    /// Realizes a device of `profile` on host pages of `host_page` bytes.
    pub fn realize_profile(
        profile: DeviceProfile,
        props: BalloonProps,
        host_page: u64,
    ) -> (Self, Vec<DeviceEvent>) {
        let mut dev = BalloonDevice::<B>::new(profile, props, RAM, host_page).unwrap();
        let mut init = Vec::new();
        while let Some(e) = dev.init_step() {
            init.push(e);
        }
        let ram = B::new_ram(RAM).unwrap();
        let g = Self {
            ram,
            dev,
            qs: Vec::new(),
            now: 0,
            log: Vec::new(),
        };
        (g, init)
    }

    /// Realize plus the driver's handshake accepting `features` (masked with the offer), every
    /// queue placed, DRIVER_OK.
    /// The guest has written all of its RAM (so every frame is resident on the host and a
    /// discard's effect on the resident size is the number of frames it drops).
    pub fn boot(props: BalloonProps, features: u64) -> Self {
        Self::boot_writing(props, |offered| offered & features)
    }

    /// Like `boot`, but the driver writes `write(offered)` as its features, offered or not.
    pub fn boot_writing(props: BalloonProps, write: impl FnOnce(u64) -> u64) -> Self {
        Self::boot_on(props, 4096, write)
    }

    /// `boot_writing` on host pages of `host_page` bytes.
    pub fn boot_on(props: BalloonProps, host_page: u64, write: impl FnOnce(u64) -> u64) -> Self {
        Self::boot_profile(DeviceProfile::qemu(), props, host_page, write)
    }

    /// `boot_on` for a device of `profile`.
    pub fn boot_profile(
        profile: DeviceProfile,
        props: BalloonProps,
        host_page: u64,
        write: impl FnOnce(u64) -> u64,
    ) -> Self {
        let (mut g, _) = Self::realize_profile(profile, props, host_page);
        let frames = g.dev.memory().frames();
        g.dev.memory_mut().touch(0, frames);
        g.dev.set_status(status::ACKNOWLEDGE);
        g.dev.set_status(status::ACKNOWLEDGE | status::DRIVER);
        let offered = g.dev.device_features();
        g.dev.set_driver_features(write(offered));
        g.dev
            .set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
        let event_idx = g.dev.driver_features() & (1 << 29) != 0;
        for i in 0..g.dev.num_queues() {
            let size = g.dev.queue_max_size(i);
            let layout = QueueLayout::contiguous(RING_BASE + u64::from(i) * 0x1_0000, size);
            g.qs.push(DriverQueue::new(&mut g.ram, layout, event_idx).unwrap());
            g.dev.set_queue(i, layout);
        }
        g
    }

    pub fn driver_ok(&mut self) {
        self.dev.set_status(
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK,
        );
    }

    /// Adds one buffer on queue `q`, publishes it and kicks if the device wants it.
    pub fn send(&mut self, q: u16, segs: &[Segment]) -> u16 {
        let dq = &mut self.qs[usize::from(q)];
        let head = dq.add_buf(&mut self.ram, segs, None).unwrap();
        dq.publish(&mut self.ram, head).unwrap();
        if dq.kick_needed(&mut self.ram).unwrap() {
            self.dev.notify(q);
        }
        head
    }

    /// Runs the device until it has nothing to do; returns the events.
    pub fn run(&mut self) -> Vec<DeviceEvent> {
        let mut out = Vec::new();
        while self.dev.has_work() {
            match self.dev.step(&mut self.ram, self.now) {
                Some(e) => {
                    self.log.push(e.sentence());
                    out.push(e);
                }
                None => break,
            }
            assert!(out.len() < 10_000, "device does not settle");
        }
        out
    }

    pub fn interrupts(&mut self) -> Vec<Interrupt> {
        self.dev.take_interrupts()
    }

    /// Writes le32 PFNs at `addr`, returns the readable segment.
    pub fn pfn_buffer(&mut self, addr: u64, pfns: &[u32]) -> Segment {
        let bytes: Vec<u8> = pfns.iter().flat_map(|p| p.to_le_bytes()).collect();
        self.ram.write(addr, &bytes).unwrap();
        Segment {
            addr,
            len: bytes.len() as u32,
            writable: false,
        }
    }

    pub fn config_bytes(&mut self) -> Vec<u8> {
        let mut b = vec![0u8; self.dev.config_size()];
        self.dev.read_config(0, &mut b);
        b
    }

    pub fn write_actual(&mut self, actual: u32) -> DeviceEvent {
        self.dev.write_config(4, &actual.to_le_bytes(), self.now)
    }

    /// Publishes, on queue 0, descriptor 0 as a 4-byte buffer at `BUF_BASE` whose `next` is
    /// itself (NEXT set), and kicks: a looping chain (catalogue row 11).
    pub fn send_looping_chain(&mut self) {
        let l = self.qs[0].layout();
        let d = virtq::Descriptor {
            addr: BUF_BASE,
            len: 4,
            flags: virtq::layout::VIRTQ_DESC_F_NEXT,
            next: 0,
        };
        self.ram
            .write(l.desc_addr(0).unwrap(), &d.to_bytes())
            .unwrap();
        self.ram
            .write_u16(l.avail_entry_addr(0).unwrap(), 0)
            .unwrap();
        self.ram.write_u16(l.avail_idx_addr().unwrap(), 1).unwrap();
        self.dev.notify(0);
    }

    pub fn used_idx(&self, q: u16) -> u16 {
        let l = self.qs[usize::from(q)].layout();
        self.ram.read_u16(l.used_idx_addr().unwrap()).unwrap()
    }

    pub fn avail_idx(&self, q: u16) -> u16 {
        let l = self.qs[usize::from(q)].layout();
        self.ram.read_u16(l.avail_idx_addr().unwrap()).unwrap()
    }

    pub fn used_elem(&self, q: u16, slot: u16) -> (u32, u32) {
        let l = self.qs[usize::from(q)].layout();
        let a = l.used_elem_addr(slot % l.size).unwrap();
        (
            self.ram.read_u32(a).unwrap(),
            self.ram.read_u32(a + 4).unwrap(),
        )
    }
}

pub fn readable(addr: u64, len: u32) -> Segment {
    Segment {
        addr,
        len,
        writable: false,
    }
}

pub fn writable(addr: u64, len: u32) -> Segment {
    Segment {
        addr,
        len,
        writable: true,
    }
}

/// Runs each generic test function on the portable backend and, natively, on rust-vmm's.
#[allow(unused_macros)]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod portable {
            $(#[test] fn $name() { super::$name::<virtq::Portable>(); })*
        }
        #[cfg(not(target_arch = "wasm32"))]
        mod rust_vmm {
            $(#[test] fn $name() { super::$name::<virtq::RustVmm>(); })*
        }
    };
}
