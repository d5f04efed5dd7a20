//! Reading the device-readable part of an element the way QEMU's `iov_to_buf` does: as one
//! byte stream across descriptors, in bounded chunks (a descriptor may claim 4 GiB).

use virtq::{ChainDescriptor, GuestRam, MemError};

// One 256-PFN array (1 KiB) per read; the buffer is zeroed on every element, so no larger.
const CHUNK: usize = 1024;

/// Calls `f` for every whole `N`-byte record of the concatenated buffers; returns the number
/// of trailing bytes that did not make a whole record.
pub(crate) fn for_each_record<'a, R: GuestRam, const N: usize>(
    ram: &R,
    descs: impl Iterator<Item = &'a ChainDescriptor>,
    mut f: impl FnMut(&[u8; N]),
) -> Result<u64, MemError> {
    for_each_batch::<R, N>(ram, descs, |batch| batch.iter().for_each(&mut f))
}

/// Like [`for_each_record`], but hands `f` the records in batches, in order: every record that
/// lies whole in one chunk read in one call (a 256-PFN array is one batch), a record split
/// across descriptors or chunks alone. A caller that keeps state across records (a run of
/// PFNs) then loops over them itself, with no call per record.
pub(crate) fn for_each_batch<'a, R: GuestRam, const N: usize>(
    ram: &R,
    descs: impl Iterator<Item = &'a ChainDescriptor>,
    mut f: impl FnMut(&[[u8; N]]),
) -> Result<u64, MemError> {
    let mut buf = [0u8; CHUNK];
    let mut rec = [0u8; N];
    let mut fill = 0usize;
    for d in descs {
        let len = u64::from(d.len);
        let mut off = 0u64;
        while off < len {
            let n = (len - off).min(CHUNK as u64) as usize;
            let addr = d
                .addr
                .checked_add(off)
                .ok_or(MemError::Overflow { addr: d.addr, len })?;
            ram.read(addr, &mut buf[..n])?;
            let mut bytes = &buf[..n];
            if fill == 0 {
                // Records that lie whole in this chunk go straight from the buffer.
                let (records, rest) = bytes.as_chunks::<N>();
                if !records.is_empty() {
                    f(records);
                }
                bytes = rest;
            }
            for &b in bytes {
                rec[fill] = b;
                fill += 1;
                if fill == N {
                    f(std::slice::from_ref(&rec));
                    fill = 0;
                }
            }
            off += n as u64;
        }
    }
    Ok(fill as u64)
}

/// Reads up to `out.len()` bytes from the start of the concatenated buffers; returns how many.
pub(crate) fn read_prefix<'a, R: GuestRam>(
    ram: &R,
    descs: impl Iterator<Item = &'a ChainDescriptor>,
    out: &mut [u8],
) -> Result<usize, MemError> {
    let mut got = 0;
    for d in descs {
        if got == out.len() {
            break;
        }
        let n = (out.len() - got).min(d.len as usize);
        ram.read(d.addr, &mut out[got..got + n])?;
        got += n;
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use virtq::SparseRam;

    use super::*;

    fn desc(addr: u64, len: u32) -> ChainDescriptor {
        ChainDescriptor {
            addr,
            len,
            writable: false,
        }
    }

    #[test]
    fn records_span_descriptors_and_chunks() {
        let mut ram = SparseRam::new(1 << 20);
        let bytes: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        ram.write(0x1000, &bytes[..6]).unwrap();
        ram.write(0x8000, &bytes[6..]).unwrap();
        let ds = [desc(0x1000, 6), desc(0x8000, 9_994)];
        let mut seen = Vec::new();
        let tail = for_each_record::<_, 4>(&ram, ds.iter(), |r| seen.push(*r)).unwrap();
        assert_eq!(seen.len(), 2_500);
        assert_eq!(tail, 0);
        assert_eq!(seen[1], [4, 5, 6, 7]);
        let tail = for_each_record::<_, 10>(&ram, ds.iter().take(1), |_| ()).unwrap();
        assert_eq!(tail, 6);
        // The batches are the same records in the same order, and one aligned PFN array of
        // 256 is one batch.
        let mut batched = Vec::new();
        for_each_batch::<_, 4>(&ram, ds.iter(), |b| batched.extend_from_slice(b)).unwrap();
        assert_eq!(batched, seen);
        let mut sizes = Vec::new();
        for_each_batch::<_, 4>(&ram, [desc(0x8000, 1024)].iter(), |b| sizes.push(b.len())).unwrap();
        assert_eq!(sizes, [256]);
        let mut out = [0u8; 8];
        assert_eq!(read_prefix(&ram, ds.iter(), &mut out).unwrap(), 8);
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
