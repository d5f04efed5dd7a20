use super::*;

fn err(script: &str) -> ScriptError {
    parse_script(script).expect_err("should not parse")
}

#[test]
fn machine_line_like_qemu() {
    let s = parse_script(
        "# title\n-m 4G -device virtio-balloon,deflate-on-oom=on,free-page-reporting=on -profile qemu -host-page-size 4K -seed 7 -backend portable\nrun\n",
    )
    .unwrap();
    let m = &s.machine;
    assert_eq!(m.ram_size, 4 << 30);
    assert!(m.deflate_on_oom && m.free_page_reporting && m.page_poison && !m.free_page_hint);
    assert_eq!(
        (m.host_page_size, m.seed, m.backend),
        (4096, 7, Backend::Portable)
    );
    assert_eq!(
        s.lines,
        vec![ScriptLine {
            line: 3,
            command: Command::Step(StepCommand::UntilQuiet)
        }]
    );
    assert_eq!(MachineConfig::parse(&m.to_line()).unwrap(), *m);
}

#[test]
fn bare_ram_number_is_mib_and_defaults_apply() {
    assert_eq!(parse_script("-m 512").unwrap().machine.ram_size, 512 << 20);
    assert_eq!(
        parse_script("run").unwrap().machine,
        MachineConfig::default()
    );
}

#[test]
fn machine_errors_point_at_the_value() {
    let e = err("-m 4G -device virtio-balloon,deflate-on-oom=maybe");
    assert_eq!((e.line, e.column), (1, 30));
    assert!(e.expected.contains("deflate-on-oom=on"), "{e}");
    let e = err("-m 16M");
    assert_eq!(e.column, 4);
    let e = err("-m 1025K");
    assert!(e.expected.contains("multiple of 2M"), "{e}");
    let e = err("-m 4X");
    assert_eq!(e.column, 4);
    let e = err("-m 4G -seed");
    assert!(e.message.contains("no value"), "{e}");
    let e = err("-m 4G -backend kvm");
    assert!(e.expected.contains("rust-vmm"));
}

#[test]
fn qmp_lines() {
    let s = parse_script(
        r#"{"execute":"balloon","arguments":{"value":536870912}}
{"execute": "query-balloon", "id": 3}   # a comment
{"execute":"qom-set","arguments":{"path":"/machine/peripheral-anon/device[0]","property":"guest-stats-polling-interval","value":2}}"#,
    )
    .unwrap();
    let Command::Qmp(q) = &s.lines[0].command else {
        panic!()
    };
    assert_eq!(q.execute, "balloon");
    assert_eq!(q.arguments["value"], 536870912);
    let Command::Qmp(q) = &s.lines[1].command else {
        panic!()
    };
    assert_eq!(q.id, Some(serde_json::json!(3)));
    assert_eq!(q.to_line(), r#"{"execute": "query-balloon", "id": 3}"#);
    let Command::Qmp(q) = &s.lines[2].command else {
        panic!()
    };
    assert_eq!(q.arguments["path"], "/machine/peripheral-anon/device[0]");
}

#[test]
fn qmp_errors_name_the_column() {
    let e = err("run\n{\"execute\": \"balloon\", \"arguments\": {\"value\": }}");
    assert_eq!(e.line, 2);
    assert!(e.column > 30, "{e}");
    let e = err(r#"{"exec": "balloon"}"#);
    assert!(
        e.message.contains("unexpected member") || e.message.contains("no \"execute\""),
        "{e}"
    );
    let e = err(r#"{"execute": 5}"#);
    assert_eq!(e.column, 2);
    let e = err(r#"{"execute": "x", "arguments": [1]}"#);
    assert!(e.message.contains("not an object"));
    let hash_in_string = parse_line(r##"{"execute": "x#y"} # c"##).unwrap().unwrap();
    assert!(matches!(hash_in_string, Command::Qmp(q) if q.execute == "x#y"));
}

#[test]
fn json_depth_and_line_length_are_bounded() {
    let deep = format!(
        "{{\"execute\":\"x\",\"arguments\":{{\"a\":{}1{}}}}}",
        "[".repeat(40),
        "]".repeat(40)
    );
    let e = err(&deep);
    assert!(e.message.contains("too deeply"), "{e}");
    let ok = format!(
        "{{\"execute\":\"x\",\"arguments\":{{\"a\":{}1{}}}}}",
        "[".repeat(30),
        "]".repeat(30)
    );
    parse_script(&ok).unwrap();
    let long = format!("run\nrun\n{}", "x".repeat(MAX_LINE_LEN + 1));
    let e = err(&long);
    assert_eq!(e.line, 3);
    assert!(e.message.contains("64 KiB"));
}

#[test]
fn hmp_guest_fault_host_and_steps() {
    let s = parse_script(
        "balloon 512\ninfo balloon\nguest alloc 600M\nguest free 100M\nguest cache 200M\nguest touch 4K\n\
         fault ivq device-writable\nfault ivq desc-loop\nhost hint start\nrun\nrun 5s\nstep\nstep 10\nstep message\nstep message 3\n",
    )
    .unwrap();
    let cmds: Vec<_> = s.lines.into_iter().map(|l| l.command).collect();
    assert_eq!(
        cmds,
        vec![
            Command::HmpBalloon("512".into()),
            Command::HmpInfoBalloon,
            Command::Guest(GuestOp::Alloc(600 << 20)),
            Command::Guest(GuestOp::Free(100 << 20)),
            Command::Guest(GuestOp::Cache(200 << 20)),
            Command::Guest(GuestOp::Touch(4096)),
            Command::Fault(Fault {
                queue: QueueName::Ivq,
                kind: FaultKind::DeviceWritable
            }),
            Command::Fault(Fault {
                queue: QueueName::Ivq,
                kind: FaultKind::DescLoop
            }),
            Command::Host(HostOp::HintStart),
            Command::Step(StepCommand::UntilQuiet),
            Command::Step(StepCommand::For(5_000_000_000)),
            Command::Step(StepCommand::Ops(1)),
            Command::Step(StepCommand::Ops(10)),
            Command::Step(StepCommand::Messages(1)),
            Command::Step(StepCommand::Messages(3)),
        ]
    );
}

#[test]
fn hmp_balloon_keeps_its_raw_argument_for_qemu_style_errors() {
    assert_eq!(
        parse_line("balloon abc").unwrap(),
        Some(Command::HmpBalloon("abc".into()))
    );
}

#[test]
fn errors_name_line_column_and_form() {
    let e = err("-m 1G\nballoon 512\nballon 512\n");
    assert_eq!((e.line, e.column), (3, 1));
    assert!(
        e.to_string()
            .starts_with("line 3, column 1: unknown command \"ballon\""),
        "{e}"
    );
    assert!(e.expected.contains("info balloon"));
    let e = err("guest alloc lots");
    assert_eq!(e.column, 13);
    let e = err("fault ivq sideways");
    assert_eq!(e.column, 11);
    assert!(e.expected.contains("device-writable"));
    let e = err("fault nvq desc-loop");
    assert_eq!(e.column, 7);
    let e = err("fault dvq desc-loop");
    assert_eq!(e.column, 7);
    let e = err("run 5 seconds");
    assert_eq!(e.column, 5);
    let e = err("run 2000000s");
    assert_eq!(e.column, 5);
    let e = err("run 0s");
    assert_eq!(e.column, 5);
    let e = err("step 0");
    assert_eq!(e.column, 6);
    let e = err("  info memory");
    assert_eq!(e.column, 8);
    let e = err("guest alloc 1M extra");
    assert_eq!(e.column, 16);
}

#[test]
fn machine_line_must_come_first() {
    let e = err("run\n-m 4G");
    assert_eq!(e.line, 2);
}

#[test]
fn unicode_columns_count_characters() {
    let e = err("é ballon");
    assert_eq!(e.column, 1);
    let e = err("guest alloc ééé");
    assert_eq!(e.column, 13);
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use proptest::prelude::*;

    use super::*;

    use proptest_cases::config;

    proptest! {
        #![proptest_config(config(512))]
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,200}") {
            let _ = parse_script(&s);
            let _ = parse_line(&s);
        }

        #[test]
        fn arbitrary_command_like_text_never_panics(
            head in prop::sample::select(vec!["balloon", "info", "guest", "fault", "host", "run", "step", "{", "-m", "-device"]),
            rest in "[ -~é]{0,80}",
        ) {
            let line = format!("{head} {rest}");
            if let Err(e) = parse_script(&line) {
                prop_assert!(e.column >= 1);
                prop_assert!(e.column as usize <= line.chars().count() + 1);
            }
        }
    }
}

#[test]
fn every_fault_name_parses_on_its_own_queue_only() {
    for &name in FaultKind::NAMES {
        let kind = FaultKind::parse(name).expect(name);
        assert_eq!(kind.name(), name);
        let line = format!("fault {} {name}", kind.queue().as_str());
        assert_eq!(
            parse_line(&line),
            Ok(Some(Command::Fault(Fault {
                queue: kind.queue(),
                kind
            })))
        );
        let other = if kind.queue() == QueueName::Ivq {
            "dvq"
        } else {
            "ivq"
        };
        let e = err(&format!("fault {other} {name}"));
        assert_eq!(e.column, 7, "{e}");
        assert!(e.message.contains(kind.queue().as_str()), "{e}");
    }
    assert!(err("fault svq chain").message.contains("fault on ivq"));
    assert!(err("fault ivq nope").message.contains("unknown fault"));
}

#[test]
fn input_over_the_script_limit_is_refused_before_parsing() {
    let e = err(&"x\n".repeat(MAX_SCRIPT_LEN / 2 + 1));
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("longer than 1 MiB"));
    // Lines that would each fail are never looked at.
    assert!(parse_script(&"\n".repeat(MAX_SCRIPT_LEN)).is_ok());
}

#[test]
fn a_machine_line_is_the_first_command_line_starting_with_a_dash() {
    use super::{is_machine_line, machine_line};
    assert!(is_machine_line("  -m 1G -device virtio-balloon"));
    assert!(!is_machine_line("balloon 512"));
    assert_eq!(
        machine_line("\n# a comment\n  -m 2G\nballoon 512\n"),
        Some("-m 2G")
    );
    // A machine line after a command is not the script's machine line.
    assert_eq!(machine_line("balloon 512\n-m 2G\n"), None);
    assert_eq!(machine_line("\n\n"), None);
}

#[test]
fn the_fault_line_form_names_every_fault_under_its_queue() {
    let e = err("fault ivq nope");
    for kind in FaultKind::ALL {
        let under = e
            .expected
            .split(" | ")
            .find(|f| f.starts_with(&format!("fault {} ", kind.queue().as_str())))
            .unwrap_or_else(|| panic!("no form for {}: {}", kind.name(), e.expected));
        assert!(under.contains(kind.name()), "{under}");
    }
}

#[test]
fn a_bare_guest_size_is_mib_as_for_m_and_balloon() {
    assert_eq!(
        parse_line("guest alloc 600"),
        Ok(Some(Command::Guest(GuestOp::Alloc(600 << 20))))
    );
    assert_eq!(
        parse_line("guest touch 4096B"),
        Ok(Some(Command::Guest(GuestOp::Touch(4096))))
    );
}
