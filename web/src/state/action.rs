//! What the operator can do, and the console's lines.

/// What the operator can do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// One ring operation (one trace event).
    StepOp,
    /// To the end of one message round trip.
    StepMessage,
    /// One event back.
    StepBack,
    /// Back to the end of the previous message round trip.
    StepBackMessage,
    /// Until no work is left.
    RunToQuiet,
    /// A freshly booted machine of the same configuration.
    Reset,
    /// Sets the guest's target size (QMP `balloon`, in bytes); the steps are up to the operator.
    ApplyTarget(u64),
    /// Shows the state after this many events (the timeline).
    Seek(u64),
    /// Starts playing.
    Play,
    /// Stops playing.
    Pause,
    /// Play or pause.
    TogglePlay,
    /// Play speed in events per second.
    SetSpeed(f64),
    /// Play in virtual time at this fraction of real time, or (`None`) by events per second.
    SetRealTime(Option<f64>),
    /// One animation frame of real-time play: the play clock moves `ns` of virtual time and
    /// every event due by then runs, stepping until `deadline_ms`.
    AdvanceTime {
        /// Virtual ns the frame adds to the play clock.
        ns: u64,
        /// When the frame's stepping budget runs out.
        deadline_ms: f64,
    },
    /// One animation frame of play: at most `events` events, stepping until `deadline_ms`
    /// ([`clock::now_ms`]).
    Advance {
        /// Events due at the play speed.
        events: u64,
        /// When the frame's stepping budget runs out.
        deadline_ms: f64,
    },
    /// Console input: one line, several, or a whole script (with a machine line).
    Console(String),
    /// A shipped preset, by name: says "loading" first, since a big guest takes seconds.
    LoadPreset(String),
    /// Runs a slice (a few tens of ms) of the preset that `LoadPreset` announced; the page
    /// paints the progress between slices, and the last one shows the session.
    FinishLoad,
    /// An imported script file.
    Import(String),
    /// A share link (URL fragment) opened while the page was open.
    OpenLink(String),
    /// A message for the notice bar (e.g. a file that could not be read).
    Notify(String),
    /// Hides the notice bar.
    DismissNotice,
    /// Shows or hides the keyboard help overlay.
    SetHelp(bool),
    /// Flips the keyboard help overlay.
    ToggleHelp,
    /// Runs the input that waited in [`AppState::pending_fork`], dropping the future.
    ConfirmFork,
    /// Drops the input that waited in [`AppState::pending_fork`], keeping the future.
    CancelFork,
}

/// The kind of a console line, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// What the operator typed.
    Input,
    /// What the monitor printed.
    Reply,
    /// A line that did not parse, or an import that failed.
    Error,
    /// The playground's own remark (a preset loaded, a script imported).
    Note,
}

/// Appends a line to a console's output, dropping the oldest past `max` lines (a page's
/// console keeps [`crate::state::CONSOLE_LINES`]).
pub fn push_line(
    console: &mut std::rc::Rc<Vec<ConsoleLine>>,
    max: usize,
    kind: LineKind,
    text: String,
) {
    let lines = std::rc::Rc::make_mut(console);
    lines.push(ConsoleLine { kind, text });
    if lines.len() > max {
        let extra = lines.len() - max;
        lines.drain(..extra);
    }
}

/// One line of console output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleLine {
    /// Its kind.
    pub kind: LineKind,
    /// The text as printed.
    pub text: String,
}

/// A page's own action for what the shared controls, console and shortcuts ask
/// ([`Action`]); `None` when the page has no such thing.
pub trait PageAction: Sized {
    /// This page's action for `a`.
    fn from_page(a: Action) -> Option<Self>;
}

impl PageAction for Action {
    fn from_page(a: Action) -> Option<Self> {
        Some(a)
    }
}
