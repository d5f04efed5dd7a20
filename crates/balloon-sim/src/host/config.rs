//! What a host is made of: its RAM, swap, its own use, its balloon policy and its VMs.

use serde::{Deserialize, Serialize};

use crate::command::MachineConfig;

/// oVirt MoM's policy engine period: `policy-engine-interval: 10` (seconds) in MoM's
/// `doc/mom-balloon.conf`.
pub const MOM_POLICY_INTERVAL_NS: u64 = 10_000_000_000;

/// The host's balloon policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyConfig {
    /// Nobody balloons but the operator.
    Off,
    /// oVirt MoM's auto-balloon rules (`doc/balloon.rules`), evaluated every `interval_ns`.
    Mom {
        /// The policy engine's period.
        interval_ns: u64,
    },
}

impl PolicyConfig {
    /// MoM with its shipped period (10 s).
    pub fn mom_default() -> Self {
        PolicyConfig::Mom {
            interval_ns: MOM_POLICY_INTERVAL_NS,
        }
    }
}

impl std::fmt::Display for PolicyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyConfig::Off => f.write_str("off"),
            PolicyConfig::Mom { interval_ns } => write!(f, "mom {}s", interval_ns / 1_000_000_000),
        }
    }
}

/// The host machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostConfig {
    /// Physical RAM in bytes (`host ram`).
    pub ram: u64,
    /// Swap in bytes (`host swap`; 0 = none).
    pub swap: u64,
    /// What the host kernel and its other processes hold, in bytes (`host own`).
    pub own: u64,
    /// The balloon policy at start.
    pub policy: PolicyConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            ram: 16 << 30,
            swap: 0,
            own: 1 << 30,
            policy: PolicyConfig::Off,
        }
    }
}

impl HostConfig {
    /// Whether all VMs share one backend (one host, one kind of queue implementation). That
    /// RAM holds the host's own use and every QEMU process's overhead is checked when the host
    /// starts, from each VM's device profile.
    pub fn check(&self, vms: &[VmConfig]) -> Result<(), String> {
        if let Some(v) = vms
            .iter()
            .find(|v| v.machine.backend != vms[0].machine.backend)
        {
            return Err(format!(
                "VM {} uses the {} backend and VM {} the {}: one host, one backend",
                vms[0].name,
                vms[0].machine.backend.as_str(),
                v.name,
                v.machine.backend.as_str()
            ));
        }
        Ok(())
    }
}

/// One VM: a name and today's machine line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmConfig {
    /// `-name NAME`.
    pub name: String,
    /// Its machine.
    pub machine: MachineConfig,
}
