//! One stable sort by an integer key for every list the compare and import views order.
//!
//! `slice::sort_by_key` is a stable driftsort compiled anew for each element type and key
//! closure: about 4 kB of wasm each, five times over in the page (compare's queues twice, the
//! importer's QMP lines, its marks and its replay plan). Here only the (key, position) pairs
//! are sorted, by std's `sort_unstable` of `(i128, usize)`, one copy for all five; the
//! position makes every pair distinct, so equal keys keep their order as a stable sort keeps
//! them. What is left per element type is the short loop that moves the elements (gzip -9 of
//! the page's wasm 2.1 kB smaller; a hand-written heapsort would save 1.7 kB more, not worth
//! a sort of our own).

/// Sorts `v` by `key`, keeping the order of elements with equal keys (as
/// `v.sort_by_key(key)` does). Every integer key of the trace (`u64`, `i64`, an index) fits in
/// an `i128` unchanged.
pub(crate) fn sort_by_key_stable<T>(v: &mut Vec<T>, key: impl Fn(&T) -> i128) {
    let mut order: Vec<(i128, usize)> = v.iter().map(key).zip(0..).collect();
    if order.is_sorted() {
        return;
    }
    // The positions make every pair distinct, so an unstable sort gives the stable order.
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    // Each position is in `order` exactly once, so every slot is taken once.
    v.extend(
        order
            .into_iter()
            .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use super::sort_by_key_stable;

    /// std's stable `sort_by_key` is the reference: the same order for every list, equal keys
    /// (many of them, from a small key range) in their original order.
    #[test]
    fn orders_as_std_stable_sort_does() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in (0..40).chain([100, 1000]) {
            for range in [1, 3, 50, u64::MAX] {
                // (key, original position): the position shows whether ties kept their order.
                let list: Vec<(i64, usize)> = (0..len)
                    .map(|i| ((next() % range).wrapping_sub(range / 2) as i64, i))
                    .collect();
                let mut ours = list.clone();
                sort_by_key_stable(&mut ours, |e| i128::from(e.0));
                let mut std = list.clone();
                std.sort_by_key(|e| e.0);
                assert_eq!(ours, std, "len {len}, key range {range}");
            }
        }
    }

    #[test]
    fn keys_at_the_ends_of_u64_and_i64_order_as_integers() {
        let mut v = vec![u64::MAX, 0, 1 << 63, 5];
        sort_by_key_stable(&mut v, |&k| i128::from(k));
        assert_eq!(v, [0, 5, 1 << 63, u64::MAX]);
        let mut v = vec![i64::MAX, i64::MIN, -1, 0];
        sort_by_key_stable(&mut v, |&k| i128::from(k));
        assert_eq!(v, [i64::MIN, -1, 0, i64::MAX]);
    }
}
