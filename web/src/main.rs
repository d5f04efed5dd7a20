//! Entry point trunk builds: mounts the full playground, the trace, compare or host page their
//! query asks for, or the compact embed for `?embed=1`;
//! nothing when the page loaded the module for its JS API (`mount`).
#![forbid(unsafe_code)]

// The JS API's exports live in the library; naming them here keeps them in this binary's wasm.
pub use balloon_web::js_api::{EmbedHandle, mount};

fn main() {
    if balloon_web::js_api::loaded_as_library() {
        return;
    }
    if balloon_web::trace::location_wants_trace() {
        yew::Renderer::<balloon_web::trace::TracePage>::new().render();
    } else if balloon_web::compare::location_wants_compare() {
        let props = balloon_web::compare::ComparePageProps {
            compact: balloon_web::embed::location_wants_embed(),
        };
        yew::Renderer::<balloon_web::compare::ComparePage>::with_props(props).render();
    } else if balloon_web::host::location_wants_host() {
        let props = balloon_web::host::HostPageProps {
            compact: balloon_web::embed::location_wants_embed(),
        };
        yew::Renderer::<balloon_web::host::HostPage>::with_props(props).render();
    } else if balloon_web::embed::location_wants_embed() {
        balloon_web::embed::mount_from_location();
    } else {
        yew::Renderer::<balloon_web::App>::new().render();
    }
}
