//! Mounts the whole app in a real browser, clicks the target button and checks the SVG grew.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, SvgGraphicsElement};

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

#[wasm_bindgen_test]
async fn button_disables_at_the_largest_size() {
    let root = mount();
    yew::scheduler::flush().await;
    let button: HtmlElement = by_test_id(&root, "apply-target").dyn_into().unwrap();
    for _ in 0..balloon_web::app::STEPS {
        button.click();
        yew::scheduler::flush().await;
    }
    assert!(button.has_attribute("disabled"));
    let summary = by_test_id(&root, "balloon-summary").text_content().unwrap();
    assert!(
        summary.contains(&format!("{0} of {0}", balloon_web::app::STEPS)),
        "{summary}"
    );
    root.remove();
}
