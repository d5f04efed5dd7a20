//! The malformed-guest presets on the four VMMs: each row ends the way that VMM's source ends
//! it (reference section 8, and the files and commits the profiles cite), read from the trace
//! and from the rings in guest memory, on both backends.
#![cfg(not(target_arch = "wasm32"))]

use balloon_device::{DeviceEvent, Vmm};
use balloon_sim::command::{QueueName, parse_script};
use balloon_sim::world::{Detail, TraceEvent};
use balloon_sim::{Runner, presets};
use virtq::Backend;

/// How the first guest mistake on the inflate queue ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// DEVICE_NEEDS_RESET (QEMU `virtio_error`; Cloud Hypervisor's worker error).
    NeedsReset,
    /// The VMM process would abort (Firecracker's panic).
    Abort,
    /// The queue stalls with nothing said to the guest.
    Stall,
    /// The element is never returned.
    Lost,
    /// The bad buffer is passed over and the element acked.
    Skipped,
    /// Every element acked and nothing flagged.
    Acked,
}

struct Run {
    events: Vec<TraceEvent>,
    ivq_used: u16,
    ivq_next_avail: u16,
    status: u8,
    violations: usize,
}

fn run<B: Backend>(preset: &str, vmm: Vmm) -> Run {
    let p = presets::get(preset).unwrap_or_else(|| panic!("no preset {preset}"));
    let mut script = parse_script(p.text).unwrap();
    script.machine.profile = vmm.name().to_owned();
    let mut runner = Runner::<B>::new(&script).unwrap();
    let mut events = Vec::new();
    runner.run_script(&script, &mut |e| events.push(e.clone()), &mut |_| {});
    let w = runner.world();
    let ivq = w
        .queue_views()
        .into_iter()
        .find(|q| q.name == QueueName::Ivq)
        .expect("ivq");
    Run {
        events,
        ivq_used: ivq.used_idx,
        ivq_next_avail: ivq.next_avail,
        status: w.device().status(),
        violations: w.guest().driver().violations().len(),
    }
}

fn end(r: &Run) -> End {
    for e in &r.events {
        if let Detail::Device(d) = &e.detail {
            match d {
                DeviceEvent::VirtioError { .. } => return End::NeedsReset,
                DeviceEvent::VmmAborted { .. } => return End::Abort,
                DeviceEvent::QueueStalled { .. } => return End::Stall,
                DeviceEvent::ElementLost { .. } => return End::Lost,
                DeviceEvent::BufferSkipped { .. } => return End::Skipped,
                _ => {}
            }
        }
    }
    End::Acked
}

fn rows<B: Backend>() {
    use End::*;
    // Columns: QEMU, Cloud Hypervisor, Firecracker, crosvm.
    let table: [(u8, &str, [End; 4]); 6] = [
        (3, "malformed-oversized", [Acked, Acked, Lost, Acked]),
        (
            5,
            "malformed-pfn-array-outside-ram",
            [NeedsReset, Skipped, Lost, Skipped],
        ),
        (
            10,
            "malformed-avail-idx-jump",
            [NeedsReset, Stall, Abort, Stall],
        ),
        (11, "malformed-desc-loop", [NeedsReset, Acked, Acked, Stall]),
        (
            12,
            "malformed-zero-length",
            [NeedsReset, Skipped, Skipped, Skipped],
        ),
        (1, "malformed-tolerated", [Acked, Acked, Acked, Acked]),
    ];
    for (row, preset, ends) in table {
        for (vmm, want) in Vmm::ALL.into_iter().zip(ends) {
            let r = run::<B>(preset, vmm);
            let ctx = format!("row {row} ({preset}) on {}", vmm.name());
            assert_eq!(end(&r), want, "{ctx}");
            let needs_reset = r.status & 0x40 != 0;
            assert_eq!(
                needs_reset,
                want == NeedsReset,
                "{ctx}: status {:#x}",
                r.status
            );
            match want {
                // Every element the device popped went back to the used ring.
                Acked | Skipped => assert_eq!(r.ivq_used, r.ivq_next_avail, "{ctx}"),
                // One element popped and never returned.
                Lost => assert_eq!(r.ivq_used + 1, r.ivq_next_avail, "{ctx}"),
                _ => {}
            }
        }
    }
}

/// Row 20: crosvm always offers MUST_TELL_HOST, Linux accepts it, and a guest that reuses
/// deflated pages before the ack breaks the rule; on QEMU, which never offers the bit, the
/// same guest is within the rules.
fn must_tell_host<B: Backend>() {
    let preset = presets::get("malformed-must-tell-host").unwrap();
    assert!(preset.text.contains("-profile crosvm"));
    let crosvm = run::<B>("malformed-must-tell-host", Vmm::Crosvm);
    let negotiated = crosvm.events.iter().any(|e| {
        matches!(&e.detail, Detail::Driver { host, .. } if host.iter().any(|h| matches!(h,
            DeviceEvent::DriverFeaturesSet { accepted, applied: true, .. } if accepted & 1 == 1)))
    });
    assert!(negotiated, "MUST_TELL_HOST (bit 0) negotiated on crosvm");
    // One violation per run of reused pages: the first deflate message's 256 contiguous pages.
    assert_eq!(crosvm.violations, 1, "one deflate message reused early");
    let qemu = run::<B>("malformed-must-tell-host", Vmm::Qemu);
    assert_eq!(qemu.violations, 0);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod portable {
            $(#[test] fn $name() { super::$name::<virtq::Portable>(); })*
        }
        mod rust_vmm {
            $(#[test] fn $name() { super::$name::<virtq::RustVmm>(); })*
        }
    };
}

both!(rows, must_tell_host);
