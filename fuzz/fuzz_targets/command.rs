//! The command-language parser on arbitrary text: whole scripts and console input.
//!
//! The first byte picks the operation, the rest is the text (so the seeds are the presets as
//! they are, behind one byte). Properties: no panic; what parses prints back (machine line,
//! QMP lines) to text that parses to the same thing; console input that does not parse is
//! refused by `Session::apply_line` without changing the session.
#![no_main]

use balloon_sim::Session;
use balloon_sim::command::{Command, MachineConfig, parse_line, parse_script};
use libfuzzer_sys::fuzz_target;

/// What the fuzzer does with the text.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `parse_script`: the CLI, presets and share links.
    Script,
    /// `Session::apply_line`: the UI console (several lines allowed, no machine line).
    Console,
}

fuzz_target!(|data: &[u8]| {
    let Some((&op, rest)) = data.split_first() else {
        return;
    };
    let op = if op & 1 == 0 { Op::Script } else { Op::Console };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match op {
        Op::Script => {
            if let Ok(script) = parse_script(text) {
                let line = script.machine.to_line();
                let again = MachineConfig::parse(&line)
                    .unwrap_or_else(|e| panic!("printed machine line {line:?} fails: {e}"));
                assert_eq!(again, script.machine, "{line}");
                for l in &script.lines {
                    if let Command::Qmp(q) = &l.command {
                        let printed = q.to_line();
                        let back = parse_line(&printed)
                            .unwrap_or_else(|e| panic!("printed QMP {printed:?} fails: {e}"));
                        assert_eq!(back.as_ref(), Some(&l.command), "{printed}");
                    }
                }
            }
        }
        Op::Console => {
            let parses = text
                .split('\n')
                .all(|l| !l.trim_start().starts_with('-') && parse_line(l).is_ok());
            // Running commands is the world's business (its own targets and tests); here only
            // refused input is applied, which must change nothing.
            if !parses {
                let (mut s, _) = Session::from_script("-m 64M -device virtio-balloon\nrun\n")
                    .expect("a small machine boots");
                let (events, script) = (s.event_count(), s.script_text());
                assert!(s.apply_line(text).is_err());
                assert_eq!(s.event_count(), events);
                assert_eq!(s.script_text(), script);
            }
        }
    }
});
