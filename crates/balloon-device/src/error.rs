//! The crate's one error type. Messages that the operator sees are QEMU's, word for word
//! (reference section 17).

use thiserror::Error;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// `qmp_balloon` before the device is realized (`have_balloon`: DeviceNotActive).
    #[error("No balloon device has been activated")]
    NoBalloonDevice,
    /// `qmp_balloon` with a value <= 0 (`QERR_INVALID_PARAMETER_VALUE`).
    #[error("Parameter 'target' expects a size")]
    TargetNotASize,
    /// `guest-stats-polling-interval` below zero.
    #[error("timer value must be greater than zero")]
    TimerValueNegative,
    /// `guest-stats-polling-interval` above UINT32_MAX.
    #[error("timer value is too big")]
    TimerValueTooBig,
    /// Realize with `free-page-hint` but no `iothread`.
    #[error("'free-page-hint' requires 'iothread' to be set")]
    FreePageHintNeedsIothread,
    /// A host page size other than 4 KiB, 64 KiB or 2 MiB.
    #[error("host page size {0} is not 4 KiB, 64 KiB or 2 MiB")]
    UnsupportedHostPageSize(u64),
    /// Guest RAM that is zero or not a multiple of the host page size.
    #[error(
        "guest RAM size {ram_size:#x} is not a non-zero multiple of the host page size {page:#x}"
    )]
    BadRamSize {
        /// RAM size in bytes.
        ram_size: u64,
        /// Host page size in bytes.
        page: u64,
    },
    /// Cloud Hypervisor `DeviceManager::resize_balloon` with no balloon.
    #[error("Missing virtio-balloon, can't proceed as expected")]
    MissingVirtioBalloon,
    /// Firecracker `BalloonError::DeviceNotActive` (the driver has not set DRIVER_OK).
    #[error("Device not activated yet.")]
    FirecrackerNotActive,
    /// Firecracker `BalloonError::TooMuchMemoryRequested(amount_mib)`: its message prints the
    /// amount requested.
    #[error("Requested memory should be less than {0}MiB")]
    TooMuchMemoryRequested(u64),
    /// Firecracker `BalloonError::StatisticsDisabled` (no polling interval).
    #[error("Received stats query when stats are disabled.")]
    StatisticsDisabled,
    /// crosvm: the command tube is served by the worker, which runs only between activate and
    /// reset (`reset` sends `NotReady`).
    #[error("balloon device is not ready")]
    CrosvmNotReady,
    /// A VMM's operator command sent to a VM of another VMM.
    #[error("{command} is {vmm}'s; this VM runs the {profile} profile")]
    WrongVmm {
        /// The command's name.
        command: &'static str,
        /// The VMM that has it.
        vmm: &'static str,
        /// The profile the VM runs.
        profile: &'static str,
    },
    /// A queue could not be created (an invalid size in the profile).
    #[error("virtio_add_queue: {0}")]
    AddQueue(virtq::QueueError),
}

impl Error {
    /// The QMP error class QEMU reports.
    pub fn qmp_class(&self) -> &'static str {
        match self {
            Error::NoBalloonDevice => "DeviceNotActive",
            _ => "GenericError",
        }
    }
}
