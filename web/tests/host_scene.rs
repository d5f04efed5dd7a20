//! The host page's scene in a real browser: console lines typed into the mounted page (good
//! ones act and answer per VM, bad ones print the parser's error and change nothing), and share
//! links of host scenes: generated from typed lines and steps, they reopen the same event and
//! trace; mutated, they are refused with a message and the scene shown is kept, or (when the
//! mutation still makes a valid link) they open a scene whose own link reopens it the same.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use balloon_sim::StepSize;
use balloon_web::host::share;
use balloon_web::host::state::{HostAction, HostState};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Element;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::{click, text, type_into};

fn reduce(s: HostState, a: HostAction) -> HostState {
    (*Rc::new(s).reduce(a)).clone()
}

/// Three small VMs (the shipped presets' 8 GiB guests take too long in a debug wasm build):
/// idle wrote and freed memory its process still holds, db and web have room to grow.
const HOST: &str = "host ram 2G\nhost own 128M\n\
    -name idle -m 1G -device virtio-balloon,guest-stats-polling-interval=5\n\
    -name db -m 512M -device virtio-balloon,guest-stats-polling-interval=5\n\
    -name web -m 256M -device virtio-balloon,guest-stats-polling-interval=5\n\
    run 1s\n@idle guest alloc 512M\nrun 1s\n@idle guest free 512M\nrun 1s\n";

/// The scene of a host script at its end, opened as its share link opens it.
fn open(text: &str) -> HostState {
    let (session, _) = balloon_sim::host::HostSession::from_script(text).unwrap();
    let link = balloon_sim::share::encode(&balloon_sim::share::ShareState {
        source: balloon_sim::share::Source::Script(text.to_owned()),
        step: session.event_count(),
    });
    let s = HostState::from_location("", None, &link).unwrap();
    assert_eq!(s.notice, None, "{link}");
    s
}

/// A small deterministic generator (64-bit LCG, Knuth's MMIX constants): the same scenes in
/// every browser, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What an operator does on the host page: console lines (good and bad), steps, seeks.
fn scene(seed: u64) -> HostState {
    const LINES: [&str; 9] = [
        "@db balloon 256",
        "@web guest alloc 64M",
        "@idle balloon 512",
        "@db info balloon",
        "host policy mom 2s",
        "host policy off",
        "run 1s",
        "@nobody balloon 5",
        "host ram 4G",
    ];
    let mut g = Lcg(seed);
    let mut s = open(HOST);
    for _ in 0..6 {
        let a = match g.next(5) {
            0 | 1 => HostAction::Console(LINES[g.next(LINES.len() as u64) as usize].into()),
            2 => HostAction::Step(StepSize::Message),
            3 => HostAction::Step(StepSize::For(500_000_000)),
            _ => {
                let n = s.session().event_count();
                HostAction::Seek(g.next(n + 1))
            }
        };
        s = reduce(s, a);
        if s.pending_fork.is_some() {
            s = reduce(s, HostAction::ConfirmFork);
        }
    }
    s
}

#[wasm_bindgen_test]
async fn generated_host_links_reopen_the_same_event_and_trace() {
    for seed in 0..6 {
        dom::sleep_ms(0).await; // the browser runs its event loop between long cases
        let s = scene(seed);
        let link = s.fragment();
        assert!(share::is_host_fragment(&link), "{seed}: {link}");
        let t = HostState::from_location("", None, &link).unwrap();
        assert_eq!(t.notice, None, "{seed}");
        let (a, b) = (s.session(), t.session());
        assert_eq!(
            (b.current_index(), b.event_count(), b.trace_hash()),
            (a.current_index(), a.event_count(), a.trace_hash()),
            "{seed}: {link}"
        );
    }
}

/// Every way of damaging a link: refused with a message and the preset shown instead (the
/// page keeps the link in the address bar), or still a valid scene that reopens as itself.
#[wasm_bindgen_test]
async fn mutated_host_links_are_refused_or_round_trip() {
    let s = scene(3);
    let link = s.fragment();
    let (head, script) = link.split_once("&script=").unwrap();
    let mut g = Lcg(99);
    let mut mutants = vec![
        link.replace("v=1", "v=2"),
        link.replace("v=1&", ""),
        format!("{head}&script={}", &script[..script.len() / 2]),
        format!("v=1&step=999999999&script={script}"),
        format!("{link}&extra=1"),
        format!("{head}&script=***"),
        // One VM's link is not a host scene.
        "v=1&step=3&preset=inflate-half".to_owned(),
    ];
    for _ in 0..12 {
        let mut bytes = link.clone().into_bytes();
        let i = g.next(bytes.len() as u64) as usize;
        bytes[i] = b"AZaz09-_=&"[g.next(10) as usize];
        mutants.push(String::from_utf8(bytes).unwrap());
    }
    let (mut refused, mut opened) = (0, 0);
    for m in &mutants {
        dom::sleep_ms(0).await;
        match share::open(m) {
            Err(msg) => {
                refused += 1;
                assert!(!msg.is_empty());
                // A link pasted into an open page keeps the scene shown.
                let before = (s.session().current_index(), s.session().trace_hash());
                let kept = reduce(s.clone(), HostAction::OpenLink(m.clone()));
                assert!(kept.notice.is_some(), "{m}");
                assert_eq!(
                    (kept.session().current_index(), kept.session().trace_hash()),
                    before
                );
            }
            Ok(t) => {
                opened += 1;
                let again = share::open(&share::fragment(&t)).unwrap();
                assert_eq!(
                    (again.current_index(), again.trace_hash()),
                    (t.current_index(), t.trace_hash()),
                    "{m}"
                );
            }
        }
    }
    assert!(refused >= 7, "{refused} refused, {opened} opened");
    // A page opened on a refused link says why over the preset it shows instead.
    dom::sleep_ms(0).await;
    let page = HostState::from_location("host-give-by-hand", None, &mutants[0]).unwrap();
    let notice = page.notice.clone().unwrap_or_default();
    assert!(notice.contains("does not open a host scene"), "{notice}");
    assert_eq!(page.preset, "host-give-by-hand");
}

async fn send(root: &Element, line: &str) {
    type_into(root, "console-input", line).await;
    click(root, "console-send").await;
}

/// The mounted host page, opened from a host link in the address bar: the console's good
/// line answers under its VM's name and moves the timeline; a bad one says why and moves
/// nothing; the selected VM's config panel shows that VM's num_pages.
#[wasm_bindgen_test]
async fn the_mounted_host_console_acts_refuses_and_the_config_panel_follows() {
    let s = reduce(open(HOST), HostAction::Select(1));
    let link = s.fragment();
    let window = web_sys::window().unwrap();
    let url = format!("{}#{link}", window.location().pathname().unwrap());
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        .unwrap();
    let document = window.document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<balloon_web::host::HostPage>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let position = text(&root, "host-position");
    assert!(
        position.starts_with(&format!("Event {} of", s.session().current_index())),
        "{position}"
    );
    send(&root, "@db ballon 256").await;
    let out = text(&root, "console-output");
    assert!(out.contains("line 1, column"), "{out}");
    assert_eq!(
        text(&root, "host-position"),
        position,
        "a bad line moved the host"
    );
    send(&root, "@db balloon 256").await;
    send(&root, "@db info balloon").await;
    let out = text(&root, "console-output");
    assert!(out.contains("[db] balloon: actual="), "{out}");
    assert_ne!(text(&root, "host-position"), position);
    // db's card (the second): its config space asks the guest for 256 MiB of its 512 MiB,
    // num_pages = 256 MiB / 4 KiB.
    click(&root, "vm-card-db").await;
    assert_eq!(text(&root, "selected-vm"), "VM db");
    assert!(
        text(&root, "config-num_pages").contains("65536"),
        "{}",
        text(&root, "config-num_pages")
    );
    app.destroy();
    root.remove();
}
