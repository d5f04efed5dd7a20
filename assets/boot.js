// Starts the wasm app from a file rather than an inline script, so the page runs under a
// Content-Security-Policy of `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-inline').
// trunk writes the hashed file names into this tag's data attributes (Trunk.toml
// pattern_script); what follows is trunk's own default initializer, with the network and the
// compiler started before the first-paint wait instead of after it.
const tag = document.querySelector("script[data-balloon-js]");
const firstPaint = document.getElementById("first-paint");
const wasmUrl = tag.dataset.balloonWasm;
// Neither touches the DOM, so both run while the static first paint is laid out and painted:
// the glue module (already fetched by trunk's modulepreload link) is evaluated, and the wasm is
// fetched and compiled as its bytes arrive (WebAssembly.compileStreaming compiles off the main
// thread). Started after the wait, as trunk's loader does, they cost the first render a frame
// and a round trip more.
const glue = import(tag.dataset.balloonJs);
// Streaming needs the server to send `application/wasm`; whatever it rejects for (that, an old
// browser, a missing file), wasm-bindgen's own loader is given the URL again below: it falls
// back to compiling the bytes, or throws the error the page shows.
const compiled =
  typeof WebAssembly.compileStreaming === "function"
    ? WebAssembly.compileStreaming(fetch(wasmUrl)).catch(() => wasmUrl)
    : Promise.resolve(wasmUrl);
try {
  // The app starts after the static first paint is on screen (the next frame), so the page
  // says what it is while the megabytes arrive. Only a visible top-level page waits: hidden
  // tabs and offscreen embeds get no frames until shown.
  if (window.self === window.top && document.visibilityState === "visible") {
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  }
  const { default: init, ...bindings } = await glue;
  // A WebAssembly.Module or a URL: wasm-bindgen's `__wbg_load` instantiates either.
  const wasm = await init({ module_or_path: await compiled });
  // The app's first render was queued as a microtask by `init` (yew's scheduler uses
  // spawn_local); this continuation runs in the same task, before the next paint, so the
  // static first paint and the app never share a frame and nothing shifts.
  firstPaint?.remove();
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
} catch (error) {
  const status = document.getElementById("first-paint-status");
  if (status) {
    status.textContent = `The simulator could not start: ${error}`;
  }
  throw error;
}
