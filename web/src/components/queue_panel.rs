//! The inflate queue's four indices: the driver's (avail.idx, last_used) and the device's
//! (next_avail, used.idx). Their differences are the work in flight each way.

use balloon_sim::world::QueueView;
use yew::prelude::*;

/// Properties of [`QueuePanel`].
#[derive(Properties, PartialEq, Debug)]
pub struct QueuePanelProps {
    /// ivq as the device sees it, if the device has one.
    pub queue: Option<QueueView>,
    /// The driver's avail.idx (Linux `vq->split.avail_idx_shadow`), if the driver set ivq up.
    pub avail_idx: Option<u16>,
    /// The driver's last_used (Linux `vq->last_used_idx`).
    pub last_used: Option<u16>,
}

/// avail.idx, used.idx, next_avail and last_used of ivq.
#[component]
pub fn QueuePanel(props: &QueuePanelProps) -> Html {
    let Some(q) = &props.queue else {
        return html! { <section data-testid="queue-ivq">{ "ivq: not configured" }</section> };
    };
    let shown = |v: Option<u16>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    let row = |name: &'static str, id: &'static str, value: String| {
        html! { <tr><th scope="row">{ name }</th><td data-testid={id}>{ value }</td></tr> }
    };
    html! {
        <section class="queue" data-testid="queue-ivq">
            <h2>{ format!("ivq (queue {}, size {})", q.index, q.max_size) }</h2>
            <table>
                { row("avail.idx", "ivq-avail-idx", shown(props.avail_idx)) }
                { row("next_avail", "ivq-next-avail", q.next_avail.to_string()) }
                { row("used.idx", "ivq-used-idx", q.used_idx.to_string()) }
                { row("last_used", "ivq-last-used", shown(props.last_used)) }
            </table>
        </section>
    }
}
