//! A link from a panel to the book chapter that explains it, shown when the page is the book's
//! copy of the playground (`play/index.html`, beside the chapters).

use yew::prelude::*;

use crate::browser;

/// The chapter a queue's panel is explained in.
pub fn queue_chapter(name: &str) -> (&'static str, &'static str) {
    match name {
        "ivq" => ("inflate", "One inflate message, ring by ring"),
        "dvq" => ("deflate", "Deflate and MUST_TELL_HOST"),
        "svq" => ("stats", "The stats queue's held buffer"),
        _ => ("free-pages", "Free page reporting and hinting"),
    }
}

/// "Book: TITLE", or nothing when the book is not next to the page.
/// `chapter` is the file name without `.html` (`inflate`, `stats`), `title` its title.
pub fn book_link(chapter: &str, title: &str) -> Html {
    match browser::book_base() {
        Some(base) => html! {
            <a class="book-link" href={format!("{base}{chapter}.html")}
                target="_blank" rel="noopener">{ format!("Book: {title}") }</a>
        },
        None => Html::default(),
    }
}
