//! The compare view's two sides: a profile with device properties on top of a preset's machine
//! (`PROFILE:PROP=VALUE`), refused with a clear message when bad, and one profile with two
//! property sets compared in lockstep.

use balloon_sim::command::{MachineConfig, parse_script};
use balloon_sim::compare::profiles::{compare_machines, side_machine};
use balloon_sim::presets;

fn base() -> MachineConfig {
    MachineConfig::parse("-m 2G -device virtio-balloon,free-page-reporting=on -seed 3").unwrap()
}

#[test]
fn a_side_keeps_the_presets_machine_and_sets_its_profile_and_properties() {
    let m = side_machine(&base(), "firecracker").unwrap();
    assert_eq!(m.profile, "firecracker");
    assert_eq!((m.ram_size, m.seed), (2 << 30, 3));
    assert!(m.free_page_reporting, "the preset's own properties stay");
    let m = side_machine(&base(), "qemu:deflate-on-oom=on:free-page-reporting=off").unwrap();
    assert_eq!(m.profile, "qemu");
    assert!(m.deflate_on_oom);
    assert!(!m.free_page_reporting);
}

#[test]
fn bad_sides_are_refused_with_what_is_wrong() {
    for (side, says) in [
        ("vmware", "no profile is called \"vmware\""),
        ("", "no profile is called \"\""),
        ("qemu:", "PROP=VALUE"),
        (
            "qemu:deflate-on-oom=maybe",
            "deflate-on-oom=on or deflate-on-oom=off",
        ),
        ("qemu:bogus=1", "invalid property \"bogus=1\""),
        ("qemu:x -m 1G", "without spaces"),
    ] {
        let e = side_machine(&base(), side).unwrap_err();
        assert!(e.contains(says), "{side:?}: {e}");
    }
}

/// The same profile with deflate-on-oom on and off: the runs part at the first event that
/// shows the property, QEMU's `virtio_balloon_class_init` registering
/// `DEFINE_PROP_BIT("deflate-on-oom", ...)` with its value.
#[test]
fn one_profile_with_two_property_sets_diverges_where_the_features_do() {
    let script = parse_script(presets::get("inflate-half").unwrap().text).unwrap();
    let on = side_machine(&script.machine, "qemu:deflate-on-oom=on").unwrap();
    let off = side_machine(&script.machine, "qemu:deflate-on-oom=off").unwrap();
    let c = compare_machines::<virtq::Portable>(&script, &on, &off).unwrap();
    let d = c.first_divergence.expect("the features differ");
    let (a, b) = (d.a.unwrap(), d.b.unwrap());
    assert!(a.sentence.contains("deflate-on-oom=true"), "{}", a.sentence);
    assert!(
        b.sentence.contains("deflate-on-oom=false"),
        "{}",
        b.sentence
    );
    assert_eq!(c.profiles, ("qemu", "qemu"));
    let same = compare_machines::<virtq::Portable>(&script, &on, &on).unwrap();
    assert_eq!(same.first_divergence, None, "a machine against itself");
}
