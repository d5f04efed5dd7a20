//! The host presets (`presets/host/*.bpl`): several VMs on one host. Kept apart from
//! [`crate::presets::PRESETS`], which are single-VM scripts a [`crate::Session`] opens.

use crate::presets::{Preset, preset_list};

preset_list!(
    HOST_PRESETS,
    "../../presets/host/",
    "host-give-by-hand",
    "host-three-vms",
    "host-overcommit-oom",
    "host-mom-policy",
    "host-free-page-reporting",
    "host-deflate-on-oom-squeeze",
);

/// The host preset called `name`.
pub fn get(name: &str) -> Option<&'static Preset> {
    HOST_PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_host_preset_is_a_host_script_with_a_title_and_parses() {
        assert!(HOST_PRESETS.len() >= 4);
        for p in HOST_PRESETS {
            assert!(!p.title().is_empty() && p.title().len() < 60, "{}", p.name);
            assert!(p.description().len() > 20, "{}", p.name);
            assert!(super::super::is_host_script(p.text), "{}", p.name);
            super::super::parse_host_script(p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert!(
                crate::presets::get(p.name).is_none(),
                "{}: one name, one list",
                p.name
            );
        }
    }
}
