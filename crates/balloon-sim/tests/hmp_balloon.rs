//! HMP `balloon` answers as QEMU 7.2's monitor does: the argument is an expression in MiB
//! (monitor/hmp.c), and every reply below was seen on a real QEMU 7.2 with a Linux 6.1 guest.

use balloon_sim::{Reply, Session};

fn reply(line: &str) -> String {
    let (mut s, _) = Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
    let replies = s.apply_line(line).unwrap();
    match replies.as_slice() {
        [Reply::Hmp(text)] => text.clone(),
        other => panic!("{line}: {other:?}"),
    }
}

const TRY: &str = "\nTry \"help balloon\" for more information";

#[test]
fn expressions_are_accepted_with_an_empty_reply() {
    for (line, mib) in [
        ("balloon 0x200", 512),
        ("balloon 256+256", 512),
        ("balloon 256 + 128", 384),
    ] {
        let (mut s, _) =
            Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\n").unwrap();
        let r = s.apply_line(line).unwrap();
        assert!(
            matches!(r.as_slice(), [Reply::Hmp(t)] if t.is_empty()),
            "{line}: {r:?}"
        );
        let want = ((1u64 << 30) - (mib << 20)) / 4096;
        assert_eq!(u64::from(s.config_view().num_pages), want, "{line}");
    }
}

#[test]
fn bad_values_get_qemus_words() {
    assert_eq!(reply("balloon -5"), format!("enter a positive value{TRY}"));
    assert_eq!(
        reply("balloon 512M"),
        format!("balloon: extraneous characters at the end of line{TRY}")
    );
    assert_eq!(
        reply("balloon 99999999999999999999"),
        format!("number too large{TRY}")
    );
    assert_eq!(
        reply("balloon abc"),
        format!("invalid char 'a' in expression{TRY}")
    );
    // 0 parses; qmp_balloon refuses it, and HMP prints its error without the hint.
    assert_eq!(
        reply("balloon 0"),
        "Error: Parameter 'target' expects a size"
    );
}

/// QEMU realizes the device when it creates the machine, before its monitor takes a command:
/// a real QEMU 7.2 answers `{"return": {"actual": 1073741824}}` before the guest boots, and
/// takes a target then (the driver acts once it probes).
#[test]
fn the_monitor_answers_before_the_guest_boots() {
    let text = "-m 1G -device virtio-balloon -seed 1\n\
        {\"execute\": \"query-balloon\"}\n\
        info balloon\n\
        balloon 512\n\
        run\n";
    let (s, replies) = Session::from_script(text).unwrap();
    let lines: Vec<String> = replies.iter().map(Reply::to_line).collect();
    assert_eq!(lines[0], r#"{"return": {"actual": 1073741824}}"#);
    assert_eq!(lines[1], "balloon: actual=1024");
    assert_eq!(lines[2], "");
    assert_eq!(
        s.balloon().actual,
        131_072,
        "the driver acted once it probed"
    );
}
