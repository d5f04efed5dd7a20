//! The event rows the page lists at the cursor.

use balloon_sim::import::{ImportedKind, Recording};

use crate::components::trace_events::EventRow;

/// Rows listed at once: the cost of a cursor move does not grow with the recording.
pub const ROWS: usize = 14;

/// Whether the trace left a field of `kind` unknown (a descriptor index is never traced; a
/// queue is unknown when no kick named its vq).
fn has_unknown(kind: &ImportedKind) -> bool {
    match kind {
        ImportedKind::Pop { .. } => true,
        ImportedKind::Fill { queue_index, .. }
        | ImportedKind::Flush { queue_index, .. }
        | ImportedKind::Interrupt { queue_index } => queue_index.is_none(),
        _ => false,
    }
}

/// The last [`ROWS`] events at or before `cursor_ns` (events without a time stay with the
/// events around them, in line order).
pub fn rows_at(rec: &Recording, cursor_ns: i64) -> Vec<EventRow> {
    let ev = &rec.events;
    // Events are in line order and nearly in time order; the first one past the cursor ends
    // the list.
    let end = ev.partition_point(|e| e.t_ns.is_none_or(|t| t <= cursor_ns));
    ev[end.saturating_sub(ROWS)..end]
        .iter()
        .map(|e| EventRow {
            line: e.line,
            t_ns: e.t_ns,
            function: e.kind.function(),
            sentence: e.kind.sentence(),
            unknown: has_unknown(&e.kind),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use balloon_sim::import::import_text;

    use super::*;

    #[test]
    fn rows_end_at_the_cursor_and_name_qemu_functions() {
        let text = "\
1@10.000000:virtio_queue_notify vdev 0x10 n 0 vq 0x20
1@10.000100:virtqueue_pop vq 0x20 elem 0x30 in_num 0 out_num 1
1@10.000200:virtio_balloon_handle_output section name: pc.ram gpa: 0x5000
1@11.000000:virtio_balloon_set_config actual: 1 oldactual: 0
";
        let rec = import_text(text, None, Default::default()).unwrap();
        let rows = rows_at(&rec, 500_000_000);
        let f: Vec<&str> = rows.iter().map(|r| r.function).collect();
        assert_eq!(f, ["virtio_queue_notify", "virtqueue_pop"]);
        assert!(rows[1].unknown, "the descriptor index is not traced");
        assert!(rows[1].sentence.contains("0x5"), "{}", rows[1].sentence);
        assert_eq!(rows_at(&rec, 1_000_000_000).len(), 3);
        assert!(rows_at(&rec, -1).is_empty());
    }
}
