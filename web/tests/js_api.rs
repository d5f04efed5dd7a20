//! The JS API's refusals of a bad event count name the number as JS prints it (the caller
//! wrote JS): the value the page reports is what `String(n)` gives in the console.
#![cfg(target_arch = "wasm32")]

use balloon_web::js_api::mount;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// `mount`'s error message for `options.step = step`, on a detached element.
fn step_error(step: JsValue) -> String {
    let element = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .create_element("div")
        .unwrap();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"step".into(), &step).unwrap();
    let Err(e) = mount(element, options.into()) else {
        panic!("step {step:?} was accepted");
    };
    let e = JsValue::from(e);
    js_sys::Reflect::get(&e, &"message".into())
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn a_step_that_is_not_a_whole_count_is_refused_with_the_number_as_js_prints_it() {
    // Each expected text is ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20), typed here
    // rather than taken from the code under test.
    for (step, shown) in [
        (JsValue::from_f64(0.5), "0.5"),
        (JsValue::from_f64(-3.0), "-3"),
        (JsValue::from_f64(1e21), "1e+21"),
        (JsValue::from_f64(9007199254740994.0), "9007199254740994"),
        (JsValue::from_f64(f64::NAN), "NaN"),
        (JsValue::from_f64(f64::NEG_INFINITY), "-Infinity"),
        (JsValue::from_str("7"), "NaN"),
    ] {
        assert_eq!(
            step_error(step),
            format!("options.step must be a whole number of events (0 or more), not {shown}")
        );
    }
}
