//! Free page hinting (`report_free_page_func`): driven by the host's cmd id in config.

use virtq::{GuestRam, Segment, Transport};

use crate::buffers::{CMD_ID_ACTIVE, CMD_ID_STOP};
use crate::driver::BalloonDriver;
use crate::error::Error;
use crate::event::DriverEvent;
use crate::features::{Role, VIRTIO_BALLOON_F_FREE_PAGE_HINT, bit, config};
use crate::misbehave::Site;
use crate::mm::PAGE_SIZE;
use crate::pagemap::{Direction, PageState, StateSet};
use crate::tell::{Stage, Tell};

/// `VIRTIO_BALLOON_CMD_ID_STOP`.
pub const CMD_ID_STOP_VAL: u32 = 0;
/// `VIRTIO_BALLOON_CMD_ID_DONE`.
pub const CMD_ID_DONE_VAL: u32 = 1;
/// `VIRTIO_BALLOON_HINT_BLOCK_ORDER` pages (4 MiB).
pub const HINT_BLOCK_PAGES: u64 = 1024;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum HState {
    #[default]
    Idle,
    ReturnAll,
    Start(Tell),
    Loop,
    /// The ring is full: Linux frees the block and spins; the model waits for the device to
    /// return a buffer (or for a config change) instead of spinning.
    Full,
    Block(Tell),
    Stop(Tell),
}

/// Hinting state (`cmd_id_received_cache`, `cmd_id_active`, the CONFIG_READ_CMD_ID bit).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HintOp {
    pub pending: bool,
    pub config_read_cmd_id: bool,
    pub cmd_id_received_cache: u32,
    pub cmd_id_active: u32,
    pub state: HState,
}

impl BalloonDriver {
    pub(crate) fn hint_ready(&self) -> bool {
        match &self.hint.state {
            HState::Idle => self.hint.pending,
            HState::Full => {
                self.hint.config_read_cmd_id || self.vq(Role::FreePage).is_some_and(|v| v.irq)
            }
            HState::Start(t) | HState::Block(t) | HState::Stop(t) => self.tell_ready(t),
            _ => true,
        }
    }

    /// `virtio_balloon_cmd_id_received`: re-reads config only after a config interrupt.
    fn cmd_id_received(&mut self, tr: &mut impl Transport) -> (u32, bool) {
        if std::mem::take(&mut self.hint.config_read_cmd_id) {
            let mut b = [0; 4];
            tr.read_config(config::FREE_PAGE_HINT_CMD_ID, &mut b);
            self.hint.cmd_id_received_cache = u32::from_le_bytes(b);
            return (self.hint.cmd_id_received_cache, true);
        }
        (self.hint.cmd_id_received_cache, false)
    }

    /// Hinted blocks back to the allocator.
    pub(crate) fn return_free_pages_to_mm(&mut self) -> u64 {
        let n = self
            .mm
            .map_mut()
            .take(
                StateSet::one(PageState::Hinted),
                PageState::Free,
                u64::MAX,
                Direction::Up,
            )
            .pages();
        if n > 0 {
            self.page_reporting_notify();
        }
        n
    }

    fn stop_tell(&self, ram: &mut impl GuestRam) -> Result<HState, Error> {
        ram.write_u32(CMD_ID_STOP, CMD_ID_STOP_VAL)?;
        Ok(HState::Stop(Tell::new(
            Role::FreePage,
            vec![Segment {
                addr: CMD_ID_STOP,
                len: 4,
                writable: false,
            }],
            false,
        )))
    }

    /// One step of free page hinting.
    pub(crate) fn hint_step(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        if !self.has(bit(VIRTIO_BALLOON_F_FREE_PAGE_HINT)) {
            self.hint.pending = false;
            return Err(Error::NotNow {
                what: "hint free pages",
                why: "FREE_PAGE_HINT was not negotiated",
            });
        }
        let state = std::mem::take(&mut self.hint.state);
        match state {
            HState::Idle => {
                self.hint.pending = false;
                let (cmd_id, _) = self.cmd_id_received(tr);
                let action = if cmd_id == CMD_ID_DONE_VAL {
                    self.hint.state = HState::ReturnAll;
                    "DONE: give every hinted page back"
                } else if cmd_id == CMD_ID_STOP_VAL || cmd_id == self.hint.cmd_id_active {
                    "nothing to do"
                } else {
                    self.hint.cmd_id_active = cmd_id;
                    ram.write_u32(CMD_ID_ACTIVE, cmd_id)?;
                    let mut seg = Segment {
                        addr: CMD_ID_ACTIVE,
                        len: 4,
                        writable: false,
                    };
                    self.misbehaviour.hook(Site::CmdId { seg: &mut seg }, ram)?;
                    self.hint.state = HState::Start(Tell::new(Role::FreePage, vec![seg], false));
                    "a new id: send_cmd_id_start"
                };
                Ok(DriverEvent::HintCmdIdRead { cmd_id, action })
            }
            HState::ReturnAll => Ok(DriverEvent::HintsReturned {
                pages: self.return_free_pages_to_mm(),
            }),
            HState::Start(mut t) | HState::Block(mut t) => {
                let ev = self.tell_step(&mut t, tr, ram)?;
                self.hint.state = if t.stage == Stage::Sent {
                    HState::Loop
                } else {
                    HState::Block(t)
                };
                Ok(ev)
            }
            HState::Stop(mut t) => {
                let ev = self.tell_step(&mut t, tr, ram)?;
                if t.stage != Stage::Sent {
                    self.hint.state = HState::Stop(t);
                }
                Ok(ev)
            }
            HState::Loop | HState::Full => self.hint_loop(tr, ram),
        }
    }

    /// `send_free_pages` / `get_free_page_and_send`: one block per step.
    fn hint_loop(
        &mut self,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        let (cmd_id, read) = self.cmd_id_received(tr);
        if cmd_id != self.hint.cmd_id_active {
            self.hint.state = self.stop_tell(ram)?;
            return Ok(DriverEvent::HintCmdIdRead {
                cmd_id,
                action: "the id changed: send_cmd_id_stop",
            });
        }
        if read {
            self.hint.state = HState::Loop;
            return Ok(DriverEvent::HintCmdIdRead {
                cmd_id,
                action: "unchanged: keep hinting",
            });
        }
        let vq = self.vq_mut(Role::FreePage)?;
        let queue = vq.index;
        vq.irq = false;
        if let Some(elem) = vq.queue.get_used(ram)? {
            let last_used = vq.queue.last_used();
            self.hint.state = HState::Loop;
            return Ok(DriverEvent::UsedCollected {
                role: Role::FreePage,
                queue,
                elem,
                last_used,
                pages: Default::default(),
            });
        }
        let num_free = vq.queue.num_free();
        let (min, _, _) = self.mm.watermarks();
        let block = if self.mm.free_pages() >= min + HINT_BLOCK_PAGES {
            self.mm.find_block(10, StateSet::ALLOCATABLE, false)
        } else {
            None
        };
        let Some(pfn) = block else {
            // alloc_pages failed: -EINTR ends the loop.
            self.hint.state = self.stop_tell(ram)?;
            return self.hint_step(tr, ram);
        };
        if num_free > 1 {
            self.mm.map_mut().convert(
                pfn,
                HINT_BLOCK_PAGES,
                StateSet::ALLOCATABLE,
                PageState::Hinted,
            )?;
            let seg = Segment {
                addr: pfn * PAGE_SIZE,
                len: (HINT_BLOCK_PAGES * PAGE_SIZE) as u32,
                writable: true,
            };
            self.hint.state = HState::Block(Tell::new(Role::FreePage, vec![seg], false));
            Ok(DriverEvent::HintBlock { pfn, sent: true })
        } else {
            self.hint.state = HState::Full;
            Ok(DriverEvent::HintBlock { pfn, sent: false })
        }
    }
}
