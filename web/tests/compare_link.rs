//! The compare view's link in a real browser: values as `URLSearchParams` decodes them (a
//! percent-encoded `:` or `,` included), bad values refused one by one with a message, and the
//! view opened from a broken link still running both sides.
#![cfg(target_arch = "wasm32")]

use balloon_web::compare::link::{DEFAULT_PRESET, DEFAULT_SIDES, parse};
use balloon_web::compare::state::CompareState;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn read(query: &str) -> balloon_web::compare::link::CompareLink {
    let q = web_sys::UrlSearchParams::new_with_str(query).unwrap();
    parse(
        q.get("compare").as_deref(),
        q.get("preset").as_deref(),
        q.get("step").as_deref(),
    )
}

#[wasm_bindgen_test]
fn an_encoded_link_reads_as_typed() {
    let l = read(
        "?compare=qemu%3Adeflate-on-oom%3Don%2Cqemu:deflate-on-oom=off&preset=deflate-on-oom&step=7",
    );
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    assert_eq!(
        l.sides,
        ["qemu:deflate-on-oom=on", "qemu:deflate-on-oom=off"]
    );
    assert_eq!((l.preset, l.step), ("deflate-on-oom", Some(7)));
}

#[wasm_bindgen_test]
fn bad_values_are_refused_and_the_rest_kept() {
    // `+` is a space in a query: "qemu+firecracker" is one side with a space, not two.
    let l = read("?compare=qemu+firecracker&preset=deflate");
    assert_eq!(l.sides, DEFAULT_SIDES.map(str::to_owned));
    assert_eq!(l.preset, "deflate", "the good preset is kept");
    assert!(
        l.problems[0].contains("needs two sides"),
        "{:?}",
        l.problems
    );

    let l = read("?compare=crosvm,hyper-v&preset=%3Cscript%3E&step=-3");
    assert_eq!(l.sides, ["crosvm", "firecracker"]);
    assert_eq!((l.preset, l.step), (DEFAULT_PRESET, None));
    assert_eq!(l.problems.len(), 3, "{:?}", l.problems);
    assert!(l.problems[1].contains("hyper-v"));

    let l = read("?compare=qemu:iothread,crosvm");
    assert!(l.problems[0].contains("Side A"), "{:?}", l.problems);
}

#[wasm_bindgen_test]
fn a_broken_link_still_opens_both_sides_and_says_what_was_wrong() {
    let s = CompareState::open(read("?compare=qemu,nope")).unwrap();
    assert!(s.notice.as_deref().unwrap().contains("nope"));
    assert_eq!(s.labels, ["qemu", "firecracker"]);
    assert!(s.session(0).event_count() > 0 && s.session(1).event_count() > 0);
}
