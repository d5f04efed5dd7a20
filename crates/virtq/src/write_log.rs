//! The writes of the most recent events: which guest bytes each ring operation stored, in the
//! order it stored them, so that the byte view can show what a step wrote (and who wrote it)
//! without re-deriving it from the model.
//!
//! The log is bounded: it keeps the writes of the last [`KEEP_EVENTS`] events and at most
//! [`MAX_WRITES`] entries, so a bulk run (65,536 inflate messages for 64 GiB) costs one push
//! per store and no growth, and a world snapshot copies a few KiB at most.

use serde::Serialize;

/// Events whose writes are kept (a message round trip is about a dozen).
pub const KEEP_EVENTS: u64 = 64;
/// Most entries kept (a misbehaving guest may store 256 PFNs one at a time).
pub const MAX_WRITES: usize = 1024;

/// One store into guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GuestWrite {
    /// The event (ring operation) during which the store happened.
    pub event: u64,
    /// Guest physical address of the first byte.
    pub addr: u64,
    /// Bytes stored.
    pub len: u64,
}

/// The stores of the most recent events, oldest first.
#[derive(Debug, Clone, Default)]
pub struct WriteLog {
    event: u64,
    /// The stores; those before `start` are forgotten and dropped in bulk, so forgetting an
    /// event's stores does not move the others every event (a bulk run makes a million).
    writes: Vec<GuestWrite>,
    start: usize,
}

impl WriteLog {
    /// Stores from now on belong to `event`; the writes of events older than
    /// [`KEEP_EVENTS`] before it are dropped (as are any at or after it: a replay after a seek
    /// writes them again).
    pub fn begin_event(&mut self, event: u64) {
        self.event = event;
        let keep_from = event.saturating_sub(KEEP_EVENTS - 1);
        // The stores to forget are the oldest few (one event's, usually): stepping over them
        // costs what recording them did, where a binary search cost a hundred instructions on
        // every event of a bulk run.
        while self
            .writes
            .get(self.start)
            .is_some_and(|w| w.event < keep_from)
        {
            self.start += 1;
        }
        if self.writes.last().is_some_and(|w| w.event >= event) {
            let cut = self.start + self.writes().partition_point(|w| w.event < event);
            self.writes.truncate(cut);
        }
        self.compact();
    }

    /// Drops the forgotten stores once they are as many as the kept ones (amortised O(1)).
    fn compact(&mut self) {
        if self.start > 0 && self.start >= self.writes.len() - self.start {
            self.writes.drain(..self.start);
            self.start = 0;
        }
    }

    /// Records a store of `len` bytes at `addr` in the current event.
    pub fn record(&mut self, addr: u64, len: u64) {
        if len == 0 {
            return;
        }
        if self.writes().len() >= MAX_WRITES {
            // Forget the oldest quarter at once: amortised O(1) a store.
            self.start += MAX_WRITES / 4;
            self.compact();
        }
        self.writes.push(GuestWrite {
            event: self.event,
            addr,
            len,
        });
    }

    /// The kept stores, oldest first.
    pub fn writes(&self) -> &[GuestWrite] {
        &self.writes[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_forgets_old_events() {
        let mut log = WriteLog::default();
        log.begin_event(0);
        log.record(0x10, 4);
        log.record(0x4, 0);
        log.begin_event(1);
        log.record(0x20, 2);
        log.record(0x8, 16);
        let got: Vec<_> = log
            .writes()
            .iter()
            .map(|w| (w.event, w.addr, w.len))
            .collect();
        assert_eq!(got, [(0, 0x10, 4), (1, 0x20, 2), (1, 0x8, 16)]);
        log.begin_event(KEEP_EVENTS);
        assert_eq!(log.writes().len(), 2, "event 0 is now too old");
        log.begin_event(1);
        assert!(
            log.writes().is_empty(),
            "a replay of event 1 writes it again"
        );
    }

    #[test]
    fn bounded_when_one_event_stores_a_lot() {
        let mut log = WriteLog::default();
        log.begin_event(7);
        for i in 0..(3 * MAX_WRITES as u64) {
            log.record(i * 4, 4);
        }
        assert!(log.writes().len() <= MAX_WRITES);
        let last = log.writes().last().unwrap();
        assert_eq!(last.addr, (3 * MAX_WRITES as u64 - 1) * 4);
    }
}
