//! Large balloons: cost is per message, never per page in events.
//! Timing: `cargo test -p balloon-device --release --test bulk -- --ignored --nocapture`.

use balloon_device::consts::status;
use balloon_device::{BalloonDevice, BalloonProps, DeviceEvent, DeviceProfile};
use virtq::driver::Segment;
use virtq::{Backend, DriverQueue, GuestRam, Portable, QueueLayout};

/// Inflates `pages` 4 KiB pages of a `ram`-byte guest in Linux-sized messages (256 PFNs,
/// descending); returns (events, discarded frames).
fn inflate<B: Backend>(ram_size: u64, pages: u32) -> (usize, u64) {
    let mut dev = BalloonDevice::<B>::new(
        DeviceProfile::qemu(),
        BalloonProps::default(),
        ram_size,
        4096,
    )
    .unwrap();
    while dev.init_step().is_some() {}
    let mut ram = B::new_ram(ram_size).unwrap();
    dev.set_status(status::ACKNOWLEDGE | status::DRIVER);
    dev.set_driver_features(dev.device_features());
    dev.set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
    let layout = QueueLayout::contiguous(0x10_0000, 128);
    let mut q = DriverQueue::new(&mut ram, layout, true).unwrap();
    dev.set_queue(0, layout);
    dev.set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK);
    dev.balloon((ram_size - u64::from(pages) * 4096) as i64)
        .unwrap();
    let top = (ram_size >> 12) as u32;
    let mut buf = [0u8; 1024];
    let mut events = 0;
    let mut next = top;
    let mut left = pages;
    while left > 0 {
        let n = left.min(256);
        for k in 0..n {
            next -= 1;
            buf[k as usize * 4..k as usize * 4 + 4].copy_from_slice(&next.to_le_bytes());
        }
        ram.write(0x20_0000, &buf[..n as usize * 4]).unwrap();
        let seg = Segment {
            addr: 0x20_0000,
            len: n * 4,
            writable: false,
        };
        let head = q.add_buf(&mut ram, &[seg], None).unwrap();
        q.publish(&mut ram, head).unwrap();
        if q.kick_needed(&mut ram).unwrap() {
            dev.notify(0);
        }
        while let Some(e) = dev.step(&mut ram, 0) {
            if let DeviceEvent::Inflated { pfns, .. } = &e {
                assert_eq!(pfns.len(), 1, "one run per message");
            }
            events += 1;
        }
        dev.take_interrupts();
        while q.get_used(&mut ram).unwrap().is_some() {}
        left -= n;
    }
    (events, dev.memory().discarded_frames())
}

#[test]
fn one_gib_of_a_four_gib_guest_is_five_steps_per_message() {
    let (events, discarded) = inflate::<Portable>(4 << 30, 262_144);
    assert_eq!(discarded, 262_144);
    assert_eq!(events, 1024 * 5);
}

#[test]
#[ignore = "timing run"]
fn sixty_gib_of_a_sixty_four_gib_guest() {
    for backend in ["portable", "rust-vmm"] {
        let t = std::time::Instant::now();
        let (events, discarded) = match backend {
            "portable" => inflate::<Portable>(64 << 30, 60 << 18),
            _ => inflate::<virtq::RustVmm>(64 << 30, 60 << 18),
        };
        assert_eq!(discarded, 60 << 18);
        println!(
            "{backend}: 60 GiB inflate of a 64 GiB guest: {} messages, {events} events, {:?}",
            (60u64 << 18) / 256,
            t.elapsed()
        );
    }
}
