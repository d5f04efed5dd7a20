//! One line of a QMP transcript: either `{"dir": "out"|"in", "t": SECONDS, "msg": {...}}` (a
//! recorder's log of every line sent and received, with host times) or a bare QMP message.

use serde_json::Value;

use super::line::decimal_seconds_ns;
use super::recording::ImportedKind;

/// What a QMP line contributes.
#[derive(Debug, Clone, PartialEq)]
pub enum QmpLine {
    /// An event for the timeline, with its wall-clock time (ns since the epoch) when known.
    Event(Option<u64>, ImportedKind),
    /// A valid message the timeline does not show (greeting, empty returns, other events).
    Other,
}

/// Parses a line; `None` when it is not a JSON object.
pub fn parse(line: &str) -> Option<QmpLine> {
    let v: Value = serde_json::from_str(line).ok()?;
    let obj = v.as_object()?;
    let (host_ns, msg) = match (obj.get("dir"), obj.get("msg")) {
        (Some(_), Some(msg)) => {
            let t = obj
                .get("t")
                .and_then(Value::as_number)
                .and_then(|n| decimal_seconds_ns(&n.to_string()));
            (t, msg)
        }
        _ => (None, &v),
    };
    let msg_value = msg;
    let msg = msg.as_object()?;
    if let Some(execute) = msg.get("execute").and_then(Value::as_str) {
        return Some(QmpLine::Event(
            host_ns,
            ImportedKind::QmpCommand {
                execute: execute.to_owned(),
                arguments: msg.get("arguments").cloned(),
            },
        ));
    }
    if msg.get("event").and_then(Value::as_str) == Some("BALLOON_CHANGE") {
        let Some(actual_bytes) = msg_value.pointer("/data/actual").and_then(Value::as_u64) else {
            return Some(QmpLine::Other);
        };
        // QEMU's own event timestamp (`qapi_event_send_balloon_change` stamps it when the
        // event is raised) is closer to the trace than the recorder's receive time.
        let stamped = msg.get("timestamp").and_then(|ts| {
            let s = ts.get("seconds")?.as_u64()?;
            let us = ts.get("microseconds")?.as_u64()?;
            s.checked_mul(1_000_000_000)?
                .checked_add(us.checked_mul(1000)?)
        });
        return Some(QmpLine::Event(
            stamped.or(host_ns),
            ImportedKind::QmpBalloonChange { actual_bytes },
        ));
    }
    if let Some(actual_bytes) = msg_value.pointer("/return/actual").and_then(Value::as_u64) {
        return Some(QmpLine::Event(
            host_ns,
            ImportedKind::QmpQueryBalloon { actual_bytes },
        ));
    }
    Some(QmpLine::Other)
}
