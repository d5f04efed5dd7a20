//! Guest RAM backed by rust-vmm's `vm_memory::GuestMemoryMmap` (native only).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

use crate::error::MemError;
use crate::memory::{FrameHasher, GuestRam, PAGE_SIZE};

/// One anonymous mmap region of the guest's size at guest physical 0. The kernel commits pages
/// on first touch (`MAP_NORESERVE`), so a large guest costs only what is written.
///
/// `Clone` is a deep copy (a `GuestMemoryMmap` clone would share the mapping, and snapshots
/// would alias): a fresh mapping receives every 4 KiB frame ever written, which this wrapper
/// records, including rust-vmm's used-ring writes made through [`crate::RustVmmQueue`].
#[derive(Debug)]
pub struct VmRam {
    mem: GuestMemoryMmap,
    size: u64,
    touched: HashSet<u64, BuildHasherDefault<FrameHasher>>,
}

impl Clone for VmRam {
    /// # Panics
    ///
    /// If the host cannot map a second guest of the same size (out of address space).
    fn clone(&self) -> Self {
        let mut copy = VmRam::new(self.size).expect("host could not map a copy of guest RAM");
        let mut page = [0u8; PAGE_SIZE as usize];
        for &frame in &self.touched {
            let start = frame * PAGE_SIZE;
            let n = PAGE_SIZE.min(self.size - start) as usize;
            if self.read(start, &mut page[..n]).is_ok() {
                let _ = copy.write(start, &page[..n]);
            }
        }
        copy
    }
}

impl VmRam {
    /// Maps `size` bytes of guest RAM.
    pub fn new(size: u64) -> Result<Self, MemError> {
        let host = usize::try_from(size).map_err(|_| MemError::MapFailed {
            size,
            reason: "larger than the host address space".into(),
        })?;
        let mem = GuestMemoryMmap::from_ranges(&[(GuestAddress(0), host)]).map_err(|e| {
            MemError::MapFailed {
                size,
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            mem,
            size,
            touched: HashSet::default(),
        })
    }

    /// Records that `addr..addr+len` was written behind this wrapper's back (by rust-vmm).
    pub(crate) fn mark(&mut self, addr: u64, len: u64) {
        if len == 0 || addr >= self.size {
            return;
        }
        let last = addr.saturating_add(len - 1).min(self.size - 1);
        self.touched.extend(addr / PAGE_SIZE..=last / PAGE_SIZE);
    }

    /// How many 4 KiB frames have been written (what a clone copies).
    pub fn touched_frames(&self) -> usize {
        self.touched.len()
    }

    /// The rust-vmm memory object (what `virtio_queue::Queue` methods take).
    pub fn memory(&self) -> &GuestMemoryMmap {
        &self.mem
    }
}

impl GuestRam for VmRam {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.check_range(addr, buf.len() as u64)?;
        self.mem
            .read_slice(buf, GuestAddress(addr))
            .map_err(|_| MemError::OutOfRange {
                addr,
                len: buf.len() as u64,
                size: self.size,
            })
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError> {
        self.check_range(addr, data.len() as u64)?;
        self.mem
            .write_slice(data, GuestAddress(addr))
            .map_err(|_| MemError::OutOfRange {
                addr,
                len: data.len() as u64,
                size: self.size,
            })?;
        self.mark(addr, data.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_guest_is_mapped_lazily() {
        // 16 TiB (the 32-bit PFN limit) of address space; only the touched page is committed
        // (MAP_NORESERVE). Needs a host that overcommits (vm.overcommit_memory 0 or 1).
        let mut ram = VmRam::new(1 << 44).unwrap();
        ram.write_u64((1 << 44) - 8, 7).unwrap();
        assert_eq!(ram.read_u64((1 << 44) - 8).unwrap(), 7);
    }

    #[test]
    fn clone_is_a_deep_copy() {
        let mut ram = VmRam::new(1 << 30).unwrap();
        ram.write(PAGE_SIZE - 2, &[1, 2, 3, 4]).unwrap();
        assert_eq!(ram.touched_frames(), 2);
        let mut copy = ram.clone();
        assert_eq!(copy.read_u32(PAGE_SIZE - 2).unwrap(), 0x0403_0201);
        copy.write_u16(PAGE_SIZE - 2, 0).unwrap();
        assert_eq!(ram.read_u16(PAGE_SIZE - 2).unwrap(), 0x0201, "no aliasing");
    }

    #[test]
    fn reads_back_and_rejects_out_of_range() {
        let mut ram = VmRam::new(1 << 20).unwrap();
        ram.write_u32(0xffc, 0x1234_5678).unwrap();
        assert_eq!(ram.read_u32(0xffc).unwrap(), 0x1234_5678);
        assert_eq!(ram.read_u64(0x2000).unwrap(), 0);
        assert!(matches!(
            ram.read_u32((1 << 20) - 2),
            Err(MemError::OutOfRange { .. })
        ));
        assert!(matches!(
            ram.write_u16(u64::MAX, 1),
            Err(MemError::Overflow { .. })
        ));
    }
}
