//! Peak memory of a session (timeline + snapshots) for a script:
//! `cargo run --release -p balloon-sim --example session_memory -- --preset bulk-64g`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.as_slice() {
        [flag, name] if flag == "--preset" => balloon_sim::presets::get(name)
            .expect("preset")
            .text
            .to_owned(),
        [path] => std::fs::read_to_string(path).expect("script"),
        _ => {
            eprintln!("usage: session_memory --preset NAME | SCRIPT");
            std::process::exit(2);
        }
    };
    let t = std::time::Instant::now();
    let (s, _) = balloon_sim::Session::from_script(&text).expect("script runs");
    let elapsed = t.elapsed();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!(
        "{} events in {:.2?}; {}; {:.0} bytes/event (peak / events)",
        s.event_count(),
        elapsed,
        hwm.split_whitespace().collect::<Vec<_>>().join(" "),
        hwm.split_whitespace()
            .nth(1)
            .and_then(|k| k.parse::<f64>().ok())
            .unwrap_or(0.0)
            * 1024.0
            / s.event_count() as f64
    );
}
