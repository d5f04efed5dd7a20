//! One plain sentence per imported event, saying only what the line says.

use balloon_spec::runs;

use super::recording::ImportedKind;

fn queue(index: Option<u32>, name: Option<crate::command::QueueName>) -> String {
    match (index, name) {
        (Some(i), Some(n)) => format!("queue {i} ({})", n.as_str()),
        (Some(i), None) => format!("queue {i}"),
        (None, _) => "an unknown queue (no kick named its vq)".to_owned(),
    }
}

impl ImportedKind {
    /// What happened, in one sentence (units as traced: pages for config, bytes for QMP).
    pub fn sentence(&self) -> String {
        match self {
            Self::Status { val } => format!(
                "the driver wrote device status {val:#04x} ({})",
                balloon_spec::status::names(*val)
            ),
            Self::Kick {
                queue_index,
                queue: q,
            } => {
                format!("the guest kicked {}", queue(Some(*queue_index), *q))
            }
            Self::Pop {
                queue_index,
                queue: q,
                in_num,
                out_num,
                pfns,
                bad_addrs,
                descriptor: _,
            } => {
                let mut s = format!(
                    "the device popped an element from {}: {out_num} out, {in_num} in buffers (descriptor index not traced)",
                    queue(*queue_index, *q)
                );
                if !pfns.is_empty() {
                    s.push_str(&format!(
                        "; {} pages {}",
                        runs::total(pfns),
                        runs::describe(pfns)
                    ));
                }
                if *bad_addrs > 0 {
                    s.push_str(&format!(", {bad_addrs} outside RAM ignored"));
                }
                s
            }
            Self::Fill { queue_index, len } => format!(
                "the device returned an element on {} ({len} bytes written)",
                queue(*queue_index, None)
            ),
            Self::Flush { queue_index, count } => format!(
                "the device published {count} used entries on {}",
                queue(*queue_index, None)
            ),
            Self::Interrupt { queue_index } => {
                format!(
                    "the device interrupted the guest for {}",
                    queue(*queue_index, None)
                )
            }
            Self::BalloonEvent { target_bytes } => {
                format!("the monitor asked for a guest of {target_bytes} bytes")
            }
            Self::Target {
                target_bytes,
                num_pages,
            } => format!("num_pages set to {num_pages} (target {target_bytes:#x} bytes)"),
            Self::GetConfig { num_pages, actual } => {
                format!("the guest read the config: num_pages {num_pages}, actual {actual}")
            }
            Self::SetConfig { actual, oldactual } => {
                format!("the guest wrote actual {actual} (was {oldactual})")
            }
            Self::QmpCommand { execute, arguments } => match arguments {
                Some(a) => format!("QMP command {execute} {a}"),
                None => format!("QMP command {execute}"),
            },
            Self::QmpQueryBalloon { actual_bytes } => {
                format!("QMP query-balloon reply: actual {actual_bytes} bytes")
            }
            Self::QmpBalloonChange { actual_bytes } => {
                format!("QMP event BALLOON_CHANGE: actual {actual_bytes} bytes")
            }
        }
    }
}
