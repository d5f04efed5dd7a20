//! Milliseconds for time-boxing work: `performance.now()` in the browser, a monotonic clock in
//! native unit tests (the reducer is tested natively, where web APIs do not exist).

/// Milliseconds since an arbitrary start (navigation start in the browser).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Milliseconds since the first call (native).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}
