//! Share links: a session as a URL fragment that reopens the exact frame.
//!
//! The fragment is `v=1&step=N&script=B` (script as base64url without padding) or
//! `v=1&step=N&preset=NAME`. The version comes first so a later format can change everything
//! after it; a fragment without `v` is someone else's (an anchor, another app) and is reported
//! as such rather than half-parsed. Decoding only checks the shape: the caller replays the
//! script, which reports its own errors with line and column.
//!
//! Everything here is bounded before it allocates, because the fragment comes from whoever
//! wrote the link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use thiserror::Error;

use crate::Session;

/// The format this build writes and reads.
pub const VERSION: u32 = 1;

/// The longest fragment decoded. Browsers keep far longer URLs, but a playground script is a
/// few hundred bytes; anything this large was not made by the share button.
pub const MAX_FRAGMENT_BYTES: usize = 64 * 1024;

/// Where the session's lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The script itself (machine line and every line applied).
    Script(String),
    /// A shipped preset, by name (see [`crate::presets`]).
    Preset(String),
}

/// What a link carries: the lines and the frame to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareState {
    /// The session's lines.
    pub source: Source,
    /// The event index to seek to once the script has run.
    pub step: u64,
}

/// Why a fragment is not a session.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShareError {
    /// Too long to be a share link.
    #[error("the link is {0} bytes long; a share link is at most {MAX_FRAGMENT_BYTES}")]
    TooLong(usize),
    /// No `v=` field: an anchor or another page's state.
    #[error("the link has no version (v=…), so it is not a Balloon Playground session")]
    NotOurs,
    /// Written by a newer (or unknown) format.
    #[error("the link is format v={0}; this playground reads v={VERSION}")]
    Version(String),
    /// A field this format does not have, or one given twice.
    #[error("the link has an unexpected field `{0}`")]
    Field(String),
    /// Neither `script` nor `preset`, or both.
    #[error("the link must carry exactly one of script=… or preset=…")]
    Source,
    /// `step` is not a whole number that fits in 64 bits.
    #[error("step `{0}` is not a whole number of events")]
    Step(String),
    /// The script is not base64url, or not UTF-8 once decoded.
    #[error("the script in the link is damaged: {0}")]
    Script(String),
    /// A preset name with characters no preset has.
    #[error("`{0}` is not a preset name")]
    Preset(String),
    /// A well-formed preset name this build does not ship.
    #[error("the link names preset `{0}`, which this playground does not have")]
    UnknownPreset(String),
    /// The link's script does not run (its line and column).
    #[error("the link's script does not run: {0}")]
    Run(String),
    /// The link asks for an event the script never reaches.
    #[error("the link asks for event {step}, but {why}")]
    Seek {
        /// The event index asked for.
        step: u64,
        /// Why the timeline cannot show it.
        why: String,
    },
}

impl Source {
    /// The script this source stands for: its own text, or the named preset's.
    pub fn script(&self) -> Result<&str, ShareError> {
        match self {
            Source::Script(text) => Ok(text),
            Source::Preset(name) => crate::presets::get(name)
                .map(|p| p.text)
                .ok_or_else(|| ShareError::UnknownPreset(clip(name))),
        }
    }
}

impl ShareState {
    /// The link that reopens `session` at its current event. The script is the session's
    /// timeline (inputs at their places, scheduler steps counted), so a link made after
    /// stepping back and acting reopens that fork, not the lines in the order they were typed.
    pub fn of(session: &Session) -> Self {
        ShareState {
            source: Source::Script(session.timeline_script()),
            step: session.current_index(),
        }
    }

    /// Replays the link's script and seeks to its step.
    pub fn open(&self) -> Result<Session, ShareError> {
        let (mut session, _) = Session::from_script(self.source.script()?)
            .map_err(|e| ShareError::Run(e.to_string()))?;
        session.seek(self.step).map_err(|e| ShareError::Seek {
            step: self.step,
            why: e.to_string(),
        })?;
        Ok(session)
    }
}

/// The session a fragment (with or without `#`) describes, at its step. Every way a link can
/// be wrong is a [`ShareError`]; nothing here panics.
pub fn open(fragment: &str) -> Result<Session, ShareError> {
    decode(fragment)?.open()
}

/// The fragment (without `#`) for a session.
pub fn encode(state: &ShareState) -> String {
    let source = match &state.source {
        Source::Script(text) => format!("script={}", URL_SAFE_NO_PAD.encode(text.as_bytes())),
        Source::Preset(name) => format!("preset={name}"),
    };
    format!("v={VERSION}&step={}&{source}", state.step)
}

/// The session a fragment (with or without the leading `#`) describes.
pub fn decode(fragment: &str) -> Result<ShareState, ShareError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.len() > MAX_FRAGMENT_BYTES {
        return Err(ShareError::TooLong(fragment.len()));
    }
    let mut fields = fragment
        .split('&')
        .map(|f| f.split_once('=').unwrap_or((f, "")));
    match fields.next() {
        Some(("v", v)) if v == VERSION.to_string() => {}
        Some(("v", v)) => return Err(ShareError::Version(clip(v))),
        _ => return Err(ShareError::NotOurs),
    }
    let (mut step, mut script, mut preset) = (None, None, None);
    for (key, value) in fields {
        let slot = match key {
            "step" => &mut step,
            "script" => &mut script,
            "preset" => &mut preset,
            _ => return Err(ShareError::Field(clip(key))),
        };
        if slot.replace(value).is_some() {
            return Err(ShareError::Field(clip(key)));
        }
    }
    let step = match step {
        None => 0,
        Some(s) => s.parse().map_err(|_| ShareError::Step(clip(s)))?,
    };
    let source = match (script, preset) {
        (Some(b64), None) => Source::Script(decode_script(b64)?),
        (None, Some(name)) if is_preset_name(name) => Source::Preset(name.to_owned()),
        (None, Some(name)) => return Err(ShareError::Preset(clip(name))),
        _ => return Err(ShareError::Source),
    };
    Ok(ShareState { source, step })
}

fn decode_script(b64: &str) -> Result<String, ShareError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|e| ShareError::Script(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| ShareError::Script(e.to_string()))
}

fn is_preset_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Echoes at most a few dozen characters of the offending text back in messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::StepSize;

    #[test]
    fn a_fragment_reopens_the_same_frame() {
        let (mut s, _) =
            Session::from_script("-m 1G -device virtio-balloon -seed 3\nrun\nballoon 700\n")
                .unwrap();
        for _ in 0..25 {
            s.step(StepSize::Op);
        }
        s.step(StepSize::Message);
        let frag = encode(&ShareState::of(&s));
        let t = open(&frag).unwrap();
        assert_eq!(t.current_index(), s.current_index());
        assert_eq!(t.trace_hash(), s.trace_hash());
        assert_eq!(t.balloon(), s.balloon());
        // Back in time: the frame is the cursor, not the end.
        s.seek(10).unwrap();
        let t = open(&encode(&ShareState::of(&s))).unwrap();
        assert_eq!((t.current_index(), t.trace_hash()), (10, s.trace_hash()));
        // A fork (acting after a seek back) reopens as the fork.
        s.seek(30).unwrap();
        s.apply_line("balloon 900").unwrap();
        s.step(StepSize::UntilQuiet);
        let t = open(&encode(&ShareState::of(&s))).unwrap();
        assert_eq!(t.trace_hash(), s.trace_hash());
        assert_eq!(t.event_count(), s.event_count());
    }

    #[test]
    fn broken_links_are_messages() {
        for bad in [
            "#section-2",
            "v=9&step=0&preset=inflate-half",
            "v=1&step=0&preset=nope",
            "v=1&step=99999999&preset=inflate-half",
            "v=1&step=0&script=***",
        ] {
            let msg = open(bad).unwrap_err().to_string();
            assert!(!msg.is_empty(), "{bad}");
        }
        let bad_script = encode(&ShareState {
            source: Source::Script("-m 1G\nballon 512\n".into()),
            step: 0,
        });
        let msg = open(&bad_script).unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
        let preset = open("v=1&step=5&preset=inflate-half").unwrap();
        assert_eq!(preset.current_index(), 5);
    }

    use super::*;

    fn script(text: &str, step: u64) -> ShareState {
        ShareState {
            source: Source::Script(text.to_owned()),
            step,
        }
    }

    #[test]
    fn round_trips_scripts_and_presets() {
        for s in [
            script(
                "-m 1G -device virtio-balloon -seed 7\nballoon 512\nrun\n",
                1234,
            ),
            script("", 0),
            script("guest alloc 10M # ünïcödé ✓\n", u64::MAX),
            ShareState {
                source: Source::Preset("deflate-on-oom".into()),
                step: 42,
            },
        ] {
            let fragment = encode(&s);
            assert!(fragment.starts_with("v=1&"), "{fragment}");
            assert!(
                fragment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_=&".contains(&b)),
                "not URL-safe: {fragment}"
            );
            assert_eq!(decode(&fragment).as_ref(), Ok(&s));
            assert_eq!(decode(&format!("#{fragment}")), Ok(s));
        }
    }

    #[test]
    fn foreign_and_future_links_are_named_as_such() {
        assert_eq!(decode(""), Err(ShareError::NotOurs));
        assert_eq!(decode("#section-2"), Err(ShareError::NotOurs));
        assert_eq!(decode("step=1&v=1&preset=x"), Err(ShareError::NotOurs));
        assert_eq!(
            decode("v=2&step=1&script=AA"),
            Err(ShareError::Version("2".into()))
        );
        let msg = decode("v=2").unwrap_err().to_string();
        assert!(msg.contains("v=2") && msg.contains("v=1"), "{msg}");
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let cases = [
            ("v=1&step=1", ShareError::Source),
            ("v=1&script=AA&preset=x", ShareError::Source),
            ("v=1&step=-1&preset=x", ShareError::Step("-1".into())),
            (
                "v=1&step=99999999999999999999999&preset=x",
                ShareError::Step("99999999999999999999999".into()),
            ),
            (
                "v=1&step=1&step=2&preset=x",
                ShareError::Field("step".into()),
            ),
            (
                "v=1&colour=red&preset=x",
                ShareError::Field("colour".into()),
            ),
            ("v=1&preset=../etc", ShareError::Preset("../etc".into())),
        ];
        for (fragment, want) in cases {
            assert_eq!(decode(fragment), Err(want), "{fragment}");
        }
        assert!(matches!(
            decode("v=1&script=***"),
            Err(ShareError::Script(_))
        ));
        // Valid base64 of bytes that are not UTF-8.
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]);
        assert!(matches!(
            decode(&format!("v=1&script={not_utf8}")),
            Err(ShareError::Script(_))
        ));
    }

    #[test]
    fn oversized_links_are_refused_before_decoding() {
        let huge = format!("v=1&script={}", "A".repeat(100 * 1024));
        assert_eq!(decode(&huge), Err(ShareError::TooLong(huge.len())));
        // Messages echo a bounded slice of what they were given.
        let long_field = format!("v=1&{}=1", "x".repeat(10_000));
        assert!(decode(&long_field).unwrap_err().to_string().len() < 200);
    }
}
