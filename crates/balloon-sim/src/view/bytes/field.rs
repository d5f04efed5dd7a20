//! One annotated byte group: a field of a ring, a buffer or the config space.

use serde::Serialize;
use virtq::layout::{VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};

use super::writes::Writer;

/// The ring panel's item a field belongs to, for highlighting one from the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RingItem {
    /// Descriptor `i` (any of its four fields), or a buffer it points to.
    Desc(u16),
    /// avail.flags.
    AvailFlags,
    /// avail.idx.
    AvailIdx,
    /// avail.ring\[slot\].
    AvailEntry(u16),
    /// avail.used_event.
    UsedEvent,
    /// used.flags.
    UsedFlags,
    /// used.idx.
    UsedIdx,
    /// used.ring\[slot\] (id or len).
    UsedEntry(u16),
    /// used.avail_event.
    AvailEvent,
}

/// One field: a few bytes of a region, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByteField {
    /// The field's name as the spec's structs spell it: `desc[3].addr`, `avail.ring[2]`,
    /// `used.ring[0].id`, `pfns[17]`, `stats[1].val`, `num_pages`.
    pub name: String,
    /// Offset of its first byte in the region.
    pub offset: u32,
    /// Its length in bytes (2, 4 or 8; the bytes left over after a buffer's last whole entry
    /// make a field of their own).
    pub len: u32,
    /// The little-endian value of its bytes (0 for leftover bytes wider than 8).
    pub value: u64,
    /// What the value means: flag names, a stat's name, "head 3", "PFN 0x3ff00".
    pub meaning: String,
    /// The ring panel's item it belongs to.
    pub item: Option<RingItem>,
    /// The first of the listed writes that stored into it (its position in
    /// [`super::BytesView::writes`]), and who wrote.
    pub written: Option<(usize, Writer)>,
}

impl ByteField {
    /// A field of `len` bytes at `offset` of `bytes`, its value decoded little-endian; `None`
    /// when the bytes are not there.
    pub(crate) fn read(
        bytes: &[u8],
        offset: u32,
        len: u32,
        name: String,
        item: Option<RingItem>,
    ) -> Option<Self> {
        let b = bytes.get(offset as usize..(offset + len) as usize)?;
        let value = b
            .iter()
            .take(8)
            .rev()
            .fold(0u64, |v, &x| (v << 8) | u64::from(x));
        Some(Self {
            name,
            offset,
            len,
            value: if len > 8 { 0 } else { value },
            meaning: String::new(),
            item,
            written: None,
        })
    }

    /// The same field with its meaning.
    pub(crate) fn means(mut self, meaning: String) -> Self {
        self.meaning = meaning;
        self
    }

    /// The guest address (or config offset) of its first byte, given its region's address.
    pub fn addr(&self, region_addr: u64) -> u64 {
        region_addr.saturating_add(u64::from(self.offset))
    }
}

/// Descriptor flags by name (`NEXT|WRITE`), "0" when none; unknown bits in hex.
pub fn desc_flags_text(flags: u16) -> String {
    let known = [
        (VIRTQ_DESC_F_NEXT, "NEXT"),
        (VIRTQ_DESC_F_WRITE, "WRITE"),
        (VIRTQ_DESC_F_INDIRECT, "INDIRECT"),
    ];
    let mut names: Vec<String> = known
        .into_iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| n.to_owned())
        .collect();
    let other = flags & !(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT);
    if other != 0 {
        names.push(format!("{other:#x}"));
    }
    if names.is_empty() {
        "0".to_owned()
    } else {
        names.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_fields_and_missing_bytes() {
        let b = [0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0x80];
        let f = ByteField::read(&b, 0, 2, "x".into(), None).unwrap();
        assert_eq!(f.value, 0x1234);
        let f = ByteField::read(&b, 0, 8, "x".into(), None).unwrap();
        assert_eq!(f.value, 0x8000_0000_5678_1234);
        assert!(ByteField::read(&b, 6, 4, "x".into(), None).is_none());
        assert_eq!(f.addr(0x1000), 0x1000);
    }

    #[test]
    fn flag_names() {
        assert_eq!(desc_flags_text(0), "0");
        assert_eq!(desc_flags_text(3), "NEXT|WRITE");
        assert_eq!(desc_flags_text(0x14), "INDIRECT|0x10");
    }
}
