//! Guest statistics as QEMU keeps them (`s->stats[]`, `stats_last_update`) and the QOM
//! `guest-stats` view.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::consts::{BALLOON_STAT_NAMES, STAT_ENTRY_SIZE, VIRTIO_BALLOON_S_NR};

/// The stats a QEMU build knows, indexed by tag; `u64::MAX` means "not reported"
/// (`reset_stats`). A build knows the tags below its `VIRTIO_BALLOON_S_NR`: 10 in QEMU 7.2,
/// 16 once its headers carry Linux 6.12's tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatValues {
    values: [u64; VIRTIO_BALLOON_S_NR],
    known: usize,
}

impl Default for StatValues {
    /// All sixteen tags known, none reported.
    fn default() -> Self {
        Self::reset(VIRTIO_BALLOON_S_NR)
    }
}

impl StatValues {
    /// `reset_stats` on a build that knows tags `0..known` (at most 16).
    pub fn reset(known: usize) -> Self {
        Self {
            values: [u64::MAX; VIRTIO_BALLOON_S_NR],
            known: known.min(VIRTIO_BALLOON_S_NR),
        }
    }
    /// The value of `tag`, `None` when unset or unknown.
    pub fn get(&self, tag: u16) -> Option<u64> {
        self.values[..self.known]
            .get(usize::from(tag))
            .copied()
            .filter(|v| *v != u64::MAX)
    }
    /// How many tags this build knows (its `VIRTIO_BALLOON_S_NR`).
    pub fn known(&self) -> usize {
        self.known
    }
    /// All sixteen slots by tag; a tag the build does not know reads `u64::MAX`, as unset.
    pub fn by_tag(&self) -> [u64; VIRTIO_BALLOON_S_NR] {
        let mut all = [u64::MAX; VIRTIO_BALLOON_S_NR];
        all[..self.known].copy_from_slice(&self.values[..self.known]);
        all
    }
}

impl Serialize for StatValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let known = &self.values[..self.known];
        if !s.is_human_readable() {
            // A binary trace: the values by tag; their count is the build's `known`.
            return known.serialize(s);
        }
        // balloon_stats_get_all: one key per tag the build knows.
        let mut m = s.serialize_map(Some(self.known))?;
        for (name, v) in BALLOON_STAT_NAMES.iter().zip(known) {
            m.serialize_entry(name, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for StatValues {
    /// What [`StatValues`]'s `Serialize` writes: the values by tag (binary), or the map of
    /// `balloon_stats_get_all` names, in tag order (human-readable).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_map(StatsVisitor)
        } else {
            d.deserialize_seq(StatsVisitor)
        }
    }
}

/// Reads [`StatValues`] from a sequence of values or a map of names to values.
struct StatsVisitor;

impl StatsVisitor {
    fn push<E: serde::de::Error>(
        out: &mut StatValues,
        name: Option<&str>,
        v: u64,
    ) -> Result<(), E> {
        let i = out.known;
        let Some(expected) = BALLOON_STAT_NAMES.get(i) else {
            return Err(E::invalid_length(i + 1, &"at most 16 stats"));
        };
        if name.is_some_and(|n| n != *expected) {
            return Err(E::custom(format_args!(
                "stat {i} is `{expected}`, not `{}`",
                name.unwrap_or_default()
            )));
        }
        out.values[i] = v;
        out.known += 1;
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for StatsVisitor {
    type Value = StatValues;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the stats by tag")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StatValues, A::Error> {
        let mut out = StatValues::reset(0);
        while let Some(v) = seq.next_element::<u64>()? {
            Self::push(&mut out, None, v)?;
        }
        Ok(out)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StatValues, A::Error> {
        let mut out = StatValues::reset(0);
        while let Some((name, v)) = map.next_entry::<std::borrow::Cow<'de, str>, u64>()? {
            Self::push(&mut out, Some(&name), v)?;
        }
        Ok(out)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
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
    // `if (tag < VIRTIO_BALLOON_S_NR)` in virtio_balloon_receive_stats.
    match stats.values[..stats.known].get_mut(usize::from(tag)) {
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
    fn stat_values_read_back_from_qemu_json_and_refuse_wrong_names() {
        // QEMU 7.2's ten tags, two reported: the JSON `balloon_stats_get_all` shape.
        let mut s = StatValues::reset(10);
        s.values[0] = 7;
        s.values[4] = 1 << 30;
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.starts_with(r#"{"stat-swap-in":7,"stat-swap-out":18446744073709551615,"#));
        let back: StatValues = serde_json::from_str(&json).unwrap();
        assert_eq!((back, back.known()), (s, 10));
        assert!(serde_json::from_str::<StatValues>(r#"{"stat-swap-out": 1}"#).is_err());
        let seventeen = (0..17).map(|i| format!(r#""k{i}":0"#)).collect::<Vec<_>>();
        assert!(
            serde_json::from_str::<StatValues>(&format!("{{{}}}", seventeen.join(","))).is_err()
        );
    }

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

    #[test]
    fn qemu_7_2_knows_ten_tags() {
        let mut s = StatValues::reset(10);
        let bytes = encode_entries(&[(9, 1), (10, 2), (15, 3)]);
        let known: Vec<bool> = bytes
            .chunks_exact(STAT_ENTRY_SIZE)
            .map(|c| apply_entry(&mut s, c.try_into().unwrap()))
            .collect();
        assert_eq!(known, [true, false, false]);
        assert_eq!((s.get(9), s.get(10)), (Some(1), None));
        let j = serde_json::to_value(s).unwrap();
        let keys = j.as_object().unwrap();
        assert_eq!(keys.len(), 10);
        assert!(keys.contains_key("stat-htlb-pgfail") && !keys.contains_key("stat-oom-kills"));
    }
}
