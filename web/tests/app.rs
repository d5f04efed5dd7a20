//! Mounts the whole app in a real browser over the real simulation: applying a target inflates
//! the balloon (the SVG grows), bad targets change nothing, stepping moves through the trace.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement, SvgGraphicsElement};

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<balloon_web::App>::with_root(root.clone()).render();
    root
}

fn by_test_id(root: &Element, id: &str) -> Element {
    root.query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={id}"))
}

fn outline_area(root: &Element) -> f64 {
    let outline: SvgGraphicsElement = by_test_id(root, "balloon-outline").dyn_into().unwrap();
    let bbox = outline.get_b_box().unwrap();
    f64::from(bbox.width()) * f64::from(bbox.height())
}

#[wasm_bindgen_test]
async fn clicking_apply_target_grows_the_outline() {
    let root = mount();
    yew::scheduler::flush().await;

    let d_before = by_test_id(&root, "balloon-outline")
        .get_attribute("d")
        .unwrap();
    let area_before = outline_area(&root);

    let button: HtmlElement = by_test_id(&root, "apply-target").dyn_into().unwrap();
    button.click();
    yew::scheduler::flush().await;

    let d_after = by_test_id(&root, "balloon-outline")
        .get_attribute("d")
        .unwrap();
    assert_ne!(d_before, d_after, "the outline path did not change");
    let area_after = outline_area(&root);
    assert!(
        area_after > area_before,
        "bbox area {area_before} -> {area_after}"
    );
    root.remove();
}

fn text(root: &Element, id: &str) -> String {
    by_test_id(root, id).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn apply_target_inflates_the_sim_to_half() {
    let root = mount();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "actual-pages"), "0");
    let button: HtmlElement = by_test_id(&root, "apply-target").dyn_into().unwrap();
    button.click();
    yew::scheduler::flush().await;
    // The default target is 512 MiB of a 1 GiB guest: 131072 pages of 4 KiB in the balloon.
    assert_eq!(text(&root, "num-pages"), "131072");
    assert_eq!(text(&root, "actual-pages"), "131072");
    let avail = text(&root, "ivq-avail-idx");
    assert_ne!(avail, "0", "ivq saw no inflate messages");
    assert_eq!(avail, text(&root, "ivq-used-idx"));
    assert_eq!(avail, text(&root, "ivq-last-used"));
    assert!(!text(&root, "explanation").is_empty());
    root.remove();
}

#[wasm_bindgen_test]
async fn invalid_targets_show_a_message_and_change_nothing() {
    let root = mount();
    yew::scheduler::flush().await;
    let input: HtmlInputElement = by_test_id(&root, "target-input").dyn_into().unwrap();
    let button: HtmlElement = by_test_id(&root, "apply-target").dyn_into().unwrap();
    for bad in ["abc", "-5", "4096"] {
        input.set_value(bad);
        input
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
        button.click();
        yew::scheduler::flush().await;
        assert!(
            !text(&root, "target-error").is_empty(),
            "no message for {bad}"
        );
        assert_eq!(text(&root, "num-pages"), "0", "{bad} changed the target");
    }
    root.remove();
}

#[wasm_bindgen_test]
async fn step_back_then_step_returns_to_the_same_event() {
    let root = mount();
    yew::scheduler::flush().await;
    by_test_id(&root, "apply-target")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    let end = text(&root, "explanation");
    by_test_id(&root, "step-back")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert_ne!(text(&root, "explanation"), end);
    by_test_id(&root, "step")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "explanation"), end);
    root.remove();
}

fn click(root: &Element, id: &str) {
    by_test_id(root, id)
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

/// Width and height of the body path's bounding box as the browser lays it out.
fn outline_box(root: &Element) -> (f32, f32) {
    let outline: SvgGraphicsElement = by_test_id(root, "balloon-outline").dyn_into().unwrap();
    let b = outline.get_b_box().unwrap();
    (b.width(), b.height())
}

#[wasm_bindgen_test]
async fn the_outline_grows_monotonically_as_actual_grows() {
    let root = mount();
    yew::scheduler::flush().await;
    let input: HtmlInputElement = by_test_id(&root, "target-input").dyn_into().unwrap();
    let mut last = outline_box(&root);
    let mut last_actual = 0u64;
    // The target is the guest's size: each smaller one inflates further, and the box must
    // grow every time actual does.
    for mib in ["900", "512", "256", "64"] {
        input.set_value(mib);
        input
            .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
            .unwrap();
        yew::scheduler::flush().await;
        click(&root, "apply-target");
        yew::scheduler::flush().await;
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
    root.remove();
}

#[wasm_bindgen_test]
async fn one_inflate_message_moves_avail_idx_then_used_idx() {
    let root = mount();
    yew::scheduler::flush().await;
    let before = (text(&root, "ivq-avail-idx"), text(&root, "ivq-used-idx"));
    assert_eq!(before, ("0".to_owned(), "0".to_owned()));
    // A 1022 MiB guest is a 2 MiB balloon: two inflate messages of 256 PFNs. Apply runs both;
    // step back into the second one and step it again as one message.
    let input: HtmlInputElement = by_test_id(&root, "target-input").dyn_into().unwrap();
    input.set_value("1022");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    click(&root, "apply-target");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "ivq-avail-idx"), "2");
    for _ in 0..100 {
        if text(&root, "ivq-avail-idx") == "1" {
            break;
        }
        click(&root, "step-back");
        yew::scheduler::flush().await;
    }
    assert_eq!(text(&root, "ivq-avail-idx"), "1");
    assert_eq!(text(&root, "ivq-used-idx"), "1");
    assert_eq!(text(&root, "ivq-kicks"), "1");
    click(&root, "step-message");
    yew::scheduler::flush().await;
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
    root.remove();
}

#[wasm_bindgen_test]
async fn the_transcript_is_a_bounded_polite_log() {
    let root = mount();
    yew::scheduler::flush().await;
    click(&root, "apply-target");
    yew::scheduler::flush().await;
    let log = by_test_id(&root, "transcript");
    assert_eq!(log.get_attribute("role").as_deref(), Some("log"));
    assert_eq!(log.get_attribute("aria-live").as_deref(), Some("polite"));
    let items = log.query_selector_all("li").unwrap().length();
    assert_eq!(items as usize, balloon_web::view_model::TRANSCRIPT_LEN);
    // The newest line is the step the explanation shows.
    let last = log.last_element_child().unwrap().text_content().unwrap();
    let number = last
        .strip_prefix('#')
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("no event number in {last:?}"));
    assert!(
        text(&root, "explanation").starts_with(&format!("Event {number}:")),
        "newest line {last:?}"
    );
    root.remove();
}

#[wasm_bindgen_test]
async fn download_svg_button_is_there_and_does_not_break_the_page() {
    let root = mount();
    yew::scheduler::flush().await;
    click(&root, "download-svg");
    yew::scheduler::flush().await;
    assert!(
        root.query_selector("[role=\"alert\"]").unwrap().is_none(),
        "the download reported an error"
    );
    let svg = balloon_web::components::standalone_svg(&balloon_web::view_model::BalloonModel {
        ram_pages: 262_144,
        num_pages: 0,
        actual: 0,
        host_resident_bytes: 0,
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
    root.remove();
}
