//! One card per VM on the host: its name, a small balloon (the same paths as the balloon
//! picture, at card size), its numbers and whether it runs. The strip is one listbox, one Tab
//! stop: arrows move the selection (`aria-activedescendant`), as the descriptor tables do.

use yew::prelude::*;

use crate::components::balloon_outline::{FRAME, VIEW_BOX, balloon_path, knot_path};
use crate::view_model::Fixed;
use crate::view_model::{VmCardModel, format_bytes_mib};

/// What [`vm_cards`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct VmCardsProps {
    /// The cards, in script order.
    pub cards: Vec<VmCardModel>,
    /// The selected VM.
    pub selected: usize,
    /// Receives the VM to select.
    pub on_select: Callback<usize>,
}

/// The index `key` moves the selection to, from `at` among `n` cards.
pub fn moved(key: &str, at: usize, n: usize) -> Option<usize> {
    let last = n.checked_sub(1)?;
    match key {
        "ArrowRight" | "ArrowDown" => Some((at + 1).min(last)),
        "ArrowLeft" | "ArrowUp" => Some(at.saturating_sub(1)),
        "Home" => Some(0),
        "End" => Some(last),
        _ => None,
    }
}

fn card_svg(c: &VmCardModel) -> Html {
    let (w, h) = VIEW_BOX;
    let (fx, fy, fw, fh) = FRAME;
    let fill = c.balloon.as_ref().map_or(0.0, |b| b.actual_fill());
    html! {
        <svg class="balloon vm-card-balloon" viewBox={format!("0 0 {} {}", Fixed(w, 0), Fixed(h, 0))} aria-hidden="true">
            <rect class="guest-ram" x={Fixed(fx, 0).to_string()} y={Fixed(fy, 0).to_string()}
                width={Fixed(fw, 0).to_string()} height={Fixed(fh, 0).to_string()} rx="6" />
            if c.balloon.is_some() {
                <path class="balloon-outline" d={balloon_path(fill)} />
                <path class="balloon-knot" d={knot_path()} />
            }
        </svg>
    }
}

/// The strip of VM cards.
pub fn vm_cards(props: &VmCardsProps) -> Html {
    let n = props.cards.len();
    let onkeydown = {
        let (on_select, at) = (props.on_select.clone(), props.selected);
        Callback::from(move |e: KeyboardEvent| {
            if let Some(i) = moved(&e.key(), at, n) {
                e.prevent_default();
                on_select.emit(i);
            }
        })
    };
    html! {
        <div class="vm-cards" role="listbox" tabindex="0" aria-label="VMs on the host"
            aria-orientation="horizontal" data-testid="vm-cards"
            aria-activedescendant={format!("vm-card-{}", props.selected)} {onkeydown}>
            { for props.cards.iter().enumerate().map(|(i, c)| {
                let onclick = {
                    let on_select = props.on_select.clone();
                    Callback::from(move |_: MouseEvent| on_select.emit(i))
                };
                let selected = i == props.selected;
                html! {
                    <div id={format!("vm-card-{i}")} role="option" aria-selected={selected.to_string()}
                        class={classes!("vm-card", format!("vm-colour-{}", i % 8),
                            selected.then_some("selected"), c.killed.then_some("killed"))}
                        data-testid={format!("vm-card-{}", c.name)} {onclick}>
                        <span class="vm-card-name">{ c.name.clone() }</span>
                        { card_svg(c) }
                        <span class="vm-card-state" data-testid={format!("vm-state-{}", c.name)}>
                            { c.state.clone() }</span>
                        if let Some(b) = &c.balloon {
                            <span class="vm-card-numbers">
                                { format!("num_pages {} · actual {}", b.num_pages, b.actual) }</span>
                            <span class="vm-card-numbers">
                                { format!("resident {}", format_bytes_mib(b.host_resident_bytes)) }</span>
                        }
                    </div>
                }
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::moved;

    #[test]
    fn arrows_move_within_the_strip_and_other_keys_do_nothing() {
        assert_eq!(moved("ArrowRight", 0, 3), Some(1));
        assert_eq!(moved("ArrowRight", 2, 3), Some(2));
        assert_eq!(moved("ArrowLeft", 0, 3), Some(0));
        assert_eq!(moved("End", 0, 3), Some(2));
        assert_eq!(moved("Home", 2, 3), Some(0));
        assert_eq!(moved("a", 1, 3), None);
        assert_eq!(moved("ArrowRight", 0, 0), None, "no cards, no move");
    }
}
