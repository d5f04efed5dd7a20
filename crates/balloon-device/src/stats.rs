//! Guest statistics as QEMU keeps them (`s->stats[]`, `stats_last_update`) and the QOM
//! `guest-stats` view.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::consts::{BALLOON_STAT_NAMES, STAT_ENTRY_SIZE, VIRTIO_BALLOON_S_NR};

/// The sixteen stats, indexed by tag; `u64::MAX` means "not reported" (`reset_stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatValues(pub [u64; VIRTIO_BALLOON_S_NR]);

impl Default for StatValues {
    fn default() -> Self {
        Self([u64::MAX; VIRTIO_BALLOON_S_NR])
    }
}

impl StatValues {
    /// The value of `tag`, `None` when unset or unknown.
    pub fn get(&self, tag: u16) -> Option<u64> {
        self.0
            .get(usize::from(tag))
            .copied()
            .filter(|v| *v != u64::MAX)
    }
}

impl Serialize for StatValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(VIRTIO_BALLOON_S_NR))?;
        for (name, v) in BALLOON_STAT_NAMES.iter().zip(self.0.iter()) {
            m.serialize_entry(name, v)?;
        }
        m.end()
    }
}

/// The QOM `guest-stats` property (`balloon_stats_get_all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GuestStats {
    /// `stat-swap-in` ... `stat-direct-reclaims`.
    pub stats: StatValues,
    /// Seconds of the last update (QEMU: wall-clock seconds; here virtual seconds).
    #[serde(rename = "last-update")]
    pub last_update: i64,
}

/// What parsing one stats buffer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StatsParse {
    /// Whole 10-byte entries read.
    pub entries: u64,
    /// Entries whose tag is >= VIRTIO_BALLOON_S_NR (ignored).
    pub unknown_tags: u64,
    /// Trailing bytes that did not make a whole entry (ignored).
    pub tail_bytes: u64,
}

/// Applies one 10-byte entry (le16 tag, le64 val) to `stats`, as the loop in
/// `virtio_balloon_receive_stats` does. Returns false for an unknown tag.
pub fn apply_entry(stats: &mut StatValues, entry: &[u8; STAT_ENTRY_SIZE]) -> bool {
    let tag = u16::from_le_bytes([entry[0], entry[1]]);
    let mut val = [0u8; 8];
    val.copy_from_slice(&entry[2..10]);
    match stats.0.get_mut(usize::from(tag)) {
        Some(slot) => {
            *slot = u64::from_le_bytes(val);
            true
        }
        None => false,
    }
}

/// Encodes entries as a guest would (test and driver helper).
pub fn encode_entries(entries: &[(u16, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * STAT_ENTRY_SIZE);
    for (tag, val) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&val.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_in_any_order_unknown_ignored() {
        let mut s = StatValues::default();
        let bytes = encode_entries(&[(5, 1 << 30), (0, 7), (200, 9), (15, 3)]);
        let mut unknown = 0;
        for c in bytes.chunks_exact(STAT_ENTRY_SIZE) {
            if !apply_entry(&mut s, c.try_into().unwrap()) {
                unknown += 1;
            }
        }
        assert_eq!(unknown, 1);
        assert_eq!(s.get(5), Some(1 << 30));
        assert_eq!(s.get(0), Some(7));
        assert_eq!(s.get(15), Some(3));
        assert_eq!(s.get(1), None);
    }

    #[test]
    fn guest_stats_json_matches_qemu_names() {
        let g = GuestStats {
            stats: StatValues::default(),
            last_update: 0,
        };
        let j = serde_json::to_value(g).unwrap();
        assert_eq!(j["last-update"], 0);
        assert_eq!(j["stats"]["stat-swap-in"], u64::MAX);
        assert_eq!(j["stats"]["stat-direct-reclaims"], 18446744073709551615u64);
        assert_eq!(j["stats"].as_object().unwrap().len(), 16);
    }
}
