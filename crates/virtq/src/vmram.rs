//! Guest RAM backed by rust-vmm's `vm_memory::GuestMemoryMmap` (native only).

use vm_memory::{Bytes, GuestAddress, GuestMemoryMmap};

use crate::error::MemError;
use crate::memory::GuestRam;

/// One anonymous mmap region of the guest's size at guest physical 0. The kernel commits pages
/// on first touch (`MAP_NORESERVE`), so a large guest costs only what is written.
///
/// Not `Clone`: `GuestMemoryMmap` clones share the mapping, which would make snapshots alias.
#[derive(Debug)]
pub struct VmRam {
    mem: GuestMemoryMmap,
    size: u64,
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
        Ok(Self { mem, size })
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
            })
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
