//! Markup as one HTML string instead of a tree of `html!` elements.
//!
//! Every element an `html!` macro builds is code in the wasm: a `VTag` constructed field by
//! field, its attributes and its children's `Vec` (about 300 bytes of gzipped code each,
//! measured with twiggy on the release build). A subtree with no listeners and no node
//! references costs the same as a string the browser parses: yew's `VRaw`
//! (`Html::from_html_unchecked`, attached by `BRaw::create_elements` through `innerHTML` of a
//! `<div>`) puts the parsed nodes where the tree would have been, and reconciles by comparing
//! the strings. So the subtree must be valid inside a `<div>` (a whole `<table>`, not a lone
//! `<tr>`), must not hold whitespace between tags that `html!` would not have made, and every
//! dynamic text or attribute value goes through [`Esc`], so a `<`, `&` or `"` in a VM name or
//! a trace label stays text.

use std::fmt;

use yew::{AttrValue, Html};

/// Markup that is the same on every render.
pub fn raw(html: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(html))
}

/// Markup built at run time; every dynamic string in it must be written through [`Esc`].
pub fn markup(html: String) -> Html {
    Html::from_html_unchecked(AttrValue::from(html))
}

/// ` class="differs"` when `yes`, else nothing, as `classes!(yes.then_some("differs"))` renders
/// (an empty class list leaves the attribute out).
pub fn differs(yes: bool) -> &'static str {
    if yes { " class=\"differs\"" } else { "" }
}

/// Text or a double-quoted attribute value, escaped as the HTML serializer escapes them
/// (HTML Living Standard, "Serializing HTML fragments", escaping a string): `&`, `<`, `>`
/// and `"`, plus `'` so a single-quoted attribute is safe too.
#[derive(Debug, Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::Esc;

    #[test]
    fn markup_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            Esc(r#"<b a="1">x & 'y'</b>"#).to_string(),
            "&lt;b a=&quot;1&quot;&gt;x &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(Esc("vm-1 → 4 GiB · ok").to_string(), "vm-1 → 4 GiB · ok");
        assert_eq!(Esc("").to_string(), "");
        assert_eq!(Esc("&&").to_string(), "&amp;&amp;");
    }
}
