//! QMP request lines: `{"execute": NAME, "arguments": {...}, "id": ...}`.

use serde_json::{Map, Value};

use super::ScriptError;

/// Deepest JSON nesting accepted (objects and arrays), checked before parsing.
pub const MAX_JSON_DEPTH: usize = 32;

/// A QMP request as QEMU's dispatcher sees it. Argument checking happens when it runs, so
/// wrong arguments get QEMU's error reply rather than a script error.
#[derive(Debug, Clone, PartialEq)]
pub struct QmpRequest {
    /// The command name (`balloon`, `query-balloon`, `qom-get`, `qom-set`, ...).
    pub execute: String,
    /// The arguments object (empty when absent).
    pub arguments: Map<String, Value>,
    /// The request id, echoed in the reply.
    pub id: Option<Value>,
}

impl QmpRequest {
    /// Builds a request (used by the UI's buttons).
    pub fn new(execute: &str, arguments: Value) -> Self {
        let arguments = match arguments {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self {
            execute: execute.to_owned(),
            arguments,
            id: None,
        }
    }

    /// The canonical one-line JSON form of this request.
    pub fn to_line(&self) -> String {
        let mut s = format!("{{\"execute\": {}", Value::String(self.execute.clone()));
        if !self.arguments.is_empty() {
            s += ", \"arguments\": ";
            s += &crate::reply::qemu_json(&Value::Object(self.arguments.clone()));
        }
        if let Some(id) = &self.id {
            s += ", \"id\": ";
            s += &crate::reply::qemu_json(id);
        }
        s.push('}');
        s
    }
}

const FORM: &str = r#"a QMP object like {"execute": "query-balloon"}"#;

/// Parses one QMP line. `text` is the line with its comment removed.
pub(crate) fn parse_qmp(text: &str) -> Result<QmpRequest, ScriptError> {
    check_depth(text)?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let byte = byte_of(text, e.line(), e.column());
        ScriptError::in_line(
            text,
            byte,
            FORM,
            format!("invalid JSON: {}", strip_position(&e.to_string())),
        )
    })?;
    let start = text.len() - text.trim_start().len();
    let Value::Object(mut obj) = value else {
        return Err(ScriptError::in_line(
            text,
            start,
            FORM,
            "a QMP request must be a JSON object",
        ));
    };
    let execute = match obj.remove("execute") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(ScriptError::in_line(
                text,
                key_at(text, "execute"),
                "\"execute\" with a string command name",
                "\"execute\" is not a string",
            ));
        }
        None => {
            return Err(ScriptError::in_line(
                text,
                start,
                FORM,
                "the object has no \"execute\" member",
            ));
        }
    };
    let arguments = match obj.remove("arguments") {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ScriptError::in_line(
                text,
                key_at(text, "arguments"),
                "\"arguments\" holding an object",
                "\"arguments\" is not an object",
            ));
        }
    };
    let id = obj.remove("id");
    if let Some(extra) = obj.keys().next() {
        return Err(ScriptError::in_line(
            text,
            key_at(text, extra),
            "only \"execute\", \"arguments\" and \"id\" members",
            format!("unexpected member \"{extra}\""),
        ));
    }
    Ok(QmpRequest {
        execute,
        arguments,
        id,
    })
}

/// Refuses nesting deeper than [`MAX_JSON_DEPTH`] without recursing.
fn check_depth(text: &str) -> Result<(), ScriptError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(ScriptError::in_line(
                        text,
                        i,
                        "JSON nested at most 32 levels deep",
                        "JSON nested too deeply",
                    ));
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// serde_json reports 1-based line and column (column in bytes); the line is a single line.
fn byte_of(text: &str, line: usize, column: usize) -> usize {
    if line <= 1 {
        column.saturating_sub(1).min(text.len())
    } else {
        text.len()
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn key_at(text: &str, key: &str) -> usize {
    text.find(&format!("\"{key}\"")).unwrap_or(0)
}
