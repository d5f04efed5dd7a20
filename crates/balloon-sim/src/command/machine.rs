//! The machine line: `-m 4G -device virtio-balloon,deflate-on-oom=on -seed 7 ...`.

use super::ScriptError;
use super::line::words;
use super::units::{format_size, parse_size};

/// Which device-side queue implementation runs the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Backend {
    /// The project's own split ring (every target, including wasm32).
    #[default]
    Portable,
    /// rust-vmm `virtio-queue` over `vm-memory` (native only).
    RustVmm,
}

impl Backend {
    /// `portable` or `rust-vmm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::RustVmm => "rust-vmm",
        }
    }
    /// Parses `portable` / `rust-vmm`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "portable" => Some(Backend::Portable),
            "rust-vmm" => Some(Backend::RustVmm),
            _ => None,
        }
    }
}

/// The machine a script runs on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MachineConfig {
    /// Guest RAM in bytes (`-m`).
    pub ram_size: u64,
    /// `-device virtio-balloon,id=...`: the QOM id, if given.
    pub device_id: Option<String>,
    /// `deflate-on-oom`.
    pub deflate_on_oom: bool,
    /// `free-page-hint`.
    pub free_page_hint: bool,
    /// `page-poison` (default on).
    pub page_poison: bool,
    /// `free-page-reporting`.
    pub free_page_reporting: bool,
    /// `qemu-4-0-config-size`.
    pub qemu_4_0_config_size: bool,
    /// `iothread=ID`.
    pub iothread: Option<String>,
    /// `guest-stats-polling-interval=SECONDS` at start (0 = off).
    pub guest_stats_polling_interval: u32,
    /// `-profile qemu|cloud-hypervisor|firecracker|crosvm` (a `balloon_device::Vmm` name).
    pub profile: String,
    /// `-host-page-size` in bytes.
    pub host_page_size: u64,
    /// `-seed`.
    pub seed: u64,
    /// `-backend`.
    pub backend: Backend,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            ram_size: 1 << 30,
            device_id: None,
            deflate_on_oom: false,
            free_page_hint: false,
            page_poison: true,
            free_page_reporting: false,
            qemu_4_0_config_size: false,
            iothread: None,
            guest_stats_polling_interval: 0,
            profile: "qemu".to_owned(),
            host_page_size: 4096,
            seed: 0,
            backend: Backend::Portable,
        }
    }
}

const OPTIONS: &str = "-m SIZE, -device virtio-balloon[,prop=value...], -object iothread,id=ID, -profile qemu|cloud-hypervisor|firecracker|crosvm, -host-page-size SIZE, -seed N or -backend portable|rust-vmm";
const PROPS: &str = "deflate-on-oom, free-page-hint, page-poison, free-page-reporting, qemu-4-0-config-size (=on|off), iothread=ID, guest-stats-polling-interval=N or id=NAME";

impl MachineConfig {
    /// The VMM the machine's device imitates (`-profile`; QEMU if the name is unknown, which
    /// `parse` never lets through).
    pub fn vmm(&self) -> balloon_device::Vmm {
        balloon_device::Vmm::parse(&self.profile).unwrap_or(balloon_device::Vmm::Qemu)
    }

    /// Parses a machine line (comment already removed).
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        let mut cfg = MachineConfig::default();
        let tokens = words(text);
        let mut i = 0;
        while i < tokens.len() {
            let (at, opt) = tokens[i];
            let Some(&(vat, value)) = tokens.get(i + 1) else {
                return Err(if opt.starts_with('-') {
                    ScriptError::in_line(
                        text,
                        at + opt.len(),
                        format!("a value after {opt}"),
                        format!("{opt} has no value"),
                    )
                } else {
                    ScriptError::in_line(text, at, OPTIONS, format!("unexpected \"{opt}\""))
                });
            };
            let bad = |what: &str| {
                ScriptError::in_line(
                    text,
                    vat,
                    what.to_owned(),
                    format!("invalid value \"{value}\" for {opt}"),
                )
            };
            match opt {
                "-m" => {
                    cfg.ram_size = parse_size(value, 20)
                        // The guest model works in whole 2 MiB pageblocks, from 64 MiB up to the
                        // 16 TiB that 32-bit PFNs address.
                        .filter(|s| *s >= 64 << 20 && *s <= 16 << 40 && s.is_multiple_of(2 << 20))
                        .ok_or_else(|| {
                            bad("a RAM size from 64M to 16T, a multiple of 2M (e.g. 4G)")
                        })?;
                }
                "-device" => cfg.parse_device(text, vat, value)?,
                "-object" => {
                    if !value.starts_with("iothread,id=") || value.len() == "iothread,id=".len() {
                        return Err(bad("iothread,id=ID"));
                    }
                }
                "-profile" => {
                    if balloon_device::Vmm::parse(value).is_none() {
                        return Err(bad("qemu, cloud-hypervisor, firecracker or crosvm"));
                    }
                    cfg.profile = value.to_owned();
                }
                "-host-page-size" => {
                    cfg.host_page_size = parse_size(value, 0)
                        .filter(|s| [4096, 64 << 10, 2 << 20].contains(s))
                        .ok_or_else(|| bad("4K, 64K or 2M (the host page sizes modelled)"))?;
                }
                "-seed" => {
                    cfg.seed = value
                        .parse()
                        .map_err(|_| bad("a number from 0 to 2^64-1"))?
                }
                "-backend" => {
                    cfg.backend =
                        Backend::parse(value).ok_or_else(|| bad("portable or rust-vmm"))?
                }
                _ => {
                    return Err(ScriptError::in_line(
                        text,
                        at,
                        OPTIONS,
                        format!("unknown option \"{opt}\""),
                    ));
                }
            }
            i += 2;
        }
        Ok(cfg)
    }

    fn parse_device(&mut self, text: &str, at: usize, value: &str) -> Result<(), ScriptError> {
        let mut parts = value.split(',');
        let driver = parts.next().unwrap_or("");
        if driver != "virtio-balloon" && driver != "virtio-balloon-pci" {
            return Err(ScriptError::in_line(
                text,
                at,
                "virtio-balloon or virtio-balloon-pci",
                format!("unknown device \"{driver}\""),
            ));
        }
        let mut offset = at + driver.len() + 1;
        for part in parts {
            let here = offset;
            offset += part.len() + 1;
            let (key, val) = part.split_once('=').unwrap_or((part, ""));
            let bad = |expected: &str| {
                ScriptError::in_line(
                    text,
                    here,
                    expected.to_owned(),
                    format!("invalid property \"{part}\""),
                )
            };
            let flag = || match val {
                "on" | "true" | "yes" => Ok(true),
                "off" | "false" | "no" => Ok(false),
                _ => Err(bad(&format!("{key}=on or {key}=off"))),
            };
            match key {
                "deflate-on-oom" => self.deflate_on_oom = flag()?,
                "free-page-hint" => self.free_page_hint = flag()?,
                "page-poison" => self.page_poison = flag()?,
                "free-page-reporting" => self.free_page_reporting = flag()?,
                "qemu-4-0-config-size" => self.qemu_4_0_config_size = flag()?,
                "iothread" if !val.is_empty() => self.iothread = Some(val.to_owned()),
                "id" if !val.is_empty() => self.device_id = Some(val.to_owned()),
                "guest-stats-polling-interval" => {
                    self.guest_stats_polling_interval = val
                        .parse()
                        .map_err(|_| bad("guest-stats-polling-interval=SECONDS"))?;
                }
                _ => return Err(bad(PROPS)),
            }
        }
        Ok(())
    }

    /// The canonical machine line (for share URLs and listings).
    pub fn to_line(&self) -> String {
        let mut dev = String::from("virtio-balloon");
        let on = |b: bool| if b { "on" } else { "off" };
        if let Some(id) = &self.device_id {
            dev += &format!(",id={id}");
        }
        dev += &format!(
            ",deflate-on-oom={},free-page-hint={},page-poison={},free-page-reporting={}",
            on(self.deflate_on_oom),
            on(self.free_page_hint),
            on(self.page_poison),
            on(self.free_page_reporting)
        );
        if self.qemu_4_0_config_size {
            dev += ",qemu-4-0-config-size=on";
        }
        if let Some(io) = &self.iothread {
            dev += &format!(",iothread={io}");
        }
        if self.guest_stats_polling_interval != 0 {
            dev += &format!(
                ",guest-stats-polling-interval={}",
                self.guest_stats_polling_interval
            );
        }
        format!(
            "-m {} -device {dev} -profile {} -host-page-size {} -seed {} -backend {}",
            format_size(self.ram_size),
            self.profile,
            format_size(self.host_page_size),
            self.seed,
            self.backend.as_str()
        )
    }
}
