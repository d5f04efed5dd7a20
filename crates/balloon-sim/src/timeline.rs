//! The recorded events, kept in their binary encoding ([`crate::trace::binary`]) and decoded on
//! demand: a few dozen bytes an event instead of the event itself (hundreds of bytes with its
//! heap), so a session of a million events stays small, in the browser too.
//!
//! The bytes live in chunks of about [`CHUNK_BYTES`]; a record never straddles two, and
//! appending never moves what is already stored, so a long run grows smoothly instead of
//! doubling one buffer (which briefly needs three times the memory).

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::trace::binary;

/// Bytes a chunk fills before the next record starts a new one (a longer record gets a chunk
/// of its own).
const CHUNK_BYTES: usize = 64 << 10;

/// An append-only (and truncatable) list of events, stored encoded.
#[derive(Debug)]
pub struct Timeline<E> {
    chunks: Vec<Vec<u8>>,
    /// The index of the first record of each chunk.
    chunk_first: Vec<usize>,
    /// Where each record starts in its chunk.
    starts: Vec<u32>,
    _events: PhantomData<fn() -> E>,
}

impl<E> Clone for Timeline<E> {
    fn clone(&self) -> Self {
        Self {
            chunks: self.chunks.clone(),
            chunk_first: self.chunk_first.clone(),
            starts: self.starts.clone(),
            _events: PhantomData,
        }
    }
}

impl<E> Default for Timeline<E> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            chunk_first: Vec::new(),
            starts: Vec::new(),
            _events: PhantomData,
        }
    }
}

impl<E> Timeline<E> {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.starts.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
    /// Bytes held: the records, their offsets and the chunk index (capacity included).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>()
            + self.starts.capacity() * size_of::<u32>()
            + self.chunk_first.capacity() * size_of::<usize>()
            + self.chunks.capacity() * size_of::<Vec<u8>>()
    }

    /// The encoded record of event `i` (what the trace hash reads).
    pub fn record(&self, i: usize) -> Option<&[u8]> {
        let start = *self.starts.get(i)? as usize;
        let c = self.chunk_first.partition_point(|&first| first <= i) - 1;
        let chunk = &self.chunks[c];
        let end = match self.chunk_first.get(c + 1) {
            Some(&next_chunk) if i + 1 == next_chunk => chunk.len(),
            _ => self.starts.get(i + 1).map_or(chunk.len(), |&s| s as usize),
        };
        chunk.get(start..end)
    }

    /// Appends an encoded record.
    pub fn push_record(&mut self, record: &[u8]) {
        let chunk = self.chunk_for(record.len());
        let start = chunk.len();
        chunk.extend_from_slice(record);
        self.starts.push(start as u32);
    }

    /// The chunk the next record of `len` bytes goes into (a new one when the last is full).
    fn chunk_for(&mut self, len: usize) -> &mut Vec<u8> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + len <= CHUNK_BYTES);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK_BYTES.max(len)));
            self.chunk_first.push(self.starts.len());
        }
        let last = self.chunks.len() - 1;
        &mut self.chunks[last]
    }

    /// Keeps the first `n` events.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len() {
            return;
        }
        // The chunk holding record n is cut there, or goes whole when n is its first record;
        // the chunks after it go whole.
        let c = self.chunk_first.partition_point(|&first| first <= n) - 1;
        if self.chunk_first[c] == n {
            self.chunks.truncate(c);
            self.chunk_first.truncate(c);
        } else {
            self.chunks.truncate(c + 1);
            self.chunk_first.truncate(c + 1);
            self.chunks[c].truncate(self.starts[n] as usize);
        }
        self.starts.truncate(n);
    }
}

impl<E: Serialize + DeserializeOwned> Timeline<E> {
    /// Event `i`, decoded (`None` past the end).
    pub fn get(&self, i: usize) -> Option<E> {
        // The records are this timeline's own encodings, so they decode; a failure would be a
        // bug in a type's serde impls, and reads as a missing event rather than a panic.
        binary::decode(self.record(i)?).ok()
    }
    /// The last event.
    pub fn last(&self) -> Option<E> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
    /// Appends an event.
    pub fn push(&mut self, e: &E) {
        let mut record = Vec::new();
        binary::encode_into(e, &mut record);
        self.push_record(&record);
    }
    /// Events `from..to` (clamped), decoded one by one.
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = E> + '_ {
        let to = to.min(self.len());
        (from.min(to)..to).filter_map(move |i| self.get(i))
    }
    /// Every event, decoded one by one.
    pub fn iter(&self) -> impl Iterator<Item = E> + '_ {
        self.range(0, self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_truncate_across_chunks() {
        let mut t = Timeline::default();
        for i in 0..100_000u32 {
            t.push(&(i, format!("event {i}")));
        }
        assert!(t.chunks.len() > 10, "{} chunks", t.chunks.len());
        let at = |t: &Timeline<(u32, String)>, i: usize| t.get(i).map(|(n, _)| n);
        assert_eq!(
            (t.len(), at(&t, 0), at(&t, 4096), at(&t, 99_999)),
            (100_000, Some(0), Some(4096), Some(99_999))
        );
        assert_eq!(t.get(5), Some((5, "event 5".to_owned())));
        // Every record boundary, the chunk edges included.
        for i in 0..t.len() {
            assert_eq!(at(&t, i), Some(i as u32), "{i}");
        }
        let edge = t.chunk_first[3];
        t.truncate(edge);
        assert_eq!(
            (t.len(), t.last().map(|e| e.0), t.get(edge)),
            (edge, Some(edge as u32 - 1), None)
        );
        t.truncate(edge - 1);
        t.push(&(7, String::new()));
        assert_eq!(t.last(), Some((7, String::new())));
        assert_eq!(at(&t, edge - 2), Some(edge as u32 - 2));
        assert_eq!(
            t.range(edge - 3, 1_000_000)
                .map(|e| e.0)
                .collect::<Vec<_>>(),
            vec![edge as u32 - 3, edge as u32 - 2, 7]
        );
        assert_eq!(t.iter().count(), edge);
        t.truncate(0);
        assert!(t.is_empty());
        assert_eq!(t.get(0), None);
        t.push(&(1, "again".to_owned()));
        assert_eq!(t.get(0), Some((1, "again".to_owned())));
    }

    #[test]
    fn a_record_longer_than_a_chunk_gets_its_own() {
        let mut t = Timeline::default();
        t.push(&"a".repeat(10));
        t.push(&"b".repeat(CHUNK_BYTES * 2));
        t.push(&"c".to_owned());
        assert_eq!(t.chunks.len(), 3);
        assert_eq!(t.get(1).map(|s: String| s.len()), Some(CHUNK_BYTES * 2));
        assert_eq!(t.get(2).as_deref(), Some("c"));
        t.truncate(1);
        assert_eq!((t.len(), t.chunks.len()), (1, 1));
    }
}
