//! `Session::timeline_script` rebuilds the exact timeline, including after time travel, where
//! the lines as applied (`script_text`) do not.

use balloon_sim::{Session, StepSize};

fn replay(script: &str) -> Session {
    Session::from_script(script)
        .unwrap_or_else(|e| panic!("{e}\n{script}"))
        .0
}

fn same_timeline(a: &Session, b: &Session) {
    assert_eq!(a.event_count(), b.event_count());
    assert_eq!(a.hash_at(a.event_count()), b.hash_at(b.event_count()));
}

#[test]
fn every_preset_replays_from_its_timeline_script() {
    for p in balloon_sim::presets::PRESETS {
        if p.name == "bulk-64g" {
            continue; // the same shape as inflate-half, 120 times longer
        }
        let (s, _) = Session::from_script(p.text).unwrap();
        same_timeline(&s, &replay(&s.timeline_script()));
    }
}

#[test]
fn acting_in_the_past_is_followed_and_replayed_steps_are_not_new() {
    let text = "-m 1G -device virtio-balloon -seed 1\nrun\nballoon 512\nrun\nrun 2s\n";
    let (mut s, _) = Session::from_script(text).unwrap();
    let before = s.timeline_script();
    s.seek(40).unwrap();
    for _ in 0..5 {
        s.step(StepSize::Op);
    }
    s.step(StepSize::Message);
    assert_eq!(
        s.timeline_script(),
        before,
        "replaying the past changed the script"
    );

    // A fork: the future after event 100 is replaced.
    s.seek(100).unwrap();
    s.apply_line("balloon 900").unwrap();
    s.step(StepSize::UntilQuiet);
    s.apply_line("run 1500ms").unwrap();
    let t = replay(&s.timeline_script());
    same_timeline(&s, &t);
    assert_eq!(t.balloon(), s.balloon());
    // The lines as applied put the fork at the end instead, which is another timeline.
    let wrong = replay(&s.script_text());
    assert_ne!(wrong.hash_at(s.event_count()), s.hash_at(s.event_count()));
}
