//! Each expected value is worked out here with MoM's own arithmetic (floats, KiB), from the
//! rules as `doc/balloon.rules` writes them, not from the integer code under test.

use super::*;

const G: u64 = 1 << 30;

fn names() -> Vec<String> {
    vec!["db".to_owned(), "web".to_owned()]
}

fn sample(vm: usize, cur: u64, max: u64, unused: Option<u64>) -> GuestSample {
    GuestSample {
        vm,
        balloon_cur: cur,
        balloon_max: max,
        mem_unused: unused,
    }
}

/// MoM's value in KiB (a float) as libvirt receives it (whole KiB), in bytes.
fn libvirt_bytes(kib: f64) -> u64 {
    (kib.floor() as u64) * 1024
}

#[test]
fn under_pressure_a_guest_shrinks_by_five_percent_when_it_has_room() {
    let mut mom = Mom::default();
    // Host 16 GiB with 2 GiB free: 12.5 % < 20 %.
    let d = mom.run(
        2 * G,
        16 * G,
        &names(),
        &[sample(0, 8 * G, 8 * G, Some(4 * G))],
    );
    let (cur, unused) = (8.0 * 1024.0 * 1024.0, 4.0 * 1024.0 * 1024.0); // KiB
    let host_free_percent = 2.0 / 16.0;
    let guest_free_percent = 0.20 * (host_free_percent / 0.20);
    let balloon_min = (cur - unused) + guest_free_percent * cur;
    let mut balloon_size = cur * (1.0 - 0.05);
    if balloon_size < balloon_min {
        balloon_size = balloon_min;
    }
    assert_eq!(d[0].target, Some(libvirt_bytes(balloon_size)));
    assert!(
        d[0].reason
            .starts_with("host free 12 % < 20 %: shrink db by 409 MiB"),
        "{}",
        d[0].reason
    );
}

#[test]
fn under_pressure_a_busy_guest_keeps_its_free_share() {
    let mut mom = Mom::default();
    // 3 GiB free of 16 (18.75 %); the guest uses 7 of its 8 GiB.
    let d = mom.run(3 * G, 16 * G, &names(), &[sample(1, 8 * G, 8 * G, Some(G))]);
    let (cur, unused) = (8.0 * 1048576.0, 1048576.0);
    let guest_free_percent = 0.20 * ((3.0 / 16.0) / 0.20);
    let balloon_min = (cur - unused) + guest_free_percent * cur;
    // 7 GiB + 18.75 % of 8 GiB = 8.5 GiB: more than it has, so no shrink at all.
    assert!(balloon_min > cur);
    assert_eq!(d[0].target, None);
    assert!(
        d[0].reason.contains("web stays at 8192 MiB"),
        "{}",
        d[0].reason
    );
}

#[test]
fn critical_pressure_squeezes_below_the_free_target() {
    let mut mom = Mom::default();
    // 0.5 GiB free of 16 (3.125 % <= 5 %): guest_free_percent = -0.05 + 0.03125.
    let d = mom.run(
        G / 2,
        16 * G,
        &names(),
        &[sample(0, 8 * G, 8 * G, Some(G / 4))],
    );
    let (cur, unused) = (8.0 * 1048576.0, 262144.0);
    let guest_free_percent = -0.05 + 0.5 / 16.0;
    let balloon_min = (cur - unused) + guest_free_percent * cur;
    let balloon_size = (cur * 0.95_f64).max(balloon_min);
    assert_eq!(d[0].target, Some(libvirt_bytes(balloon_size)));
    assert!(
        balloon_size < cur - unused,
        "squeezed below what the guest uses"
    );
    assert!(d[0].reason.contains("(critical)"), "{}", d[0].reason);
}

#[test]
fn without_pressure_a_ballooned_guest_grows_five_percent_up_to_its_ram() {
    let mut mom = Mom::default();
    let d = mom.run(
        8 * G,
        16 * G,
        &names(),
        &[
            sample(0, 6 * G, 8 * G, Some(3 * G)),
            sample(1, 8 * G - (1 << 20), 8 * G, Some(G)),
        ],
    );
    let cur = 6.0 * 1048576.0;
    let balloon_min = (cur - 3.0 * 1048576.0) + 0.20 * cur;
    let size = (cur * 1.05_f64).max(balloon_min).min(8.0 * 1048576.0);
    assert_eq!(d[0].target, Some(libvirt_bytes(size)));
    // 1 MiB short of its RAM: growing to 8 GiB is a change of 1 MiB < 0.25 % of 8 GiB.
    assert_eq!(d[1].target, None);
    let full = mom.run(8 * G, 16 * G, &names(), &[sample(0, 8 * G, 8 * G, Some(G))]);
    assert!(full[0].reason.contains("no balloon to deflate"));
}

#[test]
fn host_free_is_averaged_over_the_kept_samples() {
    let mut mom = Mom::default();
    let g = [sample(0, 6 * G, 8 * G, Some(3 * G))];
    // 30 % then 10 %: StatAvg is 20 %, not below the threshold, so the guest still grows.
    let h = 10 * G;
    assert!(
        mom.run(h * 3 / 10, h, &names(), &g)[0]
            .reason
            .starts_with("host free 30 % >= 20 %")
    );
    assert!(
        mom.run(h / 10, h, &names(), &g)[0]
            .reason
            .starts_with("host free 20 % >= 20 %")
    );
    // After ten more samples at 10 % the first ones are forgotten.
    for _ in 0..10 {
        mom.run(h / 10, h, &names(), &g);
    }
    assert!(
        mom.run(h / 10, h, &names(), &g)[0]
            .reason
            .starts_with("host free 10 % < 20 %")
    );
}

#[test]
fn a_guest_without_stats_is_left_alone_and_said_so() {
    let mut mom = Mom::default();
    let d = mom.run(G, 16 * G, &names(), &[sample(1, 8 * G, 8 * G, None)]);
    assert_eq!(d[0].target, None);
    assert!(d[0].reason.contains("web reports no guest stats"));
}
