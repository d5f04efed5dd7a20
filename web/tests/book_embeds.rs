//! Every playground the book embeds (`docs/src/*.md`) opens without a problem: its query and
//! share fragment parse, its preset or script runs, and the frame it names exists in that run.
//! A chapter whose preset changed length would otherwise show a clamped frame and a warning.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use balloon_web::compare::{self, state::CompareState};
use balloon_web::embed::options;
use balloon_web::embed::state::EmbedState;
use balloon_web::host::state::HostState;

fn chapters() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| !p.ends_with("SUMMARY.md"))
        .collect();
    files.sort();
    files
}

/// The `src` of every embed frame in a chapter: `play/index.html?QUERY#FRAGMENT`.
fn embeds(text: &str) -> Vec<(String, String)> {
    text.split("src=\"play/index.html?")
        .skip(1)
        .map(|rest| {
            let url = &rest[..rest.find('"').expect("a closing quote")];
            let (query, fragment) = url.split_once('#').unwrap_or((url, ""));
            (query.to_owned(), fragment.to_owned())
        })
        .collect()
}

fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[test]
fn every_chapter_embeds_a_playground_that_opens_cleanly() {
    let files = chapters();
    assert!(files.len() >= 11, "{files:?}");
    let mut total = 0;
    let mut compares = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let found = embeds(&text);
        let mounts = text.matches("mount(document.getElementById").count();
        assert!(
            !found.is_empty() || mounts > 0,
            "{name} has no embedded playground"
        );
        for (query, fragment) in found {
            assert!(
                options::wants_embed(query_value(&query, "embed")),
                "{name}: {query}"
            );
            if let Some(sides) = query_value(&query, "compare") {
                // The compare view: both sides and the preset read cleanly, the step is in
                // the lockstep timeline, and nothing is left to complain of.
                let link = compare::link::parse(
                    Some(sides),
                    query_value(&query, "preset"),
                    query_value(&query, "step"),
                );
                assert!(link.problems.is_empty(), "{name}: {:?}", link.problems);
                let step = link.step;
                let s = CompareState::open(link).unwrap();
                assert_eq!(s.notice, None, "{name}: {query}");
                if let Some(k) = step {
                    assert_eq!(s.index, k, "{name}: {query}");
                }
                compares += 1;
                total += 1;
                continue;
            }
            if options::wants_host(query_value(&query, "panels")) {
                // The host view: its preset opens, at its step, with nothing to complain of.
                let preset = query_value(&query, "host").unwrap_or_default();
                let step = query_value(&query, "step").map(|s| s.parse().expect("a step"));
                let s = HostState::open_at(preset, step).unwrap();
                assert_eq!((s.preset, &s.notice), (preset, &None), "{name}: {query}");
                total += 1;
                continue;
            }
            let o = options::parse(
                query_value(&query, "panels"),
                query_value(&query, "controls"),
                &fragment,
            );
            assert!(o.problems.is_empty(), "{name}: {:?}", o.problems);
            let s = EmbedState::new(&o.share);
            assert_eq!(s.app.error, None, "{name}: #{fragment}");
            assert_eq!(s.session().current_index(), o.share.step, "{name}");
            total += 1;
        }
    }
    assert!(total >= 15, "only {total} embeds");
    assert!(
        compares >= 3,
        "the VMM chapter's live comparisons: {compares}"
    );
}
