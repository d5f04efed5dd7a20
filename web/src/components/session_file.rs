//! Export and import of the session's script (`.bpl`, the command language as text).

use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;
use crate::view_model::Fixed;

/// What [`session_file`] draws.
#[derive(Properties, PartialEq, Debug)]
pub struct SessionFileProps {
    /// Receives `Import` (or `Notify` when the file cannot be read).
    pub on_action: Callback<Action>,
    /// The script to export, computed when the button is pressed.
    pub script: Callback<(), String>,
}

/// The file name of an exported script.
pub const EXPORT_NAME: &str = "balloon-session.bpl";

/// Largest script file read (a script is a few hundred bytes; anything this large is not one).
pub const MAX_IMPORT_BYTES: f64 = 1024.0 * 1024.0;

/// Export and import buttons.
pub fn session_file(props: &SessionFileProps) -> Html {
    let on_export = {
        let script = props.script.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = crate::browser::download_text(EXPORT_NAME, &script.emit(())) {
                on_action.emit(Action::Notify(e));
            }
        })
    };
    let on_import = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // The same file chosen twice still fires `change`.
            input.set_value("");
            if file.size() > MAX_IMPORT_BYTES {
                on_action.emit(Action::Notify(format!(
                    "{} is {} bytes: too large to be a script, nothing was imported",
                    file.name(),
                    Fixed(file.size(), 0)
                )));
                return;
            }
            let on_action = on_action.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match JsFuture::from(file.text()).await {
                    Ok(text) => {
                        on_action.emit(Action::Import(text.as_string().unwrap_or_default()))
                    }
                    Err(e) => on_action.emit(Action::Notify(format!(
                        "{} could not be read ({e:?}); the current session is kept",
                        file.name()
                    ))),
                }
            });
        })
    };
    html! {
        <div class="session-file">
            <button type="button" data-testid="export" onclick={on_export}
                title="Download the session's script">{ "Export" }</button>
            <label class="button" title="Load a script (.bpl); a bad one changes nothing">
                { "Import" }
                <input type="file" data-testid="import" accept=".bpl,.txt,text/plain"
                    class="visually-hidden" onchange={on_import} />
            </label>
        </div>
    }
}
