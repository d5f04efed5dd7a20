//! The binary trace encoding (`trace::binary`) is the canonical form of an event: every event
//! any preset or random script makes decodes back to itself (and so renders the same JSON),
//! the version byte leads every record and a foreign or broken record is an error, not a
//! panic, and changing any part of an event changes the trace hash.
#![cfg(not(target_arch = "wasm32"))]

use balloon_device::Vmm;
use balloon_sim::command::parse_script;
use balloon_sim::host::presets::HOST_PRESETS;
use balloon_sim::host::{HostEvent, HostRunner, parse_host_script};
use balloon_sim::presets::PRESETS;
use balloon_sim::trace::binary::{DecodeError, VERSION, decode, encode};
use balloon_sim::trace::hash::TraceHash;
use balloon_sim::world::{Detail, TraceEvent};
use balloon_sim::{Runner, Session};
use proptest::prelude::*;
use proptest_cases::config;
use virtq::Portable;

/// `e` survives the encoding: its bytes are postcard's, decoded it equals itself and it
/// renders the same JSON.
fn round_trips<T>(e: &T) -> Result<(), String>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(e);
    if bytes.first() != Some(&VERSION) {
        return Err(format!(
            "record does not start with the version byte: {bytes:?}"
        ));
    }
    // The encoder is our own (trace::writer); its bytes are postcard's own serializer's.
    if postcard::to_allocvec(e).ok().as_deref() != Some(&bytes[1..]) {
        return Err(format!(
            "the record differs from postcard's bytes for {e:?}"
        ));
    }
    let back: T = decode(&bytes).map_err(|err| format!("{err} for {e:?}"))?;
    if &back != e {
        return Err(format!("decoded {back:?}\n   from {e:?}"));
    }
    let (a, b) = (serde_json::to_string(e), serde_json::to_string(&back));
    if a.as_ref().ok() != b.as_ref().ok() {
        return Err(format!("JSON differs: {a:?} vs {b:?}"));
    }
    Ok(())
}

/// Every event of `text` on `vmm` (the machine line's profile if `None`), round-tripped.
fn check_script(text: &str, vmm: Option<Vmm>) -> Result<usize, String> {
    let mut script = parse_script(text).map_err(|e| e.to_string())?;
    if let Some(v) = vmm {
        script.machine.profile = v.name().to_owned();
    }
    let mut runner = Runner::<Portable>::new(&script).map_err(|e| e.to_string())?;
    let (mut n, mut first_error) = (0, None);
    let stopped = runner.run_script(
        &script,
        &mut |ev: &TraceEvent| {
            n += 1;
            if first_error.is_none() {
                first_error = round_trips(ev).err();
            }
        },
        &mut |_| {},
    );
    if let Some((line, end)) = stopped {
        return Err(format!("line {line} did not reach its end: {end:?}"));
    }
    first_error.map_or(Ok(n), Err)
}

#[test]
fn every_preset_event_on_every_profile_decodes_to_itself() {
    for p in PRESETS.iter().filter(|p| p.name != "bulk-64g") {
        for vmm in [
            None,
            Some(Vmm::CloudHypervisor),
            Some(Vmm::Firecracker),
            Some(Vmm::Crosvm),
        ] {
            let n = check_script(p.text, vmm).unwrap_or_else(|e| panic!("{} {vmm:?}: {e}", p.name));
            assert!(n > 0, "{}", p.name);
        }
    }
}

#[test]
fn every_host_preset_event_decodes_to_itself() {
    for p in HOST_PRESETS {
        let script = parse_host_script(p.text).expect("host preset parses");
        let mut runner = HostRunner::<Portable>::new(&script).expect("host");
        let mut failures = Vec::new();
        runner.run_script(
            &script,
            &mut |_, ev: &HostEvent| {
                if let Err(e) = round_trips(ev) {
                    failures.push(e);
                }
            },
            &mut |_, _| {},
        );
        assert!(failures.is_empty(), "{}: {}", p.name, failures[0]);
    }
}

#[test]
fn known_bytes_of_the_wire_format() {
    // From the postcard wire format (varint LEB128 integers, enum variants by index) and the
    // version byte, written out by hand.
    assert_eq!(encode(&300u16), [VERSION, 0xac, 0x02]);
    assert_eq!(encode(&300u64), [VERSION, 0xac, 0x02]);
    assert_eq!(
        encode(&balloon_sim::trace::Actor::GuestDriver),
        [VERSION, 2]
    );
    assert_eq!(
        encode(&balloon_sim::trace::PfnRun { first: 5, count: 2 }),
        [VERSION, 5, 2]
    );
    assert_eq!(encode(&Some("ab")), [VERSION, 1, 2, b'a', b'b']);
}

#[test]
fn a_foreign_or_broken_record_is_an_error() {
    let (s, _) = Session::from_script(PRESETS[0].text).expect("preset");
    let ev = s.events().get(40).expect("an event").to_owned();
    let good = encode(&ev);
    assert_eq!(decode::<TraceEvent>(&[]), Err(DecodeError::Empty));
    let mut other = good.clone();
    other[0] = VERSION + 1;
    assert_eq!(
        decode::<TraceEvent>(&other),
        Err(DecodeError::Version { found: VERSION + 1 })
    );
    for cut in 1..good.len() {
        assert!(decode::<TraceEvent>(&good[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        decode::<TraceEvent>(&longer),
        Err(DecodeError::Malformed(_))
    ));
}

/// The hash of one event as a one-record trace.
fn hash_of(ev: &TraceEvent) -> u64 {
    let mut h = TraceHash::default();
    h.feed(ev);
    h.0
}

#[test]
fn changing_any_part_of_an_event_changes_the_hash() {
    let (s, _) = Session::from_script(PRESETS[0].text).expect("preset");
    let inflated = s
        .events()
        .iter()
        .find(|e| {
            matches!(
                &e.detail,
                Detail::Device(balloon_device::DeviceEvent::Inflated { .. })
            )
        })
        .expect("the preset inflates");
    let base = hash_of(&inflated);
    let mut later = inflated.clone();
    later.time_ns += 1;
    let mut moved = inflated.clone();
    moved.index += 1;
    let mut actor = inflated.clone();
    actor.actor = balloon_sim::trace::Actor::GuestDriver;
    let mut pfn = inflated.clone();
    if let Detail::Device(balloon_device::DeviceEvent::Inflated { pfns, .. }) = &mut pfn.detail {
        pfns[0].count += 1;
    }
    for (what, changed) in [
        ("time", later),
        ("index", moved),
        ("actor", actor),
        ("pfn", pfn),
    ] {
        assert_ne!(hash_of(&changed), base, "{what}");
    }
    // And the order of two records counts.
    let next = s.events().get(inflated.index as usize + 1).expect("next");
    let (mut ab, mut ba) = (TraceHash::default(), TraceHash::default());
    ab.feed(&inflated);
    ab.feed(&next);
    ba.feed(&next);
    ba.feed(&inflated);
    assert_ne!(ab, ba);
}

#[path = "support/random_lines.rs"]
mod random_lines;
use random_lines::MACHINES;

/// One random line: the invariant tests' lines (resizes, workloads, hinting, time, monitor
/// reads), plus what those leave out on purpose: faults, QMP errors and ids, stats reads.
fn line(op: u8, arg: u32) -> String {
    // Not the second stats buffer: QEMU's virtio_balloon_receive_stats hands the held buffer
    // back and the guest's stats_request re-adds it, so the two ping-pong for ever (the
    // `malformed-stats-second-buffer` preset runs it for 10 ms); a random `run` would not end.
    use balloon_sim::command::FaultKind;
    let faults: Vec<_> = FaultKind::ALL
        .iter()
        .filter(|&&f| f != FaultKind::SecondBuffer)
        .collect();
    match op % 16 {
        12 => {
            let f = faults[arg as usize % faults.len()];
            format!("fault {} {}", f.queue().as_str(), f.name())
        }
        13 => format!("{{\"execute\": \"no-such-command\", \"id\": {arg}}}"),
        14 => "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/balloon0\", \"property\": \"guest-stats\"}}".to_owned(),
        15 => "step message".to_owned(),
        _ => random_lines::line(op, arg),
    }
}

proptest! {
    #![proptest_config(config(16))]
    #[test]
    fn random_scripts_on_any_profile_decode_to_themselves(
        machine in 0usize..MACHINES.len(),
        vmm in 0usize..4,
        ops in prop::collection::vec((any::<u8>(), any::<u32>()), 1..12),
    ) {
        let mut text = format!("-m 256M -device {} -seed 3\n", MACHINES[machine]);
        for (op, arg) in ops {
            text += &line(op, arg);
            text.push('\n');
        }
        text += "run\n";
        let vmm = [None, Some(Vmm::CloudHypervisor), Some(Vmm::Firecracker), Some(Vmm::Crosvm)][vmm];
        if let Err(e) = check_script(&text, vmm) {
            prop_assert!(false, "{}\n{}", e, text);
        }
    }
}
