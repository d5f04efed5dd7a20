//! Guest physical memory.
//!
//! A simulated guest may be 16 TiB; only the frames the protocol touches (rings, PFN arrays,
//! stats buffers) are ever backed, so the cost is proportional to what was written.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::MemError;
use crate::write_log::{GuestWrite, WriteLog};

/// Size of one backing frame, and of a balloon PFN's unit (`VIRTIO_BALLOON_PFN_SHIFT` = 12).
pub const PAGE_SIZE: u64 = 4096;

/// Byte-addressed guest physical memory, little-endian accessors provided.
pub trait GuestRam {
    /// Size of guest RAM in bytes (addresses `0..size` are valid).
    fn size(&self) -> u64;
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError>;
    /// Writes `data` at `addr`.
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError>;

    /// Checks that `addr..addr+len` lies inside guest RAM.
    fn check_range(&self, addr: u64, len: u64) -> Result<(), MemError> {
        let end = addr
            .checked_add(len)
            .ok_or(MemError::Overflow { addr, len })?;
        if end > self.size() {
            return Err(MemError::OutOfRange {
                addr,
                len,
                size: self.size(),
            });
        }
        Ok(())
    }
    /// Reads a little-endian u16.
    fn read_u16(&self, addr: u64) -> Result<u16, MemError> {
        let mut b = [0; 2];
        self.read(addr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    /// Reads a little-endian u32.
    fn read_u32(&self, addr: u64) -> Result<u32, MemError> {
        let mut b = [0; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    /// Reads a little-endian u64.
    fn read_u64(&self, addr: u64) -> Result<u64, MemError> {
        let mut b = [0; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    /// Marks the start of ring operation `event`: later writes belong to it. A no-op for
    /// memories without a [`WriteLog`].
    fn begin_event(&mut self, _event: u64) {}
    /// The writes of the most recent events, oldest first (empty without a [`WriteLog`]).
    fn recent_writes(&self) -> &[GuestWrite] {
        &[]
    }
    /// Writes a little-endian u16.
    fn write_u16(&mut self, addr: u64, v: u16) -> Result<(), MemError> {
        self.write(addr, &v.to_le_bytes())
    }
    /// Writes a little-endian u32.
    fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), MemError> {
        self.write(addr, &v.to_le_bytes())
    }
    /// Writes a little-endian u64.
    fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemError> {
        self.write(addr, &v.to_le_bytes())
    }
}

/// Hashes a frame number with one multiply (Fibonacci hashing). The default SipHash guards
/// against hash flooding, which frame numbers chosen by the simulation cannot mount, and it
/// dominated the cost of every ring access.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameHasher(u64);

impl Hasher for FrameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Frames = HashMap<u64, Box<[u8; PAGE_SIZE as usize]>, BuildHasherDefault<FrameHasher>>;

/// Sparse guest RAM: 4 KiB frames are allocated on first write; untouched memory reads as zero.
/// It logs the writes of the most recent events ([`WriteLog`]) for the byte view.
#[derive(Debug, Clone, Default)]
pub struct SparseRam {
    size: u64,
    frames: Frames,
    log: WriteLog,
}

impl SparseRam {
    /// Creates guest RAM of `size` bytes in O(1) memory.
    pub fn new(size: u64) -> Self {
        Self {
            size,
            frames: Frames::default(),
            log: WriteLog::default(),
        }
    }
    /// How many 4 KiB frames have been written (and so are backed).
    pub fn backed_frames(&self) -> usize {
        self.frames.len()
    }
}

impl GuestRam for SparseRam {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.check_range(addr, buf.len() as u64)?;
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr + done as u64;
            let (frame, off) = (a / PAGE_SIZE, (a % PAGE_SIZE) as usize);
            let n = (PAGE_SIZE as usize - off).min(buf.len() - done);
            match self.frames.get(&frame) {
                Some(f) => buf[done..done + n].copy_from_slice(&f[off..off + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(())
    }

    fn begin_event(&mut self, event: u64) {
        self.log.begin_event(event);
    }

    fn recent_writes(&self) -> &[GuestWrite] {
        self.log.writes()
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), MemError> {
        self.check_range(addr, data.len() as u64)?;
        self.log.record(addr, data.len() as u64);
        let mut done = 0usize;
        while done < data.len() {
            let a = addr + done as u64;
            let (frame, off) = (a / PAGE_SIZE, (a % PAGE_SIZE) as usize);
            let n = (PAGE_SIZE as usize - off).min(data.len() - done);
            let f = self
                .frames
                .entry(frame)
                .or_insert_with(|| Box::new([0; PAGE_SIZE as usize]));
            f[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_tib_guest_is_o1_and_reads_zero() {
        let mut ram = SparseRam::new(1 << 44);
        assert_eq!(ram.read_u64((1 << 44) - 8).unwrap(), 0);
        ram.write_u32((1 << 44) - 4, 0xdead_beef).unwrap();
        assert_eq!(ram.read_u32((1 << 44) - 4).unwrap(), 0xdead_beef);
        assert_eq!(ram.backed_frames(), 1);
    }

    #[test]
    fn access_across_frames_and_past_the_end() {
        let mut ram = SparseRam::new(3 * PAGE_SIZE);
        ram.write(PAGE_SIZE - 2, &[1, 2, 3, 4]).unwrap();
        let mut b = [0; 4];
        ram.read(PAGE_SIZE - 2, &mut b).unwrap();
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(ram.backed_frames(), 2);
        assert!(matches!(
            ram.read_u32(3 * PAGE_SIZE - 2),
            Err(MemError::OutOfRange { .. })
        ));
        assert!(matches!(
            ram.read_u32(u64::MAX - 1),
            Err(MemError::Overflow { .. })
        ));
    }

    #[test]
    fn writes_are_logged_per_event_and_reads_are_not() {
        let mut ram = SparseRam::new(1 << 20);
        ram.begin_event(3);
        ram.write_u16(0x1002, 1).unwrap();
        ram.write(0x2000, &[0; 16]).unwrap();
        let _ = ram.read_u64(0x2000).unwrap();
        assert!(ram.write_u32(1 << 20, 0).is_err());
        let got: Vec<_> = ram
            .recent_writes()
            .iter()
            .map(|w| (w.event, w.addr, w.len))
            .collect();
        assert_eq!(got, [(3, 0x1002, 2), (3, 0x2000, 16)]);
    }
}
