//! The preset scripts shipped with the crate (`presets/*.bpl`): the UI's examples, the CLI's
//! `--preset`, and the golden tests all run these same files.

/// One preset: its name (file stem), title and description (its two leading comment lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// File stem, e.g. `inflate-half`.
    pub name: &'static str,
    /// The script.
    pub text: &'static str,
}

impl Preset {
    /// The first comment line.
    pub fn title(&self) -> &'static str {
        self.comment(0)
    }
    /// The second comment line.
    pub fn description(&self) -> &'static str {
        self.comment(1)
    }
    fn comment(&self, n: usize) -> &'static str {
        self.text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .nth(n)
            .map(|l| l.trim_start_matches('#').trim())
            .unwrap_or("")
    }
}

/// A list of presets from `.bpl` files under `presets/` (the path is relative to the file that
/// uses the macro): `preset_list!(NAME, "../presets/", "a", "b")`.
macro_rules! preset_list {
    ($list:ident, $dir:literal, $($name:literal),* $(,)?) => {
        /// Every preset of this list, in the order the UI lists them.
        pub const $list: &[crate::presets::Preset] = &[
            $(crate::presets::Preset { name: $name, text: include_str!(concat!($dir, $name, ".bpl")) },)*
        ];
    };
}
pub(crate) use preset_list;

preset_list!(
    PRESETS,
    "../presets/",
    "inflate-half",
    "deflate",
    "stats-polling",
    "deflate-on-oom",
    "free-page-reporting",
    "free-page-hinting",
    "malformed-needs-reset",
    "malformed-tolerated",
    "malformed-oversized",
    "malformed-pfn-outside-ram",
    "malformed-pfn-array-outside-ram",
    "malformed-chain",
    "malformed-duplicate-pfn",
    "malformed-never-inflated",
    "malformed-nonsense-actual",
    "malformed-avail-idx-jump",
    "malformed-desc-loop",
    "malformed-zero-length",
    "malformed-stats-partial-entry",
    "malformed-stats-large",
    "malformed-stats-unknown-tag",
    "malformed-stats-second-buffer",
    "malformed-hint-cmd-id",
    "malformed-report-misaligned",
    "malformed-config-offset",
    "malformed-must-tell-host",
    "monitor-errors",
    "bulk-64g",
);

/// The preset called `name`.
pub fn get(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_a_title_a_description_and_parses() {
        assert!(PRESETS.len() >= 8);
        for p in PRESETS {
            assert!(!p.title().is_empty() && p.title().len() < 60, "{}", p.name);
            assert!(p.description().len() > 20, "{}", p.name);
            crate::command::parse_script(p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
        assert_eq!(get("inflate-half").unwrap().title(), "Inflate to half");
        assert!(get("nope").is_none());
    }
}
