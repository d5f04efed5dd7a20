//! The encoder of [`super::binary`]: a serde serializer that appends postcard 1.x's wire
//! format to a vector, byte for byte what `postcard::to_allocvec` writes.
//!
//! Why not postcard's own serializer: every event of every run is encoded (the trace hash
//! reads it), and postcard writes each integer through a zeroed 10-byte scratch buffer and a
//! flavor's slice copy, which made the encoding about a fifth of a whole bulk inflate. Here an
//! integer's varint bytes are pushed straight into the vector. Decoding stays postcard's
//! (`postcard::take_from_bytes`), so a record this writes and postcard cannot read back is a
//! test failure (tests/trace_binary.rs), and the goldens' trace hashes pin the bytes.
//!
//! The format (postcard's specification, "Wire format"): `bool` and `u8`/`i8` one byte;
//! wider integers LEB128 varints, signed ones zigzag-encoded first; floats their IEEE bits
//! little-endian; strings and byte slices a varint length, then the bytes; `None` 0 and
//! `Some` 1 before the value; enum variants by their index as a varint; sequences and maps a
//! varint length first (a length serde does not know is an error); structs and tuples their
//! fields in order, with no names and no length.

use std::borrow::Cow;

use serde::ser::{self, Serialize};

/// Why a value could not be written: a sequence or map of unknown length (postcard's
/// `SerializeSeqLengthUnknown`), or a type's own error. None of the trace's types has one.
/// The message behind one pointer, so that `Result<(), WriteError>` is a pointer returned in a
/// register: every field of every event returns one, and a 24-byte `String` went through
/// memory each time (a boxed `str`, two words, cost 1 % more of a bulk inflate than this).
#[derive(Debug)]
pub struct WriteError(Box<Cow<'static, str>>);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        WriteError(Box::new(msg.to_string().into()))
    }
}

type Result<T = ()> = std::result::Result<T, WriteError>;

/// Appends values in postcard's wire format to a vector.
#[derive(Debug)]
pub struct Writer<'a>(pub &'a mut Vec<u8>);

impl Writer<'_> {
    /// An unsigned LEB128 varint: seven bits a byte, lowest first, the top bit set on every
    /// byte but the last.
    #[inline]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    #[inline]
    fn len(&mut self, len: Option<usize>) -> Result {
        let n = len.ok_or_else(|| WriteError(Box::new("a sequence of unknown length".into())))?;
        self.varint(n as u64);
        Ok(())
    }
}

/// Serializer methods that widen their integer and call the wider type's method.
macro_rules! widen {
    ($($name:ident($t:ty) => $to:ident($w:ty)),*) => {$(
        #[inline]
        fn $name(self, v: $t) -> Result {
            self.$to(<$w>::from(v))
        }
    )*};
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn is_human_readable(&self) -> bool {
        false
    }
    #[inline]
    fn serialize_bool(self, v: bool) -> Result {
        self.0.push(u8::from(v));
        Ok(())
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result {
        self.0.push(v as u8);
        Ok(())
    }
    // The narrower integers are the same varint as their 64-bit widening.
    widen!(
        serialize_i16(i16) => serialize_i64(i64),
        serialize_i32(i32) => serialize_i64(i64),
        serialize_u16(u16) => serialize_u64(u64),
        serialize_u32(u32) => serialize_u64(u64)
    );
    #[inline]
    fn serialize_i64(self, v: i64) -> Result {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.serialize_u128(((v << 1) ^ (v >> 127)) as u128)
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result {
        self.0.push(v);
        Ok(())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result {
        self.varint(v);
        Ok(())
    }
    fn serialize_u128(self, mut v: u128) -> Result {
        // The 64-bit varint's loop, on 128 bits (the trace has no such field).
        while v > u128::from(u64::MAX) {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.varint(v as u64);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result {
        self.serialize_bytes(v.as_bytes())
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result {
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
        Ok(())
    }
    #[inline]
    fn serialize_none(self) -> Result {
        self.0.push(0);
        Ok(())
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        self.0.push(1);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Ok(())
    }
    #[inline]
    fn serialize_unit_variant(self, _: &'static str, index: u32, _: &'static str) -> Result {
        self.varint(u64::from(index));
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result {
        v.serialize(self)
    }
    #[inline]
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result {
        self.varint(u64::from(index));
        value.serialize(self)
    }
    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Self> {
        self.len(len)?;
        Ok(self)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _len: usize) -> Result<Self> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self> {
        // The same bytes as a struct variant: the index, then the fields.
        self.serialize_struct_variant(name, index, variant, len)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self> {
        self.len(len)?;
        Ok(self)
    }
    #[inline]
    fn serialize_struct(self, _: &'static str, _len: usize) -> Result<Self> {
        Ok(self)
    }
    #[inline]
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _len: usize,
    ) -> Result<Self> {
        self.varint(u64::from(index));
        Ok(self)
    }
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result {
        self.serialize_str(&value.to_string())
    }
}

/// The compound shapes: their elements in order, nothing at the end.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Writer<'_> {
            type Ok = ();
            type Error = WriteError;
            #[inline]
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
                value.serialize(&mut **self)
            }
            #[inline]
            fn end(self) -> Result {
                Ok(())
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// Struct fields: the value alone (postcard writes no names).
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for &mut Writer<'_> {
            type Ok = ();
            type Error = WriteError;
            #[inline]
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                _key: &'static str,
                value: &T,
            ) -> Result {
                value.serialize(&mut **self)
            }
            #[inline]
            fn end(self) -> Result {
                Ok(())
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for &mut Writer<'_> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    fn ours<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        v.serialize(&mut Writer(&mut out)).expect("writes");
        out
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        New(i32),
        Tuple(u8, i16),
        Struct { a: u64, b: Option<String> },
    }

    #[derive(Serialize)]
    struct Every {
        t: bool,
        i8: i8,
        i16: i16,
        i32: i32,
        i64: i64,
        i128: i128,
        u8: u8,
        u16: u16,
        u32: u32,
        u64: u64,
        u128: u128,
        f32: f32,
        f64: f64,
        c: char,
        s: String,
        none: Option<u8>,
        some: Option<u16>,
        unit: (),
        seq: Vec<u32>,
        tuple: (u8, u64),
        map: BTreeMap<u16, String>,
        shapes: Vec<Shape>,
    }

    /// Every shape of the serde data model, at the edges of each varint width, gives the bytes
    /// postcard's own serializer gives.
    #[test]
    fn every_shape_matches_postcard() {
        for (k, big) in [
            0u64,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ]
        .into_iter()
        .enumerate()
        {
            let neg = -(big as i64);
            let v = Every {
                t: k % 2 == 0,
                i8: neg as i8,
                i16: neg as i16,
                i32: neg as i32,
                i64: neg,
                i128: i128::from(neg) * 3,
                u8: big as u8,
                u16: big as u16,
                u32: big as u32,
                u64: big,
                u128: u128::from(big) << 40,
                f32: big as f32 / 3.0,
                f64: -(big as f64) / 7.0,
                c: ['a', 'é', '€', '🎈'][k % 4],
                s: "x".repeat(k * 40),
                none: None,
                some: Some(big as u16),
                unit: (),
                seq: (0..k as u32).map(|i| i * 1000).collect(),
                tuple: (k as u8, big),
                map: (0..k as u16).map(|i| (i, i.to_string())).collect(),
                shapes: vec![
                    Shape::Unit,
                    Shape::New(neg as i32),
                    Shape::Tuple(3, -4),
                    Shape::Struct {
                        a: big,
                        b: Some("b".into()),
                    },
                ],
            };
            assert_eq!(ours(&v), postcard::to_allocvec(&v).unwrap(), "case {k}");
        }
    }

    #[test]
    fn a_sequence_of_unknown_length_is_an_error_not_a_panic() {
        struct Unknown;
        impl Serialize for Unknown {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use ser::SerializeSeq;
                s.serialize_seq(None)?.end()
            }
        }
        assert!(Unknown.serialize(&mut Writer(&mut Vec::new())).is_err());
        assert!(postcard::to_allocvec(&Unknown).is_err());
    }
}
