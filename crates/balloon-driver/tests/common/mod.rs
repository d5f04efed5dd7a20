//! A scripted device side: implements `virtq::Transport`, pops and acks the driver's rings
//! with virtq's `PortableQueue`, and records what it saw in order.
#![allow(dead_code)]

use balloon_driver::features::{Role, queue_indices, status};
use balloon_driver::{BalloonDriver, DriverEvent};
use virtq::{
    DescriptorChain, DeviceQueue, GuestRam, PortableQueue, QueueLayout, SparseRam, Transport,
};

/// Something the device side saw or did, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Status(u8),
    Notify(u16),
    /// A message on the inflate or deflate queue: its PFNs.
    Pfns(Role, Vec<u32>),
    Ack(Role),
    Actual(u32),
    Poison(u32),
    Stats(Vec<(u16, u64)>),
    Chain(Role, DescriptorChain),
}

pub struct Dev {
    pub offered: u64,
    pub accepted: u64,
    pub status: u8,
    pub refuse_features_ok: bool,
    pub num_pages: u32,
    pub actual: u32,
    pub cmd_id: u32,
    pub max_sizes: [u16; 5],
    pub queues: Vec<Option<PortableQueue>>,
    pub set_queue_calls: Vec<(u16, QueueLayout)>,
    pub kicked: Vec<u16>,
    pub seen: Vec<Seen>,
    /// Hold the stats buffer (QEMU does until its timer fires).
    pub held_stats: Option<u16>,
    /// Do not ack balloon messages automatically.
    pub manual_ack: bool,
}

impl Dev {
    pub fn new(offered: u64) -> Dev {
        Dev {
            offered,
            accepted: 0,
            status: 0,
            refuse_features_ok: false,
            num_pages: 0,
            actual: 0,
            cmd_id: 0,
            max_sizes: [128, 128, 128, 1024, 32],
            queues: (0..5).map(|_| None).collect(),
            set_queue_calls: Vec::new(),
            kicked: Vec::new(),
            seen: Vec::new(),
            held_stats: None,
            manual_ack: false,
        }
    }
    pub fn roles(&self) -> Vec<(Role, u16)> {
        queue_indices(self.accepted)
    }
    pub fn index_of(&self, role: Role) -> Option<u16> {
        self.roles().into_iter().find(|r| r.0 == role).map(|r| r.1)
    }
    fn role_of(&self, index: u16) -> Option<Role> {
        self.roles().into_iter().find(|r| r.1 == index).map(|r| r.0)
    }
    pub fn pop(&mut self, ram: &SparseRam, index: u16) -> Option<DescriptorChain> {
        self.queues[usize::from(index)]
            .as_mut()?
            .pop(ram)
            .expect("well-formed ring")
    }
    pub fn push(&mut self, ram: &mut SparseRam, index: u16, head: u16) {
        self.queues[usize::from(index)]
            .as_mut()
            .unwrap()
            .add_used(ram, head, 0)
            .unwrap();
    }

    /// Handles one kicked queue: pops every chain, records it, acks all but the stats buffer.
    /// Returns the queue indices that got used buffers (interrupts to deliver).
    pub fn service(&mut self, ram: &mut SparseRam) -> Vec<u16> {
        let mut irqs = Vec::new();
        let kicked: Vec<u16> = std::mem::take(&mut self.kicked);
        for index in kicked {
            let role = self.role_of(index).expect("kick on a known queue");
            while let Some(chain) = self.pop(ram, index) {
                match role {
                    Role::Inflate | Role::Deflate => {
                        let d = chain.descriptors[0];
                        let mut bytes = vec![0u8; d.len as usize];
                        ram.read(d.addr, &mut bytes).unwrap();
                        let pfns = bytes
                            .chunks_exact(4)
                            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                            .collect();
                        self.seen.push(Seen::Pfns(role, pfns));
                        if self.manual_ack {
                            self.seen.push(Seen::Chain(role, chain));
                            continue;
                        }
                        self.push(ram, index, chain.head);
                        self.seen.push(Seen::Ack(role));
                        irqs.push(index);
                    }
                    Role::Stats => {
                        let d = chain.descriptors[0];
                        let mut bytes = vec![0u8; d.len as usize];
                        ram.read(d.addr, &mut bytes).unwrap();
                        self.seen
                            .push(Seen::Stats(balloon_driver::stats::decode(&bytes)));
                        // QEMU: "should never happen": the old element goes back with len 0.
                        if let Some(old) = self.held_stats.replace(chain.head) {
                            self.push(ram, index, old);
                            self.seen.push(Seen::Ack(Role::Stats));
                            irqs.push(index);
                        }
                    }
                    Role::Reporting | Role::FreePage => {
                        let head = chain.head;
                        self.seen.push(Seen::Chain(role, chain));
                        self.push(ram, index, head);
                        self.seen.push(Seen::Ack(role));
                        irqs.push(index);
                    }
                }
            }
            // A device with EVENT_IDX asks for the next kick (avail_event = next_avail), as
            // QEMU's virtqueue_pop and rust-vmm's enable_notification do.
            if let Some(q) = self.queues[usize::from(index)].as_mut() {
                q.enable_notification(ram).unwrap();
            }
        }
        irqs
    }

    /// QEMU's `balloon_stats_poll_cb`: returns the held stats buffer.
    pub fn release_stats(&mut self, ram: &mut SparseRam) -> Option<u16> {
        let head = self.held_stats.take()?;
        let index = self.index_of(Role::Stats)?;
        self.push(ram, index, head);
        Some(index)
    }

    pub fn actual_writes(&self) -> Vec<u32> {
        self.seen
            .iter()
            .filter_map(|s| {
                if let Seen::Actual(a) = s {
                    Some(*a)
                } else {
                    None
                }
            })
            .collect()
    }
    pub fn messages(&self, role: Role) -> Vec<Vec<u32>> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Pfns(r, p) if *r == role => Some(p.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Transport for Dev {
    fn device_features(&self) -> u64 {
        self.offered
    }
    fn set_driver_features(&mut self, features: u64) {
        self.accepted = features;
    }
    fn status(&self) -> u8 {
        self.status
    }
    fn set_status(&mut self, s: u8) {
        self.status = if self.refuse_features_ok {
            s & !status::FEATURES_OK
        } else {
            s
        };
        self.seen.push(Seen::Status(s));
    }
    fn read_config(&mut self, offset: u32, data: &mut [u8]) {
        let cfg: Vec<u8> = [self.num_pages, self.actual, self.cmd_id, 0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let o = offset as usize;
        data.copy_from_slice(&cfg[o..o + data.len()]);
    }
    fn write_config(&mut self, offset: u32, data: &[u8]) {
        let v = u32::from_le_bytes(data.try_into().expect("4-byte config write"));
        match offset {
            4 => {
                self.actual = v;
                self.seen.push(Seen::Actual(v));
            }
            12 => self.seen.push(Seen::Poison(v)),
            _ => panic!("driver wrote config offset {offset}"),
        }
    }
    fn num_queues(&self) -> u16 {
        self.roles().len() as u16
    }
    fn queue_max_size(&self, index: u16) -> u16 {
        self.role_of(index).map_or(0, |r| {
            self.max_sizes[Role::ALL.iter().position(|x| *x == r).unwrap()]
        })
    }
    fn set_queue(&mut self, index: u16, layout: QueueLayout) {
        let mut q = PortableQueue::new(self.queue_max_size(index)).unwrap();
        let event_idx = self.accepted
            & balloon_driver::features::bit(balloon_driver::features::VIRTIO_F_EVENT_IDX)
            != 0;
        q.configure(layout, event_idx).unwrap();
        self.queues[usize::from(index)] = Some(q);
        self.set_queue_calls.push((index, layout));
    }
    fn notify(&mut self, index: u16) {
        self.kicked.push(index);
        self.seen.push(Seen::Notify(index));
    }
}

/// Runs device work first, then driver work, then the earliest driver timer, until nothing is
/// left or `limit` events. Returns the driver's events.
pub fn run(
    drv: &mut BalloonDriver,
    dev: &mut Dev,
    ram: &mut SparseRam,
    now: &mut u64,
    limit: usize,
) -> Vec<DriverEvent> {
    let mut events = Vec::new();
    while events.len() < limit {
        let irqs = dev.service(ram);
        if !irqs.is_empty() {
            for q in irqs {
                drv.on_used_interrupt(q);
            }
            continue;
        }
        if drv.has_work() {
            if let Some(ev) = drv.step(dev, ram, *now) {
                events.push(ev);
            }
            continue;
        }
        match drv.next_timer() {
            Some(t) => {
                *now = (*now).max(t);
                drv.fire_timer(*now);
            }
            None => break,
        }
    }
    events
}

/// Runs without firing timers.
pub fn run_no_timers(
    drv: &mut BalloonDriver,
    dev: &mut Dev,
    ram: &mut SparseRam,
    now: u64,
    limit: usize,
) -> Vec<DriverEvent> {
    let mut events = Vec::new();
    while events.len() < limit {
        let irqs = dev.service(ram);
        if !irqs.is_empty() {
            irqs.into_iter().for_each(|q| drv.on_used_interrupt(q));
            continue;
        }
        if !drv.has_work() {
            break;
        }
        if let Some(ev) = drv.step(dev, ram, now) {
            events.push(ev);
        }
    }
    events
}

pub const GIB: u64 = 1 << 30;
pub const MIB: u64 = 1 << 20;

/// A probed guest of `mem` bytes against a device offering `offered`.
pub fn boot(cfg: balloon_driver::GuestConfig, offered: u64) -> (BalloonDriver, Dev, SparseRam) {
    let mut ram = SparseRam::new(cfg.ram_size);
    let mut drv = BalloonDriver::new(cfg).unwrap();
    let mut dev = Dev::new(offered);
    run_no_timers(&mut drv, &mut dev, &mut ram, 0, 100);
    assert!(drv.is_running(), "probe did not finish");
    (drv, dev, ram)
}
