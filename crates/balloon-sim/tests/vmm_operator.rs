//! The other VMMs' operator interfaces in their own syntax and units (each names the balloon's
//! size, not the guest's): Cloud Hypervisor `vm.resize` / `vm.info`, Firecracker
//! `PATCH /balloon` / `GET /balloon/statistics`, crosvm `crosvm balloon` / `balloon_stats`.
//! The sizes asserted are what the guest driver ends up holding, read from the device.

use balloon_sim::{Reply, Session};

fn session(machine: &str) -> Session {
    Session::from_script(&format!("{machine}\nrun\n"))
        .unwrap()
        .0
}

fn say(s: &mut Session, line: &str) -> String {
    let r = s.apply_line(line).unwrap();
    match r.as_slice() {
        [Reply::Hmp(t)] => t.clone(),
        other => panic!("{line}: {other:?}"),
    }
}

fn settle(s: &mut Session) {
    s.apply_line("run").unwrap();
}

#[test]
fn cloud_hypervisor_resize_is_the_balloon_in_bytes() {
    let mut s = session("-m 1G -profile cloud-hypervisor");
    let r = say(
        &mut s,
        r#"PUT /api/v1/vm.resize {"desired_balloon": 268435456}"#,
    );
    assert_eq!(r, "HTTP/1.1 204 No Content");
    settle(&mut s);
    // 256 MiB of balloon: 65536 pages, and vm.info's memory_actual_size is 1 GiB - 256 MiB.
    assert_eq!(s.config_view().actual, 65536);
    let info = say(&mut s, "GET /api/v1/vm.info");
    assert!(info.contains("\"memory_actual_size\":805306368"), "{info}");
    // No BALLOON_CHANGE: QEMU's QAPI event has no twin in Cloud Hypervisor.
    let r = s
        .apply_line(r#"PUT /api/v1/vm.resize {"desired_balloon": 0}"#)
        .unwrap();
    settle(&mut s);
    assert!(r.iter().all(|r| !r.to_line().contains("BALLOON_CHANGE")));
    assert_eq!(s.config_view().actual, 0);
}

#[test]
fn firecracker_patch_is_the_balloon_in_mib_and_refuses_in_its_words() {
    let (mut s, _) = Session::from_script(
        "-m 1G -device virtio-balloon,guest-stats-polling-interval=1 -profile firecracker\n",
    )
    .unwrap();
    // Before the driver set DRIVER_OK the device is not activated.
    let r = say(&mut s, r#"PATCH /balloon {"amount_mib": 128}"#);
    assert_eq!(
        r,
        "HTTP/1.1 400 Bad Request\n{\"fault_message\":\"Device not activated yet.\"}"
    );
    settle(&mut s);
    assert_eq!(
        say(&mut s, r#"PATCH /balloon {"amount_mib": 128}"#),
        "HTTP/1.1 204 No Content"
    );
    s.apply_line("run 2s").unwrap();
    assert_eq!(s.config_view().actual, 128 * 256);
    let stats = say(&mut s, "GET /balloon/statistics");
    let body: serde_json::Value = serde_json::from_str(stats.lines().nth(1).unwrap()).unwrap();
    assert_eq!(body["target_mib"], 128);
    assert_eq!(body["actual_pages"], 32768);
    assert!(body["total_memory"].as_u64().unwrap() > 0, "{body}");
    let r = say(&mut s, r#"PATCH /balloon {"amount_mib": 2048}"#);
    assert!(
        r.contains("Requested memory should be less than 2048MiB"),
        "{r}"
    );
    // Without a polling interval there is no statsq and no statistics.
    let mut s = session("-m 1G -profile firecracker");
    let r = say(&mut s, "GET /balloon/statistics");
    assert!(
        r.contains("Received stats query when stats are disabled."),
        "{r}"
    );
}

#[test]
fn crosvm_balloon_rounds_bytes_down_to_pages() {
    let mut s = session("-m 1G -profile crosvm");
    assert_eq!(say(&mut s, "crosvm balloon 268439551 /run/crosvm.sock"), "");
    settle(&mut s);
    assert_eq!(s.config_view().actual, 65536, "4095 bytes more are no page");
    let stats = say(&mut s, "crosvm balloon_stats /run/crosvm.sock");
    let v: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(v["BalloonStats"]["balloon_actual"], 268435456u64);
    assert!(v["BalloonStats"]["stats"]["shared_memory"].is_null());
    // Pretty-printed as `serde_json::to_string_pretty` prints the reply: two-space indent,
    // one member a line, keys in order (typed here by hand).
    assert!(
        stats.starts_with(
            "{\n  \"BalloonStats\": {\n    \"balloon_actual\": 268435456,\n    \"stats\": {\n      \""
        ),
        "{stats}"
    );
    assert!(stats.trim_end().ends_with("\n    }\n  }\n}"), "{stats}");
}

#[test]
fn a_vmm_command_on_another_profile_is_refused() {
    let mut s = session("-m 1G");
    assert_eq!(
        say(&mut s, "crosvm balloon 4096 /s"),
        "error: crosvm balloon is crosvm's; this VM runs the qemu profile"
    );
    assert_eq!(s.config_view().num_pages, 0);
}
