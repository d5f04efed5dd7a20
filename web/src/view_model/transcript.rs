//! The transcript and the explanation of the current step.

use balloon_sim::Session;

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// 1-based event number (the index the explanation shows).
    pub number: u64,
    /// Virtual time, formatted.
    pub time: String,
    /// Who acted.
    pub actor: &'static str,
    /// The sentence.
    pub sentence: String,
}

/// The last `max` events up to the shown state (cost O(max), whatever the run's length).
pub fn transcript(s: &Session, max: usize) -> Vec<TranscriptLine> {
    let end = usize::try_from(s.current_index()).unwrap_or(usize::MAX);
    s.events()
        .range(end.saturating_sub(max), end)
        .map(|e| TranscriptLine {
            number: e.index + 1,
            time: balloon_sim::clock::format_time(e.time_ns),
            actor: e.actor.label(),
            sentence: e.sentence(),
        })
        .collect()
}

/// The explanation of the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplanationModel {
    /// 1-based event number.
    pub index: u64,
    /// The sentence.
    pub sentence: String,
    /// The QEMU or Linux function.
    pub function: &'static str,
    /// The VIRTIO spec section.
    pub spec: Option<&'static str>,
}

/// The current step in one sentence, with its function and spec section.
pub fn explanation(s: &Session) -> Option<ExplanationModel> {
    s.current_event().map(|e| ExplanationModel {
        index: e.index + 1,
        sentence: e.sentence(),
        function: e.function(),
        spec: e.spec(),
    })
}
