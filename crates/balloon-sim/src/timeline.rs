//! The recorded events, in chunks: appending never moves what is already stored, so a long run
//! grows smoothly instead of doubling a vector (which briefly needs three times the memory).

use std::ops::Index;

/// Events per chunk.
const CHUNK: usize = 4096;

/// An append-only (and truncatable) list of events.
#[derive(Debug, Clone)]
pub struct Timeline<E> {
    chunks: Vec<Vec<E>>,
    len: usize,
}

impl<E> Default for Timeline<E> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<E> Timeline<E> {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Event `i`.
    pub fn get(&self, i: usize) -> Option<&E> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }
    /// The last event.
    pub fn last(&self) -> Option<&E> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }
    /// Appends.
    pub fn push(&mut self, e: E) {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(e),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(e);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }
    /// Keeps the first `n` events.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        self.chunks.truncate(n.div_ceil(CHUNK));
        if let Some(c) = self.chunks.last_mut() {
            c.truncate(n - (n.div_ceil(CHUNK) - 1) * CHUNK);
        }
        self.len = n;
    }
    /// Events `from..to` (clamped).
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = &E> {
        let to = to.min(self.len);
        (from.min(to)..to).filter_map(move |i| self.get(i))
    }
    /// Every event.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.chunks.iter().flatten()
    }
}

impl<E> Index<usize> for Timeline<E> {
    type Output = E;
    fn index(&self, i: usize) -> &E {
        assert!(
            i < self.len,
            "event {i} is past the end of the timeline ({})",
            self.len
        );
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_index_truncate_across_chunks() {
        let mut t = Timeline::default();
        for i in 0..10_000u32 {
            t.push(i);
        }
        assert_eq!((t.len(), t[0], t[4096], t[9999]), (10_000, 0, 4096, 9999));
        t.truncate(8192);
        assert_eq!((t.len(), t.last(), t.get(8192)), (8192, Some(&8191), None));
        t.truncate(4097);
        assert_eq!((t.len(), t.last()), (4097, Some(&4096)));
        t.push(7);
        assert_eq!(t[4097], 7);
        assert_eq!(
            t.range(4095, 10_000).copied().collect::<Vec<_>>(),
            vec![4095, 4096, 7]
        );
        assert_eq!(t.iter().count(), 4098);
        t.truncate(0);
        assert!(t.is_empty());
    }
}
