//! The byte panel: the rings, buffers and config space as an annotated hex dump, the bytes the
//! last step wrote flashing in the order they were written (driver and device in their own
//! colour; with reduced motion, a static mark and the write's number), hover or keyboard focus
//! linked to the ring panel's cells.

use std::rc::Rc;

use balloon_sim::view::bytes::{BytesView, Writer};
use yew::prelude::*;

use crate::hooks::{RingFocus, use_ring_focus};
use crate::view_model::{
    ByteSource, FieldCell, HexBlock, HexRow, default_source, hex_blocks, sources, write_lines,
};

/// Lines of the step's writes listed in words.
const WRITE_LINES: usize = 12;

/// Properties of [`BytePanel`].
#[derive(Properties, PartialEq, Debug)]
pub struct BytePanelProps {
    /// The bytes and the step's writes.
    pub bytes: Rc<BytesView>,
    /// Play is too fast to follow byte by byte: the panel keeps the last view until it stops.
    #[prop_or_default]
    pub frozen: bool,
}

fn writer_class(w: Writer) -> &'static str {
    match w {
        Writer::Driver => "by-driver",
        Writer::Device => "by-device",
    }
}

/// The field ids a reader can move through, in dump order (fields folded away are skipped).
fn visible_fields(blocks: &[HexBlock]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        for row in &block.rows {
            if let HexRow::Bytes { pieces, .. } = row {
                for (f, _) in pieces {
                    if out.last() != Some(&(b, *f)) {
                        out.push((b, *f));
                    }
                }
            }
        }
    }
    out
}

fn piece(
    cell: &FieldCell,
    hex: &str,
    first: bool,
    active: bool,
    focus: Option<&RingFocus>,
    on_pick: &Callback<(String, Option<crate::hooks::RingTarget>)>,
) -> Html {
    let linked = match (focus, cell.link) {
        (Some(f), Some(t)) => f.is(t),
        _ => false,
    };
    let (order, by) = match cell.written {
        Some((k, w)) => (Some(k.to_string()), Some(writer_class(w))),
        None => (None, None),
    };
    let style = cell.written.map(|(k, _)| format!("--write-order: {k}"));
    let onmouseenter = focus.map(|f| {
        let (set, link) = (f.set.clone(), cell.link);
        Callback::from(move |_: MouseEvent| set.emit(link))
    });
    let onmouseleave = focus.map(|f| {
        let set = f.set.clone();
        Callback::from(move |_: MouseEvent| set.emit(None))
    });
    let onclick = {
        let (pick, id, link) = (on_pick.clone(), cell.id.clone(), cell.link);
        Callback::from(move |_: MouseEvent| pick.emit((id.clone(), link)))
    };
    let class = classes!(
        "bf",
        by,
        cell.written.is_some().then_some("written"),
        linked.then_some("linked"),
        active.then_some("active")
    );
    if first {
        html! {
            <span id={cell.id.clone()} role="option" aria-selected={active.to_string()}
                aria-label={format!("{}; bytes {hex}", cell.label())} title={format!("{}: {}", cell.name, cell.decoded)}
                data-field={cell.name.clone()} data-write-order={order}
                data-write={cell.written.map(|(k, _)| (k + 1).to_string())}
                {class} {style} {onmouseenter} {onmouseleave} {onclick}>{ hex }</span>
        }
    } else {
        html! {
            <span aria-hidden="true" data-field={cell.name.clone()} {class} {style}
                {onmouseenter} {onmouseleave} {onclick}>{ hex }</span>
        }
    }
}

/// The annotated hex dump of one source at a time.
#[component]
pub fn BytePanel(props: &BytePanelProps) -> Html {
    let v = &props.bytes;
    let focus = use_ring_focus();
    let picked_source = use_state_eq(|| None::<ByteSource>);
    let active = use_state_eq(|| None::<String>);
    let all = sources(v);
    let source = (*picked_source)
        .filter(|s| all.contains(s))
        .or_else(|| default_source(v));
    let blocks = source.map(|s| hex_blocks(v, s)).unwrap_or_default();
    let order = visible_fields(&blocks);
    let active_at = (*active).as_ref().and_then(|id| {
        order
            .iter()
            .position(|&(b, f)| &blocks[b].fields[f].id == id)
    });
    let on_pick = {
        let (active, set) = (active.clone(), focus.as_ref().map(|f| f.set.clone()));
        Callback::from(
            move |(id, link): (String, Option<crate::hooks::RingTarget>)| {
                active.set(Some(id));
                if let Some(set) = &set {
                    set.emit(link);
                }
            },
        )
    };
    let onkeydown = {
        let (on_pick, blocks, order) = (on_pick.clone(), blocks.clone(), order.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Some(last) = order.len().checked_sub(1) else {
                return;
            };
            let to = match (e.key().as_str(), active_at) {
                ("ArrowRight" | "ArrowDown", Some(i)) => (i + 1).min(last),
                ("ArrowLeft" | "ArrowUp", Some(i)) => i.saturating_sub(1),
                ("ArrowRight" | "ArrowDown" | "ArrowLeft" | "ArrowUp" | "Home", _) => 0,
                ("End", _) => last,
                _ => return,
            };
            e.prevent_default();
            let (b, f) = order[to];
            let cell = &blocks[b].fields[f];
            on_pick.emit((cell.id.clone(), cell.link));
        })
    };
    let active_cell = active_at.map(|i| &blocks[order[i].0].fields[order[i].1]);
    let options = all.iter().map(|&s| {
        html! {
            <option value={s.label()} selected={Some(s) == source}>{ s.label() }</option>
        }
    });
    let onchange = {
        let (picked_source, all) = (picked_source.clone(), all.clone());
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let value = select.value();
            picked_source.set(all.iter().copied().find(|s| s.label() == value));
        })
    };
    let block_html = blocks.iter().enumerate().map(|(b, block)| {
        let mut seen = vec![false; block.fields.len()];
        let rows = block.rows.iter().map(|row| match row {
            HexRow::Bytes { addr, pieces } => html! {
                <div class="hex-row">
                    <span class="hex-addr" aria-hidden="true">{ format!("{addr:08x}") }</span>
                    { for pieces.iter().map(|(f, hex)| {
                        let cell = &block.fields[*f];
                        let first = !std::mem::replace(&mut seen[*f], true);
                        let is_active = active_cell.is_some_and(|a| a.id == cell.id);
                        piece(cell, hex, first, is_active, focus.as_ref(), &on_pick)
                    }) }
                </div>
            },
            HexRow::Zeros { from, rows } => html! {
                <div class="hex-row hex-zeros" aria-hidden="true">
                    <span class="hex-addr">{ format!("{from:08x}") }</span>
                    <span>{ format!("* {rows} row(s) of zeros") }</span>
                </div>
            },
        });
        // Inside a listbox only groups and options may speak: the title and the note are the
        // group's name, shown to the eye by hidden text.
        let name = match &block.note {
            Some(note) => format!("{} ({note})", block.title),
            None => block.title.clone(),
        };
        html! {
            <div class="hex-block" key={b} role="group" aria-label={name}>
                <div class="hex-title" aria-hidden="true">{ block.title.clone() }</div>
                if let Some(note) = &block.note {
                    <div class="note" aria-hidden="true">{ note }</div>
                }
                { for rows }
            </div>
        }
    });
    let lines = write_lines(v, WRITE_LINES);
    html! {
        <section class="bytes" data-testid="byte-panel" aria-label="Bytes in guest memory">
            <header>
                <h2>{ "bytes" }<small>{ " rings, buffers and config space as memory holds them (little-endian)" }</small></h2>
                <p class="byte-legend">
                    <span class="bf written by-driver">{ "driver wrote" }</span>
                    <span class="bf written by-device">{ "device wrote" }</span>
                    <span>{ "numbered in write order" }</span>
                </p>
            </header>
            <label class="byte-source">{ "show " }
                <select data-testid="bytes-source" {onchange}>{ for options }</select>
            </label>
            if props.frozen {
                <p class="note" data-testid="bytes-frozen">
                    { "Playing fast: the bytes stay as they were when play began, and refresh when it stops." }
                </p>
            }
            <div class="hexdump" role="listbox" tabindex="0" data-testid="hexdump"
                aria-label="Bytes: each option is one field (arrow keys move between fields)"
                aria-activedescendant={active_cell.map(|c| c.id.clone())} {onkeydown}>
                { for block_html }
            </div>
            <p class="byte-detail" data-testid="byte-detail">
                { active_cell.map_or_else(
                    || "Point at or select a field (arrow keys) to read it.".to_owned(),
                    FieldCell::label) }
            </p>
            <h3>{ format!("this step wrote (events from {})", v.writes_from) }</h3>
            <ol class="byte-writes" data-testid="byte-writes">
                if lines.is_empty() { <li class="empty">{ "nothing in guest memory or config space" }</li> }
                { for lines.into_iter().map(|l| html! { <li>{ l }</li> }) }
            </ol>
        </section>
    }
}
