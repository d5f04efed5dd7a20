//! The one canonical form of a trace event: a version byte, then the event in postcard (the
//! serde data model with LEB128 varints for integers, fields in declaration order, enum
//! variants by index), written by [`super::writer`] and read by postcard. The trace hash runs over these bytes, the session's timeline stores
//! them, and the JSON the CLI and the page show is rendered from the decoded event.
//!
//! Integers are varints whatever their width (`7u16` and `7u64` are the same byte), and
//! postcard is byte-for-byte the same on 64-bit hosts and wasm32 (no `usize` in the trace).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The encoding's version: the first byte of every record. Bump it when the trace's types or
/// their order change in a way that changes old records' meaning.
pub const VERSION: u8 = 1;

/// Why bytes did not decode (a record from another version, or not a record at all).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The record is empty.
    #[error("an empty trace record")]
    Empty,
    /// The record was written by another version of the encoding.
    #[error("trace record version {found}, this build reads version {VERSION}")]
    Version {
        /// The version byte found.
        found: u8,
    },
    /// postcard refused the bytes, or bytes were left over after the event.
    #[error("malformed trace record: {0}")]
    Malformed(String),
}

/// Appends `value`'s record (version byte, then postcard) to `out`.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    out.push(VERSION);
    // The trace's types have no sequence of unknown length and no failing Serialize impl:
    // an error here is a bug in one of them, and what was written is kept rather than
    // panicking.
    let result = value.serialize(&mut super::writer::Writer(out));
    debug_assert!(
        result.is_ok(),
        "a trace value did not serialise: {result:?}"
    );
}

/// `value`'s record as a new vector.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Decodes one whole record.
pub fn decode<T: DeserializeOwned>(record: &[u8]) -> Result<T, DecodeError> {
    let (&version, body) = record.split_first().ok_or(DecodeError::Empty)?;
    if version != VERSION {
        return Err(DecodeError::Version { found: version });
    }
    match postcard::take_from_bytes(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(DecodeError::Malformed(format!(
            "{} bytes left after the event",
            rest.len()
        ))),
        Err(e) => Err(DecodeError::Malformed(e.to_string())),
    }
}

/// serde's `with` module for a `serde_json::Value` inside a trace type (a QMP reply's
/// `return`, an event's `data`): JSON as itself in human-readable formats (the JSON the CLI and
/// the page render), its compact text in postcard, which cannot carry a self-describing value.
pub mod json_value {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    /// Serialises the value (as text in binary formats).
    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            v.serialize(s)
        } else {
            s.serialize_str(&v.to_string())
        }
    }

    /// Deserialises the value (parsing the text in binary formats).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        if d.is_human_readable() {
            Value::deserialize(d)
        } else {
            let text = String::deserialize(d)?;
            serde_json::from_str(&text).map_err(serde::de::Error::custom)
        }
    }

    /// The same for `Option<Value>` (a QMP `id`).
    pub mod option {
        use super::*;

        /// Serialises the optional value.
        pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                v.serialize(s)
            } else {
                v.as_ref().map(Value::to_string).serialize(s)
            }
        }

        /// Deserialises the optional value.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
            if d.is_human_readable() {
                Option::<Value>::deserialize(d)
            } else {
                Option::<String>::deserialize(d)?
                    .map(|t| serde_json::from_str(&t).map_err(serde::de::Error::custom))
                    .transpose()
            }
        }
    }
}
