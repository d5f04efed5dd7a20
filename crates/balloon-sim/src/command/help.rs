//! HMP `help [COMMAND]`, worded as QEMU's monitor words it, and which commands only read.

use super::Command;

/// QEMU's one-line HMP help for the commands the playground's monitor knows, then the
/// playground's own lines (not QEMU's, marked so), as (command, arguments, what it does).
const ENTRIES: [(&str, &str, &str); 9] = [
    (
        "balloon",
        "target",
        "request VM to change its memory allocation (in MB)",
    ),
    ("help|?", "[cmd]", "show the help"),
    ("info balloon", "", "show balloon information"),
    (
        "guest",
        "alloc|free|cache|touch SIZE",
        "(playground) a guest process allocates, frees, reads files or touches memory",
    ),
    (
        "fault",
        "QUEUE FAULT",
        "(playground) the guest's next buffer on QUEUE is malformed this way",
    ),
    (
        "host",
        "hint start|stop|done",
        "(playground) QEMU's migration code drives a free page hinting round",
    ),
    (
        "run",
        "[DURATION]",
        "(playground) run until quiet, or let virtual time pass",
    ),
    (
        "step",
        "[N|message [N]]",
        "(playground) N ring operations or N message round trips",
    ),
    (
        "{\"execute\": ...}",
        "",
        "(playground) a QMP request: balloon, query-balloon, qom-get, qom-set",
    ),
];

fn entry_line((name, args, what): &(&str, &str, &str)) -> String {
    if args.is_empty() {
        format!("{name}  -- {what}")
    } else {
        format!("{name} {args} -- {what}")
    }
}

/// The text HMP `help` prints: every command with no topic, one command's line for a topic
/// (`help balloon`), QEMU's "unknown command" line otherwise.
pub fn hmp_help(topic: Option<&str>) -> String {
    match topic {
        None => ENTRIES
            .iter()
            .map(entry_line)
            .collect::<Vec<_>>()
            .join("\n"),
        Some(topic) => {
            let matching: Vec<String> = ENTRIES
                .iter()
                .filter(|(name, _, _)| {
                    name.split('|').any(|n| n == topic)
                        || name.split_whitespace().next() == Some(topic)
                })
                .map(entry_line)
                .collect();
            if matching.is_empty() {
                format!("unknown command: '{topic}'")
            } else {
                matching.join("\n")
            }
        }
    }
}

/// QMP commands that only report state (what QEMU's monitor answers without changing the VM).
const READ_ONLY_QMP: [&str; 4] = ["query-balloon", "qom-get", "query-commands", "qom-list"];

/// Whether a command only reads the world: `info balloon`, `help`, QMP `query-balloon` and
/// `qom-get`. The UI answers these in the past without forking the timeline.
pub fn is_read_only(command: &Command) -> bool {
    match command {
        Command::HmpInfoBalloon | Command::HmpHelp(_) => true,
        Command::Qmp(q) => READ_ONLY_QMP.contains(&q.execute.as_str()),
        Command::Vmm(r) => r.is_read_only(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse_line;

    fn parsed(line: &str) -> Command {
        parse_line(line)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .unwrap_or_else(|| panic!("{line}: blank"))
    }

    #[test]
    fn help_balloon_answers_as_qemu_does() {
        assert_eq!(
            hmp_help(Some("balloon")),
            "balloon target -- request VM to change its memory allocation (in MB)"
        );
        assert_eq!(
            hmp_help(Some("info")),
            "info balloon  -- show balloon information"
        );
        assert_eq!(hmp_help(Some("nope")), "unknown command: 'nope'");
        let all = hmp_help(None);
        assert!(all.lines().count() == ENTRIES.len(), "{all}");
        assert!(all.contains("step [N|message [N]]"));
    }

    #[test]
    fn help_lines_parse() {
        assert_eq!(parsed("help"), Command::HmpHelp(None));
        assert_eq!(
            parsed("help balloon"),
            Command::HmpHelp(Some("balloon".into()))
        );
        assert_eq!(parsed("? info"), Command::HmpHelp(Some("info".into())));
        assert!(parse_line("help balloon extra").is_err());
    }

    #[test]
    fn only_queries_are_read_only() {
        for line in [
            "info balloon",
            "help",
            "help balloon",
            r#"{"execute": "query-balloon"}"#,
            r#"{"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}"#,
        ] {
            assert!(is_read_only(&parsed(line)), "{line}");
        }
        for line in [
            "balloon 512",
            r#"{"execute": "balloon", "arguments": {"value": 1}}"#,
            r#"{"execute": "qom-set", "arguments": {"path": "balloon0", "property": "guest-stats-polling-interval", "value": 2}}"#,
            "guest alloc 1M",
            "run",
            "step",
            "host hint start",
        ] {
            assert!(!is_read_only(&parsed(line)), "{line}");
        }
    }
}
