//! Entry point trunk builds: mounts the playground on the page's body.
#![forbid(unsafe_code)]

fn main() {
    yew::Renderer::<balloon_web::App>::new().render();
}
