//! What the monitor prints: QMP replies and events, HMP text, formatted as QEMU formats them
//! (`{"return": {}}`, `{"timestamp": {...}, "event": "BALLOON_CHANGE", "data": {...}}`).

use serde_json::Value;

use crate::clock::NS_PER_SEC;

/// One line of monitor output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// A QMP success: `{"return": VALUE}` (plus the request's id).
    QmpReturn {
        /// The returned value.
        #[serde(with = "crate::trace::binary::json_value")]
        value: Value,
        /// The request id, echoed.
        #[serde(with = "crate::trace::binary::json_value::option")]
        id: Option<Value>,
    },
    /// A QMP failure: `{"error": {"class": ..., "desc": ...}}`.
    QmpError {
        /// `GenericError`, `DeviceNotActive`, `CommandNotFound`, `DeviceNotFound`.
        class: String,
        /// The message.
        desc: String,
        /// The request id, echoed.
        #[serde(with = "crate::trace::binary::json_value::option")]
        id: Option<Value>,
    },
    /// A QMP event (`BALLOON_CHANGE`), stamped with virtual time.
    QmpEvent {
        /// Event name.
        event: String,
        /// Event data.
        #[serde(with = "crate::trace::binary::json_value")]
        data: Value,
        /// Virtual time in ns.
        time_ns: u64,
    },
    /// HMP output (may be empty: `balloon 512` prints nothing).
    Hmp(String),
}

impl Reply {
    /// The line as QEMU prints it.
    pub fn to_line(&self) -> String {
        let with_id = |mut s: String, id: &Option<Value>| {
            if let Some(id) = id {
                s.pop();
                s += &format!(", \"id\": {}}}", qemu_json(id));
            }
            s
        };
        match self {
            Reply::QmpReturn { value, id } => {
                with_id(format!("{{\"return\": {}}}", qemu_json(value)), id)
            }
            Reply::QmpError { class, desc, id } => with_id(
                format!(
                    "{{\"error\": {{\"class\": {}, \"desc\": {}}}}}",
                    Value::String(class.clone()),
                    Value::String(desc.clone())
                ),
                id,
            ),
            Reply::QmpEvent {
                event,
                data,
                time_ns,
            } => format!(
                "{{\"timestamp\": {{\"seconds\": {}, \"microseconds\": {}}}, \"event\": {}, \"data\": {}}}",
                time_ns / NS_PER_SEC,
                (time_ns % NS_PER_SEC) / 1000,
                Value::String(event.clone()),
                qemu_json(data)
            ),
            Reply::Hmp(text) => text.clone(),
        }
    }

    /// Whether this is QMP output (a JSON line) rather than HMP text.
    pub fn is_qmp(&self) -> bool {
        !matches!(self, Reply::Hmp(_))
    }
}

/// JSON with QEMU's spacing: `{"a": 1, "b": [1, 2]}`.
pub fn qemu_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lines_look_like_qemu() {
        assert_eq!(
            Reply::QmpReturn {
                value: json!({}),
                id: None
            }
            .to_line(),
            r#"{"return": {}}"#
        );
        assert_eq!(
            Reply::QmpReturn {
                value: json!({"actual": 1073741824}),
                id: Some(json!("a"))
            }
            .to_line(),
            r#"{"return": {"actual": 1073741824}, "id": "a"}"#
        );
        assert_eq!(
            Reply::QmpError {
                class: "GenericError".into(),
                desc: "Parameter 'target' expects a size".into(),
                id: None
            }
            .to_line(),
            r#"{"error": {"class": "GenericError", "desc": "Parameter 'target' expects a size"}}"#
        );
        assert_eq!(
            Reply::QmpEvent {
                event: "BALLOON_CHANGE".into(),
                data: json!({"actual": 944766976}),
                time_ns: 1_500_002_000
            }
            .to_line(),
            r#"{"timestamp": {"seconds": 1, "microseconds": 500002}, "event": "BALLOON_CHANGE", "data": {"actual": 944766976}}"#
        );
    }
}
