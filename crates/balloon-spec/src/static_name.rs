//! Decoding a `&'static str` field of an event (a QEMU or Linux function name, a QOM type
//! name): events name real functions with string literals, so a decoded event must point at a
//! `'static` string too. Each distinct name is leaked once and looked up afterwards, so decoding
//! the same events again and again (the page's timeline decodes on demand) never grows memory;
//! the set is bounded so that bytes that are not a trace cannot grow it without end.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer};

/// A `&'static str` field that [`deserialize`] reads. The alias is there for serde's derive,
/// which takes any field spelled `&str` as borrowed from the input (and so would ask for
/// `'de: 'static`), even with a `deserialize_with`.
pub type Name = &'static str;

/// Distinct names kept at most (the code has well under a hundred such literals).
const MAX_NAMES: usize = 1024;

thread_local! {
    static NAMES: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

/// The `'static` copy of `name`: the one already kept, else a new one.
pub fn intern(name: &str) -> Option<&'static str> {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(&kept) = names.get(name) {
            return Some(kept);
        }
        if names.len() >= MAX_NAMES {
            return None;
        }
        let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(kept);
        Some(kept)
    })
}

/// serde's `deserialize_with` for a `&'static str` field.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    intern(&name).ok_or_else(|| {
        serde::de::Error::custom(format_args!(
            "more than {MAX_NAMES} distinct names: `{name}` is not a name the trace uses"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_kept_once() {
        let a = intern("virtio_balloon_handle_output").unwrap();
        let b = intern(&String::from("virtio_balloon_handle_output")).unwrap();
        assert_eq!(a, "virtio_balloon_handle_output");
        assert!(
            std::ptr::eq(a, b),
            "the second lookup reuses the first copy"
        );
    }
}
