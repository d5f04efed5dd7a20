//! The trace hash: a 64-bit hash over the binary encoding of each event
//! ([`super::binary`]), eight bytes a step.
//!
//! Each record is read as little-endian 64-bit words (the last one padded with zeros), each
//! word folded into the state with a 64×64→128-bit multiply whose two halves are xored (the
//! "folded multiply" of wyhash and foldhash), then the record's length is folded in the same
//! way, so that records `ab`,`c` and `a`,`bc` hash differently. Only integer arithmetic on
//! explicit little-endian words: the same value natively and in wasm32.

use serde::Serialize;

/// The state before any record (the fractional digits of π, as in many hashes' seeds).
pub const START: u64 = 0x243f_6a88_85a3_08d3;
/// The multiplier of a word step (wyhash's first secret, an odd constant with balanced bits).
const WORD: u64 = 0xa076_1d64_78bd_642f;
/// The multiplier of a record's end (wyhash's second secret).
const END: u64 = 0xe703_7ed1_a0b4_28db;

/// A running trace hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceHash(pub u64);

impl Default for TraceHash {
    fn default() -> Self {
        Self(START)
    }
}

/// The 128-bit product of `a` and `b`, its halves xored.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let (lo, hi) = widening_multiply(a, b);
    lo ^ hi
}

/// `a × b` as (low, high) 64-bit halves: one instruction on 64-bit hosts.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
fn widening_multiply(a: u64, b: u64) -> (u64, u64) {
    let p = u128::from(a) * u128::from(b);
    (p as u64, (p >> 64) as u64)
}

/// `a × b` as (low, high) 64-bit halves from four 32×32→64-bit products. wasm has no widening
/// multiply, so LLVM lowers a `u128` product to a call of compiler-builtins' general
/// 128×128-bit `__multi3`, which was 2.4 % of the bulk inflate's time in V8 (a CPU profile of
/// the page's build in Node); these four `i64.mul`s are inlined.
#[cfg(any(target_arch = "wasm32", test))]
#[inline]
fn schoolbook_multiply(a: u64, b: u64) -> (u64, u64) {
    const LOW: u64 = 0xffff_ffff;
    let (a0, a1, b0, b1) = (a & LOW, a >> 32, b & LOW, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // Below 3 × 2^32: no carry is lost.
    let mid = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    (
        (p00 & LOW) | (mid << 32),
        p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32),
    )
}

#[cfg(target_arch = "wasm32")]
use schoolbook_multiply as widening_multiply;

impl TraceHash {
    /// Feeds one record (an event's encoding): its words, then its length.
    #[inline]
    pub fn record(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            h = folded_multiply(h ^ w, WORD);
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            h = folded_multiply(h ^ u64::from_le_bytes(last), WORD);
        }
        self.0 = folded_multiply(h ^ bytes.len() as u64, END);
    }

    /// Feeds one value as a record of its binary encoding, using `scratch` as the buffer (the
    /// runners keep one, so hashing allocates nothing per event).
    pub fn feed_with<T: Serialize + ?Sized>(&mut self, value: &T, scratch: &mut Vec<u8>) {
        scratch.clear();
        super::binary::encode_into(value, scratch);
        self.record(scratch);
    }

    /// Feeds one value as a record of its binary encoding.
    pub fn feed<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.feed_with(value, &mut Vec::new());
    }
}

/// The hex form printed in summaries (`0x` and 16 digits).
pub fn hex(hash: u64) -> String {
    format!("{hash:#018x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        // wasm's four-product multiply is the 128-bit product, so both targets hash alike.
        #[test]
        fn the_schoolbook_product_is_the_128_bit_product(a: u64, b: u64) {
            let p = u128::from(a) * u128::from(b);
            proptest::prop_assert_eq!(schoolbook_multiply(a, b), (p as u64, (p >> 64) as u64));
        }
    }

    #[test]
    fn the_schoolbook_product_at_the_edges() {
        for (a, b) in [
            (u64::MAX, u64::MAX),
            (u64::MAX, 1),
            (0, u64::MAX),
            (1 << 32, 1 << 32),
        ] {
            let p = u128::from(a) * u128::from(b);
            assert_eq!(schoolbook_multiply(a, b), (p as u64, (p >> 64) as u64));
        }
    }

    /// Values from an independent implementation of the same definition (Python's arbitrary
    /// precision integers, `h = ((h ^ w) * K) % 2**128` folded, little-endian words):
    ///
    /// ```text
    /// def fm(a, b): p = a * b; return (p & M64) ^ (p >> 64)
    /// def record(h, b):
    ///     for i in range(0, len(b), 8):
    ///         h = fm(h ^ int.from_bytes(b[i:i+8].ljust(8, b"\0"), "little"), WORD)
    ///     return fm(h ^ len(b), END)
    /// ```
    #[test]
    fn known_vectors_from_an_independent_implementation() {
        let of = |records: &[&[u8]]| {
            let mut h = TraceHash::default();
            for r in records {
                h.record(r);
            }
            h.0
        };
        assert_eq!(of(&[]), START);
        assert_eq!(of(&[b""]), KNOWN_EMPTY);
        assert_eq!(of(&[b"a"]), KNOWN_A);
        assert_eq!(of(&[b"foobar"]), KNOWN_FOOBAR);
        assert_eq!(of(&[b"0123456789abcdefXYZ"]), KNOWN_LONG);
        assert_eq!(of(&[b"ab", b"c"]), KNOWN_AB_C);
    }

    const KNOWN_EMPTY: u64 = 0xdee1_d5c0_b510_7a8e;
    const KNOWN_A: u64 = 0x6676_39cf_c830_5c02;
    const KNOWN_FOOBAR: u64 = 0x410b_7535_e128_5308;
    const KNOWN_LONG: u64 = 0x467d_e3b2_76d6_2357;
    const KNOWN_AB_C: u64 = 0xc6fa_6be1_d163_d2ff;

    #[test]
    fn records_are_separated_and_widths_do_not_matter() {
        let (mut a, mut b) = (TraceHash::default(), TraceHash::default());
        a.feed("ab");
        a.feed("c");
        b.feed("a");
        b.feed("bc");
        assert_ne!(a, b);
        // Zero padding cannot hide a record's length: "a" and "a\0" differ.
        let (mut x, mut y) = (TraceHash::default(), TraceHash::default());
        x.record(b"a");
        y.record(b"a\0");
        assert_ne!(x, y);
        // postcard writes every integer wider than a byte as a varint, so a field's width
        // does not change the trace hash.
        let (mut x, mut y) = (TraceHash::default(), TraceHash::default());
        x.feed(&7u16);
        y.feed(&7u64);
        assert_eq!(x, y);
        assert_eq!(hex(0xab), "0x00000000000000ab");
    }
}
