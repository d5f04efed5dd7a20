//! The trace hash: FNV-1a (64-bit) over a canonical encoding of each event.
//!
//! The encoding is serde_json of the event's data: struct fields in declaration order, no maps
//! with unspecified order, integers printed in decimal whatever their width, so the hash is the
//! same natively and in wasm32.

use std::io;

/// FNV-1a 64 offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running FNV-1a 64 hash; `io::Write` so serde_json can stream into it without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv64(pub u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Self(FNV_OFFSET)
    }
}

impl Fnv64 {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.update_byte(b);
        }
    }

    /// Feeds one byte.
    #[inline]
    pub fn update_byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(FNV_PRIME);
    }

    /// Feeds one serialisable value, then a record separator (so `ab`,`c` ≠ `a`,`bc`).
    pub fn feed<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        // The direct encoder writes serde_json's bytes. A value serde_json refuses (never one
        // of the derive-based types of the trace) is hashed as what serde_json wrote before
        // failing, then its error text.
        if let Err(e) = super::encode::write_json(self, value) {
            self.update(e.0.as_bytes());
        }
        self.update(b"\x1e");
    }
}

impl io::Write for Fnv64 {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The hex form printed in summaries (`0x` and 16 digits).
pub fn hex(hash: u64) -> String {
    format!("{hash:#018x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_vectors() {
        let mut h = Fnv64::default();
        h.update(b"");
        assert_eq!(h.0, 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv64::default();
        h.update(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
        let mut h = Fnv64::default();
        h.update(b"foobar");
        assert_eq!(h.0, 0x8594_4171_f739_67e8);
    }

    #[test]
    fn records_are_separated_and_widths_do_not_matter() {
        let (mut a, mut b) = (Fnv64::default(), Fnv64::default());
        a.feed("ab");
        a.feed("c");
        b.feed("a");
        b.feed("bc");
        assert_ne!(a, b);
        let (mut x, mut y) = (Fnv64::default(), Fnv64::default());
        x.feed(&7u16);
        y.feed(&7u64);
        assert_eq!(x, y);
        assert_eq!(hex(0xab), "0x00000000000000ab");
    }
}
