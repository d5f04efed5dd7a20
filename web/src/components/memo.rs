//! One component type that keeps yew's "same props, no render" for any hookless view.
//!
//! Each `#[component]` type costs the page its own copy of yew's machinery (the
//! `CreateRunner`, `PropsWrapper::{mount, reuse, mountable_eq}` and `props_changed`
//! monomorphs: about 0.7 kB of gzipped wasm a type, measured by turning 18 components into
//! functions). A plain function loses what a component gives the heavy panels: while playing,
//! the page renders every frame, and a panel whose model did not change is skipped
//! (`CompStateInner::props_changed` compares the props). [`memo`] keeps that with a single
//! component type: the props are the model and the view function behind one `dyn` pointer,
//! equal only when both the function and the model are.

use std::any::Any;
use std::fmt;
use std::rc::Rc;

use yew::prelude::*;

/// A model and the function that draws it.
trait Memoized {
    /// Whether `other` is the same function over an equal model.
    fn same(&self, other: &dyn Any) -> bool;
    fn view(&self) -> Html;
    fn as_any(&self) -> &dyn Any;
}

struct Entry<T> {
    model: T,
    view: fn(&T) -> Html,
}

impl<T: PartialEq + 'static> Memoized for Entry<T> {
    fn same(&self, other: &dyn Any) -> bool {
        other
            .downcast_ref::<Self>()
            .is_some_and(|o| std::ptr::fn_addr_eq(o.view, self.view) && o.model == self.model)
    }

    fn view(&self) -> Html {
        (self.view)(&self.model)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Properties of [`Memo`].
#[derive(Properties, Clone)]
pub struct MemoProps {
    inner: Rc<dyn Memoized>,
}

impl PartialEq for MemoProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner) || self.inner.same(other.inner.as_any())
    }
}

impl fmt::Debug for MemoProps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoProps")
    }
}

/// Draws its entry; yew skips it while the props stay equal.
#[component]
pub fn Memo(props: &MemoProps) -> Html {
    props.inner.view()
}

/// `view(&model)`, rendered again only when `model` (or `view`) changes. `view` must not use
/// hooks: one `Memo` instance may draw different views over its life.
pub fn memo<T: PartialEq + 'static>(model: T, view: fn(&T) -> Html) -> Html {
    let inner: Rc<dyn Memoized> = Rc::new(Entry { model, view });
    html! { <Memo {inner} /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(n: &u32) -> Html {
        html! { <p>{ *n }</p> }
    }

    fn b(n: &u32) -> Html {
        html! { <b>{ *n }</b> }
    }

    fn props(model: u32, view: fn(&u32) -> Html) -> MemoProps {
        MemoProps {
            inner: Rc::new(Entry { model, view }),
        }
    }

    #[test]
    fn equal_only_for_the_same_view_over_an_equal_model() {
        assert_eq!(props(1, a), props(1, a));
        assert_ne!(props(1, a), props(2, a));
        assert_ne!(props(1, a), props(1, b));
        let other: MemoProps = MemoProps {
            inner: Rc::new(Entry {
                model: 1u64,
                view: |n: &u64| html! { { *n } },
            }),
        };
        assert_ne!(props(1, a), other);
    }
}
