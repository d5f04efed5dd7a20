//! The compare view's link: `?compare=A,B&preset=NAME[&step=N][&embed=1]`, each side a
//! profile with optional device properties (`qemu:deflate-on-oom=on`). Each part is read on
//! its own: a bad one falls back to its default and says why, the good ones are kept.

use balloon_sim::command::MachineConfig;
use balloon_sim::compare::profiles::side_machine;
use balloon_sim::presets;

/// The comparison a link opens when it names none (or a broken one).
pub const DEFAULT_SIDES: [&str; 2] = ["qemu", "firecracker"];
/// The preset a link runs when it names none (or an unknown one).
pub const DEFAULT_PRESET: &str = "inflate-half";
/// Longest part of a link quoted back in a message.
const QUOTE_MAX: usize = 60;

/// What a compare link asks for, with what was wrong in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareLink {
    /// The two sides, `PROFILE[:PROP=VALUE...]`.
    pub sides: [String; 2],
    /// The preset both run.
    pub preset: &'static str,
    /// The lockstep position to open at (`None`: the first divergence).
    pub step: Option<u64>,
    /// One sentence per bad part, in the order of the link.
    pub problems: Vec<String>,
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn quote(s: &str) -> String {
    clip(s, QUOTE_MAX)
}

/// The machine line of preset `name` (the defaults if it has none).
pub fn preset_machine(name: &str) -> MachineConfig {
    presets::get(name)
        .and_then(|p| balloon_sim::command::parse_script(p.text).ok())
        .map(|s| s.machine)
        .unwrap_or_default()
}

/// Reads the link's values (already URL-decoded): `compare`, `preset` and `step`.
pub fn parse(compare: Option<&str>, preset: Option<&str>, step: Option<&str>) -> CompareLink {
    let mut problems = Vec::new();
    let preset = match preset {
        None => DEFAULT_PRESET,
        Some(p) => match presets::get(p.trim()) {
            Some(p) => p.name,
            None => {
                problems.push(format!(
                    "No preset is called \"{}\": running {DEFAULT_PRESET}.",
                    quote(p)
                ));
                DEFAULT_PRESET
            }
        },
    };
    let base = preset_machine(preset);
    let mut sides = DEFAULT_SIDES.map(str::to_owned);
    let given: Vec<&str> = compare
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    if given.len() != 2 {
        problems.push(format!(
            "compare=\"{}\" needs two sides, A,B (e.g. qemu,firecracker or \
             qemu:deflate-on-oom=on,qemu:deflate-on-oom=off): comparing {} and {}.",
            quote(compare.unwrap_or_default()),
            DEFAULT_SIDES[0],
            DEFAULT_SIDES[1]
        ));
    } else {
        for (i, side) in given.iter().enumerate() {
            match side_machine(&base, side) {
                Ok(_) => sides[i] = (*side).to_owned(),
                Err(e) => problems.push(format!(
                    "Side {} {}: showing {} there.",
                    ["A", "B"][i],
                    // The error quotes the side and lists what is expected.
                    clip(&e, 5 * QUOTE_MAX),
                    DEFAULT_SIDES[i]
                )),
            }
        }
    }
    let step = step.and_then(|s| match s.trim().parse::<u64>() {
        Ok(k) => Some(k),
        Err(_) => {
            problems.push(format!(
                "step=\"{}\" is not an event number: opening at the first difference.",
                quote(s)
            ));
            None
        }
    });
    CompareLink {
        sides,
        preset,
        step,
        problems,
    }
}

impl CompareLink {
    /// Each side's machine: the preset's machine line with the side's profile and properties.
    pub fn machines(&self) -> [MachineConfig; 2] {
        let base = preset_machine(self.preset);
        self.sides
            .clone()
            .map(|s| side_machine(&base, &s).unwrap_or_else(|_| base.clone()))
    }

    /// The query that opens this comparison at its first difference.
    pub fn query_without_step(&self) -> String {
        format!(
            "compare={},{}&preset={}",
            self.sides[0], self.sides[1], self.preset
        )
    }

    /// The query that reopens this comparison at event `step`.
    pub fn query(&self, step: u64) -> String {
        format!("{}&step={step}", self.query_without_step())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_link_is_read_whole() {
        let l = parse(
            Some("crosvm,qemu:deflate-on-oom=on"),
            Some("deflate"),
            Some("12"),
        );
        assert_eq!(l.sides, ["crosvm", "qemu:deflate-on-oom=on"]);
        assert_eq!((l.preset, l.step), ("deflate", Some(12)));
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let [a, b] = l.machines();
        assert_eq!((a.profile.as_str(), b.profile.as_str()), ("crosvm", "qemu"));
        assert!(b.deflate_on_oom && !a.deflate_on_oom);
        assert_eq!(
            parse(Some(&l.sides.join(",")), Some(l.preset), Some("12")),
            l,
            "its own query reads back the same"
        );
        assert_eq!(
            l.query(12),
            "compare=crosvm,qemu:deflate-on-oom=on&preset=deflate&step=12"
        );
    }

    #[test]
    fn each_bad_part_falls_back_alone_and_says_why() {
        let l = parse(Some("qemu,vmware"), Some("nope"), Some("x"));
        assert_eq!(l.sides, ["qemu", "firecracker"], "side A kept");
        assert_eq!((l.preset, l.step), (DEFAULT_PRESET, None));
        assert_eq!(l.problems.len(), 3, "{:?}", l.problems);
        assert!(l.problems[0].contains("No preset is called \"nope\""));
        assert!(l.problems[1].contains("Side B") && l.problems[1].contains("vmware"));
        assert!(l.problems[2].contains("step=\"x\""));
        for bad in ["", "qemu", "qemu,crosvm,firecracker"] {
            let l = parse(Some(bad), None, None);
            assert_eq!(l.sides, DEFAULT_SIDES.map(str::to_owned), "{bad:?}");
            assert!(l.problems[0].contains("needs two sides"), "{bad:?}");
        }
        let l = parse(Some("qemu:page-poison=sometimes,crosvm"), None, None);
        assert_eq!(l.sides, ["qemu", "crosvm"]);
        assert!(l.problems[0].contains("page-poison=on or page-poison=off"));
        let long = "q".repeat(5000);
        let l = parse(Some(&long), Some(&long), Some(&long));
        assert!(l.problems.iter().all(|p| p.len() < 400), "{:?}", l.problems);
    }
}
