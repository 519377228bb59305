//! Browser tests of the container handles and of values crossing from JS.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use dagsync_wasm::{Doc, ErrorCode};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Doc {
    Doc::new(JsValue::UNDEFINED).unwrap()
}

/// The class name of a JS object (`"TextHandle"`, ...).
fn class_of(value: &JsValue) -> String {
    let constructor = Reflect::get(value, &"constructor".into()).unwrap();
    Reflect::get(&constructor, &"name".into())
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn text_counts_utf16_code_units() {
    let doc = doc();
    let text = doc.get_text("t".into()).unwrap();
    text.insert(JsValue::from(0.0), "a😀b".into()).unwrap();
    assert_eq!(text.length().unwrap(), 4.0);
    text.insert(JsValue::from(3.0), "-".into()).unwrap();
    assert_eq!(text.to_js_string().unwrap(), "a😀-b");
    let err = text.insert(JsValue::from(2.0), "x".into()).unwrap_err();
    assert_eq!(err.code, ErrorCode::OutOfRange, "inside the surrogate pair");
    text.delete(JsValue::from(1.0), JsValue::from(2.0)).unwrap();
    assert_eq!(text.to_js_string().unwrap(), "a-b");
    assert_eq!(
        text.delete(JsValue::from(0.0), JsValue::from(9.0))
            .unwrap_err()
            .code,
        ErrorCode::OutOfRange
    );
    assert_eq!(
        text.insert(JsValue::from(-1.0), "x".into())
            .unwrap_err()
            .code,
        ErrorCode::OutOfRange
    );
}

#[wasm_bindgen_test]
fn lists_hold_every_value_type_and_containers() {
    let doc = doc();
    let list = doc.get_list("l".into()).unwrap();
    let bytes: JsValue = Uint8Array::from(&[1u8, 2][..]).into();
    let nested: JsValue = Array::of2(&1.into(), &"two".into()).into();
    for value in [
        JsValue::NULL,
        JsValue::TRUE,
        JsValue::from(1.5),
        JsValue::from(7i64),
        JsValue::from("s"),
        bytes.clone(),
        nested,
    ] {
        list.push(value).unwrap();
    }
    assert_eq!(list.length().unwrap(), 7.0);
    assert_eq!(list.get(JsValue::from(3.0)).unwrap(), JsValue::from(7i64));
    let got = Uint8Array::new(&list.get(JsValue::from(5.0)).unwrap()).to_vec();
    assert_eq!(got, vec![1, 2]);
    assert!(list.get(JsValue::from(70.0)).unwrap().is_undefined());
    let text = list
        .insert_container(JsValue::from(0.0), "text".into())
        .unwrap();
    assert_eq!(class_of(&text), "TextHandle");
    assert_eq!(
        class_of(&list.get(JsValue::from(0.0)).unwrap()),
        "TextHandle"
    );
    list.delete(JsValue::from(0.0), JsValue::from(2.0)).unwrap();
    assert_eq!(list.to_array().unwrap().length(), 6);
    assert_eq!(
        list.insert(JsValue::from(9.0), JsValue::NULL)
            .unwrap_err()
            .code,
        ErrorCode::OutOfRange
    );
}

#[wasm_bindgen_test]
fn map_set_container_returns_the_handle_of_its_kind() {
    let doc = doc();
    let map = doc.get_map("m".into()).unwrap();
    for (kind, class) in [
        ("map", "MapHandle"),
        ("list", "ListHandle"),
        ("text", "TextHandle"),
        ("counter", "CounterHandle"),
        ("set", "SetHandle"),
        ("register", "RegisterHandle"),
    ] {
        let handle = map.set_container(kind.into(), kind.into()).unwrap();
        assert_eq!(class_of(&handle), class);
        assert_eq!(class_of(&map.get(kind.into()).unwrap()), class);
    }
    assert_eq!(map.keys().unwrap().len(), 6);
    map.delete("set".into()).unwrap();
    assert!(map.get("set".into()).unwrap().is_undefined());
    assert_eq!(
        map.set_container("x".into(), "tree".into())
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    let object = Object::new();
    Reflect::set(&object, &"a".into(), &JsValue::from(1)).unwrap();
    map.set("plain".into(), object.into()).unwrap();
    let json = map.to_json().unwrap();
    let plain = Reflect::get(&json, &"plain".into()).unwrap();
    assert_eq!(Reflect::get(&plain, &"a".into()).unwrap(), 1);
}

#[wasm_bindgen_test]
fn counter_set_and_register() {
    let doc = doc();
    let counter = doc.get_counter("n".into()).unwrap();
    counter.increment(JsValue::UNDEFINED).unwrap();
    counter.increment(JsValue::from(10i64)).unwrap();
    counter.decrement(JsValue::from(3)).unwrap();
    assert_eq!(counter.value().unwrap(), 8.0);
    assert_eq!(
        counter.increment(JsValue::from(0.5)).unwrap_err().code,
        ErrorCode::InvalidArgument
    );

    let set = doc.get_set("s".into()).unwrap();
    set.add("a".into()).unwrap();
    set.add("b".into()).unwrap();
    set.remove("a".into()).unwrap();
    assert!(set.has("b".into()).unwrap());
    assert!(!set.has("a".into()).unwrap());
    assert_eq!(set.values().unwrap().length(), 1);

    let register = doc.get_register("r".into()).unwrap();
    assert!(register.value().unwrap().is_undefined());
    register.set("on".into()).unwrap();
    assert_eq!(register.value().unwrap(), "on");
    assert_eq!(register.conflicts().unwrap().length(), 1);
    let list = register.set_container("list".into()).unwrap();
    assert_eq!(class_of(&list), "ListHandle");
}

#[wasm_bindgen_test]
fn unsupported_values_are_refused_before_any_change() {
    let doc = doc();
    let map = doc.get_map("m".into()).unwrap();
    map.set("k".into(), "kept".into()).unwrap();
    let before = doc.save().unwrap();
    let cyclic = Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let date: JsValue = js_sys::Date::new_0().into();
    for bad in [
        JsValue::UNDEFINED,
        cyclic.into(),
        date,
        JsValue::symbol(None),
    ] {
        assert_eq!(
            map.set("k".into(), bad).unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
    assert_eq!(map.get("k".into()).unwrap(), "kept");
    assert_eq!(doc.save().unwrap(), before);
}
