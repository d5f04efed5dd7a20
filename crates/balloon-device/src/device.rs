//! `BalloonDevice`: QEMU's `VirtIOBalloon` state, its init flow as steps, and what the
//! transport (virtio-pci common config) asks of it.

use serde::Serialize;
use virtq::{Backend, DeviceQueue};

use crate::config::{BalloonConfig, qemu_config_size};
use crate::consts::{
    VIRTIO_BALLOON_F_FREE_PAGE_HINT, VIRTIO_BALLOON_F_PAGE_REPORTING, VIRTIO_BALLOON_F_STATS_VQ,
    VIRTIO_ID_BALLOON, bit, status,
};
use crate::error::Error;
use crate::event::{DeviceEvent, QueueRef};
use crate::hint::FreePageHint;
use crate::host_memory::{HostMemory, HostPageSize};
use crate::operator::QapiThrottle;
use crate::profile::{BalloonProps, ConfigSizeRule, DeviceProfile};
use crate::stats::StatValues;
use crate::vq::{DevQueue, QueueKind, Stage};

/// An interrupt the device raises; the world delivers it to the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Interrupt {
    /// A used-buffer notification for a transport queue index.
    Used(u16),
    /// A configuration-change notification.
    Config,
}

/// Where the init flow is (one `init_step` each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InitStage {
    /// Next: `type_init` / `type_register_static`.
    TypeInit,
    /// Next: `virtio_balloon_class_init`.
    ClassInit,
    /// Next: `virtio_balloon_instance_init`.
    InstanceInit,
    /// Next: `virtio_balloon_device_realize` / `virtio_init`.
    Realize,
    /// Next: `virtio_add_queue` for the n-th present queue.
    AddQueue(usize),
    /// Next: `reset_stats` at the end of realize.
    StatsReset,
    /// Realized: the driver may probe.
    Done,
    /// Realize failed.
    Failed,
    /// `virtio_balloon_device_unrealize` ran: the device is gone.
    Unrealized,
}

/// A read-only view of one queue for the UI and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueInfo {
    /// Transport index and role.
    pub queue: QueueRef,
    /// Maximum size offered.
    pub max_size: u16,
    /// Configured and enabled.
    pub ready: bool,
    /// The device's next avail index.
    pub next_avail: u16,
    /// The device's next used index (= used.idx it last published).
    pub used_idx: u16,
    /// The handler is between steps on this queue.
    pub busy: bool,
    /// A kick is waiting.
    pub kicked: bool,
}

/// The host's virtio-balloon device, generic over the queue backend.
#[derive(Debug, Clone)]
pub struct BalloonDevice<B: Backend> {
    pub(crate) profile: DeviceProfile,
    pub(crate) props: BalloonProps,
    pub(crate) init: InitStage,
    pub(crate) kinds: Vec<QueueKind>,
    pub(crate) queues: Vec<DevQueue<B::Queue>>,
    pub(crate) config_size: usize,
    pub(crate) driver_features: u64,
    pub(crate) status: u8,
    pub(crate) broken: bool,
    pub(crate) num_pages: u32,
    pub(crate) actual: u32,
    pub(crate) poison_val: u32,
    pub(crate) hint: FreePageHint,
    /// QEMU's `vdev->config`: the byte copy accesses go through.
    pub(crate) config_copy: [u8; crate::config::IMAGE_MAX],
    pub(crate) stats: StatValues,
    pub(crate) stats_last_update: i64,
    pub(crate) stats_held: Option<u16>,
    pub(crate) stats_poll_interval: u32,
    pub(crate) stats_timer: Option<u64>,
    pub(crate) memory: HostMemory,
    /// `virtio_balloon_inhibited()`: RAM discards are off (VFIO, postcopy, background
    /// snapshot).
    pub(crate) discard_inhibited: bool,
    pub(crate) throttle: QapiThrottle,
    pub(crate) interrupts: Vec<Interrupt>,
    /// The queue whose handler is mid-way (QEMU handlers run to completion under the BQL).
    pub(crate) active: Option<usize>,
    /// The VMM process aborted (a Firecracker panic): nothing runs any more.
    pub(crate) aborted: bool,
    /// The partly ballooned host page kept across requests (Cloud Hypervisor).
    pub(crate) pbp: crate::host_memory::PartiallyBalloonedPage,
}

impl<B: Backend> BalloonDevice<B> {
    /// A device for a guest of `ram_size` bytes on host pages of `host_page_size` bytes.
    /// Nothing exists yet: call [`BalloonDevice::init_step`] until it returns `None`.
    pub fn new(
        profile: DeviceProfile,
        props: BalloonProps,
        ram_size: u64,
        host_page_size: u64,
    ) -> Result<Self, Error> {
        let page = HostPageSize::from_bytes(host_page_size)?;
        if ram_size == 0 || !ram_size.is_multiple_of(page.bytes()) {
            return Err(Error::BadRamSize {
                ram_size,
                page: page.bytes(),
            });
        }
        let throttle = QapiThrottle::new(profile.balloon_change_interval_ns);
        let stats = StatValues::reset(profile.stats_tags);
        Ok(Self {
            profile,
            props,
            init: InitStage::TypeInit,
            kinds: Vec::new(),
            queues: Vec::new(),
            config_size: 0,
            driver_features: 0,
            status: 0,
            broken: false,
            num_pages: 0,
            actual: 0,
            poison_val: 0,
            hint: FreePageHint::default(),
            config_copy: [0; crate::config::IMAGE_MAX],
            stats,
            stats_last_update: 0,
            stats_held: None,
            stats_poll_interval: 0,
            stats_timer: None,
            memory: HostMemory::new(ram_size, page),
            discard_inhibited: false,
            throttle,
            interrupts: Vec::new(),
            active: None,
            aborted: false,
            pbp: Default::default(),
        })
    }

    /// The features this device offers (`virtio_balloon_get_features` plus the transport's).
    pub fn device_features(&self) -> u64 {
        self.profile.transport_features
            | self.profile.always_offered
            | (self.props.host_features() & self.profile.optional_features)
    }

    fn offered(&self, feature: u32) -> bool {
        self.device_features() & bit(feature) != 0
    }

    pub(crate) fn negotiated(&self, feature: u32) -> bool {
        self.driver_features & bit(feature) != 0
    }

    /// One init operation: type registration, class init, instance init, realize, one
    /// `virtio_add_queue` per present queue, stats reset. `None` once realized (or failed).
    pub fn init_step(&mut self) -> Option<DeviceEvent> {
        let ev = match self.init {
            InitStage::TypeInit => {
                self.init = InitStage::ClassInit;
                DeviceEvent::TypeRegistered {
                    type_name: "virtio-balloon-device",
                }
            }
            InitStage::ClassInit => {
                self.init = InitStage::InstanceInit;
                DeviceEvent::ClassInit {
                    props: self.props.clone(),
                }
            }
            InitStage::InstanceInit => {
                self.init = InitStage::Realize;
                self.hint = FreePageHint::default();
                DeviceEvent::InstanceInit {
                    cmd_id: self.hint.cmd_id,
                }
            }
            InitStage::Realize => {
                if self.profile.hint_needs_iothread
                    && self.offered(VIRTIO_BALLOON_F_FREE_PAGE_HINT)
                    && !self.props.iothread
                {
                    self.init = InitStage::Failed;
                    return Some(DeviceEvent::RealizeFailed {
                        message: Error::FreePageHintNeedsIothread.to_string(),
                    });
                }
                self.config_size = match self.profile.config_size {
                    ConfigSizeRule::QemuByFeatures => {
                        qemu_config_size(self.device_features(), self.props.qemu_4_0_config_size)
                    }
                    ConfigSizeRule::Fixed(n) => (n as usize).min(crate::config::IMAGE_MAX),
                };
                self.kinds = vec![QueueKind::Inflate, QueueKind::Deflate];
                if self.profile.stats_queue_always || self.offered(VIRTIO_BALLOON_F_STATS_VQ) {
                    self.kinds.push(QueueKind::Stats);
                }
                if self.offered(VIRTIO_BALLOON_F_FREE_PAGE_HINT) {
                    self.kinds.push(QueueKind::FreePage);
                }
                if self.offered(VIRTIO_BALLOON_F_PAGE_REPORTING) {
                    self.kinds.push(QueueKind::Reporting);
                }
                self.init = InitStage::AddQueue(0);
                DeviceEvent::Realized {
                    device_id: VIRTIO_ID_BALLOON,
                    config_size: self.config_size,
                    features: self.device_features(),
                }
            }
            InitStage::AddQueue(n) => {
                let kind = self.kinds[n];
                let size = self.max_size_of(kind);
                let queue = match B::new_queue(size) {
                    Ok(q) => q,
                    Err(e) => {
                        self.init = InitStage::Failed;
                        return Some(DeviceEvent::RealizeFailed {
                            message: Error::AddQueue(e).to_string(),
                        });
                    }
                };
                self.queues.push(DevQueue {
                    kind,
                    queue,
                    stage: Stage::Idle,
                    kicked: false,
                    stalled: false,
                });
                self.init = if n + 1 < self.kinds.len() {
                    InitStage::AddQueue(n + 1)
                } else {
                    InitStage::StatsReset
                };
                DeviceEvent::QueueAdded {
                    queue: QueueRef {
                        index: n as u16,
                        kind,
                    },
                    size,
                }
            }
            InitStage::StatsReset => {
                self.stats = StatValues::reset(self.profile.stats_tags);
                self.stats_last_update = 0;
                if self.props.guest_stats_polling_interval > 0 {
                    // Set on the command line: the property setter creates the timer at once.
                    self.stats_poll_interval = self.props.guest_stats_polling_interval;
                    self.stats_timer = Some(0);
                }
                self.init = InitStage::Done;
                DeviceEvent::StatsReset
            }
            InitStage::Done | InitStage::Failed | InitStage::Unrealized => return None,
        };
        Some(ev)
    }

    fn max_size_of(&self, kind: QueueKind) -> u16 {
        match kind {
            QueueKind::Inflate => self.profile.inflate_queue_size,
            QueueKind::Deflate => self.profile.deflate_queue_size,
            QueueKind::Stats => self.profile.stats_queue_size,
            QueueKind::FreePage => self.profile.free_page_queue_size,
            QueueKind::Reporting => self.profile.reporting_queue_size,
        }
    }

    /// Where the init flow is.
    pub fn init_stage(&self) -> InitStage {
        self.init
    }
    /// Whether realize completed (QEMU: a balloon handler is registered).
    pub fn is_realized(&self) -> bool {
        self.init == InitStage::Done
    }
    /// The profile.
    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }
    /// The properties.
    pub fn props(&self) -> &BalloonProps {
        &self.props
    }
    /// The features the driver accepted.
    pub fn driver_features(&self) -> u64 {
        self.driver_features
    }
    /// The status byte.
    pub fn status(&self) -> u8 {
        self.status
    }
    /// Whether `virtio_error` broke the device (until reset).
    pub fn is_broken(&self) -> bool {
        self.broken
    }
    /// Whether the VMM process would have aborted (a Firecracker panic).
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }
    /// Whether queue `index` has stalled (its pops find nothing until reset).
    pub fn is_stalled(&self, index: u16) -> bool {
        self.queues
            .get(usize::from(index))
            .is_some_and(|q| q.stalled)
    }
    /// Config size in bytes (0 before realize).
    pub fn config_size(&self) -> usize {
        self.config_size
    }
    /// The config fields as a read would show them now.
    pub fn config(&self) -> BalloonConfig {
        BalloonConfig {
            num_pages: self.num_pages,
            actual: self.actual,
            free_page_hint_cmd_id: self.hint.config_cmd_id(),
            poison_val: self.poison_val,
        }
    }
    /// The config space as a driver reads it: the profile's image (the 16 standard bytes, then
    /// crosvm's `ws_num_bins` and reserved bytes), cut at the config size, as
    /// `virtio_config_readb` copies it from `vdev->config` (`config_len` bytes).
    pub fn config_image(&self) -> Vec<u8> {
        let image = self.config().image(self.profile.config_tail);
        image[..self.config_size.min(image.len())].to_vec()
    }
    /// The hinting state.
    pub fn hint(&self) -> FreePageHint {
        self.hint
    }
    /// The host memory model.
    pub fn memory(&self) -> &HostMemory {
        &self.memory
    }
    /// The host memory model, for the world to report guest touches.
    pub fn memory_mut(&mut self) -> &mut HostMemory {
        &mut self.memory
    }
    /// Whether RAM discards are inhibited (`virtio_balloon_inhibited`).
    pub fn discard_inhibited(&self) -> bool {
        self.discard_inhibited
    }
    /// Inhibits RAM discards, as a VFIO device, incoming postcopy or a background snapshot
    /// does: inflate, deflate and reports are then acknowledged without touching host memory.
    pub fn set_discard_inhibited(&mut self, inhibited: bool) {
        self.discard_inhibited = inhibited;
    }
    /// Head of the stats element the device holds.
    pub fn stats_held(&self) -> Option<u16> {
        self.stats_held
    }
    /// Number of queues the device has.
    pub fn num_queues(&self) -> u16 {
        self.queues.len() as u16
    }
    /// The transport index of a queue, if present.
    pub fn queue_index(&self, kind: QueueKind) -> Option<u16> {
        self.queues
            .iter()
            .position(|q| q.kind == kind)
            .map(|i| i as u16)
    }
    /// A view of queue `index`.
    pub fn queue_info(&self, index: u16) -> Option<QueueInfo> {
        let q = self.queues.get(usize::from(index))?;
        Some(QueueInfo {
            queue: QueueRef {
                index,
                kind: q.kind,
            },
            max_size: q.queue.max_size(),
            ready: q.queue.ready(),
            next_avail: q.queue.next_avail(),
            used_idx: q.queue.next_used(),
            busy: q.stage != Stage::Idle,
            kicked: q.kicked,
        })
    }
    /// The backend queue, for views and tests.
    pub fn queue(&self, index: u16) -> Option<&B::Queue> {
        self.queues.get(usize::from(index)).map(|q| &q.queue)
    }

    pub(crate) fn qref(&self, i: usize) -> QueueRef {
        QueueRef {
            index: i as u16,
            kind: self.queues[i].kind,
        }
    }

    /// `virtio_notify_config`: only with DRIVER_OK.
    pub(crate) fn notify_config(&mut self) -> bool {
        if self.status & status::DRIVER_OK == 0 {
            return false;
        }
        self.interrupts.push(Interrupt::Config);
        true
    }

    /// Interrupts raised since the last call.
    pub fn take_interrupts(&mut self) -> Vec<Interrupt> {
        std::mem::take(&mut self.interrupts)
    }
}
