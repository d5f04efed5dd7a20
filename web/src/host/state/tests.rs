use balloon_sim::StepSize;

use super::*;

fn reduce(s: HostState, a: HostAction) -> HostState {
    (*Rc::new(s).reduce(a)).clone()
}

#[test]
fn a_step_opens_there_and_a_step_past_the_end_shows_the_end_and_says_so() {
    let s = HostState::open_at("host-mom-policy", Some(10)).unwrap();
    assert_eq!(s.session().current_index(), 10);
    assert_eq!(s.notice, None);
    let s = HostState::open_at("host-mom-policy", Some(u64::MAX)).unwrap();
    assert_eq!(s.session().current_index(), s.session().event_count());
    assert!(s.notice.is_some());
}

#[test]
fn an_unknown_preset_opens_the_default_and_says_so() {
    let s = HostState::open("no-such").unwrap();
    assert_eq!(s.preset, DEFAULT_HOST_PRESET);
    assert!(s.notice.as_deref().unwrap().contains("no-such"));
}

#[test]
fn seek_back_step_and_select_move_the_shown_host_and_bad_input_is_refused() {
    let s = HostState::open("host-give-by-hand").unwrap();
    let end = s.session().event_count();
    let s = reduce(s, HostAction::Seek(0));
    assert_eq!(s.session().current_index(), 0);
    let s = reduce(s, HostAction::Step(StepSize::Op));
    assert_eq!(s.session().current_index(), 1);
    assert_eq!(
        s.session().event_count(),
        end,
        "stepping in the past replays it"
    );
    let s = reduce(s, HostAction::Back);
    assert_eq!(s.session().current_index(), 0);
    let s = reduce(s, HostAction::Seek(end + 5));
    assert!(s.notice.is_some(), "past the end is said");
    assert_eq!(s.session().current_index(), 0, "and changes nothing");
    let s = reduce(s, HostAction::Select(1));
    assert_eq!(s.selected, 1);
    let s = reduce(s, HostAction::Select(9));
    assert_eq!(s.selected, 1, "no such VM: selection kept");
}

/// Play frames replay the recording from event 0 to its end, then run the host on; a
/// quiet host with nothing due stops play and says so.
#[test]
fn play_frames_replay_then_run_and_stop_when_nothing_is_left() {
    let s = HostState::open("host-give-by-hand").unwrap();
    let (end, hash) = (s.session().event_count(), s.session().trace_hash());
    let mut s = reduce(s, HostAction::Seek(0));
    s = reduce(s, HostAction::TogglePlay);
    assert!(s.playing);
    let frame = |events| {
        HostAction::Frame(PlayFrame::Events {
            events,
            deadline_ms: f64::INFINITY,
        })
    };
    while s.session().current_index() < end {
        let left = end - s.session().current_index();
        s = reduce(s, frame(left.min(1000)));
    }
    assert_eq!(s.session().event_count(), end, "replay forks nothing");
    assert_eq!(s.session().trace_hash(), hash);
    // At the end play runs the host on (its stats polls keep it going).
    s = reduce(s, frame(50));
    assert!(s.playing);
    assert!(s.session().event_count() > end);
    // A host with nothing scheduled: play stops at once and says why.
    let text = "host ram 2G\n-name a -m 256M -device virtio-balloon\nrun\n";
    let (quiet, _) = HostSession::from_script(text).unwrap();
    let mut q = HostState::with_session(quiet, "");
    q = reduce(q, HostAction::SetPlaying(true));
    assert!(!q.playing && q.notice.is_some(), "{:?}", q.notice);
}

/// The console: a good line acts and its reply is printed under the VM's name; a bad one
/// prints the parser's error and changes nothing; acting in the past asks first, reading
/// does not.
#[test]
fn console_lines_act_refuse_and_ask_before_forking() {
    let s = HostState::open("host-three-vms").unwrap();
    let end = s.session().event_count();
    let s = reduce(s, HostAction::Console("@db balloon 2048".into()));
    assert!(s.session().event_count() > end);
    let s = reduce(s, HostAction::Console("@db info balloon".into()));
    let last = s.console.last().unwrap();
    assert_eq!(last.kind, LineKind::Reply);
    assert!(
        last.text.starts_with("[db] balloon: actual="),
        "{}",
        last.text
    );
    let (count, hash) = (s.session().event_count(), s.session().trace_hash());
    let s = reduce(s, HostAction::Console("@nobody balloon 1".into()));
    let last = s.console.last().unwrap();
    assert_eq!(last.kind, LineKind::Error);
    assert!(last.text.contains("no VM named"), "{}", last.text);
    assert_eq!(
        (s.session().event_count(), s.session().trace_hash()),
        (count, hash)
    );
    let s = reduce(s, HostAction::Seek(10));
    let s = reduce(s, HostAction::Console("@web info balloon".into()));
    assert_eq!(s.pending_fork, None, "reading asks nothing");
    assert_eq!(s.session().event_count(), count, "and keeps the future");
    let s = reduce(s, HostAction::Console("@web balloon 1024".into()));
    assert!(s.fork_question().unwrap().contains("event 10 of"));
    let s = reduce(s, HostAction::CancelFork);
    assert_eq!(
        (s.pending_fork.clone(), s.session().event_count()),
        (None, count)
    );
    let s = reduce(s, HostAction::Console("@web balloon 1024".into()));
    let s = reduce(s, HostAction::ConfirmFork);
    assert_eq!(s.session().event_count(), s.session().current_index());
    assert!(s.session().event_count() < count, "the future was replaced");
}

/// The shared controls' actions mean the host's; the ones a host has no use for are none.
#[test]
fn the_shared_components_actions_map_to_the_hosts() {
    assert_eq!(
        HostAction::from_page(Action::StepMessage),
        Some(HostAction::Step(StepSize::Message))
    );
    assert_eq!(
        HostAction::from_page(Action::Console("run".into())),
        Some(HostAction::Console("run".into()))
    );
    assert_eq!(HostAction::from_page(Action::ApplyTarget(1)), None);
}

/// Reset starts the same host and VMs afresh: no event yet, every VM running, the console
/// says so, and the link of the reset scene is the script's header alone.
#[test]
fn reset_starts_the_same_host_afresh() {
    let s = HostState::open("host-overcommit-oom").unwrap();
    let names = s.session().names().to_vec();
    let s = reduce(s, HostAction::from_page(Action::Reset).unwrap());
    assert_eq!(s.session().event_count(), 0);
    assert_eq!(s.session().names(), names.as_slice());
    assert!(
        s.session()
            .host()
            .vms()
            .iter()
            .all(|v| v.state().as_str() == "running")
    );
    assert_eq!(s.console.last().unwrap().kind, LineKind::Note);
    assert_eq!(
        s.session().timeline_script(),
        s.session().header_script(),
        "nothing happened yet"
    );
}

#[test]
fn run_to_end_on_a_vm_that_never_goes_quiet_stops_at_the_budget_and_says_so() {
    let s = HostState::open("host-give-by-hand").unwrap();
    s.session.borrow_mut().set_budget(3_000);
    // Two stats buffers in flight ping-pong forever (QEMU's virtio_balloon_receive_stats).
    let name = s.session().names()[0].clone();
    let s = reduce(
        s,
        HostAction::Console(format!("@{name} fault svq second-buffer")),
    );
    let before = s.session().event_count();
    let s = reduce(s, HostAction::Step(StepSize::UntilQuiet));
    assert_eq!(s.session().event_count(), before + 3_000);
    let n = s.notice.as_deref().unwrap_or("");
    assert!(n.contains("`run` stopped after 3000 events"), "{n}");
}
