//! The host device on arbitrary guest memory and ring contents, on both queue backends.
//!
//! Each input is a machine (properties, the features the guest accepts) and a list of
//! operations a guest or the host can do: well-formed chains with arbitrary payloads, raw bytes
//! anywhere in RAM (rings included), kicks, config and status writes, monitor commands, timers,
//! resets. Both backends run the same list; their events must be identical, neither may panic,
//! and the device must settle (no work left) within a bound after every batch of steps.
#![no_main]

use arbitrary::Arbitrary;
use balloon_device::consts::{
    status,
};
use balloon_device::{BalloonDevice, BalloonProps, DeviceProfile, PrecopyNotifyReason};
use libfuzzer_sys::fuzz_target;
use virtq::driver::Segment;
use virtq::{Backend, DriverQueue, GuestRam, Portable, QueueLayout, RustVmm};

/// 64 MiB: large enough for PFNs inside and outside RAM, small enough to build per input.
const RAM: u64 = 64 << 20;
/// Rings from here, 64 KiB apart (as the device tests place them).
const RING_BASE: u64 = 0x10_0000;
/// Buffers from here.
const BUF_BASE: u64 = 0x80_0000;
/// More operations than this add nothing but time per input.
const MAX_OPS: usize = 256;
/// After a kick the device has at most a queue's worth of elements per queue to pop and push;
/// anything near this many steps without going quiet is a hang.
const SETTLE_STEPS: usize = 20_000;

#[derive(Arbitrary, Debug)]
struct Machine {
    deflate_on_oom: bool,
    free_page_hint: bool,
    page_poison: bool,
    free_page_reporting: bool,
    qemu_4_0_config_size: bool,
    polling_interval: u8,
    features: u64,
}

#[derive(Arbitrary, Debug)]
struct Seg {
    offset: u16,
    len: u16,
    writable: bool,
    data: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// A chain written the way Linux's virtqueue_add writes it, with arbitrary payloads.
    Buffer {
        q: u8,
        segs: Vec<Seg>,
        indirect: bool,
    },
    /// Raw bytes anywhere in guest RAM (descriptor tables, rings, PFN arrays, past the end).
    Poke {
        addr: u32,
        bytes: Vec<u8>,
    },
    /// A raw avail.idx, whatever the driver published.
    AvailIdx {
        q: u8,
        idx: u16,
    },
    Notify(u8),
    /// Up to this many device steps.
    Steps(u16),
    ConfigWrite {
        offset: u8,
        data: Vec<u8>,
    },
    ConfigRead {
        offset: u8,
        len: u8,
    },
    Status(u8),
    Features(u64),
    Balloon(i64),
    PollInterval(i64),
    Precopy(u8),
    /// Virtual time passes; due timers fire.
    Time(u32),
    /// Machine reset and a new probe (handshake, queues, DRIVER_OK).
    Reset,
    /// The guest reaps used elements.
    Reap(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    machine: Machine,
    ops: Vec<Op>,
}

struct Guest<B: Backend> {
    ram: B::Ram,
    dev: BalloonDevice<B>,
    qs: Vec<DriverQueue>,
    now: u64,
    log: Vec<String>,
}

impl<B: Backend> Guest<B> {
    fn new(m: &Machine) -> Self {
        let props = BalloonProps {
            deflate_on_oom: m.deflate_on_oom,
            free_page_hint: m.free_page_hint,
            page_poison: m.page_poison,
            free_page_reporting: m.free_page_reporting,
            qemu_4_0_config_size: m.qemu_4_0_config_size,
            iothread: m.free_page_hint,
            guest_stats_polling_interval: u32::from(m.polling_interval % 4),
        };
        let mut dev = BalloonDevice::<B>::new(DeviceProfile::qemu(), props, RAM, 4096)
            .expect("a 64 MiB QEMU balloon realizes");
        while dev.init_step().is_some() {}
        let ram = B::new_ram(RAM).expect("64 MiB of guest RAM");
        let mut g = Self {
            ram,
            dev,
            qs: Vec::new(),
            now: 0,
            log: Vec::new(),
        };
        g.probe(m.features);
        g
    }

    /// virtio_dev_probe + virtballoon_probe, reduced to what the device sees.
    fn probe(&mut self, features: u64) {
        let mut log = vec![
            self.dev.set_status(0),
            self.dev.set_status(status::ACKNOWLEDGE),
            self.dev.set_status(status::ACKNOWLEDGE | status::DRIVER),
        ];
        let offered = self.dev.device_features();
        log.push(self.dev.set_driver_features(offered & features));
        log.push(
            self.dev
                .set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK),
        );
        let event_idx = self.dev.driver_features() & (1 << 29) != 0;
        self.qs.clear();
        for i in 0..self.dev.num_queues() {
            let size = self.dev.queue_max_size(i).max(1);
            let layout = QueueLayout::contiguous(RING_BASE + u64::from(i) * 0x1_0000, size);
            let q = DriverQueue::new(&mut self.ram, layout, event_idx)
                .expect("the ring area is inside RAM");
            self.qs.push(q);
            log.push(self.dev.set_queue(i, layout));
        }
        log.push(self.dev.set_status(
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK,
        ));
        self.log.extend(log.iter().map(|e| format!("{e:?}")));
    }

    fn queue(&self, q: u8) -> Option<u16> {
        let n = self.qs.len();
        (n > 0).then(|| u16::from(q) % n as u16)
    }

    /// One device step. A step that breaks the device must say so in the status at once
    /// (virtio_error: NEEDS_RESET, with VERSION_1 only); the guest may overwrite the status later, as in QEMU.
    fn step(&mut self) -> bool {
        let was_broken = self.dev.is_broken();
        let Some(e) = self.dev.step(&mut self.ram, self.now) else {
            return false;
        };
        let version_1 = self.dev.driver_features() & (1 << 32) != 0;
        if self.dev.is_broken() && !was_broken && version_1 {
            assert!(self.dev.status() & status::DEVICE_NEEDS_RESET != 0, "{e:?}");
        }
        self.log.push(format!("{e:?}"));
        true
    }

    fn steps(&mut self, n: usize) {
        for _ in 0..n {
            if !self.step() {
                break;
            }
        }
    }

    fn settle(&mut self) {
        let mut n = 0;
        while self.dev.has_work() && self.step() {
            n += 1;
            assert!(n < SETTLE_STEPS, "the device does not settle");
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Buffer { q, segs, indirect } => {
                let Some(q) = self.queue(*q) else { return };
                let segs: Vec<Segment> = segs
                    .iter()
                    .take(8)
                    .enumerate()
                    .map(|(i, s)| {
                        let addr = BUF_BASE + (i as u64) * 0x1_0000 + u64::from(s.offset);
                        let data = &s.data[..s.data.len().min(usize::from(s.len))];
                        let w = self.ram.write(addr, data);
                        self.log.push(format!("write {w:?}"));
                        Segment {
                            addr,
                            len: u32::from(s.len),
                            writable: s.writable,
                        }
                    })
                    .collect();
                let table = indirect.then_some(BUF_BASE + 0x10_0000);
                let dq = &mut self.qs[usize::from(q)];
                let r = dq.add_buf(&mut self.ram, &segs, table).and_then(|head| {
                    dq.publish(&mut self.ram, head)?;
                    dq.kick_needed(&mut self.ram)
                });
                self.log.push(format!("add_buf {r:?}"));
                if matches!(r, Ok(true)) {
                    let e = self.dev.notify(q);
                    self.log.push(format!("{e:?}"));
                }
            }
            Op::Poke { addr, bytes } => {
                let addr = u64::from(*addr) % (RAM + 0x1000);
                let r = self.ram.write(addr, &bytes[..bytes.len().min(4096)]);
                self.log.push(format!("poke {r:?}"));
            }
            Op::AvailIdx { q, idx } => {
                let Some(q) = self.queue(*q) else { return };
                let l = self.qs[usize::from(q)].layout();
                let r = l
                    .avail_idx_addr()
                    .map_err(|e| e.to_string())
                    .and_then(|a| self.ram.write_u16(a, *idx).map_err(|e| e.to_string()));
                self.log.push(format!("avail.idx {r:?}"));
            }
            Op::Notify(q) => {
                let e = self.dev.notify(u16::from(*q % 8));
                self.log.push(format!("{e:?}"));
            }
            Op::Steps(n) => self.steps(usize::from(*n)),
            Op::ConfigWrite { offset, data } => {
                let e = self.dev.write_config(
                    u32::from(*offset % 48),
                    &data[..data.len().min(16)],
                    self.now,
                );
                self.log.push(format!("{e:?}"));
            }
            Op::ConfigRead { offset, len } => {
                let mut b = vec![0u8; usize::from(*len % 16)];
                let e = self.dev.read_config(u32::from(*offset % 48), &mut b);
                self.log.push(format!("{e:?} {b:?}"));
            }
            Op::Status(s) => {
                let e = self.dev.set_status(*s);
                self.log.push(format!("{e:?}"));
            }
            Op::Features(f) => {
                let e = self.dev.set_driver_features(*f);
                self.log.push(format!("{e:?}"));
            }
            Op::Balloon(v) => {
                let r = self.dev.balloon(*v);
                self.log.push(format!("{r:?}"));
            }
            Op::PollInterval(v) => {
                let r = self.dev.qom_set_polling_interval(*v, self.now);
                self.log.push(format!("{r:?}"));
            }
            Op::Precopy(r) => {
                let reason = match r % 5 {
                    0 => PrecopyNotifyReason::Setup,
                    1 => PrecopyNotifyReason::BeforeBitmapSync,
                    2 => PrecopyNotifyReason::AfterBitmapSync { vm_running: true },
                    3 => PrecopyNotifyReason::AfterBitmapSync { vm_running: false },
                    _ => PrecopyNotifyReason::Complete,
                };
                let e = self.dev.precopy_notify(reason);
                self.log.push(format!("{e:?}"));
            }
            Op::Time(dt) => {
                self.now = self.now.saturating_add(u64::from(*dt) * 1000);
                // Each firing re-arms at a later time at most; a few rounds cover the window.
                for _ in 0..8 {
                    match self.dev.next_timer() {
                        Some(t) if t <= self.now => {
                            let e = self.dev.fire_timer(self.now);
                            self.log.push(format!("{e:?}"));
                        }
                        _ => break,
                    }
                }
            }
            Op::Reset => {
                self.dev.system_reset();
                let features = self.dev.driver_features();
                self.probe(features);
            }
            Op::Reap(q) => {
                let Some(q) = self.queue(*q) else { return };
                let r = self.qs[usize::from(q)].get_used(&mut self.ram);
                self.log.push(format!("get_used {r:?}"));
            }
        }
        let irqs = self.dev.take_interrupts();
        if !irqs.is_empty() {
            self.log.push(format!("{irqs:?}"));
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.settle();
        let status = self.dev.status();
        let mem = self.dev.memory();
        assert!(mem.discarded_frames() <= mem.frames());
        self.log.push(format!(
            "status {status:#x} broken {} discarded {} config {:?}",
            self.dev.is_broken(),
            mem.discarded_frames(),
            self.dev.config()
        ));
        self.log
    }
}

fn run<B: Backend>(input: &Input) -> Vec<String> {
    let mut g = Guest::<B>::new(&input.machine);
    for op in input.ops.iter().take(MAX_OPS) {
        g.apply(op);
    }
    g.finish()
}

fuzz_target!(|input: Input| {
    let portable = run::<Portable>(&input);
    let rust_vmm = run::<RustVmm>(&input);
    if portable != rust_vmm {
        let at = portable
            .iter()
            .zip(&rust_vmm)
            .position(|(a, b)| a != b)
            .unwrap_or(portable.len().min(rust_vmm.len()));
        panic!(
            "the backends differ at entry {at}:\n portable: {:?}\n rust-vmm: {:?}",
            portable.get(at),
            rust_vmm.get(at)
        );
    }
});
