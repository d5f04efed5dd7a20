//! The host page (`?host=PRESET`): one host running several VMs. The host bar and the VM
//! cards take the place of the single balloon; the step controls and the explanation stay
//! where they are; the selected VM's balloon and rings show below.

mod page;
pub mod state;

pub use page::HostPage;

/// The host preset the page's URL asks for (`?host=NAME`), if any.
pub fn location_host_preset() -> Option<String> {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .and_then(|q| q.get("host"))
}
