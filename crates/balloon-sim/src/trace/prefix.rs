//! The trace hash of every prefix of a timeline, for the session's `hash_at(n)`, without a
//! hash kept per event: one every [`EVERY`] events, and the records after it hashed again on
//! demand (at most `EVERY - 1` of them, a few microseconds).

use super::hash::{START, TraceHash};
use crate::timeline::Timeline;

/// Events between two kept hashes.
pub const EVERY: usize = 64;

/// Kept hashes of a timeline's prefixes.
#[derive(Debug, Clone)]
pub struct PrefixHashes {
    /// `checkpoints[k]`: the hash of the first `k * EVERY` events.
    checkpoints: Vec<u64>,
    /// Events hashed.
    hashed: usize,
    /// The hash of the first `hashed` events.
    last: u64,
}

impl Default for PrefixHashes {
    fn default() -> Self {
        Self {
            checkpoints: vec![START],
            hashed: 0,
            last: START,
        }
    }
}

impl PrefixHashes {
    /// Events hashed so far.
    pub fn len(&self) -> usize {
        self.hashed
    }
    /// Whether no event was hashed.
    pub fn is_empty(&self) -> bool {
        self.hashed == 0
    }
    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.checkpoints.capacity() * size_of::<u64>()
    }

    /// Hashes the next event's record.
    pub fn push(&mut self, record: &[u8]) {
        let mut h = TraceHash(self.last);
        h.record(record);
        self.last = h.0;
        self.hashed += 1;
        if self.hashed.is_multiple_of(EVERY) {
            self.checkpoints.push(self.last);
        }
    }

    /// The hash of the first `n` events of `timeline` (the one hashed here); the empty
    /// trace's hash past what was hashed.
    pub fn at<E>(&self, n: usize, timeline: &Timeline<E>) -> u64 {
        if n > self.hashed {
            return START;
        }
        if n == self.hashed {
            return self.last;
        }
        let k = n / EVERY;
        let mut h = TraceHash(self.checkpoints[k]);
        for i in k * EVERY..n {
            h.record(timeline.record(i).unwrap_or_default());
        }
        h.0
    }

    /// Forgets every event after the first `n` (a fork drops the future); call it while
    /// `timeline` still holds the first `n` events.
    pub fn truncate<E>(&mut self, n: usize, timeline: &Timeline<E>) {
        if n >= self.hashed {
            return;
        }
        self.last = self.at(n, timeline);
        self.checkpoints.truncate(n / EVERY + 1);
        self.hashed = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_hashes_as_a_straight_run() {
        let mut t = Timeline::default();
        let mut p = PrefixHashes::default();
        let mut straight = vec![START];
        let mut h = TraceHash::default();
        for i in 0..300u32 {
            t.push(&i);
            p.push(t.record(i as usize).unwrap());
            h.feed(&i);
            straight.push(h.0);
        }
        for (n, want) in straight.iter().enumerate() {
            assert_eq!(p.at(n, &t), *want, "prefix {n}");
        }
        assert_eq!(p.at(301, &t), START, "past the end");
        // A fork at 130 and a different future.
        p.truncate(130, &t);
        t.truncate(130);
        assert_eq!((p.len(), p.at(130, &t)), (130, straight[130]));
        let mut h = TraceHash(straight[130]);
        for i in 0..100u32 {
            t.push(&(i + 7));
            p.push(t.record(130 + i as usize).unwrap());
            h.feed(&(i + 7));
        }
        assert_eq!(p.at(230, &t), h.0);
        assert_eq!(p.at(129, &t), straight[129]);
    }
}
