//! The balloon target: the guest size QMP `balloon` asks for, typed in MiB or in 4 KiB pages,
//! checked before anything is sent.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use balloon_sim::view::PAGE_SIZE;

use crate::state::Action;

/// What the target input starts at: half of the default 1 GiB guest.
pub const DEFAULT_TARGET_MIB: &str = "512";

/// The unit the target is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetUnit {
    /// Mebibytes of guest RAM.
    Mib,
    /// 4 KiB guest pages.
    Pages,
}

impl TargetUnit {
    fn bytes(self) -> u64 {
        match self {
            TargetUnit::Mib => 1 << 20,
            TargetUnit::Pages => PAGE_SIZE,
        }
    }
    fn name(self) -> &'static str {
        match self {
            TargetUnit::Mib => "MiB",
            TargetUnit::Pages => "pages",
        }
    }
}

/// Properties of [`TargetControls`].
#[derive(Properties, PartialEq, Debug)]
pub struct TargetControlsProps {
    /// Receives every operator action.
    pub on_action: Callback<Action>,
    /// Guest RAM in bytes: the largest valid target.
    pub ram_bytes: u64,
    /// Why the last action changed nothing, from the state.
    #[prop_or_default]
    pub error: Option<String>,
}

/// Parses the target field: a whole number of `unit`s, or a size with its unit as the workload
/// field takes it (`512M`, `1G`, `262144K`), from one page up to the guest's RAM. Returns
/// bytes. Every other input (empty, text, NaN, negative, fractional, too large, not whole
/// pages) is a message.
pub fn parse_target(text: &str, unit: TargetUnit, ram_bytes: u64) -> Result<u64, String> {
    let text = text.trim();
    let max = ram_bytes / unit.bytes();
    let range = format!(
        "a whole number of {} from 1 to {max}, or a size like 512M",
        unit.name()
    );
    if text.is_empty() {
        return Err(format!("enter a target: {range}"));
    }
    let with_suffix = text.ends_with(|c: char| c.is_ascii_alphabetic());
    let bytes = if with_suffix {
        balloon_sim::command::units::parse_size(text, 0)
    } else {
        text.parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit.bytes()))
    }
    .ok_or_else(|| format!("\"{text}\" is not {range}"))?;
    if bytes == 0 || bytes > ram_bytes {
        return Err(format!("{text} is outside the guest: use {range}"));
    }
    if !bytes.is_multiple_of(PAGE_SIZE) {
        return Err(format!(
            "{text} is not a whole number of 4 KiB pages: use {range}"
        ));
    }
    Ok(bytes)
}

/// The target field, its unit and the apply button.
#[component]
pub fn TargetControls(props: &TargetControlsProps) -> Html {
    let text = use_state(|| DEFAULT_TARGET_MIB.to_string());
    let unit = use_state(|| TargetUnit::Mib);
    let local_error = use_state(|| None::<String>);
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let onchange_unit = {
        let unit = unit.clone();
        let text = text.clone();
        let ram_bytes = props.ram_bytes;
        Callback::from(move |e: Event| {
            let new = match e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .as_str()
            {
                "pages" => TargetUnit::Pages,
                _ => TargetUnit::Mib,
            };
            // Keep the same size when the unit changes, if the field held a valid one.
            if let Ok(bytes) = parse_target(&text, *unit, ram_bytes) {
                text.set((bytes / new.bytes()).to_string());
            }
            unit.set(new);
        })
    };
    let apply = {
        let text = text.clone();
        let unit = unit.clone();
        let local_error = local_error.clone();
        let on_action = props.on_action.clone();
        let ram_bytes = props.ram_bytes;
        move || match parse_target(&text, *unit, ram_bytes) {
            Ok(bytes) => {
                local_error.set(None);
                on_action.emit(Action::ApplyTarget(bytes));
            }
            Err(msg) => local_error.set(Some(msg)),
        }
    };
    let on_apply = {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply())
    };
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        apply();
    });
    let error = (*local_error).clone().or_else(|| props.error.clone());
    html! {
        <form class="target" {onsubmit}>
            <label for="target-input">{ "Guest size target" }</label>
            <div class="target-row">
                <input id="target-input" type="text" data-testid="target-input"
                    aria-invalid={error.is_some().to_string()} aria-describedby="target-error"
                    value={(*text).clone()} {oninput} />
                <select data-testid="target-unit" aria-label="Unit" onchange={onchange_unit}>
                    <option value="mib" selected={*unit == TargetUnit::Mib}>{ "MiB" }</option>
                    <option value="pages" selected={*unit == TargetUnit::Pages}>{ "pages" }</option>
                </select>
                <button type="button" data-testid="apply-target" onclick={on_apply}>
                    { "Apply target" }
                </button>
            </div>
            if let Some(msg) = error {
                <p id="target-error" class="error" role="alert" data-testid="target-error">{ msg }</p>
            }
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn parse_target_accepts_whole_units_up_to_ram() {
        assert_eq!(parse_target(" 512 ", TargetUnit::Mib, GIB), Ok(512 << 20));
        assert_eq!(parse_target("1024", TargetUnit::Mib, GIB), Ok(GIB));
        assert_eq!(parse_target("262144", TargetUnit::Pages, GIB), Ok(GIB));
        assert_eq!(parse_target("1", TargetUnit::Pages, GIB), Ok(4096));
    }

    #[test]
    fn parse_target_takes_sizes_as_the_workload_field_does() {
        assert_eq!(parse_target("512M", TargetUnit::Mib, GIB), Ok(512 << 20));
        assert_eq!(parse_target("1G", TargetUnit::Pages, GIB), Ok(GIB));
        assert_eq!(parse_target("8K", TargetUnit::Mib, GIB), Ok(8192));
        for bad in ["2G", "1K", "0M", "5X", "M"] {
            assert!(parse_target(bad, TargetUnit::Mib, GIB).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_target_rejects_junk_nan_negatives_zero_and_too_big() {
        for bad in [
            "",
            "abc",
            "NaN",
            "inf",
            "-5",
            "1.5",
            "0",
            "1025",
            "99999999999999999999999",
        ] {
            let msg = parse_target(bad, TargetUnit::Mib, GIB).unwrap_err();
            assert!(msg.contains("1024"), "{bad:?}: {msg}");
        }
        assert!(parse_target("262145", TargetUnit::Pages, GIB).is_err());
    }
}
