//! The balloon's config space as the device holds it (`struct virtio_balloon_config`), the
//! status byte decoded and the negotiated features by name; the field the current step
//! changed is highlighted.

use balloon_sim::trace::ConfigField;
use yew::prelude::*;

use crate::components::book_link;
use crate::view_model::ConfigModel;

/// What [`config_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct ConfigPanelProps {
    /// The config space.
    pub config: ConfigModel,
}

/// Config fields, status bits and features.
pub fn config_view(props: &ConfigPanelProps) -> Html {
    let c = &props.config;
    let field = |name: &'static str, offset: u32, f: ConfigField, value: String| {
        let changed = c.changed.contains(&f);
        // Fields past the config size do not exist for this device (QEMU 4.0 layout).
        let present = (offset as usize) < c.size;
        html! {
            <tr class={classes!(changed.then_some("changed"), (!present).then_some("absent"))}
                data-testid={format!("config-{name}")}>
                <th scope="row"><code>{ name }</code></th>
                <td>{ format!("+{offset}") }</td>
                <td>{ if present { value } else { "—".to_owned() } }</td>
            </tr>
        }
    };
    html! {
        <section class="config-panel" data-testid="config-panel">
            <h2>{ "Config space" }<small>{ format!(" {} bytes", c.size) }</small></h2>
            { book_link("balloon", "What a balloon is for") }
            <table class="config-fields">
                <tr><th>{ "field" }</th><th>{ "offset" }</th><th>{ "value" }</th></tr>
                { field("num_pages", 0, ConfigField::NumPages, c.num_pages.to_string()) }
                { field("actual", 4, ConfigField::Actual, c.actual.to_string()) }
                { field("free_page_hint_cmd_id", 8, ConfigField::FreePageHintCmdId, format!("{:#x}", c.free_page_hint_cmd_id)) }
                { field("poison_val", 12, ConfigField::PoisonVal, format!("{:#x}", c.poison_val)) }
                // crosvm's `virtio_balloon_config` goes on past the standard struct.
                if let Some(bins) = c.ws_num_bins {
                    <tr data-testid="config-ws_num_bins">
                        <th scope="row"><code>{ "ws_num_bins" }</code></th>
                        <td>{ "+16" }</td><td>{ bins }</td>
                    </tr>
                    <tr data-testid="config-_reserved">
                        <th scope="row"><code>{ "_reserved" }</code></th>
                        <td>{ "+17" }</td><td>{ "3 bytes" }</td>
                    </tr>
                }
            </table>
            <p class={classes!("status", c.status_changed.then_some("changed"))} data-testid="config-status">
                { format!("status {:#04x} ", c.status) }
                { for c.status_bits.iter().map(|b| html! {
                    <span class={classes!("bit", b.set.then_some("set"))} title={if b.set { "set" } else { "clear" }}>
                        { b.name }
                    </span>
                }) }
            </p>
            <p class="features" data-testid="config-features">
                { "negotiated: " }
                if c.features.is_empty() { <span class="none">{ "none yet" }</span> }
                { for c.features.iter().map(|f| html! { <code class="feature">{ *f }</code> }) }
            </p>
            if !c.declined.is_empty() {
                <p class="features declined">{ "offered, not accepted: " }
                    { for c.declined.iter().map(|f| html! { <code class="feature">{ *f }</code> }) }
                </p>
            }
        </section>
    }
}
