//! The shipped QEMU recording (`data/qemu-trace/`), read for the import tests.

use std::io::Read;

/// The recording's folder.
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/qemu-trace");

/// The trace, decompressed.
pub fn trace_text() -> String {
    let gz = std::fs::read(format!("{DATA}/trace-64M.log.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The QMP transcript.
pub fn qmp_text() -> String {
    std::fs::read_to_string(format!("{DATA}/qmp-64M.jsonl")).unwrap()
}
