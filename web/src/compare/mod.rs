//! The compare view (`?compare=A,B&preset=NAME`, and in an embed with `&embed=1`): one preset
//! run on two VMM profiles, or one profile with two property sets, side by side in lockstep,
//! with the differences marked in place and listed.

mod differences;
pub mod link;
pub mod lockstep;
pub mod model;
mod page;
mod side;
pub mod state;

pub use differences::{DifferencesProps, differences};
pub use page::{ComparePage, ComparePageProps};
pub use side::{CompareSideProps, compare_side};

/// Whether the URL asks for the compare view (`compare=` present, whatever its value: a bad
/// one opens the view with the error shown).
pub fn location_wants_compare() -> bool {
    crate::browser::location_query().is_some_and(|q| q.has("compare"))
}

/// The link the URL holds.
pub fn location_link() -> link::CompareLink {
    let q = crate::browser::location_query();
    let get = |k: &str| q.as_ref().and_then(|q| q.get(k));
    link::parse(
        get("compare").as_deref(),
        get("preset").as_deref(),
        get("step").as_deref(),
    )
}
