//! The host view's data: the host bar (own use, each QEMU process, free) as shares of host
//! RAM, and one card per VM, from `balloon_sim::view::HostView`.

use balloon_sim::host::VmState;
use balloon_sim::view::{HostPart, HostView, VmCardView};

use super::BalloonModel;
use super::Fixed;
use super::format::format_bytes_mib;

/// One segment of the host bar.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSegment {
    /// Stable name for tests and CSS: `own`, `vm-NAME`, `free`.
    pub key: String,
    /// What it is, in words, with its size.
    pub label: String,
    /// Bytes of host RAM.
    pub bytes: u64,
    /// Share of host RAM, 0.0..=100.0 (the segment's width).
    pub percent: f64,
    /// The VM's index for a VM's process, to colour it like its card.
    pub vm: Option<usize>,
}

/// The host bar.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBarModel {
    /// Host RAM, bytes.
    pub ram: u64,
    /// Own use, each VM's QEMU process, free: they add up to `ram`.
    pub segments: Vec<BarSegment>,
    /// `swap 512 MiB of 2048 MiB in use`, when the host has swap.
    pub swap: Option<String>,
    /// The balloon policy (`off`, `mom 10s`).
    pub policy: String,
}

/// `part` as a percentage of `whole` (0 of nothing is 0 %).
fn percent_of(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The bar of `v`.
pub fn host_bar(v: &HostView) -> HostBarModel {
    let percent = |b: u64| percent_of(b, v.ram);
    let segments = v
        .segments
        .iter()
        .map(|s| {
            let (key, what, vm) = match s.part {
                HostPart::Own => (
                    "own".to_owned(),
                    "host kernel and other processes".to_owned(),
                    None,
                ),
                HostPart::Free => ("free".to_owned(), "free".to_owned(), None),
                HostPart::Vm(i) => {
                    let name = v.vms.get(i).map_or("?", |c| c.name.as_str());
                    (
                        format!("vm-{name}"),
                        format!("QEMU process of {name}"),
                        Some(i),
                    )
                }
            };
            BarSegment {
                label: format!("{what}: {}", format_bytes_mib(s.bytes)),
                key,
                bytes: s.bytes,
                percent: percent(s.bytes),
                vm,
            }
        })
        .collect();
    HostBarModel {
        ram: v.ram,
        segments,
        swap: (v.swap > 0).then(|| {
            format!(
                "swap {} of {} in use",
                format_bytes_mib(v.swap_used),
                format_bytes_mib(v.swap)
            )
        }),
        policy: v.policy.clone(),
    }
}

/// One VM card.
#[derive(Debug, Clone, PartialEq)]
pub struct VmCardModel {
    /// `-name`.
    pub name: String,
    /// `running`, or `OOM-killed at 12.3 s`.
    pub state: String,
    /// Whether the OOM killer took it.
    pub killed: bool,
    /// The balloon while the process lives.
    pub balloon: Option<BalloonModel>,
    /// Guest RAM split: (label, bytes, share of guest RAM in %), resident first.
    pub guest: Vec<(&'static str, u64, f64)>,
    /// Host RAM the process holds, in words.
    pub host: String,
}

/// The card of one VM.
pub fn vm_card(c: &VmCardView) -> VmCardModel {
    let share = |b: u64| percent_of(b, c.ram_size);
    let (state, killed) = match c.state {
        VmState::Running => ("running".to_owned(), false),
        VmState::OomKilled { at_ns } => (
            format!("OOM-killed at {} s", Fixed(at_ns as f64 / 1e9, 1)),
            true,
        ),
    };
    VmCardModel {
        name: c.name.clone(),
        state,
        killed,
        balloon: c.balloon.as_ref().map(BalloonModel::from_view),
        guest: [
            ("resident", c.resident_bytes),
            ("swapped", c.swapped_bytes),
            ("saved by discards", c.saved_bytes),
            ("never touched", c.untouched_bytes),
        ]
        .into_iter()
        .map(|(l, b)| (l, b, share(b)))
        .collect(),
        host: format!("QEMU process {}", format_bytes_mib(c.host_bytes)),
    }
}

#[cfg(test)]
mod tests {
    use balloon_sim::host::HostSession;
    use balloon_sim::host::presets::get;

    use super::*;

    fn view(name: &str) -> HostView {
        let (s, _) = HostSession::from_script(get(name).unwrap().text).unwrap();
        HostView::of(s.host())
    }

    /// host-give-by-hand says `host ram 10G`, `host own 1G`: the bar is 10 GiB wide, the
    /// host's own GiB is a tenth of it, and the widths fill the bar exactly.
    #[test]
    fn the_widths_fill_the_bar_and_own_use_is_a_tenth_of_ten_gib() {
        let bar = host_bar(&view("host-give-by-hand"));
        assert_eq!(bar.ram, 10 << 30);
        let total: f64 = bar.segments.iter().map(|s| s.percent).sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        let own = bar.segments.iter().find(|s| s.key == "own").unwrap();
        assert!((own.percent - 10.0).abs() < 1e-9);
        assert_eq!(own.label, "host kernel and other processes: 1024 MiB");
        let keys: Vec<_> = bar.segments.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["own", "vm-idle", "vm-busy", "free"]);
        assert_eq!(bar.swap, None, "the preset has no swap");
    }

    #[test]
    fn a_killed_vm_says_when_and_has_no_balloon_and_a_running_guest_adds_up() {
        let v = view("host-overcommit-oom");
        let cards: Vec<_> = v.vms.iter().map(vm_card).collect();
        let dead: Vec<_> = cards.iter().filter(|c| c.killed).collect();
        assert_eq!(dead.len(), 1);
        assert!(
            dead[0].state.starts_with("OOM-killed at "),
            "{}",
            dead[0].state
        );
        assert!(dead[0].balloon.is_none());
        for c in cards.iter().filter(|c| !c.killed) {
            let total: f64 = c.guest.iter().map(|g| g.2).sum();
            assert!((total - 100.0).abs() < 1e-9, "{}: {total}", c.name);
        }
    }
}
