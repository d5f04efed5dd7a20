//! What the current step did, in one plain sentence, with the real function that did it and
//! a link to the VIRTIO spec section that describes it. The sentence is also a polite live
//! region for screen readers, filled while stepping and on pause but not during play (which
//! would read out dozens of sentences a second).

use yew::prelude::*;

/// The VIRTIO 1.2 specification (OASIS committee specification 01), one HTML page.
pub const SPEC_URL: &str =
    "https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html";

/// A link to section `section` of the spec: the page scrolled to the section number by a text
/// fragment (the HTML's own anchors are numbered, not named after the sections).
pub fn spec_link(section: &str) -> String {
    format!("{SPEC_URL}#:~:text={section}")
}

/// What [`explanation_panel`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct ExplanationProps {
    /// Index of the event shown (1-based count of events run), 0 before any.
    pub index: u64,
    /// The event's sentence and function, if any event has run.
    pub event: Option<(String, &'static str)>,
    /// The VIRTIO spec section, when one applies.
    #[prop_or_default]
    pub spec: Option<&'static str>,
    /// When the event happened, in virtual ns.
    #[prop_or_default]
    pub time_ns: Option<u64>,
    /// Whether play is on: then the live region stays quiet until the pause.
    #[prop_or_default]
    pub playing: bool,
}

/// The current event's sentence, function and spec section.
pub fn explanation_panel(props: &ExplanationProps) -> Html {
    let at = props
        .time_ns
        .map(|t| format!(" at t = {}", balloon_sim::clock::format_time(t)))
        .unwrap_or_default();
    let spoken = match (&props.event, props.playing) {
        (Some((sentence, _)), false) => format!("Event {}{at}: {sentence}", props.index),
        _ => String::new(),
    };
    html! {
        <section class="explanation" data-testid="explanation" aria-label="What this step did">
            if let Some((sentence, function)) = &props.event {
                <p class="sentence">{ format!("Event {}{at}: {sentence}", props.index) }</p>
                <p class="refs">
                    // Host bookkeeping (a clock advance) has no function of its own.
                    if !function.is_empty() {
                        <code data-testid="explanation-function">{ format!("{function}()") }</code>
                    }
                    if let Some(spec) = props.spec {
                        { " · " }<a data-testid="explanation-spec" href={spec_link(spec)}
                            target="_blank" rel="noopener">{ format!("VIRTIO spec §{spec}") }</a>
                    }
                </p>
            } else {
                <p>{ "No event yet." }</p>
            }
            <p class="visually-hidden" role="status" aria-live="polite"
                data-testid="explanation-live">{ spoken }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_links_point_at_the_section_number() {
        assert_eq!(spec_link("2.7.14"), format!("{SPEC_URL}#:~:text=2.7.14"));
    }
}
