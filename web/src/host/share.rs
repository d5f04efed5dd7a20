//! Share links of a host scene: the same fragment as one VM's (`balloon_sim::share`, v=1),
//! whose script is a host script (its timeline: the preset's lines, what was typed at the
//! console and the steps run, as `HostSession::timeline_script` writes them) and whose step
//! is the event shown. The script's kind decides which page a link opens, so the links of
//! one VM open exactly what they opened before.

use balloon_sim::host::{HostSession, is_host_script};
use balloon_sim::share::{self, ShareError, ShareState, Source};

/// The fragment (without `#`) that reopens `session` at its current event.
pub fn fragment(session: &HostSession) -> String {
    share::encode(&ShareState {
        source: Source::Script(session.timeline_script()),
        step: session.current_index(),
    })
}

/// Whether `fragment` is a share link whose script is a host's.
pub fn is_host_fragment(fragment: &str) -> bool {
    link_kind(fragment) == Some(true)
}

/// What a well-formed link holds: `Some(true)` a host scene, `Some(false)` one VM's session;
/// `None` when it is no link or a damaged one (its kind cannot be known).
pub fn link_kind(fragment: &str) -> Option<bool> {
    match share::decode(fragment).ok()?.source {
        Source::Script(text) => Some(is_host_script(&text)),
        Source::Preset(_) => Some(false),
    }
}

/// Whether the fragment is one of ours at all (`v=…`): an anchor is no link.
pub fn is_share_fragment(fragment: &str) -> bool {
    !matches!(share::decode(fragment), Err(ShareError::NotOurs))
}

/// The host scene a fragment describes, at its step, or the message that says why not.
pub fn open(fragment: &str) -> Result<HostSession, String> {
    let state = share::decode(fragment).map_err(|e| e.to_string())?;
    let text = state.source.script().map_err(|e| e.to_string())?;
    if !is_host_script(text) {
        return Err("the link is one VM's session, not a host's".to_owned());
    }
    let (mut session, _) =
        HostSession::from_script(text).map_err(|e| ShareError::Run(e.to_string()).to_string())?;
    session.seek(state.step).map_err(|e| {
        ShareError::Seek {
            step: state.step,
            why: e.to_string(),
        }
        .to_string()
    })?;
    Ok(session)
}
