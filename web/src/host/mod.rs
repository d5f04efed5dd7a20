//! The host page (`?host=PRESET`): one host running several VMs. The host bar and the VM
//! cards take the place of the single balloon; the step controls and the explanation stay
//! where they are; the selected VM's balloon and rings show below.

mod page;
pub mod share;
pub mod state;
pub mod vm_panels;

pub use page::{HostPage, HostPageProps};

/// The host preset the page's URL asks for: `?host=NAME`, or the default one for an embed
/// of the host view (`?embed=1&panels=host`); `None` when the URL asks for no host.
pub fn location_host_preset() -> Option<String> {
    let q = crate::browser::location_query()?;
    q.get("host").or_else(|| {
        (crate::embed::options::wants_embed(q.get("embed").as_deref())
            && crate::embed::options::wants_host(q.get("panels").as_deref()))
        .then(|| state::DEFAULT_HOST_PRESET.to_owned())
    })
}

/// Whether the page's URL asks for the host page: `?host=NAME` or the host embed (as before),
/// or a share link whose script is a host's. Every other URL opens what it opened before.
pub fn location_wants_host() -> bool {
    location_host_preset().is_some() || share::is_host_fragment(&crate::browser::location_hash())
}

/// The event the page opens at (`step=N`); the end of the preset's run when absent.
pub fn location_step() -> Option<u64> {
    crate::browser::location_query()?.get("step")?.parse().ok()
}
