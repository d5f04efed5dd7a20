//! Pop one one-descriptor chain and complete it (add_used), on each backend.
//!
//! Every descriptor of a 256-entry ring is a one-descriptor chain and every avail slot holds
//! its descriptor; the "driver" republishes the whole ring (one avail.idx store) each time the
//! device has consumed it, so the loop measures the device side only.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::pop_add);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::{Criterion, Throughput, criterion_group};
    use virtq::{Backend, Descriptor, DeviceQueue, GuestRam, Portable, QueueLayout, RustVmm};

    const N: u16 = 256;

    fn setup<B: Backend>() -> (B::Ram, B::Queue, QueueLayout) {
        let mut ram = B::new_ram(1 << 30).expect("guest RAM");
        let l = QueueLayout::contiguous(0x1000, N);
        for i in 0..N {
            let d = Descriptor {
                addr: 0x10_0000 + u64::from(i) * 0x1000,
                len: 64,
                flags: 0,
                next: 0,
            };
            ram.write(l.desc_addr(i).unwrap(), &d.to_bytes()).unwrap();
            ram.write_u16(l.avail_entry_addr(i).unwrap(), i).unwrap();
        }
        let mut q = B::new_queue(N).expect("queue");
        q.configure(l, false).expect("configure");
        (ram, q, l)
    }

    fn bench_backend<B: Backend>(c: &mut Criterion) {
        let (mut ram, mut q, l) = setup::<B>();
        let idx_addr = l.avail_idx_addr().unwrap();
        let mut avail_idx = 0u16;
        let mut g = c.benchmark_group("pop_add_used");
        g.throughput(Throughput::Elements(1));
        g.bench_function(B::NAME, |b| {
            b.iter(|| {
                if q.next_avail() == avail_idx {
                    avail_idx = avail_idx.wrapping_add(N);
                    ram.write_u16(idx_addr, avail_idx).unwrap();
                }
                let chain = q.pop(&ram).unwrap().unwrap();
                q.add_used(&mut ram, black_box(chain.head), 64).unwrap();
                black_box(chain);
            })
        });
        g.finish();
    }

    /// rust-vmm alone, without the wrapper's extra ring reads and buffer checks: the floor the
    /// `rust-vmm` line above pays on top of.
    fn bench_raw_rust_vmm(c: &mut Criterion) {
        use virtio_queue::{Queue, QueueT};
        use vm_memory::GuestAddress;
        let (mut ram, _, l) = setup::<RustVmm>();
        let mut q = Queue::new(N).unwrap();
        q.try_set_desc_table_address(GuestAddress(l.desc_table))
            .unwrap();
        q.try_set_avail_ring_address(GuestAddress(l.avail_ring))
            .unwrap();
        q.try_set_used_ring_address(GuestAddress(l.used_ring))
            .unwrap();
        q.set_ready(true);
        let idx_addr = l.avail_idx_addr().unwrap();
        let mut avail_idx = 0u16;
        let mut g = c.benchmark_group("pop_add_used");
        g.throughput(Throughput::Elements(1));
        g.bench_function("rust-vmm-unwrapped", |b| {
            b.iter(|| {
                if q.next_avail() == avail_idx {
                    avail_idx = avail_idx.wrapping_add(N);
                    ram.write_u16(idx_addr, avail_idx).unwrap();
                }
                let chain = q.pop_descriptor_chain(ram.memory()).unwrap();
                let head = chain.head_index();
                let descs: Vec<_> = chain.collect();
                q.add_used(ram.memory(), black_box(head), 64).unwrap();
                black_box(descs);
            })
        });
        g.finish();
    }

    fn benches(c: &mut Criterion) {
        bench_backend::<Portable>(c);
        bench_backend::<RustVmm>(c);
        bench_raw_rust_vmm(c);
    }

    criterion_group!(pop_add, benches);
}
