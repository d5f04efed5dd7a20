//! The split virtqueue layout of VIRTIO 1.x (spec 2.7): where each field lives in guest memory.
//!
//! The flag values and the descriptor size come from the `virtio-spec` crate's `virtq`
//! definitions, so they cannot drift from the specification.

use virtio_spec::virtq::{AvailF, Desc, DescF, UsedElem, UsedF};

use crate::error::{MemError, QueueError};

/// `VIRTQ_DESC_F_NEXT`: the buffer continues in the `next` field.
pub const VIRTQ_DESC_F_NEXT: u16 = DescF::NEXT.bits().to_ne();
/// `VIRTQ_DESC_F_WRITE`: the buffer is device-writable.
pub const VIRTQ_DESC_F_WRITE: u16 = DescF::WRITE.bits().to_ne();
/// `VIRTQ_DESC_F_INDIRECT`: the buffer holds a table of descriptors.
pub const VIRTQ_DESC_F_INDIRECT: u16 = DescF::INDIRECT.bits().to_ne();
/// `VIRTQ_AVAIL_F_NO_INTERRUPT`: the driver asks not to be interrupted.
pub const VIRTQ_AVAIL_F_NO_INTERRUPT: u16 = AvailF::NO_INTERRUPT.bits().to_ne();
/// `VIRTQ_USED_F_NO_NOTIFY`: the device asks not to be kicked.
pub const VIRTQ_USED_F_NO_NOTIFY: u16 = UsedF::NO_NOTIFY.bits().to_ne();
/// Largest queue size the split ring allows.
pub const MAX_QUEUE_SIZE: u16 = 32768;
/// Bytes in one descriptor (`struct virtq_desc`).
pub const DESC_SIZE: u64 = size_of::<Desc>() as u64;
/// Bytes in one used element (`struct virtq_used_elem`).
pub const USED_ELEM_SIZE: u64 = size_of::<UsedElem>() as u64;
/// Required alignment of the descriptor table.
pub const DESC_ALIGN: u64 = 16;
/// Required alignment of the avail ring.
pub const AVAIL_ALIGN: u64 = 2;
/// Required alignment of the used ring.
pub const USED_ALIGN: u64 = 4;

/// One 16-byte descriptor: addr le64, len le32, flags le16, next le16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Descriptor {
    /// Guest physical address of the buffer.
    pub addr: u64,
    /// Length of the buffer in bytes.
    pub len: u32,
    /// NEXT / WRITE / INDIRECT.
    pub flags: u16,
    /// Index of the next descriptor when NEXT is set.
    pub next: u16,
}

impl Descriptor {
    /// Decodes the little-endian wire form.
    pub fn from_bytes(b: &[u8; 16]) -> Self {
        let [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            a6,
            a7,
            l0,
            l1,
            l2,
            l3,
            f0,
            f1,
            n0,
            n1,
        ] = *b;
        Self {
            addr: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            len: u32::from_le_bytes([l0, l1, l2, l3]),
            flags: u16::from_le_bytes([f0, f1]),
            next: u16::from_le_bytes([n0, n1]),
        }
    }
    /// Encodes the little-endian wire form.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0; 16];
        b[0..8].copy_from_slice(&self.addr.to_le_bytes());
        b[8..12].copy_from_slice(&self.len.to_le_bytes());
        b[12..14].copy_from_slice(&self.flags.to_le_bytes());
        b[14..16].copy_from_slice(&self.next.to_le_bytes());
        b
    }
    /// VIRTQ_DESC_F_NEXT is set.
    pub fn has_next(&self) -> bool {
        self.flags & VIRTQ_DESC_F_NEXT != 0
    }
    /// VIRTQ_DESC_F_WRITE is set.
    pub fn is_write(&self) -> bool {
        self.flags & VIRTQ_DESC_F_WRITE != 0
    }
    /// VIRTQ_DESC_F_INDIRECT is set.
    pub fn is_indirect(&self) -> bool {
        self.flags & VIRTQ_DESC_F_INDIRECT != 0
    }
}

/// Where one queue's three parts live, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueLayout {
    /// Number of entries (a power of two, at most 32768).
    pub size: u16,
    /// Descriptor table address (16-byte aligned).
    pub desc_table: u64,
    /// Avail ring address (2-byte aligned).
    pub avail_ring: u64,
    /// Used ring address (4-byte aligned).
    pub used_ring: u64,
}

fn at(base: u64, offset: u64) -> Result<u64, MemError> {
    base.checked_add(offset).ok_or(MemError::Overflow {
        addr: base,
        len: offset,
    })
}

impl QueueLayout {
    /// The three parts packed one after the other from `base` with the VIRTIO 1.x alignments
    /// (16 / 2 / 4), not legacy `vring_init`'s 4096-aligned used ring. `base` should be
    /// 16-byte aligned and non-zero (rust-vmm treats an avail ring at 0 as not ready).
    pub fn contiguous(base: u64, size: u16) -> QueueLayout {
        let avail_ring = base + Self::desc_table_bytes(size);
        let used_ring = (avail_ring + Self::avail_ring_bytes(size)).next_multiple_of(USED_ALIGN);
        QueueLayout {
            size,
            desc_table: base,
            avail_ring,
            used_ring,
        }
    }
    /// Bytes of a descriptor table of `size` entries.
    pub fn desc_table_bytes(size: u16) -> u64 {
        DESC_SIZE * u64::from(size)
    }
    /// Bytes of an avail ring of `size` entries: flags, idx, ring\[size\], used_event.
    pub fn avail_ring_bytes(size: u16) -> u64 {
        6 + 2 * u64::from(size)
    }
    /// Bytes of a used ring of `size` entries: flags, idx, ring\[size\], avail_event.
    pub fn used_ring_bytes(size: u16) -> u64 {
        6 + USED_ELEM_SIZE * u64::from(size)
    }
    /// The span from the lowest to the highest byte of the three parts (for a
    /// [`QueueLayout::contiguous`] layout: its whole footprint, padding included).
    pub fn bytes(&self) -> u64 {
        let parts = [
            (self.desc_table, Self::desc_table_bytes(self.size)),
            (self.avail_ring, Self::avail_ring_bytes(self.size)),
            (self.used_ring, Self::used_ring_bytes(self.size)),
        ];
        let start = parts.iter().map(|p| p.0).min().unwrap_or(0);
        let end = parts
            .iter()
            .map(|p| p.0.saturating_add(p.1))
            .max()
            .unwrap_or(0);
        end - start
    }
    /// Checks the size (power of two, at most `max_size`) and the alignments.
    pub fn validate(&self, max_size: u16) -> Result<(), QueueError> {
        if self.size == 0 || !self.size.is_power_of_two() || self.size > max_size {
            return Err(QueueError::InvalidSize(self.size));
        }
        let checks = [
            (
                self.desc_table,
                DESC_ALIGN,
                "the descriptor table must be 16-byte aligned",
            ),
            (
                self.avail_ring,
                AVAIL_ALIGN,
                "the avail ring must be 2-byte aligned",
            ),
            (
                self.used_ring,
                USED_ALIGN,
                "the used ring must be 4-byte aligned",
            ),
        ];
        for (addr, align, why) in checks {
            if addr % align != 0 {
                return Err(QueueError::InvalidRingAddress { addr, why });
            }
        }
        Ok(())
    }
    /// Address of descriptor `index`.
    pub fn desc_addr(&self, index: u16) -> Result<u64, MemError> {
        at(self.desc_table, DESC_SIZE * u64::from(index))
    }
    /// Address of avail.flags.
    pub fn avail_flags_addr(&self) -> u64 {
        self.avail_ring
    }
    /// Address of avail.idx.
    pub fn avail_idx_addr(&self) -> Result<u64, MemError> {
        at(self.avail_ring, 2)
    }
    /// Address of avail.ring\[`slot`\] (`slot` already reduced modulo the size).
    pub fn avail_entry_addr(&self, slot: u16) -> Result<u64, MemError> {
        at(self.avail_ring, 4 + 2 * u64::from(slot))
    }
    /// Address of avail.used_event (after ring\[size\]).
    pub fn used_event_addr(&self) -> Result<u64, MemError> {
        at(self.avail_ring, 4 + 2 * u64::from(self.size))
    }
    /// Address of used.flags.
    pub fn used_flags_addr(&self) -> u64 {
        self.used_ring
    }
    /// Address of used.idx.
    pub fn used_idx_addr(&self) -> Result<u64, MemError> {
        at(self.used_ring, 2)
    }
    /// Address of used.ring\[`slot`\] (`slot` already reduced modulo the size).
    pub fn used_elem_addr(&self, slot: u16) -> Result<u64, MemError> {
        at(self.used_ring, 4 + USED_ELEM_SIZE * u64::from(slot))
    }
    /// Address of used.avail_event (after ring\[size\]).
    pub fn avail_event_addr(&self) -> Result<u64, MemError> {
        at(self.used_ring, 4 + USED_ELEM_SIZE * u64::from(self.size))
    }
}

/// Linux `vring_need_event`: whether moving an index from `old` to `new` crossed `event_idx`
/// (the other side asked to be told once the index passes `event_idx`).
pub fn vring_need_event(event_idx: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event_idx).wrapping_sub(1) < new.wrapping_sub(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_wire_form() {
        let d = Descriptor {
            addr: 0x1122_3344_5566_7788,
            len: 0x99aa_bbcc,
            flags: 7,
            next: 0x0102,
        };
        let b = d.to_bytes();
        assert_eq!(b[..8], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(b[8..12], 0x99aa_bbccu32.to_le_bytes());
        assert_eq!(b[12..14], [7, 0]);
        assert_eq!(b[14..16], [2, 1]);
        assert_eq!(Descriptor::from_bytes(&b), d);
        assert!(d.has_next() && d.is_write() && d.is_indirect());
        assert_eq!(
            (VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT),
            (1, 2, 4)
        );
        assert_eq!((VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_USED_F_NO_NOTIFY), (1, 1));
        assert_eq!((DESC_SIZE, USED_ELEM_SIZE), (16, 8));
    }

    #[test]
    fn every_ring_field_address() {
        let l = QueueLayout::contiguous(0x1000, 256);
        assert_eq!(l.desc_table, 0x1000);
        assert_eq!(l.desc_addr(255).unwrap(), 0x1000 + 255 * 16);
        assert_eq!(l.avail_ring, 0x2000);
        assert_eq!(l.avail_flags_addr(), 0x2000);
        assert_eq!(l.avail_idx_addr().unwrap(), 0x2002);
        assert_eq!(l.avail_entry_addr(3).unwrap(), 0x2004 + 6);
        assert_eq!(l.used_event_addr().unwrap(), 0x2004 + 512);
        // 0x2000 + 6 + 512 = 0x2206, rounded up to 4.
        assert_eq!(l.used_ring, 0x2208);
        assert_eq!(l.used_flags_addr(), 0x2208);
        assert_eq!(l.used_idx_addr().unwrap(), 0x220a);
        assert_eq!(l.used_elem_addr(1).unwrap(), 0x220c + 8);
        assert_eq!(l.avail_event_addr().unwrap(), 0x220c + 256 * 8);
        assert_eq!(l.bytes(), 0x220c + 256 * 8 + 2 - 0x1000);
        assert_eq!(l.validate(256), Ok(()));
        assert_eq!(l.validate(128), Err(QueueError::InvalidSize(256)));
    }

    #[test]
    fn sizes_and_max_queue() {
        let l = QueueLayout::contiguous(0x10_0000, MAX_QUEUE_SIZE);
        assert_eq!(l.validate(MAX_QUEUE_SIZE), Ok(()));
        assert_eq!(QueueLayout::desc_table_bytes(1), 16);
        assert_eq!(QueueLayout::avail_ring_bytes(1), 8);
        assert_eq!(QueueLayout::used_ring_bytes(1), 14);
        let l1 = QueueLayout::contiguous(0x10, 1);
        assert_eq!((l1.avail_ring, l1.used_ring), (0x20, 0x28));
        assert!(QueueLayout { size: 0, ..l1 }.validate(8).is_err());
    }

    #[test]
    fn ring_addresses_near_u64_max_overflow_instead_of_wrapping() {
        let l = QueueLayout {
            size: 8,
            desc_table: u64::MAX - 15,
            avail_ring: u64::MAX - 1,
            used_ring: u64::MAX - 3,
        };
        assert!(matches!(l.desc_addr(1), Err(MemError::Overflow { .. })));
        assert!(matches!(l.avail_idx_addr(), Err(MemError::Overflow { .. })));
        assert!(matches!(
            l.avail_event_addr(),
            Err(MemError::Overflow { .. })
        ));
    }

    #[test]
    fn need_event_matches_linux() {
        assert!(vring_need_event(0, 1, 0));
        assert!(!vring_need_event(1, 1, 0));
        assert!(vring_need_event(5, 7, 3));
        assert!(!vring_need_event(7, 7, 3));
        assert!(vring_need_event(0xffff, 0, 0xfffe), "wraps");
    }
}
