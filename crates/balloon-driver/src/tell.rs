//! `tell_host` and friends: one buffer's trip through its ring, one ring operation a step
//! (`virtqueue_add_split`, the avail publish, `virtqueue_kick`, `virtqueue_get_buf`).

use virtq::{GuestRam, Segment, Transport, UsedElem};

use crate::driver::{BalloonDriver, find_vq};
use crate::error::Error;
use crate::event::DriverEvent;
use crate::features::Role;
use crate::misbehave::Site;

/// `tell_host`'s ring stages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stage {
    Add,
    Publish(u16),
    Kick,
    Wait,
    /// Kicked, not waiting for the used element (stats, hints).
    Sent,
    Done(UsedElem),
}

/// One buffer on its way through a ring.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tell {
    pub role: Role,
    pub segs: Vec<Segment>,
    pub stage: Stage,
    /// Whether to wait for the used element (`tell_host`) or finish after the kick.
    pub wait: bool,
    /// A tampered publish bypassed the shadow avail.idx, so `kick_needed` cannot see it; a
    /// misbehaving guest kicks anyway, which is what lets the device reach its error path.
    pub force_kick: bool,
}

impl Tell {
    pub fn new(role: Role, segs: Vec<Segment>, wait: bool) -> Tell {
        Tell {
            role,
            segs,
            stage: Stage::Add,
            wait,
            force_kick: false,
        }
    }
}

impl BalloonDriver {
    /// One stage of a buffer's trip through its ring.
    pub(crate) fn tell_step(
        &mut self,
        t: &mut Tell,
        tr: &mut impl Transport,
        ram: &mut impl GuestRam,
    ) -> Result<DriverEvent, Error> {
        let role = t.role;
        // The queue is borrowed field by field so the misbehaviour can be spent meanwhile.
        let vq = find_vq(&mut self.vqs, role)?;
        let queue = vq.index;
        match t.stage.clone() {
            Stage::Add => {
                let head = vq.queue.add_buf(ram, &t.segs, None)?;
                t.stage = Stage::Publish(head);
                Ok(DriverEvent::BufferAdded {
                    role,
                    queue,
                    head,
                    segments: t.segs.clone(),
                })
            }
            Stage::Publish(head) => {
                // The ring-shaped modes break inflate messages (`tell_host` on inflate_vq);
                // stats, hint and report buffers are published as Linux does.
                if role == Role::Inflate
                    && let Some(a) = self.misbehaviour.hook(
                        Site::InflatePublish {
                            queue: &mut vq.queue,
                            head,
                        },
                        ram,
                    )?
                {
                    t.force_kick = true;
                    t.stage = Stage::Kick;
                    let what = a.what.unwrap_or_else(|| a.mode.describe().to_owned());
                    return Ok(DriverEvent::Misbehaved { what });
                }
                let (avail_old, avail_new) = vq.queue.publish(ram, head)?;
                t.stage = Stage::Kick;
                Ok(DriverEvent::Published {
                    role,
                    queue,
                    head,
                    avail_old,
                    avail_new,
                })
            }
            Stage::Kick => {
                let notified = vq.queue.kick_needed(ram)? || t.force_kick;
                if notified {
                    tr.notify(queue);
                }
                t.stage = if t.wait { Stage::Wait } else { Stage::Sent };
                Ok(DriverEvent::Kicked {
                    role,
                    queue,
                    notified,
                })
            }
            Stage::Wait | Stage::Sent | Stage::Done(_) => {
                vq.irq = false;
                match vq.queue.get_used(ram)? {
                    Some(elem) => {
                        t.stage = Stage::Done(elem);
                        let last_used = vq.queue.last_used();
                        Ok(DriverEvent::UsedCollected {
                            role,
                            queue,
                            elem,
                            last_used,
                            pages: Default::default(),
                        })
                    }
                    None => Ok(DriverEvent::NothingUsed { role, queue }),
                }
            }
        }
    }

    /// Whether `t` can take a step now (a waiting buffer needs its interrupt).
    pub(crate) fn tell_ready(&self, t: &Tell) -> bool {
        match t.stage {
            Stage::Wait => self.vq(t.role).is_some_and(|v| v.irq),
            Stage::Sent | Stage::Done(_) => false,
            _ => true,
        }
    }
}
