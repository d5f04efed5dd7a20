//! The host's RAM as one bar: its own use, each VM's QEMU process, free. Segment widths are
//! shares of host RAM and animate (CSS transition, off under reduced motion), so memory is
//! seen moving from one process to another.

use yew::prelude::*;

use crate::view_model::Fixed;
use crate::view_model::{HostBarModel, format_bytes_mib};

/// What [`host_bar`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct HostBarProps {
    /// The bar.
    pub bar: HostBarModel,
}

/// The host bar with its legend.
pub fn host_bar(props: &HostBarProps) -> Html {
    let b = &props.bar;
    let class = |vm: Option<usize>, key: &str| match vm {
        Some(i) => format!("host-seg vm-colour-{}", i % 8),
        None => format!("host-seg host-{key}"),
    };
    html! {
        <section class="host-bar" aria-label="Host memory" data-testid="host-bar">
            <p class="host-bar-title">
                { format!("Host RAM {} · policy {}", format_bytes_mib(b.ram), b.policy) }
                if let Some(swap) = &b.swap {
                    { format!(" · {swap}") }
                }
            </p>
            <div class="host-bar-track" role="img"
                aria-label={b.segments.iter().map(|s| s.label.clone()).collect::<Vec<_>>().join("; ")}>
                { for b.segments.iter().map(|s| html! {
                    <div class={class(s.vm, &s.key)} data-testid={format!("host-seg-{}", s.key)}
                        data-bytes={s.bytes.to_string()} title={s.label.clone()}
                        style={format!("width: {}%", Fixed(s.percent, 4))}></div>
                }) }
            </div>
            <ul class="host-bar-legend">
                { for b.segments.iter().map(|s| html! {
                    <li><span class={classes!(class(s.vm, &s.key), "swatch")} aria-hidden="true"></span>
                        { s.label.clone() }</li>
                }) }
            </ul>
        </section>
    }
}
