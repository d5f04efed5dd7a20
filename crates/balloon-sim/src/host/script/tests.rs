use super::*;
use crate::command::GuestOp;

const TWO: &str = "host ram 16G\nhost swap 2G\nhost own 512M\nhost policy mom 20s\n\
-name db -m 8G -device virtio-balloon,deflate-on-oom=on\n-name web -m 4G\n";

fn err(text: &str) -> ScriptError {
    parse_host_script(text).expect_err(text)
}

#[test]
fn host_lines_vm_lines_and_addressed_lines_parse() {
    let s = parse_host_script(&format!(
        "{TWO}@db guest alloc 2G\n@web balloon 512\nrun 5s\nhost policy off\n\
         @web {{\"execute\": \"query-balloon\"}} # a comment\n"
    ))
    .unwrap();
    assert_eq!(
        (s.host.ram, s.host.swap, s.host.own),
        (16 << 30, 2 << 30, 512 << 20)
    );
    assert_eq!(
        s.host.policy,
        PolicyConfig::Mom {
            interval_ns: 20_000_000_000
        }
    );
    assert_eq!(s.vms.len(), 2);
    assert_eq!(
        (s.vms[0].name.as_str(), s.vms[0].machine.ram_size),
        ("db", 8 << 30)
    );
    assert!(s.vms[0].machine.deflate_on_oom && !s.vms[1].machine.deflate_on_oom);
    let actions: Vec<&HostAction> = s.lines.iter().map(|l| &l.action).collect();
    assert_eq!(
        actions[0],
        &HostAction::Vm {
            vm: 0,
            command: Command::Guest(GuestOp::Alloc(2 << 30))
        }
    );
    assert_eq!(
        actions[1],
        &HostAction::Vm {
            vm: 1,
            command: Command::HmpBalloon("512".to_owned())
        }
    );
    assert_eq!(
        actions[2],
        &HostAction::Step(StepCommand::For(5_000_000_000))
    );
    assert_eq!(actions[3], &HostAction::Policy(PolicyConfig::Off));
    assert!(
        matches!(actions[4], HostAction::Vm { vm: 1, command: Command::Qmp(q) } if q.execute == "query-balloon")
    );
    assert_eq!(s.lines[4].line, 11);
}

#[test]
fn single_vm_scripts_are_not_host_scripts() {
    for p in crate::presets::PRESETS {
        assert!(!is_host_script(p.text), "{} must stay a single VM", p.name);
    }
    // `host hint` is the single VM's migration line, not a host setting.
    assert!(!is_host_script(
        "-m 1G -device virtio-balloon,free-page-hint=on\nhost hint start\n"
    ));
    assert!(is_host_script("host ram 8G\n"));
    assert!(is_host_script("-name a -m 1G\n"));
    assert!(is_host_script("  @a guest alloc 1G\n"));
    assert!(!is_host_script("# @a guest alloc 1G\n"));
}

#[test]
fn one_vm_without_a_name_is_addressed_implicitly() {
    let s = parse_host_script("host ram 4G\nguest alloc 1G\nrun\n").unwrap();
    assert_eq!(s.vms.len(), 1);
    assert_eq!(s.vms[0].name, "vm0");
    assert!(matches!(s.lines[0].action, HostAction::Vm { vm: 0, .. }));
}

#[test]
fn mistakes_name_their_line_and_column() {
    let e = err(&format!("{TWO}@dbx guest alloc 1G\n"));
    assert_eq!((e.line, e.column), (7, 2));
    assert!(
        e.message.contains("no VM named \"dbx\"") && e.expected.contains("db, web"),
        "{e}"
    );

    let e = err(&format!("{TWO}@db run 5s\n"));
    assert!(e.message.contains("one clock"), "{e}");

    let e = err(&format!("{TWO}guest alloc 1G\n"));
    assert!(e.message.contains("say which one"), "{e}");

    let e = err(&format!("{TWO}@db guest alloc lots\n"));
    assert_eq!((e.line, e.column), (7, 17));
    assert!(e.message.contains("invalid size \"lots\""), "{e}");

    let e = err(&format!("{TWO}run\n-name late -m 1G\n"));
    assert_eq!(e.line, 8);
    assert!(e.message.contains("after commands"), "{e}");

    let e = err(&format!("{TWO}run\nhost ram 32G\n"));
    assert!(e.message.contains("cannot change while it runs"), "{e}");

    let e = err("-name db -m 1G\n-name db -m 1G\n");
    assert!(e.message.contains("exists already"), "{e}");
    let e = err("-name d/b -m 1G\n");
    assert!(e.message.contains("invalid VM name"), "{e}");
    let e = err("-name db -m 1G -dvice x\n");
    assert!(e.message.contains("unknown option \"-dvice\""), "{e}");
    assert_eq!(e.column, 16);
    let e = err("host ram 100M\n");
    assert!(e.expected.contains("from 128M"), "{e}");
    let e = err("host policy maybe\n");
    assert!(e.message.contains("unknown policy"), "{e}");
    let e = err("host policy mom 0s\n");
    assert!(e.message.contains("invalid interval"), "{e}");
    let e = err("host colour blue\n");
    assert!(e.message.contains("unknown host setting"), "{e}");
    let e = err("@a\n-name a -m 1G\n");
    assert!(e.message.contains("no VM named"), "{e}");
    let nine: String = (0..9).map(|i| format!("-name v{i} -m 64M\n")).collect();
    assert!(err(&nine).message.contains("ninth"));
    let e = err("-name a -m 1G -backend portable\n-name b -m 1G -backend rust-vmm\n");
    assert!(e.message.contains("one backend"), "{e}");
}

#[test]
fn host_lines_given_to_one_vm_say_where_they_belong() {
    let e = crate::command::parse_line("host ram 8G").unwrap_err();
    assert!(
        e.message.contains("belongs to a script of several VMs"),
        "{e}"
    );
    let e = crate::command::parse_line("@db guest alloc 1G").unwrap_err();
    assert!(e.message.contains("addresses a VM of a host script"), "{e}");
    assert_eq!(e.column, 1);
}
