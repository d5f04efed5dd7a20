//! The host's virtio-balloon device, shaped like QEMU's `hw/virtio/virtio-balloon.c`, generic
//! over the queue backend ([`virtq::Backend`]): the same handlers run on the portable ring
//! (every target, wasm32 included) and natively on rust-vmm's `virtio_queue`.
//!
//! The device is a state machine: [`BalloonDevice::init_step`] walks QEMU's init flow,
//! [`BalloonDevice::step`] performs one ring operation (pop, handle, push, notify) and returns
//! the [`DeviceEvent`] describing it. Guest mistakes become events (`virtio_error` sets
//! DEVICE_NEEDS_RESET), never panics.
//!
//! ```
//! use balloon_device::{BalloonDevice, BalloonProps, DeviceProfile, Interrupt};
//! use virtq::Portable;
//!
//! let ram = 1u64 << 30;
//! let mut dev =
//!     BalloonDevice::<Portable>::new(DeviceProfile::qemu(), BalloonProps::default(), ram, 4096)
//!         .unwrap();
//! assert_eq!(
//!     dev.balloon(512 << 20).unwrap_err().to_string(),
//!     "No balloon device has been activated"
//! );
//! while let Some(ev) = dev.init_step() {
//!     println!("{} [{}]", ev.sentence(), ev.function());
//! }
//! assert_eq!((dev.num_queues(), dev.config_size()), (3, 16));
//! dev.balloon(512 << 20).unwrap();
//! assert_eq!(dev.config().num_pages, 131072);
//! // No DRIVER_OK yet: virtio_notify_config raises nothing.
//! assert_eq!(dev.take_interrupts(), Vec::<Interrupt>::new());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bitmap;
pub mod config;
pub mod consts;
pub mod costs;
pub mod device;
mod engine;
pub mod error;
pub mod event;
mod handlers;
pub mod hint;
pub mod host_memory;
pub mod operator;
pub mod profile;
mod reader;
pub mod runs;
mod sentence;
pub mod stats;
mod transport;
mod vmm_profiles;
pub mod vq;

pub use config::BalloonConfig;
pub use costs::RingCosts;
pub use device::{BalloonDevice, InitStage, Interrupt, QueueInfo};
pub use error::Error;
pub use event::{BalloonChange, DeviceEvent, QueueRef};
pub use hint::{FreePageHint, HintStatus, PrecopyNotifyReason};
pub use host_memory::{HostMemory, HostPageSize};
pub use operator::{BalloonInfo, QapiThrottle};
pub use profile::{BalloonProps, DeviceProfile, Vmm};
pub use runs::PfnRun;
pub use stats::{GuestStats, StatValues, StatsParse};
pub use vq::{PushReason, QueueKind};
