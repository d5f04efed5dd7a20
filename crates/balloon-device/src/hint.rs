//! Free page hinting, host side: QEMU's `free_page_hint_status` and `free_page_hint_cmd_id`
//! (reference section 7.5).

use serde::Serialize;

use crate::consts::{
    VIRTIO_BALLOON_CMD_ID_DONE, VIRTIO_BALLOON_CMD_ID_STOP,
    VIRTIO_BALLOON_FREE_PAGE_HINT_CMD_ID_MIN,
};

/// QEMU `FREE_PAGE_HINT_S_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub enum HintStatus {
    /// 0: no hinting (the zero-initialised device starts here).
    #[default]
    Stop,
    /// 1: a new cmd id was published, waiting for the guest to echo it.
    Requested,
    /// 2: the guest echoed the id; hints are being taken.
    Start,
    /// 3: the hints are no longer needed; the guest may reuse the pages.
    Done,
}

impl HintStatus {
    /// QEMU's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stop => "FREE_PAGE_HINT_S_STOP",
            Self::Requested => "FREE_PAGE_HINT_S_REQUESTED",
            Self::Start => "FREE_PAGE_HINT_S_START",
            Self::Done => "FREE_PAGE_HINT_S_DONE",
        }
    }
}

/// The precopy notifier reasons that reach `virtio_balloon_free_page_hint_notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum PrecopyNotifyReason {
    /// `PRECOPY_NOTIFY_SETUP`.
    Setup,
    /// `PRECOPY_NOTIFY_BEFORE_BITMAP_SYNC`: stop hinting.
    BeforeBitmapSync,
    /// `PRECOPY_NOTIFY_AFTER_BITMAP_SYNC` with the VM running: start a round; with the VM
    /// stopped (last iteration): done.
    AfterBitmapSync {
        /// Whether the VM is still running.
        vm_running: bool,
    },
    /// `PRECOPY_NOTIFY_COMPLETE`.
    Complete,
    /// `PRECOPY_NOTIFY_CLEANUP` (migration ended, failed or was cancelled): done.
    Cleanup,
}

impl PrecopyNotifyReason {
    /// QEMU's name for the reason (include/migration/misc.h `PrecopyNotifyReason`).
    pub fn name(self) -> &'static str {
        match self {
            PrecopyNotifyReason::Setup => "PRECOPY_NOTIFY_SETUP",
            PrecopyNotifyReason::BeforeBitmapSync => "PRECOPY_NOTIFY_BEFORE_BITMAP_SYNC",
            PrecopyNotifyReason::AfterBitmapSync { vm_running: true } => {
                "PRECOPY_NOTIFY_AFTER_BITMAP_SYNC (VM running)"
            }
            PrecopyNotifyReason::AfterBitmapSync { vm_running: false } => {
                "PRECOPY_NOTIFY_AFTER_BITMAP_SYNC (VM stopped)"
            }
            PrecopyNotifyReason::Complete => "PRECOPY_NOTIFY_COMPLETE",
            PrecopyNotifyReason::Cleanup => "PRECOPY_NOTIFY_CLEANUP",
        }
    }
}

/// The hinting state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FreePageHint {
    /// Current status.
    pub status: HintStatus,
    /// The id of the latest round (starts at 0x80000000).
    pub cmd_id: u32,
}

impl Default for FreePageHint {
    fn default() -> Self {
        Self {
            status: HintStatus::Stop,
            cmd_id: VIRTIO_BALLOON_FREE_PAGE_HINT_CMD_ID_MIN,
        }
    }
}

/// What a cmd-id buffer from the guest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CmdIdOutcome {
    /// Status before.
    pub old: HintStatus,
    /// Status after.
    pub new: HintStatus,
}

impl FreePageHint {
    /// `free_page_hint_cmd_id` as `virtio_balloon_get_config` shows it: the id in REQUESTED,
    /// STOP (0) in STOP, DONE (1) in DONE, and 0 in START (the zeroed struct is not written).
    pub fn config_cmd_id(&self) -> u32 {
        match self.status {
            HintStatus::Requested => self.cmd_id,
            HintStatus::Stop | HintStatus::Start => VIRTIO_BALLOON_CMD_ID_STOP,
            HintStatus::Done => VIRTIO_BALLOON_CMD_ID_DONE,
        }
    }

    /// `virtio_balloon_free_page_start`: the next id (wrapping to 0x80000000 after UINT_MAX),
    /// REQUESTED. The caller raises the config interrupt.
    pub fn start(&mut self) {
        self.cmd_id = if self.cmd_id == u32::MAX {
            VIRTIO_BALLOON_FREE_PAGE_HINT_CMD_ID_MIN
        } else {
            self.cmd_id + 1
        };
        self.status = HintStatus::Requested;
    }

    /// `virtio_balloon_free_page_stop`: returns whether the status changed (then QEMU notifies).
    pub fn stop(&mut self) -> bool {
        let changed = self.status != HintStatus::Stop;
        self.status = HintStatus::Stop;
        changed
    }

    /// `virtio_balloon_free_page_done`: returns whether the status changed.
    pub fn done(&mut self) -> bool {
        let changed = self.status != HintStatus::Done;
        self.status = HintStatus::Done;
        changed
    }

    /// The cmd-id part of `get_free_page_hints`: only the current id in REQUESTED starts a
    /// round; any id while started stops it (a stale stop sign is ignored otherwise).
    pub fn receive_cmd_id(&mut self, id: u32) -> CmdIdOutcome {
        let old = self.status;
        if self.status == HintStatus::Requested && id == self.cmd_id {
            self.status = HintStatus::Start;
        } else if self.status == HintStatus::Start {
            self.status = HintStatus::Stop;
        }
        CmdIdOutcome {
            old,
            new: self.status,
        }
    }

    /// Whether hinted ranges are taken now.
    pub fn accepting_hints(&self) -> bool {
        self.status == HintStatus::Start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_config_view() {
        let mut h = FreePageHint::default();
        assert_eq!(h.config_cmd_id(), 0);
        h.start();
        assert_eq!(h.cmd_id, 0x8000_0001);
        assert_eq!(h.config_cmd_id(), 0x8000_0001);
        // A stale id does nothing in REQUESTED.
        assert_eq!(h.receive_cmd_id(0x8000_0000).new, HintStatus::Requested);
        assert_eq!(h.receive_cmd_id(0x8000_0001).new, HintStatus::Start);
        assert!(h.accepting_hints());
        assert_eq!(h.config_cmd_id(), 0, "START reads as 0");
        assert_eq!(h.receive_cmd_id(0).new, HintStatus::Stop);
        // Repeating the old id cannot restart a stopped round.
        assert_eq!(h.receive_cmd_id(0x8000_0001).new, HintStatus::Stop);
        assert!(h.done());
        assert!(!h.done());
        assert_eq!(h.config_cmd_id(), 1);
    }

    #[test]
    fn cmd_id_wraps_to_min() {
        let mut h = FreePageHint {
            status: HintStatus::Stop,
            cmd_id: u32::MAX,
        };
        h.start();
        assert_eq!(h.cmd_id, 0x8000_0000);
    }
}
