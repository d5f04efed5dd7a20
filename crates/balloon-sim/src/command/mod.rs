//! The command language: one parser for the CLI, the UI console, presets, share URLs and tests.
//!
//! A script is a list of lines. `#` starts a comment (whole line or after a command); blank
//! lines are ignored. The whole script is parsed before anything runs, so a bad line never
//! changes the world: [`parse_script`] either returns every command or the first
//! [`ScriptError`], which names the line, the column and the expected form.
//!
//! # The machine line
//!
//! The first command line may configure the machine, in the shape of QEMU's command line. Every
//! option is optional; absent options take the defaults shown.
//!
//! ```text
//! -m 4G -device virtio-balloon,deflate-on-oom=on,free-page-reporting=on -seed 7
//! -m 1G -device virtio-balloon,id=balloon0,guest-stats-polling-interval=2
//! -m 64G -host-page-size 4K -profile qemu -backend portable
//! ```
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `-m SIZE` | guest RAM, 64M to 16T in whole 2M; a bare number is MiB as in QEMU (`-m 512`) | `1G` |
//! | `-device virtio-balloon[,prop=val]...` | the balloon (`virtio-balloon-pci` accepted) and its QEMU properties: `deflate-on-oom`, `free-page-hint`, `page-poison`, `free-page-reporting`, `qemu-4-0-config-size` (`on`/`off`), `iothread=ID`, `guest-stats-polling-interval=SECONDS`, `id=NAME` | QEMU defaults |
//! | `-object iothread,id=ID` | accepted for QEMU compatibility (free-page-hint needs an iothread) | — |
//! | `-profile NAME` | the device profile: `qemu`, `cloud-hypervisor`, `firecracker` or `crosvm`; the QEMU properties map onto what each VMM offers (`deflate-on-oom`, `free-page-reporting`, `free-page-hint` on Firecracker; `guest-stats-polling-interval` is Firecracker's `stats_polling_interval_s`) | `qemu` |
//! | `-host-page-size SIZE` | host page size: `4K`, `64K` or `2M` | `4K` |
//! | `-seed N` | the world's RNG seed | `0` |
//! | `-backend portable\|rust-vmm` | the device-side queue backend (rust-vmm: native only) | `portable` |
//!
//! # Monitor lines
//!
//! QMP, one JSON object per line, answered as QEMU answers:
//!
//! ```text
//! {"execute": "balloon", "arguments": {"value": 536870912}}
//! {"execute": "query-balloon"}
//! {"execute": "qom-set", "arguments": {"path": "/machine/peripheral-anon/device[0]", "property": "guest-stats-polling-interval", "value": 2}}
//! {"execute": "qom-get", "arguments": {"path": "balloon0", "property": "guest-stats"}}
//! ```
//!
//! HMP: `balloon 512` (target guest size in MiB), `info balloon` and `help [COMMAND]`.
//!
//! The other VMMs' operator interfaces, on their profiles ([`VmmRequest`]):
//! `PUT /api/v1/vm.resize {"desired_balloon": BYTES}`, `GET /api/v1/vm.info` (Cloud
//! Hypervisor), `PATCH /balloon {"amount_mib": MIB}`, `GET /balloon/statistics` (Firecracker),
//! `crosvm balloon BYTES SOCKET`, `crosvm balloon_stats SOCKET` (crosvm).
//!
//! # Simulation lines
//!
//! ```text
//! guest alloc 600M        # a guest process allocates (may hit OOM -> deflate-on-oom)
//! guest free 100M         # it frees memory
//! guest cache 200M        # file reads grow the page cache (reclaimable)
//! guest touch 64M         # the application touches its memory (swapped pages fault back)
//! fault ivq device-writable    # the guest's next inflate message is malformed this way
//! fault dvq never-inflated     # the next deflate names a PFN never inflated
//! fault svq unknown-tag        # the next stats buffer is malformed this way
//! host hint start         # QEMU's migration precopy starts a free page hinting round
//! run                     # until quiet (no work and no timer within the next 10 s)
//! run 5s                  # virtual time advances by 5 s, firing timers on the way
//! step                    # one ring operation
//! step message            # one message round trip (driver write to its ack)
//! step 10                 # ten ring operations
//! ```
//!
//! A size without a unit is MiB everywhere, as QEMU's `-m 600` and HMP `balloon 600` read it:
//! `guest alloc 600` is 600 MiB; `600M`, `1G`, `64K`, `4096B` say their unit.
//!
//! Fault names: see [`FaultKind`].

mod error;
mod fault;
mod help;
pub mod hmp_expr;
pub(crate) mod line;
mod machine;
mod qmp;
pub mod units;
pub mod vmm_api;

pub use error::ScriptError;
pub use fault::FaultKind;
pub use help::{hmp_help, is_read_only};
pub use line::parse_line;
pub use machine::{Backend, MachineConfig};
pub use qmp::{MAX_JSON_DEPTH, QmpRequest};
pub use vmm_api::VmmRequest;

/// Longest line accepted (64 KiB): longer input is refused before it is parsed.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// Longest script or console input accepted (1 MiB, thousands of times a preset): longer
/// input is refused before anything is parsed, so a pasted or uploaded file cannot make the
/// parser (or the run after it) take unbounded time or memory.
pub const MAX_SCRIPT_LEN: usize = 1024 * 1024;

/// The error for input longer than [`MAX_SCRIPT_LEN`].
pub fn script_too_long() -> ScriptError {
    ScriptError::new(
        1,
        1,
        "a script of at most 1 MiB",
        "the input is longer than 1 MiB",
    )
}

/// A script read from a file or stdin as bytes: refused if longer than [`MAX_SCRIPT_LEN`] or
/// not UTF-8 (the error names the line and column of the first bad byte).
pub fn script_from_bytes(bytes: &[u8]) -> Result<&str, ScriptError> {
    if bytes.len() > MAX_SCRIPT_LEN {
        return Err(script_too_long());
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, as everywhere else; the prefix is valid UTF-8.
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        ScriptError::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
            "UTF-8 text",
            format!("byte {:#04x} is not UTF-8", bytes[e.valid_up_to()]),
        )
    })
}

/// One parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A QMP request.
    Qmp(QmpRequest),
    /// HMP `balloon <MiB>`; the raw argument, interpreted as HMP does when run.
    HmpBalloon(String),
    /// HMP `info balloon`.
    HmpInfoBalloon,
    /// HMP `help [COMMAND]` (or `? [COMMAND]`): the command's one-line help.
    HmpHelp(Option<String>),
    /// A guest workload action.
    Guest(GuestOp),
    /// Arms a malformed-guest behaviour for the next buffer on a queue.
    Fault(Fault),
    /// A host-side action outside the monitor (QEMU's migration code driving hinting).
    Host(HostOp),
    /// Advance the simulation.
    Step(StepCommand),
    /// An operator request in another VMM's own syntax (Cloud Hypervisor, Firecracker,
    /// crosvm).
    Vmm(VmmRequest),
}

impl Command {
    /// Whether the command acts on the world (monitor, guest, fault, host); stepping does not.
    /// Acting while the session is in the past forks the run.
    pub fn acts(&self) -> bool {
        !matches!(self, Command::Step(_))
    }

    /// Whether the command goes to QEMU's monitor (QMP or HMP), which answers only once the
    /// machine exists: QEMU realizes its devices before the monitor accepts a command.
    pub fn is_monitor(&self) -> bool {
        matches!(
            self,
            Command::Qmp(_) | Command::HmpBalloon(_) | Command::HmpInfoBalloon | Command::Vmm(_)
        )
    }

    /// Whether the command only reads the world (see [`is_read_only`]).
    pub fn is_read_only(&self) -> bool {
        is_read_only(self)
    }
}

/// Guest workload actions (the guest memory model's allocator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GuestOp {
    /// A process allocates `bytes` of anonymous memory.
    Alloc(u64),
    /// A process frees `bytes` of anonymous memory.
    Free(u64),
    /// The page cache grows by `bytes`.
    Cache(u64),
    /// `bytes` of free memory are written (the host must back them again).
    Touch(u64),
}

/// A virtqueue by its Linux name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum QueueName {
    /// inflateq (`ivq`).
    Ivq,
    /// deflateq (`dvq`).
    Dvq,
    /// statsq (`svq`).
    Svq,
    /// free_page_vq.
    FreePageVq,
    /// reporting_vq.
    ReportingVq,
}

impl QueueName {
    /// Every queue, in spec order.
    pub const ALL: [QueueName; 5] = [
        QueueName::Ivq,
        QueueName::Dvq,
        QueueName::Svq,
        QueueName::FreePageVq,
        QueueName::ReportingVq,
    ];

    /// The Linux name (`ivq`, `dvq`, `svq`, `free_page_vq`, `reporting_vq`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Ivq => "ivq",
            QueueName::Dvq => "dvq",
            QueueName::Svq => "svq",
            QueueName::FreePageVq => "free_page_vq",
            QueueName::ReportingVq => "reporting_vq",
        }
    }

    /// Parses a Linux queue name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == text)
    }
}

/// A malformed-guest behaviour (reference section 8), armed for the next buffer on its queue
/// (ivq for most; each fault has its queue: [`FaultKind::queue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fault {
    /// The queue whose next buffer is malformed (ignored by ring-wide faults on other queues).
    pub queue: QueueName,
    /// What is wrong with it.
    pub kind: FaultKind,
}

/// Host-side actions that are not monitor commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HostOp {
    /// `host hint start`: `virtio_balloon_free_page_start` (precopy after bitmap sync).
    HintStart,
    /// `host hint stop`: `virtio_balloon_free_page_stop`.
    HintStop,
    /// `host hint done`: `virtio_balloon_free_page_done`.
    HintDone,
}

/// How far a stepping command goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepCommand {
    /// `step [N]`: N ring operations (default 1).
    Ops(u32),
    /// `step message [N]`: N message round trips.
    Messages(u32),
    /// `run`: until quiet.
    UntilQuiet,
    /// `run DURATION`: advance virtual time by this many ns.
    For(u64),
}

/// One command with the line it came from (1-based), for error messages and listings.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptLine {
    /// 1-based line number in the script.
    pub line: u32,
    /// The command.
    pub command: Command,
}

/// A parsed script: the machine configuration and the commands, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The machine (defaults when the script has no machine line).
    pub machine: MachineConfig,
    /// The command lines.
    pub lines: Vec<ScriptLine>,
}

/// Whether `line` is a machine line: QEMU's command-line options (`-m 1G -device ...`), which
/// only a script's first command line may be.
pub fn is_machine_line(line: &str) -> bool {
    line.trim_start().starts_with('-')
}

/// The machine line of `text`, when its first command line (blank and `#` comment lines
/// skipped) is one: then the text is a whole script, not console input.
pub fn machine_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| is_machine_line(l))
}

/// Parses a whole script: the machine line (if the first command line starts with `-`), then
/// one command per line. Nothing runs until everything parsed. Input longer than
/// [`MAX_SCRIPT_LEN`] is refused without looking at it.
pub fn parse_script(text: &str) -> Result<Script, ScriptError> {
    if text.len() > MAX_SCRIPT_LEN {
        return Err(script_too_long());
    }
    let mut machine = None;
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.len() > MAX_LINE_LEN {
            return Err(ScriptError::new(
                line_no,
                1,
                "a line of at most 64 KiB",
                "the line is longer than 64 KiB",
            ));
        }
        let body = strip_comment(raw);
        if body.trim().is_empty() {
            continue;
        }
        if machine.is_none() && lines.is_empty() && is_machine_line(body) {
            machine = Some(MachineConfig::parse(body).map_err(|e| e.at_line(line_no))?);
            continue;
        }
        match parse_line(body).map_err(|e| e.at_line(line_no))? {
            Some(command) => lines.push(ScriptLine {
                line: line_no,
                command,
            }),
            None => continue,
        }
    }
    Ok(Script {
        machine: machine.unwrap_or_default(),
        lines,
    })
}

/// Cuts a `#` comment, except inside a JSON string (QMP lines may hold `#` in strings).
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '#' {
            return &line[..i];
        }
    }
    line
}

/// The line that asks for it, as the console spells it (`guest alloc 600M`).
impl std::fmt::Display for GuestOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (verb, bytes) = match self {
            GuestOp::Alloc(b) => ("alloc", b),
            GuestOp::Free(b) => ("free", b),
            GuestOp::Cache(b) => ("cache", b),
            GuestOp::Touch(b) => ("touch", b),
        };
        write!(f, "guest {verb} {}", units::format_size(*bytes))
    }
}

/// The line that asks for it (`host hint start`).
impl std::fmt::Display for HostOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HostOp::HintStart => "host hint start",
            HostOp::HintStop => "host hint stop",
            HostOp::HintDone => "host hint done",
        })
    }
}

#[cfg(test)]
mod tests;
