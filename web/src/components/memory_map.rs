//! The guest's memory as a strip of cells, each a slice of guest RAM with its pages stacked by
//! state (free, used, page cache, ballooned, reported, hinted, in flight). The cell count is
//! fixed, so a 64 GiB guest costs what a 1 GiB one does.

use balloon_sim::view::MemoryCell;
use yew::prelude::*;

use crate::view_model::Fixed;
use crate::view_model::{format_bytes_mib, format_mib};

/// Page states in [`MemoryCell::states`] order: CSS class and label.
pub const STATES: [(&str, &str); 8] = [
    ("free", "free"),
    ("used", "used"),
    ("cache", "page cache"),
    ("ballooned", "ballooned"),
    ("reported", "reported"),
    ("hinted", "hinted"),
    ("inflating", "inflating"),
    ("reporting", "reporting"),
];

/// Height of a cell in user units.
const CELL_H: f64 = 40.0;
/// Width of a cell in user units.
const CELL_W: f64 = 4.0;

/// Pages per state over all cells.
pub fn totals(cells: &[MemoryCell]) -> [u64; 8] {
    let mut t = [0u64; 8];
    for c in cells {
        for (sum, n) in t.iter_mut().zip(c.states) {
            *sum += n;
        }
    }
    t
}

/// The stacked segments of one cell: (state index, y, height), bottom-up, empty states left out.
pub fn segments(c: &MemoryCell) -> Vec<(usize, f64, f64)> {
    let total = c.pages.max(1) as f64;
    let mut y = CELL_H;
    let mut out = Vec::new();
    for (i, n) in c.states.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let h = CELL_H * (*n as f64) / total;
        y -= h;
        out.push((i, y, h));
    }
    out
}

/// What [`memory_map_view`] draws (through [`memo`](crate::components::memo::memo)).
#[derive(Properties, PartialEq, Debug)]
pub struct MemoryMapProps {
    /// The cells, in PFN order.
    pub cells: Vec<MemoryCell>,
    /// The host's side of the same memory.
    pub host: HostMemoryLine,
}

/// What the host holds for this guest: its RAM as far as the guest wrote it, the VMM process
/// itself, and what the balloon and free page reporting took back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostMemoryLine {
    /// Guest RAM resident on the host.
    pub resident_bytes: u64,
    /// The VMM process's own memory.
    pub vmm_overhead_bytes: u64,
    /// Saved by discards.
    pub saved_bytes: u64,
}

/// The guest memory map and its legend.
pub fn memory_map_view(props: &MemoryMapProps) -> Html {
    let cells = &props.cells;
    let width = CELL_W * cells.len().max(1) as f64;
    let per_cell = cells.first().map_or(0, |c| c.pages);
    let t = totals(cells);
    let column = |(k, c): (usize, &MemoryCell)| {
        let x = k as f64 * CELL_W;
        html! {
            <g>
                <title>{ format!("PFN {:#x}+{}: {}", c.first_pfn, c.pages,
                    STATES.iter().zip(c.states).filter(|(_, n)| *n > 0)
                        .map(|((_, l), n)| format!("{n} {l}")).collect::<Vec<_>>().join(", ")) }</title>
                { for segments(c).into_iter().map(|(i, y, h)| html! {
                    <rect class={format!("mm-{}", STATES[i].0)} x={Fixed(x, 1).to_string()} y={Fixed(y, 2).to_string()}
                        width={Fixed(CELL_W - 0.5, 1).to_string()} height={Fixed(h, 2).to_string()} />
                }) }
            </g>
        }
    };
    html! {
        <section class="memory-map" data-testid="memory-map">
            <h2>{ "Guest memory" }<small>{ format!(" {} cells of {} each", cells.len(), format_mib(per_cell)) }</small></h2>
            <svg viewBox={format!("0 0 {} {}", Fixed(width, 0), Fixed(CELL_H, 0))} preserveAspectRatio="none" role="img"
                aria-label="Guest memory map by page state">
                { for cells.iter().enumerate().map(column) }
            </svg>
            <ul class="legend">
                { for STATES.iter().zip(t).filter(|(_, n)| *n > 0).map(|((class, label), n)| html! {
                    <li><span class={classes!("swatch", format!("mm-{class}"))}></span>
                        { format!("{label} {}", format_mib(n)) }</li>
                }) }
            </ul>
            <p class="host-memory" data-testid="host-memory">
                { "On the host: " }
                <span data-testid="host-guest-resident">{ format_bytes_mib(props.host.resident_bytes) }</span>
                { " of guest RAM resident (only pages the guest wrote) + " }
                <span data-testid="vmm-overhead">{ format_bytes_mib(props.host.vmm_overhead_bytes) }</span>
                { " for the VMM process; the balloon and free page reporting saved " }
                <span data-testid="host-saved">{ format_bytes_mib(props.host.saved_bytes) }</span>
                { "." }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_stack_to_the_cell_height() {
        let c = MemoryCell {
            first_pfn: 0,
            pages: 100,
            states: [50, 0, 25, 25, 0, 0, 0, 0],
            discarded: 0,
        };
        let s = segments(&c);
        assert_eq!(s.iter().map(|x| x.0).collect::<Vec<_>>(), [0, 2, 3]);
        assert!((s.iter().map(|x| x.2).sum::<f64>() - CELL_H).abs() < 1e-9);
        assert!(
            s.last().unwrap().1.abs() < 1e-9,
            "the top segment reaches y = 0"
        );
        assert_eq!(totals(&[c.clone(), c])[0], 100);
    }
}
