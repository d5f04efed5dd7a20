//! The console: QMP, HMP and guest lines typed or pasted, answered as QEMU prints them; a line
//! that does not parse prints its error (line, column, expected form) and changes nothing. A
//! pasted script that starts with a machine line replaces the session.

use std::rc::Rc;

use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::state::{Action, ConsoleLine, LineKind};

/// Properties of [`Console`].
#[derive(Properties, PartialEq, Debug)]
pub struct ConsoleProps {
    /// Receives the submitted input.
    pub on_action: Callback<Action>,
    /// The output so far, oldest first.
    pub lines: Rc<Vec<ConsoleLine>>,
    /// The input's example lines (the host page's name VMs).
    #[prop_or(AttrValue::Static("balloon 512 · info balloon · run 2s"))]
    pub placeholder: AttrValue,
    /// The input's accessible name.
    #[prop_or(AttrValue::Static(
        "Console input: QMP JSON, HMP (balloon 512, info balloon), guest alloc 300M, run, step"
    ))]
    pub label: AttrValue,
}

/// The console's output and input.
#[component]
pub fn Console(props: &ConsoleProps) -> Html {
    let text = use_state(String::new);
    let output = use_node_ref();
    {
        // Follow the newest output.
        let output = output.clone();
        use_effect_with(Rc::clone(&props.lines), move |_| {
            if let Some(el) = output.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let submit = {
        let text = text.clone();
        let on_action = props.on_action.clone();
        move || {
            if !text.trim().is_empty() {
                on_action.emit(Action::Console((*text).clone()));
                text.set(String::new());
            }
        }
    };
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
        })
    };
    let onkeydown = {
        let submit = submit.clone();
        Callback::from(move |e: KeyboardEvent| {
            // Enter sends; shift+Enter starts another line of a multi-line input.
            if e.key() == "Enter" && !e.shift_key() {
                e.prevent_default();
                submit();
            }
        })
    };
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        submit();
    });
    html! {
        <section class="console" aria-label="Monitor console">
            <h2>{ "Console" }</h2>
            <div class="console-output" data-testid="console-output" ref={output} role="log"
                aria-live="polite" tabindex="0">
                { for props.lines.iter().map(|l| {
                    let class = match l.kind {
                        LineKind::Input => "in",
                        LineKind::Reply => "out",
                        LineKind::Error => "err",
                        LineKind::Note => "note",
                    };
                    let prompt = if l.kind == LineKind::Input { "(qemu) " } else { "" };
                    html! { <div class={class}>{ prompt }{ &l.text }</div> }
                }) }
            </div>
            <form class="console-input" {onsubmit}>
                <textarea data-testid="console-input" rows="2" spellcheck="false"
                    aria-label={props.label.clone()}
                    placeholder={props.placeholder.clone()}
                    value={(*text).clone()} {oninput} {onkeydown} />
                <button type="submit" data-testid="console-send">{ "Send" }</button>
            </form>
        </section>
    }
}
