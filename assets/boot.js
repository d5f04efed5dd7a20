// Starts the wasm app from a file rather than an inline script, so the page runs under a
// Content-Security-Policy of `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-inline').
// trunk writes the hashed file names into this tag's data attributes (Trunk.toml
// pattern_script); what follows is trunk's own default initializer.
const tag = document.querySelector("script[data-balloon-js]");
const firstPaint = document.getElementById("first-paint");
try {
  // The wasm is fetched after the static first paint is on screen (the next frame), so the
  // page says what it is while the megabytes arrive. Only a visible top-level page waits:
  // hidden tabs and offscreen embeds get no frames until shown.
  if (window.self === window.top && document.visibilityState === "visible") {
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  }
  const { default: init, ...bindings } = await import(tag.dataset.balloonJs);
  const wasm = await init({ module_or_path: tag.dataset.balloonWasm });
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
