//! The hash encoding written straight into the hash: the bytes `serde_json::to_writer` would
//! produce (compact JSON), without its per-token `io::Write` calls and escape tables for the
//! plain ASCII names and numbers that make up almost all of a trace.
//!
//! Every shape is answered here: what this module does not write itself (a float, a string
//! that needs escaping) it hands to serde_json as that one value, never the whole event, so
//! the trace's types are instantiated for this encoder only and not a second time for
//! serde_json's (about 25 kB of the page's wasm before wasm-opt). Where serde_json would fail
//! (a map key that is not a string or a number), the error carries serde_json's text, which
//! the caller hashes as it did serde_json's. The tests check every shape against serde_json.

use serde::ser::{self, Serialize};

use super::hash::Fnv64;

/// A value serde_json refuses to write; holds the text of serde_json's error.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        // serde_json's own text for a custom error (`make_error`), not a copy of it.
        Refused(<serde_json::Error as ser::Error>::custom(msg).to_string())
    }
}

/// serde_json's `ErrorCode::KeyMustBeAString` and `FloatKeyMustBeFinite` texts (error.rs).
const KEY_MUST_BE_A_STRING: &str = "key must be a string";
const FLOAT_KEY_MUST_BE_FINITE: &str = "float key must be finite (got NaN or +/-inf)";

type Result<T = ()> = std::result::Result<T, Refused>;

/// Writes `value`'s compact JSON into `h`; `Err` (with serde_json's error text) only where
/// serde_json itself fails, after the same bytes serde_json would have written before failing.
pub(crate) fn write_json<T: Serialize + ?Sized>(h: &mut Fnv64, value: &T) -> Result {
    value.serialize(Encoder(h))
}

/// `"s"`: written here when no byte needs escaping (checked while hashing, the common case);
/// otherwise the hash is rewound and serde_json writes the escaped string.
fn quoted(h: &mut Fnv64, s: &str) {
    let saved = *h;
    h.update(b"\"");
    let mut bad = false;
    for &b in s.as_bytes() {
        bad |= b < 0x20 || b == b'"' || b == b'\\';
        h.update_byte(b);
    }
    if bad {
        *h = saved;
        leaf(h, s);
    } else {
        h.update(b"\"");
    }
}

/// One leaf value through serde_json (a float or a string to escape): writing into the hash
/// cannot fail, and these leaves serialise without error.
fn leaf<T: Serialize + ?Sized>(h: &mut Fnv64, value: &T) {
    let _ = serde_json::to_writer(&mut *h, value);
}

fn integer(h: &mut Fnv64, v: impl itoa::Integer) {
    let mut buf = itoa::Buffer::new();
    h.update(buf.format(v).as_bytes());
}

/// The ten `serialize_{i,u}{8,16,32,64,128}` methods, each through the serializer's own
/// `int` (serde's trait has one method per width; JSON writes them all in decimal).
macro_rules! integers {
    () => {
        integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
            serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
            serialize_u64: u64, serialize_u128: u128);
    };
    ($($name:ident: $t:ty),*) => {
        $(
            fn $name(self, v: $t) -> Result {
                self.int(v)
            }
        )*
    };
}

struct Encoder<'a>(&'a mut Fnv64);

impl Encoder<'_> {
    fn int(self, v: impl itoa::Integer) -> Result {
        integer(self.0, v);
        Ok(())
    }
}

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
    type Error = Refused;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result {
        self.0.update(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!();
    fn serialize_f32(self, v: f32) -> Result {
        leaf(self.0, &v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result {
        leaf(self.0, &v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        quoted(self.0, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        quoted(self.0, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        // serde_json writes bytes as an array of numbers (`Formatter::write_byte_array`).
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        Compound::end(seq)
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
        quoted(self.0, variant);
        Ok(())
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
        quoted(self.0, variant);
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
        quoted(self.0, variant);
        self.0.update(b":[");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"]}",
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>> {
        // A `serde_json::Value` object in an event's data, say.
        self.0.update(b"{");
        Ok(Compound {
            h: self.0,
            first: true,
            close: b"}",
        })
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
        quoted(self.0, variant);
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
    type Error = Refused;
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
    type Error = Refused;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.comma();
        quoted(self.h, key);
        self.h.update(b":");
        value.serialize(Encoder(&mut *self.h))
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Refused;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.comma();
        key.serialize(KeyEncoder(&mut *self.h))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.h.update(b":");
        value.serialize(Encoder(&mut *self.h))
    }
    fn end(self) -> Result {
        Compound::end(self)
    }
}

/// A map key as serde_json's `MapKeySerializer` writes it (ser.rs): strings as strings,
/// numbers and booleans inside quotes, anything else refused with serde_json's text.
struct KeyEncoder<'a>(&'a mut Fnv64);

impl KeyEncoder<'_> {
    fn in_quotes(self, write: impl FnOnce(&mut Fnv64)) -> Result {
        self.0.update(b"\"");
        write(self.0);
        self.0.update(b"\"");
        Ok(())
    }
    fn int(self, v: impl itoa::Integer) -> Result {
        self.in_quotes(|h| integer(h, v))
    }
}

fn not_a_string<T>() -> Result<T> {
    Err(Refused(KEY_MUST_BE_A_STRING.to_owned()))
}

impl ser::Serializer for KeyEncoder<'_> {
    type Ok = ();
    type Error = Refused;
    type SerializeSeq = ser::Impossible<(), Refused>;
    type SerializeTuple = ser::Impossible<(), Refused>;
    type SerializeTupleStruct = ser::Impossible<(), Refused>;
    type SerializeTupleVariant = ser::Impossible<(), Refused>;
    type SerializeMap = ser::Impossible<(), Refused>;
    type SerializeStruct = ser::Impossible<(), Refused>;
    type SerializeStructVariant = ser::Impossible<(), Refused>;

    fn serialize_bool(self, v: bool) -> Result {
        self.in_quotes(|h| h.update(if v { b"true" } else { b"false" }))
    }
    integers!();
    fn serialize_f32(self, v: f32) -> Result {
        if !v.is_finite() {
            return Err(Refused(FLOAT_KEY_MUST_BE_FINITE.to_owned()));
        }
        self.in_quotes(|h| leaf(h, &v))
    }
    fn serialize_f64(self, v: f64) -> Result {
        if !v.is_finite() {
            return Err(Refused(FLOAT_KEY_MUST_BE_FINITE.to_owned()));
        }
        self.in_quotes(|h| leaf(h, &v))
    }
    fn serialize_char(self, v: char) -> Result {
        quoted(self.0, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        quoted(self.0, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        not_a_string()
    }
    fn serialize_none(self) -> Result {
        not_a_string()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        not_a_string()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        not_a_string()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        quoted(self.0, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        not_a_string()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        not_a_string()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        not_a_string()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        not_a_string()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        not_a_string()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        not_a_string()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        not_a_string()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        not_a_string()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    /// What `Fnv64::feed` hashed before it used this encoder for everything: serde_json's
    /// bytes, then, where serde_json fails, its error text.
    fn through_serde_json<T: Serialize + ?Sized>(value: &T) -> Fnv64 {
        let mut out = Vec::new();
        let result = serde_json::to_writer(&mut out, value);
        let mut h = Fnv64::default();
        h.update(&out);
        if let Err(e) = result {
            h.update(e.to_string().as_bytes());
        }
        h
    }

    /// Whether this encoder hashes `value` as serde_json does; `false` when serde_json fails
    /// on it (then the bytes and the error text must still agree).
    fn same_as_serde_json<T: Serialize + ?Sized>(value: &T) -> bool {
        let mut fast = Fnv64::default();
        let answered = match write_json(&mut fast, value) {
            Ok(()) => true,
            Err(e) => {
                fast.update(e.0.as_bytes());
                false
            }
        };
        assert_eq!(
            fast,
            through_serde_json(value),
            "{:?}",
            serde_json::to_string(value)
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

    #[derive(Serialize)]
    struct Bytes<'a>(#[serde(with = "serde_bytes_as_bytes")] &'a [u8]);

    /// `serialize_bytes` without the serde_bytes crate.
    mod serde_bytes_as_bytes {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[test]
    fn escapes_floats_maps_and_bytes_encode_as_serde_json_does() {
        assert!(same_as_serde_json(&"quote \" inside"));
        assert!(same_as_serde_json(&"new\nline, tab\t, \u{1} and \\"));
        assert!(same_as_serde_json(&'"'));
        assert!(same_as_serde_json(&1.5f64));
        assert!(same_as_serde_json(&[f64::NAN, f64::INFINITY, -0.0, 1e300]));
        assert!(same_as_serde_json(&0.1f32));
        assert!(same_as_serde_json(&(i128::MIN, u128::MAX)));
        assert!(same_as_serde_json(&serde_json::json!({"x": 0.25})));
        assert!(same_as_serde_json(
            &serde_json::json!({"a": [1, -2, null, "b\"c"], "data": {"actual": 1024}})
        ));
        assert!(same_as_serde_json(&Bytes(&[0, 7, 255])));
        // Map keys as serde_json writes them: numbers, booleans and finite floats in quotes.
        assert!(same_as_serde_json(
            &[(1u32, 1), (20, 2)].into_iter().collect::<BTreeMap<_, _>>()
        ));
        assert!(same_as_serde_json(
            &[(true, "t")].into_iter().collect::<BTreeMap<_, _>>()
        ));
        assert!(same_as_serde_json(
            &[(Some('k'), ())].into_iter().collect::<BTreeMap<_, _>>()
        ));
        let mut float_key = serde_json::Map::new();
        float_key.insert("0.5".into(), serde_json::Value::Null);
        assert!(same_as_serde_json(&float_key));
    }

    #[test]
    fn what_serde_json_refuses_hashes_its_bytes_and_error_text() {
        // Keys that are not strings: serde_json writes `{` and fails; so does this encoder.
        assert!(!same_as_serde_json(
            &[((1u8, 2u8), 0)].into_iter().collect::<BTreeMap<_, _>>()
        ));
        assert!(!same_as_serde_json(&vec![
            [(None::<u8>, 0)].into_iter().collect::<BTreeMap<_, _>>()
        ]));
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use proptest::prelude::*;
        use proptest_cases::config;

        use super::*;

        proptest! {
            #![proptest_config(config(256))]
            #[test]
            fn any_string_float_and_map_encodes_as_serde_json_does(
                s in any::<String>(),
                c in any::<char>(),
                f in any::<f64>(),
                g in any::<f32>(),
                map in prop::collection::btree_map(any::<String>(), any::<i64>(), 0..4),
                ints in prop::collection::btree_map(any::<i32>(), any::<String>(), 0..4),
                bytes in prop::collection::vec(any::<u8>(), 0..8),
            ) {
                prop_assert!(same_as_serde_json(&(&s, c, f, g)));
                prop_assert!(same_as_serde_json(&map));
                prop_assert!(same_as_serde_json(&ints));
                prop_assert!(same_as_serde_json(&Bytes(&bytes)));
            }
        }
    }
}
