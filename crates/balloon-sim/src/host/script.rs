//! The script of a host with several VMs: host lines, one machine line per VM (`-name NAME`),
//! then VM-addressed lines (`@NAME LINE`) and the host-wide stepping lines.
//!
//! ```text
//! host ram 16G                  # the host's physical RAM
//! host swap 2G                  # swap (default none)
//! host own 1G                   # what the host kernel and its other processes use
//! host policy mom               # or `off`; `host policy mom 10s` sets the engine's interval
//! -name db -m 8G -device virtio-balloon,guest-stats-polling-interval=5
//! -name web -m 8G -device virtio-balloon,deflate-on-oom=on
//! @db guest alloc 6G
//! @web {"execute": "balloon", "arguments": {"value": 4294967296}}
//! @web balloon 4096
//! run 30s                       # the host's one clock: every VM and the policy advance
//! host policy off               # the policy may change while the host runs
//! ```
//!
//! A script is a host script when it has a `host ram|swap|own|policy` line, a machine line
//! with `-name`, or an `@NAME` line; any other script is today's single VM, untouched.

use super::config::{HostConfig, PolicyConfig, VmConfig};
use crate::command::line::words;
use crate::command::units::{parse_duration_ns, parse_size};
use crate::command::{
    Command, MachineConfig, ScriptError, StepCommand, is_machine_line, parse_line, strip_comment,
};

/// Most VMs one host runs.
pub const MAX_VMS: usize = 8;

/// What one line of a host script does.
#[derive(Debug, Clone, PartialEq)]
pub enum HostAction {
    /// A monitor, guest, fault or hinting line for one VM (its index in the script's VMs).
    Vm {
        /// The VM's index.
        vm: usize,
        /// The command.
        command: Command,
    },
    /// `host policy ...` while the host runs.
    Policy(PolicyConfig),
    /// `run` / `step`: the host's clock.
    Step(StepCommand),
}

/// One line of a host script.
#[derive(Debug, Clone, PartialEq)]
pub struct HostLine {
    /// 1-based line number.
    pub line: u32,
    /// What it does.
    pub action: HostAction,
}

/// A parsed host script.
#[derive(Debug, Clone, PartialEq)]
pub struct HostScript {
    /// The host.
    pub host: HostConfig,
    /// The VMs, in the order their machine lines came (the scheduler's tie order).
    pub vms: Vec<VmConfig>,
    /// The command lines.
    pub lines: Vec<HostLine>,
}

/// Whether `text` is a host script (see the module docs); cheap, no parsing of commands.
pub fn is_host_script(text: &str) -> bool {
    text.lines()
        .map(|l| strip_comment(l).trim())
        .filter(|l| !l.is_empty())
        .any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            l.starts_with('@')
                || (is_machine_line(l) && w.contains(&"-name"))
                || (w.first() == Some(&"host")
                    && matches!(w.get(1), Some(&("ram" | "swap" | "own" | "policy"))))
        })
}

const HOST_FORMS: &str =
    "host ram SIZE, host swap SIZE, host own SIZE or host policy off|mom [INTERVAL]";

/// Parses a host script; nothing runs until every line parsed.
pub fn parse_host_script(text: &str) -> Result<HostScript, ScriptError> {
    if text.len() > crate::command::MAX_SCRIPT_LEN {
        return Err(crate::command::script_too_long());
    }
    let mut host = HostConfig::default();
    let mut vms: Vec<VmConfig> = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let body = strip_comment(raw);
        if body.trim().is_empty() {
            continue;
        }
        let at = |e: ScriptError| e.at_line(line_no);
        if lines.is_empty() {
            // The header: the host's settings and its VMs, before the first command.
            if is_machine_line(body.trim_start()) {
                vms.push(parse_vm_line(body, &vms).map_err(at)?);
                continue;
            }
            if let Some(w) = host_words(body) {
                parse_host_line(body, &w).map_err(at)?.apply(&mut host);
                continue;
            }
        }
        let names: Vec<&str> = vms.iter().map(|v| v.name.as_str()).collect();
        let Some(action) = running_line(body, &names).map_err(at)? else {
            continue;
        };
        lines.push(HostLine {
            line: line_no,
            action,
        });
    }
    if vms.is_empty() {
        vms.push(VmConfig {
            name: "vm0".to_owned(),
            machine: MachineConfig::default(),
        });
    }
    host.check(&vms)
        .map_err(|m| ScriptError::new(1, 1, "VMs on one backend", m))?;
    Ok(HostScript { host, vms, lines })
}

/// Parses one line of a running host whose VMs are `names`, as a script's line after its
/// header: `@NAME LINE`, `host policy ...`, `run`/`step`, or (with one VM) a bare VM line.
/// The console's lines go through here, so they read exactly as a script's do. `Ok(None)`
/// for a blank or comment line. Errors are on line 1.
pub fn parse_host_command(text: &str, names: &[String]) -> Result<Option<HostAction>, ScriptError> {
    if text.len() > crate::command::MAX_SCRIPT_LEN {
        return Err(crate::command::script_too_long());
    }
    let body = strip_comment(text.strip_suffix('\r').unwrap_or(text));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    running_line(body, &names).map_err(|e| e.at_line(1))
}

/// The words of a `host ram|swap|own|policy` line (not `host hint`, a VM's line).
fn host_words(body: &str) -> Option<Vec<(usize, &str)>> {
    let w = words(body);
    (w.first().map(|w| w.1) == Some("host") && !matches!(w.get(1).map(|w| w.1), Some("hint")))
        .then_some(w)
}

/// A line after the header, of a host whose VMs are `names`.
fn running_line(body: &str, names: &[&str]) -> Result<Option<HostAction>, ScriptError> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    if is_machine_line(body.trim_start()) {
        return Err(ScriptError::in_line(
            body,
            0,
            "VM machine lines before the first command",
            "a VM's machine line after commands (VMs are created when the host starts)",
        ));
    }
    if let Some(w) = host_words(body) {
        return match parse_host_line(body, &w)? {
            HostSetting::Policy(p) => Ok(Some(HostAction::Policy(p))),
            _ => Err(ScriptError::in_line(
                body,
                w[0].0,
                "host ram, swap and own before the first command",
                "the host's size cannot change while it runs",
            )),
        };
    }
    command_line(body, names)
}

/// A command line (not a machine or host line) of a host whose VMs are `names`.
fn command_line(body: &str, names: &[&str]) -> Result<Option<HostAction>, ScriptError> {
    let trimmed = body.trim_start();
    let action = if let Some(rest) = trimmed.strip_prefix('@') {
        let off = body.len() - trimmed.len() + 1;
        let name_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let name = &rest[..name_len];
        let Some(vm) = names.iter().position(|n| *n == name) else {
            return Err(ScriptError::in_line(
                body,
                off,
                format!("@NAME with a VM of this script ({})", names.join(", ")),
                format!("no VM named \"{name}\""),
            ));
        };
        let line = &rest[name_len..];
        let command = parse_line(line)
            .map_err(|e| shift(e, off + name_len))?
            .ok_or_else(|| {
                ScriptError::in_line(
                    body,
                    body.len(),
                    "@NAME followed by a monitor, guest, fault or host hint line",
                    "nothing after the VM's name",
                )
            })?;
        if let Command::Step(_) = command {
            return Err(ScriptError::in_line(
                body,
                off + name_len,
                "run or step without @NAME",
                "the host has one clock: run and step move every VM",
            ));
        }
        HostAction::Vm { vm, command }
    } else {
        match parse_line(body)? {
            Some(Command::Step(s)) => HostAction::Step(s),
            Some(command) if names.len() <= 1 => HostAction::Vm { vm: 0, command },
            Some(_) => {
                return Err(ScriptError::in_line(
                    body,
                    0,
                    "@NAME before a VM's line, e.g. @db guest alloc 1G",
                    "this host runs several VMs: say which one",
                ));
            }
            None => return Ok(None),
        }
    };
    Ok(Some(action))
}

/// Moves an error found in the part of a line after `@NAME` to the whole line's columns.
fn shift(mut e: ScriptError, by: usize) -> ScriptError {
    e.column = e
        .column
        .saturating_add(u32::try_from(by).unwrap_or(u32::MAX));
    e
}

enum HostSetting {
    Ram(u64),
    Swap(u64),
    Own(u64),
    Policy(PolicyConfig),
}

impl HostSetting {
    fn apply(self, host: &mut HostConfig) {
        match self {
            HostSetting::Ram(b) => host.ram = b,
            HostSetting::Swap(b) => host.swap = b,
            HostSetting::Own(b) => host.own = b,
            HostSetting::Policy(p) => host.policy = p,
        }
    }
}

fn parse_host_line(text: &str, w: &[(usize, &str)]) -> Result<HostSetting, ScriptError> {
    if let Some(policy) = parse_policy_interval(text, w) {
        return policy.map(HostSetting::Policy);
    }
    let end = text.trim_end().len();
    let Some(&(kp, key)) = w.get(1) else {
        return Err(ScriptError::in_line(
            text,
            end,
            HOST_FORMS,
            "host needs a setting",
        ));
    };
    let value = w.get(2).copied();
    if let Some(&(xp, extra)) = w.get(3) {
        return Err(ScriptError::in_line(
            text,
            xp,
            HOST_FORMS,
            format!("unexpected \"{extra}\""),
        ));
    }
    let size = |min: u64, what: &str| {
        let (vp, v) = value.ok_or_else(|| {
            ScriptError::in_line(
                text,
                end,
                what.to_owned(),
                format!("host {key} needs a size"),
            )
        })?;
        parse_size(v, 20)
            .filter(|b| *b >= min && *b <= 64 << 40 && b.is_multiple_of(4096))
            .ok_or_else(|| {
                ScriptError::in_line(text, vp, what.to_owned(), format!("invalid size \"{v}\""))
            })
    };
    Ok(match key {
        "ram" => HostSetting::Ram(size(128 << 20, "host ram SIZE, from 128M to 64T (16G)")?),
        "swap" => HostSetting::Swap(size(0, "host swap SIZE, 0 to 64T, whole 4K pages")?),
        "own" => HostSetting::Own(size(0, "host own SIZE, 0 to 64T, whole 4K pages")?),
        "policy" => {
            let form = "host policy off, host policy mom or host policy mom INTERVAL (1s to 1h)";
            match value {
                Some((_, "off")) => HostSetting::Policy(PolicyConfig::Off),
                Some((_, "mom")) => HostSetting::Policy(PolicyConfig::mom_default()),
                Some((vp, v)) => {
                    return Err(ScriptError::in_line(
                        text,
                        vp,
                        form,
                        format!("unknown policy \"{v}\""),
                    ));
                }
                None => {
                    return Err(ScriptError::in_line(
                        text,
                        end,
                        form,
                        "the policy is missing",
                    ));
                }
            }
        }
        other => {
            return Err(ScriptError::in_line(
                text,
                kp,
                HOST_FORMS,
                format!("unknown host setting \"{other}\""),
            ));
        }
    })
}

/// `host policy mom INTERVAL`: the one host line with four words.
fn parse_policy_interval(
    text: &str,
    w: &[(usize, &str)],
) -> Option<Result<PolicyConfig, ScriptError>> {
    match w {
        [(_, "host"), (_, "policy"), (_, "mom"), (ip, interval)] => Some(
            parse_duration_ns(interval)
                .filter(|ns| (1_000_000_000..=3_600_000_000_000).contains(ns))
                .map(|interval_ns| PolicyConfig::Mom { interval_ns })
                .ok_or_else(|| {
                    ScriptError::in_line(
                        text,
                        *ip,
                        "host policy mom INTERVAL, from 1s to 1h (10s)",
                        format!("invalid interval \"{interval}\""),
                    )
                }),
        ),
        _ => None,
    }
}

/// A VM's machine line: `-name NAME` and today's machine options.
fn parse_vm_line(text: &str, vms: &[VmConfig]) -> Result<VmConfig, ScriptError> {
    let w = words(text);
    let Some(i) = w.iter().position(|(_, t)| *t == "-name") else {
        return Err(ScriptError::in_line(
            text,
            0,
            "-name NAME -m SIZE -device virtio-balloon,...",
            "a VM's machine line on a host needs -name NAME",
        ));
    };
    let Some(&(np, name)) = w.get(i + 1) else {
        return Err(ScriptError::in_line(
            text,
            text.trim_end().len(),
            "-name NAME",
            "-name has no value",
        ));
    };
    let valid = !name.is_empty()
        && name.len() <= 16
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ScriptError::in_line(
            text,
            np,
            "a name of 1 to 16 letters, digits, - or _",
            format!("invalid VM name \"{name}\""),
        ));
    }
    if vms.iter().any(|v| v.name == name) {
        return Err(ScriptError::in_line(
            text,
            np,
            "a name not used by another VM",
            format!("a VM named \"{name}\" exists already"),
        ));
    }
    if vms.len() >= MAX_VMS {
        return Err(ScriptError::in_line(
            text,
            0,
            "at most 8 VMs on a host",
            "a ninth VM",
        ));
    }
    // The rest of the line is today's machine line, with the same columns.
    let (start, end) = (w[i].0, np + name.len());
    let rest = format!(
        "{}{}{}",
        &text[..start],
        " ".repeat(end - start),
        &text[end..]
    );
    let machine = MachineConfig::parse(&rest)?;
    Ok(VmConfig {
        name: name.to_owned(),
        machine,
    })
}

#[cfg(test)]
mod tests;
