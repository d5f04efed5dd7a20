//! A host's invariants over random host scripts (2 or 3 small VMs on a host too small for
//! them, random workloads, balloon targets, time and policy changes), on both backends:
//!
//! - host memory is conserved at every event: own + Σ (QEMU overhead + guest pages in RAM) +
//!   free = RAM, recounted from each VM's own resident bitmap ([`Host::audit`]), and swap in
//!   use is the sum of what each VM has in swap, within the swap;
//! - a frame is never both resident and discarded (checked frame by frame after every line);
//! - a killed VM holds nothing and never acts again;
//! - the policy never sets a target outside the guest's RAM;
//! - the same trace hash and summary on both backends (the wasm32 hash is `wasm_hash.rs`'s).
//! - the page's host session (a history) makes the same trace and, after any seek, the same host.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::host::{Host, HostDetail, HostRunner, HostSession, parse_host_script};
use balloon_sim::view::HostView;
use proptest::prelude::*;
use proptest_cases::config;
use virtq::Backend;

const DEVICES: [&str; 3] = [
    "virtio-balloon,guest-stats-polling-interval=1",
    "virtio-balloon,deflate-on-oom=on,guest-stats-polling-interval=1",
    "virtio-balloon,free-page-reporting=on,page-poison=off,guest-stats-polling-interval=1",
];

fn vm_line(vm: usize, op: u8, arg: u32) -> String {
    let v = ["a", "b", "c"][vm];
    match op % 9 {
        0 => format!("@{v} balloon {}", 1 + arg % 128),
        1 => format!(
            "@{v} {{\"execute\": \"balloon\", \"arguments\": {{\"value\": {}}}}}",
            (1 + u64::from(arg % 128)) << 20
        ),
        2 | 3 => format!("@{v} guest alloc {}M", 1 + arg % 96),
        4 => format!("@{v} guest free {}M", 1 + arg % 64),
        5 => format!("@{v} guest cache {}M", 1 + arg % 48),
        6 => format!("run {}ms", 1 + arg % 3000),
        7 => ["host policy mom 1s", "host policy off", "run 5s"][arg as usize % 3].to_owned(),
        _ => format!("@{v} {{\"execute\": \"query-balloon\"}}"),
    }
}

fn script(
    vms: usize,
    devices: &[u8],
    host_mib: u32,
    swap_mib: u32,
    ops: &[(u8, u8, u32)],
) -> String {
    let mut s = format!("host ram {host_mib}M\nhost own 64M\nhost swap {swap_mib}M\n");
    for (i, d) in devices.iter().take(vms).enumerate() {
        s += &format!(
            "-name {} -m 128M -device {}\n",
            ["a", "b", "c"][i],
            DEVICES[*d as usize % 3]
        );
    }
    for (vm, op, arg) in ops {
        s += &vm_line(*vm as usize % vms, *op, *arg);
        s.push('\n');
    }
    s
}

/// Runs `text`, checking every invariant as it goes; returns the summary as JSON.
fn check<B: Backend>(text: &str) -> Result<String, TestCaseError> {
    let script = parse_host_script(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let Ok(mut r) = HostRunner::<B>::new(&script) else {
        // Too small for its QEMU processes: refused, the lib tests check the error.
        return Ok(String::new());
    };
    let mut failure: Option<String> = None;
    let mut dead = vec![false; script.vms.len()];
    for line in &script.lines {
        let _ = r.run_action(
            &line.action,
            &mut |h: &Host<B>, ev| {
                if failure.is_some() {
                    return;
                }
                if let Err(e) = h.audit() {
                    failure = Some(format!("event {}: {e}", ev.index));
                }
                match &ev.detail {
                    HostDetail::Vm { vm, .. } if dead[*vm] => {
                        failure = Some(format!("event {}: a killed VM acted", ev.index));
                    }
                    HostDetail::OomKill { vm, .. } => dead[*vm] = true,
                    HostDetail::Policy(d) => {
                        let ram = h.vms()[d.vm].machine().ram_size;
                        if d.target.is_some_and(|t| t == 0 || t > ram) {
                            failure = Some(format!("policy target {:?} outside {ram}", d.target));
                        }
                    }
                    _ => {}
                }
                for (i, v) in h.vms().iter().enumerate() {
                    if v.world().is_none() && (v.host_bytes() != 0 || v.swapped_bytes() != 0) {
                        failure = Some(format!("killed VM {i} holds memory"));
                    }
                }
            },
            &mut |_, _| {},
        );
        for v in r.host().vms() {
            if let Some(w) = v.world() {
                let m = w.device().memory();
                if let Some(f) = (0..m.frames()).find(|f| m.is_resident(*f) && m.is_discarded(*f)) {
                    failure.get_or_insert(format!(
                        "{}: frame {f:#x} resident and discarded",
                        v.name()
                    ));
                }
            }
        }
        if let Some(f) = failure {
            return Err(TestCaseError::fail(format!(
                "line {}: {f}\n{text}",
                line.line
            )));
        }
    }
    Ok(serde_json::to_string(&r.summary()).unwrap_or_default())
}

proptest! {
    #![proptest_config(config(12))]
    #[test]
    fn host_invariants_hold_on_both_backends(
        vms in 2usize..=3,
        devices in proptest::collection::vec(0u8..3, 3),
        host_mib in 180u32..400,
        swap_mib in prop_oneof![Just(0u32), 16u32..128],
        ops in proptest::collection::vec((0u8..3, any::<u8>(), any::<u32>()), 1..24),
    ) {
        let text = script(vms, &devices, host_mib, swap_mib, &ops);
        let portable = check::<virtq::Portable>(&text)?;
        let rust_vmm = check::<virtq::RustVmm>(&text)?;
        prop_assert_eq!(portable, rust_vmm, "backends differ\n{}", text);
    }
}

proptest! {
    #![proptest_config(config(8))]
    /// The page's [`HostSession`] (a history: one event per input, consequences stepped out,
    /// snapshots and replay) makes the trace a straight run makes, and seeking anywhere and
    /// back to the end shows the same host.
    #[test]
    fn a_host_session_replays_like_a_straight_run(
        vms in 2usize..=3,
        devices in proptest::collection::vec(0u8..3, 3),
        host_mib in 180u32..400,
        swap_mib in prop_oneof![Just(0u32), 16u32..128],
        ops in proptest::collection::vec((0u8..3, any::<u8>(), any::<u32>()), 1..24),
        at in 0.0f64..=1.0,
    ) {
        let text = script(vms, &devices, host_mib, swap_mib, &ops);
        let parsed = parse_host_script(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Ok(mut r) = HostRunner::<virtq::Portable>::new(&parsed) else {
            return Ok(());
        };
        r.run_script(&parsed, &mut |_, _| {}, &mut |_, _| {});
        let (mut s, _) = HostSession::from_script(&text)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(s.trace_hash(), r.trace_hash(), "{}", text);
        let end = s.event_count();
        let at_end = HostView::of(s.host());
        prop_assert_eq!(&at_end, &HostView::of(r.host()));
        let k = (end as f64 * at) as u64;
        s.seek(k).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(s.host().audit().is_ok(), "{:?} at {k}\n{text}", s.host().audit());
        s.seek(end).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(HostView::of(s.host()), at_end, "{}", text);
    }
}
