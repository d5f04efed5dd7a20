//! The byte panel in a real browser: stepping one inflate message flashes exactly the bytes
//! the simulation's guest memory logged as written, field by field, in write order (the PFN
//! array, the descriptor, the avail ring entry, avail.idx, then the device's used ring entry
//! and used.idx), each flash delayed by its place in that order.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use balloon_sim::view::bytes::{BytesView, Space, Writer};
use balloon_sim::{Session, StepSize};
use balloon_web::components::byte_view::{BytePanel, BytePanelProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A byte panel showing what one inflate message (256 PFNs, a 1 GiB guest) wrote.
async fn mount_after_one_message() -> (BytesView, Element, yew::AppHandle<BytePanel>) {
    let (mut s, _) =
        Session::from_script("-m 1G -device virtio-balloon -seed 1\nrun\nballoon 1023\n")
            .expect("script runs");
    let since = s.current_index();
    s.step(StepSize::Message);
    let view = s.byte_view(since);
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props = BytePanelProps {
        bytes: Rc::new(view.clone()),
        frozen: false,
    };
    let app = yew::Renderer::<BytePanel>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    (view, root, app)
}

#[wasm_bindgen_test]
async fn one_inflate_message_flashes_its_writes_in_order() {
    let (view, root, app) = mount_after_one_message().await;
    let writes = view.writes.clone();

    // Every flashing piece: its write order, its field, its bytes (hex pairs).
    let flashing = root.query_selector_all("[data-write-order]").unwrap();
    let mut pieces: Vec<(usize, String, usize, bool)> = (0..flashing.length())
        .map(|i| {
            let el: Element = flashing.item(i).unwrap().dyn_into().unwrap();
            let order: usize = el
                .get_attribute("data-write-order")
                .unwrap()
                .parse()
                .unwrap();
            let field = el.get_attribute("data-field").unwrap();
            let bytes = el.text_content().unwrap().split_whitespace().count();
            let style = el.get_attribute("style").unwrap_or_default();
            assert_eq!(
                style,
                format!("--write-order: {order}"),
                "{field}: flash delay"
            );
            (order, field, bytes, el.has_attribute("role"))
        })
        .collect();
    pieces.sort_by_key(|p| p.0);

    // The first field each write reached, in order.
    let mut firsts: Vec<(usize, &str)> = Vec::new();
    for (order, field, _, option) in &pieces {
        if *option && firsts.last().is_none_or(|l| l.0 != *order) {
            firsts.push((*order, field));
        }
    }
    assert_eq!(
        firsts,
        [
            (0, "pfns[0]"),
            (1, "desc[0].addr"),
            (2, "avail.ring[0]"),
            (3, "avail.idx"),
            (4, "used.avail_event"),
            (5, "used.ring[0].id"),
            (6, "used.idx"),
            // Write 7 stores avail_event again (already flashing); 8 is the driver's
            // used_event.
            (8, "avail.used_event"),
        ]
    );
    // Exactly the bytes written: per write, the flashing bytes are its length.
    for (k, w) in writes.iter().enumerate() {
        assert_eq!(w.space, Space::Guest);
        let shown: usize = pieces.iter().filter(|p| p.0 == k).map(|p| p.2).sum();
        let want = if k == 7 { 0 } else { w.len as usize };
        assert_eq!(shown, want, "write {k}: {w:?}");
    }
    assert_eq!(writes[0].writer, Writer::Driver);
    assert_eq!(writes[6].writer, Writer::Device);
    let device = root
        .query_selector_all(".by-device[role=option]")
        .unwrap()
        .length();
    assert_eq!(
        device, 4,
        "used.avail_event, used.ring[0].id and .len, used.idx"
    );

    // The list in words says the same order.
    let list = root
        .query_selector("[data-testid=byte-writes]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    let at = |s: &str| list.find(s).unwrap_or_else(|| panic!("{s} in {list}"));
    assert!(at("pfns[0]") < at("desc[0].addr"));
    assert!(at("avail.idx") < at("used.ring[0].id"));
    app.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn arrow_keys_move_between_fields_and_name_them() {
    let (_, root, app) = mount_after_one_message().await;
    let document = web_sys::window().unwrap().document().unwrap();
    let dump: HtmlElement = root
        .query_selector("[data-testid=hexdump]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        let e =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        dump.dispatch_event(&e).unwrap();
    };
    key("Home");
    yew::scheduler::flush().await;
    key("ArrowRight");
    yew::scheduler::flush().await;
    let active = dump.get_attribute("aria-activedescendant").unwrap();
    let el = document.get_element_by_id(&active).unwrap();
    assert_eq!(el.get_attribute("data-field").unwrap(), "desc[0].len");
    let label = el.get_attribute("aria-label").unwrap();
    assert!(label.starts_with("desc[0].len, 4 byte(s) at 0x"), "{label}");
    assert!(
        label.contains("1024 bytes; written by the driver, write 2"),
        "{label}"
    );
    let detail = root
        .query_selector("[data-testid=byte-detail]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    // The name says the visible bytes too (axe: label-content-name-mismatch).
    assert_eq!(format!("{detail}; bytes 00 04 00 00"), label);
    app.destroy();
    root.remove();
}
