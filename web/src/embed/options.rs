//! What an embed shows, read from its URL: the query (`embed=1`, `panels=…`, `controls=0|1`) and
//! the share fragment (`#v=1&step=N&preset=NAME` or `…&script=…`, see `balloon_sim::share`).
//!
//! Parsing is pure (the caller hands in the query values), so it is tested natively. A bad value
//! never stops the embed: it falls back to the default for that one option and says why, so an
//! author sees the mistake in the page instead of a blank frame.

use balloon_sim::command::QueueName;
use balloon_sim::share::{self, ShareState, Source};

/// The preset an embed shows when its link names none.
pub const DEFAULT_PRESET: &str = "inflate-half";

/// Everything one embed needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    /// The session's lines and the event to start at.
    pub share: ShareState,
    /// The rings shown, in order.
    pub panels: Vec<QueueName>,
    /// Whether the byte panel is shown (`panels=…,bytes`).
    pub bytes: bool,
    /// Whether the step buttons are shown.
    pub controls: bool,
    /// What was wrong with the link, one message per bad option.
    pub problems: Vec<String>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            share: ShareState {
                source: Source::Preset(DEFAULT_PRESET.to_owned()),
                step: 0,
            },
            panels: vec![QueueName::Ivq],
            bytes: false,
            controls: true,
            problems: Vec::new(),
        }
    }
}

/// Whether the query's `embed` value asks for the compact embed (`?embed=1`).
pub fn wants_embed(embed: Option<&str>) -> bool {
    matches!(embed, Some("1" | "true"))
}

/// Builds the options from the query values and the fragment (with or without `#`).
pub fn parse(panels: Option<&str>, controls: Option<&str>, fragment: &str) -> EmbedOptions {
    let mut options = EmbedOptions::default();
    if let Some(list) = panels {
        match parse_panels(list) {
            Ok((rings, bytes)) => {
                options.panels = rings;
                options.bytes = bytes;
            }
            Err(e) => options.problems.push(e),
        }
    }
    match controls {
        None | Some("1" | "true") => {}
        Some("0" | "false") => options.controls = false,
        Some(other) => options
            .problems
            .push(format!("controls must be 0 or 1, not \"{}\"", clip(other))),
    }
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if !fragment.is_empty() {
        match share::decode(fragment) {
            Ok(s) => options.share = s,
            Err(e) => options.problems.push(e.to_string()),
        }
    }
    if let Source::Preset(name) = &options.share.source
        && balloon_sim::presets::get(name).is_none()
    {
        options.problems.push(format!(
            "there is no preset \"{name}\"; showing {DEFAULT_PRESET}"
        ));
        options.share.source = Source::Preset(DEFAULT_PRESET.to_owned());
    }
    options
}

/// The host view's name in the `panels` list: an embed of one host and its VMs (`&host=NAME`
/// names the host preset), instead of one VM's rings.
pub const HOST_PANEL: &str = "host";

/// Whether the `panels` list asks for the host view.
pub fn wants_host(panels: Option<&str>) -> bool {
    panels.is_some_and(|l| l.split(',').map(str::trim).any(|n| n == HOST_PANEL))
}

/// The byte panel's name in the `panels` list.
pub const BYTES_PANEL: &str = "bytes";

/// `ivq,dvq,svq,bytes`: Linux queue names and `bytes` (the byte panel), comma-separated, each
/// at most once, at least one: the rings in order, and whether the byte panel is shown.
pub fn parse_panels(list: &str) -> Result<(Vec<QueueName>, bool), String> {
    let mut panels = Vec::new();
    let mut bytes = false;
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == BYTES_PANEL {
            bytes = true;
            continue;
        }
        let queue = QueueName::parse(name).ok_or_else(|| {
            let known: Vec<&str> = QueueName::ALL.iter().map(|q| q.as_str()).collect();
            format!(
                "panels: \"{}\" is not a queue (one of {}) or {BYTES_PANEL}",
                clip(name),
                known.join(", ")
            )
        })?;
        if !panels.contains(&queue) {
            panels.push(queue);
        }
    }
    if panels.is_empty() && !bytes {
        return Err("panels: name at least one queue, e.g. panels=ivq,dvq".to_owned());
    }
    Ok((panels, bytes))
}

/// At most a few dozen characters of what the author wrote, echoed in messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(32) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_view_is_asked_for_by_its_panel_name_only() {
        assert!(wants_host(Some("host")));
        assert!(wants_host(Some("ivq, host")));
        for no in [None, Some("ivq"), Some("hosts"), Some("")] {
            assert!(!wants_host(no), "{no:?}");
        }
    }

    #[test]
    fn embed_is_asked_for_only_by_embed_1() {
        assert!(wants_embed(Some("1")));
        assert!(wants_embed(Some("true")));
        for no in [None, Some("0"), Some(""), Some("yes")] {
            assert!(!wants_embed(no), "{no:?}");
        }
    }

    #[test]
    fn reads_panels_controls_and_the_share_fragment() {
        let o = parse(
            Some("ivq, svq,ivq"),
            Some("0"),
            "#v=1&step=28&preset=deflate",
        );
        assert_eq!(o.panels, [QueueName::Ivq, QueueName::Svq]);
        assert!(!o.controls);
        assert_eq!(o.share.step, 28);
        assert_eq!(o.share.source, Source::Preset("deflate".to_owned()));
        assert!(o.problems.is_empty(), "{:?}", o.problems);
    }

    #[test]
    fn a_script_fragment_round_trips_through_the_share_codec() {
        let state = ShareState {
            source: Source::Script("-m 1G -device virtio-balloon\nrun\n".to_owned()),
            step: 5,
        };
        let o = parse(None, None, &share::encode(&state));
        assert_eq!(o.share, state);
        assert_eq!(o.panels, [QueueName::Ivq]);
        assert!(o.controls);
    }

    #[test]
    fn each_bad_option_falls_back_alone_and_says_why() {
        let o = parse(Some("ivq,rings"), Some("maybe"), "#v=1&step=3&preset=nope");
        assert_eq!(o.panels, [QueueName::Ivq]);
        assert!(o.controls);
        assert_eq!(o.share.source, Source::Preset(DEFAULT_PRESET.to_owned()));
        assert_eq!(o.share.step, 3);
        assert_eq!(o.problems.len(), 3, "{:?}", o.problems);
        assert!(o.problems[0].contains("\"rings\" is not a queue"));
        assert!(o.problems[1].contains("controls must be 0 or 1"));
        assert!(o.problems[2].contains("no preset \"nope\""));

        let o = parse(Some(" , "), None, "#v=2&step=1&preset=deflate");
        assert_eq!(o.problems.len(), 2, "{:?}", o.problems);
        assert_eq!(o.share, EmbedOptions::default().share);
    }

    #[test]
    fn bytes_is_a_panel_alone_or_beside_rings() {
        let o = parse(Some("bytes"), None, "");
        assert!(o.bytes && o.panels.is_empty(), "{o:?}");
        assert!(o.problems.is_empty());
        let o = parse(Some("ivq,bytes,ivq"), None, "");
        assert!(o.bytes);
        assert_eq!(o.panels, [QueueName::Ivq]);
        let o = parse(Some("ivq"), None, "");
        assert!(!o.bytes);
        assert!(parse_panels("byte").unwrap_err().contains("or bytes"));
    }

    #[test]
    fn long_junk_is_clipped_in_messages() {
        let junk = "x".repeat(10_000);
        let o = parse(Some(&junk), Some(&junk), "");
        assert!(o.problems.iter().all(|p| p.len() < 200), "{:?}", o.problems);
    }
}
