//! Random command lines over the balloon's whole surface, for the property tests that run
//! random scripts (`invariants.rs`, `trace_binary.rs`).

/// Machines the random scripts run on: plain, deflate-on-oom, free page reporting, and
/// everything together with hinting.
pub const MACHINES: [&str; 4] = [
    "virtio-balloon",
    "virtio-balloon,deflate-on-oom=on",
    "virtio-balloon,free-page-reporting=on,page-poison=off",
    "virtio-balloon,free-page-hint=on,iothread=io0,deflate-on-oom=on,free-page-reporting=on",
];

/// One random command line: resizes (HMP and QMP), workloads that may run into OOM, hinting
/// rounds and time passing. No faults: a malformed guest breaks these invariants by design
/// (see `malformed_catalogue.rs`).
pub fn line(op: u8, arg: u32) -> String {
    match op % 12 {
        0 | 1 => format!("balloon {}", 1 + arg % 128),
        2 => format!(
            "{{\"execute\": \"balloon\", \"arguments\": {{\"value\": {}}}}}",
            (1 + u64::from(arg % 128)) << 20
        ),
        3 => format!("guest alloc {}M", 1 + arg % 96),
        4 => format!("guest free {}M", 1 + arg % 64),
        5 => format!("guest cache {}M", 1 + arg % 48),
        6 => format!("guest touch {}M", 1 + arg % 48),
        7 => ["host hint start", "host hint stop", "host hint done"][arg as usize % 3].to_owned(),
        8 => format!("run {}ms", 1 + arg % 3000),
        9 => "run 2s".to_owned(),
        10 => "info balloon".to_owned(),
        _ => "{\"execute\": \"query-balloon\"}".to_owned(),
    }
}
