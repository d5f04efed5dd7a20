//! The page's two uses of share links (`balloon_sim::share`, format v=1), with errors as the
//! text the page shows.

use balloon_sim::Session;
use balloon_sim::share::{self, ShareState};

/// The fragment (without `#`) that reopens `session` at its current event.
pub fn fragment(session: &Session) -> String {
    share::encode(&ShareState::of(session))
}

/// The session a fragment describes, at its step, or the message that says why not.
pub fn session_from_fragment(fragment: &str) -> Result<Session, String> {
    share::open(fragment).map_err(|e| e.to_string())
}
