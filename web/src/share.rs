//! The session as a URL fragment (`balloon_sim::share`, format v=1): the script that rebuilds
//! it and the event index to show.

use balloon_sim::Session;
use balloon_sim::share::{ShareState, Source, decode, encode};

/// Most events one `step N` line may ask for (the command language's limit).
const MAX_STEP_COUNT: u64 = 1_000_000;

/// The fragment (without `#`) that reopens `session` at its current event.
pub fn fragment(session: &Session) -> String {
    encode(&ShareState {
        source: Source::Script(compact_script(&session.script_text())),
        step: session.current_index(),
    })
}

/// The script with each run of consecutive `step` / `step N` lines merged into `step N` lines:
/// playing at the end of the timeline adds one `step` line per event, and a link must stay short.
/// `step A` then `step B` is the same as `step A+B` (both stop early only once nothing is left).
pub fn compact_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut pending: u64 = 0;
    let flush = |out: &mut String, pending: &mut u64| {
        while *pending > 0 {
            let n = (*pending).min(MAX_STEP_COUNT);
            if n == 1 {
                out.push_str("step\n");
            } else {
                out.push_str(&format!("step {n}\n"));
            }
            *pending -= n;
        }
    };
    for line in text.lines() {
        match step_count(line) {
            Some(n) => pending += n,
            None => {
                flush(&mut out, &mut pending);
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// `Some(N)` for `step` and `step N` (not `step message`).
fn step_count(line: &str) -> Option<u64> {
    let mut words = line.split_whitespace();
    if words.next() != Some("step") {
        return None;
    }
    match (words.next(), words.next()) {
        (None, _) => Some(1),
        (Some(n), None) => n.parse().ok().filter(|n| *n > 0),
        _ => None,
    }
}

/// The session a fragment describes, at its step. Every way a link can be wrong is a message
/// (for the page to show); nothing here panics.
pub fn session_from_fragment(fragment: &str) -> Result<Session, String> {
    let state = decode(fragment).map_err(|e| e.to_string())?;
    let script = match &state.source {
        Source::Script(text) => text.clone(),
        Source::Preset(name) => balloon_sim::presets::get(name)
            .map(|p| p.text.to_owned())
            .ok_or_else(|| {
                format!("the link names preset `{name}`, which this playground does not have")
            })?,
    };
    let (mut session, _) = Session::from_script(&script)
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
    fn compact_script_merges_step_runs_only() {
        let text = "-m 1G\nrun\nstep\nstep\nstep 3\nstep message\nstep\nballoon 512\n";
        assert_eq!(
            compact_script(text),
            "-m 1G\nrun\nstep 5\nstep message\nstep\nballoon 512\n"
        );
        let many = "step\n".repeat(2_500_000);
        assert_eq!(
            compact_script(&many),
            "step 1000000\nstep 1000000\nstep 500000\n"
        );
    }

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
