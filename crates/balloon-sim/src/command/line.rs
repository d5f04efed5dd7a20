//! One command line: QMP JSON, HMP, guest, fault, host and stepping lines.

use super::qmp::parse_qmp;
use super::units::{parse_duration_ns, parse_size};
use super::{
    Command, Fault, FaultKind, GuestOp, HostOp, MAX_LINE_LEN, QueueName, ScriptError, StepCommand,
};

const FORMS: &str = "{QMP JSON}, balloon <MiB>, info balloon, help [COMMAND], guest alloc|free|cache|touch <SIZE>, \
fault <queue> <fault>, host hint start|stop|done, run [DURATION] or step [N|message [N]]";

/// Longest `run DURATION` (a million seconds): keeps virtual-time arithmetic far from overflow.
pub const MAX_RUN_NS: u64 = 1_000_000 * 1_000_000_000;

/// The words of a line with their byte offsets.
pub(crate) fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// Parses one line (a `#` comment is allowed). `Ok(None)` for blank and comment lines. The
/// error's line is 0; [`super::parse_script`] fills it in.
pub fn parse_line(text: &str) -> Result<Option<Command>, ScriptError> {
    if text.len() > MAX_LINE_LEN {
        return Err(ScriptError::new(
            0,
            1,
            "a line of at most 64 KiB",
            "the line is longer than 64 KiB",
        ));
    }
    let text = super::strip_comment(text);
    let w = words(text);
    let Some(&(at, head)) = w.first() else {
        return Ok(None);
    };
    if head.starts_with('{') {
        return parse_qmp(text).map(|q| Some(Command::Qmp(q)));
    }
    if super::vmm_api::is_vmm_request(head) {
        return super::vmm_api::parse(text, &w).map(|r| Some(Command::Vmm(r)));
    }
    let arg = |n: usize| w.get(n).copied();
    let end = text.trim_end().len();
    let too_many = |n: usize, form: &str| match w.get(n) {
        Some(&(p, extra)) => Err(ScriptError::in_line(
            text,
            p,
            form.to_owned(),
            format!("unexpected \"{extra}\""),
        )),
        None => Ok(()),
    };
    let command = match head {
        "balloon" => {
            // HMP evaluates the rest of the line as one expression (`balloon 256 + 256`); what
            // it makes of it, errors included, is the monitor's reply, not a script error.
            let form = "balloon <target guest size in MiB>";
            arg(1).ok_or_else(|| ScriptError::in_line(text, end, form, "balloon needs a value"))?;
            let rest = text[at + head.len()..].trim();
            Command::HmpBalloon(rest.to_owned())
        }
        "info" => {
            let form = "info balloon";
            match arg(1) {
                Some((_, "balloon")) => {}
                Some((p, other)) => {
                    return Err(ScriptError::in_line(
                        text,
                        p,
                        form,
                        format!("unknown info \"{other}\""),
                    ));
                }
                None => {
                    return Err(ScriptError::in_line(
                        text,
                        end,
                        form,
                        "info needs a subject",
                    ));
                }
            }
            too_many(2, form)?;
            Command::HmpInfoBalloon
        }
        "help" | "?" => {
            too_many(2, "help [COMMAND]")?;
            Command::HmpHelp(arg(1).map(|(_, topic)| topic.to_owned()))
        }
        "guest" => parse_guest(text, &w, end)?,
        "fault" => parse_fault(text, &w, end)?,
        "host" => {
            let form = "host hint start|stop|done";
            let op = match (arg(1), arg(2)) {
                (Some((_, "hint")), Some((_, "start"))) => HostOp::HintStart,
                (Some((_, "hint")), Some((_, "stop"))) => HostOp::HintStop,
                (Some((_, "hint")), Some((_, "done"))) => HostOp::HintDone,
                (Some((_, "hint")), Some((p, x))) => {
                    return Err(ScriptError::in_line(
                        text,
                        p,
                        form,
                        format!("unknown hint action \"{x}\""),
                    ));
                }
                (Some((p, x @ ("ram" | "swap" | "own" | "policy"))), _) => {
                    return Err(ScriptError::in_line(
                        text,
                        p,
                        form,
                        format!(
                            "\"host {x}\" belongs to a script of several VMs (balloon_sim::host), \
                             which runs as a whole script, not as a line of one VM"
                        ),
                    ));
                }
                (Some((p, x)), _) if x != "hint" => {
                    return Err(ScriptError::in_line(
                        text,
                        p,
                        form,
                        format!("unknown host action \"{x}\""),
                    ));
                }
                _ => {
                    return Err(ScriptError::in_line(
                        text,
                        end,
                        form,
                        "the host action is incomplete",
                    ));
                }
            };
            too_many(3, form)?;
            Command::Host(op)
        }
        "run" => {
            let form = "run or run DURATION (5s, 200ms, 1500us, 2min; at most 1000000s)";
            let step = match arg(1) {
                None => StepCommand::UntilQuiet,
                Some((p, d)) => StepCommand::For(
                    parse_duration_ns(d)
                        .filter(|ns| *ns > 0 && *ns <= MAX_RUN_NS)
                        .ok_or_else(|| {
                            ScriptError::in_line(text, p, form, format!("invalid duration \"{d}\""))
                        })?,
                ),
            };
            too_many(2, form)?;
            Command::Step(step)
        }
        "step" => {
            let form = "step, step N, step message or step message N (N from 1 to 1000000)";
            let count = |n: usize| match arg(n) {
                None => Ok(1),
                Some((p, c)) => c
                    .parse::<u32>()
                    .ok()
                    .filter(|c| (1..=1_000_000).contains(c))
                    .ok_or_else(|| {
                        ScriptError::in_line(text, p, form, format!("invalid count \"{c}\""))
                    }),
            };
            let step = match arg(1) {
                Some((_, "message")) => {
                    let n = count(2)?;
                    too_many(3, form)?;
                    StepCommand::Messages(n)
                }
                _ => {
                    let n = count(1)?;
                    too_many(2, form)?;
                    StepCommand::Ops(n)
                }
            };
            Command::Step(step)
        }
        _ if head.starts_with('@') => {
            return Err(ScriptError::in_line(
                text,
                at,
                FORMS,
                format!(
                    "\"{head}\" addresses a VM of a host script (balloon_sim::host), which \
                     runs as a whole script, not as a line of one VM"
                ),
            ));
        }
        _ => {
            return Err(ScriptError::in_line(
                text,
                at,
                FORMS,
                format!("unknown command \"{head}\""),
            ));
        }
    };
    Ok(Some(command))
}

fn parse_guest(text: &str, w: &[(usize, &str)], end: usize) -> Result<Command, ScriptError> {
    let form = "guest alloc|free|cache|touch SIZE (MiB, or with a unit: 600M, 1G, 64K)";
    let Some(&(p, action)) = w.get(1) else {
        return Err(ScriptError::in_line(
            text,
            end,
            form,
            "guest needs an action",
        ));
    };
    let make: fn(u64) -> GuestOp = match action {
        "alloc" => GuestOp::Alloc,
        "free" => GuestOp::Free,
        "cache" => GuestOp::Cache,
        "touch" => GuestOp::Touch,
        _ => {
            return Err(ScriptError::in_line(
                text,
                p,
                form,
                format!("unknown guest action \"{action}\""),
            ));
        }
    };
    let Some(&(sp, size)) = w.get(2) else {
        return Err(ScriptError::in_line(text, end, form, "the size is missing"));
    };
    // A bare number is MiB here as in `-m 600` and HMP `balloon 600`: one rule for every size
    // the language takes from a person.
    let bytes = parse_size(size, 20)
        .filter(|b| *b > 0)
        .ok_or_else(|| ScriptError::in_line(text, sp, form, format!("invalid size \"{size}\"")))?;
    if let Some(&(xp, extra)) = w.get(3) {
        return Err(ScriptError::in_line(
            text,
            xp,
            form,
            format!("unexpected \"{extra}\""),
        ));
    }
    Ok(Command::Guest(make(bytes)))
}

fn parse_fault(text: &str, w: &[(usize, &str)], end: usize) -> Result<Command, ScriptError> {
    let form = super::fault::forms();
    let Some(&(qp, q)) = w.get(1) else {
        return Err(ScriptError::in_line(text, end, form, "fault needs a queue"));
    };
    let Some(queue) = QueueName::parse(q) else {
        return Err(ScriptError::in_line(
            text,
            qp,
            form,
            format!("unknown queue \"{q}\""),
        ));
    };
    let Some(&(kp, k)) = w.get(2) else {
        return Err(ScriptError::in_line(
            text,
            end,
            form,
            "the fault name is missing",
        ));
    };
    let Some(kind) = FaultKind::parse(k) else {
        return Err(ScriptError::in_line(
            text,
            kp,
            form,
            format!("unknown fault \"{k}\""),
        ));
    };
    if kind.queue() != queue {
        let msg = format!(
            "{k} is a fault on {} (the guest misbehaves on the queue the fault is about)",
            kind.queue().as_str()
        );
        return Err(ScriptError::in_line(text, qp, form, msg));
    }
    if let Some(&(xp, extra)) = w.get(3) {
        return Err(ScriptError::in_line(
            text,
            xp,
            form,
            format!("unexpected \"{extra}\""),
        ));
    }
    Ok(Command::Fault(Fault { queue, kind }))
}
