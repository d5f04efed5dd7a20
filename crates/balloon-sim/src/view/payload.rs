//! What a descriptor's buffer holds, read from guest memory the way the device would read it.

use balloon_spec::PAGE_SIZE;
use balloon_spec::runs::{PfnRun, fold_pfns};
use virtq::GuestRam;

use super::ARRAY_PFNS_MAX;
use crate::command::QueueName;

/// Bytes in one `struct virtio_balloon_stat` (le16 tag, le64 val, packed: spec §5.5.6.3).
const STAT_ENTRY_SIZE: u32 = 10;

/// What a descriptor's buffer holds, as far as guest memory tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// ivq / dvq: an array of le32 PFNs, folded into runs in array order.
    Pfns(Vec<PfnRun>),
    /// reporting_vq / free_page_vq: the buffer is itself the pages.
    Pages(PfnRun),
    /// svq: whole `struct virtio_balloon_stat` entries, and bytes left over after the last
    /// whole one (QEMU `virtio_balloon_receive_stats` stops at a cut entry).
    Stats {
        /// Whole entries.
        entries: u32,
        /// Trailing bytes that are not a whole entry.
        trailing: u32,
    },
    /// Nothing to read: a PFN array whose length is not a multiple of 4 (QEMU
    /// `virtio_balloon_handle_output` reads 4 bytes at a time and drops the rest), or a buffer
    /// outside guest RAM.
    Unreadable,
}

/// Decodes the buffer at `addr`, `len` bytes, of a descriptor on `queue`.
pub fn decode_payload(queue: QueueName, addr: u64, len: u32, ram: &impl GuestRam) -> Payload {
    match queue {
        QueueName::Ivq | QueueName::Dvq => {
            if !len.is_multiple_of(4) {
                return Payload::Unreadable;
            }
            let n = (len / 4) as usize;
            // A malformed guest may claim a huge buffer; read at most one legal array.
            let mut bytes = vec![0u8; n.min(ARRAY_PFNS_MAX) * 4];
            if ram.read(addr, &mut bytes).is_err() {
                return Payload::Unreadable;
            }
            Payload::Pfns(fold_pfns(
                bytes
                    .chunks_exact(4)
                    .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
            ))
        }
        QueueName::Svq => Payload::Stats {
            entries: len / STAT_ENTRY_SIZE,
            trailing: len % STAT_ENTRY_SIZE,
        },
        QueueName::FreePageVq | QueueName::ReportingVq => Payload::Pages(PfnRun {
            first: addr / PAGE_SIZE,
            count: u64::from(len).div_ceil(PAGE_SIZE),
        }),
    }
}

#[cfg(test)]
mod tests {
    use virtq::SparseRam;

    use super::*;

    #[test]
    fn pfn_arrays_fold_and_cut_ones_are_unreadable() {
        let mut ram = SparseRam::new(1 << 30);
        let pfns: [u32; 4] = [0x300, 0x2ff, 0x2fe, 0x10];
        let bytes: Vec<u8> = pfns.iter().flat_map(|p| p.to_le_bytes()).collect();
        ram.write(0x1000, &bytes).unwrap();
        assert_eq!(
            decode_payload(QueueName::Ivq, 0x1000, 16, &ram),
            Payload::Pfns(vec![
                PfnRun {
                    first: 0x2fe,
                    count: 3
                },
                PfnRun {
                    first: 0x10,
                    count: 1
                }
            ])
        );
        assert_eq!(
            decode_payload(QueueName::Dvq, 0x1000, 6, &ram),
            Payload::Unreadable
        );
        assert_eq!(
            decode_payload(QueueName::Ivq, (1 << 30) - 4, 8, &ram),
            Payload::Unreadable
        );
    }

    #[test]
    fn stats_count_whole_entries_and_reports_are_pages() {
        let ram = SparseRam::new(1 << 30);
        assert_eq!(
            decode_payload(QueueName::Svq, 0, 104, &ram),
            Payload::Stats {
                entries: 10,
                trailing: 4
            }
        );
        assert_eq!(
            decode_payload(QueueName::ReportingVq, 0x20_0000, 0x20_0000, &ram),
            Payload::Pages(PfnRun {
                first: 0x200,
                count: 512
            })
        );
    }
}
