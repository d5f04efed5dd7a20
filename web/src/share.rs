//! The session as a URL fragment (`balloon_sim::share`, format v=1): the script that rebuilds
//! it and the event index to show.

use balloon_sim::Session;
use balloon_sim::share::{ShareState, Source, decode, encode};

/// The fragment (without `#`) that reopens `session` at its current event. The script is the
/// session's timeline (inputs at their places, scheduler steps counted), so a link made after
/// stepping back and acting reopens that fork, not the lines in the order they were typed.
pub fn fragment(session: &Session) -> String {
    encode(&ShareState {
        source: Source::Script(session.timeline_script()),
        step: session.current_index(),
    })
}

/// The script a link's source stands for: its own text, or the named preset's.
pub fn source_text(source: &Source) -> Result<&str, String> {
    match source {
        Source::Script(text) => Ok(text),
        Source::Preset(name) => balloon_sim::presets::get(name)
            .map(|p| p.text)
            .ok_or_else(|| {
                format!("the link names preset `{name}`, which this playground does not have")
            }),
    }
}

/// The session a fragment describes, at its step. Every way a link can be wrong is a message
/// (for the page to show); nothing here panics.
pub fn session_from_fragment(fragment: &str) -> Result<Session, String> {
    let state = decode(fragment).map_err(|e| e.to_string())?;
    let (mut session, _) = Session::from_script(source_text(&state.source)?)
        .map_err(|e| format!("the link's script does not run: {e}"))?;
    session
        .seek(state.step)
        .map_err(|e| format!("the link asks for event {}, but {e}", state.step))?;
    Ok(session)
}

#[cfg(test)]
mod tests {
    use balloon_sim::StepSize;

    use super::*;

    #[test]
    fn a_fragment_reopens_the_same_frame() {
        let (mut s, _) =
            Session::from_script("-m 1G -device virtio-balloon -seed 3\nrun\nballoon 700\n")
                .unwrap();
        for _ in 0..25 {
            s.step(StepSize::Op);
        }
        s.step(StepSize::Message);
        let frag = fragment(&s);
        let t = session_from_fragment(&frag).unwrap();
        assert_eq!(t.current_index(), s.current_index());
        assert_eq!(t.trace_hash(), s.trace_hash());
        assert_eq!(t.balloon(), s.balloon());
        // Back in time: the frame is the cursor, not the end.
        s.seek(10).unwrap();
        let t = session_from_fragment(&fragment(&s)).unwrap();
        assert_eq!((t.current_index(), t.trace_hash()), (10, s.trace_hash()));
        // A fork (acting after a seek back) reopens as the fork.
        s.seek(30).unwrap();
        s.apply_line("balloon 900").unwrap();
        s.step(StepSize::UntilQuiet);
        let t = session_from_fragment(&fragment(&s)).unwrap();
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
            let msg = session_from_fragment(bad).unwrap_err();
            assert!(!msg.is_empty(), "{bad}");
        }
        let bad_script = encode(&ShareState {
            source: Source::Script("-m 1G\nballon 512\n".into()),
            step: 0,
        });
        let msg = session_from_fragment(&bad_script).unwrap_err();
        assert!(msg.contains("line 2"), "{msg}");
        let preset = session_from_fragment("v=1&step=5&preset=inflate-half").unwrap();
        assert_eq!(preset.current_index(), 5);
    }
}
