//! The share-URL decoder on arbitrary fragments (they come from whoever wrote the link).
//!
//! Properties: no panic; whatever decodes re-encodes to a fragment that decodes to the same
//! state; a decoded script goes through the parser without panicking.
#![no_main]

use balloon_sim::command::parse_script;
use balloon_sim::share::{MAX_FRAGMENT_BYTES, ShareError, Source, decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(fragment) = std::str::from_utf8(data) else {
        return;
    };
    match decode(fragment) {
        Ok(state) => {
            let again = encode(&state);
            assert_eq!(decode(&again).as_ref(), Ok(&state), "{again}");
            if let Source::Script(text) = &state.source {
                assert!(text.len() <= MAX_FRAGMENT_BYTES);
                let _ = parse_script(text);
            }
        }
        Err(e) => {
            // Messages echo a bounded part of the input, whatever its size.
            assert!(e.to_string().len() < 400, "{e}");
            if fragment.trim_start_matches('#').len() > MAX_FRAGMENT_BYTES {
                assert!(matches!(e, ShareError::TooLong(_)));
            }
        }
    }
});
