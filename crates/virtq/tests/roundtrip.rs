//! Driver and portable device together on one sparse RAM.
#![cfg(not(target_arch = "wasm32"))] // rust-vmm, the reference, is native only

use virtq::{
    Backend, DeviceQueue, DriverQueue, GuestRam, Portable, QueueLayout, Segment, UsedElem,
};

fn setup<B: Backend>(event_idx: bool) -> (B::Ram, DriverQueue, B::Queue) {
    let mut ram = B::new_ram(1 << 20).unwrap();
    let layout = QueueLayout::contiguous(0x1000, 8);
    let drv = DriverQueue::new(&mut ram, layout, event_idx).unwrap();
    let mut dev = B::new_queue(8).unwrap();
    dev.configure(layout, event_idx).unwrap();
    (ram, drv, dev)
}

#[test]
fn direct_chain_round_trip_portable() {
    direct_chain_round_trip::<Portable>();
}

#[test]
fn direct_chain_round_trip_rust_vmm() {
    direct_chain_round_trip::<virtq::RustVmm>();
}

#[test]
fn indirect_chain_round_trip_portable() {
    indirect_chain_round_trip::<Portable>();
}

#[test]
fn indirect_chain_round_trip_rust_vmm() {
    indirect_chain_round_trip::<virtq::RustVmm>();
}

fn direct_chain_round_trip<B: Backend>() {
    let (mut ram, mut drv, mut dev) = setup::<B>(false);
    let segs = [
        Segment {
            addr: 0x8000,
            len: 16,
            writable: false,
        },
        Segment {
            addr: 0x9000,
            len: 32,
            writable: true,
        },
    ];
    let head = drv.add_buf(&mut ram, &segs, None).unwrap();
    assert_eq!(head, 0);
    assert_eq!(drv.num_free(), 6);
    assert_eq!(dev.pop(&ram).unwrap(), None, "not published yet");
    assert_eq!(drv.publish(&mut ram, head).unwrap(), (0, 1));
    assert!(drv.kick_needed(&mut ram).unwrap());
    let chain = dev.pop(&ram).unwrap().unwrap();
    assert_eq!(chain.head, 0);
    assert!(!chain.indirect);
    assert_eq!(chain.readable().count(), 1);
    assert_eq!(chain.writable().next().unwrap().addr, 0x9000);
    assert_eq!(dev.next_avail(), 1);
    assert_eq!(drv.get_used(&mut ram).unwrap(), None);
    dev.add_used(&mut ram, chain.head, 32).unwrap();
    assert!(dev.needs_notification(&ram).unwrap());
    assert_eq!(
        drv.get_used(&mut ram).unwrap(),
        Some(UsedElem { id: 0, len: 32 })
    );
    assert_eq!(drv.num_free(), 8);
    assert_eq!(drv.last_used(), 1);
    assert!(drv.heads_in_flight().is_empty());
}

fn indirect_chain_round_trip<B: Backend>() {
    let (mut ram, mut drv, mut dev) = setup::<B>(true);
    let segs = [
        Segment {
            addr: 0x8000,
            len: 4,
            writable: false,
        },
        Segment {
            addr: 0x8100,
            len: 4,
            writable: false,
        },
        Segment {
            addr: 0x9000,
            len: 8,
            writable: true,
        },
    ];
    let head = drv.add_buf(&mut ram, &segs, Some(0x7000)).unwrap();
    assert_eq!(drv.num_free(), 7);
    drv.publish(&mut ram, head).unwrap();
    // avail_event is 0: the first publish (0 -> 1) crosses it.
    assert!(drv.kick_needed(&mut ram).unwrap());
    let chain = dev.pop(&ram).unwrap().unwrap();
    assert!(chain.indirect);
    assert_eq!(chain.descriptors.len(), 3);
    assert_eq!(
        ram.read_u16(0x7000 + 12).unwrap(),
        1,
        "table entry 0 has NEXT"
    );
    dev.add_used(&mut ram, head, 8).unwrap();
    assert!(dev.needs_notification(&ram).unwrap());
    assert_eq!(
        drv.get_used(&mut ram).unwrap(),
        Some(UsedElem { id: head, len: 8 })
    );
    assert_eq!(drv.num_free(), 8);
}
