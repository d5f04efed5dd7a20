//! The hash encoding written straight into the hash: the bytes `serde_json::to_writer` would
//! produce (compact JSON), without its per-token `io::Write` calls and escape tables for the
//! plain ASCII names and numbers that make up almost all of a trace.
//!
//! Only the shapes the trace uses are written here; anything else (a float, a map, a string
//! that needs escaping) returns [`Unsupported`], and the
//! caller hashes that event again through serde_json from the saved state. So the hash never
//! depends on this module's coverage, only on its being byte-exact where it answers, which
//! the tests check against serde_json.

use serde::ser::{self, Serialize};

use super::hash::Fnv64;

/// This encoder leaves the value to serde_json.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

type Result<T = ()> = std::result::Result<T, Unsupported>;

/// Writes `value`'s compact JSON into `h`; `Err` when it must go through serde_json instead
/// (then `h` holds a partial state and must be restored by the caller).
pub(crate) fn write_json<T: Serialize + ?Sized>(h: &mut Fnv64, value: &T) -> Result {
    value.serialize(Encoder(h))
}

/// `"s"`, when serde_json writes `s` as-is between quotes (no byte to escape). The check rides
/// along with the hashing: on `Err` the caller discards the state anyway.
fn quoted(h: &mut Fnv64, s: &str) -> Result {
    h.update(b"\"");
    let mut bad = false;
    for &b in s.as_bytes() {
        bad |= b < 0x20 || b == b'"' || b == b'\\';
        h.update_byte(b);
    }
    if bad {
        return Err(Unsupported);
    }
    h.update(b"\"");
    Ok(())
}

fn integer(h: &mut Fnv64, v: impl itoa::Integer) {
    let mut buf = itoa::Buffer::new();
    h.update(buf.format(v).as_bytes());
}

struct Encoder<'a>(&'a mut Fnv64);

/// A sequence, map or struct being written: the hash and whether an element came yet.
struct Compound<'a> {
    h: &'a mut Fnv64,
    first: bool,
    /// The closing bytes: `]`, `}` or, for a variant wrapped in an object, `]}` / `}}`.
    close: &'static [u8],
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !self.first {
            self.h.update(b",");
        }
        self.first = false;
    }
    fn end(self) -> Result {
        self.h.update(self.close);
        Ok(())
    }
}

impl<'a> ser::Serializer for Encoder<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result {
        self.0.update(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result {
        integer(self.0, v);
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(Unsupported)
    }
    fn serialize_char(self, v: char) -> Result {
        quoted(self.0, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        quoted(self.0, v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result {
        self.0.update(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.0.update(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        quoted(self.0, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.0.update(b"{");
        quoted(self.0, variant)?;
        self.0.update(b":");
        value.serialize(Encoder(&mut *self.0))?;
        self.0.update(b"}");
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>> {
        self.0.update(b"[");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"]",
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>> {
        self.0.update(b"{");
        quoted(self.0, variant)?;
        self.0.update(b":[");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"]}",
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        // No trace event holds a map; one that did would hash through serde_json.
        Err(Unsupported)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>> {
        self.0.update(b"{");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"}",
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>> {
        self.0.update(b"{");
        quoted(self.0, variant)?;
        self.0.update(b":{");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"}}",
        })
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.comma();
        value.serialize(Encoder(&mut *self.h))
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.comma();
        quoted(self.h, key)?;
        self.h.update(b":");
        value.serialize(Encoder(&mut *self.h))
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    fn same_as_serde_json<T: Serialize>(value: &T) -> bool {
        let mut fast = Fnv64::default();
        let answered = write_json(&mut fast, value).is_ok();
        let mut slow = Fnv64::default();
        slow.update(&serde_json::to_vec(value).expect("serialises"));
        assert!(
            !answered || fast == slow,
            "{}",
            serde_json::to_string(value).unwrap()
        );
        answered
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        Newtype(u16),
        Tuple(i8, bool),
        Struct {
            a: Option<u64>,
            b: Vec<(u32, &'static str)>,
        },
    }

    #[derive(Serialize)]
    struct S {
        e: Vec<E>,
        unit: (),
        c: char,
        #[serde(skip)]
        _skipped: u8,
        nested: Option<Box<S>>,
        ext: [u64; 2],
    }

    #[test]
    fn every_shape_of_the_trace_encodes_as_serde_json_does() {
        let s = S {
            e: vec![
                E::Unit,
                E::Newtype(65535),
                E::Tuple(-128, true),
                E::Struct {
                    a: None,
                    b: vec![(0, "x"), (7, "")],
                },
                E::Struct {
                    a: Some(u64::MAX),
                    b: vec![],
                },
            ],
            unit: (),
            c: 'é',
            _skipped: 3,
            nested: Some(Box::new(S {
                e: vec![],
                unit: (),
                c: 'a',
                _skipped: 0,
                nested: None,
                ext: [0, 0],
            })),
            ext: [i64::MAX as u64, 10],
        };
        assert!(same_as_serde_json(&s));
        assert!(same_as_serde_json(&"plain ascii and UTF-8: ü"));
    }

    #[test]
    fn what_needs_escaping_or_floats_is_left_to_serde_json() {
        assert!(!same_as_serde_json(&"quote \" inside"));
        assert!(!same_as_serde_json(&"new\nline"));
        assert!(!same_as_serde_json(&1.5f64));
        assert!(!same_as_serde_json(&serde_json::json!({"x": 0.25})));
        // No event holds a map, so maps are serde_json's too.
        assert!(!same_as_serde_json(
            &[(1u32, 1)].into_iter().collect::<BTreeMap<_, _>>()
        ));
        assert!(!same_as_serde_json(
            &serde_json::json!({"a": [1, -2, null, "b"]})
        ));
    }
}
