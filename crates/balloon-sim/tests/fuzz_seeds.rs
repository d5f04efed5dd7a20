//! The fuzzers' seed corpus (`fuzz/corpus/{command,share}`), built from the presets and a few
//! hand-written edge cases. Every seed is checked here (it parses, or fails the way it says);
//! with `FUZZ_CORPUS_DIR` set (`cargo xtask fuzz` sets it) the seeds are also written there.
#![cfg(not(target_arch = "wasm32"))]

use balloon_sim::command::parse_script;
use balloon_sim::presets::PRESETS;
use balloon_sim::share::{self, ShareState, Source};

/// Seeds for `fuzz_targets/command.rs`: one op byte (even: whole script, odd: console), then
/// the text.
fn command_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for p in PRESETS {
        parse_script(p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        seeds.push((
            format!("script-{}", p.name),
            [b"\0", p.text.as_bytes()].concat(),
        ));
        // The same lines typed into the console: everything after the machine line.
        let console: String = p
            .text
            .lines()
            .filter(|l| !l.trim_start().starts_with('-'))
            .map(|l| format!("{l}\n"))
            .collect();
        seeds.push((
            format!("console-{}", p.name),
            [b"\x01", console.as_bytes()].concat(),
        ));
    }
    for (name, text, ok) in [
        (
            "nested-json",
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
            false,
        ),
        (
            "huge-number",
            "balloon 99999999999999999999999999".to_owned(),
            true,
        ),
        (
            "qmp-huge-value",
            r#"{"execute": "balloon", "arguments": {"value": 1e400}}"#.to_owned(),
            false,
        ),
        (
            "comment-in-string",
            r##"{"execute": "qom-get", "arguments": {"path": "a#b", "property": "guest-stats"}}"##
                .to_owned(),
            true,
        ),
        (
            "units",
            "guest alloc 1536M\nrun 250ms\nstep message 3\n".to_owned(),
            true,
        ),
    ] {
        assert_eq!(parse_script(&text).is_ok(), ok, "{name}: {text}");
        seeds.push((format!("edge-{name}"), [b"\0", text.as_bytes()].concat()));
    }
    seeds
}

/// Seeds for `fuzz_targets/share.rs`: fragments as the share button writes them, and the
/// foreign and future ones a browser may hand the page.
fn share_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (i, p) in PRESETS.iter().enumerate() {
        for source in [
            Source::Script(p.text.to_owned()),
            Source::Preset(p.name.to_owned()),
        ] {
            let state = ShareState {
                source,
                step: 17 * i as u64,
            };
            let fragment = share::encode(&state);
            assert_eq!(share::decode(&fragment), Ok(state));
            let kind = if fragment.contains("script=") {
                "script"
            } else {
                "preset"
            };
            seeds.push((format!("{kind}-{}", p.name), fragment.into_bytes()));
        }
    }
    for (name, fragment) in [
        ("future", "v=2&step=1&script=AA"),
        ("anchor", "#section-2"),
        ("both", "v=1&script=AA&preset=deflate"),
        ("bad-step", "v=1&step=18446744073709551616&preset=deflate"),
    ] {
        assert!(share::decode(fragment).is_err(), "{name}");
        seeds.push((format!("edge-{name}"), fragment.as_bytes().to_vec()));
    }
    seeds
}

#[test]
fn seed_corpus_is_valid_and_written_on_request() {
    let targets = [("command", command_seeds()), ("share", share_seeds())];
    for (target, seeds) in &targets {
        assert!(seeds.len() > 2 * PRESETS.len(), "{target}");
    }
    let Some(dir) = std::env::var_os("FUZZ_CORPUS_DIR") else {
        return;
    };
    for (target, seeds) in targets {
        let dir = std::path::Path::new(&dir).join(target);
        std::fs::create_dir_all(&dir).expect("create the corpus folder");
        for (name, bytes) in seeds {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
        }
    }
}
