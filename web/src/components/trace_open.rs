//! Opening a trace: the file picker, a drop zone and a paste box; optionally a QMP transcript.
//! The bytes stay in the tab: nothing is sent anywhere, and nothing in them is run.

use web_sys::{DragEvent, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::trace::loader::Source;

/// Properties of [`TraceOpen`].
#[derive(Properties, PartialEq, Debug)]
pub struct TraceOpenProps {
    /// Receives (trace, optional QMP transcript).
    pub on_open: Callback<(String, Source, Option<Source>)>,
}

/// The three ways in.
#[component]
pub fn TraceOpen(props: &TraceOpenProps) -> Html {
    let qmp = use_mut_ref(|| None::<web_sys::File>);
    let paste = use_node_ref();
    let dragging = use_state(|| false);
    let take_qmp = {
        let qmp = qmp.clone();
        move || qmp.borrow().clone().map(Source::File)
    };
    let on_file = {
        let on_open = props.on_open.clone();
        let take_qmp = take_qmp.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(f) = input.files().and_then(|f| f.get(0)) {
                input.set_value("");
                on_open.emit((f.name(), Source::File(f), take_qmp()));
            }
        })
    };
    let on_qmp = {
        let qmp = qmp.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            *qmp.borrow_mut() = input.files().and_then(|f| f.get(0));
        })
    };
    let on_drop = {
        let on_open = props.on_open.clone();
        let dragging = dragging.clone();
        let take_qmp = take_qmp.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(f) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            {
                on_open.emit((f.name(), Source::File(f), take_qmp()));
            }
        })
    };
    let on_drag_over = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_drag_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_paste = {
        let on_open = props.on_open.clone();
        let paste = paste.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(t) = paste.cast::<HtmlTextAreaElement>() {
                on_open.emit((
                    "pasted text".to_owned(),
                    Source::Text(t.value()),
                    take_qmp(),
                ));
            }
        })
    };
    html! {
        <section class="trace-open" aria-label="Open a QEMU trace">
            <div class={classes!("drop-zone", dragging.then_some("dragging"))} data-testid="drop-zone"
                ondrop={on_drop} ondragover={on_drag_over} ondragleave={on_drag_leave}>
                <p>{ "Drop a QEMU trace log here (the " }<code>{ "log" }</code>
                    { " trace backend, " }<code>{ "-msg timestamp=on" }</code>{ "; plain or .gz), or" }</p>
                <label class="button">
                    { "Choose a trace file…" }
                    <input type="file" data-testid="trace-file" class="visually-hidden"
                        accept=".log,.txt,.gz,text/plain,application/gzip" onchange={on_file} />
                </label>
                <label class="qmp-pick">
                    { "QMP transcript (optional, JSON lines; choose it first): " }
                    <input type="file" data-testid="qmp-file" accept=".jsonl,.json,.txt" onchange={on_qmp} />
                </label>
            </div>
            <details class="paste">
                <summary>{ "…or paste trace lines" }</summary>
                <textarea ref={paste} data-testid="trace-paste" rows="6" spellcheck="false"
                    aria-label="Trace lines"
                    placeholder="26039@1795998885.598957:virtio_balloon_handle_output section name: pc.ram gpa: 0xb8ee000" />
                <button type="button" data-testid="trace-paste-open" onclick={on_paste}>{ "Open pasted text" }</button>
            </details>
        </section>
    }
}
