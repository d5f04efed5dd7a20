// Starts the wasm app from a file rather than an inline script, so the page runs under a
// Content-Security-Policy of `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-inline').
// trunk writes the hashed file names into this tag's data attributes (Trunk.toml
// pattern_script); what follows is trunk's own default initializer.
const tag = document.querySelector("script[data-balloon-js]");
const { default: init, ...bindings } = await import(tag.dataset.balloonJs);
const wasm = await init({ module_or_path: tag.dataset.balloonWasm });
window.wasmBindings = bindings;
dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
