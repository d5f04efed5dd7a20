use super::*;

fn state() -> Rc<AppState> {
    Rc::new(AppState::booted())
}

const MIB: u64 = 1 << 20;

#[test]
fn boots_a_1g_guest_with_an_empty_balloon() {
    let s = state();
    assert_eq!(s.ram_bytes(), 1024 * MIB);
    assert_eq!(s.session().balloon().actual, 0);
    assert!(s.session().current_index() > 0, "boot produced no events");
}

#[test]
fn apply_target_sets_num_pages_and_run_inflates_to_it() {
    let s = state().reduce(Action::ApplyTarget(512 * MIB));
    assert_eq!(s.session().balloon().num_pages, 131_072);
    assert!(s.error.is_none());
    assert!(s.console.iter().any(|l| l.text == r#"{"return": {}}"#));
    let s = s.reduce(Action::RunToQuiet);
    assert_eq!(s.session().balloon().actual, 131_072);
    assert!((s.actual_fill() - 0.5).abs() < 1e-9);
}

#[test]
fn bad_targets_change_nothing() {
    for bytes in [0, 1025 * MIB, u64::MAX] {
        let before = state();
        let index = before.session().current_index();
        let s = before.reduce(Action::ApplyTarget(bytes));
        assert!(s.error.is_some(), "{bytes}");
        assert_eq!(s.session().current_index(), index);
        assert_eq!(s.session().balloon().num_pages, 0);
    }
}

#[test]
fn step_back_and_step_op_move_one_event() {
    let s = state()
        .reduce(Action::ApplyTarget(512 * MIB))
        .reduce(Action::RunToQuiet);
    let end = s.session().current_index();
    let s = s.reduce(Action::StepBack);
    assert_eq!(s.session().current_index(), end - 1);
    let s = s.reduce(Action::StepOp);
    assert_eq!(s.session().current_index(), end);
    let s = s.reduce(Action::Reset);
    assert_eq!(s.session().balloon().num_pages, 0);
}

#[test]
fn a_step_with_nothing_to_do_says_so() {
    let s = state().reduce(Action::RunToQuiet);
    let index = s.session().current_index();
    let s = s.reduce(Action::StepOp);
    assert_eq!(s.session().current_index(), index);
    assert!(s.idle.is_some());
    let s = s.reduce(Action::ApplyTarget(512 * MIB));
    assert!(s.idle.is_none());
    let s = s.reduce(Action::StepOp);
    assert!(s.idle.is_none());
}

#[test]
fn console_errors_keep_the_session_and_say_where() {
    let s = state();
    let index = s.session().current_index();
    let s = s.reduce(Action::Console("ballon 512".into()));
    let last = s.console.last().unwrap();
    assert_eq!(last.kind, LineKind::Error);
    assert!(last.text.contains("line 1, column 1"), "{}", last.text);
    assert_eq!(s.session().current_index(), index);
    let s = s.reduce(Action::Console("info balloon".into()));
    assert_eq!(s.console.last().unwrap().text, "balloon: actual=1024");
}

#[test]
fn a_console_run_that_never_goes_quiet_stops_at_its_budget_and_says_so() {
    let mut session = state().session().clone();
    session.set_budget(5_000);
    let s = Rc::new(AppState::with_session(session));
    // Two stats buffers in flight ping-pong forever (QEMU's virtio_balloon_receive_stats).
    let s = s.reduce(Action::Console("fault svq second-buffer".into()));
    let index = s.session().current_index();
    let s = s.reduce(Action::Console("run".into()));
    let last = s.console.last().unwrap();
    assert_eq!(last.kind, LineKind::Error);
    assert!(
        last.text.contains("`run` stopped after 5000 events"),
        "{}",
        last.text
    );
    assert_eq!(s.session().current_index(), index + 5_000);
    // The session goes on, and the message does not come back with the next line.
    let s = s.reduce(Action::Console("info balloon".into()));
    assert_eq!(s.console.last().unwrap().text, "balloon: actual=1024");
    // The "Run to end" button says the same.
    let index = s.session().current_index();
    let s = s.reduce(Action::RunToQuiet);
    assert_eq!(s.session().current_index(), index + 5_000);
    let e = s.notice.as_deref().unwrap_or("");
    assert!(e.contains("`run` stopped after 5000 events"), "{e}");
}

#[test]
fn a_pasted_script_replaces_the_session_and_a_bad_one_keeps_it() {
    let s = state().reduce(Action::ApplyTarget(512 * MIB));
    let s = s.reduce(Action::Console(
        "-m 2G -device virtio-balloon\nrun\nbalon 5\n".into(),
    ));
    assert!(s.notice.as_deref().unwrap_or("").contains("line 3"));
    assert_eq!(s.session().balloon().num_pages, 131_072);
    let s = s.reduce(Action::Console(
        "-m 2G -device virtio-balloon\nrun\n".into(),
    ));
    assert_eq!(s.ram_bytes(), 2048 * MIB);
    assert_eq!(s.session().current_index(), 0);
}

#[test]
fn presets_load_at_event_zero_and_play_walks_them() {
    let s = state().reduce(Action::LoadPreset("inflate-half".into()));
    assert_eq!(s.loading.as_deref(), Some("inflate-half"));
    let mut s = s.reduce(Action::FinishLoad);
    let mut slices = 1;
    while s.loading.is_some() {
        let (done, total, _) = s.load_progress.unwrap();
        assert!(done <= total);
        s = s.reduce(Action::FinishLoad);
        slices += 1;
        assert!(slices < 10_000, "the load never ends");
    }
    assert!(s.load_progress.is_none());
    assert_eq!(s.session().current_index(), 0);
    assert!(s.session().event_count() > 1000);
    let s = s.reduce(Action::Play).reduce(Action::Advance {
        events: 100,
        deadline_ms: f64::INFINITY,
    });
    assert_eq!(s.session().current_index(), 100);
    assert!(s.playing);
    let s = s.reduce(Action::Pause).reduce(Action::Advance {
        events: 100,
        deadline_ms: f64::INFINITY,
    });
    assert_eq!(s.session().current_index(), 100, "advanced while paused");
    let s = s.reduce(Action::LoadPreset("nope".into()));
    assert!(s.notice.is_some());
}

#[test]
fn links_round_trip_and_broken_ones_say_so() {
    let s = state()
        .reduce(Action::ApplyTarget(300 * MIB))
        .reduce(Action::StepMessage)
        .reduce(Action::StepMessage);
    let t = AppState::from_fragment(&format!("#{}", s.fragment()));
    assert_eq!(t.session().current_index(), s.session().current_index());
    assert_eq!(t.session().trace_hash(), s.session().trace_hash());
    assert!(t.notice.is_none());
    let broken = AppState::from_fragment("#v=1&step=3&script=!!");
    assert!(broken.notice.is_some());
    assert_eq!(broken.session().balloon().num_pages, 0);
    // A broken link opened later keeps what the operator had.
    let kept = s.clone().reduce(Action::OpenLink("#v=7".into()));
    assert!(kept.notice.as_deref().unwrap_or("").contains("v=7"));
    assert_eq!(kept.session().current_index(), s.session().current_index());
}

fn seeked_back() -> Rc<AppState> {
    let s = state()
        .reduce(Action::ApplyTarget(512 * MIB))
        .reduce(Action::RunToQuiet);
    let end = s.session().event_count();
    s.reduce(Action::Seek(end / 2))
}

#[test]
fn reading_commands_in_the_past_answer_without_forking() {
    let s = seeked_back();
    let (at, len) = (s.session().current_index(), s.session().event_count());
    for line in [
        "info balloon",
        "help balloon",
        r#"{"execute": "query-balloon"}"#,
    ] {
        let t = s.clone().reduce(Action::Console(line.into()));
        assert!(t.pending_fork.is_none(), "{line} asked");
        assert_eq!(t.session().event_count(), len, "{line} forked");
        assert_eq!(t.session().current_index(), at);
        assert_eq!(t.console.last().unwrap().kind, LineKind::Reply, "{line}");
    }
    let t = s.reduce(Action::Console("help balloon".into()));
    assert_eq!(
        t.console.last().unwrap().text,
        "balloon target -- request VM to change its memory allocation (in MB)"
    );
}

#[test]
fn acting_in_the_past_asks_first_and_cancel_keeps_the_future() {
    for action in [
        Action::Console("balloon 300".into()),
        Action::ApplyTarget(300 * MIB),
    ] {
        // States share their session: each action starts from its own.
        let s = seeked_back();
        let (at, len) = (s.session().current_index(), s.session().event_count());
        let asked = s.reduce(action.clone());
        assert_eq!(asked.pending_fork.as_ref(), Some(&action));
        assert_eq!(asked.session().event_count(), len, "forked before asking");
        let kept = asked.clone().reduce(Action::CancelFork);
        assert!(kept.pending_fork.is_none());
        assert_eq!(kept.session().event_count(), len);
        let forked = asked.reduce(Action::ConfirmFork);
        assert!(forked.pending_fork.is_none());
        assert_eq!(forked.session().event_count(), at + 1, "{action:?}");
        assert_eq!(forked.session().balloon().num_pages, (1024 - 300) * 256);
    }
}

#[test]
fn play_with_nothing_to_do_says_so_and_does_not_start() {
    let s = state().reduce(Action::RunToQuiet).reduce(Action::Play);
    assert!(!s.playing);
    assert!(
        s.idle
            .as_deref()
            .unwrap_or("")
            .contains("Nothing left to play")
    );
    let s = s
        .reduce(Action::ApplyTarget(512 * MIB))
        .reduce(Action::TogglePlay);
    assert!(s.playing);
    assert!(s.idle.is_none());
}

#[test]
fn applying_a_target_says_what_will_happen_and_how_to_watch() {
    let s = state().reduce(Action::ApplyTarget(512 * MIB));
    let g = s.guidance.clone().unwrap_or_default();
    assert!(
        g.contains("inflate the balloon from 0 to 131072 pages"),
        "{g}"
    );
    assert!(
        g.contains("Step message") && g.contains("Play") && g.contains("Run"),
        "{g}"
    );
    let s = s.reduce(Action::RunToQuiet);
    assert!(s.guidance.is_none());
    let s = s.reduce(Action::ApplyTarget(768 * MIB));
    assert!(
        s.guidance
            .clone()
            .unwrap_or_default()
            .contains("deflate the balloon from 131072 to 65536")
    );
    assert!(state().ramp);
    assert!(!state().reduce(Action::SetSpeed(50.0)).ramp);
}

#[test]
fn real_time_play_runs_what_is_due_by_the_play_clock() {
    let s = state()
        .reduce(Action::SetRealTime(Some(1.0)))
        .reduce(Action::ApplyTarget(512 * MIB))
        .reduce(Action::Play);
    assert!(s.playing);
    // Half a second of virtual time: the 0.71 s inflate is under way.
    let s = s.reduce(Action::AdvanceTime {
        ns: 500_000_000,
        deadline_ms: f64::INFINITY,
    });
    let actual = s.session().balloon().actual;
    assert!(actual > 0 && actual < 131_072, "{actual}");
    // Another second: done, with the held BALLOON_CHANGE sent at the window's end.
    let s = s.reduce(Action::AdvanceTime {
        ns: 1_000_000_000,
        deadline_ms: f64::INFINITY,
    });
    assert_eq!(s.session().balloon().actual, 131_072);
    // Nothing left: play stops and says so.
    let s = s.reduce(Action::AdvanceTime {
        ns: 1_000_000_000,
        deadline_ms: f64::INFINITY,
    });
    assert!(!s.playing);
    assert!(s.idle.is_some());
    // Back to event by event.
    assert_eq!(s.reduce(Action::SetRealTime(None)).real_time, None);
}
