//! Virtual time and a deterministic timer queue.
//!
//! Timers are ordered by (deadline, arming sequence), so two timers due at the same nanosecond
//! fire in the order they were armed, on every platform.

use std::collections::BTreeMap;

/// Nanoseconds in a second.
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// A queue of timers carrying `T`.
#[derive(Debug, Clone)]
pub struct TimerQueue<T> {
    timers: BTreeMap<(u64, u64), T>,
    seq: u64,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        Self {
            timers: BTreeMap::new(),
            seq: 0,
        }
    }
}

impl<T> TimerQueue<T> {
    /// Arms a timer for `deadline_ns`; returns its key (for cancelling).
    pub fn arm(&mut self, deadline_ns: u64, payload: T) -> (u64, u64) {
        let key = (deadline_ns, self.seq);
        self.seq += 1;
        self.timers.insert(key, payload);
        key
    }
    /// Cancels a timer by key.
    pub fn cancel(&mut self, key: (u64, u64)) -> Option<T> {
        self.timers.remove(&key)
    }
    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.keys().next().map(|k| k.0)
    }
    /// Removes and returns the earliest timer if it is due at `now_ns`.
    pub fn pop_due(&mut self, now_ns: u64) -> Option<(u64, T)> {
        let (&key, _) = self.timers.iter().next()?;
        if key.0 > now_ns {
            return None;
        }
        self.timers.remove(&key).map(|t| (key.0, t))
    }
    /// Number of armed timers.
    pub fn len(&self) -> usize {
        self.timers.len()
    }
    /// Whether no timer is armed.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }
}

/// `seconds.microseconds` as QMP prints event timestamps, from virtual ns.
pub fn qmp_timestamp(now_ns: u64) -> serde_json::Value {
    serde_json::json!({
        "seconds": now_ns / NS_PER_SEC,
        "microseconds": (now_ns % NS_PER_SEC) / 1000,
    })
}

/// `12.345678 s` for logs.
pub fn format_time(now_ns: u64) -> String {
    format!(
        "{}.{:06} s",
        now_ns / NS_PER_SEC,
        (now_ns % NS_PER_SEC) / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_fire_in_arming_order() {
        let mut q = TimerQueue::default();
        q.arm(20, "late");
        q.arm(10, "a");
        let k = q.arm(10, "cancelled");
        q.arm(10, "b");
        q.cancel(k);
        assert_eq!(q.next_deadline(), Some(10));
        assert_eq!(q.pop_due(9), None);
        assert_eq!(q.pop_due(10), Some((10, "a")));
        assert_eq!(q.pop_due(10), Some((10, "b")));
        assert_eq!(q.pop_due(10), None);
        assert_eq!(q.pop_due(u64::MAX), Some((20, "late")));
        assert!(q.is_empty());
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            qmp_timestamp(1_500_000_123),
            serde_json::json!({"seconds": 1, "microseconds": 500_000})
        );
        assert_eq!(format_time(2_000_001_000), "2.000001 s");
    }
}
