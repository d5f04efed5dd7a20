//! One panel per virtqueue: the descriptor table as a grid of cells (free / in flight / used),
//! the avail and used rings with their indices, each side's private index, the kick and
//! interrupt counts, the PFNs of the selected descriptor, and a token that travels between
//! the guest and the device. What the current step changed is highlighted.

use balloon_sim::command::QueueName;
use balloon_sim::view::bytes::RingItem;
use balloon_sim::view::{DescState, DescView};
use yew::prelude::*;

use crate::components::{book_link, queue_chapter};
use crate::hooks::{RingFocus, use_ring_focus};
use crate::view_model::{Payload, QueueModel, Side, format_desc_flags, format_pfn_range};

/// Ring entries listed under each ring (the newest ones, ending at the index).
pub const RING_TAIL: u16 = 6;
/// PFN runs listed for one descriptor before "… more".
pub const MAX_RUNS_SHOWN: usize = 12;

/// Properties of [`QueuePanel`].
#[derive(Properties, PartialEq, Debug)]
pub struct QueuePanelProps {
    /// The queue.
    pub queue: QueueModel,
}

fn state_text(s: DescState) -> &'static str {
    match s {
        DescState::Free => "free",
        DescState::InFlight => "in flight",
        DescState::Used => "used",
    }
}

/// The runs of a payload as lines, at most [`MAX_RUNS_SHOWN`] plus a count of the rest.
pub fn payload_lines(p: &Payload) -> Vec<String> {
    match p {
        Payload::Pfns(runs) => {
            let total: u64 = runs.iter().map(|r| r.count).sum();
            let mut lines: Vec<String> = runs
                .iter()
                .take(MAX_RUNS_SHOWN)
                .map(|r| format_pfn_range(*r))
                .collect();
            if runs.len() > MAX_RUNS_SHOWN {
                lines.push(format!("… {} more runs", runs.len() - MAX_RUNS_SHOWN));
            }
            let plural = if runs.len() == 1 { "run" } else { "runs" };
            lines.insert(
                0,
                format!("PFN array: {total} PFNs in {} {plural}", runs.len()),
            );
            lines
        }
        Payload::Pages(r) => vec![format!("pages {}", format_pfn_range(*r))],
        Payload::Stats {
            entries,
            trailing: 0,
        } => vec![format!(
            "{entries} virtio_balloon_stat entries (tag, value)"
        )],
        Payload::Stats { entries, trailing } => vec![format!(
            "{entries} virtio_balloon_stat entries (tag, value) and {trailing} bytes of a cut entry"
        )],
        Payload::Unreadable => vec!["buffer outside guest RAM or not a whole PFN array".to_owned()],
    }
}

/// The descriptor's fields in words: what its flags make the device do with it, why `next`
/// matters or not, and what is wrong with it when the guest is malformed.
pub fn describe_desc(
    desc: &balloon_sim::view::Descriptor,
    payload: Option<&Payload>,
) -> Vec<String> {
    use balloon_sim::view::{VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE};
    let mut out = Vec::new();
    if desc.flags & VIRTQ_DESC_F_NEXT != 0 {
        out.push(format!(
            "NEXT is set: the chain goes on at descriptor {}.",
            desc.next
        ));
    } else {
        out.push(format!(
            "NEXT is clear: this descriptor ends its chain, so next={} is never read (a value \
             left over from the free list).",
            desc.next
        ));
    }
    out.push(if desc.flags & VIRTQ_DESC_F_WRITE != 0 {
        "WRITE is set: the device writes into this buffer (balloon buffers are read-only: \
         malformed)."
            .to_owned()
    } else {
        "WRITE is clear: the device only reads this buffer.".to_owned()
    });
    if desc.flags & VIRTQ_DESC_F_INDIRECT != 0 {
        out.push("INDIRECT is set: addr points at a table of descriptors, not at data.".into());
    }
    let malformed = if desc.len == 0 {
        Some("len is 0: an empty buffer (malformed).".to_owned())
    } else if matches!(payload, Some(Payload::Pfns(_))) && !desc.len.is_multiple_of(4) {
        Some(format!(
            "len {} is not a whole number of 4-byte PFNs (malformed).",
            desc.len
        ))
    } else if matches!(payload, Some(Payload::Unreadable)) {
        Some(
            "addr and len reach outside guest RAM, or do not hold a whole PFN array (malformed)."
                .to_owned(),
        )
    } else {
        None
    };
    out.push(malformed.unwrap_or_else(|| {
        format!(
            "addr {:#x} and len {} name the buffer in guest memory.",
            desc.addr, desc.len
        )
    }));
    out
}

/// The strings of a queue's cells that only its label and size decide, built once (a cell's
/// id, which `aria-activedescendant` names and [`cell_index`] reads back, and its title in
/// each state), so that a render shares them (`AttrValue` clones an `Rc`) instead of
/// formatting three strings for each of 128 cells.
#[derive(PartialEq)]
struct CellTexts(Vec<(AttrValue, [AttrValue; 3])>);

impl CellTexts {
    fn new(label: &str, size: u16) -> Self {
        Self(
            (0..size)
                .map(|i| {
                    let title = |s| AttrValue::from(format!("descriptor {i}: {}", state_text(s)));
                    (
                        AttrValue::from(format!("{label}-desc-{i}")),
                        [
                            title(DescState::Free),
                            title(DescState::InFlight),
                            title(DescState::Used),
                        ],
                    )
                })
                .collect(),
        )
    }

    /// Cell `i`'s id and its title in state `s`.
    fn get(&self, i: u16, s: DescState) -> (AttrValue, AttrValue) {
        let Some((id, titles)) = self.0.get(usize::from(i)) else {
            return (AttrValue::default(), AttrValue::default());
        };
        let k = match s {
            DescState::Free => 0,
            DescState::InFlight => 1,
            DescState::Used => 2,
        };
        (id.clone(), titles[k].clone())
    }
}

/// A cell's classes: a static string for the plain cells (all but a few), which need no
/// allocation; a built one for the changed, selected or linked ones.
fn cell_class(s: DescState, changed: bool, selected: bool, linked: bool) -> AttrValue {
    let plain = match s {
        DescState::Free => "cell free",
        DescState::InFlight => "cell in-flight",
        DescState::Used => "cell used",
    };
    if !(changed || selected || linked) {
        return AttrValue::Static(plain);
    }
    let mut class = plain.to_owned();
    for (on, name) in [
        (changed, " changed"),
        (selected, " selected"),
        (linked, " linked"),
    ] {
        if on {
            class.push_str(name);
        }
    }
    AttrValue::from(class)
}

/// The descriptor index of the cell an event of the grid happened on (its id ends in
/// `-desc-{i}`), or `None` for the gaps between cells and for anything outside the grid.
fn cell_index(target: Option<web_sys::EventTarget>) -> Option<u16> {
    use wasm_bindgen::JsCast;
    let cell = target?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[role='option']")
        .ok()??;
    cell.id().rsplit_once("-desc-")?.1.parse().ok()
}

/// Hover links between a ring cell and its bytes in the byte panel.
#[derive(Default)]
struct Link {
    linked: bool,
    enter: Option<Callback<MouseEvent>>,
    leave: Option<Callback<MouseEvent>>,
}

fn link(focus: Option<&RingFocus>, queue: QueueName, item: RingItem) -> Link {
    let Some(f) = focus else {
        return Link::default();
    };
    let (set, unset) = (f.set.clone(), f.set.clone());
    Link {
        linked: f.is((queue, item)),
        enter: Some(Callback::from(move |_: MouseEvent| {
            set.emit(Some((queue, item)))
        })),
        leave: Some(Callback::from(move |_: MouseEvent| unset.emit(None))),
    }
}

fn index_row(
    id: String,
    name: &'static str,
    owner: &'static str,
    value: String,
    changed: bool,
    link: Link,
) -> Html {
    html! {
        <div class={classes!("index", changed.then_some("changed"), link.linked.then_some("linked"))}
            onmouseenter={link.enter} onmouseleave={link.leave}>
            <dt>{ name }<small>{ owner }</small></dt>
            <dd data-testid={id}>{ value }</dd>
        </div>
    }
}

/// A virtqueue's rings, indices and descriptors.
#[component]
pub fn QueuePanel(props: &QueuePanelProps) -> Html {
    let q = &props.queue;
    let picked = use_state(|| None::<u16>);
    let focus = use_ring_focus();
    let focus = focus.as_ref();
    let label = q.label();
    let testid = format!("queue-{label}");
    let ch = &q.changes;
    let side = match q.side {
        Side::Guest => "at-guest",
        Side::Device => "at-device",
    };
    let direction = match ch.towards_device {
        Some(true) => "guest → device",
        Some(false) => "device → guest",
        None => "",
    };
    let heading = html! {
        <header>
            <h2>{ label }<small>{ format!(" queue {} · {} entries", q.index, q.max_size) }</small></h2>
            { book_link(queue_chapter(label).0, queue_chapter(label).1) }
            <p class="counters">
                <span class={classes!(ch.kick.then_some("changed"))}>
                    { "kicks " }<b data-testid={format!("{label}-kicks")}>{ q.counts.kicks }</b></span>
                <span class={classes!(ch.interrupt.then_some("changed"))}>
                    { "interrupts " }<b data-testid={format!("{label}-interrupts")}>{ q.counts.interrupts }</b></span>
            </p>
        </header>
    };
    let lane = html! {
        <div class="lane" aria-hidden="true">
            <span>{ "guest" }</span>
            <div class={classes!("track", (!direction.is_empty()).then_some("active"))}>
                <span class={classes!("token", side)} data-testid={format!("{label}-token")}></span>
            </div>
            <span>{ "device" }</span>
        </div>
    };
    let Some(ring) = &q.ring else {
        return html! {
            <section class="queue" data-testid={testid}>
                { heading }
                { lane }
                <dl class="indices">
                    { index_row(format!("{label}-next-avail"), "next_avail", "device", q.next_avail.to_string(), ch.next_avail, Link::default()) }
                    { index_row(format!("{label}-used-idx"), "used.idx", "device", q.used_idx.to_string(), ch.used_idx, Link::default()) }
                </dl>
                <p class="note">{ if q.ready { "The driver has not set up this ring yet." } else { "Not configured yet (the driver sets it up in init_vqs)." } }</p>
            </section>
        };
    };
    let size = ring.layout.size.max(1);
    // Without a click, show what the step touched, else the first buffer in the rings.
    let selected = (*picked)
        .filter(|i| *i < ring.layout.size)
        .or_else(|| ch.descs.first().copied())
        .or_else(|| {
            ring.descriptors
                .iter()
                .find(|d| d.state != DescState::Free)
                .map(|d| d.index)
        });
    let texts = use_memo((label, ring.layout.size), |(label, size)| {
        CellTexts::new(label, *size)
    });
    // One cell per descriptor (128 per queue in QEMU's virtio_add_queue(vdev, 128, ...) of
    // virtio_balloon_device_realize): no listener, key or formatted string of its own, so a
    // render of three panels builds no closures and allocates nothing for the plain cells.
    let cell = |d: &DescView| {
        let i = d.index;
        let (id, title) = texts.get(i, d.state);
        let selected = selected == Some(i);
        let class = cell_class(
            d.state,
            ch.descs.contains(&i),
            selected,
            focus.is_some_and(|f| f.is((q.name, RingItem::Desc(i)))),
        );
        // One widget, one tab stop: the cells are options of the listbox, which holds the
        // focus and points at the selected one (aria-activedescendant). Four attributes a
        // cell, the fewest that say it all (each is a call into the DOM for each of the 384
        // cells of the first render): the title alone names the option (an element's `title`
        // is its accessible name when nothing else gives one: accname 1.2, step 2I), and only
        // the selected option carries `aria-selected`, an option's implicit value being false
        // (WAI-ARIA 1.2, the option role).
        html! {
            <div {id} role="option" {title} aria-selected={selected.then_some("true")} {class}></div>
        }
    };
    // Event delegation: the grid's three listeners stand for the cells' (mouseover and
    // mouseout bubble, where mouseenter and mouseleave do not).
    let on_grid_click = {
        let picked = picked.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(i) = cell_index(e.target()) {
                picked.set(Some(i));
            }
        })
    };
    let (on_grid_over, on_grid_out) = match focus {
        Some(f) => {
            let (set, unset, queue) = (f.set.clone(), f.set.clone(), q.name);
            (
                Some(Callback::from(move |e: MouseEvent| {
                    if let Some(i) = cell_index(e.target()) {
                        set.emit(Some((queue, RingItem::Desc(i))));
                    }
                })),
                // Leaving a cell for another one: its mouseover sets the focus next.
                Some(Callback::from(move |e: MouseEvent| {
                    if cell_index(e.target()).is_some() && cell_index(e.related_target()).is_none()
                    {
                        unset.emit(None);
                    }
                })),
            )
        }
        None => (None, None),
    };
    let on_grid_key = {
        let picked = picked.clone();
        let (set_focus, queue) = (focus.map(|f| f.set.clone()), q.name);
        let last = ring.layout.size.saturating_sub(1);
        Callback::from(move |e: KeyboardEvent| {
            let from = selected.unwrap_or(0);
            let to = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => from.saturating_add(1).min(last),
                "ArrowLeft" | "ArrowUp" => from.saturating_sub(1),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            e.prevent_default();
            picked.set(Some(to));
            // The byte panel shows the selected descriptor's bytes (and its buffer's).
            if let Some(set) = &set_focus {
                set.emit(Some((queue, RingItem::Desc(to))));
            }
        })
    };
    let detail = selected
        .and_then(|i| ring.descriptors.get(usize::from(i)))
        .map(|d| {
            let payload = q.payloads.iter().find(|(i, _)| *i == d.index).map(|(_, p)| p);
            let words = describe_desc(&d.desc, payload);
            html! {
                <div class="desc-detail" data-testid={format!("{label}-desc-detail")}>
                    <table>
                        <thead><tr><th scope="col">{ "desc" }</th><th scope="col">{ "addr" }</th>
                            <th scope="col">{ "len" }</th><th scope="col">{ "flags" }</th>
                            <th scope="col">{ "next" }</th><th scope="col">{ "state" }</th></tr></thead>
                        <tbody>
                        <tr class={classes!(ch.descs.contains(&d.index).then_some("changed"))}>
                            <td>{ d.index }</td>
                            <td>{ format!("{:#x}", d.desc.addr) }</td>
                            <td>{ d.desc.len }</td>
                            <td>{ format_desc_flags(d.desc.flags) }</td>
                            <td>{ d.desc.next }</td>
                            <td>{ match d.head {
                                Some(h) if h != d.index => format!("{} (chain of {h})", state_text(d.state)),
                                _ => state_text(d.state).to_owned(),
                            } }</td>
                        </tr>
                        </tbody>
                    </table>
                    <ul class="desc-words" data-testid={format!("{label}-desc-words")}>
                        { for words.into_iter().map(|w| html! { <li>{ w }</li> }) }
                    </ul>
                    <ul class="pfns" data-testid={format!("{label}-pfns")}>
                        { for payload.map(payload_lines).unwrap_or_else(|| vec![
                            "free: the driver owns it; its last buffer is no longer in the ring".to_owned()
                          ]).into_iter().map(|l| html! { <li>{ l }</li> }) }
                    </ul>
                </div>
            }
        });
    let avail_tail = (1..=RING_TAIL.min(ring.avail.idx).min(size))
        .rev()
        .map(|k| {
            let n = ring.avail.idx.wrapping_sub(k);
            let slot = n % size;
            let head = ring.avail.ring.get(usize::from(slot)).copied().unwrap_or(0);
            let newest = k == 1 && ch.avail_idx;
            let l = link(focus, q.name, RingItem::AvailEntry(slot));
            html! { <li class={classes!(newest.then_some("changed"), l.linked.then_some("linked"))}
            onmouseenter={l.enter} onmouseleave={l.leave}>{ format!("[{slot}] {head}") }</li> }
        });
    let used_tail = (1..=RING_TAIL.min(ring.used.idx).min(size)).rev().map(|k| {
        let slot = ring.used.idx.wrapping_sub(k) % size;
        let e = ring.used.ring.get(usize::from(slot)).copied().unwrap_or(balloon_sim::view::UsedEntry { id: 0, len: 0 });
        let newest = k == 1 && ch.used_idx;
        let l = link(focus, q.name, RingItem::UsedEntry(slot));
        html! { <li class={classes!(newest.then_some("changed"), l.linked.then_some("linked"))}
            onmouseenter={l.enter} onmouseleave={l.leave}>{ format!("[{slot}] id {} len {}", e.id, e.len) }</li> }
    });
    html! {
        <section class="queue" data-testid={testid}>
            { heading }
            { lane }
            <p class="direction" aria-live="off">{ if direction.is_empty() { "\u{a0}".to_owned() } else { format!("this step: {direction}") } }</p>
            <dl class="indices">
                { index_row(format!("{label}-avail-idx"), "avail.idx", "driver", ring.avail.idx.to_string(), ch.avail_idx, link(focus, q.name, RingItem::AvailIdx)) }
                { index_row(format!("{label}-next-avail"), "next_avail", "device", ring.next_avail.to_string(), ch.next_avail, Link::default()) }
                { index_row(format!("{label}-used-idx"), "used.idx", "device", ring.used.idx.to_string(), ch.used_idx, link(focus, q.name, RingItem::UsedIdx)) }
                { index_row(format!("{label}-last-used"), "last_used", "driver", ring.last_used.to_string(), ch.last_used, Link::default()) }
            </dl>
            <div class="rings">
                <div><h3>{ "avail ring" }</h3><ol class="ring-tail">
                    if ring.avail.idx == 0 { <li class="empty">{ "nothing published yet" }</li> }
                    { for avail_tail }</ol></div>
                <div><h3>{ "used ring" }</h3><ol class="ring-tail">
                    if ring.used.idx == 0 { <li class="empty">{ "nothing used yet" }</li> }
                    { for used_tail }</ol></div>
            </div>
            <h3>{ format!("descriptor table ({} free)", ring.num_free) }</h3>
            <div class="desc-grid" role="listbox" tabindex="0" data-testid={format!("{label}-desc-grid")}
                aria-label={format!("{label} descriptors (arrow keys move)")}
                aria-activedescendant={selected.map(|i| texts.get(i, DescState::Free).0)}
                onkeydown={on_grid_key} onclick={on_grid_click} onmouseover={on_grid_over}
                onmouseout={on_grid_out}>
                { for ring.descriptors.iter().map(cell) }
            </div>
            { for detail }
            if !q.step_pfns.is_empty() {
                <p class="step-pfns">{ "this step carried " }
                    { q.step_pfns.iter().take(4).map(|r| format_pfn_range(*r)).collect::<Vec<_>>().join(", ") }
                    { if q.step_pfns.len() > 4 { format!(" … ({} runs)", q.step_pfns.len()) } else { String::new() } }
                </p>
            }
        </section>
    }
}

/// What [`queue_panels_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct QueuePanelsProps {
    /// Every queue the device created.
    pub queues: Vec<QueueModel>,
}

/// A panel per queue; ivq, dvq and svq always have one (a placeholder before realize creates
/// them), free_page_vq and reporting_vq only when the device has them.
pub fn queue_panels_view(props: &QueuePanelsProps) -> Html {
    let missing = [QueueName::Ivq, QueueName::Dvq, QueueName::Svq]
        .into_iter()
        .filter(|n| !props.queues.iter().any(|q| q.name == *n));
    html! {
        <div class="queues">
            { for props.queues.iter().map(|q| html! { <QueuePanel key={q.index} queue={q.clone()} /> }) }
            { for missing.map(|n| html! {
                <section class="queue" data-testid={format!("queue-{}", n.as_str())}>
                    <header><h2>{ n.as_str() }</h2></header>
                    <p class="note">{ "The device has not created this queue yet (virtio_add_queue runs in realize)." }</p>
                </section>
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balloon_sim::trace::PfnRun;

    #[test]
    fn descriptors_are_explained_in_words() {
        let desc = |flags, len, next| balloon_sim::view::Descriptor {
            addr: 0x1000,
            len,
            flags,
            next,
        };
        let words = describe_desc(&desc(0, 1024, 1), Some(&Payload::Pfns(vec![])));
        assert!(words[0].contains("NEXT is clear") && words[0].contains("next=1 is never read"));
        assert!(words[1].contains("WRITE is clear"));
        assert!(words[2].contains("0x1000"));
        let words = describe_desc(&desc(1 | 2, 6, 3), Some(&Payload::Pfns(vec![])));
        assert!(words[0].contains("goes on at descriptor 3"));
        assert!(words[1].contains("malformed"));
        assert!(words[2].contains("not a whole number"));
        let words = describe_desc(&desc(0, 0, 0), None);
        assert!(words.last().unwrap().contains("len is 0"));
        let words = describe_desc(&desc(0, 8, 0), Some(&Payload::Unreadable));
        assert!(words.last().unwrap().contains("outside guest RAM"));
    }

    #[test]
    fn long_pfn_arrays_are_cut_to_a_few_lines() {
        let runs: Vec<PfnRun> = (0..100)
            .map(|i| PfnRun {
                first: i * 10,
                count: 2,
            })
            .collect();
        let lines = payload_lines(&Payload::Pfns(runs));
        assert_eq!(lines[0], "PFN array: 200 PFNs in 100 runs");
        assert_eq!(lines.len(), 1 + MAX_RUNS_SHOWN + 1);
        assert_eq!(lines.last().unwrap(), "… 88 more runs");
        assert_eq!(lines[1], "0x0–0x1 (2 pages)");
    }
}
