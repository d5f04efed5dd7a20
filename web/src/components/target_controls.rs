//! Operator controls: stepping buttons and the balloon target (the guest size QMP `balloon`
//! asks for, in MiB).

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;

/// What the target input starts at: half of the preset's 1 GiB guest.
pub const DEFAULT_TARGET_MIB: &str = "512";

/// Properties of [`TargetControls`].
#[derive(Properties, PartialEq, Debug)]
pub struct TargetControlsProps {
    /// Receives every operator action.
    pub on_action: Callback<Action>,
    /// Guest RAM in MiB: the largest valid target.
    pub ram_mib: u64,
    /// Why the last action changed nothing, from the state.
    #[prop_or_default]
    pub error: Option<String>,
}

/// Parses the target field: a whole number of MiB in 1..=`ram_mib`.
pub fn parse_target(text: &str, ram_mib: u64) -> Result<u64, String> {
    let mib: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{}\" is not a whole number of MiB", text.trim()))?;
    if mib == 0 || mib > ram_mib {
        return Err(format!("target must be between 1 and {ram_mib} MiB"));
    }
    Ok(mib)
}

/// The step buttons, the target field and its apply button.
#[component]
pub fn TargetControls(props: &TargetControlsProps) -> Html {
    let text = use_state(|| DEFAULT_TARGET_MIB.to_string());
    let local_error = use_state(|| None::<String>);
    let button = |id: &'static str, label: &'static str, action: Action| {
        let on_action = props.on_action.clone();
        let local_error = local_error.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            local_error.set(None);
            on_action.emit(action.clone());
        });
        html! { <button type="button" data-testid={id} {onclick}>{ label }</button> }
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let on_apply = {
        let text = text.clone();
        let local_error = local_error.clone();
        let on_action = props.on_action.clone();
        let ram_mib = props.ram_mib;
        Callback::from(move |_: MouseEvent| match parse_target(&text, ram_mib) {
            Ok(mib) => {
                local_error.set(None);
                on_action.emit(Action::ApplyTarget(mib));
            }
            Err(msg) => local_error.set(Some(msg)),
        })
    };
    let error = (*local_error).clone().or_else(|| props.error.clone());
    html! {
        <div class="controls">
            { button("step", "Step", Action::StepOp) }
            { button("step-message", "Step message", Action::StepMessage) }
            { button("step-back", "Step back", Action::StepBack) }
            { button("run-to-quiet", "Run", Action::RunToQuiet) }
            { button("reset", "Reset", Action::Reset) }
            <label>
                { "Guest target (MiB) " }
                <input type="text" inputmode="numeric" data-testid="target-input"
                    value={(*text).clone()} {oninput} />
            </label>
            <button type="button" data-testid="apply-target" onclick={on_apply}>
                { "Apply target" }
            </button>
            if let Some(msg) = error {
                <p class="error" role="alert" data-testid="target-error">{ msg }</p>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_target_accepts_whole_mib_up_to_ram() {
        assert_eq!(parse_target(" 512 ", 1024), Ok(512));
        assert_eq!(parse_target("1024", 1024), Ok(1024));
    }

    #[test]
    fn parse_target_rejects_junk_negatives_zero_and_too_big() {
        for bad in [
            "",
            "abc",
            "-5",
            "1.5",
            "0",
            "1025",
            "99999999999999999999999",
        ] {
            assert!(parse_target(bad, 1024).is_err(), "{bad:?}");
        }
    }
}
