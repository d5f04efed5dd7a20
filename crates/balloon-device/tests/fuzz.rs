//! Garbage rings and config writes never panic the device, and the device ends either healthy
//! or in DEVICE_NEEDS_RESET, on both backends alike.

mod common;

use balloon_device::consts::status;
use balloon_device::{BalloonProps, DeviceEvent};
use common::{Guest, RING_BASE};
use proptest::prelude::*;
use virtq::{Backend, GuestRam, Portable};

fn run<B: Backend>(ring_bytes: &[(u16, Vec<u8>)], config: &[(u32, Vec<u8>)]) -> Vec<String> {
    let props = BalloonProps {
        free_page_hint: true,
        iothread: true,
        free_page_reporting: true,
        ..BalloonProps::default()
    };
    let mut g = Guest::<B>::boot(props, u64::MAX);
    g.driver_ok();
    let mut out = Vec::new();
    for (q, bytes) in ring_bytes {
        let q = q % 5;
        // Scribble over the queue's descriptor table and avail ring.
        let base = RING_BASE + u64::from(q) * 0x1_0000;
        g.ram.write(base, bytes).unwrap();
        let l = g.qs[usize::from(q)].layout();
        g.ram
            .write(l.avail_ring, &bytes[..bytes.len().min(8)])
            .unwrap();
        out.push(g.dev.notify(q).sentence());
        for _ in 0..2_000 {
            match g.dev.step(&mut g.ram, 0) {
                Some(e) => out.push(e.sentence()),
                None => break,
            }
        }
    }
    for (off, data) in config {
        out.push(g.dev.write_config(off % 24, data, 0).sentence());
        let mut b = vec![0u8; data.len()];
        let ev = g.dev.read_config(off % 24, &mut b);
        assert!(matches!(
            ev,
            DeviceEvent::ConfigRead { .. } | DeviceEvent::ConfigAccessOutOfRange { .. }
        ));
    }
    assert!(!g.dev.is_broken() || g.dev.status() & status::DEVICE_NEEDS_RESET != 0);
    out.push(format!(
        "status {} broken {}",
        g.dev.status(),
        g.dev.is_broken()
    ));
    out
}

use proptest_cases::config;

proptest! {
    #![proptest_config(config(64))]
    #[test]
    fn garbage_never_panics_and_backends_agree(
        rings in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 8..256)), 1..6),
        config in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 1..9)), 0..6),
    ) {
        let a = run::<Portable>(&rings, &config);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let b = run::<virtq::RustVmm>(&rings, &config);
            prop_assert_eq!(a, b);
        }
        #[cfg(target_arch = "wasm32")]
        let _ = a;
    }
}
