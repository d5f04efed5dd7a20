//! A compact panel per ring for embeds: the driver's avail.idx and last_used beside the device's
//! next_avail and used.idx, and the two differences that are the work in flight each way.

use balloon_sim::Session;
use balloon_sim::command::QueueName;
use balloon_sim::view::QueueView;
use yew::prelude::*;

/// One ring's four indices, as the embed shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingNumbers {
    /// Linux name.
    pub name: QueueName,
    /// The queue, once the device created it.
    pub queue: Option<QueueView>,
}

impl RingNumbers {
    /// The ring `name` of the session's current state.
    pub fn of(session: &Session, name: QueueName) -> Self {
        let queue = session.queue_views().into_iter().find(|q| q.name == name);
        Self { name, queue }
    }

    /// Transport index and size, once the device created the queue.
    pub fn device(&self) -> Option<(u16, u16)> {
        self.queue.as_ref().map(|q| (q.index, q.max_size))
    }

    /// Driver side: avail.idx and last_used, once the driver set the queue up.
    pub fn driver(&self) -> Option<(u16, u16)> {
        let d = self.queue.as_ref()?.driver?;
        Some((d.avail_idx, d.last_used))
    }

    /// Buffers made available that the device has not popped yet (avail.idx − next_avail).
    pub fn waiting_for_device(&self) -> Option<u16> {
        self.queue.as_ref()?.waiting_for_device()
    }

    /// Buffers the device popped and has not returned (next_avail − used.idx).
    pub fn held_by_device(&self) -> Option<u16> {
        self.queue.as_ref().map(QueueView::held_by_device)
    }

    /// Buffers the device returned that the driver has not collected (used.idx − last_used).
    pub fn waiting_for_driver(&self) -> Option<u16> {
        self.queue.as_ref()?.waiting_for_driver()
    }
}

/// What [`ring_panel`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct RingPanelProps {
    /// The numbers shown.
    pub ring: RingNumbers,
}

/// One ring's indices in a small table.
pub fn ring_panel(props: &RingPanelProps) -> Html {
    let r = &props.ring;
    let name = r.name.as_str();
    let Some(q) = &r.queue else {
        return html! {
            <section class="embed-ring" data-testid={format!("ring-{name}")}>
                <h2>{ name }</h2>
                <p>{ "The device has not created this queue (yet, or with these features)." }</p>
            </section>
        };
    };
    let shown = |v: Option<u16>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let cell = |id: &str, value: String| {
        html! { <td data-testid={format!("{name}-{id}")}>{ value }</td> }
    };
    html! {
        <section class="embed-ring" data-testid={format!("ring-{name}")}>
            <h2>{ name }<small>{ format!(" queue {}, {} entries", q.index, q.max_size) }</small></h2>
            <table>
                <tr><th scope="colgroup" colspan="2">{ "driver" }</th><th scope="colgroup" colspan="2">{ "device" }</th></tr>
                <tr>
                    <th scope="row">{ "avail.idx" }</th>{ cell("avail-idx", shown(q.driver.map(|d| d.avail_idx))) }
                    <th scope="row">{ "next_avail" }</th>{ cell("next-avail", q.next_avail.to_string()) }
                </tr>
                <tr>
                    <th scope="row">{ "last_used" }</th>{ cell("last-used", shown(q.driver.map(|d| d.last_used))) }
                    <th scope="row">{ "used.idx" }</th>{ cell("used-idx", q.used_idx.to_string()) }
                </tr>
            </table>
            <p class="embed-flight">
                { format!("{} waiting for the device, {} held by it, {} waiting for the driver",
                    shown(r.waiting_for_device()), shown(r.held_by_device()),
                    shown(r.waiting_for_driver())) }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_counts_follow_one_inflate_message() {
        let (mut s, _) =
            Session::from_script(balloon_sim::presets::get("inflate-half").unwrap().text).unwrap();
        // Event #30 put the first inflate buffer in the avail ring (avail.idx 0 -> 1).
        s.seek(31).unwrap();
        let r = RingNumbers::of(&s, QueueName::Ivq);
        assert_eq!(r.device(), Some((0, 128)));
        assert_eq!(r.driver(), Some((1, 0)));
        assert_eq!(
            (r.waiting_for_device(), r.waiting_for_driver()),
            (Some(1), Some(0))
        );
        // Event #34 pushed it to the used ring; #38 collected it.
        s.seek(33).unwrap();
        assert_eq!(
            RingNumbers::of(&s, QueueName::Ivq).held_by_device(),
            Some(1)
        );
        s.seek(35).unwrap();
        let r = RingNumbers::of(&s, QueueName::Ivq);
        assert_eq!(
            (r.waiting_for_device(), r.waiting_for_driver()),
            (Some(0), Some(1))
        );
        s.seek(39).unwrap();
        let r = RingNumbers::of(&s, QueueName::Ivq);
        assert_eq!(
            (r.waiting_for_device(), r.waiting_for_driver()),
            (Some(0), Some(0))
        );
    }

    #[test]
    fn a_broken_device_leaves_the_bad_buffer_waiting_for_it() {
        let text = balloon_sim::presets::get("malformed-needs-reset")
            .unwrap()
            .text;
        let (s, _) = Session::from_script(text).unwrap();
        let r = RingNumbers::of(&s, QueueName::Ivq);
        // QEMU's virtqueue_pop advances last_avail_idx before it checks the head, so the bad
        // entry counts as popped; it is never pushed back.
        assert_eq!(r.waiting_for_device(), Some(0), "{r:?}");
        assert_eq!(r.held_by_device(), Some(1), "{r:?}");
        assert_eq!(s.balloon().actual, 0);
    }

    #[test]
    fn a_queue_the_device_lacks_has_no_numbers() {
        let (s, _) = Session::from_script("-m 1G -device virtio-balloon\nrun\n").unwrap();
        let r = RingNumbers::of(&s, QueueName::ReportingVq);
        assert_eq!((r.device(), r.driver()), (None, None));
        assert_eq!(r.waiting_for_device(), None);
        assert_eq!(r.held_by_device(), None);
    }
}
