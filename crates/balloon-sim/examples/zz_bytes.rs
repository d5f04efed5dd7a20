fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let script = balloon_sim::command::parse_script(&text).unwrap();
    let mut r = balloon_sim::Runner::<virtq::Portable>::new(&script).unwrap();
    let (mut n, mut bytes) = (0u64, 0u64);
    let mut hist = std::collections::BTreeMap::<String, (u64, u64)>::new();
    r.run_script(
        &script,
        &mut |ev| {
            n += 1;
            let s = serde_json::to_string(ev).unwrap();
            bytes += s.len() as u64;
            let k = s[s.find("detail").unwrap()..]
                .chars()
                .take(40)
                .collect::<String>();
            let e = hist.entry(k).or_default();
            e.0 += 1;
            e.1 += s.len() as u64;
        },
        &mut |_| {},
    );
    println!("{n} events {bytes} bytes {} per event", bytes / n);
    for (k, (c, b)) in hist {
        if c > 100 {
            println!("{c:8} {:5} {k}", b / c);
        }
    }
}
