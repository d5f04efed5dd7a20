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
