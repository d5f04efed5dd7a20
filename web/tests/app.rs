//! Mounts the whole app in a real browser over the real simulation: targets, stepping (and
//! stepping back to the same DOM), the console, keyboard shortcuts and share links.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use balloon_web::state::{Action, AppState};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, SvgGraphicsElement};
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

mod dom;
use dom::{by_test_id, click, text, type_into};

/// Puts `fragment` in the address bar (empty: none) without a `hashchange`.
fn set_hash(fragment: &str) {
    let window = web_sys::window().unwrap();
    let location = window.location();
    let url = format!(
        "{}{}{}",
        location.pathname().unwrap(),
        location.search().unwrap(),
        if fragment.is_empty() {
            String::new()
        } else {
            format!("#{fragment}")
        }
    );
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        .unwrap();
}

/// A mounted app; `unmount` removes its listeners too, so tests do not see each other.
struct Mounted {
    root: Element,
    app: yew::AppHandle<balloon_web::App>,
}

impl std::ops::Deref for Mounted {
    type Target = Element;
    fn deref(&self) -> &Element {
        &self.root
    }
}

impl Mounted {
    fn unmount(self) {
        self.app.destroy();
        self.root.remove();
    }
}

async fn mount_at(fragment: &str) -> Mounted {
    set_hash(fragment);
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<balloon_web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    // The panels below the fold join a frame after the first paint (`use_painted_once`).
    for _ in 0..200 {
        if root
            .query_selector("[data-testid=\"stats-chart\"]")
            .unwrap()
            .is_some()
        {
            break;
        }
        dom::sleep_ms(10).await;
    }
    Mounted { root, app }
}

async fn mount() -> Mounted {
    mount_at("").await
}

fn outline_area(root: &Element) -> f64 {
    let outline: SvgGraphicsElement = by_test_id(root, "balloon-outline").dyn_into().unwrap();
    let bbox = outline.get_b_box().unwrap();
    f64::from(bbox.width()) * f64::from(bbox.height())
}

fn main_html(root: &Element) -> String {
    root.query_selector("main").unwrap().unwrap().inner_html()
}

#[wasm_bindgen_test]
async fn apply_target_then_run_inflates_to_half_and_grows_the_outline() {
    let root = mount().await;
    assert_eq!(text(&root, "actual-pages"), "0");
    let area_before = outline_area(&root);
    click(&root, "apply-target").await;
    // The target is set at once; the guest acts only when stepped.
    assert_eq!(text(&root, "num-pages"), "131072");
    assert_eq!(text(&root, "actual-pages"), "0");
    click(&root, "run-to-quiet").await;
    assert_eq!(text(&root, "actual-pages"), "131072");
    let area_after = outline_area(&root);
    assert!(
        area_after > area_before,
        "bbox area {area_before} -> {area_after}"
    );
    let avail = text(&root, "ivq-avail-idx");
    assert_ne!(avail, "0", "ivq saw no inflate messages");
    assert_eq!(avail, text(&root, "ivq-used-idx"));
    assert_eq!(avail, text(&root, "ivq-last-used"));
    root.unmount();
}

#[wasm_bindgen_test]
async fn a_bad_target_shows_a_message_and_changes_nothing() {
    let root = mount().await;
    let label = text(&root, "timeline-label");
    for bad in ["abc", "NaN", "-5", "1.5", "0", "4096", ""] {
        type_into(&root, "target-input", bad).await;
        click(&root, "apply-target").await;
        assert!(
            !text(&root, "target-error").is_empty(),
            "no message for {bad:?}"
        );
        assert_eq!(text(&root, "num-pages"), "0", "{bad} changed the target");
        assert_eq!(text(&root, "timeline-label"), label, "{bad} ran something");
    }
    root.unmount();
}

#[wasm_bindgen_test]
async fn step_and_step_back_restore_the_same_dom() {
    let root = mount().await;
    click(&root, "apply-target").await;
    for _ in 0..7 {
        click(&root, "step").await;
    }
    let at = main_html(&root);
    click(&root, "step-back").await;
    let back = main_html(&root);
    assert_ne!(back, at, "step back changed nothing");
    click(&root, "step").await;
    assert_eq!(main_html(&root), at, "step back then step");
    click(&root, "step-back").await;
    assert_eq!(main_html(&root), back, "step then step back");
    // A message forward and back lands on the same page too.
    click(&root, "step-message").await;
    click(&root, "step-back-message").await;
    click(&root, "step-message").await;
    let msg = main_html(&root);
    click(&root, "step-back-message").await;
    click(&root, "step-message").await;
    assert_eq!(main_html(&root), msg);
    root.unmount();
}

#[wasm_bindgen_test]
async fn the_console_answers_like_qemu_and_keeps_the_session_on_errors() {
    let root = mount().await;
    let label = text(&root, "timeline-label");
    type_into(&root, "console-input", "ballon 512").await;
    click(&root, "console-send").await;
    let out = text(&root, "console-output");
    assert!(out.contains("line 1, column 1"), "{out}");
    assert_eq!(
        text(&root, "timeline-label"),
        label,
        "a bad line changed the session"
    );
    type_into(&root, "console-input", "info balloon").await;
    click(&root, "console-send").await;
    assert!(text(&root, "console-output").ends_with("balloon: actual=1024"));
    type_into(
        &root,
        "console-input",
        r#"{"execute": "balloon", "arguments": {"value": 536870912}}"#,
    )
    .await;
    click(&root, "console-send").await;
    assert!(text(&root, "console-output").ends_with(r#"{"return": {}}"#));
    assert_eq!(text(&root, "num-pages"), "131072");
    root.unmount();
}

#[wasm_bindgen_test]
async fn arrow_keys_step_unless_typing() {
    let root = mount().await;
    click(&root, "apply-target").await;
    let count = || {
        let label = text(&root, "timeline-label");
        label
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let before = count();
    let key = |target: &web_sys::EventTarget, key: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(key);
        init.set_bubbles(true);
        let ev =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        target.dispatch_event(&ev).unwrap();
    };
    let document = web_sys::window().unwrap().document().unwrap();
    key(&document, "ArrowRight");
    yew::scheduler::flush().await;
    assert_eq!(count(), before + 1);
    key(&by_test_id(&root, "target-input"), "ArrowRight");
    yew::scheduler::flush().await;
    assert_eq!(count(), before + 1, "a key typed in a field stepped");
    key(&document, "?");
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-testid=help]").unwrap().is_some());
    key(&document, "Escape");
    yew::scheduler::flush().await;
    assert!(root.query_selector("[data-testid=help]").unwrap().is_none());
    root.unmount();
}

#[wasm_bindgen_test]
async fn the_url_round_trips_a_session() {
    let mib = 1 << 20;
    let state = Rc::new(AppState::booted())
        .reduce(Action::ApplyTarget(700 * mib))
        .reduce(Action::StepMessage)
        .reduce(Action::StepMessage)
        .reduce(Action::StepOp);
    let fragment = state.fragment();
    let loaded = AppState::from_fragment(&fragment);
    assert_eq!(
        loaded.session().current_index(),
        state.session().current_index()
    );
    assert_eq!(loaded.session().trace_hash(), state.session().trace_hash());

    // The page opened at that link shows the same frame, and keeps the link in the URL.
    let root = mount_at(&fragment).await;
    let b = state.session().balloon();
    assert_eq!(text(&root, "num-pages"), b.num_pages.to_string());
    assert_eq!(text(&root, "actual-pages"), b.actual.to_string());
    assert!(
        text(&root, "timeline-label")
            .starts_with(&format!("event {} of", state.session().current_index())),
    );
    assert!(
        root.query_selector("[data-testid=notice]")
            .unwrap()
            .is_none()
    );
    assert_eq!(balloon_web::browser::location_hash(), fragment);
    root.unmount();

    // A broken link: a message and the default scene.
    let root = mount_at("v=1&step=2&script=%%%").await;
    assert!(text(&root, "notice").contains("does not open"));
    assert_eq!(text(&root, "num-pages"), "0");
    root.unmount();
    set_hash("");
}

#[wasm_bindgen_test]
async fn play_pauses_when_the_tab_is_hidden() {
    let root = mount().await;
    let pressed = |root: &Element| {
        by_test_id(root, "play")
            .get_attribute("aria-pressed")
            .unwrap_or_default()
    };
    // Play with nothing to do says so and stays off; with a target there is work to play.
    click(&root, "play").await;
    assert_eq!(pressed(&root), "false");
    assert!(text(&root, "transport-status").contains("Nothing left to play"));
    click(&root, "apply-target").await;
    click(&root, "play").await;
    assert_eq!(pressed(&root), "true");
    // What the browser does when the tab goes to the background.
    let document = web_sys::window().unwrap().document().unwrap();
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &true.into()).unwrap();
    js_sys::Reflect::set(&hidden, &"configurable".into(), &true.into()).unwrap();
    js_sys::Object::define_property(&document, &"hidden".into(), &hidden);
    document
        .dispatch_event(&web_sys::Event::new("visibilitychange").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    js_sys::Reflect::delete_property(&document, &"hidden".into()).unwrap();
    assert_eq!(pressed(&root), "false", "still playing in a hidden tab");
    root.unmount();
}

/// Width and height of the body path's bounding box as the browser lays it out.
fn outline_box(root: &Element) -> (f32, f32) {
    let outline: SvgGraphicsElement = by_test_id(root, "balloon-outline").dyn_into().unwrap();
    let b = outline.get_b_box().unwrap();
    (b.width(), b.height())
}

#[wasm_bindgen_test]
async fn the_outline_grows_monotonically_as_actual_grows() {
    let root = mount().await;
    let mut last = outline_box(&root);
    let mut last_actual = 0u64;
    // The target is the guest's size: each smaller one inflates further, and the box must
    // grow every time actual does. The smallest stays above ~136 MiB: below that the 1 GiB
    // guest's free pages are its min watermarks and reserves, fill_balloon's allocations
    // (__GFP_NORETRY) fail and it runs out of puff short of the target.
    for mib in ["900", "512", "256", "160"] {
        type_into(&root, "target-input", mib).await;
        click(&root, "apply-target").await;
        click(&root, "run-to-quiet").await;
        let actual: u64 = text(&root, "actual-pages").parse().unwrap();
        assert!(actual > last_actual, "{mib} MiB: actual {actual}");
        let now = outline_box(&root);
        assert!(
            now.0 > last.0 && now.1 > last.1,
            "{mib} MiB: {now:?} after {last:?}"
        );
        let target: SvgGraphicsElement = by_test_id(&root, "balloon-target").dyn_into().unwrap();
        let t = target.get_b_box().unwrap();
        assert!(
            (t.width() - now.0).abs() < 0.5,
            "the balloon reached its target outline"
        );
        (last, last_actual) = (now, actual);
    }
    root.unmount();
}

#[wasm_bindgen_test]
async fn one_inflate_message_moves_avail_idx_then_used_idx() {
    let root = mount().await;
    let before = (text(&root, "ivq-avail-idx"), text(&root, "ivq-used-idx"));
    assert_eq!(before, ("0".to_owned(), "0".to_owned()));
    // A 1022 MiB guest is a 2 MiB balloon: two inflate messages of 256 PFNs. Apply and run send both;
    // step back into the second one and step it again as one message.
    type_into(&root, "target-input", "1022").await;
    click(&root, "apply-target").await;
    click(&root, "run-to-quiet").await;
    assert_eq!(text(&root, "ivq-avail-idx"), "2");
    for _ in 0..100 {
        if text(&root, "ivq-avail-idx") == "1" {
            break;
        }
        click(&root, "step-back").await;
    }
    assert_eq!(text(&root, "ivq-avail-idx"), "1");
    assert_eq!(text(&root, "ivq-used-idx"), "1");
    assert_eq!(text(&root, "ivq-kicks"), "1");
    click(&root, "step-message").await;
    assert_eq!(text(&root, "ivq-avail-idx"), "2");
    assert_eq!(text(&root, "ivq-used-idx"), "2");
    assert_eq!(text(&root, "ivq-last-used"), "2");
    assert_eq!(text(&root, "ivq-kicks"), "2");
    let panel = by_test_id(&root, "queue-ivq");
    assert!(
        panel.query_selector(".changed").unwrap().is_some(),
        "nothing highlighted after the step"
    );
    for id in [
        "queue-dvq",
        "queue-svq",
        "explanation",
        "config-panel",
        "init-flow",
    ] {
        by_test_id(&root, id);
    }
    root.unmount();
}

#[wasm_bindgen_test]
async fn the_transcript_is_a_bounded_list_and_the_explanation_is_announced() {
    let root = mount().await;
    click(&root, "apply-target").await;
    click(&root, "run-to-quiet").await;
    // The explanation is the one polite live region: it reads out the step shown (a log of
    // every event would chatter while playing).
    let live = by_test_id(&root, "explanation-live");
    assert_eq!(live.get_attribute("aria-live").as_deref(), Some("polite"));
    assert!(text(&root, "explanation-live").starts_with("Event "));
    let log = by_test_id(&root, "transcript");
    assert_eq!(log.get_attribute("aria-live"), None);
    let items = log.query_selector_all("li").unwrap().length();
    assert_eq!(items as usize, balloon_web::view_model::TRANSCRIPT_LEN);
    // The newest line is the step the explanation shows.
    let last = log.last_element_child().unwrap().text_content().unwrap();
    let number = last
        .strip_prefix('#')
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("no event number in {last:?}"));
    assert!(
        text(&root, "explanation").starts_with(&format!("Event {number} at t = ")),
        "newest line {last:?}"
    );
    root.unmount();
}

#[wasm_bindgen_test]
async fn download_svg_button_is_there_and_does_not_break_the_page() {
    let root = mount().await;
    click(&root, "download-svg").await;
    assert!(
        root.query_selector("[role=\"alert\"]").unwrap().is_none(),
        "the download reported an error"
    );
    let svg = balloon_web::components::standalone_svg(&balloon_web::view_model::BalloonModel {
        ram_pages: 262_144,
        num_pages: 0,
        actual: 0,
        host_resident_bytes: 0,
        vmm_overhead_bytes: 0,
        saved_bytes: 0,
    });
    // The browser's own XML parser agrees the export is a well-formed SVG document.
    let parser = web_sys::DomParser::new().unwrap();
    let doc = parser
        .parse_from_string(&svg, web_sys::SupportedType::ImageSvgXml)
        .unwrap();
    assert!(
        doc.get_elements_by_tag_name("parsererror").length() == 0,
        "{svg}"
    );
    assert_eq!(doc.document_element().unwrap().tag_name(), "svg");
    root.unmount();
}

#[wasm_bindgen_test]
async fn the_preset_list_is_built_when_opened_and_loads_what_it_lists() {
    let root = mount().await;
    let buttons = |root: &Element| {
        root.query_selector_all("[data-testid^=\"preset-\"]:not([data-testid=\"preset-list\"])")
            .unwrap()
            .length()
    };
    assert_eq!(buttons(&root), 0, "closed, the list holds nothing yet");
    let details: web_sys::HtmlDetailsElement = by_test_id(&root, "preset-list").dyn_into().unwrap();
    // `open` queues a `toggle` event, as a click on the summary does (HTML, the details element).
    details.set_open(true);
    for _ in 0..100 {
        if buttons(&root) > 0 {
            break;
        }
        dom::sleep_ms(10).await;
    }
    // balloon_sim's preset table, not the page, says what must be listed.
    let presets = balloon_sim::presets::PRESETS;
    assert_eq!(buttons(&root) as usize, presets.len());
    for p in presets {
        assert_eq!(text(&root, &format!("preset-{}", p.name)), p.title());
    }
    let last = presets.last().expect("at least one preset");
    click(&root, &format!("preset-{}", last.name)).await;
    assert!(
        text(&root, "loading").contains(last.name),
        "the button loads its preset: {}",
        text(&root, "loading")
    );
    root.unmount();
}
